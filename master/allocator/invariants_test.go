package allocator

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// Random event sequences on a small cluster, checking after every step:
//
//   - offered plus allocated plus free equals the total on every agent
//     (so nothing is offered twice);
//   - every grant goes to an active framework, in one of its roles, not
//     suppressed there, and not covered by one of its unexpired filters;
//   - a quota role whose framework takes anything gets its guarantee
//     before the agents' unreserved resources go elsewhere: after a run,
//     either its guarantee is met or nothing unreserved is free; and a
//     non-quota role only got unreserved resources if what stayed free
//     still covers every unmet guarantee.
func TestRandomEventInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomEvents(t, seed, 250) })
	}
}

type modelFilter struct {
	fid, role, agent string
	refused          resources.Resources
	expires          time.Time
}

func randomEvents(t *testing.T, seed uint64, steps int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	c := NewCore(Options{AllocationInterval: time.Second, Seed: seed, FilterGPUResources: true})
	now := t0
	agentTexts := []string{
		"cpus:4;mem:2048;ports:[31000-31010]",
		"cpus:2;mem:4096",
		"cpus:1;mem:1024;cpus(a):1;mem(a):512",
		"cpus:8;mem:1024;disk:100",
		"cpus:2;mem:2048;cpus(q):1",
	}
	var agents []string
	for i, txt := range agentTexts {
		id := fmt.Sprintf("a%d", i)
		agents = append(agents, id)
		c.AddSlave(id, &mesos.SlaveInfo{Hostname: proto.String(id)}, agentCaps, res(txt), nil)
	}
	type fwModel struct {
		role       string
		active     bool
		suppressed bool
	}
	fws := map[string]*fwModel{
		"fa1": {role: "a", active: true}, "fa2": {role: "a", active: true},
		"fb": {role: "b", active: true}, "fc": {role: "c/d", active: true},
		"fq": {role: "q", active: true},
	}
	ids := []string{"fa1", "fa2", "fb", "fc", "fq"}
	for _, id := range ids {
		c.AddFramework(id, fw(fws[id].role), nil, true, FrameworkOptions{})
	}
	guarantee := Quantities{"cpus": 6, "mem": 4096}
	c.UpdateQuota("q", Quota{Guarantees: guarantee})
	var filters []modelFilter
	grants, quotaChecks := 0, 0
	defer func() { t.Logf("grants %d quota checks %d", grants, quotaChecks) }()

	check := func(step int, what string) {
		t.Helper()
		for _, aid := range c.Agents() {
			a := c.agents[aid]
			sum := a.available
			for _, h := range a.allocated {
				sum = sum.Add(h.res.Unallocate())
			}
			if !sum.Equal(a.total) {
				t.Fatalf("step %d (%s): agent %s: free %v + held %v != total %v", step, what, aid, a.available, a.allocated, a.total)
			}
			if a.countsGood && (!a.counts.Equal(c.countVec(a.available)) || !a.scalars.Equal(c.scalarVec(a.available))) {
				t.Fatalf("step %d (%s): agent %s: cached quantities %v/%v of %v are stale", step, what, aid, a.counts, a.scalars, a.available)
			}
		}
	}
	freeUnreserved := func() Quantities {
		q := Quantities{}
		for _, aid := range c.Agents() {
			for k, v := range ScalarQuantities(c.agents[aid].available.Unreserved().NonRevocable()) {
				q[k] += v
			}
		}
		return q
	}
	consumedQ := func() Quantities {
		q := Quantities{}
		for _, aid := range c.Agents() {
			a := c.agents[aid]
			for k, v := range ScalarQuantities(a.total.Reserved("q")) {
				q[k] += v
			}
			fq, _ := a.allocated.get("fq")
			for k, v := range ScalarQuantities(fq.Unreserved()) {
				q[k] += v
			}
		}
		return q
	}

	for step := 0; step < steps; step++ {
		switch op := rng.IntN(14); {
		case op < 4: // an allocation run
			var cands []string
			if rng.IntN(3) == 0 {
				cands = []string{agents[rng.IntN(len(agents))]}
			}
			out := c.Allocate(now, cands)
			grants += countOffers(out)
			gotUnreservedElsewhere := Quantities{}
			for fid, byRole := range out {
				m := fws[fid]
				for role, byAgent := range byRole {
					if !m.active || m.suppressed || role != m.role {
						t.Fatalf("step %d: %s (active %v, suppressed %v, role %s) offered in role %s", step, fid, m.active, m.suppressed, m.role, role)
					}
					for aid, r := range byAgent {
						for _, f := range filters {
							if f.fid == fid && f.role == role && f.agent == aid && now.Before(f.expires) && f.refused.Contains(r.Unallocate()) {
								t.Fatalf("step %d: %s offered %v on %s despite a filter on %v", step, fid, r, aid, f.refused)
							}
						}
						if role != "q" {
							for k, v := range ScalarQuantities(r.Unallocate().Unreserved().NonRevocable()) {
								gotUnreservedElsewhere[k] += v
							}
						}
					}
				}
			}
			free, consumed := freeUnreserved(), consumedQ()
			fq := fws["fq"]
			fqFilters := slices.ContainsFunc(filters, func(f modelFilter) bool { return f.fid == "fq" && now.Before(f.expires) })
			if cands == nil && fq.active && !fq.suppressed && !fqFilters {
				quotaChecks++
				for k, g := range guarantee {
					if consumed[k]+1e-9 < g && free[k] > 1e-9 {
						t.Fatalf("step %d: quota role q has %v of %s (guarantee %v) while %v is free", step, consumed[k], k, g, free[k])
					}
				}
			}
			for k, v := range gotUnreservedElsewhere {
				unmet := max(0, guarantee[k]-consumed[k])
				if v > 0 && unmet > 0 && free[k]+1e-9 < unmet {
					t.Fatalf("step %d: other roles got %v %s leaving %v free for an unmet guarantee of %v", step, v, k, free[k], unmet)
				}
			}
			check(step, "allocate")
		case op < 9: // a framework returns (part of) what it holds
			aid := agents[rng.IntN(len(agents))]
			fid, ok := randomHolder(rng, c, ids, aid)
			if !ok {
				continue
			}
			held := c.Allocation(fid, aid)
			back := held
			if rng.IntN(2) == 0 {
				if cpus := held.Get("cpus"); !cpus.IsEmpty() {
					back = cpus
				}
			}
			var f *mesos.Filters
			if fid != "fq" && rng.IntN(2) == 0 {
				secs := float64(rng.IntN(4))
				f = &mesos.Filters{RefuseSeconds: proto.Float64(secs)}
				if d := RefuseTimeout(f, time.Second); d > 0 {
					for role, part := range back.Allocations() {
						filters = append(filters, modelFilter{fid, role, aid, part.Unallocate(), now.Add(d)})
					}
				}
			}
			c.RecoverResources(now, fid, aid, back, f)
			check(step, "recover")
		case op < 10: // suppress or revive
			fid := ids[rng.IntN(len(ids))]
			if rng.IntN(2) == 0 {
				c.SuppressOffers(fid, nil)
				fws[fid].suppressed = true
			} else {
				c.ReviveOffers(fid, nil)
				fws[fid].suppressed = false
				filters = slices.DeleteFunc(filters, func(f modelFilter) bool { return f.fid == fid })
			}
		case op < 11: // deactivate or activate
			fid := ids[rng.IntN(len(ids))]
			if fws[fid].active {
				c.DeactivateFramework(fid)
				filters = slices.DeleteFunc(filters, func(f modelFilter) bool { return f.fid == fid })
			} else {
				c.ActivateFramework(fid)
			}
			fws[fid].active = !fws[fid].active
		case op < 12: // an agent leaves or comes back
			i := rng.IntN(len(agents))
			aid := agents[i]
			if c.agents[aid] != nil {
				c.RemoveSlave(aid)
				filters = slices.DeleteFunc(filters, func(f modelFilter) bool { return f.agent == aid })
			} else {
				c.AddSlave(aid, &mesos.SlaveInfo{Hostname: proto.String(aid)}, agentCaps, res(agentTexts[i]), nil)
			}
			check(step, "agent")
		default:
			now = now.Add(time.Duration(rng.IntN(3)) * time.Second)
		}
	}
}

// randomHolder picks one of the frameworks of ids that hold resources on
// agent aid; ok is false when none does.
func randomHolder(rng *rand.Rand, c *Core, ids []string, aid string) (fid string, ok bool) {
	var holders []string
	for _, id := range ids {
		if !c.Allocation(id, aid).IsEmpty() {
			holders = append(holders, id)
		}
	}
	if len(holders) == 0 {
		return "", false
	}
	return holders[rng.IntN(len(holders))], true
}
