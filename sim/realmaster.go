package sim

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
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
	// registry is the master's registry, stored at once: each op is
	// applied and reported stored as an event of its own, right away;
	// while hold is set (a transcript's "registry hold") ops wait in held.
	registry *mesosinternal.Registry
	writer   master.RegistryWriter // applies ops to registry
	hold     bool
	// fence, if set, is whether this master still holds its candidacy:
	// a deposed master's registry writes are refused.
	fence   func() bool
	refused int
	held    []master.RegistryApply
	err     error // a recovery that failed, reported by sweep

	cfg   master.Config // for a failover's new master
	seed  uint64
	boots int // failovers so far

	// watch, if set, sees every batch of effects the core returns (a
	// failover measurement's probe).
	watch func(now time.Time, effs []effect.Effect)
}

// newRealMaster builds the master core for pid with Mesos' defaults and
// the given offer timeout (0: none) and --max_completed_tasks_per_framework
// (0: the default); id names this run of the master.
func newRealMaster(s *Sim, pid actors.PID, offerTimeout time.Duration, maxCompleted int, seed uint64, id string) (*realMaster, error) {
	cfg := master.DefaultConfig()
	if maxCompleted > 0 {
		cfg.MaxCompletedTasksPerFramework = maxCompleted
	}
	cfg.Hostname, cfg.IP, cfg.Port = "localhost", "127.0.0.1", 5050
	if _, port, err := net.SplitHostPort(pid.Address); err == nil {
		if p, err := strconv.Atoi(port); err == nil {
			cfg.Port = p
		}
	}
	cfg.OfferTimeout = offerTimeout
	return newRealMasterConfig(s, pid, cfg, seed, id)
}

// newRealMasterConfig builds the master core for pid with cfg.
func newRealMasterConfig(s *Sim, pid actors.PID, cfg master.Config, seed uint64, id string) (*realMaster, error) {
	core, err := master.NewCore(cfg, master.NewMasterInfo(id, pid, cfg), master.Deps{})
	if err != nil {
		return nil, err
	}
	return &realMaster{
		core:     core,
		alloc:    allocator.Sync{Core: allocator.NewCore(allocator.Options{AllocationInterval: cfg.AllocationInterval, Seed: seed + 1}), Now: s.Now},
		interval: cfg.AllocationInterval,
		registry: &mesosinternal.Registry{},
		cfg:      cfg,
		seed:     seed,
	}, nil
}

// start recovers the master from its registry (empty for a new cluster):
// it writes its MasterInfo there and handles messages once that is stored.
func (m *realMaster) start(now time.Time) []effect.Effect {
	effects, err := m.core.Recover(now, proto.Clone(m.registry).(*mesosinternal.Registry))
	if err != nil {
		m.err = fmt.Errorf("the master cannot recover its registry: %w", err)
	}
	return append(effects, effect.StartTimer{Key: allocateKey, After: m.interval})
}

func (m *realMaster) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	return m.watched(now, m.core.Receive(now, from, msg))
}

func (m *realMaster) Exited(now time.Time, pid actors.PID) []effect.Effect {
	return m.watched(now, m.core.Exited(now, pid))
}

func (m *realMaster) watched(now time.Time, effs []effect.Effect) []effect.Effect {
	if m.watch != nil {
		m.watch(now, effs)
	}
	return effs
}

