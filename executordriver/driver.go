package executordriver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/internal/driverlife"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/tracing"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

// joinStopWait bounds how long Join waits, after Stop, for the driver's
// actor to terminate.
const joinStopWait = 5 * time.Second

// exitFlushWait bounds the wait in Join for the agent to take the driver's
// last messages (an unreachable agent fails it at once).
const exitFlushWait = 30 * time.Second

// executorSeq numbers executor actors: "executor(1)", "executor(2)", ...
var executorSeq atomic.Int64

// MesosExecutorDriver connects an Executor with its agent. It is safe for
// concurrent use.
type MesosExecutorDriver struct {
	exec    Executor
	node    *actors.Node
	ownNode bool
	env     environment
	local   bool
	log     *logrus.Entry

	life *driverlife.Life

	mu   sync.Mutex // guards pid and proc
	pid  actors.PID
	proc *process

	connected atomic.Bool

	// killSelf ends the executor's process group (outside local mode).
	killSelf func()

	// tracer writes the executor's message trace (GOMESOS_TRACE_FILE), on
	// the driver's own node only.
	tracer *tracing.Recorder

	// reregister and tasks: see DriverConfig.Reregister.
	reregister bool
	tasks      []*mesos.TaskInfo

	// flushed is closed once, after Stop, the agent has taken (or could
	// not take) what the driver's own node sent it; Join waits for it.
	flushed chan struct{}
}

var _ ExecutorDriver = (*MesosExecutorDriver)(nil)

// NewMesosExecutorDriver reads the environment the agent set and builds a
// driver; nothing is sent until Start.
func NewMesosExecutorDriver(config DriverConfig) (*MesosExecutorDriver, error) {
	if config.Executor == nil {
		return nil, errors.New("executor driver: Executor callbacks required")
	}
	getenv, local := config.Getenv, config.Getenv != nil
	if getenv == nil {
		getenv = os.Getenv
	}
	env, err := readEnvironment(getenv)
	if err != nil {
		return nil, err
	}
	local = local || env.local
	d := &MesosExecutorDriver{
		exec:       config.Executor,
		node:       config.Node,
		env:        env,
		local:      local,
		killSelf:   killProcessGroup,
		flushed:    make(chan struct{}),
		reregister: config.Reregister,
		tasks:      config.Tasks,
	}
	d.life = driverlife.New(func(msg string) { d.exec.Error(d, msg) }, nil)
	if d.node == nil {
		cfg, err := actors.ConfigFromEnv()
		if err != nil {
			return nil, fmt.Errorf("executor driver: %w", err)
		}
		if config.BindingAddress != nil {
			cfg.Host = config.BindingAddress.String()
		}
		if config.BindingPort != 0 {
			cfg.Port = int(config.BindingPort)
		}
		if config.PublishedAddress != nil {
			cfg.AdvertiseHost = config.PublishedAddress.String()
		} else if config.HostnameOverride != "" && cfg.AdvertiseHost == "" {
			cfg.AdvertiseHost = config.HostnameOverride
		}
		if d.node, err = actors.NewNode(cfg); err != nil {
			return nil, fmt.Errorf("executor driver: starting the actor node: %w", err)
		}
		d.ownNode = true
		if err := d.startTracing(getenv, config.Getenv == nil); err != nil {
			d.node.Shutdown()
			return nil, err
		}
	}
	d.log = d.node.Log().WithFields(logrus.Fields{
		"framework_id": env.frameworkID,
		"executor_id":  env.executorID,
		"agent_id":     env.slaveID,
	})
	return d, nil
}

