package master

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
)

// stored reports the registry ops among effects stored, and returns the
// other effects followed by what the core did once they were (and so on,
// for ops that those caused).
func stored(t *testing.T, c *Core, now time.Time, effects []effect.Effect) []effect.Effect {
	t.Helper()
	var out []effect.Effect
	var last uint64
	for _, e := range effects {
		if r, ok := e.(RegistryApply); ok {
			last = r.Seq
			continue
		}
		out = append(out, e)
	}
	if last == 0 {
		return out
	}
	return append(out, stored(t, c, now, c.RegistryApplied(now, last, nil))...)
}

// Every change the master must not forget is written before the master
// acts on it: the change's RegistryApply comes out alone (or with what
// does not depend on it), and the answer only once RegistryApplied says
// it is stored.
func TestCoreRegistrarWritesBeforeActing(t *testing.T) {
	agentReg := func() *mesosinternal.RegisterSlaveMessage {
		return &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:2;mem:1024"), Version: proto.String("1.11.0")}
	}
	withID := func(id string) *mesos.SlaveInfo {
		info := agentInfo("cpus:2;mem:1024")
		info.Id = slaveID(id)
		return info
	}
	sentTo := func(pid actors.PID, typ proto.Message) func(effect.Effect) bool {
		return func(e effect.Effect) bool {
			s, ok := e.(effect.Send)
			return ok && s.To == pid && proto.MessageName(s.Msg) == proto.MessageName(typ)
		}
	}
	at := t0.Add(time.Minute)
	cases := []struct {
		name   string
		cfg    func(*Config)
		setup  func(t *testing.T, c *Core)
		act    func(c *Core) []effect.Effect
		op     RegistryOp
		answer func(effect.Effect) bool // what waits for the write
	}{{
		name:   "registration",
		act:    func(c *Core) []effect.Effect { return c.Receive(at, agentPID, agentReg()) },
		op:     AdmitSlave{Info: withID(testAgent)},
		answer: sentTo(agentPID, &mesosinternal.SlaveRegisteredMessage{}),
	}, {
		name: "unregistration",
		setup: func(t *testing.T, c *Core) {
			register(t, c, frameworkInfo("f"))
			registerAgent(t, c, "cpus:2;mem:1024")
		},
		act: func(c *Core) []effect.Effect {
			return c.Receive(at, agentPID, &mesosinternal.UnregisterSlaveMessage{SlaveId: slaveID(testAgent)})
		},
		op:     RemoveSlave{ID: testAgent},
		answer: sentTo(schedPID, &mesosinternal.LostSlaveMessage{}),
	}, {
		name: "marking unreachable",
		cfg:  func(cfg *Config) { cfg.MaxAgentPingTimeouts = 1 },
		setup: func(t *testing.T, c *Core) {
			register(t, c, frameworkInfo("f"))
			registerAgent(t, c, "cpus:2;mem:1024")
		},
		act:    func(c *Core) []effect.Effect { return c.Timer(at, "ping/"+testAgent) },
		op:     MarkSlaveUnreachable{Info: withID(testAgent), Time: at},
		answer: sentTo(schedPID, &mesosinternal.LostSlaveMessage{}),
	}, {
		name: "an unreachable agent reregisters",
		cfg:  func(cfg *Config) { cfg.MaxAgentPingTimeouts = 1 },
		setup: func(t *testing.T, c *Core) {
			registerAgent(t, c, "cpus:2;mem:1024")
			stored(t, c, t0, c.Timer(t0, "ping/"+testAgent))
			if c.unreachable[testAgent] == nil {
				t.Fatal("not unreachable")
			}
		},
		act: func(c *Core) []effect.Effect {
			return c.Receive(at, agentPID, &mesosinternal.ReregisterSlaveMessage{Slave: withID(testAgent), Version: proto.String("1.11.0")})
		},
		op:     MarkSlaveReachable{Info: withID(testAgent)},
		answer: sentTo(agentPID, &mesosinternal.SlaveReregisteredMessage{}),
	}, {
		name: "an unknown agent reregisters",
		act: func(c *Core) []effect.Effect {
			return c.Receive(at, agentPID, &mesosinternal.ReregisterSlaveMessage{Slave: withID("old-S3"), Version: proto.String("1.11.0")})
		},
		op:     MarkSlaveReachable{Info: withID("old-S3")},
		answer: sentTo(agentPID, &mesosinternal.SlaveReregisteredMessage{}),
	}, {
		name:  "a registered agent reregisters with a new SlaveInfo",
		setup: func(t *testing.T, c *Core) { registerAgent(t, c, "cpus:2;mem:1024") },
		act: func(c *Core) []effect.Effect {
			info := withID(testAgent)
			info.Attributes = []*mesos.Attribute{{Name: proto.String("rack"), Type: mesos.Value_TEXT.Enum(), Text: &mesos.Value_Text{Value: proto.String("r1")}}}
			return c.Receive(at, agentPID, &mesosinternal.ReregisterSlaveMessage{Slave: info, Version: proto.String("1.11.0")})
		},
		op: func() RegistryOp {
			info := withID(testAgent)
			info.Attributes = []*mesos.Attribute{{Name: proto.String("rack"), Type: mesos.Value_TEXT.Enum(), Text: &mesos.Value_Text{Value: proto.String("r1")}}}
			return UpdateSlave{Info: info}
		}(),
		answer: sentTo(agentPID, &mesosinternal.SlaveReregisteredMessage{}),
	}, {
		name:  "marking gone",
		setup: func(t *testing.T, c *Core) { registerAgent(t, c, "cpus:2;mem:1024") },
		act: func(c *Core) []effect.Effect {
			got, err := c.MarkAgentGone(at, testAgent)
			if err != nil {
				t.Fatal(err)
			}
			return got
		},
		op:     MarkSlaveGone{ID: testAgent, Time: at},
		answer: sentTo(agentPID, &mesosinternal.ShutdownMessage{}),
	}, {
		name: "weights",
		act: func(c *Core) []effect.Effect {
			got, err := c.UpdateWeights(at, []*mesos.WeightInfo{{Role: proto.String("web"), Weight: proto.Float64(2)}})
			if err != nil {
				t.Fatal(err)
			}
			return got
		},
		op:     UpdateWeights{Weights: []*mesos.WeightInfo{{Role: proto.String("web"), Weight: proto.Float64(2)}}},
		answer: func(e effect.Effect) bool { _, ok := e.(AllocUpdateWeights); return ok },
	}, {
		name: "quota",
		act: func(c *Core) []effect.Effect {
			got, err := c.SetQuota(at, &mesos.QuotaRequest{Role: proto.String("web"), Force: proto.Bool(true), Guarantee: resources.MustParse("cpus:1")})
			if err != nil {
				t.Fatal(err)
			}
			return got
		},
		op:     UpdateQuota{Role: "web", Config: quotaConfig("web", allocator.Quota{Guarantees: allocator.Quantities{"cpus": 1}, Limits: allocator.Quantities{"cpus": 1}})},
		answer: func(e effect.Effect) bool { _, ok := e.(AllocUpdateQuota); return ok },
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t, tc.cfg)
			if tc.setup != nil {
				tc.setup(t, c)
			}
			got := tc.act(c)
			var apply *RegistryApply
			for _, e := range got {
				if tc.answer(e) {
					t.Fatalf("answered before the write was stored: %s", describe(e))
				}
				if r, ok := e.(RegistryApply); ok {
					if apply != nil {
						t.Fatalf("two writes: %s and %s", apply, r)
					}
					apply = &r
				}
			}
			if apply == nil {
				t.Fatalf("no registry write in %v", describeAll(got))
			}
			if !proto.Equal(registryOf(apply.Op), registryOf(tc.op)) || apply.Op.String() != tc.op.String() {
				t.Fatalf("wrote %s, want %s", apply.Op, tc.op)
			}
			// While an agent's (re)registration is written, a registration
			// from its address is dropped.
			pending := map[string]bool{"registration": true, "an unreachable agent reregisters": true, "an unknown agent reregisters": true}
			if got := c.Receive(at, agentPID, agentReg()); pending[tc.name] && len(got) != 0 {
				t.Fatalf("a registration while the write is pending: %v", describeAll(got))
			}
			answered := false
			for _, e := range c.RegistryApplied(at, apply.Seq, nil) {
				answered = answered || tc.answer(e)
			}
			if !answered {
				t.Fatal("no answer once the write was stored")
			}
		})
	}
}

