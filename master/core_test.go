package master

// Tests of the pure core: each event is handed to Core directly with a
// fixed time and Mesos' counter ids, and the exact effects are checked.

import (
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

var (
	schedPID  = actors.PID{ID: "scheduler-1", Address: "127.0.0.1:40000"}
	sched2PID = actors.PID{ID: "scheduler-2", Address: "127.0.0.1:40001"}
	agentPID  = actors.PID{ID: "slave(1)", Address: "127.0.0.1:50000"}
)

const (
	testFID   = "m1-0000"
	testAgent = "m1-S0"
	testOffer = "m1-O0"
)

func testInfo() *mesos.MasterInfo {
	return &mesos.MasterInfo{
		Id:       proto.String("m1"),
		Ip:       proto.Uint32(0),
		Port:     proto.Uint32(5050),
		Pid:      proto.String("master@127.0.0.1:5050"),
		Hostname: proto.String("localhost"),
	}
}

// newCore returns a started core with Mesos' defaults, changed by mutate.
func newCore(t *testing.T, mutate func(*Config)) *Core {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Hostname, cfg.IP = "localhost", "127.0.0.1"
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := NewCore(cfg, testInfo(), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "start", c.Start(t0), []effect.Effect{effect.StartTimer{Key: "registry/gc", After: DefaultRegistryGCInterval}})
	return c
}

// describe renders an effect with its whole message, so that two effects
// are equal when their descriptions are.
func describe(e effect.Effect) string {
	switch e := e.(type) {
	case effect.Send:
		return fmt.Sprintf("send to %s %s {%s}", e.To, proto.MessageName(e.Msg), prototext.MarshalOptions{}.Format(e.Msg))
	case fmt.Stringer:
		return e.String()
	}
	return fmt.Sprintf("%T %v", e, e)
}

func describeAll(es []effect.Effect) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = describe(e)
	}
	return out
}

func expect(t *testing.T, what string, got, want []effect.Effect) {
	t.Helper()
	g, w := describeAll(got), describeAll(want)
	for i := 0; i < len(g) || i < len(w); i++ {
		switch {
		case i >= len(g):
			t.Errorf("%s: effect %d missing: %s", what, i, w[i])
		case i >= len(w):
			t.Errorf("%s: unexpected effect %d: %s", what, i, g[i])
		case g[i] != w[i]:
			t.Errorf("%s: effect %d\n got: %s\nwant: %s", what, i, g[i], w[i])
		}
	}
}

func sendTo(to actors.PID, m proto.Message) effect.Effect { return effect.Send{To: to, Msg: m} }

func registered(fid string) *mesosinternal.FrameworkRegisteredMessage {
	return &mesosinternal.FrameworkRegisteredMessage{FrameworkId: frameworkID(fid), MasterInfo: testInfo()}
}

func register(t *testing.T, c *Core, info *mesos.FrameworkInfo) {
	t.Helper()
	c.Receive(t0, schedPID, &mesosinternal.RegisterFrameworkMessage{Framework: info})
	if c.frameworks[testFID] == nil {
		t.Fatal("framework not registered")
	}
}

func registerAgent(t *testing.T, c *Core, res string) {
	t.Helper()
	stored(t, c, t0, c.Receive(t0, agentPID, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo(res), Version: proto.String("1.11.0")}))
	if c.agents[testAgent] == nil {
		t.Fatal("agent not registered")
	}
}

// offerAll makes the agent's resources one offer to the framework, as an
// allocation would, and returns it as the framework sees it.
func offerAll(t *testing.T, c *Core, res string) *mesos.Offer {
	t.Helper()
	r := resources.MustParse(res).Allocate("*")
	got := c.Offer(t0, testFID, allocator.Offers{"*": {testAgent: r}})
	for _, e := range got {
		if s, ok := e.(effect.Send); ok {
			if m, ok := s.Msg.(*mesosinternal.ResourceOffersMessage); ok {
				return m.GetOffers()[0]
			}
		}
	}
	t.Fatalf("no offer in %v", describeAll(got))
	return nil
}

