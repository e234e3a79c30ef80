package master

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	bad := DefaultConfig()
	bad.AgentReregisterTimeout = time.Minute
	bad.MinAllocatableResources = "cpus"
	bad.Roles = []string{"/x"}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"agent_reregister_timeout", "min_allocatable_resources", "roles"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}

func TestMasterInfo(t *testing.T) {
	c := newCluster(t, nil)
	info := c.m.Info()
	if info.GetPid() != "master@"+c.node.Address() || info.GetPort() != 5050 || info.GetHostname() != "localhost" ||
		info.GetVersion() != "1.11.0" || info.GetAddress().GetIp() != "127.0.0.1" || info.GetAddress().GetPort() != 5050 {
		t.Fatalf("info %v", info)
	}
	if len(info.GetId()) != 36 {
		t.Fatalf("id %q is not a UUID", info.GetId())
	}
	if info.GetIp() != 0x0100007f {
		t.Fatalf("ip %x", info.GetIp())
	}
	if c.m.PID() != c.pid {
		t.Fatal("PID mismatch")
	}
}

func TestRegisterFrameworkLegacyAndCall(t *testing.T) {
	c := newCluster(t, nil)
	s1, id1 := c.subscribe(frameworkInfo("one"))
	if id1 != c.m.Info().GetId()+"-0000" {
		t.Fatalf("framework id %q", id1)
	}
	// A retry from the same scheduler gets the same id.
	s1.SendNow(c.pid, &mesosinternal.RegisterFrameworkMessage{Framework: frameworkInfo("one")})
	if got := actortest.Must[*mesosinternal.FrameworkRegisteredMessage](t, s1, nil).GetFrameworkId().GetValue(); got != id1 {
		t.Fatalf("retry got %q, want %q", got, id1)
	}

	// SUBSCRIBE call; an empty id counts as none.
	s2 := c.spawn("scheduler-call")
	info := frameworkInfo("two")
	info.Id = frameworkID("")
	s2.SendNow(c.pid, &scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{FrameworkInfo: info}})
	reg := actortest.Must[*mesosinternal.FrameworkRegisteredMessage](t, s2, nil)
	if reg.GetFrameworkId().GetValue() != c.m.Info().GetId()+"-0001" || reg.GetMasterInfo().GetId() != c.m.Info().GetId() {
		t.Fatalf("registered %v", reg)
	}
}

func TestFrameworkInfoRefused(t *testing.T) {
	c := newCluster(t, func(cfg *Config) {
		cfg.Roles = []string{"web"}
		cfg.RootSubmissions = false
	})
	withID := frameworkInfo("x")
	withID.Id = frameworkID("abc")
	multi := frameworkInfo("x")
	multi.Capabilities = []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE.Enum()}}
	multi.Roles = []string{"web", "web"}
	tests := []struct {
		name string
		msg  proto.Message
		want string
	}{
		{"id on register", &mesosinternal.RegisterFrameworkMessage{Framework: withID}, "Registering with 'id' already set"},
		{"no id on reregister", &mesosinternal.ReregisterFrameworkMessage{Framework: frameworkInfo("x"), Failover: proto.Bool(true)}, "Re-registering without an 'id'"},
		{"failover timeout", &mesosinternal.RegisterFrameworkMessage{Framework: func() *mesos.FrameworkInfo {
			f := frameworkInfo("x")
			f.Role = proto.String("web")
			f.FailoverTimeout = proto.Float64(1e17)
			return f
		}()}, "failover_timeout"},
		{"invalid role", &mesosinternal.RegisterFrameworkMessage{Framework: func() *mesos.FrameworkInfo {
			f := frameworkInfo("x")
			f.Role = proto.String("-bad")
			return f
		}()}, "'FrameworkInfo.role' is not a valid role"},
		{"not whitelisted", &mesosinternal.RegisterFrameworkMessage{Framework: func() *mesos.FrameworkInfo {
			f := frameworkInfo("x")
			f.Role = proto.String("db")
			return f
		}()}, "are not present in the master's --roles"},
		{"duplicate roles", &mesosinternal.RegisterFrameworkMessage{Framework: multi}, "duplicate items"},
		{"root", &mesosinternal.RegisterFrameworkMessage{Framework: func() *mesos.FrameworkInfo {
			f := frameworkInfo("x")
			f.User = proto.String("root")
			f.Role = proto.String("web")
			return f
		}()}, "User 'root' is not allowed"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := c.spawn("refused-" + string(rune('a'+i)))
			s.SendNow(c.pid, tc.msg)
			e := actortest.Must[*mesosinternal.FrameworkErrorMessage](t, s, nil)
			if !strings.Contains(e.GetMessage(), tc.want) {
				t.Fatalf("error %q, want %q", e.GetMessage(), tc.want)
			}
			c.settle()
			actortest.MustNone[*mesosinternal.FrameworkRegisteredMessage](t, s, nil)
		})
	}
}