// startTracing installs a file tracer on the driver's own node when the
// agent named a trace file (tracing.EnvTraceFile). The variable is then
// removed from the process' environment, so that the tasks the executor
// starts do not inherit it: no two processes write one file.
func (d *MesosExecutorDriver) startTracing(getenv func(string) string, fromOS bool) error {
	path := getenv(tracing.EnvTraceFile)
	if path == "" {
		return nil
	}
	payloads := getenv(tracing.EnvTracePayloads) == "1"
	if fromOS {
		os.Unsetenv(tracing.EnvTraceFile)
		os.Unsetenv(tracing.EnvTracePayloads)
	}
	rec, err := tracing.New(tracing.Options{
		Process:  d.node.Address(),
		Program:  filepath.Base(os.Args[0]),
		File:     path,
		Payloads: payloads,
		Log:      d.node.Log(),
	})
	if err != nil {
		return fmt.Errorf("executor driver: %s=%s: %w", tracing.EnvTraceFile, path, err)
	}
	d.node.SetTracer(rec)
	d.tracer = rec
	if fromOS {
		// A real executor process: a SIGTERM (e.g. from an operator) must
		// not lose the events still buffered.
		tracing.CloseOnSignal(rec)
	}
	kill := d.killSelf
	d.killSelf = func() {
		d.tracer.Flush()
		kill()
	}
	return nil
}

// killProcessGroup SIGKILLs the executor's process group if it leads one
// (as an agent starts it), else just the process.
func killProcessGroup() {
	pid := os.Getpid()
	if pgid, err := syscall.Getpgid(0); err == nil && pgid == pid {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	os.Exit(1)
}

// Status returns the driver's status.
func (d *MesosExecutorDriver) Status() mesos.Status { return d.life.Status() }

// Running reports whether the status is DRIVER_RUNNING.
func (d *MesosExecutorDriver) Running() bool { return d.Status() == mesos.Status_DRIVER_RUNNING }

// Connected reports whether the executor is registered with its agent.
func (d *MesosExecutorDriver) Connected() bool { return d.connected.Load() }

// PID returns the driver actor's PID (zero before Start).
func (d *MesosExecutorDriver) PID() actors.PID {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pid
}

func (d *MesosExecutorDriver) process() (actors.PID, *process) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pid, d.proc
}

// Directory returns MESOS_DIRECTORY, the executor's sandbox.
func (d *MesosExecutorDriver) Directory() string { return d.env.directory }

// ShutdownGracePeriod returns MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD (5 s by
// default): the time between ShutdownExecutorMessage and the self-kill.
func (d *MesosExecutorDriver) ShutdownGracePeriod() time.Duration { return d.env.shutdownGrace }

// Start registers with the agent.
func (d *MesosExecutorDriver) Start() (mesos.Status, error) {
	return d.life.Start(func() error {
		p := newProcess(d)
		var pid actors.PID
		var err error
		for range 1000 {
			pid, err = d.node.Spawn(fmt.Sprintf("executor(%d)", executorSeq.Add(1)), p)
			if !errors.Is(err, actors.ErrNameExists) {
				break
			}
		}
		if err != nil {
			d.log.WithError(err).Error("cannot start the executor driver")
			d.shutdownOwnNode(nil)
			return fmt.Errorf("Failed to start the executor driver: %v", err)
		}
		d.mu.Lock()
		d.pid, d.proc = pid, p
		d.mu.Unlock()
		d.log.WithFields(logrus.Fields{"pid": pid.String(), "agent": d.env.slavePID.String()}).Info("executor driver started")
		return nil
	})
}

// Stop stops the driver.
func (d *MesosExecutorDriver) Stop() (mesos.Status, error) {
	return d.life.Stop(func() {
		d.log.Info("stopping the executor driver")
		pid, p := d.process()
		if p == nil || !d.node.Dispatch(pid, p.stop) {
			d.life.Callbacks.Close()
		}
		d.shutdownOwnNode(p)
	})
}

// shutdownOwnNode shuts the driver's own node down once p has finished.
func (d *MesosExecutorDriver) shutdownOwnNode(p *process) {
	if !d.ownNode {
		return
	}
	go func() {
		if p != nil {
			driverlife.WaitAtMost(p.finished, joinStopWait)
		}
		d.flushToAgent()
		close(d.flushed)
		d.node.Shutdown()
		if d.tracer != nil {
			_ = d.tracer.Close()
		}
	}()
}

// Abort stops callbacks; the actor stays until Stop.
func (d *MesosExecutorDriver) Abort() (mesos.Status, error) {
	return d.life.Abort(func() {
		d.log.Info("aborting the executor driver")
		if pid, p := d.process(); p != nil {
			d.node.Dispatch(pid, p.abort)
		}
	})
}

