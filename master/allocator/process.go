package allocator

import (
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/metrics"
	"github.com/gomesos/gomesos/resources"
)

// Process is the allocator actor: it owns a Core, runs it every allocation
// interval on the node's clock and whenever an event asks for it, and hands
// the grants to the offer callback. Its Allocator methods may be called
// from any goroutine; each one is dispatched to the actor and returns at
// once, in call order, as libprocess' dispatch does.
//
// Event-driven runs are batched: while a run is queued, further requests
// only add candidate agents to it.
type Process struct {
	node *actors.Node
	name string
	pid  actors.PID

	queue atomic.Int64 // calls dispatched and not yet handled

	// Owned by the actor goroutine.
	ctx        *actors.Context
	core       *Core
	offer      OfferCallback
	timer      actors.Timer
	paused     bool
	queued     bool
	queuedAll  bool
	queuedAt   time.Time
	candidates map[string]bool
	log        *logrus.Entry

	reg        *metrics.Registry
	registered []prometheus.Collector
	runs       prometheus.Counter
	runTime    *metrics.Timer
	latency    *metrics.Timer
}

var _ Allocator = (*Process)(nil)

// NewProcess returns an allocator that will run as the process name on
// node once started.
func NewProcess(node *actors.Node, name string) *Process {
	return &Process{
		node:       node,
		name:       name,
		core:       NewCore(Options{AllocationInterval: time.Second}),
		candidates: map[string]bool{},
		log:        node.Log().WithField("process", name),
	}
}

// Start spawns the actor.
func (p *Process) Start() (actors.PID, error) {
	pid, err := p.node.Spawn(p.name, (*shell)(p))
	if err != nil {
		return actors.PID{}, fmt.Errorf("allocator: spawn %q: %w", p.name, err)
	}
	p.pid = pid
	return pid, nil
}

// PID returns the actor's PID once started.
func (p *Process) PID() actors.PID { return p.pid }

// Stop terminates the actor and withdraws its metrics.
func (p *Process) Stop() {
	if !p.pid.IsZero() {
		p.node.Stop(p.pid)
	}
	if p.reg != nil {
		for _, c := range p.registered {
			p.reg.Unregister(c)
		}
		p.registered = nil
	}
}

// shell is the actors.Process face of a Process (whose Initialize is the
// Allocator one).
type shell Process

// Initialize implements actors.Process.
func (s *shell) Initialize(ctx *actors.Context) { s.ctx = ctx }

// Finalize implements actors.Finalizer.
func (s *shell) Finalize(*actors.Context) {
	if s.timer != nil {
		s.timer.Stop()
	}
}

// do runs f on the actor.
func (p *Process) do(f func()) {
	p.queue.Add(1)
	if !p.node.Dispatch(p.pid, func() { p.queue.Add(-1); f() }) {
		p.queue.Add(-1)
		p.log.Debug("allocator is not running; dropping a call")
	}
}

// Inspect runs f on the actor with the core and waits for it; for tests and
// read-only views. It must not keep the core.
func (p *Process) Inspect(f func(c *Core)) error {
	done := make(chan struct{})
	if !p.node.Dispatch(p.pid, func() { f(p.core); close(done) }) {
		return actors.ErrNoProcess
	}
	<-done
	return nil
}

// Initialize implements Allocator: it sets the options and the callback,
// registers the metrics and starts the periodic allocation loop. It must
// come before any other call.
func (p *Process) Initialize(opts Options, offer OfferCallback) {
	if opts.Metrics != nil && p.reg == nil {
		p.registerMetrics(opts.Metrics)
	}
	p.do(func() {
		p.core = NewCore(opts)
		p.offer = offer
		p.arm()
	})
}

func (p *Process) registerMetrics(reg *metrics.Registry) {
	p.reg = reg
	p.runs = reg.Counter("allocator/mesos/allocation_runs", "Number of allocation runs.")
	p.runTime = reg.Timer("allocator/mesos/allocation_run_ms", "Time spent in allocation runs.", time.Hour)
	p.latency = reg.Timer("allocator/mesos/allocation_run_latency_ms", "Time between asking for an allocation run and its start.", time.Hour)
	queue := func() float64 { return float64(p.queue.Load()) }
	q1 := reg.GaugeFunc("allocator/mesos/event_queue_dispatches", "Calls queued for the allocator.", queue)
	q2 := reg.GaugeFunc("allocator/event_queue_dispatches", "Calls queued for the allocator.", queue)
	pull := newCollector(reg, p)
	reg.MustRegister(pull)
	p.registered = []prometheus.Collector{p.runs, p.runTime, p.latency, q1, q2, pull}
}

func (p *Process) arm() {
	if p.timer != nil {
		p.timer.Stop()
	}
	interval := p.core.Options().AllocationInterval
	if interval <= 0 {
		return
	}
	p.timer = p.ctx.Delay(interval, func() {
		// Re-arm first: whoever sees this run's offers finds the next
		// tick already scheduled.
		p.arm()
		p.queuedAt = time.Now()
		p.allocate(nil)
	})
}