func TestOfferContents(t *testing.T) {
	c := newCluster(t, nil)
	a1, id1 := c.addAgent("cpus:2;mem:1024;ports:[31000-32000]")
	a2, id2 := c.addAgent("cpus:1;mem:512")
	s, fid := c.subscribe(frameworkInfo("f"))
	msg := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil)
	if len(msg.GetOffers()) != 2 || len(msg.GetPids()) != 2 {
		t.Fatalf("want one offer per agent in one message, got %d offers, %d pids", len(msg.GetOffers()), len(msg.GetPids()))
	}
	byAgent := map[string]*mesos.Offer{}
	for i, o := range msg.GetOffers() {
		byAgent[o.GetSlaveId().GetValue()] = o
		want := map[string]string{id1: a1.PID().String(), id2: a2.PID().String()}[o.GetSlaveId().GetValue()]
		if msg.GetPids()[i] != want {
			t.Errorf("pid %d = %q, want %q", i, msg.GetPids()[i], want)
		}
	}
	o := byAgent[id1]
	if o == nil || byAgent[id2] == nil {
		t.Fatalf("offers %v", msg.GetOffers())
	}
	if !strings.HasPrefix(o.GetId().GetValue(), c.m.Info().GetId()+"-O") || o.GetFrameworkId().GetValue() != fid || o.GetHostname() != "localhost" {
		t.Errorf("offer %v", o)
	}
	u := o.GetUrl()
	if u.GetScheme() != "http" || u.GetAddress().GetHostname() != "localhost" || u.GetAddress().GetIp() != strings.Split(a1.PID().Address, ":")[0] ||
		u.GetAddress().GetPort() != 5051 || u.GetPath() != "/"+a1.PID().ID {
		t.Errorf("url %v", u)
	}
	if o.AllocationInfo != nil {
		t.Errorf("allocation_info not stripped for a non-MULTI_ROLE framework: %v", o.AllocationInfo)
	}
	got := resources.Resources(o.GetResources())
	for _, r := range got {
		if r.AllocationInfo != nil {
			t.Errorf("resource keeps allocation_info: %v", r)
		}
	}
	if !got.Equal(resources.MustParse("cpus:2;mem:1024;ports:[31000-32000]")) {
		t.Errorf("resources %v", got)
	}
}

func TestMultiRoleOffersKeepAllocationInfo(t *testing.T) {
	c := newCluster(t, nil)
	a, _ := c.addAgent("cpus:2;mem:1024")
	_ = a
	info := frameworkInfo("multi")
	info.Capabilities = []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE.Enum()}}
	info.Roles = []string{"web"}
	// MULTI_ROLE frameworks are only offered MULTI_ROLE agents.
	s, _ := c.subscribe(info)
	c.settle()
	actortest.MustNone[*mesosinternal.ResourceOffersMessage](t, s, nil)

	c.n++
	b := c.spawn("slave-multi")
	b.SendNow(c.pid, &mesosinternal.RegisterSlaveMessage{
		Slave: agentInfo("cpus:1;mem:512"), Version: proto.String("1.11.0"),
		AgentCapabilities: []*mesos.SlaveInfo_Capability{{Type: mesos.SlaveInfo_Capability_MULTI_ROLE.Enum()}},
	})
	actortest.Must[*mesosinternal.SlaveRegisteredMessage](t, b, nil)
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	if o.GetAllocationInfo().GetRole() != "web" {
		t.Fatalf("allocation info %v", o.GetAllocationInfo())
	}
	for _, r := range o.GetResources() {
		if r.GetAllocationInfo().GetRole() != "web" {
			t.Fatalf("resource %v", r)
		}
	}
}

