package allocator

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// Runs that skip settled agents make the same offers, in the same order,
// as runs that visit every agent: two cores get the same random events,
// one of them never skipping, and every run's result must match.
func TestSkippingSettledAgentsChangesNoOffer(t *testing.T) {
	skipped := 0
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { skipped += sameRuns(t, seed, 400) })
	}
	t.Logf("%d agent visits skipped", skipped)
	if skipped == 0 {
		t.Fatal("no run skipped an agent: the test exercises nothing")
	}
}

func sameRuns(t *testing.T, seed uint64, steps int) (skipped int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	mins, err := ParseMinAllocatable("cpus:1|mem:512")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{AllocationInterval: time.Second, Seed: seed, FilterGPUResources: true, MinAllocatable: mins}
	skip, full := NewCore(opts), NewCore(opts)
	full.skipSettled = false
	both := func(f func(c *Core)) { f(skip); f(full) }

	agentTexts := []string{
		"cpus:4;mem:2048;ports:[31000-31010]",
		"cpus:2;mem:4096",
		"cpus:1;mem:1024;cpus(a):1;mem(a):512",
		"cpus:8;mem:1024;disk:100",
		"cpus:2;mem:2048;gpus:1",
		"cpus:3;mem:3072",
	}
	const nAgents = 24
	agentID := func(i int) string { return fmt.Sprintf("a%02d", i) }
	addAgent := func(i int) {
		txt := agentTexts[i%len(agentTexts)]
		both(func(c *Core) {
			c.AddSlave(agentID(i), &mesos.SlaveInfo{Hostname: proto.String(agentID(i))}, agentCaps, res(txt), nil)
		})
	}
	for i := 0; i < nAgents; i++ {
		addAgent(i)
	}
	picky := func(role string) *mesos.FrameworkInfo {
		info := fw(role)
		q := &mesos.OfferFilters_ResourceQuantities{Quantities: map[string]*mesos.Value_Scalar{"cpus": {Value: proto.Float64(2)}}}
		info.OfferFilters = map[string]*mesos.OfferFilters{role: {MinAllocatableResources: &mesos.OfferFilters_MinAllocatableResources{Quantities: []*mesos.OfferFilters_ResourceQuantities{q}}}}
		return info
	}
	infos := map[string]*mesos.FrameworkInfo{
		"fa1": fw("a"), "fa2": picky("a"), "fb": fw("b"),
		"fc": fw("c/d"), "fg": fw("g", mesos.FrameworkInfo_Capability_GPU_RESOURCES),
	}
	ids := []string{"fa1", "fa2", "fb", "fc", "fg"}
	for _, id := range ids[:3] {
		both(func(c *Core) { c.AddFramework(id, infos[id], nil, true, FrameworkOptions{}) })
	}
	added := map[string]bool{"fa1": true, "fa2": true, "fb": true}
	now := t0

	for step := 0; step < steps; step++ {
		switch op := rng.IntN(20); {
		case op < 5: // a run, over everybody or a few agents
			var cands []string
			if rng.IntN(4) == 0 {
				cands = []string{agentID(rng.IntN(nAgents)), agentID(rng.IntN(nAgents))}
			}
			a, b := skip.Allocate(now, cands), full.Allocate(now, cands)
			if full.LastRun.Skipped != 0 {
				t.Fatalf("step %d: the core that never skips skipped %d agents", step, full.LastRun.Skipped)
			}
			if !reflect.DeepEqual(offerList(a), offerList(b)) {
				t.Fatalf("step %d: skipping settled agents offered\n%v\nvisiting all offered\n%v", step, offerList(a), offerList(b))
			}
			skipped += skip.LastRun.Skipped
		case op < 10: // a framework gives back part of what it holds, perhaps with a filter
			aid := agentID(rng.IntN(nAgents))
			fid, ok := randomHolder(rng, skip, ids, aid)
			if !ok {
				continue
			}
			held := skip.Allocation(fid, aid)
			back := held
			switch rng.IntN(3) {
			case 0:
				if cpus := held.Get("cpus"); !cpus.IsEmpty() {
					back = cpus
				}
			case 1:
				if mem := held.Get("mem"); !mem.IsEmpty() {
					back = mem
				}
			}
			var f *mesos.Filters
			if rng.IntN(3) > 0 {
				f = &mesos.Filters{RefuseSeconds: proto.Float64(float64(rng.IntN(6)))}
			}
			both(func(c *Core) { c.RecoverResources(now, fid, aid, back, f) })
		case op < 11: // suppress or revive
			fid := ids[rng.IntN(len(ids))]
			if rng.IntN(2) == 0 {
				both(func(c *Core) { c.SuppressOffers(fid, nil) })
			} else {
				both(func(c *Core) { c.ReviveOffers(fid, nil) })
			}
		case op < 12: // deactivate, activate, add or remove a framework
			fid := ids[rng.IntN(len(ids))]
			switch {
			case !added[fid]:
				both(func(c *Core) { c.AddFramework(fid, infos[fid], nil, true, FrameworkOptions{}) })
				added[fid] = true
			case rng.IntN(5) == 0:
				both(func(c *Core) { c.RemoveFramework(fid) })
				added[fid] = false
			case skip.frameworks[fid].active:
				both(func(c *Core) { c.DeactivateFramework(fid) })
			default:
				both(func(c *Core) { c.ActivateFramework(fid) })
			}
		case op < 13: // an agent leaves, comes back, is deactivated or reactivated
			i := rng.IntN(nAgents)
			aid := agentID(i)
			switch a := skip.agents[aid]; {
			case a == nil:
				addAgent(i)
			case rng.IntN(3) == 0:
				both(func(c *Core) { c.RemoveSlave(aid) })
			case a.active:
				both(func(c *Core) { c.DeactivateSlave(aid) })
			default:
				both(func(c *Core) { c.ActivateSlave(aid) })
			}
		case op < 14: // an agent's total changes
			i := rng.IntN(nAgents)
			txt := agentTexts[rng.IntN(len(agentTexts))]
			both(func(c *Core) { c.UpdateSlave(agentID(i), nil, nil, res(txt)) })
		case op < 15: // a framework changes its offer filters
			fid := ids[rng.IntN(len(ids))]
			if added[fid] {
				info := proto.Clone(infos[fid]).(*mesos.FrameworkInfo)
				if info.OfferFilters != nil {
					info.OfferFilters = nil
				} else {
					info = picky(info.GetRole())
				}
				infos[fid] = info
				both(func(c *Core) { c.UpdateFramework(fid, info, FrameworkOptions{}) })
			}
		case op < 16: // quota and weights come and go
			if rng.IntN(2) == 0 {
				q := Quota{}
				if rng.IntN(2) == 0 {
					q = Quota{Guarantees: Quantities{"cpus": 3}, Limits: Quantities{"cpus": 6}}
				}
				both(func(c *Core) { c.UpdateQuota("b", q) })
			} else {
				w := map[string]float64{"a": float64(1 + rng.IntN(3))}
				both(func(c *Core) { c.UpdateWeights(w) })
			}
		default:
			now = now.Add(time.Duration(rng.IntN(3)) * time.Second)
		}
	}
	return skipped
}

// offerList is a run's result as a sorted list, resources in the order
// their entries come.
func offerList(out map[string]Offers) []string {
	var l []string
	for fid, byRole := range out {
		for role, byAgent := range byRole {
			for aid, r := range byAgent {
				l = append(l, fmt.Sprintf("%s/%s/%s: %v", fid, role, aid, resources.Resources(r)))
			}
		}
	}
	slices.Sort(l)
	return l
}