// request queues a run over agents (all if none given). Nothing is queued
// while paused, as in Mesos.
func (p *Process) request(agents ...string) {
	if p.paused {
		return
	}
	if agents == nil {
		p.queuedAll = true
	}
	for _, a := range agents {
		p.candidates[a] = true
	}
	if p.queued {
		return
	}
	p.queued = true
	p.queuedAt = time.Now()
	p.ctx.Dispatch(func() {
		p.queued = false
		var cands []string
		if !p.queuedAll {
			cands = make([]string, 0, len(p.candidates))
			for a := range p.candidates {
				cands = append(cands, a)
			}
			if len(cands) == 0 {
				return
			}
		}
		p.queuedAll = false
		clear(p.candidates)
		p.allocate(cands)
	})
}

// allocate runs the core over candidates (nil: all) and delivers grants.
func (p *Process) allocate(candidates []string) {
	if p.latency != nil {
		p.latency.Observe(time.Since(p.queuedAt))
	}
	if p.paused || p.offer == nil {
		return
	}
	start := time.Now()
	grants := p.core.Allocate(p.ctx.Clock().Now(), candidates)
	took := time.Since(start)
	if p.runs != nil {
		p.runs.Inc()
		p.runTime.Observe(took)
	}
	if st := p.core.LastRun; p.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		p.log.Debugf("performed allocation for %d agents (%d settled, skipped) in %s: %d offers", st.Agents, st.Skipped, took, st.Offers)
		if st.HeldBackAgents > 0 {
			p.log.Debugf("held back %s on %d agents for quota guarantees", st.HeldBack, st.HeldBackAgents)
		}
	}
	ids := make([]string, 0, len(grants))
	for id := range grants {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		p.offer(id, grants[id])
	}
}

// cloneInfo copies a message the caller keeps (nil stays nil).
func cloneInfo[M proto.Message](m M) M {
	if !m.ProtoReflect().IsValid() {
		return m
	}
	return proto.Clone(m).(M)
}

func (p *Process) AddFramework(id string, info *mesos.FrameworkInfo, used map[string]resources.Resources, active bool, opts FrameworkOptions) {
	info = cloneInfo(info)
	p.do(func() {
		p.core.AddFramework(id, info, used, active, opts)
		if active {
			p.request()
		}
	})
}

func (p *Process) RemoveFramework(id string) {
	p.do(func() { p.core.RemoveFramework(id) })
}

func (p *Process) ActivateFramework(id string) {
	p.do(func() {
		p.core.ActivateFramework(id)
		p.request()
	})
}

func (p *Process) DeactivateFramework(id string) {
	p.do(func() { p.core.DeactivateFramework(id) })
}

func (p *Process) UpdateFramework(id string, info *mesos.FrameworkInfo, opts FrameworkOptions) {
	info = cloneInfo(info)
	p.do(func() { p.core.UpdateFramework(id, info, opts) })
}

func (p *Process) AddSlave(id string, info *mesos.SlaveInfo, caps []mesos.SlaveInfo_Capability_Type, total resources.Resources, used map[string]resources.Resources) {
	info = cloneInfo(info)
	caps = slices.Clone(caps)
	p.do(func() {
		p.core.AddSlave(id, info, caps, total, used)
		p.request(id)
	})
}

func (p *Process) RemoveSlave(id string) {
	p.do(func() { p.core.RemoveSlave(id) })
}

func (p *Process) UpdateSlave(id string, info *mesos.SlaveInfo, caps []mesos.SlaveInfo_Capability_Type, total resources.Resources) {
	info = cloneInfo(info)
	caps = slices.Clone(caps)
	p.do(func() {
		if p.core.UpdateSlave(id, info, caps, total) {
			p.request(id)
		}
	})
}

func (p *Process) ActivateSlave(id string) {
	p.do(func() {
		p.core.ActivateSlave(id)
		p.request(id)
	})
}

func (p *Process) DeactivateSlave(id string) {
	p.do(func() { p.core.DeactivateSlave(id) })
}

func (p *Process) UpdateAllocation(fid, aid string, offered resources.Resources, conversions []Conversion) {
	conversions = slices.Clone(conversions)
	p.do(func() { p.core.UpdateAllocation(fid, aid, offered, conversions) })
}

func (p *Process) RecoverResources(fid, aid string, res resources.Resources, filters *mesos.Filters) {
	filters = cloneInfo(filters)
	p.do(func() { p.core.RecoverResources(p.ctx.Clock().Now(), fid, aid, res, filters) })
}

func (p *Process) SuppressOffers(fid string, roles []string) {
	roles = slices.Clone(roles)
	p.do(func() { p.core.SuppressOffers(fid, roles) })
}

func (p *Process) ReviveOffers(fid string, roles []string) {
	roles = slices.Clone(roles)
	p.do(func() {
		p.core.ReviveOffers(fid, roles)
		p.request()
	})
}

func (p *Process) UpdateQuota(role string, q Quota) {
	p.do(func() { p.core.UpdateQuota(role, q) })
}

func (p *Process) UpdateWeights(weights map[string]float64) {
	w := make(map[string]float64, len(weights))
	for k, v := range weights {
		w[k] = v
	}
	p.do(func() { p.core.UpdateWeights(w) })
}

func (p *Process) Pause() {
	p.do(func() { p.paused = true })
}

func (p *Process) Resume() {
	p.do(func() { p.paused = false })
}