func TestLaunchSendsRunTask(t *testing.T) {
	c := newCluster(t, nil)
	_, agentID, s, fid, run := c.runTask()
	if run.GetFramework().GetId().GetValue() != fid || run.GetPid() != s.PID().String() || !run.GetLaunchExecutor() {
		t.Fatalf("run task %v", run)
	}
	task := run.GetTask()
	if task.GetTaskId().GetValue() != "t1" || task.GetSlaveId().GetValue() != agentID {
		t.Fatalf("task %v", task)
	}
	for _, r := range task.GetResources() {
		if r.GetAllocationInfo().GetRole() != "*" {
			t.Fatalf("task resource without allocation role: %v", r)
		}
	}
	// The rest was declined with the default 5 s filter.
	c.advance(time.Second)
	actortest.MustNone[*mesosinternal.ResourceOffersMessage](t, s, nil)
	c.advance(4 * time.Second)
	again := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	if got := resources.Resources(again.GetResources()); !got.Equal(resources.MustParse("cpus:1;mem:896")) {
		t.Fatalf("re-offered %v, want what the task left", got)
	}
	c.inspect(func(p *Core) {
		tk := p.frameworks[fid].tasks["t1"]
		if tk == nil || tk.GetState() != mesos.TaskState_TASK_STAGING {
			t.Errorf("task %v", tk)
		}
	})
}

func TestInvalidOffersLoseTasks(t *testing.T) {
	c := newCluster(t, nil)
	c.addAgent("cpus:2;mem:1024")
	c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	offers := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()
	if len(offers) != 2 {
		t.Fatalf("%d offers", len(offers))
	}
	check := func(what, wantMsg string) {
		t.Helper()
		u := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
		st := u.GetUpdate().GetStatus()
		if st.GetState() != mesos.TaskState_TASK_LOST || st.GetReason() != mesos.TaskStatus_REASON_INVALID_OFFERS ||
			st.GetSource() != mesos.TaskStatus_SOURCE_MASTER || len(st.GetUuid()) != 0 || len(u.GetUpdate().GetUuid()) != 0 || u.Pid != nil {
			t.Fatalf("%s: update %v", what, u)
		}
		if !strings.Contains(st.GetMessage(), wantMsg) {
			t.Fatalf("%s: message %q, want %q", what, st.GetMessage(), wantMsg)
		}
	}
	s.SendNow(c.pid, launch(fid, ids(offers...), nil, commandTask("across", offers[0], "cpus:1;mem:128")))
	check("across agents", "Aggregated offers must belong to one single agent")

	// Both agents' resources come back, unfiltered, at the next run.
	c.advance(time.Second)
	again := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()
	if len(again) != 2 {
		t.Fatalf("re-offered %d", len(again))
	}
	s.SendNow(c.pid, launch(fid, ids(again[0], again[0]), nil, commandTask("dup", again[0], "cpus:1;mem:128")))
	check("duplicate offer", "Duplicate offer")

	s.SendNow(c.pid, launch(fid, []*mesos.OfferID{{Value: proto.String("nope")}}, nil, commandTask("gone", again[1], "cpus:1;mem:128")))
	check("unknown offer", "is no longer valid")
}

