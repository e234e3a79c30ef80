// Package command is Mesos' command executor: the executor an agent runs
// for a task that carries a CommandInfo and no ExecutorInfo. It reports
// TASK_STARTING, TASK_RUNNING and the terminal state with the command's exit
// status, kills the command (SIGTERM to its process group, SIGKILL after the
// kill policy's grace period) when asked, waits for the agent to acknowledge
// the terminal update, and stops its driver.
//
// The same Executor runs in two hosts: bin/mesos-executor, a process of its
// own that forks the command itself, and the agent, which hosts it as an
// actor on its own node and starts the command as the container's process
// (Config.Start), so that a command task costs no executor process.
package command

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gomesos/gomesos/executordriver"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

const (
	// defaultKillGracePeriod applies when the task has no kill policy.
	defaultKillGracePeriod = 3 * time.Second
	// ackTimeout bounds the wait for the terminal update's acknowledgement.
	// The agent acknowledges an update only once it has taken it, so an
	// executor that exits before the acknowledgement can make a saturated
	// agent see the exit first and fail a task that finished: the wait is
	// sized for an agent busy for tens of seconds, not for an idle one.
	ackTimeout = time.Minute
	// shutdownMargin is kept back from the agent's shutdown grace period so
	// that TASK_KILLED goes out before the executor is killed.
	shutdownMargin = time.Second
)

// Driver is what the command executor needs from its driver.
type Driver interface {
	executordriver.ExecutorDriver
	WaitAcknowledged(ctx context.Context) error
}

// Process is a task's running command.
type Process interface {
	// Pid is the command's pid, which leads its process group.
	Pid() int
	// Wait blocks until the command has ended.
	Wait() Exit
}

// Exit is how a task's command ended.
type Exit struct {
	// Status is the command's wait status, valid when Known.
	Status syscall.WaitStatus
	Known  bool
	// Err explains an unknown status.
	Err error
	// State, Reason and Message, when State is set, override what the
	// status says (a container that hit a resource limit).
	State   *mesos.TaskState
	Reason  *mesos.TaskStatus_Reason
	Message string
}

// Config configures an Executor.
type Config struct {
	Log *logrus.Entry
	// Getenv reads the executor's environment (MESOS_SANDBOX,
	// MESOS_DIRECTORY); default os.Getenv.
	Getenv func(string) string
	// Sandbox overrides the task's working directory.
	Sandbox string
	// Start starts the task's command; default: fork it from this process
	// (in the sandbox, in a process group of its own, with this process'
	// environment plus the command's).
	Start func(task *mesos.TaskInfo) (Process, error)
	// KeepTaskOnEnd: Cleanup leaves a running command alone (the agent
	// hosting the executor owns the command's container).
	KeepTaskOnEnd bool
}

// Executor runs one task's command. It is safe for concurrent use.
type Executor struct {
	log             *logrus.Entry
	getenv          func(string) string
	sandboxOverride string
	start           func(task *mesos.TaskInfo) (Process, error)
	keepTask        bool
	shutdownGrace   time.Duration
	ackTimeout      time.Duration

	mu         sync.Mutex
	drv        Driver
	framework  *mesos.FrameworkInfo
	launched   bool
	taskID     *mesos.TaskID
	killGrace  time.Duration
	proc       Process
	pgid       int
	killed     bool
	terminated bool
	escalation *time.Timer
	killBy     time.Time // when escalation sends SIGKILL
	finishing  bool
	exited     chan struct{} // closed once the command's end is reported
	done       chan struct{} // closed once the driver is stopped by finish
}

var _ executordriver.Executor = (*Executor)(nil)

// New returns an executor; SetDriver gives it its driver before the driver
// starts.
func New(cfg Config) *Executor {
	c := &Executor{
		log:             cfg.Log,
		getenv:          cfg.Getenv,
		sandboxOverride: cfg.Sandbox,
		start:           cfg.Start,
		keepTask:        cfg.KeepTaskOnEnd,
		shutdownGrace:   executordriver.DefaultShutdownGracePeriod,
		ackTimeout:      ackTimeout,
		killGrace:       defaultKillGracePeriod,
		done:            make(chan struct{}),
	}
	if c.log == nil {
		c.log = logrus.NewEntry(logrus.StandardLogger())
	}
	if c.getenv == nil {
		c.getenv = os.Getenv
	}
	if c.start == nil {
		c.start = c.fork
	}
	return c
}