func TestCoreRegistersFrameworkAndAgent(t *testing.T) {
	c := newCore(t, nil)
	info := frameworkInfo("f")
	got := c.Receive(t0, schedPID, &mesosinternal.RegisterFrameworkMessage{Framework: info})
	withID := proto.Clone(info).(*mesos.FrameworkInfo)
	withID.Id = frameworkID(testFID)
	expect(t, "register framework", got, []effect.Effect{
		effect.Link{PID: schedPID},
		AllocAddFramework{FrameworkID: testFID, Info: withID, Active: true},
		sendTo(schedPID, registered(testFID)),
	})

	// A retry from the same scheduler gets the same answer, nothing else.
	got = c.Receive(t0, schedPID, &mesosinternal.RegisterFrameworkMessage{Framework: info})
	expect(t, "retry", got, []effect.Effect{sendTo(schedPID, registered(testFID))})

	ai := agentInfo("cpus:2;mem:1024")
	got = c.Receive(t0, agentPID, &mesosinternal.RegisterSlaveMessage{Slave: ai, Version: proto.String("1.11.0")})
	withAgentID := proto.Clone(ai).(*mesos.SlaveInfo)
	withAgentID.Id = slaveID(testAgent)
	// The agent is admitted in the registry first; nothing else happens
	// until that is stored.
	expect(t, "register agent", got, []effect.Effect{RegistryApply{Seq: 1, Op: AdmitSlave{Info: withAgentID}}})
	expect(t, "retry while admitting", c.Receive(t0, agentPID, &mesosinternal.RegisterSlaveMessage{Slave: ai, Version: proto.String("1.11.0")}), nil)
	got = c.RegistryApplied(t0, 1, nil)
	expect(t, "agent admitted", got, []effect.Effect{
		effect.Link{PID: agentPID},
		effect.StartTimer{Key: "ping/" + testAgent, After: DefaultAgentPingTimeout},
		sendTo(agentPID, &mesosinternal.PingSlaveMessage{Connected: proto.Bool(true)}),
		AllocAddSlave{AgentID: testAgent, Info: withAgentID, Capabilities: []mesos.SlaveInfo_Capability_Type{}, Total: resources.MustParse("cpus:2;mem:1024")},
		sendTo(agentPID, &mesosinternal.SlaveRegisteredMessage{
			SlaveId:    slaveID(testAgent),
			Connection: &mesosinternal.MasterSlaveConnection{TotalPingTimeoutSeconds: proto.Float64(75)},
		}),
	})
}

func TestCoreRefusesBadSubscriptions(t *testing.T) {
	c := newCore(t, func(cfg *Config) { cfg.Roles = []string{"web"} })
	refusal := func(msg string) []effect.Effect {
		return []effect.Effect{sendTo(schedPID, &mesosinternal.FrameworkErrorMessage{Message: proto.String(msg)})}
	}
	withRole := frameworkInfo("f")
	withRole.Role = proto.String("batch")
	withID := frameworkInfo("f")
	withID.Id = frameworkID("x")
	cases := []struct {
		name string
		msg  proto.Message
		want []effect.Effect
	}{
		{"no framework", &mesosinternal.RegisterFrameworkMessage{}, refusal("Expecting 'framework' to be present")},
		{"id already set", &mesosinternal.RegisterFrameworkMessage{Framework: withID}, refusal("Registering with 'id' already set")},
		{"reregister without id", &mesosinternal.ReregisterFrameworkMessage{Framework: frameworkInfo("f")}, refusal("Re-registering without an 'id'")},
		{"role not whitelisted", &mesosinternal.RegisterFrameworkMessage{Framework: withRole}, refusal("Roles { batch } are not present in the master's --roles")},
		{"call without type", &scheduler.Call{}, nil},
		{"call of an unknown framework", call("nope", scheduler.Call_REVIVE), nil},
	}
	for _, tc := range cases {
		expect(t, tc.name, c.Receive(t0, schedPID, tc.msg), tc.want)
	}
	if len(c.frameworks) != 0 {
		t.Errorf("frameworks %v", c.frameworks)
	}
}

