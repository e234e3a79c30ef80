package slave

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/slave/checkpoint"
	"github.com/gomesos/gomesos/slave/containerizer"
)

// process is the agent's actor shell: it feeds messages, timers, exits,
// detections and the results of container and disk work to the Core, and
// carries out the effects the core returns. Blocking work runs off the
// mailbox in one place (offMailbox) and comes back as an event.
type process struct {
	s    *Slave
	ctx  *actors.Context
	core *Core

	timers *effect.Timers

	root       context.Context
	cancelRoot context.CancelFunc

	// Disk effects run one at a time off the mailbox; while one is in
	// flight every later effect waits in backlog, so order is kept.
	diskBusy bool
	backlog  []effect.Effect
	diskWG   sync.WaitGroup // writes in flight, waited for by Stop

	detectGen    uint64
	detectCancel context.CancelFunc
	stopping     bool
	terminated   bool // Slave.Terminated is closed

	// prepareLaunch makes a framework's sandbox folder; tests replace it.
	prepareLaunch func(ctx context.Context, dir string) error
}

func newProcess(s *Slave) *process {
	root, cancel := context.WithCancel(context.Background())
	return &process{
		s:             s,
		root:          root,
		cancelRoot:    cancel,
		prepareLaunch: func(ctx context.Context, dir string) error { return os.MkdirAll(dir, 0o755) },
	}
}

func (p *process) now() time.Time { return p.ctx.Clock().Now() }

// Initialize implements actors.Process.
func (p *process) Initialize(ctx *actors.Context) {
	p.ctx = ctx
	deps := p.s.deps
	deps.Log = ctx.Log()
	p.core = NewCore(p.s.cfg, p.s.info, ctx.Self(), deps)
	p.timers = effect.NewTimers(ctx, func(key string) { p.apply(p.core.Timer(p.now(), key)) })

	install[*mesosinternal.SlaveRegisteredMessage](p)
	install[*mesosinternal.SlaveReregisteredMessage](p)
	install[*mesosinternal.PingSlaveMessage](p)
	install[*mesosinternal.RunTaskMessage](p)
	install[*mesosinternal.RunTaskGroupMessage](p)
	install[*mesosinternal.KillTaskMessage](p)
	install[*mesosinternal.ShutdownFrameworkMessage](p)
	install[*mesosinternal.ShutdownExecutorMessage](p)
	install[*mesosinternal.UpdateFrameworkMessage](p)
	install[*mesosinternal.FrameworkToExecutorMessage](p)
	install[*mesosinternal.ExecutorToFrameworkMessage](p)
	install[*mesosinternal.RegisterExecutorMessage](p)
	install[*mesosinternal.ReregisterExecutorMessage](p)
	install[*mesosinternal.StatusUpdateMessage](p)
	install[*mesosinternal.StatusUpdateAcknowledgementMessage](p)
	install[*mesosinternal.ShutdownMessage](p)
	install[*mesosinternal.CheckpointResourcesMessage](p)

	p.apply(p.core.Started(p.now()))
	// Recovery ends with a Redetect, which starts detection.
	p.apply(p.core.Recover(p.now(), p.s.recovered))
}

func install[M proto.Message](p *process) {
	actors.Install(p.ctx, func(from actors.PID, m M) { p.apply(p.core.Receive(p.now(), from, m)) })
}

// Exited implements actors.Exiter.
func (p *process) Exited(ctx *actors.Context, pid actors.PID) {
	p.apply(p.core.Exited(p.now(), pid))
}

// Finalize implements actors.Finalizer.
func (p *process) Finalize(ctx *actors.Context) {
	if p.detectCancel != nil {
		p.detectCancel()
	}
	p.timers.CancelAll()
	p.cancelRoot()
}

