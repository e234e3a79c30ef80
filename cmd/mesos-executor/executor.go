package main

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
	ackTimeout = 5 * time.Second
	// shutdownMargin is kept back from the agent's shutdown grace period so
	// that TASK_KILLED goes out before the executor is killed.
	shutdownMargin = time.Second
)

// driver is what the command executor needs from its driver.
type driver interface {
	executordriver.ExecutorDriver
	WaitAcknowledged(ctx context.Context) error
}

// commandExecutor runs one task's command.
type commandExecutor struct {
	log             *logrus.Entry
	getenv          func(string) string
	sandboxOverride string
	shutdownGrace   time.Duration
	ackTimeout      time.Duration

	mu         sync.Mutex
	drv        driver
	framework  *mesos.FrameworkInfo
	launched   bool
	taskID     *mesos.TaskID
	killGrace  time.Duration
	cmd        *exec.Cmd
	pgid       int
	killed     bool
	terminated bool
	escalation *time.Timer
	finishing  bool
	exited     chan struct{} // closed once the command's end is reported
}

var _ executordriver.Executor = (*commandExecutor)(nil)

func newCommandExecutor(log *logrus.Entry, getenv func(string) string, sandbox string) *commandExecutor {
	return &commandExecutor{
		log:             log,
		getenv:          getenv,
		sandboxOverride: sandbox,
		shutdownGrace:   executordriver.DefaultShutdownGracePeriod,
		ackTimeout:      ackTimeout,
		killGrace:       defaultKillGracePeriod,
	}
}

func (c *commandExecutor) setDriver(d driver) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drv = d
}

func (c *commandExecutor) Registered(_ executordriver.ExecutorDriver, _ *mesos.ExecutorInfo, fi *mesos.FrameworkInfo, si *mesos.SlaveInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.framework = fi
	c.log.WithField("agent", si.GetHostname()).Info("Registered with the agent")
}

func (c *commandExecutor) Reregistered(_ executordriver.ExecutorDriver, si *mesos.SlaveInfo) {
	c.log.WithField("agent", si.GetHostname()).Info("Re-registered with the agent")
}

func (c *commandExecutor) Disconnected(executordriver.ExecutorDriver) {
	c.log.Info("Disconnected from the agent")
}

func (c *commandExecutor) FrameworkMessage(_ executordriver.ExecutorDriver, data string) {
	c.log.WithField("bytes", len(data)).Info("Ignoring a framework message")
}

func (c *commandExecutor) Error(_ executordriver.ExecutorDriver, message string) {
	c.log.WithField("error", message).Error("Executor driver error")
	c.cleanup()
}

// LaunchTask starts the task's command.
func (c *commandExecutor) LaunchTask(_ executordriver.ExecutorDriver, task *mesos.TaskInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	log := c.log.WithField("task_id", task.GetTaskId().GetValue())
	if c.launched {
		log.Error("Refusing a second task: the command executor runs one task")
		c.sendLocked(task.GetTaskId(), mesos.TaskState_TASK_FAILED,
			`Attempted to run multiple tasks using a "command" executor`)
		return
	}
	c.launched = true
	c.taskID = task.GetTaskId()
	if gp := task.GetKillPolicy().GetGracePeriod(); gp != nil && gp.GetNanoseconds() >= 0 {
		c.killGrace = time.Duration(gp.GetNanoseconds())
	}

	cmd, err := c.buildCommand(task)
	if err != nil {
		log.WithError(err).Error("Cannot launch the task")
		c.terminated = true
		c.sendLocked(c.taskID, mesos.TaskState_TASK_FAILED, err.Error())
		go c.finish()
		return
	}
	c.sendLocked(c.taskID, mesos.TaskState_TASK_STARTING, "")
	if err := cmd.Start(); err != nil {
		log.WithError(err).Error("Cannot launch the task")
		c.terminated = true
		c.sendLocked(c.taskID, mesos.TaskState_TASK_FAILED, "Failed to launch command: "+err.Error())
		go c.finish()
		return
	}
	c.cmd = cmd
	c.pgid = cmd.Process.Pid
	c.exited = make(chan struct{})
	log.WithFields(logrus.Fields{"pid": c.pgid, "command": describe(task.GetCommand())}).Info("Task launched")
	c.sendLocked(c.taskID, mesos.TaskState_TASK_RUNNING, "")
	go c.wait(cmd)
}

