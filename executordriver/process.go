package executordriver

import (
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/internal/driverlife"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
)

// process is the actor shell around a Core: it feeds the core the agent's
// messages, its timer and the driver's requests, and applies the effects.
// Everything runs on the actor's goroutine.
type process struct {
	d      *MesosExecutorDriver
	ctx    *actors.Context
	log    *logrus.Entry
	core   *Core
	timers *effect.Timers

	waiters  []chan struct{} // WaitAcknowledged callers
	finished chan struct{}   // closed in Finalize
}

var (
	_ actors.Process   = (*process)(nil)
	_ actors.Exiter    = (*process)(nil)
	_ actors.Finalizer = (*process)(nil)
)

func newProcess(d *MesosExecutorDriver) *process {
	return &process{d: d, log: d.log, finished: make(chan struct{})}
}

// Initialize builds the core, installs the handlers and registers.
func (p *process) Initialize(ctx *actors.Context) {
	p.ctx = ctx
	p.log = p.log.WithField("pid", ctx.Self().String())
	env := p.d.env
	p.core = NewCore(CoreConfig{
		FrameworkID:         env.frameworkID,
		ExecutorID:          env.executorID,
		SlaveID:             env.slaveID,
		Agent:               env.slavePID,
		Self:                ctx.Self(),
		Checkpoint:          env.checkpoint,
		RecoveryTimeout:     env.recoveryTimeout,
		ShutdownGracePeriod: env.shutdownGrace,
		Local:               p.d.local,
		UUIDs:               protocol.RandomUUIDs(),
		Log:                 p.log,
		Reregister:          p.d.reregister,
		Tasks:               p.d.tasks,
	})
	p.timers = effect.NewTimers(ctx, func(key string) { p.apply(p.core.Timer(p.now(), key)) })

	on[*mesosinternal.ExecutorRegisteredMessage](p)
	on[*mesosinternal.ExecutorReregisteredMessage](p)
	on[*mesosinternal.ReconnectExecutorMessage](p)
	on[*mesosinternal.RunTaskMessage](p)
	on[*mesosinternal.KillTaskMessage](p)
	on[*mesosinternal.StatusUpdateAcknowledgementMessage](p)
	on[*mesosinternal.FrameworkToExecutorMessage](p)
	on[*mesosinternal.ShutdownExecutorMessage](p)
	on[*mesosinternal.FrameworkErrorMessage](p)

	p.apply(p.core.Start(p.now()))
}

// on hands messages of type M to the core while the driver runs.
func on[M proto.Message](p *process) {
	actors.Install(p.ctx, func(from actors.PID, m M) {
		if !p.d.life.Running() {
			p.log.WithField("message", string(proto.MessageName(m))).Debug("ignoring a message: the driver is aborted or stopped")
			return
		}
		p.apply(p.core.Receive(p.now(), from, m))
	})
}

// Finalize runs when the actor terminates.
func (p *process) Finalize(*actors.Context) {
	p.timers.CancelAll()
	p.d.connected.Store(false)
	p.wakeWaiters()
	close(p.finished)
	p.d.life.Callbacks.Close()
}

func (p *process) now() time.Time { return p.ctx.Clock().Now() }

// Exited fires when the link to the agent breaks.
func (p *process) Exited(_ *actors.Context, pid actors.PID) {
	p.apply(p.core.Exited(p.now(), pid))
}

// apply carries out the core's effects in order, sorted as the inline
// host sorts them (driverlife.Sort).
func (p *process) apply(effects []effect.Effect) {
	p.d.connected.Store(p.core.Connected())
	if n, _ := p.core.Unacknowledged(); n == 0 {
		p.wakeWaiters()
	}
	driverlife.Sort[OnError, Callback](effects, p.d.life.AbortedByDriver, p.callback, p.effect)
}

// callback queues a callback effect for the user's executor.
func (p *process) callback(e effect.Effect) {
	switch e := e.(type) {
	case OnError:
		// The core aborted itself (Sort has aborted the driver).
		p.d.life.Callbacks.Push(callback{Always: true, Run: func() { e.Call(p.d.exec, p.d) }})
	case Callback:
		p.d.life.Callbacks.Push(callback{Run: func() { e.Call(p.d.exec, p.d) }})
	}
}

// effect carries out an effect that is not a callback.
func (p *process) effect(e effect.Effect) {
	if effect.Apply(p.ctx, p.timers, e) {
		return
	}
	switch e := e.(type) {
	case SelfKill:
		// On the clock, not the actor: the kill must come even after
		// the driver stopped.
		p.ctx.Clock().AfterFunc(e.After, p.d.killSelf)
	case Terminate:
		p.ctx.Terminate()
	default:
		p.log.WithField("effect", e).Error("executor driver: unknown effect")
	}
}

// ---- Requests from the driver's methods ----

func (p *process) stop()  { p.apply(p.core.Stop(p.now())) }
func (p *process) abort() { p.apply(p.core.Abort(p.now())) }

// ackWaiter returns a channel closed once no update awaits acknowledgement.
func (p *process) ackWaiter() chan struct{} {
	ch := make(chan struct{})
	if n, _ := p.core.Unacknowledged(); n == 0 {
		close(ch)
		return ch
	}
	p.waiters = append(p.waiters, ch)
	return ch
}

func (p *process) wakeWaiters() {
	for _, ch := range p.waiters {
		close(ch)
	}
	p.waiters = nil
}