func TestPartitionAwareInvalidOffersDropTasks(t *testing.T) {
	c := newCluster(t, nil)
	c.addAgent("cpus:2;mem:1024")
	info := frameworkInfo("pa")
	info.Capabilities = []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE.Enum()}}
	s, fid := c.subscribe(info)
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	s.SendNow(c.pid, launch(fid, ids(o, o), nil, commandTask("dup", o, "cpus:1")))
	if st := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_DROPPED {
		t.Fatalf("state %v, want TASK_DROPPED", st.GetState())
	}
}

func TestInvalidTasksGetTaskError(t *testing.T) {
	c := newCluster(t, nil)
	_, agentID := c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]

	noRes := commandTask("nores", o, "cpus:1")
	noRes.Resources = nil
	both := commandTask("both", o, "cpus:0.5;mem:64")
	both.Executor = &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("e")}, Command: &mesos.CommandInfo{Value: proto.String("x")}}
	tooBig := commandTask("toobig", o, "cpus:64;mem:128")
	badID := commandTask("a/b", o, "cpus:0.5")
	wrongAgent := commandTask("wrongagent", o, "cpus:0.5")
	wrongAgent.SlaveId = slaveID("other")
	ok := commandTask("ok", o, "cpus:1;mem:128")
	dupe := commandTask("ok", o, "cpus:0.5;mem:64")
	exceeds := commandTask("exceeds", o, "cpus:1.5")
	noCmd := commandTask("neither", o, "cpus:0.1")
	noCmd.Command = nil

	s.SendNow(c.pid, launch(fid, ids(o), nil, noRes, both, tooBig, badID, wrongAgent, ok, dupe, exceeds, noCmd))
	want := map[string]string{
		"nores":      "Task uses no resources",
		"both":       "Task should have at least one (but not both) of CommandInfo or ExecutorInfo present",
		"toobig":     "Total resources cpus(allocated: *):64; mem(allocated: *):128 required by task and its executor is more than available",
		"a/b":        "Task has an invalid TaskID",
		"wrongagent": "Task uses invalid agent other while agent " + agentID + " is expected",
		"exceeds":    "more than available",
		"neither":    "Task should have at least one (but not both)",
	}
	got := map[string]*mesos.TaskStatus{}
	for len(got) < len(want)+1 { // +1: the duplicate "ok"
		st := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus()
		id := st.GetTaskId().GetValue()
		if id == "ok" {
			if !strings.Contains(st.GetMessage(), "Task has duplicate ID: ok") {
				t.Errorf("duplicate: %q", st.GetMessage())
			}
			id = "ok-dupe"
		}
		got[id] = st
	}
	for id, w := range want {
		st := got[id]
		if st == nil {
			t.Errorf("%s: no update", id)
			continue
		}
		if st.GetState() != mesos.TaskState_TASK_ERROR || st.GetReason() != mesos.TaskStatus_REASON_TASK_INVALID ||
			st.GetSource() != mesos.TaskStatus_SOURCE_MASTER || len(st.GetUuid()) != 0 {
			t.Errorf("%s: %v %v %v", id, st.GetState(), st.GetReason(), st.GetSource())
		}
		if !strings.Contains(st.GetMessage(), w) {
			t.Errorf("%s: message %q, want %q", id, st.GetMessage(), w)
		}
	}
	// The valid task was launched.
	c.inspect(func(p *Core) {
		if p.frameworks[fid].tasks["ok"] == nil || len(p.frameworks[fid].tasks) != 1 {
			t.Errorf("tasks %v", p.frameworks[fid].tasks)
		}
	})
}