func TestCoreDropsNilAndUnknownMessagesAndKeys(t *testing.T) {
	c := newCore(t, nil)
	for _, m := range []proto.Message{nil, (*mesosinternal.RegisterFrameworkMessage)(nil), (*scheduler.Call)(nil), &mesos.TaskInfo{}} {
		expect(t, fmt.Sprintf("%T", m), c.Receive(t0, schedPID, m), nil)
	}
	for _, key := range []string{"", "offer/", "bogus/x", "ping/unknown-agent", "failover/unknown", "reregister/unknown", "offer/unknown"} {
		expect(t, "timer "+key, c.Timer(t0, key), nil)
	}
	expect(t, "exited unknown", c.Exited(t0, schedPID), nil)
}

func TestCoreGateDropsUntilElected(t *testing.T) {
	c := newCore(t, nil)
	c.elected = false
	expect(t, "not elected", c.Receive(t0, schedPID, &mesosinternal.RegisterFrameworkMessage{Framework: frameworkInfo("f")}), nil)
	if c.dropped != 1 || len(c.frameworks) != 0 {
		t.Fatalf("dropped %d, frameworks %d", c.dropped, len(c.frameworks))
	}
}

func TestCoreOffersAndTimesThemOut(t *testing.T) {
	c := newCore(t, func(cfg *Config) { cfg.OfferTimeout = 30 * time.Second })
	register(t, c, frameworkInfo("f"))
	registerAgent(t, c, "cpus:2;mem:1024")

	r := resources.MustParse("cpus:2;mem:1024").Allocate("*")
	got := c.Offer(t0, testFID, allocator.Offers{"*": {testAgent: r}})
	want := &mesos.Offer{
		Id:          &mesos.OfferID{Value: proto.String(testOffer)},
		FrameworkId: frameworkID(testFID),
		SlaveId:     slaveID(testAgent),
		Hostname:    proto.String("localhost"),
		Resources:   resources.MustParse("cpus:2;mem:1024"),
		Url: &mesos.URL{
			Scheme:  proto.String("http"),
			Address: &mesos.Address{Hostname: proto.String("localhost"), Ip: proto.String("127.0.0.1"), Port: proto.Int32(5051)},
			Path:    proto.String("/slave(1)"),
		},
	}
	expect(t, "offer", got, []effect.Effect{
		effect.StartTimer{Key: "offer/" + testOffer, After: 30 * time.Second},
		sendTo(schedPID, &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{want}, Pids: []string{agentPID.String()}}),
	})

	// A grant for an unknown framework goes straight back.
	expect(t, "unknown framework", c.Offer(t0, "other", allocator.Offers{"*": {testAgent: r}}), []effect.Effect{
		AllocRecoverResources{FrameworkID: "other", AgentID: testAgent, Resources: r},
	})

	got = c.Timer(t0.Add(30*time.Second), "offer/"+testOffer)
	expect(t, "offer timeout", got, []effect.Effect{
		effect.CancelTimer{Key: "offer/" + testOffer},
		sendTo(schedPID, &mesosinternal.RescindResourceOfferMessage{OfferId: &mesos.OfferID{Value: proto.String(testOffer)}}),
		AllocRecoverResources{FrameworkID: testFID, AgentID: testAgent, Resources: r},
	})
	if len(c.offers) != 0 {
		t.Errorf("offers left: %v", c.offers)
	}
	// The timer of a gone offer does nothing.
	expect(t, "stale offer timer", c.Timer(t0.Add(time.Minute), "offer/"+testOffer), nil)
}

