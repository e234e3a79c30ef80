package slave

import (
	"testing"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/containerizer"
	"google.golang.org/protobuf/proto"
)

// newLimitsRun is a core whose containerizer can tell limitations, with
// t1 running on executor e1 (container c1).
func newLimitsRun(t *testing.T) *coreRun {
	t.Helper()
	r := newCoreRun(t)
	r.c.deps.Limits = true
	r.register()
	r.runningTask()
	return r
}

func memoryLimitation() *containerizer.Termination {
	return &containerizer.Termination{
		State:            mesos.TaskState_TASK_FAILED.Enum(),
		Reason:           mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY.Enum(),
		Message:          "Memory limit exceeded: 64MB",
		LimitedResources: resources.MustParse("mem:64"),
	}
}

func ackFor(uuid string) *mesosinternal.StatusUpdateAcknowledgementMessage {
	return &mesosinternal.StatusUpdateAcknowledgementMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: []byte(uuid),
	}
}

func wantLimited(t *testing.T, st *mesos.TaskStatus) {
	t.Helper()
	if st.GetState() != mesos.TaskState_TASK_FAILED || st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY ||
		st.GetSource() != mesos.TaskStatus_SOURCE_SLAVE || st.GetMessage() != "Memory limit exceeded: 64MB" ||
		resources.Resources(st.GetLimitation().GetResources()).Scalar("mem") != 64 {
		t.Fatalf("forwarded %v, want the memory limitation", st)
	}
}

// The executor reports its task failed before the containerizer has
// ended the container on the memory limit it ran into: the agent asks,
// and reports the limitation instead; the executor's update is
// acknowledged all the same.
func TestCoreLimitationReplacesExecutorsTerminalUpdate(t *testing.T) {
	r := newLimitsRun(t)
	r.expect("failed", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FAILED, "uuid-failed-0001")),
		"check limitation c1")
	effs := r.expect("limited", r.c.ContainerLimitation(r.now, "c1", memoryLimitation()),
		"update container c1 tasks []",
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		send(&mesosinternal.StatusUpdateAcknowledgementMessage{}, coreExec))
	wantLimited(t, sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus())
	if ack := sentMsg[*mesosinternal.StatusUpdateAcknowledgementMessage](t, effs); string(ack.GetUuid()) != "uuid-failed-0001" {
		t.Fatalf("executor acknowledged %q", ack.GetUuid())
	}
	// The container's end, with the same limitation, adds nothing.
	r.expect("exit", r.c.ContainerExited(r.now, "c1", memoryLimitation(), nil),
		"cancel timer executor-registration/c1",
		send(&mesosinternal.ExitedExecutorMessage{}, coreMaster))
}

// Without a limitation the executor's update goes on as it came, and the
// updates that arrived meanwhile follow it in order.
func TestCoreNoLimitationForwardsExecutorsUpdatesInOrder(t *testing.T) {
	r := newLimitsRun(t)
	r.expect("finished", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FINISHED, "uuid-finish-0001")),
		"check limitation c1")
	r.expect("resent meanwhile", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FINISHED, "uuid-finish-0001")))
	effs := r.expect("not limited", r.c.ContainerLimitation(r.now, "c1", nil),
		"update container c1 tasks []",
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		send(&mesosinternal.StatusUpdateAcknowledgementMessage{}, coreExec),
		send(&mesosinternal.StatusUpdateAcknowledgementMessage{}, coreExec))
	if st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_FINISHED ||
		st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR {
		t.Fatalf("forwarded %v", st)
	}
	r.expect("ack", r.c.Receive(r.now, coreMaster, ackFor("uuid-finish-0001")),
		"cancel timer update/fw-1/t1")
}

// The container ends on its limitation before the answer comes: the
// held update gives way to the limitation when the executor is done,
// and the late answer changes nothing.
func TestCoreContainerEndBeforeLimitationAnswer(t *testing.T) {
	r := newLimitsRun(t)
	r.expect("failed", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FAILED, "uuid-failed-0001")),
		"check limitation c1")
	r.expect("exit", r.c.ContainerExited(r.now, "c1", memoryLimitation(), nil),
		"cancel timer executor-registration/c1",
		"start timer executor-exit/c1 after 5s")
	effs := r.expect("exited", r.c.Exited(r.now, coreExec),
		"cancel timer executor-exit/c1",
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		send(&mesosinternal.StatusUpdateAcknowledgementMessage{}, coreExec),
		send(&mesosinternal.ExitedExecutorMessage{}, coreMaster))
	wantLimited(t, sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus())
	r.expect("late answer", r.c.ContainerLimitation(r.now, "c1", memoryLimitation()))
}

// A terminal update that comes after the container ended on a limitation
// (its end held back for the executor's last messages) is replaced at
// once.
func TestCoreLimitedContainerEndedReplacesLateUpdate(t *testing.T) {
	r := newLimitsRun(t)
	r.c.ContainerExited(r.now, "c1", memoryLimitation(), nil)
	effs := r.expect("late failed", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FAILED, "uuid-failed-0001")),
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		"cancel timer executor-exit/c1",
		send(&mesosinternal.ExitedExecutorMessage{}, coreMaster),
		send(&mesosinternal.StatusUpdateAcknowledgementMessage{}, coreExec))
	wantLimited(t, sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus())
}

