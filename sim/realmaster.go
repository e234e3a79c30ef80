package sim

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/resources"
)

// allocateKey is the simulator's own timer on the master node: one
// allocation run over every agent, each interval, as the allocator
// process's batch loop does.
const allocateKey = "sim/allocate"

// realMaster runs master.Core with a synchronous allocator.Core: the
// master's allocator calls are applied at once, and allocation runs on the
// allocation interval timer, its grants handed to Core.Offer framework by
// framework in id order.
type realMaster struct {
	core     *master.Core
	alloc    allocator.Sync
	interval time.Duration
}

// newRealMaster builds the master core for pid with Mesos' defaults and
// the given offer timeout (0: none); id names this run of the master.
func newRealMaster(s *Sim, pid actors.PID, offerTimeout time.Duration, seed uint64, id string) (*realMaster, error) {
	cfg := master.DefaultConfig()
	cfg.Hostname, cfg.IP, cfg.Port = "localhost", "127.0.0.1", 5050
	cfg.OfferTimeout = offerTimeout
	core, err := master.NewCore(cfg, master.NewMasterInfo(id, pid, cfg), master.Deps{})
	if err != nil {
		return nil, err
	}
	return &realMaster{
		core:     core,
		alloc:    allocator.Sync{Core: allocator.NewCore(allocator.Options{AllocationInterval: cfg.AllocationInterval, Seed: seed + 1}), Now: s.Now},
		interval: cfg.AllocationInterval,
	}, nil
}

func (m *realMaster) start(now time.Time) []effect.Effect {
	return append(m.core.Start(now), effect.StartTimer{Key: allocateKey, After: m.interval})
}

func (m *realMaster) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	return m.core.Receive(now, from, msg)
}

func (m *realMaster) Exited(now time.Time, pid actors.PID) []effect.Effect {
	return m.core.Exited(now, pid)
}

func (m *realMaster) Timer(now time.Time, key string) []effect.Effect {
	if key != allocateKey {
		return m.core.Timer(now, key)
	}
	grants := m.alloc.Core.Allocate(now, nil)
	fids := make([]string, 0, len(grants))
	for fid := range grants {
		fids = append(fids, fid)
	}
	slices.Sort(fids)
	var out []effect.Effect
	for _, fid := range fids {
		out = append(out, m.core.Offer(now, fid, grants[fid])...)
	}
	return append(out, effect.StartTimer{Key: allocateKey, After: m.interval})
}

// apply is the master node's hook for its allocator calls.
func (m *realMaster) apply(n *Node, e effect.Effect) {
	if !master.ApplyAllocatorCall(m.alloc, e) {
		n.sim.Fail(fmt.Errorf("%s returned an effect the simulator cannot apply: %T", n.Name, e))
	}
}

// sweep checks the books: for every agent the allocator's free plus
// allocated is its total, and what the master has offered on it plus what
// its tasks use is exactly what the allocator counts as allocated.
func (m *realMaster) sweep() error {
	v := m.core.View()
	offered := map[string]resources.Resources{}
	for _, o := range v.Offers {
		offered[o.AgentID] = offered[o.AgentID].Add(o.Resources)
	}
	for _, a := range v.Agents {
		var alloc resources.Resources
		for _, f := range v.Frameworks {
			alloc = alloc.Add(m.alloc.Core.Allocation(f.ID, a.ID))
		}
		total, free := m.alloc.Core.Total(a.ID), m.alloc.Core.Available(a.ID)
		if got := free.Add(alloc.Unallocate()); !got.Equal(total) {
			return fmt.Errorf("resources: agent %s: free %s + allocated %s != total %s", a.ID, free, alloc, total)
		}
		if used := offered[a.ID].Unallocate().Add(a.Used.Unallocate()); !used.Equal(alloc.Unallocate()) {
			return fmt.Errorf("resources: agent %s: offered %s + used by tasks %s != allocated %s", a.ID, offered[a.ID], a.Used, alloc)
		}
	}
	return nil
}