// terminate runs on the actor for Slave.Stop (keep false) and Slave.Exit
// (keep true): detection stops, the core stops, and the containers it
// asks to destroy are returned for the caller to destroy and wait for.
func (p *process) terminate(keep bool) []string {
	p.stopping = true
	if p.detectCancel != nil {
		p.detectCancel()
	}
	p.detectGen++
	effs := p.core.Terminate(p.now())
	if keep {
		effs = p.core.Exit(p.now())
	}
	var ids []string
	for _, e := range effs {
		if d, ok := e.(DestroyContainer); ok {
			ids = append(ids, d.ContainerID)
			continue
		}
		p.apply([]effect.Effect{e})
	}
	return ids
}

// shutdown runs on the actor for Slave.Shutdown.
func (p *process) shutdown(why string) {
	p.apply(p.core.Shutdown(p.now(), why))
}

// checkTerminated closes Slave.Terminated once a shutdown is complete and
// its last writes are on disk.
func (p *process) checkTerminated() {
	if p.terminated || p.diskBusy || !p.core.Terminated() {
		return
	}
	p.terminated = true
	p.stopping = true
	if p.detectCancel != nil {
		p.detectCancel()
	}
	p.detectGen++
	close(p.s.terminated)
}

// snapshot is /state, taken on the actor.
func (p *process) snapshot() map[string]any {
	st := p.core.Snapshot()
	st["flags"] = p.s.flagValues()
	return st
}

// apply carries out effects in order, except that disk effects are
// written off the mailbox: at the first one, every disk effect still to
// apply is written (in order), and the other effects that follow are
// applied, in order, once those writes are done, with the effects of
// events that arrive meanwhile. Nothing is applied before a write that
// preceded it; a write may land before a message that preceded it, which
// only makes the checkpoint newer.
func (p *process) apply(effs []effect.Effect) {
	if p.diskBusy {
		p.backlog = append(p.backlog, effs...)
		return
	}
	defer p.checkTerminated()
	for i, e := range effs {
		if isDisk(e) {
			var batch, rest []effect.Effect
			for _, x := range effs[i:] {
				if isDisk(x) {
					batch = append(batch, x)
				} else {
					rest = append(rest, x)
				}
			}
			p.writeDisk(batch, rest)
			return
		}
		if effect.Apply(p.ctx, p.timers, e) {
			continue
		}
		p.applyOwn(e)
	}
}

// writeDisk writes a run of disk effects on a goroutine and then applies
// rest and the backlog on the actor.
func (p *process) writeDisk(batch, rest []effect.Effect) {
	p.diskBusy = true
	p.backlog = append(append([]effect.Effect(nil), rest...), p.backlog...)
	batch = append([]effect.Effect(nil), batch...)
	log := p.ctx.Log()
	p.diskWG.Add(1)
	p.offMailbox(func(context.Context) func() {
		defer p.diskWG.Done()
		for _, e := range batch {
			if err := writeOne(e); err != nil {
				// Mesos aborts here; the agent logs and goes on, so that a
				// full disk does not become a crash loop.
				log.WithField("effect", e).WithError(err).Error("failed to checkpoint")
			}
		}
		return func() {
			p.diskBusy = false
			b := p.backlog
			p.backlog = nil
			p.apply(b)
		}
	})
}

func writeOne(e effect.Effect) error {
	switch e := e.(type) {
	case Checkpoint:
		return checkpoint.Write(e.Path, e.Data)
	case CheckpointAppend:
		return checkpoint.Append(e.Path, e.Data)
	case CheckpointLink:
		return checkpoint.Symlink(e.Path, e.Target)
	case CheckpointRemove:
		return checkpoint.Remove(e.Path)
	}
	return nil
}

