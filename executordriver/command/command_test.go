package command

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

const wait = 20 * time.Second

func testLog() *logrus.Entry { return logrus.NewEntry(actortest.Logger()) }

// fakeDriver records the executor's status updates.
type fakeDriver struct {
	updates  chan *mesos.TaskStatus
	stopped  chan struct{}
	stopOnce sync.Once
}

func newFakeDriver() *fakeDriver {
	return &fakeDriver{updates: make(chan *mesos.TaskStatus, 100), stopped: make(chan struct{})}
}

func (f *fakeDriver) Start() (mesos.Status, error) { return mesos.Status_DRIVER_RUNNING, nil }
func (f *fakeDriver) Stop() (mesos.Status, error) {
	f.stopOnce.Do(func() { close(f.stopped) })
	return mesos.Status_DRIVER_STOPPED, nil
}
func (f *fakeDriver) Abort() (mesos.Status, error) { return mesos.Status_DRIVER_ABORTED, nil }
func (f *fakeDriver) Join() (mesos.Status, error)  { return mesos.Status_DRIVER_STOPPED, nil }
func (f *fakeDriver) Run() (mesos.Status, error)   { return mesos.Status_DRIVER_STOPPED, nil }
func (f *fakeDriver) SendStatusUpdate(s *mesos.TaskStatus) (mesos.Status, error) {
	f.updates <- proto.Clone(s).(*mesos.TaskStatus)
	return mesos.Status_DRIVER_RUNNING, nil
}
func (f *fakeDriver) SendFrameworkMessage(string) (mesos.Status, error) {
	return mesos.Status_DRIVER_RUNNING, nil
}
func (f *fakeDriver) WaitAcknowledged(context.Context) error { return nil }

func (f *fakeDriver) next(t *testing.T) *mesos.TaskStatus {
	t.Helper()
	select {
	case s := <-f.updates:
		return s
	case <-time.After(wait):
		t.Fatal("timed out waiting for a status update")
		return nil
	}
}

func (f *fakeDriver) expect(t *testing.T, state mesos.TaskState) *mesos.TaskStatus {
	t.Helper()
	s := f.next(t)
	if s.GetState() != state {
		t.Fatalf("status %v (%q), want %v", s.GetState(), s.GetMessage(), state)
	}
	return s
}

func (f *fakeDriver) expectStopped(t *testing.T) {
	t.Helper()
	select {
	case <-f.stopped:
	case <-time.After(wait):
		t.Fatal("the executor did not stop its driver")
	}
}

func newExecutor(t *testing.T, env map[string]string) (*Executor, *fakeDriver) {
	t.Helper()
	c := newCommandExecutor(testLog(), func(k string) string { return env[k] }, "")
	f := newFakeDriver()
	c.setDriver(f)
	t.Cleanup(c.cleanup)
	return c, f
}

func shellTask(id, command string) *mesos.TaskInfo {
	return &mesos.TaskInfo{
		Name:    proto.String(id),
		TaskId:  &mesos.TaskID{Value: proto.String(id)},
		SlaveId: &mesos.SlaveID{Value: proto.String("agent-1")},
		Command: &mesos.CommandInfo{Value: proto.String(command)},
	}
}

func TestCommandExitCodes(t *testing.T) {
	for _, tc := range []struct {
		command string
		state   mesos.TaskState
		message string
	}{
		{"exit 0", mesos.TaskState_TASK_FINISHED, "Command exited with status 0"},
		{"exit 3", mesos.TaskState_TASK_FAILED, "Command exited with status 3"},
		{"kill -KILL $$", mesos.TaskState_TASK_FAILED, "Command terminated with signal Killed"},
	} {
		t.Run(tc.command, func(t *testing.T) {
			c, f := newExecutor(t, nil)
			c.LaunchTask(nil, shellTask("t1", tc.command))
			f.expect(t, mesos.TaskState_TASK_STARTING)
			f.expect(t, mesos.TaskState_TASK_RUNNING)
			s := f.expect(t, tc.state)
			if s.GetMessage() != tc.message || s.GetTaskId().GetValue() != "t1" {
				t.Fatalf("terminal status %v", s)
			}
			f.expectStopped(t)
		})
	}
}

func TestCommandWithoutShell(t *testing.T) {
	c, f := newExecutor(t, nil)
	task := shellTask("t1", "")
	task.Command = &mesos.CommandInfo{Shell: proto.Bool(false), Value: proto.String("sh"), Arguments: []string{"sh", "-c", "exit 4"}}
	c.LaunchTask(nil, task)
	f.expect(t, mesos.TaskState_TASK_STARTING)
	f.expect(t, mesos.TaskState_TASK_RUNNING)
	if s := f.expect(t, mesos.TaskState_TASK_FAILED); s.GetMessage() != "Command exited with status 4" {
		t.Fatalf("status %v", s)
	}
}

func TestCommandLaunchFailures(t *testing.T) {
	for name, ci := range map[string]*mesos.CommandInfo{
		"missing executable": {Shell: proto.Bool(false), Value: proto.String("/nonexistent/binary")},
		"unknown program":    {Shell: proto.Bool(false), Value: proto.String("no-such-program-gomesos")},
		"empty shell":        {Value: proto.String("")},
		"no command":         nil,
	} {
		t.Run(name, func(t *testing.T) {
			c, f := newExecutor(t, nil)
			task := shellTask("t1", "")
			task.Command = ci
			c.LaunchTask(nil, task)
			s := f.next(t)
			if s.GetState() == mesos.TaskState_TASK_STARTING {
				s = f.next(t)
			}
			if s.GetState() != mesos.TaskState_TASK_FAILED || s.GetMessage() == "" {
				t.Fatalf("status %v", s)
			}
			f.expectStopped(t)
		})
	}
}

