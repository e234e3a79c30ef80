package allocator

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// The allocator scenarios of the reference's section 8.6 and more of
// Mesos' HierarchicalAllocatorTest, driven on the core with explicit time.

// agentCaps are the capabilities of a current agent (Mesos' tests'
// AGENT_CAPABILITIES()).
var agentCaps = []mesos.SlaveInfo_Capability_Type{
	mesos.SlaveInfo_Capability_MULTI_ROLE,
	mesos.SlaveInfo_Capability_HIERARCHICAL_ROLE,
	mesos.SlaveInfo_Capability_RESERVATION_REFINEMENT,
}

func addCapableAgent(c *Core, id, text string) {
	c.AddSlave(id, &mesos.SlaveInfo{Hostname: proto.String(id)}, agentCaps, res(text), nil)
}

// expectOnly checks that a run made exactly one offer: agent to
// framework in role, with want (no allocation info).
func expectOnly(t *testing.T, out map[string]Offers, framework, role, agent, want string) {
	t.Helper()
	if len(out) != 1 || len(out[framework]) != 1 || len(out[framework][role]) != 1 {
		t.Fatalf("offers %v, want only %s/%s on %s", granted(out), framework, role, agent)
	}
	got := out[framework][role][agent]
	if got == nil || !got.Unallocate().Equal(res(want)) {
		t.Fatalf("%s got %v on %s, want %s", framework, granted(out), agent, want)
	}
	for _, r := range got {
		if r.GetAllocationInfo().GetRole() != role {
			t.Fatalf("resource %v lacks allocation role %s", r, role)
		}
	}
}

// #54 UnreservedDRF: agents go fw1, fw2, fw2, fw3, fw2.
func TestScenarioUnreservedDRF(t *testing.T) {
	c := newCore(t, "")
	c.AddFramework("fw1", fw("role1"), nil, true, FrameworkOptions{})
	addAgent(c, "agent1", "cpus:2;mem:1024;disk:0")
	expectOnly(t, c.Allocate(t0, []string{"agent1"}), "fw1", "role1", "agent1", "cpus:2;mem:1024")

	c.AddFramework("fw2", fw("role2"), nil, true, FrameworkOptions{})
	addAgent(c, "agent2", "cpus:1;mem:512;disk:0")
	expectOnly(t, c.Allocate(t0, []string{"agent2"}), "fw2", "role2", "agent2", "cpus:1;mem:512")

	// role1 share 0.33 (cpus 2/3) > role2 0.16 (mem 512/3072).
	addAgent(c, "agent3", "cpus:3;mem:2048;disk:0")
	expectOnly(t, c.Allocate(t0, []string{"agent3"}), "fw2", "role2", "agent3", "cpus:3;mem:2048")

	// role1 0.2 < role2 0.4; within role1 fw3 has nothing.
	c.AddFramework("fw3", fw("role1"), nil, true, FrameworkOptions{})
	addAgent(c, "agent4", "cpus:4;mem:4096;disk:0")
	expectOnly(t, c.Allocate(t0, []string{"agent4"}), "fw3", "role1", "agent4", "cpus:4;mem:4096")

	// role2 (0.36) is below role1 (0.63) even though fw4 has nothing.
	c.AddFramework("fw4", fw("role1"), nil, true, FrameworkOptions{})
	addAgent(c, "agent5", "cpus:1;mem:512;disk:0")
	expectOnly(t, c.Allocate(t0, []string{"agent5"}), "fw2", "role2", "agent5", "cpus:1;mem:512")
}

// ReservedDRF: reservations go to their role whatever the shares.
func TestScenarioReservedDRF(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "s1", "cpus:1;mem:512;disk:0;cpus(role1):100;mem(role1):1024;disk(role1):0")
	c.AddFramework("fw1", fw("role1"), nil, true, FrameworkOptions{})
	expectOnly(t, c.Allocate(t0, nil), "fw1", "role1", "s1", "cpus:1;mem:512;cpus(role1):100;mem(role1):1024")

	c.AddFramework("fw2", fw("role2"), nil, true, FrameworkOptions{})
	addAgent(c, "s2", "cpus:2;mem:512;disk:0")
	expectOnly(t, c.Allocate(t0, []string{"s2"}), "fw2", "role2", "s2", "cpus:2;mem:512")
	addAgent(c, "s3", "cpus:2;mem:512;disk:0")
	expectOnly(t, c.Allocate(t0, []string{"s3"}), "fw2", "role2", "s3", "cpus:2;mem:512")

	// role1's share is far higher, but s4 is reserved to it.
	c.AddFramework("fw3", fw("role1"), nil, true, FrameworkOptions{})
	addAgent(c, "s4", "cpus(role1):2;mem(role1):1024;disk(role1):0")
	expectOnly(t, c.Allocate(t0, []string{"s4"}), "fw3", "role1", "s4", "cpus(role1):2;mem(role1):1024")
}

