package executordriver

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/internal/effecttest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// An executor written against the Executor interface, run inline: it
// reports RUNNING from inside LaunchTask, and Shutdown stops the driver.
func TestInlineRunsAnExecutorSynchronously(t *testing.T) {
	fw, ex, _ := ids()
	rec := newRecorder()
	rec.onLaunch = func(d ExecutorDriver, task *mesos.TaskInfo) {
		d.SendStatusUpdate(&mesos.TaskStatus{TaskId: task.GetTaskId(), State: mesos.TaskState_TASK_RUNNING.Enum()})
	}
	h := NewInline(NewCore(coreConfig()), rec)
	if st, err := h.Start(); st != mesos.Status_DRIVER_RUNNING || err != nil {
		t.Fatalf("Start = %v, %v", st, err)
	}
	if _, err := h.SendStatusUpdate(&mesos.TaskStatus{TaskId: taskID("t1"), State: mesos.TaskState_TASK_STAGING.Enum()}); err == nil {
		t.Fatal("TASK_STAGING accepted")
	}
	for _, s := range []struct {
		name  string
		event func() []effect.Effect
		want  []effect.Effect
		calls []string
	}{{
		name:  "start registers",
		event: func() []effect.Effect { return h.Take(coreNow) },
		want: []effect.Effect{effect.Link{PID: coreAgent},
			effect.Send{To: coreAgent, Msg: &mesosinternal.RegisterExecutorMessage{FrameworkId: fw, ExecutorId: ex}}},
	}, {
		name: "registered",
		event: func() []effect.Effect {
			return h.Receive(coreNow, coreAgent, &mesosinternal.ExecutorRegisteredMessage{})
		},
		want:  []effect.Effect{effect.CancelTimer{Key: RecoveryTimer}},
		calls: []string{"registered"},
	}, {
		name: "run task: the update sent inside LaunchTask goes out with the event",
		event: func() []effect.Effect {
			return h.Receive(coreNow, coreAgent, &mesosinternal.RunTaskMessage{Task: taskInfo("t1")})
		},
		want: []effect.Effect{effect.Send{To: coreAgent, Msg: &mesosinternal.StatusUpdateMessage{
			Update: expectedUpdate(1, "t1", mesos.TaskState_TASK_RUNNING), Pid: proto.String(coreSelf.String())}}},
		calls: []string{"launch"},
	}, {
		name:  "shutdown: self-kill, then Shutdown stops the driver",
		event: func() []effect.Effect { return h.Receive(coreNow, coreAgent, &mesosinternal.ShutdownExecutorMessage{}) },
		want:  []effect.Effect{SelfKill{After: coreConfig().ShutdownGracePeriod}, effect.CancelTimer{Key: RecoveryTimer}, Terminate{}},
		calls: []string{"shutdown"},
	}} {
		got := s.event()
		if !effecttest.Equal(got, s.want) {
			t.Fatalf("%s: effects:%s\nwant:%s", s.name, effecttest.Format(got), effecttest.Format(s.want))
		}
		for _, name := range s.calls {
			rec.expect(t, name)
		}
		rec.none(t)
	}
	if st, err := h.Join(); st != mesos.Status_DRIVER_STOPPED || err != nil {
		t.Fatalf("Join = %v, %v", st, err)
	}
}