// buildCommand turns the task's CommandInfo into a process description.
func (c *commandExecutor) buildCommand(task *mesos.TaskInfo) (*exec.Cmd, error) {
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
			c.log.WithField("name", v.GetName()).Warn("Secret environment variables are not supported; skipped")
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
func (c *commandExecutor) wait(cmd *exec.Cmd) {
	err := cmd.Wait()

	c.mu.Lock()
	c.terminated = true
	if c.escalation != nil {
		c.escalation.Stop()
	}
	killed := c.killed
	state := mesos.TaskState_TASK_FAILED
	var message string
	if ws, ok := exitStatus(cmd, err); ok {
		switch {
		case ws.Exited():
			message = fmt.Sprintf("Command exited with status %d", ws.ExitStatus())
			if ws.ExitStatus() == 0 {
				state = mesos.TaskState_TASK_FINISHED
			}
		case ws.Signaled():
			message = "Command terminated with signal " + signalName(ws.Signal())
		default:
			message = "Command ended with wait status " + fmt.Sprint(int(ws))
		}
	} else {
		message = fmt.Sprintf("Failed to get exit status for Command: %v", err)
	}
	if killed {
		state = mesos.TaskState_TASK_KILLED
	}
	c.log.WithFields(logrus.Fields{"task_id": c.taskID.GetValue(), "state": state.String()}).Info(message)
	c.sendLocked(c.taskID, state, message)
	close(c.exited)
	c.mu.Unlock()

	c.finish()
}

func exitStatus(cmd *exec.Cmd, err error) (syscall.WaitStatus, bool) {
	if cmd.ProcessState == nil {
		return 0, false
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return 0, false
	}
	_ = err // a non-zero exit is reported through the wait status
	return ws, true
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
func (c *commandExecutor) KillTask(_ executordriver.ExecutorDriver, id *mesos.TaskID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case !c.launched:
		c.log.WithField("task_id", id.GetValue()).Warn("Kill request before any task was launched; exiting")
		go c.finish()
	case id.GetValue() != c.taskID.GetValue():
		c.log.WithField("task_id", id.GetValue()).Warn("Ignoring a kill request for an unknown task")
	default:
		c.killLocked(c.killGrace)
	}
}

// Shutdown kills the task within the agent's shutdown grace period. The
// driver stops once this returns (as mesos-go's does), so it waits for the
// task's end to be reported and acknowledged, bounded by the grace period.
func (c *commandExecutor) Shutdown(executordriver.ExecutorDriver) {
	c.mu.Lock()
	c.log.Info("Shutting down")
	if !c.launched || c.cmd == nil || c.terminated {
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
		c.log.Warn("The task did not end within the shutdown grace period")
	}
	c.finish()
}

func (c *commandExecutor) killLocked(grace time.Duration) {
	if c.terminated || c.cmd == nil {
		return
	}
	if c.killed {
		// Already being killed: only ever escalate sooner.
		if c.escalation != nil && grace == 0 {
			c.escalation.Stop()
			_ = syscall.Kill(-c.pgid, syscall.SIGKILL)
		}
		return
	}
	c.killed = true
	if protocol.HasCapability(c.framework, mesos.FrameworkInfo_Capability_TASK_KILLING_STATE) {
		c.sendLocked(c.taskID, mesos.TaskState_TASK_KILLING, "")
	}
	c.log.WithFields(logrus.Fields{"task_id": c.taskID.GetValue(), "grace_period": grace.String()}).
		Info("Sending SIGTERM to the task's process group")
	_ = syscall.Kill(-c.pgid, syscall.SIGTERM)
	pgid := c.pgid
	c.escalation = time.AfterFunc(grace, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.terminated {
			return
		}
		c.log.WithField("task_id", c.taskID.GetValue()).Info("Task did not stop in time; sending SIGKILL")
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	})
}

// sendLocked sends a status update for the task; c.mu is held.
func (c *commandExecutor) sendLocked(id *mesos.TaskID, state mesos.TaskState, message string) {
	if c.drv == nil {
		return
	}
	status := &mesos.TaskStatus{TaskId: proto.Clone(id).(*mesos.TaskID), State: state.Enum()}
	if message != "" {
		status.Message = proto.String(message)
	}
	if _, err := c.drv.SendStatusUpdate(status); err != nil {
		c.log.WithError(err).WithField("state", state.String()).Error("Cannot send a status update")
	}
}

// finish waits (bounded) for the agent to acknowledge every update, then
// stops the driver. It runs outside the callback goroutine.
func (c *commandExecutor) finish() {
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
		c.log.WithError(err).Warn("The agent did not acknowledge every status update in time")
	}
	_, _ = drv.Stop()
}

// cleanup makes sure the task does not outlive the executor.
func (c *commandExecutor) cleanup() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd != nil && !c.terminated {
		c.log.Warn("Executor ending with the task still running; killing it")
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