func TestCoreAcceptWithInvalidOffersLosesTasks(t *testing.T) {
	for _, pa := range []bool{false, true} {
		t.Run(fmt.Sprintf("partition-aware=%t", pa), func(t *testing.T) {
			c := newCore(t, nil)
			info := frameworkInfo("f")
			state := mesos.TaskState_TASK_LOST
			if pa {
				info.Capabilities = []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE.Enum()}}
				state = mesos.TaskState_TASK_DROPPED
			}
			register(t, c, info)
			registerAgent(t, c, "cpus:2;mem:1024")
			o := offerAll(t, c, "cpus:2;mem:1024")

			bogus := &mesos.OfferID{Value: proto.String("m1-O99")}
			task := commandTask("t1", o, "cpus:1;mem:128")
			got := c.Receive(t0, schedPID, launch(testFID, []*mesos.OfferID{o.GetId(), bogus}, nil, task))
			update := newUpdate(updateSpec{
				frameworkID: testFID, agentID: testAgent, taskID: "t1", state: state,
				message: "Task launched with invalid offers: Offer m1-O99 is no longer valid",
				reason:  mesos.TaskStatus_REASON_INVALID_OFFERS, now: t0,
			})
			expect(t, "accept", got, []effect.Effect{
				// The valid offer is discarded and its resources recovered.
				AllocRecoverResources{FrameworkID: testFID, AgentID: testAgent, Resources: resources.MustParse("cpus:2;mem:1024").Allocate("*")},
				sendTo(schedPID, &mesosinternal.StatusUpdateMessage{Update: update}),
			})
			if len(c.offers) != 0 || len(c.frameworks[testFID].tasks) != 0 {
				t.Errorf("offers %v, tasks %v", c.offers, c.frameworks[testFID].tasks)
			}
		})
	}
}

func TestCoreLaunchesTask(t *testing.T) {
	c := newCore(t, nil)
	register(t, c, frameworkInfo("f"))
	registerAgent(t, c, "cpus:2;mem:1024")
	o := offerAll(t, c, "cpus:2;mem:1024")
	task := commandTask("t1", o, "cpus:1;mem:128")
	got := c.Receive(t0, schedPID, launch(testFID, ids(o), &mesos.Filters{RefuseSeconds: proto.Float64(10)}, task))

	sent := proto.Clone(task).(*mesos.TaskInfo)
	sent.Resources = resources.MustParse("cpus:1;mem:128").Upgrade().Allocate("*")
	withID := frameworkInfo("f")
	withID.Id = frameworkID(testFID)
	expect(t, "launch", got, []effect.Effect{
		sendTo(agentPID, &mesosinternal.RunTaskMessage{
			Framework: withID, FrameworkId: frameworkID(testFID), Pid: proto.String(schedPID.String()),
			Task: sent, LaunchExecutor: proto.Bool(true),
		}),
		AllocRecoverResources{
			FrameworkID: testFID, AgentID: testAgent,
			Resources: resources.MustParse("cpus:1;mem:896").Allocate("*"),
			Filters:   &mesos.Filters{RefuseSeconds: proto.Float64(10)},
		},
	})
	v := c.View()
	if len(v.Frameworks) != 1 || len(v.Frameworks[0].Tasks) != 1 || v.Frameworks[0].Tasks[0].GetState() != mesos.TaskState_TASK_STAGING {
		t.Fatalf("frameworks %+v", v.Frameworks)
	}
	if len(v.Agents) != 1 || len(v.Agents[0].Tasks) != 1 || !v.Agents[0].Used.Equal(sent.Resources) || len(v.Offers) != 0 {
		t.Fatalf("agents %+v, offers %+v", v.Agents, v.Offers)
	}
	// The view is a copy.
	v.Frameworks[0].Tasks[0].State = mesos.TaskState_TASK_FAILED.Enum()
	if c.frameworks[testFID].tasks["t1"].GetState() != mesos.TaskState_TASK_STAGING {
		t.Fatal("changing the view changed the core")
	}
}