// NestedRoleDRF: shares are compared level by level.
func TestScenarioNestedRoleDRF(t *testing.T) {
	c := newCore(t, "")
	addCapableAgent(c, "s1", "cpus:2;mem:1024;disk:0")
	c.AddFramework("fw1", fw("a/b"), nil, true, FrameworkOptions{})
	expectOnly(t, c.Allocate(t0, nil), "fw1", "a/b", "s1", "cpus:2;mem:1024")

	// a holds everything: the next agent goes to d's subtree.
	c.AddFramework("fw2", fw("a/c"), nil, true, FrameworkOptions{})
	c.AddFramework("fw3", fw("d/e"), nil, true, FrameworkOptions{})
	addCapableAgent(c, "s2", "cpus:1;mem:512;disk:0")
	expectOnly(t, c.Allocate(t0, []string{"s2"}), "fw3", "d/e", "s2", "cpus:1;mem:512")

	// a (0.4) > d (0.2): d again, and within d, f (nothing) before e.
	c.AddFramework("fw4", fw("d/f"), nil, true, FrameworkOptions{})
	addCapableAgent(c, "s3", "cpus:2;mem:1024;disk:0")
	expectOnly(t, c.Allocate(t0, []string{"s3"}), "fw4", "d/f", "s3", "cpus:2;mem:1024")

	// Hierarchical roles are never offered agents that are not
	// HIERARCHICAL_ROLE capable.
	addAgent(c, "old", "cpus:1;mem:512")
	if out := c.Allocate(t0, []string{"old"}); len(out) != 0 {
		t.Fatalf("old agent offered to nested roles: %v", granted(out))
	}
}

// #55 OfferFilter: refused for two intervals; the metric counts it.
func TestScenarioOfferFilter(t *testing.T) {
	c := newCore(t, "")
	c.AddFramework("fw", fw("role"), nil, true, FrameworkOptions{})
	addAgent(c, "agent", "cpus:1;mem:512;disk:0")
	out := c.Allocate(t0, nil)
	expectOnly(t, out, "fw", "role", "agent", "cpus:1;mem:512")
	interval := c.Options().AllocationInterval
	c.RecoverResources(t0, "fw", "agent", out["fw"]["role"]["agent"], &mesos.Filters{RefuseSeconds: proto.Float64((2 * interval).Seconds())})
	if n := c.Stats(t0).Filters["role"]; n != 1 {
		t.Fatalf("offer_filters/roles/role/active = %d, want 1", n)
	}
	if out := c.Allocate(t0.Add(interval), nil); len(out) != 0 {
		t.Fatalf("offered after one interval: %v", granted(out))
	}
	expectOnly(t, c.Allocate(t0.Add(2*interval), nil), "fw", "role", "agent", "cpus:1;mem:512")
	if n := c.Stats(t0.Add(2 * interval)).Filters["role"]; n != 0 {
		t.Fatalf("offer_filters/roles/role/active = %d after expiry, want 0", n)
	}
}

// #56 SameShareFairness is TestSameShareFairnessAlternates; #58
// SuppressAndReviveOffers is TestSuppressAndRevive (core_test.go).