// The container has ended on a limitation while another task of its
// executor still runs (its end waits for the executor); a second terminal
// update of a task already replaced by the limitation has nothing to
// replace and takes the ordinary path (it used to recurse without end).
func TestCoreSecondTerminalUpdateAfterLimitedEnd(t *testing.T) {
	r := newLimitsRun(t)
	startSecondTask(r)
	r.c.ContainerExited(r.now, "c1", memoryLimitation(), nil)
	effs := r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FAILED, "uuid-failed-0001"))
	wantLimited(t, sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus())
	effs = r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FAILED, "uuid-failed-0002"))
	if ack := sentMsg[*mesosinternal.StatusUpdateAcknowledgementMessage](t, effs); string(ack.GetUuid()) != "uuid-failed-0002" {
		t.Fatalf("executor acknowledged %q, want the second update's uuid", ack.GetUuid())
	}
}

// startSecondTask launches t2 on e1 and has the executor report it
// running (not yet acknowledged).
func startSecondTask(r *coreRun) {
	effs := r.c.Receive(r.now, coreMaster, runTaskMsg("t2", "e1"))
	for _, e := range effs {
		if p, ok := e.(PrepareSandbox); ok {
			effs = r.c.SandboxPrepared(r.now, p, nil)
		}
	}
	for _, e := range effs {
		if u, ok := e.(UpdateContainer); ok {
			r.c.ContainerUpdated(r.now, u, nil)
		}
	}
	r.c.Receive(r.now, coreExec, execUpdate("t2", mesos.TaskState_TASK_RUNNING, "uuid-running-02"))
}

// withSecondTask is newLimitsRun with t2 running too on e1.
func withSecondTask(t *testing.T) *coreRun {
	t.Helper()
	r := newLimitsRun(t)
	startSecondTask(r)
	r.c.Receive(r.now, coreMaster, &mesosinternal.StatusUpdateAcknowledgementMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t2")}, Uuid: []byte("uuid-running-02"),
	})
	return r
}

// sentTo lists what effs send: the statuses forwarded to the master by
// task, and the uuids acknowledged to the executor in order.
func sentTo(effs []effect.Effect) (forwarded map[string]*mesos.TaskStatus, acked []string) {
	forwarded = map[string]*mesos.TaskStatus{}
	for _, e := range effs {
		s, ok := e.(effect.Send)
		if !ok {
			continue
		}
		switch m := s.Msg.(type) {
		case *mesosinternal.StatusUpdateMessage:
			forwarded[m.GetUpdate().GetStatus().GetTaskId().GetValue()] = m.GetUpdate().GetStatus()
		case *mesosinternal.StatusUpdateAcknowledgementMessage:
			acked = append(acked, string(m.GetUuid()))
		}
	}
	return forwarded, acked
}

// Two tasks of one executor end while the agent waits for the answer on
// the first one's: the second's terminal update waits behind it, and the
// limitation replaces it too; both updates are acknowledged, in order.
func TestCoreLimitationReplacesASecondTasksHeldUpdate(t *testing.T) {
	r := withSecondTask(t)
	r.expect("t1 failed", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FAILED, "uuid-failed-0001")),
		"check limitation c1")
	r.expect("t2 failed", r.c.Receive(r.now, coreExec, execUpdate("t2", mesos.TaskState_TASK_FAILED, "uuid-failed-0002")))
	forwarded, acked := sentTo(r.c.ContainerLimitation(r.now, "c1", memoryLimitation()))
	if len(forwarded) != 2 {
		t.Fatalf("forwarded updates of %d tasks, want t1 and t2", len(forwarded))
	}
	wantLimited(t, forwarded["t1"])
	wantLimited(t, forwarded["t2"])
	if len(acked) != 2 || acked[0] != "uuid-failed-0001" || acked[1] != "uuid-failed-0002" {
		t.Fatalf("executor acknowledged %q, want both of its updates in order", acked)
	}
}

// Without a limitation the second task's held terminal update goes on as
// the executor sent it.
func TestCoreNoLimitationForwardsASecondTasksHeldUpdate(t *testing.T) {
	r := withSecondTask(t)
	r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FINISHED, "uuid-finish-0001"))
	r.c.Receive(r.now, coreExec, execUpdate("t2", mesos.TaskState_TASK_FAILED, "uuid-failed-0002"))
	forwarded, acked := sentTo(r.c.ContainerLimitation(r.now, "c1", nil))
	if st := forwarded["t2"]; st.GetState() != mesos.TaskState_TASK_FAILED || st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR ||
		st.GetReason() == mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY {
		t.Fatalf("t2 forwarded %v, want the executor's own update", st)
	}
	if st := forwarded["t1"]; st.GetState() != mesos.TaskState_TASK_FINISHED {
		t.Fatalf("t1 forwarded %v", st)
	}
	if len(acked) != 2 || acked[0] != "uuid-finish-0001" || acked[1] != "uuid-failed-0002" {
		t.Fatalf("executor acknowledged %q, want both of its updates in order", acked)
	}
}