func TestCorePingTimeoutsMarkAgentUnreachable(t *testing.T) {
	c := newCore(t, nil)
	register(t, c, frameworkInfo("f"))
	registerAgent(t, c, "cpus:2;mem:1024")
	key := "ping/" + testAgent
	ping := sendTo(agentPID, &mesosinternal.PingSlaveMessage{Connected: proto.Bool(true)})
	now := t0

	// A pong resets the count; the agent is pinged again.
	c.Receive(now, agentPID, &mesosinternal.PongSlaveMessage{})
	now = now.Add(DefaultAgentPingTimeout)
	expect(t, "answered ping", c.Timer(now, key), []effect.Effect{effect.StartTimer{Key: key, After: DefaultAgentPingTimeout}, ping})

	for i := 1; i < DefaultMaxAgentPingTimeouts; i++ {
		now = now.Add(DefaultAgentPingTimeout)
		expect(t, fmt.Sprintf("missed ping %d", i), c.Timer(now, key), []effect.Effect{effect.StartTimer{Key: key, After: DefaultAgentPingTimeout}, ping})
	}
	now = now.Add(DefaultAgentPingTimeout)
	got := c.Timer(now, key)
	expect(t, "last missed ping", got, []effect.Effect{
		RegistryApply{Seq: 2, Op: MarkSlaveUnreachable{Info: c.agents[testAgent].info, Time: now}},
	})
	// A pong while the marking is written changes nothing.
	expect(t, "late pong", c.Receive(now, agentPID, &mesosinternal.PongSlaveMessage{}), nil)
	expect(t, "marked unreachable", c.RegistryApplied(now.Add(time.Millisecond), 2, nil), []effect.Effect{
		AllocRemoveSlave{AgentID: testAgent},
		effect.CancelTimer{Key: key},
		effect.Unlink{PID: agentPID},
		sendTo(schedPID, &mesosinternal.LostSlaveMessage{SlaveId: slaveID(testAgent)}),
	})
	if c.agents[testAgent] != nil || c.unreachable[testAgent] == nil || !c.unreachable[testAgent].time.Equal(now) {
		t.Fatalf("agent not unreachable: %v %v", c.agents, c.unreachable)
	}
	expect(t, "stale ping", c.Timer(now.Add(time.Hour), key), nil)
}

func TestCoreFrameworkFailover(t *testing.T) {
	c := newCore(t, nil)
	info := frameworkInfo("f")
	info.FailoverTimeout = proto.Float64(60)
	register(t, c, info)
	key := "failover/" + testFID

	got := c.Exited(t0, schedPID)
	expect(t, "exited", got, []effect.Effect{
		sendTo(schedPID, &mesosinternal.FrameworkErrorMessage{Message: proto.String("Framework disconnected")}),
		AllocDeactivateFramework{FrameworkID: testFID},
		effect.StartTimer{Key: key, After: time.Minute},
	})

	// A new scheduler fails over in time: the timer is cancelled.
	withID := proto.Clone(info).(*mesos.FrameworkInfo)
	withID.Id = frameworkID(testFID)
	got = c.Receive(t0.Add(time.Second), sched2PID, &mesosinternal.ReregisterFrameworkMessage{Framework: withID, Failover: proto.Bool(true)})
	expect(t, "failover", got, []effect.Effect{
		AllocUpdateFramework{FrameworkID: testFID, Info: withID},
		effect.Unlink{PID: schedPID},
		effect.CancelTimer{Key: key},
		effect.Link{PID: sched2PID},
		AllocActivateFramework{FrameworkID: testFID},
		sendTo(sched2PID, registered(testFID)),
	})
	expect(t, "cancelled timer", c.Timer(t0.Add(time.Minute), key), nil)

	// It goes away again and does not come back: removed.
	c.Exited(t0.Add(2*time.Second), sched2PID)
	got = c.Timer(t0.Add(62*time.Second), key)
	expect(t, "failover timeout", got, []effect.Effect{
		AllocRemoveFramework{FrameworkID: testFID},
	})
	if c.frameworks[testFID] != nil || len(c.completed) != 1 {
		t.Fatalf("framework not removed")
	}
}

func TestCoreAgentReregisterTimeout(t *testing.T) {
	c := newCore(t, nil)
	registerAgent(t, c, "cpus:2;mem:1024")
	key := "reregister/" + testAgent
	got := c.Exited(t0, agentPID)
	expect(t, "agent exited", got, []effect.Effect{
		AllocDeactivateSlave{AgentID: testAgent},
		effect.StartTimer{Key: key, After: DefaultAgentReregisterTimeout},
	})
	got = stored(t, c, t0.Add(DefaultAgentReregisterTimeout), c.Timer(t0.Add(DefaultAgentReregisterTimeout), key))
	expect(t, "reregister timeout", got, []effect.Effect{
		AllocRemoveSlave{AgentID: testAgent},
		effect.CancelTimer{Key: "ping/" + testAgent},
		effect.Unlink{PID: agentPID},
	})
	if c.unreachable[testAgent] == nil {
		t.Fatal("agent not unreachable")
	}
}

