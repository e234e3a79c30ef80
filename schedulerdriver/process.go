package schedulerdriver

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/internal/driverlife"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// teardownFlushTimeout bounds how long Stop(false) waits for TEARDOWN to
// reach the master's node.
const teardownFlushTimeout = 2 * time.Second

// process is the actor shell around a Core: it feeds the core the
// master's messages, the detector's answers, its timers and the driver's
// requests, and applies the effects. Everything runs on the actor's
// goroutine unless a comment says otherwise.
type process struct {
	d         *MesosSchedulerDriver
	det       detector.Detector
	framework *mesos.FrameworkInfo
	ctx       *actors.Context
	log       *logrus.Entry
	core      *Core
	timers    *effect.Timers

	// detection: one goroutine per generation feeds the core.
	detectGen    uint64
	detectCancel context.CancelFunc

	finished chan struct{} // closed in Finalize
}

var (
	_ actors.Process   = (*process)(nil)
	_ actors.Exiter    = (*process)(nil)
	_ actors.Finalizer = (*process)(nil)
)

func newProcess(d *MesosSchedulerDriver, det detector.Detector, framework *mesos.FrameworkInfo) *process {
	return &process{d: d, det: det, framework: framework, log: d.log, finished: make(chan struct{})}
}

// Initialize builds the core, installs the handlers and starts detecting
// the master.
func (p *process) Initialize(ctx *actors.Context) {
	p.ctx = ctx
	p.log = p.log.WithField("pid", ctx.Self().String())
	p.core = NewCore(CoreConfig{
		Framework: p.framework,
		Self:      ctx.Self(),
		Rand:      rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		Log:       p.log,

		ExplicitAcknowledgements: p.d.explicitAcks,
	})
	p.timers = effect.NewTimers(ctx, func(key string) { p.apply(p.core.Timer(p.now(), key)) })

	on[*mesosinternal.FrameworkRegisteredMessage](p)
	on[*mesosinternal.FrameworkReregisteredMessage](p)
	on[*mesosinternal.ResourceOffersMessage](p)
	on[*mesosinternal.RescindResourceOfferMessage](p)
	on[*mesosinternal.StatusUpdateMessage](p)
	on[*mesosinternal.LostSlaveMessage](p)
	on[*mesosinternal.ExitedExecutorMessage](p)
	on[*mesosinternal.ExecutorToFrameworkMessage](p)
	on[*mesosinternal.FrameworkErrorMessage](p)

	p.startDetection(nil)
}

// on hands messages of type M to the core while the driver runs.
func on[M proto.Message](p *process) {
	actors.Install(p.ctx, func(from actors.PID, m M) {
		if p.d.life.Running() {
			p.apply(p.core.Receive(p.now(), from, m))
		}
	})
}

// Finalize runs when the actor terminates.
func (p *process) Finalize(*actors.Context) {
	p.stopDetection()
	p.timers.CancelAll()
	p.d.connected.Store(false)
	close(p.finished)
	p.d.life.Callbacks.Close()
}

func (p *process) now() time.Time { return p.ctx.Clock().Now() }

// apply carries out the core's effects in order, sorted as the inline
// host sorts them (driverlife.Sort).
func (p *process) apply(effects []effect.Effect) {
	p.d.connected.Store(p.core.Connected())
	driverlife.Sort[OnError, Callback](effects, p.d.life.AbortedByDriver, p.callback, p.effect)
}

// callback queues a callback effect for the user's scheduler.
func (p *process) callback(e effect.Effect) {
	switch e := e.(type) {
	case OnError:
		// The core aborted itself (Sort has aborted the driver).
		p.d.life.Callbacks.Push(callback{Always: true, Run: func() { e.Call(p.d.sched, p.d) }})
	case OnStatusUpdate:
		node, self := p.d.node, p.ctx.Self()
		p.enqueue(func() {
			e.Call(p.d.sched, p.d)
			// Acknowledge unless the driver stopped or aborted during
			// the callback; the ACKNOWLEDGE is queued on the actor
			// ahead of anything the scheduler asks for later.
			if e.Ack != nil && p.d.life.Running() {
				node.Dispatch(self, func() { p.apply(p.core.Acknowledge(p.now(), e.Ack)) })
			}
		})
	case Callback:
		p.enqueue(func() { e.Call(p.d.sched, p.d) })
	}
}

// effect carries out an effect that is not a callback.
func (p *process) effect(e effect.Effect) {
	if effect.Apply(p.ctx, p.timers, e) {
		return
	}
	switch e := e.(type) {
	case Redetect:
		p.startDetection(nil)
	case StopDetection:
		p.stopDetection()
	case Terminate:
		p.terminate(e.Flush)
	default:
		p.log.WithField("effect", e).Error("scheduler driver: unknown effect")
	}
}

// enqueue queues a callback (dropped if the driver stops before it runs).
func (p *process) enqueue(f func()) {
	p.d.life.Callbacks.Push(callback{Run: f})
}

// terminate ends the actor, after flushing what was sent to flush.
func (p *process) terminate(flush actors.PID) {
	if flush.IsZero() {
		p.ctx.Terminate()
		return
	}
	node, self, log, ctx := p.ctx.Node(), p.ctx.Self(), p.log, p.ctx
	go func() {
		fctx, cancel := context.WithTimeout(context.Background(), teardownFlushTimeout)
		defer cancel()
		if err := node.Flush(fctx, flush); err != nil && !errors.Is(err, actors.ErrNoRemoting) {
			log.WithError(err).Warn("could not confirm that TEARDOWN reached the master")
		}
		node.Dispatch(self, func() { ctx.Terminate() })
	}()
}

// ---- Master detection ----

// startDetection (re)starts the detector loop from previous.
func (p *process) startDetection(previous *mesos.MasterInfo) {
	p.stopDetection()
	p.detectGen++
	gen := p.detectGen
	ctx, cancel := context.WithCancel(context.Background())
	p.detectCancel = cancel
	node, self, det := p.d.node, p.ctx.Self(), p.det
	// The detector blocks, so it runs on a goroutine of its own and hands
	// every answer back to the actor.
	go func() {
		prev := previous
		for {
			info, err := det.Detect(ctx, prev)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				node.Dispatch(self, func() { p.detectionFailed(gen, err) })
				return
			}
			if !node.Dispatch(self, func() { p.detected(gen, info) }) {
				return
			}
			prev = info
		}
	}()
}

func (p *process) stopDetection() {
	if p.detectCancel != nil {
		p.detectCancel()
		p.detectCancel = nil
	}
}

func (p *process) detectionFailed(gen uint64, err error) {
	if gen == p.detectGen && p.d.life.Running() {
		p.apply(p.core.DetectionFailed(p.now(), err))
	}
}

func (p *process) detected(gen uint64, info *mesos.MasterInfo) {
	if gen == p.detectGen && p.d.life.Running() {
		p.apply(p.core.Detected(p.now(), info))
	}
}

// Exited fires when a linked peer (the master) goes away.
func (p *process) Exited(_ *actors.Context, pid actors.PID) {
	if p.d.life.Running() {
		p.apply(p.core.Exited(p.now(), pid))
	}
}

// ---- Requests from the driver's methods ----

// stop terminates the actor, tearing the framework down unless failover.
func (p *process) stop(failover bool) { p.apply(p.core.Stop(p.now(), failover)) }

// abort deactivates the framework; the actor stays until Stop.
func (p *process) abort() { p.apply(p.core.Abort(p.now())) }