// CoarseGrained: one framework takes both agents; once it returns them,
// two frameworks in two roles get one each.
func TestScenarioCoarseGrained(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "s1", "cpus:2;mem:1024;disk:0")
	addAgent(c, "s2", "cpus:2;mem:1024;disk:0")
	c.AddFramework("fw1", fw("role1"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	if len(out["fw1"]["role1"]) != 2 {
		t.Fatalf("fw1 got %v, want both agents", granted(out))
	}
	for aid, r := range out["fw1"]["role1"] {
		c.RecoverResources(t0, "fw1", aid, r, nil)
	}
	c.AddFramework("fw2", fw("role2"), nil, true, FrameworkOptions{})
	out = c.Allocate(t0, nil)
	if len(out["fw1"]["role1"]) != 1 || len(out["fw2"]["role2"]) != 1 {
		t.Fatalf("got %v, want one agent each", granted(out))
	}
}

// #59 QuotaProvidesGuarantee: the quota role gets both agents; while it
// refuses the second, the non-quota role does not get it.
func TestScenarioQuotaProvidesGuarantee(t *testing.T) {
	c := newCore(t, "")
	c.AddFramework("fw1", fw("quota-role"), nil, true, FrameworkOptions{})
	c.UpdateQuota("quota-role", Quota{Guarantees: Quantities{"cpus": 2, "mem": 1024}, Limits: Quantities{"cpus": 2, "mem": 1024}})
	c.AddFramework("fw2", fw("no-quota-role"), nil, true, FrameworkOptions{})
	if out := c.Allocate(t0, nil); len(out) != 0 {
		t.Fatalf("offers without agents: %v", granted(out))
	}
	addAgent(c, "agent1", "cpus:1;mem:512;disk:0")
	expectOnly(t, c.Allocate(t0, []string{"agent1"}), "fw1", "quota-role", "agent1", "cpus:1;mem:512")
	addAgent(c, "agent2", "cpus:1;mem:512;disk:0")
	out := c.Allocate(t0, []string{"agent2"})
	expectOnly(t, out, "fw1", "quota-role", "agent2", "cpus:1;mem:512")

	interval := c.Options().AllocationInterval
	c.RecoverResources(t0, "fw1", "agent2", out["fw1"]["quota-role"]["agent2"], &mesos.Filters{RefuseSeconds: proto.Float64((2 * interval).Seconds())})
	if out := c.Allocate(t0.Add(interval), nil); len(out) != 0 {
		t.Fatalf("agent2 given away while the guarantee is unmet: %v", granted(out))
	}
	expectOnly(t, c.Allocate(t0.Add(2*interval), nil), "fw1", "quota-role", "agent2", "cpus:1;mem:512")
}

// QuotaProvidesLimit: a zero limit gets nothing; a limit of half an
// agent gets half and the rest goes to others.
func TestScenarioQuotaProvidesLimit(t *testing.T) {
	c := newCore(t, "")
	c.AddFramework("fw1", fw("*"), nil, true, FrameworkOptions{})
	c.UpdateQuota("*", Quota{Limits: Quantities{"cpus": 0, "mem": 0, "disk": 0}})
	addAgent(c, "agent1", "cpus:2;mem:1024;disk:1024")
	if out := c.Allocate(t0, nil); len(out) != 0 {
		t.Fatalf("role with zero limits offered: %v", granted(out))
	}
	c.AddFramework("fw2", fw("no-quota-role"), nil, true, FrameworkOptions{})
	expectOnly(t, c.Allocate(t0, nil), "fw2", "no-quota-role", "agent1", "cpus:2;mem:1024;disk:1024")

	c.UpdateQuota("*", Quota{Limits: Quantities{"cpus": 1, "mem": 512, "disk": 512}})
	addAgent(c, "agent2", "cpus:2;mem:1024;disk:1024")
	out := c.Allocate(t0, []string{"agent2"})
	if g := granted(out); g["fw1"]["agent2"] != res("cpus:1;mem:512;disk:512").String() || g["fw2"]["agent2"] != res("cpus:1;mem:512;disk:512").String() {
		t.Fatalf("got %v, want half of agent2 each", g)
	}
}

// A role's quota limit caps it across agents and cycles.
func TestQuotaLimitAcrossAgents(t *testing.T) {
	c := newCore(t, "")
	c.AddFramework("fw1", fw("capped"), nil, true, FrameworkOptions{})
	c.UpdateQuota("capped", Quota{Limits: Quantities{"cpus": 3}})
	for i := 1; i <= 3; i++ {
		addAgent(c, fmt.Sprintf("a%d", i), "cpus:2;mem:1024")
	}
	out := c.Allocate(t0, nil)
	var cpus float64
	for _, r := range out["fw1"]["capped"] {
		cpus += r.Scalar("cpus")
	}
	if cpus != 3 {
		t.Fatalf("capped role got %v cpus, want 3: %v", cpus, granted(out))
	}
	if out := c.Allocate(t0, nil); ScalarQuantities(flatten(out))["cpus"] != 0 {
		t.Fatalf("second run gave more cpus: %v", granted(out))
	}
}

func flatten(out map[string]Offers) resources.Resources {
	var all resources.Resources
	for _, byRole := range out {
		for _, byAgent := range byRole {
			for _, r := range byAgent {
				all = all.Add(r)
			}
		}
	}
	return all
}

// UpdateWeight: 6 agents split 3/3, then 2/4 with role2's weight 2, then
// 1/2/3 when role3 arrives with weight 3.
func TestScenarioUpdateWeight(t *testing.T) {
	c := newCore(t, "")
	for i := 0; i < 6; i++ {
		addAgent(c, fmt.Sprintf("a%d", i), "cpus:2;mem:1024")
	}
	c.AddFramework("fw1", fw("role1"), nil, true, FrameworkOptions{})
	c.AddFramework("fw2", fw("role2"), nil, true, FrameworkOptions{})
	cycle := func(now time.Time, want map[string]int) {
		t.Helper()
		out := c.Allocate(now, nil)
		for fid, n := range want {
			got := 0
			for _, byAgent := range out[fid] {
				got += len(byAgent)
			}
			if got != n {
				t.Fatalf("%s got %d agents, want %d (%v)", fid, got, n, granted(out))
			}
		}
		recoverAll(c, now, out, nil)
	}
	cycle(t0, map[string]int{"fw1": 3, "fw2": 3})
	c.UpdateWeights(map[string]float64{"role2": 2})
	cycle(t0.Add(time.Second), map[string]int{"fw1": 2, "fw2": 4})
	c.UpdateWeights(map[string]float64{"role3": 3})
	c.AddFramework("fw3", fw("role3"), nil, true, FrameworkOptions{})
	cycle(t0.Add(2*time.Second), map[string]int{"fw1": 1, "fw2": 2, "fw3": 3})
}

// The DRF paper's example (reference §4.8): one agent of 9 CPUs and 18 GB;
// A's tasks need <1 CPU, 4 GB>, B's <3 CPU, 1 GB>; each framework takes one
// task per offer and returns the rest without a filter. A ends with 3
// tasks, B with 2, both at a dominant share of 2/3, 4 GB idle.
func TestScenarioDRFPaperExample(t *testing.T) {
	for _, sameRole := range []bool{false, true} {
		c := newCore(t, "cpus:0.01|mem:32")
		roleA, roleB := "a", "b"
		if sameRole {
			roleA, roleB = "*", "*"
		}
		addAgent(c, "agent", "cpus:9;mem:18432")
		c.AddFramework("A", fw(roleA), nil, true, FrameworkOptions{})
		c.AddFramework("B", fw(roleB), nil, true, FrameworkOptions{})
		task := map[string]resources.Resources{"A": res("cpus:1;mem:4096"), "B": res("cpus:3;mem:1024")}
		tasks := map[string]int{}
		idle := 0
		now := t0
		for cycle := 0; cycle < 50 && idle < 4; cycle++ {
			out := c.Allocate(now, nil)
			launched := false
			for fid, byRole := range out {
				for role, byAgent := range byRole {
					offer := byAgent["agent"]
					need := task[fid].Allocate(role)
					if offer.Contains(need) {
						tasks[fid]++
						launched = true
						c.RecoverResources(now, fid, "agent", offer.Subtract(need), &mesos.Filters{RefuseSeconds: proto.Float64(0)})
					} else {
						c.RecoverResources(now, fid, "agent", offer, &mesos.Filters{RefuseSeconds: proto.Float64(0)})
					}
				}
			}
			if launched {
				idle = 0
			} else {
				idle++
			}
			now = now.Add(time.Second)
		}
		if tasks["A"] != 3 || tasks["B"] != 2 {
			t.Fatalf("sameRole=%v: tasks %v, want A=3 B=2", sameRole, tasks)
		}
		if got := c.Available("agent"); !got.Equal(res("mem:4096")) {
			t.Fatalf("idle %v, want mem:4096", got)
		}
		if !sameRole {
			if a, b := c.RoleShare("a"), c.RoleShare("b"); a != b || a < 0.66 || a > 0.67 {
				t.Fatalf("shares a=%v b=%v, want both 2/3", a, b)
			}
		}
	}
}

// Mesos' Allocatable and FrameworkMinAllocatable: the framework's
// per-role offer_filters replace --min_allocatable_resources; an empty
// list accepts anything.
func TestFrameworkMinAllocatable(t *testing.T) {
	withFilter := func(role string, quantities ...map[string]float64) *mesos.FrameworkInfo {
		info := fw(role)
		mar := &mesos.OfferFilters_MinAllocatableResources{}
		for _, q := range quantities {
			rq := &mesos.OfferFilters_ResourceQuantities{Quantities: map[string]*mesos.Value_Scalar{}}
			for k, v := range q {
				rq.Quantities[k] = &mesos.Value_Scalar{Value: proto.Float64(v)}
			}
			mar.Quantities = append(mar.Quantities, rq)
		}
		info.OfferFilters = map[string]*mesos.OfferFilters{role: {MinAllocatableResources: mar}}
		return info
	}
	c := newCore(t, "cpus:0.01|mem:32")
	addAgent(c, "small", "cpus:0.5;mem:128")
	c.AddFramework("picky", withFilter("r", map[string]float64{"cpus": 1}), nil, true, FrameworkOptions{})
	if out := c.Allocate(t0, nil); len(out) != 0 {
		t.Fatalf("picky framework offered less than it asked for: %v", granted(out))
	}
	addAgent(c, "tiny", "cpus:0.001;mem:1")
	c.AddFramework("easy", withFilter("s"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	if g := granted(out); g["easy"]["tiny"] == "" || g["easy"]["small"] == "" {
		t.Fatalf("empty minimum list must accept anything: %v", g)
	}
}

// MULTI_ROLE frameworks get one offer per role and only on MULTI_ROLE
// agents; GPU agents only go to GPU_RESOURCES frameworks.
func TestMultiRoleAndGPUs(t *testing.T) {
	c := newCore(t, "")
	multi := &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("m"), Roles: []string{"x", "y"},
		Capabilities: []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE.Enum()}}}
	c.AddFramework("m", multi, nil, true, FrameworkOptions{})
	addAgent(c, "old", "cpus:1;mem:512")
	if out := c.Allocate(t0, nil); len(out) != 0 {
		t.Fatalf("MULTI_ROLE framework offered an old agent: %v", granted(out))
	}
	addCapableAgent(c, "new1", "cpus:1;mem:512")
	addCapableAgent(c, "new2", "cpus:1;mem:512")
	out := c.Allocate(t0, nil)
	if len(out["m"]["x"]) != 1 || len(out["m"]["y"]) != 1 {
		t.Fatalf("want one agent per role, got %v", out["m"])
	}

	g := newCore(t, "")
	addAgent(g, "gpu", "cpus:1;mem:512;gpus:1")
	g.AddFramework("plain", fw("*"), nil, true, FrameworkOptions{})
	if out := g.Allocate(t0, nil); len(out) != 0 {
		t.Fatalf("GPU agent offered to a framework without GPU_RESOURCES: %v", granted(out))
	}
	g.AddFramework("gpu-fw", fw("*", mesos.FrameworkInfo_Capability_GPU_RESOURCES), nil, true, FrameworkOptions{})
	if out := g.Allocate(t0, nil); len(out["gpu-fw"]) != 1 {
		t.Fatalf("GPU framework not offered the GPU agent: %v", granted(out))
	}
}