// registryOf is the registry op leaves when applied to an empty one.
func registryOf(op RegistryOp) *mesosinternal.Registry {
	r := &mesosinternal.Registry{}
	op.Apply(r)
	return r
}

// A failed store ends leadership: the core says so once, forgets what
// waited for the write, and drops every later event.
func TestCoreRegistrarFailureStopsTheCore(t *testing.T) {
	c := newCore(t, nil)
	register(t, c, frameworkInfo("f"))
	got := c.Receive(t0, agentPID, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:2;mem:1024"), Version: proto.String("1.11.0")})
	if len(got) != 1 {
		t.Fatalf("registration: %v", describeAll(got))
	}
	expect(t, "store failed", c.RegistryApplied(t0, 1, registry.ErrNotLeader), []effect.Effect{LeadershipLost{Err: registry.ErrNotLeader}})
	if !errors.Is(c.LostLeadership(), registry.ErrNotLeader) || c.Recovered() {
		t.Fatalf("after the failure: lost %v, recovered %v", c.LostLeadership(), c.Recovered())
	}
	expect(t, "stored after all", c.RegistryApplied(t0, 1, nil), nil)
	if len(c.agents) != 0 {
		t.Fatal("the agent was admitted after the failure")
	}
	expect(t, "message", c.Receive(t0, schedPID, &mesosinternal.ReviveOffersMessage{FrameworkId: frameworkID(testFID)}), nil)
	expect(t, "timer", c.Timer(t0.Add(time.Hour), "registry/gc"), nil)
	expect(t, "exited", c.Exited(t0, schedPID), nil)
	expect(t, "offer", c.Offer(t0, testFID, allocator.Offers{}), nil)
	for name, call := range map[string]func() error{
		"weights":   func() error { _, err := c.UpdateWeights(t0, nil); return err },
		"quota":     func() error { _, err := c.SetQuota(t0, &mesos.QuotaRequest{Role: proto.String("web")}); return err },
		"remove":    func() error { _, err := c.RemoveQuota(t0, "web"); return err },
		"mark gone": func() error { _, err := c.MarkAgentGone(t0, testAgent); return err },
	} {
		if err := call(); kind(err) != Unavailable {
			t.Errorf("%s: %v, want Unavailable", name, err)
		}
	}
}

// A master recovers its registry: admitted agents are waited for,
// unreachable and gone ones remembered, weights and quota restored; it
// writes its MasterInfo and drops messages until that is stored.
func TestCoreRecoverFromRegistry(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Hostname, cfg.IP = "localhost", "127.0.0.1"
	cfg.Weights = "ignored=5"
	c, err := NewCore(cfg, testInfo(), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	old := withAgentID(agentInfo("cpus:2;mem:1024"), "old-S0")
	reg := &mesosinternal.Registry{}
	ApplyRegistryOps(reg,
		SetMaster{Info: &mesos.MasterInfo{Id: proto.String("old"), Ip: proto.Uint32(0), Port: proto.Uint32(5050)}},
		AdmitSlave{Info: old},
		AdmitSlave{Info: withAgentID(agentInfo("cpus:1;mem:512"), "old-S1")},
		MarkSlaveUnreachable{Info: withAgentID(agentInfo("cpus:1"), "old-S1"), Time: t0.Add(-time.Hour)},
		MarkSlaveGone{ID: "old-S2", Time: t0.Add(-2 * time.Hour)},
		UpdateWeights{Weights: []*mesos.WeightInfo{{Role: proto.String("web"), Weight: proto.Float64(3)}}},
		UpdateQuota{Role: "web", Config: quotaConfig("web", allocator.Quota{Guarantees: allocator.Quantities{"cpus": 1}, Limits: allocator.Quantities{"cpus": 2}})},
	)
	got, err := c.Recover(t0, reg)
	if err != nil {
		t.Fatal(err)
	}
	q := allocator.Quota{Guarantees: allocator.Quantities{"cpus": 1}, Limits: allocator.Quantities{"cpus": 2}}
	expect(t, "recover", got, []effect.Effect{
		AllocUpdateWeights{Weights: map[string]float64{"web": 3}},
		AllocUpdateQuota{Role: "web", Quota: q},
		RegistryApply{Seq: 1, Op: SetMaster{Info: testInfo()}},
	})
	expect(t, "message before the write", c.Receive(t0, schedPID, &mesosinternal.RegisterFrameworkMessage{Framework: frameworkInfo("f")}), nil)
	expect(t, "recovered", c.RegistryApplied(t0, 1, nil), []effect.Effect{
		effect.StartTimer{Key: "recovery/agents", After: DefaultAgentReregisterTimeout},
		effect.StartTimer{Key: "registry/gc", After: DefaultRegistryGCInterval},
	})
	v := c.View()
	if !c.Recovered() || fmt.Sprint(v.Recovered, v.Unreachable, v.Gone) != "[old-S0] [old-S1] [old-S2]" {
		t.Fatalf("recovered %v: %v %v %v", c.Recovered(), v.Recovered, v.Unreachable, v.Gone)
	}
	if c.weights["web"] != 3 || c.weights["ignored"] != 0 || c.quotas["web"].Limits["cpus"] != 2 {
		t.Fatalf("weights %v, quotas %v", c.weights, c.quotas)
	}

	// A registry this master cannot read is refused.
	c2, _ := NewCore(cfg, testInfo(), Deps{})
	if _, err := c2.Recover(t0, &mesosinternal.Registry{MinimumCapabilities: []*mesosinternal.Registry_MinimumCapability{{Capability: proto.String("AGENT_DRAINING_V9")}}}); err == nil {
		t.Fatal("recovered a registry that needs a capability this master lacks")
	}
	// With no weights in the registry, --weights are used and written.
	got, err = c2.Recover(t0, &mesosinternal.Registry{})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "flag weights", got, []effect.Effect{
		AllocUpdateWeights{Weights: map[string]float64{"ignored": 5}},
		RegistryApply{Seq: 1, Op: UpdateWeights{Weights: []*mesos.WeightInfo{{Role: proto.String("ignored"), Weight: proto.Float64(5)}}}},
		RegistryApply{Seq: 2, Op: SetMaster{Info: testInfo()}},
	})
}

func withAgentID(info *mesos.SlaveInfo, id string) *mesos.SlaveInfo {
	info.Id = slaveID(id)
	return info
}

// The registry's unreachable and gone lists are bounded: the oldest
// entries beyond registry_max_agent_count, and those older than
// registry_max_agent_age, are pruned from the registry and then from the
// master.
func TestCorePrunesTheRegistry(t *testing.T) {
	c := newCore(t, func(cfg *Config) {
		cfg.MaxAgentPingTimeouts = 1
		cfg.RegistryMaxAgentCount = 1
		cfg.RegistryMaxAgentAge = time.Hour
	})
	registerAgent(t, c, "cpus:2;mem:1024")
	stored(t, c, t0, c.Receive(t0, agent2PID, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:2;mem:1024"), Version: proto.String("1.11.0")}))
	got := c.Timer(t0, "ping/"+testAgent)
	got = append(got, c.RegistryApplied(t0, 3, nil)...)
	at := t0.Add(time.Minute)
	got = c.Timer(at, "ping/"+testAgent2)
	expect(t, "second marking", got, []effect.Effect{RegistryApply{Seq: 4, Op: MarkSlaveUnreachable{Info: c.agents[testAgent2].info, Time: at}}})
	got = c.RegistryApplied(at, 4, nil)
	expect(t, "prune the oldest", got[len(got)-1:], []effect.Effect{RegistryApply{Seq: 5, Op: Prune{Unreachable: []string{testAgent}}}})
	if v := c.View(); len(v.Unreachable) != 2 {
		t.Fatalf("pruned before the write: %v", v.Unreachable)
	}
	expect(t, "pruned", c.RegistryApplied(at, 5, nil), nil)
	if v := c.View(); fmt.Sprint(v.Unreachable) != "[m1-S1]" {
		t.Fatalf("unreachable after the prune: %v", v.Unreachable)
	}
	// Age: the gc timer prunes what is older than an hour.
	later := at.Add(2 * time.Hour)
	expect(t, "gc", c.Timer(later, "registry/gc"), []effect.Effect{
		RegistryApply{Seq: 6, Op: Prune{Unreachable: []string{testAgent2}}},
		effect.StartTimer{Key: "registry/gc", After: DefaultRegistryGCInterval},
	})
	c.RegistryApplied(later, 6, nil)
	if v := c.View(); len(v.Unreachable) != 0 {
		t.Fatalf("unreachable after the gc: %v", v.Unreachable)
	}
}

func TestRegistryOps(t *testing.T) {
	a := withAgentID(agentInfo("cpus:1"), "a")
	r := &mesosinternal.Registry{}
	at := t0
	ops := []RegistryOp{
		AdmitSlave{Info: a}, AdmitSlave{Info: a},
		MarkSlaveUnreachable{Info: a, Time: at}, MarkSlaveUnreachable{Info: a, Time: at},
		MarkSlaveReachable{Info: a},
		MarkSlaveGone{ID: "a", Time: at}, MarkSlaveGone{ID: "a", Time: at},
		MarkSlaveUnreachable{Info: withAgentID(agentInfo("cpus:1"), "b"), Time: at},
		UpdateWeights{Weights: []*mesos.WeightInfo{{Role: proto.String("web"), Weight: proto.Float64(2)}}},
		UpdateWeights{Weights: []*mesos.WeightInfo{{Role: proto.String("web"), Weight: proto.Float64(4)}}},
		UpdateQuota{Role: "web", Config: quotaConfig("web", allocator.Quota{Guarantees: allocator.Quantities{"cpus": 1}})},
	}
	ApplyRegistryOps(r, ops...)
	if n := len(r.GetSlaves().GetSlaves()); n != 0 {
		t.Errorf("admitted %d", n)
	}
	if g := r.GetGone().GetSlaves(); len(g) != 1 || g[0].GetId().GetValue() != "a" || g[0].GetTimestamp().GetNanoseconds() != at.UnixNano() {
		t.Errorf("gone %v", g)
	}
	if u := r.GetUnreachable().GetSlaves(); len(u) != 1 || u[0].GetId().GetValue() != "b" {
		t.Errorf("unreachable %v", u)
	}
	if w := r.GetWeights(); len(w) != 1 || w[0].GetInfo().GetWeight() != 4 {
		t.Errorf("weights %v", w)
	}
	if len(r.GetQuotaConfigs()) != 1 || len(r.GetMinimumCapabilities()) != 1 {
		t.Errorf("quota %v, capabilities %v", r.GetQuotaConfigs(), r.GetMinimumCapabilities())
	}
	ApplyRegistryOps(r, UpdateQuota{Role: "web"}, Prune{Unreachable: []string{"b"}, Gone: []string{"a"}}, RemoveSlave{ID: "nobody"})
	if len(r.GetQuotaConfigs()) != 0 || len(r.GetMinimumCapabilities()) != 0 || len(r.GetUnreachable().GetSlaves()) != 0 || len(r.GetGone().GetSlaves()) != 0 {
		t.Errorf("after removing: %v", r)
	}
}

func kind(err error) RequestErrorKind {
	var re *RequestError
	if !errors.As(err, &re) {
		return -1
	}
	return re.Kind
}