func (p *process) applyOwn(e effect.Effect) {
	cont := p.s.cont
	switch e := e.(type) {
	case PrepareSandbox:
		prepare := p.prepareLaunch
		p.offMailbox(func(ctx context.Context) func() {
			err := prepare(ctx, e.Dir)
			return func() { p.apply(p.core.SandboxPrepared(p.now(), e, err)) }
		})
	case LaunchContainer:
		e.Config = e.Complete()
		hosted := p.s.hosted
		p.offMailbox(func(ctx context.Context) func() {
			var err error
			if e.Hosted != nil {
				err = hosted.launch(ctx, e)
			} else {
				err = cont.Launch(ctx, e.ContainerID, e.Config)
			}
			return func() { p.apply(p.core.ContainerLaunched(p.now(), e.ContainerID, err)) }
		})
	case WaitContainer:
		p.offMailbox(func(ctx context.Context) func() {
			t, err := cont.Wait(ctx, e.ContainerID)
			// A hosted executor reports its task's end before the core
			// learns the container ended, as an executor process would.
			p.s.hosted.waitGone(ctx, e.ContainerID)
			return func() { p.apply(p.core.ContainerExited(p.now(), e.ContainerID, t, err)) }
		})
	case UpdateContainer:
		p.offMailbox(func(ctx context.Context) func() {
			err := cont.Update(ctx, e.ContainerID, e.Resources)
			return func() { p.apply(p.core.ContainerUpdated(p.now(), e, err)) }
		})
	case DestroyContainer:
		p.s.hosted.destroying(e.ContainerID)
		p.offMailbox(func(context.Context) func() {
			// Not tied to the actor's life: a destroy finishes.
			ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			defer cancel()
			err := cont.Destroy(ctx, e.ContainerID)
			return func() { p.apply(p.core.ContainerDestroyed(p.now(), e.ContainerID, err)) }
		})
	case CheckLimitation:
		p.offMailbox(func(ctx context.Context) func() {
			var t *containerizer.Termination
			if l, ok := cont.(containerizer.Limiter); ok {
				t = l.Limitation(ctx, e.ContainerID)
			}
			return func() { p.apply(p.core.ContainerLimitation(p.now(), e.ContainerID, t)) }
		})
	case StartHostedExecutor:
		p.s.hosted.restart(e)
	case Redetect:
		p.detect(nil)
	case RecoverContainers:
		p.offMailbox(func(ctx context.Context) func() {
			var err error
			if r, ok := cont.(containerizer.Recoverer); ok {
				err = r.Recover(ctx, e.Containers)
			} else if len(e.Containers) > 0 {
				err = errors.New("the containerizer cannot recover containers")
			}
			return func() { p.apply(p.core.ContainersRecovered(p.now(), err)) }
		})
	case RecoveryCleanupDone:
		close(p.s.cleanupDone)
	default:
		p.ctx.Log().WithField("effect", e).Error("agent shell: unknown effect")
	}
}

// offMailbox runs work on a goroutine of its own and its continuation back
// on the actor, unless the actor has stopped meanwhile. This is the one
// place the agent leaves its mailbox.
func (p *process) offMailbox(work func(ctx context.Context) func()) {
	root := p.root
	go func() {
		then := work(root)
		if root.Err() != nil {
			return
		}
		p.ctx.Dispatch(then)
	}()
}

// detect starts one Detect call; the leader it names goes to the core,
// and detection goes on from there.
func (p *process) detect(previous *mesos.MasterInfo) {
	if p.stopping {
		return
	}
	if p.detectCancel != nil {
		p.detectCancel()
	}
	p.detectGen++
	gen := p.detectGen
	ctx, cancel := context.WithCancel(p.root)
	p.detectCancel = cancel
	det := p.s.det
	p.offMailbox(func(context.Context) func() {
		info, err := det.Detect(ctx, previous)
		return func() {
			if gen != p.detectGen || ctx.Err() != nil {
				return
			}
			p.detected(info, err, previous)
		}
	})
}

func (p *process) detected(info *mesos.MasterInfo, err error, previous *mesos.MasterInfo) {
	if err != nil {
		p.ctx.Log().WithError(err).WithField("retry_in", detectionRetryInterval.String()).Error("failed to detect a master")
		gen := p.detectGen
		p.ctx.Delay(detectionRetryInterval, func() {
			if gen == p.detectGen {
				p.detect(previous)
			}
		})
		return
	}
	p.apply(p.core.Detected(p.now(), info))
	p.detect(info)
}