func dynamic(role, principal string) *mesos.Resource_ReservationInfo {
	return &mesos.Resource_ReservationInfo{Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(), Role: proto.String(role), Principal: proto.String(principal)}
}

// RESERVE and UNRESERVE through UpdateAllocation: the agent's total
// changes, the reserved part is offered only to its role, quota
// consumption counts it, and unreserving gives it back to everyone.
func TestReserveAndUnreserve(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:4;mem:4096")
	c.AddFramework("web", fw("web"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	offered := out["web"]["web"]["a1"]
	unreserved := res("cpus:2;mem:1024").Allocate("web")
	reserved := unreserved.PushReservation(dynamic("web", "p"))
	c.UpdateAllocation("web", "a1", offered, []Conversion{{Consumed: unreserved, Converted: reserved}})
	if got := c.Total("a1"); !got.Equal(res("cpus:2;mem:3072").Add(reserved.Unallocate())) {
		t.Fatalf("total after RESERVE %v", got)
	}
	if got := c.Allocation("web", "a1"); !got.Equal(offered.Subtract(unreserved).Add(reserved)) {
		t.Fatalf("allocation after RESERVE %v", got)
	}
	// The framework returns everything; another role only sees the
	// unreserved part.
	c.RecoverResources(t0, "web", "a1", c.Allocation("web", "a1"), &mesos.Filters{RefuseSeconds: proto.Float64(1000)})
	c.AddFramework("batch", fw("batch"), nil, true, FrameworkOptions{})
	out = c.Allocate(t0.Add(time.Second), nil)
	if got := out["batch"]["batch"]["a1"].Unallocate(); !got.Equal(res("cpus:2;mem:3072")) {
		t.Fatalf("batch got %v, want only the unreserved part", got)
	}
	if n := c.roles.get("web"); n == nil || n.reserved.IsZero() {
		t.Fatal("the reservation does not count for role web")
	}
	// web's filter covers the whole agent's worth; once revived it
	// gets its reservation back.
	c.ReviveOffers("web", nil)
	out = c.Allocate(t0.Add(2*time.Second), nil)
	got := out["web"]["web"]["a1"]
	if !got.Equal(reserved) {
		t.Fatalf("web got %v, want its reservation %v", got, reserved)
	}
	// UNRESERVE: the resources become unreserved again.
	c.UpdateAllocation("web", "a1", got, []Conversion{{Consumed: got, Converted: got.PopReservation()}})
	if total := c.Total("a1"); !total.Equal(res("cpus:4;mem:4096")) {
		t.Fatalf("total after UNRESERVE %v", total)
	}
	if n := c.roles.get("web"); n != nil && !n.reserved.IsZero() {
		t.Fatal("role web still has reservations")
	}
	// An update for what the framework does not hold changes nothing.
	c.UpdateAllocation("web", "a1", res("cpus:100").Allocate("web"), []Conversion{{Consumed: res("cpus:100").Allocate("web"), Converted: res("cpus:100").Allocate("web").PushReservation(dynamic("web", "p"))}})
	if total := c.Total("a1"); !total.Equal(res("cpus:4;mem:4096")) {
		t.Fatalf("bogus update changed the total: %v", total)
	}
}

// The random sorters can be chosen; every agent is still offered.
func TestRandomSorters(t *testing.T) {
	c := NewCore(Options{AllocationInterval: time.Second, RoleSorter: "random", FrameworkSorter: "random", Seed: 7})
	for i := 0; i < 5; i++ {
		c.AddFramework(fmt.Sprintf("f%d", i), fw(fmt.Sprintf("r%d", i%2)), nil, true, FrameworkOptions{})
	}
	for i := 0; i < 20; i++ {
		addAgent(c, fmt.Sprintf("a%02d", i), "cpus:1;mem:128")
	}
	if n := countOffers(c.Allocate(t0, nil)); n != 20 {
		t.Fatalf("random sorters made %d offers, want 20", n)
	}
}

// --fair_sharing_excluded_resource_names: excluded resources do not
// count towards a role's share.
func TestFairnessExclusion(t *testing.T) {
	c := NewCore(Options{AllocationInterval: time.Second, FairnessExcludeResourceNames: []string{"gpus"}, Seed: 1})
	c.AddSlave("gpu", &mesos.SlaveInfo{Hostname: proto.String("gpu")}, nil, res("cpus:1;mem:512;gpus:4"), nil)
	c.AddFramework("g", fw("g", mesos.FrameworkInfo_Capability_GPU_RESOURCES), nil, true, FrameworkOptions{})
	c.Allocate(t0, nil)
	addAgent(c, "plain", "cpus:3;mem:1536")
	if s := c.RoleShare("g"); s != 0.25 {
		t.Fatalf("share of g = %v, want 0.25 (cpus only; gpus excluded)", s)
	}
}