func TestCoreQuotaRequests(t *testing.T) {
	c := newCore(t, nil)
	registerAgent(t, c, "cpus:2;mem:1024")
	req := func(role, guarantee string, force bool) *mesos.QuotaRequest {
		return &mesos.QuotaRequest{Role: proto.String(role), Guarantee: resources.MustParse(guarantee), Force: proto.Bool(force)}
	}
	kind := func(err error) RequestErrorKind {
		var re *RequestError
		if !errors.As(err, &re) {
			t.Fatalf("error %v is not a *RequestError", err)
		}
		return re.Kind
	}
	for _, tc := range []struct {
		name string
		req  *mesos.QuotaRequest
		kind RequestErrorKind
	}{
		{"nil request", nil, Invalid},
		{"bad role", req("-x", "cpus:1", false), Invalid},
		{"overcommit", req("dev", "cpus:4", false), Conflict},
	} {
		effects, err := c.SetQuota(t0, tc.req)
		if err == nil || kind(err) != tc.kind || len(effects) != 0 {
			t.Errorf("%s: %v, %v; want kind %d", tc.name, effects, err, tc.kind)
		}
	}
	q := allocator.Quantities{"cpus": 4}
	effects, err := c.SetQuota(t0, req("dev", "cpus:4", true))
	if err != nil {
		t.Fatal(err)
	}
	// Written, then given to the allocator.
	expect(t, "forced quota", effects, []effect.Effect{RegistryApply{Seq: 2, Op: UpdateQuota{Role: "dev", Config: quotaConfig("dev", allocator.Quota{Guarantees: q, Limits: q})}}})
	expect(t, "quota stored", c.RegistryApplied(t0, 2, nil), []effect.Effect{AllocUpdateQuota{Role: "dev", Quota: allocator.Quota{Guarantees: q, Limits: q}}})
	if _, err := c.SetQuota(t0, req("dev", "cpus:1", true)); err == nil || kind(err) != Invalid {
		t.Errorf("second quota: %v", err)
	}
	if _, err := c.SetQuota(t0, req("dev/web", "cpus:1", true)); err == nil || kind(err) != Refused {
		t.Errorf("nested quota: %v", err)
	}

	if _, err := c.RemoveQuota(t0, "ops"); err == nil || kind(err) != Refused {
		t.Errorf("remove missing quota: %v", err)
	}
	effects, err = c.RemoveQuota(t0, "dev")
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "remove quota", stored(t, c, t0, effects), []effect.Effect{AllocUpdateQuota{Role: "dev"}})
}

func TestAllocatorCallsApplyToAnAllocator(t *testing.T) {
	core := allocator.NewCore(allocator.Options{AllocationInterval: time.Second})
	a := allocator.Sync{Core: core, Now: func() time.Time { return t0 }}
	info := frameworkInfo("f")
	info.Id = frameworkID("f1")
	for _, e := range []effect.Effect{
		AllocAddSlave{AgentID: "a1", Info: agentInfo("cpus:2;mem:1024"), Total: resources.MustParse("cpus:2;mem:1024")},
		AllocAddFramework{FrameworkID: "f1", Info: info, Active: true},
		effect.Link{PID: schedPID},
	} {
		_, isCall := e.(AllocatorCall)
		if ApplyAllocatorCall(a, e) != isCall {
			t.Fatalf("ApplyAllocatorCall(%v) disagrees with the type", e)
		}
	}
	grants := core.Allocate(t0, nil)
	if got := grants["f1"]["*"]["a1"]; !got.Unallocate().Equal(resources.MustParse("cpus:2;mem:1024")) {
		t.Fatalf("grants %v", grants)
	}
}