func newCommandExecutor(log *logrus.Entry, getenv func(string) string, sandbox string) *Executor {
	return New(Config{Log: log, Getenv: getenv, Sandbox: sandbox})
}

// SetDriver gives the executor its driver.
func (c *Executor) SetDriver(d Driver) { c.setDriver(d) }

// SetShutdownGracePeriod sets the agent's shutdown grace period
// (MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD), within which Shutdown ends.
func (c *Executor) SetShutdownGracePeriod(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shutdownGrace = d
}

// SetFramework tells the executor its framework (known from registration
// otherwise; a re-registration does not carry it).
func (c *Executor) SetFramework(fi *mesos.FrameworkInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.framework = fi
}

// Finished is closed once the executor has stopped its driver.
func (c *Executor) Finished() <-chan struct{} { return c.done }

// Cleanup makes sure the task does not outlive the executor (unless
// KeepTaskOnEnd).
func (c *Executor) Cleanup() { c.cleanup() }

func (c *Executor) setDriver(d Driver) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drv = d
}

func (c *Executor) Registered(_ executordriver.ExecutorDriver, _ *mesos.ExecutorInfo, fi *mesos.FrameworkInfo, si *mesos.SlaveInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.framework = fi
	c.log.WithField("agent", si.GetHostname()).Info("registered with the agent")
}

func (c *Executor) Reregistered(_ executordriver.ExecutorDriver, si *mesos.SlaveInfo) {
	c.log.WithField("agent", si.GetHostname()).Info("re-registered with the agent")
}

func (c *Executor) Disconnected(executordriver.ExecutorDriver) {
	c.log.Info("disconnected from the agent")
}

func (c *Executor) FrameworkMessage(_ executordriver.ExecutorDriver, data string) {
	c.log.WithField("bytes", len(data)).Info("ignoring a framework message")
}

func (c *Executor) Error(_ executordriver.ExecutorDriver, message string) {
	c.log.WithField("error", message).Error("executor driver error")
	c.cleanup()
}

// LaunchTask starts the task's command.
func (c *Executor) LaunchTask(_ executordriver.ExecutorDriver, task *mesos.TaskInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	log := c.log.WithField("task_id", task.GetTaskId().GetValue())
	if c.launched {
		log.Error("refusing a second task: the command executor runs one task")
		c.sendLocked(task.GetTaskId(), mesos.TaskState_TASK_FAILED,
			`Attempted to run multiple tasks using a "command" executor`)
		return
	}
	c.adoptLocked(task)
	c.sendLocked(c.taskID, mesos.TaskState_TASK_STARTING, "")
	p, err := c.start(task)
	if err != nil {
		log.WithError(err).Error("cannot launch the task")
		c.terminated = true
		c.sendLocked(c.taskID, mesos.TaskState_TASK_FAILED, err.Error())
		go c.finish()
		return
	}
	c.runningLocked(p)
	log.WithFields(logrus.Fields{"pid": c.pgid, "command": describe(task.GetCommand())}).Info("task launched")
	c.sendLocked(c.taskID, mesos.TaskState_TASK_RUNNING, "")
}

// Adopt takes over a task whose command already runs (started before an
// agent that hosts the executor restarted): no update is sent until it
// ends.
func (c *Executor) Adopt(task *mesos.TaskInfo, p Process) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.launched {
		return
	}
	c.adoptLocked(task)
	c.runningLocked(p)
	c.log.WithFields(logrus.Fields{"task_id": c.taskID.GetValue(), "pid": c.pgid}).Info("adopted a running task")
}

func (c *Executor) adoptLocked(task *mesos.TaskInfo) {
	c.launched = true
	c.taskID = task.GetTaskId()
	if gp := task.GetKillPolicy().GetGracePeriod(); gp != nil && gp.GetNanoseconds() >= 0 {
		c.killGrace = time.Duration(gp.GetNanoseconds())
	}
}

func (c *Executor) runningLocked(p Process) {
	c.proc = p
	c.pgid = p.Pid()
	c.exited = make(chan struct{})
	go c.wait(p)
}

// fork starts the task's command as a child of this process.
func (c *Executor) fork(task *mesos.TaskInfo) (Process, error) {
	cmd, err := c.buildCommand(task)
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, errors.New("Failed to launch command: " + err.Error())
	}
	return child{cmd}, nil
}

// child is a command this process forked.
type child struct{ cmd *exec.Cmd }