func TestExecutorResourcesCharged(t *testing.T) {
	c := newCluster(t, nil)
	a, _ := c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	exec := &mesos.ExecutorInfo{
		ExecutorId: &mesos.ExecutorID{Value: proto.String("e1")},
		Command:    &mesos.CommandInfo{Value: proto.String("exec")},
		Resources:  resources.MustParse("cpus:0.5;mem:64"),
	}
	t1 := commandTask("t1", o, "cpus:1;mem:128")
	t1.Command, t1.Executor = nil, exec
	t2 := commandTask("t2", o, "cpus:0.5;mem:128")
	t2.Command, t2.Executor = nil, proto.Clone(exec).(*mesos.ExecutorInfo)
	// t3 would fit only if the executor were charged twice.
	t3 := commandTask("t3", o, "cpus:0.5;mem:128")
	t3.Command, t3.Executor = nil, proto.Clone(exec).(*mesos.ExecutorInfo)
	s.SendNow(c.pid, launch(fid, ids(o), nil, t1, t2, t3))
	r1 := actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	r2 := actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	if !r1.GetLaunchExecutor() || r2.GetLaunchExecutor() {
		t.Fatalf("launch_executor %v %v, want true then false", r1.GetLaunchExecutor(), r2.GetLaunchExecutor())
	}
	if r1.GetTask().GetExecutor().GetFrameworkId().GetValue() != fid {
		t.Fatalf("executor framework id not filled: %v", r1.GetTask().GetExecutor())
	}
	st := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus()
	if st.GetTaskId().GetValue() != "t3" || st.GetState() != mesos.TaskState_TASK_ERROR {
		t.Fatalf("t3: %v", st)
	}
	// A different ExecutorInfo under the same id is refused.
	c.advance(5 * time.Second)
	o2 := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	if len(o2.GetExecutorIds()) != 1 || o2.GetExecutorIds()[0].GetValue() != "e1" {
		t.Fatalf("offer executor_ids %v", o2.GetExecutorIds())
	}
	t4 := commandTask("t4", o2, "cpus:0.1;mem:32")
	t4.Command = nil
	t4.Executor = proto.Clone(exec).(*mesos.ExecutorInfo)
	t4.Executor.Name = proto.String("changed")
	s.SendNow(c.pid, launch(fid, ids(o2), nil, t4))
	st = actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus()
	if !strings.Contains(st.GetMessage(), "ExecutorInfo is not compatible") {
		t.Fatalf("t4: %q", st.GetMessage())
	}
}

func TestDeclineFilters(t *testing.T) {
	c := newCluster(t, nil)
	c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	d := call(fid, scheduler.Call_DECLINE)
	d.Decline = &scheduler.Call_Decline{OfferIds: ids(o), Filters: &mesos.Filters{RefuseSeconds: proto.Float64(10)}}
	s.SendNow(c.pid, d)
	for i := 0; i < 9; i++ {
		c.advance(time.Second)
		actortest.MustNone[*mesosinternal.ResourceOffersMessage](t, s, nil)
	}
	c.advance(time.Second)
	o = actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]

	// refuse_seconds 0: offered again at the next allocation.
	s.SendNow(c.pid, launch(fid, ids(o), &mesos.Filters{RefuseSeconds: proto.Float64(0)}))
	c.advance(time.Second)
	actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil)
}

func TestSuppressAndRevive(t *testing.T) {
	c := newCluster(t, nil)
	c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	s.SendNow(c.pid, call(fid, scheduler.Call_SUPPRESS))
	s.SendNow(c.pid, launch(fid, ids(o), &mesos.Filters{RefuseSeconds: proto.Float64(0)}))
	c.advance(time.Second)
	c.advance(time.Second)
	actortest.MustNone[*mesosinternal.ResourceOffersMessage](t, s, nil)
	s.SendNow(c.pid, &mesosinternal.ReviveOffersMessage{FrameworkId: frameworkID(fid)})
	actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil)
}

