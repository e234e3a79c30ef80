package allocator

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
)

// TestSkippingSettledAgentsChangesNoOfferWide drives a skipping and a
// non-skipping core through the events the narrower test leaves out
// (allocation updates, agent capabilities and attributes, multi-role
// frameworks, role changes, per-role suppress and revive, quota limits,
// reservations) and requires the same offers from both.
func TestSkippingSettledAgentsChangesNoOfferWide(t *testing.T) {
	total := 0
	for seed := uint64(1); seed <= 300; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { total += wideSettledRuns(t, seed, 600) })
	}
	t.Logf("%d skipped", total)
}

func wideSettledRuns(t *testing.T, seed uint64, steps int) (skipped int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	mins, _ := ParseMinAllocatable("cpus:1|mem:512")
	opts := Options{AllocationInterval: time.Second, Seed: seed, FilterGPUResources: true, MinAllocatable: mins}
	skip, full := NewCore(opts), NewCore(opts)
	full.skipSettled = false
	both := func(f func(c *Core)) { f(skip); f(full) }
	texts := []string{
		"cpus:4;mem:2048;ports:[31000-31010]",
		"cpus:2;mem:4096",
		"cpus:1;mem:1024;cpus(a):1;mem(a):512",
		"cpus:2;mem:2048;gpus:1",
		"cpus:3;mem:3072;cpus(e):2;mem(e):1024",
		"cpus:1;mem:600",
	}
	capsets := [][]mesos.SlaveInfo_Capability_Type{
		agentCaps,
		{mesos.SlaveInfo_Capability_MULTI_ROLE},
		{mesos.SlaveInfo_Capability_HIERARCHICAL_ROLE},
		nil,
	}
	const nAgents = 16
	aid := func(i int) string { return fmt.Sprintf("a%02d", i) }
	add := func(i int) {
		txt := texts[i%len(texts)]
		cs := capsets[rng.IntN(len(capsets))]
		both(func(c *Core) {
			c.AddSlave(aid(i), &mesos.SlaveInfo{Hostname: proto.String(aid(i))}, cs, res(txt), nil)
		})
	}
	for i := 0; i < nAgents; i++ {
		add(i)
	}
	multi := func(roles ...string) *mesos.FrameworkInfo {
		info := fw("", mesos.FrameworkInfo_Capability_MULTI_ROLE)
		info.Role = nil
		info.Roles = roles
		return info
	}
	infos := map[string]*mesos.FrameworkInfo{
		"fa": fw("a"), "fb": fw("b"), "fc": fw("c/d"), "fg": fw("g", mesos.FrameworkInfo_Capability_GPU_RESOURCES),
		"fm": multi("a", "e"), "fe": fw("e"),
	}
	ids := []string{"fa", "fb", "fc", "fg", "fm", "fe"}
	added := map[string]bool{}
	now := t0
	for step := 0; step < steps; step++ {
		switch op := rng.IntN(24); {
		case op < 6:
			var cands []string
			if rng.IntN(4) == 0 {
				cands = []string{aid(rng.IntN(nAgents))}
			}
			a, b := skip.Allocate(now, cands), full.Allocate(now, cands)
			if !reflect.DeepEqual(offerList(a), offerList(b)) {
				t.Fatalf("step %d: skip\n%v\nfull\n%v", step, offerList(a), offerList(b))
			}
			skipped += skip.LastRun.Skipped
		case op < 11:
			a := aid(rng.IntN(nAgents))
			f, ok := randomHolder(rng, skip, ids, a)
			if !ok {
				continue
			}
			held := skip.Allocation(f, a)
			back := held
			if rng.IntN(2) == 0 {
				if x := held.Get("cpus"); !x.IsEmpty() {
					back = x
				}
			}
			var fl *mesos.Filters
			if rng.IntN(3) > 0 {
				fl = &mesos.Filters{RefuseSeconds: proto.Float64(float64(rng.IntN(10)))}
			}
			both(func(c *Core) { c.RecoverResources(now, f, a, back, fl) })
		case op < 12: // reserve: convert held unreserved cpus into a reservation
			a := aid(rng.IntN(nAgents))
			for _, f := range ids {
				held := skip.Allocation(f, a)
				if held.IsEmpty() {
					continue
				}
				role := held[0].GetAllocationInfo().GetRole()
				var cpu = held.Get("cpus")
				if cpu.IsEmpty() || !cpu.Unreserved().Equal(cpu) {
					continue
				}
				conv := []Conversion{{Consumed: cpu, Converted: cpu.PushReservation(dynamic(role, "p"))}}
				both(func(c *Core) { c.UpdateAllocation(f, a, held, conv) })
				break
			}
		case op < 14: // per-role suppress/revive
			f := ids[rng.IntN(len(ids))]
			roles := []string{[]string{"a", "e", "b"}[rng.IntN(3)]}
			if rng.IntN(2) == 0 {
				both(func(c *Core) { c.SuppressOffers(f, roles) })
			} else {
				both(func(c *Core) { c.ReviveOffers(f, roles) })
			}
		case op < 15:
			f := ids[rng.IntN(len(ids))]
			switch {
			case !added[f]:
				var o FrameworkOptions
				if rng.IntN(3) == 0 {
					o.SuppressedRoles = []string{"a"}
				}
				both(func(c *Core) { c.AddFramework(f, infos[f], nil, true, o) })
				added[f] = true
			case rng.IntN(5) == 0:
				both(func(c *Core) { c.RemoveFramework(f) })
				added[f] = false
			case skip.frameworks[f].active:
				both(func(c *Core) { c.DeactivateFramework(f) })
			default:
				both(func(c *Core) { c.ActivateFramework(f) })
			}
		case op < 16: // framework roles/caps change
			f := ids[rng.IntN(len(ids))]
			if !added[f] {
				continue
			}
			var info *mesos.FrameworkInfo
			switch rng.IntN(4) {
			case 0:
				info = multi([][]string{{"a"}, {"a", "e"}, {"e", "c/d"}, {"b"}}[rng.IntN(4)]...)
			case 1:
				info = fw("g", mesos.FrameworkInfo_Capability_GPU_RESOURCES)
			case 2:
				info = fw([]string{"a", "b", "e"}[rng.IntN(3)])
			default:
				info = fw("e", mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT)
			}
			infos[f] = info
			var o FrameworkOptions
			if rng.IntN(3) == 0 {
				o.SuppressedRoles = []string{"e"}
			}
			both(func(c *Core) { c.UpdateFramework(f, info, o) })
		case op < 17: // agent caps / attributes / total
			i := rng.IntN(nAgents)
			if skip.agents[aid(i)] == nil {
				continue
			}
			switch rng.IntN(3) {
			case 0:
				cs := capsets[rng.IntN(len(capsets))]
				both(func(c *Core) { c.UpdateSlave(aid(i), nil, cs, nil) })
			case 1:
				info := &mesos.SlaveInfo{Hostname: proto.String(aid(i)), Attributes: []*mesos.Attribute{{Name: proto.String("x"), Type: mesos.Value_TEXT.Enum(), Text: &mesos.Value_Text{Value: proto.String(fmt.Sprint(rng.IntN(3)))}}}}
				both(func(c *Core) { c.UpdateSlave(aid(i), info, nil, nil) })
			default:
				txt := texts[rng.IntN(len(texts))]
				both(func(c *Core) { c.UpdateSlave(aid(i), nil, nil, res(txt)) })
			}
		case op < 18:
			i := rng.IntN(nAgents)
			switch a := skip.agents[aid(i)]; {
			case a == nil:
				add(i)
			case rng.IntN(3) == 0:
				both(func(c *Core) { c.RemoveSlave(aid(i)) })
			case a.active:
				both(func(c *Core) { c.DeactivateSlave(aid(i)) })
			default:
				both(func(c *Core) { c.ActivateSlave(aid(i)) })
			}
		case op < 19:
			if rng.IntN(2) == 0 {
				q := Quota{}
				if rng.IntN(2) == 0 {
					q = Quota{Limits: Quantities{"cpus": 2}}
				}
				both(func(c *Core) { c.UpdateQuota("e", q) })
			} else {
				w := map[string]float64{"e": float64(1 + rng.IntN(3))}
				both(func(c *Core) { c.UpdateWeights(w) })
			}
		default:
			now = now.Add(time.Duration(rng.IntN(4)) * time.Second)
		}
	}
	return skipped
}