// Empty messages of every type the core handles, and calls of every type
// with nothing but their type and framework id, get no panic: at most a
// refusal or a log line.
func TestCoreSurvivesEmptyMessages(t *testing.T) {
	c := newCore(t, nil)
	register(t, c, frameworkInfo("f"))
	registerAgent(t, c, "cpus:2;mem:1024")
	offerAll(t, c, "cpus:2;mem:1024")
	msgs := []proto.Message{
		&mesosinternal.RegisterFrameworkMessage{}, &mesosinternal.ReregisterFrameworkMessage{},
		&mesosinternal.UnregisterFrameworkMessage{}, &mesosinternal.DeactivateFrameworkMessage{},
		&mesosinternal.LaunchTasksMessage{}, &mesosinternal.ReviveOffersMessage{}, &mesosinternal.KillTaskMessage{},
		&mesosinternal.StatusUpdateAcknowledgementMessage{}, &mesosinternal.FrameworkToExecutorMessage{},
		&mesosinternal.ReconcileTasksMessage{}, &mesosinternal.ResourceRequestMessage{},
		&mesosinternal.RegisterSlaveMessage{}, &mesosinternal.ReregisterSlaveMessage{},
		&mesosinternal.UnregisterSlaveMessage{}, &mesosinternal.StatusUpdateMessage{},
		&mesosinternal.StatusUpdateMessage{Update: &mesosinternal.StatusUpdate{}},
		&mesosinternal.ExitedExecutorMessage{}, &mesosinternal.ExecutorToFrameworkMessage{},
		&mesosinternal.PongSlaveMessage{}, &mesosinternal.UpdateSlaveMessage{},
		&scheduler.Call{},
	}
	types := make([]int, 0, len(scheduler.Call_Type_value))
	for _, ty := range scheduler.Call_Type_value {
		types = append(types, int(ty))
	}
	sort.Ints(types) // one order, whatever the map's
	for _, ty := range types {
		msgs = append(msgs, call(testFID, scheduler.Call_Type(ty)))
		msgs = append(msgs, &scheduler.Call{Type: scheduler.Call_Type(ty).Enum()})
	}
	for _, m := range msgs {
		for _, from := range []actors.PID{schedPID, agentPID, {}} {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%T %v from %q: panic %v", m, m, from, r)
					}
				}()
				c.Receive(t0, from, m)
			}()
		}
	}
}

func TestCoreWeights(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Weights = "web=2"
	c, err := NewCore(cfg, testInfo(), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "start", c.Start(t0), []effect.Effect{
		AllocUpdateWeights{Weights: map[string]float64{"web": 2}},
		effect.StartTimer{Key: "registry/gc", After: DefaultRegistryGCInterval},
	})

	// A weight for a role with frameworks rescinds the outstanding offers.
	register(t, c, frameworkInfo("f"))
	registerAgent(t, c, "cpus:2;mem:1024")
	offerAll(t, c, "cpus:2;mem:1024")
	weights := []*mesos.WeightInfo{{Role: proto.String("*"), Weight: proto.Float64(3)}}
	got, err := c.UpdateWeights(t0, weights)
	if err != nil {
		t.Fatal(err)
	}
	// Written first; used once stored.
	expect(t, "update weights", got, []effect.Effect{RegistryApply{Seq: 2, Op: UpdateWeights{Weights: weights}}})
	expect(t, "weights stored", c.RegistryApplied(t0, 2, nil), []effect.Effect{
		AllocUpdateWeights{Weights: map[string]float64{"*": 3}},
		sendTo(schedPID, &mesosinternal.RescindResourceOfferMessage{OfferId: &mesos.OfferID{Value: proto.String(testOffer)}}),
		AllocRecoverResources{FrameworkID: testFID, AgentID: testAgent, Resources: resources.MustParse("cpus:2;mem:1024").Allocate("*")},
	})

	if _, err := NewCore(Config{}, testInfo(), Deps{}); err == nil {
		t.Error("NewCore took an invalid configuration")
	}
	if _, err := NewCore(DefaultConfig(), nil, Deps{}); err == nil {
		t.Error("NewCore took no MasterInfo")
	}
}

// taskCopy must know every field of TaskInfo: one added there must be
// added to it (shared, or copied if launchTask changes it).
func TestTaskCopyKnowsEveryField(t *testing.T) {
	if n := (&mesos.TaskInfo{}).ProtoReflect().Descriptor().Fields().Len(); n != 15 {
		t.Fatalf("TaskInfo has %d fields; taskCopy copies 15", n)
	}
}