func TestCommandEnvironmentAndSandbox(t *testing.T) {
	dir := t.TempDir()
	c, f := newExecutor(t, map[string]string{"MESOS_DIRECTORY": dir})
	task := shellTask("t1", `pwd -P > out.txt; echo "$FOO" >> out.txt; echo "$MESOS_SANDBOX" >> out.txt`)
	task.Command.Environment = &mesos.Environment{Variables: []*mesos.Environment_Variable{
		{Name: proto.String("FOO"), Value: proto.String("bar baz")},
	}}
	c.LaunchTask(nil, task)
	f.expect(t, mesos.TaskState_TASK_STARTING)
	f.expect(t, mesos.TaskState_TASK_RUNNING)
	f.expect(t, mesos.TaskState_TASK_FINISHED)
	out, err := os.ReadFile(filepath.Join(dir, "out.txt"))
	if err != nil {
		t.Fatal(err)
	}
	real, _ := filepath.EvalSymlinks(dir)
	want := real + "\nbar baz\n" + dir + "\n"
	if string(out) != want {
		t.Fatalf("task saw %q, want %q", out, want)
	}
}

func TestKillTask(t *testing.T) {
	c, f := newExecutor(t, nil)
	c.Registered(nil, nil, &mesos.FrameworkInfo{
		User: proto.String("u"), Name: proto.String("fw"),
		Capabilities: []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_TASK_KILLING_STATE.Enum()}},
	}, &mesos.SlaveInfo{})
	c.LaunchTask(nil, shellTask("t1", "sleep 100"))
	f.expect(t, mesos.TaskState_TASK_STARTING)
	f.expect(t, mesos.TaskState_TASK_RUNNING)
	c.KillTask(nil, &mesos.TaskID{Value: proto.String("other")}) // ignored
	c.KillTask(nil, &mesos.TaskID{Value: proto.String("t1")})
	f.expect(t, mesos.TaskState_TASK_KILLING)
	s := f.expect(t, mesos.TaskState_TASK_KILLED)
	if !strings.HasPrefix(s.GetMessage(), "Command terminated with signal ") {
		t.Fatalf("message %q", s.GetMessage())
	}
	f.expectStopped(t)
}

// runTermIgnoring launches a task that ignores SIGTERM, with the given
// kill grace period, and waits until it runs.
func runTermIgnoring(t *testing.T, c *Executor, f *fakeDriver, grace time.Duration) {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "ready")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	c.sandboxOverride = dir
	// The task ignores SIGTERM, then says it is ready through the fifo.
	task := shellTask("t1", "trap '' TERM; echo ready > ready; sleep 100")
	task.KillPolicy = &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: proto.Int64(int64(grace))}}
	c.LaunchTask(nil, task)
	f.expect(t, mesos.TaskState_TASK_STARTING)
	f.expect(t, mesos.TaskState_TASK_RUNNING)
	ready := make(chan error, 1)
	go func() {
		_, err := os.ReadFile(fifo) // blocks until the task wrote and closed it
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(wait):
		t.Fatal("the task never became ready")
	}
}

func TestKillEscalatesToSIGKILL(t *testing.T) {
	c, f := newExecutor(t, nil)
	runTermIgnoring(t, c, f, 200*time.Millisecond)
	c.KillTask(nil, &mesos.TaskID{Value: proto.String("t1")})
	s := f.expect(t, mesos.TaskState_TASK_KILLED)
	if s.GetMessage() != "Command terminated with signal Killed" {
		t.Fatalf("message %q", s.GetMessage())
	}
}

// A shutdown whose grace ends before an earlier kill's brings the SIGKILL
// forward: the task does not outlive the agent's patience.
func TestShutdownEscalatesAnEarlierKillSooner(t *testing.T) {
	c, f := newExecutor(t, nil)
	runTermIgnoring(t, c, f, time.Hour)
	c.KillTask(nil, &mesos.TaskID{Value: proto.String("t1")})
	c.shutdownGrace = shutdownMargin + 200*time.Millisecond
	go c.Shutdown(nil)
	s := f.expect(t, mesos.TaskState_TASK_KILLED)
	if s.GetMessage() != "Command terminated with signal Killed" {
		t.Fatalf("message %q", s.GetMessage())
	}
}

func TestSecondTaskRefused(t *testing.T) {
	c, f := newExecutor(t, nil)
	c.LaunchTask(nil, shellTask("t1", "sleep 100"))
	f.expect(t, mesos.TaskState_TASK_STARTING)
	f.expect(t, mesos.TaskState_TASK_RUNNING)
	c.LaunchTask(nil, shellTask("t2", "true"))
	if s := f.expect(t, mesos.TaskState_TASK_FAILED); s.GetTaskId().GetValue() != "t2" {
		t.Fatalf("status %v", s)
	}
	c.Shutdown(nil)
	if s := f.expect(t, mesos.TaskState_TASK_KILLED); s.GetTaskId().GetValue() != "t1" {
		t.Fatalf("status %v", s)
	}
	f.expectStopped(t)
}

func TestShutdownWithoutTask(t *testing.T) {
	c, f := newExecutor(t, nil)
	c.Shutdown(nil)
	f.expectStopped(t)
}
