package master

import (
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
)

// process is the master actor: the shell around a Core. It hands the core
// every message, fired timer, exited peer and allocation with the node
// clock's time, and applies the effects in order: sends, links and timers
// on the node, allocator calls on the allocator actor, registry ops on the
// registry (registrar_shell.go). Every field is owned by the actor's
// goroutine, and so is the core (HTTP snapshots reach it through
// Node.Call).
type process struct {
	core     *Core
	alloc    allocator.Allocator
	log      *logrus.Entry
	ctx      *actors.Context
	timers   *effect.Timers
	registry *registryWriter
	onLost   func(error)
	history  *historySampler // samples on its own timer (history.go)

	ready     chan error // how recovery ended, for Start
	readySent bool
	recovered bool // the core recovered its registry
}

func newProcess(core *Core, alloc allocator.Allocator, log *logrus.Entry, cfg Config) *process {
	return &process{core: core, alloc: alloc, log: log, registry: newRegistryWriter(cfg),
		onLost: cfg.OnLeadershipLost, ready: make(chan error, 1)}
}

// Initialize implements actors.Process.
func (p *process) Initialize(ctx *actors.Context) {
	p.ctx = ctx
	p.timers = effect.NewTimers(ctx, func(key string) {
		if key == historyTimerKey {
			p.history.sample(p.now(), p.core)
			p.timers.Start(effect.StartTimer{Key: historyTimerKey, After: p.history.interval})
			return
		}
		p.apply(p.core.Timer(p.now(), key))
	})
	if p.history != nil {
		p.timers.Start(effect.StartTimer{Key: historyTimerKey, After: historyFirst})
	}
	// Every message type Core.Receive handles.
	on[*scheduler.Call](p)
	on[*mesosinternal.RegisterFrameworkMessage](p)
	on[*mesosinternal.ReregisterFrameworkMessage](p)
	on[*mesosinternal.UnregisterFrameworkMessage](p)
	on[*mesosinternal.DeactivateFrameworkMessage](p)
	on[*mesosinternal.LaunchTasksMessage](p)
	on[*mesosinternal.ReviveOffersMessage](p)
	on[*mesosinternal.KillTaskMessage](p)
	on[*mesosinternal.StatusUpdateAcknowledgementMessage](p)
	on[*mesosinternal.FrameworkToExecutorMessage](p)
	on[*mesosinternal.ReconcileTasksMessage](p)
	on[*mesosinternal.ResourceRequestMessage](p)
	on[*mesosinternal.RegisterSlaveMessage](p)
	on[*mesosinternal.ReregisterSlaveMessage](p)
	on[*mesosinternal.UnregisterSlaveMessage](p)
	on[*mesosinternal.StatusUpdateMessage](p)
	on[*mesosinternal.ExitedExecutorMessage](p)
	on[*mesosinternal.ExecutorToFrameworkMessage](p)
	on[*mesosinternal.PongSlaveMessage](p)
	on[*mesosinternal.UpdateSlaveMessage](p)

	p.recoverCore()
}

// on installs the handler that hands messages of type M to the core.
func on[M proto.Message](p *process) {
	actors.Install(p.ctx, func(from actors.PID, m M) {
		p.apply(p.core.Receive(p.now(), from, m))
	})
}

// Exited implements actors.Exiter: a linked scheduler or agent went away.
func (p *process) Exited(_ *actors.Context, pid actors.PID) {
	p.apply(p.core.Exited(p.now(), pid))
}

// Finalize implements actors.Finalizer: stop timers and registry stores.
func (p *process) Finalize(*actors.Context) {
	p.timers.CancelAll()
	p.registry.cancel()
	p.signalReady(ErrNotLeading)
}

// offer hands an allocation to the core (on the actor, through Dispatch).
func (p *process) offer(frameworkID string, offers allocator.Offers) {
	p.apply(p.core.Offer(p.now(), frameworkID, offers))
}

func (p *process) now() time.Time { return p.ctx.Clock().Now() }

// apply carries out effects in order; registry ops are queued and stored
// after the others.
func (p *process) apply(effects []effect.Effect) {
	for _, e := range effects {
		switch e := e.(type) {
		case RegistryApply:
			p.registry.queued = append(p.registry.queued, e)
			continue
		case LeadershipLost:
			p.leadershipLost(e.Err)
			continue
		}
		if effect.Apply(p.ctx, p.timers, e) || ApplyAllocatorCall(p.alloc, e) {
			continue
		}
		p.log.WithField("effect", e).Error("dropping an effect the master shell does not know")
	}
	p.flushRegistry()
	p.checkRecovered()
}