func TestKill(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID, s, fid, _ := c.runTask()

	s.SendNow(c.pid, &mesosinternal.KillTaskMessage{FrameworkId: frameworkID(fid), TaskId: &mesos.TaskID{Value: proto.String("t1")}})
	k := actortest.Must[*mesosinternal.KillTaskMessage](t, a, nil)
	if k.GetTaskId().GetValue() != "t1" || k.GetFrameworkId().GetValue() != fid {
		t.Fatalf("kill %v", k)
	}

	s.SendNow(c.pid, &mesosinternal.KillTaskMessage{FrameworkId: frameworkID(fid), TaskId: &mesos.TaskID{Value: proto.String("t2")}})
	st := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus()
	if st.GetTaskId().GetValue() != "t2" || st.GetState() != mesos.TaskState_TASK_LOST ||
		st.GetReason() != mesos.TaskStatus_REASON_RECONCILIATION || st.GetSource() != mesos.TaskStatus_SOURCE_MASTER {
		t.Fatalf("kill unknown: %v", st)
	}
	_ = agentID
}

func TestStatusUpdatesAndAcknowledgements(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID := c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	s.SendNow(c.pid, launch(fid, ids(o), &mesos.Filters{RefuseSeconds: proto.Float64(0)}, commandTask("t1", o, "cpus:1;mem:128")))
	actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	c.advance(time.Second)
	actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil) // the rest

	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "t1", mesos.TaskState_TASK_RUNNING, 1))
	u := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
	if u.GetPid() != a.PID().String() || u.GetUpdate().GetStatus().GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("forwarded %v", u)
	}
	s.SendNow(c.pid, &mesosinternal.StatusUpdateAcknowledgementMessage{
		SlaveId: slaveID(agentID), FrameworkId: frameworkID(fid), TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: actortest.FixedUUID(1),
	})
	ack := actortest.Must[*mesosinternal.StatusUpdateAcknowledgementMessage](t, a, nil)
	if string(ack.GetUuid()) != string(actortest.FixedUUID(1)) || ack.GetTaskId().GetValue() != "t1" {
		t.Fatalf("ack %v", ack)
	}

	// A terminal update frees the resources at once.
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "t1", mesos.TaskState_TASK_FINISHED, 2))
	actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
	c.inspect(func(p *Core) {
		if tk := p.frameworks[fid].tasks["t1"]; tk == nil || tk.GetState() != mesos.TaskState_TASK_FINISHED {
			t.Errorf("task %v, want kept as FINISHED until acknowledged", tk)
		}
	})
	c.advance(time.Second)
	// The framework still holds the previous leftover offer; the freed
	// task resources come as a new offer.
	free := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	if got := resources.Resources(free.GetResources()); !got.Equal(resources.MustParse("cpus:1;mem:128")) {
		t.Fatalf("freed %v", got)
	}
	// Acknowledging the terminal update completes the task.
	a2 := call(fid, scheduler.Call_ACKNOWLEDGE)
	a2.Acknowledge = &scheduler.Call_Acknowledge{SlaveId: slaveID(agentID), TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: actortest.FixedUUID(2)}
	s.SendNow(c.pid, a2)
	actortest.Must[*mesosinternal.StatusUpdateAcknowledgementMessage](t, a, nil)
	c.inspect(func(p *Core) {
		f := p.frameworks[fid]
		if f.tasks["t1"] != nil || f.completedTasks.get("t1") == nil {
			t.Errorf("task not completed: tasks %v", f.tasks)
		}
	})

	// Updates without a uuid or from unknown agents are ignored.
	bad := agentUpdate(a, agentID, fid, "t1", mesos.TaskState_TASK_RUNNING, 3)
	bad.Update.Uuid = nil
	a.SendNow(c.pid, bad)
	a.SendNow(c.pid, agentUpdate(a, "unknown", fid, "t1", mesos.TaskState_TASK_RUNNING, 4))
	c.settle()
	actortest.MustNone[*mesosinternal.StatusUpdateMessage](t, s, nil)
}