// Join blocks until the driver is stopped or aborted.
func (d *MesosExecutorDriver) Join() (mesos.Status, error) {
	_, p := d.process()
	st, err := d.life.Join(func() {
		if p != nil {
			driverlife.WaitAtMost(p.finished, joinStopWait)
		}
		if d.ownNode {
			driverlife.WaitAtMost(d.flushed, exitFlushWait+time.Second)
		}
	})
	if err == nil {
		// The executor usually exits when Join returns: its trace must be
		// in the file by then.
		d.tracer.Flush()
	}
	return st, err
}

// flushToAgent waits (bounded) until what the driver's own node sent to the
// agent has reached it, before the node shuts down: an executor usually
// exits when Join returns, and its last status updates must not die in its
// send queue while a busy agent is slow to read them (the agent would then
// see the exit first).
func (d *MesosExecutorDriver) flushToAgent() {
	if !d.ownNode || d.env.slavePID.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), exitFlushWait)
	defer cancel()
	if err := d.node.Flush(ctx, d.env.slavePID); err != nil {
		d.log.WithError(err).Warn("could not make sure the agent got every message before exiting")
	}
}

// Run starts the driver and joins it.
func (d *MesosExecutorDriver) Run() (mesos.Status, error) {
	return driverlife.Run(d.Start, d.Join)
}

func (d *MesosExecutorDriver) call(name string, f func(p *process)) (mesos.Status, error) {
	return d.life.Call(name, func() bool {
		pid, p := d.process()
		return d.node.Dispatch(pid, func() { f(p) })
	})
}

// SendStatusUpdate sends a task status to the agent.
func (d *MesosExecutorDriver) SendStatusUpdate(status *mesos.TaskStatus) (mesos.Status, error) {
	if err := checkStatus(status); err != nil {
		return d.Status(), err
	}
	status = proto.Clone(status).(*mesos.TaskStatus)
	return d.call("SendStatusUpdate", func(p *process) { p.apply(p.core.SendStatusUpdate(p.now(), status)) })
}

// checkStatus refuses a status an executor may not send.
func checkStatus(status *mesos.TaskStatus) error {
	switch {
	case status == nil:
		return errors.New("Unable to SendStatusUpdate: nil status")
	case status.GetTaskId() == nil || status.State == nil:
		return errors.New("Unable to SendStatusUpdate: the status needs a task_id and a state")
	case status.GetState() == mesos.TaskState_TASK_STAGING:
		return errors.New("Unable to SendStatusUpdate: an executor is not allowed to send a TASK_STAGING status update")
	}
	return nil
}

// SendFrameworkMessage sends data to the scheduler, best effort.
func (d *MesosExecutorDriver) SendFrameworkMessage(data string) (mesos.Status, error) {
	return d.call("SendFrameworkMessage", func(p *process) { p.apply(p.core.SendFrameworkMessage(p.now(), data)) })
}

// WaitAcknowledged blocks until the agent has acknowledged every status
// update sent so far (including those whose SendStatusUpdate was called
// just before), or ctx ends. Executors call it before exiting so that their
// last update is not lost. (Not part of mesos-go's interface.)
func (d *MesosExecutorDriver) WaitAcknowledged(ctx context.Context) error {
	pid, p := d.process()
	if pid.IsZero() {
		return errors.New("executor driver not started")
	}
	v, err := d.node.Call(ctx, pid, func() any { return p.ackWaiter() })
	if err != nil {
		return err
	}
	select {
	case <-v.(chan struct{}):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Unacknowledged returns how many status updates and tasks await the
// agent's acknowledgement (the ones a reconnecting executor hands back).
func (d *MesosExecutorDriver) Unacknowledged(ctx context.Context) (updates, tasks int, err error) {
	pid, p := d.process()
	if pid.IsZero() {
		return 0, 0, errors.New("executor driver not started")
	}
	v, err := d.node.Call(ctx, pid, func() any {
		u, t := p.core.Unacknowledged()
		return [2]int{u, t}
	})
	if err != nil {
		return 0, 0, err
	}
	n := v.([2]int)
	return n[0], n[1], nil
}