func (p child) Pid() int { return p.cmd.Process.Pid }

func (p child) Wait() Exit {
	err := p.cmd.Wait()
	if p.cmd.ProcessState != nil {
		if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			return Exit{Status: ws, Known: true}
		}
	}
	return Exit{Err: err}
}

// buildCommand turns the task's CommandInfo into a process description.
func (c *Executor) buildCommand(task *mesos.TaskInfo) (*exec.Cmd, error) {
	ci := task.GetCommand()
	if ci == nil {
		return nil, errors.New("Task has no command")
	}
	var cmd *exec.Cmd
	if ci.GetShell() {
		if ci.GetValue() == "" {
			return nil, errors.New("Shell command of the task is empty")
		}
		cmd = exec.Command("/bin/sh", "-c", ci.GetValue())
	} else {
		if ci.GetValue() == "" {
			return nil, errors.New("Executable of the task is empty")
		}
		path := ci.GetValue()
		if !strings.Contains(path, "/") {
			p, err := exec.LookPath(path)
			if err != nil {
				return nil, fmt.Errorf("Failed to find executable %q: %v", path, err)
			}
			path = p
		}
		args := ci.GetArguments()
		if len(args) == 0 {
			args = []string{ci.GetValue()}
		}
		cmd = &exec.Cmd{Path: path, Args: append([]string(nil), args...)}
	}

	dir := c.sandboxOverride
	if dir == "" {
		dir = c.getenv("MESOS_SANDBOX")
	}
	if dir == "" {
		dir = c.getenv("MESOS_DIRECTORY")
	}
	cmd.Dir = dir

	env := os.Environ()
	if dir != "" && c.getenv("MESOS_SANDBOX") == "" {
		env = append(env, "MESOS_SANDBOX="+dir)
	}
	for _, v := range ci.GetEnvironment().GetVariables() {
		if v.GetType() == mesos.Environment_Variable_SECRET {
			c.log.WithField("name", v.GetName()).Warn("secret environment variables are not supported; skipped")
			continue
		}
		env = append(env, v.GetName()+"="+v.GetValue())
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, nil
}

// wait reaps the command and reports its end.
func (c *Executor) wait(p Process) {
	x := p.Wait()

	c.mu.Lock()
	c.terminated = true
	if c.escalation != nil {
		c.escalation.Stop()
	}
	state, message := ExitState(x)
	var reason *mesos.TaskStatus_Reason
	if x.State != nil {
		reason = x.Reason
	}
	if c.killed {
		state = mesos.TaskState_TASK_KILLED
	}
	c.log.WithFields(logrus.Fields{"task_id": c.taskID.GetValue(), "state": state.String()}).Info(message)
	c.sendReasonLocked(c.taskID, state, reason, message)
	close(c.exited)
	c.mu.Unlock()

	c.finish()
}

// ExitState is the terminal state and message of a command that ended as
// x says (before a kill turns the state into TASK_KILLED).
func ExitState(x Exit) (mesos.TaskState, string) {
	if x.State != nil {
		return x.GetState(), x.Message
	}
	if !x.Known {
		return mesos.TaskState_TASK_FAILED, fmt.Sprintf("Failed to get exit status for Command: %v", x.Err)
	}
	ws := x.Status
	switch {
	case ws.Exited():
		if ws.ExitStatus() == 0 {
			return mesos.TaskState_TASK_FINISHED, "Command exited with status 0"
		}
		return mesos.TaskState_TASK_FAILED, fmt.Sprintf("Command exited with status %d", ws.ExitStatus())
	case ws.Signaled():
		return mesos.TaskState_TASK_FAILED, "Command terminated with signal " + signalName(ws.Signal())
	default:
		return mesos.TaskState_TASK_FAILED, "Command ended with wait status " + fmt.Sprint(int(ws))
	}
}

// GetState is x.State, or TASK_FAILED.
func (x Exit) GetState() mesos.TaskState {
	if x.State == nil {
		return mesos.TaskState_TASK_FAILED
	}
	return *x.State
}

// signalName renders a signal the way strsignal(3) does ("Terminated").
func signalName(s syscall.Signal) string {
	name := s.String()
	if name == "" {
		return fmt.Sprintf("%d", int(s))
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// KillTask kills the task: SIGTERM to its process group, SIGKILL after the
// kill policy's grace period.
func (c *Executor) KillTask(_ executordriver.ExecutorDriver, id *mesos.TaskID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.launched:
		c.log.WithField("task_id", id.GetValue()).Warn("kill request before any task was launched; exiting")
		go c.finish()
	case id.GetValue() != c.taskID.GetValue():
		c.log.WithField("task_id", id.GetValue()).Warn("ignoring a kill request for an unknown task")
	default:
		c.killLocked(c.killGrace)
	}
}

// Shutdown kills the task within the agent's shutdown grace period. The
// driver stops once this returns (as mesos-go's does), so it waits for the
// task's end to be reported and acknowledged, bounded by the grace period.
func (c *Executor) Shutdown(executordriver.ExecutorDriver) {
	c.mu.Lock()
	c.log.Info("shutting down")
	if !c.launched || c.proc == nil || c.terminated {
		c.mu.Unlock()
		c.finish()
		return
	}
	grace := max(c.shutdownGrace-shutdownMargin, 0)
	c.killLocked(min(grace, c.killGrace))
	exited := c.exited
	c.mu.Unlock()
	select {
	case <-exited:
	case <-time.After(grace + shutdownMargin/2):
		c.log.Warn("the task did not end within the shutdown grace period")
	}
	c.finish()
}

func (c *Executor) killLocked(grace time.Duration) {
	if c.terminated || c.proc == nil {
		return
	}
	if c.killed {
		// Already being killed: only ever escalate sooner (a shutdown's
		// grace can end before an earlier kill's).
		if c.escalation == nil {
			return
		}
		if grace == 0 {
			c.escalation.Stop()
			_ = syscall.Kill(-c.pgid, syscall.SIGKILL)
		} else if by := time.Now().Add(grace); by.Before(c.killBy) {
			c.killBy = by
			c.escalation.Reset(grace) // its callback checks c.terminated
		}
		return
	}
	c.killed = true
	c.killBy = time.Now().Add(grace)
	if protocol.HasCapability(c.framework, mesos.FrameworkInfo_Capability_TASK_KILLING_STATE) {
		c.sendLocked(c.taskID, mesos.TaskState_TASK_KILLING, "")
	}
	c.log.WithFields(logrus.Fields{"task_id": c.taskID.GetValue(), "grace_period": grace.String()}).
		Info("sending SIGTERM to the task's process group")
	_ = syscall.Kill(-c.pgid, syscall.SIGTERM)
	pgid := c.pgid
	c.escalation = time.AfterFunc(grace, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.terminated {
			return
		}
		c.log.WithField("task_id", c.taskID.GetValue()).Info("task did not stop in time; sending SIGKILL")
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
}

// sendLocked sends a status update for the task; c.mu is held.
func (c *Executor) sendLocked(id *mesos.TaskID, state mesos.TaskState, message string) {
	c.sendReasonLocked(id, state, nil, message)
}

func (c *Executor) sendReasonLocked(id *mesos.TaskID, state mesos.TaskState, reason *mesos.TaskStatus_Reason, message string) {
	if c.drv == nil {
		return
	}
	status := &mesos.TaskStatus{TaskId: proto.Clone(id).(*mesos.TaskID), State: state.Enum(), Reason: reason}
	if message != "" {
		status.Message = proto.String(message)
	}
	if _, err := c.drv.SendStatusUpdate(status); err != nil {
		c.log.WithError(err).WithField("state", state.String()).Error("cannot send a status update")
	}
}

// finish waits (bounded) for the agent to acknowledge every update, then
// stops the driver. It runs outside the callback goroutine.
func (c *Executor) finish() {
	c.mu.Lock()
	if c.finishing || c.drv == nil {
		c.mu.Unlock()
		return
	}
	c.finishing = true
	drv, timeout := c.drv, c.ackTimeout
	c.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := drv.WaitAcknowledged(ctx); err != nil {
		c.log.WithError(err).Warn("the agent did not acknowledge every status update in time")
	}
	_, _ = drv.Stop()
	close(c.done)
}

// cleanup makes sure the task does not outlive the executor.
func (c *Executor) cleanup() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.proc != nil && !c.terminated && !c.keepTask {
		c.log.Warn("executor ending with the task still running; killing it")
		_ = syscall.Kill(-c.pgid, syscall.SIGKILL)
	}
}

// describe renders a command for the log.
func describe(ci *mesos.CommandInfo) string {
	if ci.GetShell() {
		return "sh -c " + fmt.Sprintf("%q", ci.GetValue())
	}
	return strings.Join(ci.GetArguments(), " ")
}