func TestReconciliation(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID, s, fid, _ := c.runTask()
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "t1", mesos.TaskState_TASK_RUNNING, 1))
	actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)

	// Implicit.
	s.SendNow(c.pid, &mesosinternal.ReconcileTasksMessage{FrameworkId: frameworkID(fid)})
	u := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
	st := u.GetUpdate().GetStatus()
	if st.GetTaskId().GetValue() != "t1" || st.GetState() != mesos.TaskState_TASK_RUNNING ||
		st.GetReason() != mesos.TaskStatus_REASON_RECONCILIATION || len(u.GetUpdate().GetUuid()) != 0 || u.Pid != nil {
		t.Fatalf("implicit %v", u)
	}
	// Explicit: known, unknown on a registered agent, unknown agent.
	r := call(fid, scheduler.Call_RECONCILE)
	r.Reconcile = &scheduler.Call_Reconcile{Tasks: []*scheduler.Call_Reconcile_Task{
		{TaskId: &mesos.TaskID{Value: proto.String("t1")}},
		{TaskId: &mesos.TaskID{Value: proto.String("t2")}, SlaveId: slaveID(agentID)},
		{TaskId: &mesos.TaskID{Value: proto.String("t3")}, SlaveId: slaveID("nowhere")},
	}}
	s.SendNow(c.pid, r)
	wantMsg := map[string]string{
		"t1": "Reconciliation: Latest task state",
		"t2": "Reconciliation: Task is unknown to the agent",
		"t3": "Reconciliation: Task is unknown",
	}
	for i := 0; i < 3; i++ {
		st := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus()
		id := st.GetTaskId().GetValue()
		wantState := mesos.TaskState_TASK_LOST
		if id == "t1" {
			wantState = mesos.TaskState_TASK_RUNNING
		}
		if st.GetState() != wantState || st.GetMessage() != wantMsg[id] {
			t.Errorf("%s: %v %q", id, st.GetState(), st.GetMessage())
		}
	}
}

func TestFrameworkMessages(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID := c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	s.SendNow(c.pid, &mesosinternal.FrameworkToExecutorMessage{
		SlaveId: slaveID(agentID), FrameworkId: frameworkID(fid), ExecutorId: &mesos.ExecutorID{Value: proto.String("e")}, Data: []byte("hi"),
	})
	if m := actortest.Must[*mesosinternal.FrameworkToExecutorMessage](t, a, nil); string(m.GetData()) != "hi" {
		t.Fatalf("to executor %v", m)
	}
	a.SendNow(c.pid, &mesosinternal.ExecutorToFrameworkMessage{
		SlaveId: slaveID(agentID), FrameworkId: frameworkID(fid), ExecutorId: &mesos.ExecutorID{Value: proto.String("e")}, Data: []byte("yo"),
	})
	if m := actortest.Must[*mesosinternal.ExecutorToFrameworkMessage](t, s, nil); string(m.GetData()) != "yo" {
		t.Fatalf("to framework %v", m)
	}
}

func TestExitedExecutor(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID := c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	task := commandTask("t1", o, "cpus:1;mem:128")
	task.Command = nil
	task.Executor = &mesos.ExecutorInfo{
		ExecutorId: &mesos.ExecutorID{Value: proto.String("e1")},
		Command:    &mesos.CommandInfo{Value: proto.String("exec")},
		Resources:  resources.MustParse("cpus:0.5;mem:64"),
	}
	s.SendNow(c.pid, launch(fid, ids(o), &mesos.Filters{RefuseSeconds: proto.Float64(0)}, task))
	actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	c.advance(time.Second)
	actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil)
	a.SendNow(c.pid, &mesosinternal.ExitedExecutorMessage{SlaveId: slaveID(agentID), FrameworkId: frameworkID(fid), ExecutorId: &mesos.ExecutorID{Value: proto.String("e1")}, Status: proto.Int32(1)})
	if m := actortest.Must[*mesosinternal.ExitedExecutorMessage](t, s, nil); m.GetExecutorId().GetValue() != "e1" {
		t.Fatalf("exited %v", m)
	}
	c.advance(time.Second)
	free := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	if got := resources.Resources(free.GetResources()); !got.Equal(resources.MustParse("cpus:0.5;mem:64")) {
		t.Fatalf("executor resources recovered %v", got)
	}
}