func (m *realMaster) Timer(now time.Time, key string) []effect.Effect {
	if key != allocateKey {
		return m.watched(now, m.core.Timer(now, key))
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

// apply is the master node's hook for its allocator calls and registry
// ops.
func (m *realMaster) apply(n *Node, e effect.Effect) {
	if op, ok := e.(master.RegistryApply); ok {
		if m.fence != nil && !m.fence() {
			m.refused++ // never stored, never reported: a deposed master waits
			return
		}
		if m.hold {
			m.held = append(m.held, op)
			return
		}
		m.store(n, op)
		return
	}
	if !master.ApplyAllocatorCall(m.alloc, e) {
		n.Fail(fmt.Errorf("%s returned an effect the simulator cannot apply: %T", n.Name, e))
	}
}

// store applies op to the registry and reports it stored.
func (m *realMaster) store(n *Node, op master.RegistryApply) {
	m.writer.Apply(m.registry, op.Op)
	n.Post(0, func(now time.Time) []effect.Effect { return m.watched(now, m.core.RegistryApplied(now, op.Seq, nil)) })
}

// Registry runs a transcript's registry command on the master core:
//
//	registry show      the registry as stored, and the writes held
//	registry hold      hold the master's registry writes (not stored)
//	registry release   store the held writes, in order
//	registry failover  the master crashes (held writes are lost) and a new
//	                   one, m2, m3, ..., recovers from the same registry
func (sc *Script) Registry(args []Arg) (string, error) {
	m, ok := sc.master.Core.(*realMaster)
	if !ok {
		return "", fmt.Errorf("registry: the stand-in master has no registry")
	}
	if len(args) != 1 || args[0].Vals != nil {
		return "", fmt.Errorf("registry wants one of show, hold, release")
	}
	sc.out.Reset()
	w := &sc.out
	switch args[0].Key {
	case "hold":
		m.hold = true
	case "release":
		m.hold = false
		held := m.held
		m.held = nil
		for _, op := range held {
			fmt.Fprintf(w, "stored: %s\n", op.Op)
			m.store(sc.master, op)
		}
		if err := sc.sim.Settle(); err != nil {
			return "", err
		}
	case "failover":
		if err := sc.failover(m); err != nil {
			return "", err
		}
	case "show":
		r := m.registry
		since := func(t *mesos.TimeInfo) time.Duration { return time.Unix(0, t.GetNanoseconds()).Sub(Epoch) }
		fmt.Fprintf(w, "master %s\n", r.GetMaster().GetInfo().GetId())
		for _, a := range r.GetSlaves().GetSlaves() {
			fmt.Fprintf(w, "admitted %s (%s)\n", a.GetInfo().GetId().GetValue(), a.GetInfo().GetHostname())
		}
		for _, a := range r.GetUnreachable().GetSlaves() {
			fmt.Fprintf(w, "unreachable %s since %v\n", a.GetId().GetValue(), since(a.GetTimestamp()))
		}
		for _, a := range r.GetGone().GetSlaves() {
			fmt.Fprintf(w, "gone %s since %v\n", a.GetId().GetValue(), since(a.GetTimestamp()))
		}
		for _, wi := range r.GetWeights() {
			fmt.Fprintf(w, "weight %s=%g\n", wi.GetInfo().GetRole(), wi.GetInfo().GetWeight())
		}
		for _, op := range m.held {
			fmt.Fprintf(w, "held: %s\n", op.Op)
		}
	default:
		return "", fmt.Errorf("registry wants one of show, hold, release, not %q", args[0].Key)
	}
	return sc.out.String(), nil
}

// failover crashes the master and starts a new master core, with a new
// id and allocator, on the same node and registry.
func (sc *Script) failover(m *realMaster) error {
	n := sc.master
	sc.sim.Crash(n)
	if err := sc.sim.Settle(); err != nil {
		return err
	}
	m.boots++
	core, err := master.NewCore(m.cfg, master.NewMasterInfo(fmt.Sprintf("m%d", m.boots+1), n.PID, m.cfg), master.Deps{})
	if err != nil {
		return err
	}
	m.core = core
	m.alloc = allocator.Sync{Core: allocator.NewCore(allocator.Options{AllocationInterval: m.cfg.AllocationInterval, Seed: m.seed + 1}), Now: sc.sim.Now}
	m.hold, m.held = false, nil
	sc.sim.Restart(n, m)
	sc.sim.Start(n, m.start)
	return sc.sim.Settle()
}

// sweep checks the books: for every agent the allocator's free plus
// allocated is its total, and what the master has offered on it plus what
// its tasks use is exactly what the allocator counts as allocated.
func (m *realMaster) sweep() error {
	if m.err != nil {
		return m.err
	}
	fids := m.core.FrameworkIDs()
	return m.core.EachAgent(func(a master.AgentBooks) error {
		var alloc resources.Resources
		for _, fid := range fids {
			alloc = alloc.Add(m.alloc.Core.Allocation(fid, a.ID))
		}
		total, free := m.alloc.Core.Total(a.ID), m.alloc.Core.Available(a.ID)
		if got := free.Add(alloc.Unallocate()); !got.Equal(total) {
			return fmt.Errorf("resources: agent %s: free %s + allocated %s != total %s", a.ID, free, alloc, total)
		}
		if used := a.Offered.Unallocate().Add(a.Used.Unallocate()); !used.Equal(alloc.Unallocate()) {
			return fmt.Errorf("resources: agent %s: offered %s + used by tasks %s != allocated %s", a.ID, a.Offered, a.Used, alloc)
		}
		return nil
	})
}
