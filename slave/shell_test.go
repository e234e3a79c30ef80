package slave

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/slave/containerizer"
)

// newInMemHarness runs the agent with an InMem containerizer whose
// launches start a fake executor that registers.
func newInMemHarness(t *testing.T) (*harness, *containerizer.InMem, chan *fakeExecutor) {
	t.Helper()
	im := containerizer.NewInMem()
	h := newHarness(t, true, func(c *Config) { c.Containerizer = im })
	execs := make(chan *fakeExecutor, 10)
	im.OnLaunch = func(id string, cfg containerizer.LaunchConfig) error {
		ex := &fakeExecutor{
			node: h.node, agent: h.agent, fid: cfg.Env["MESOS_FRAMEWORK_ID"], eid: cfg.Env["MESOS_EXECUTOR_ID"],
			register: true, events: make(chan received, 100),
		}
		pid, err := h.node.Spawn("executor-"+id, ex)
		if err != nil {
			return err
		}
		ex.self = pid
		t.Cleanup(func() { h.node.Stop(pid) })
		execs <- ex
		return nil
	}
	return h, im, execs
}

func TestShellWithInMemRunsTaskAndReportsExecutorExit(t *testing.T) {
	h, im, execs := newInMemHarness(t)
	h.register()
	h.runTask(customTask("t1", "e1"))
	cid := <-im.Launches()
	ex := <-execs
	next[*mesosinternal.ExecutorRegisteredMessage](t, ex.events, nil)
	next[*mesosinternal.RunTaskMessage](t, ex.events, nil)
	_, running := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, nil)
	if running.GetUpdate().GetStatus().GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("update = %v", running)
	}
	if _, updates := im.Resources(cid); updates == 0 {
		t.Fatal("the container was not given its task's resources before the task was sent")
	}
	h.node.Send(h.master, h.agent, &mesosinternal.StatusUpdateAcknowledgementMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: running.GetUpdate().GetUuid(),
	})

	// The executor dies: its running task fails and the master hears of it.
	if err := im.Exit(cid, 256); err != nil {
		t.Fatal(err)
	}
	_, failed := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, nil)
	st := failed.GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_FAILED || st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_TERMINATED ||
		st.GetSource() != mesos.TaskStatus_SOURCE_SLAVE {
		t.Fatalf("update = %v", failed)
	}
	_, exited := next[*mesosinternal.ExitedExecutorMessage](t, h.inbox, nil)
	if exited.GetExecutorId().GetValue() != "e1" || exited.GetStatus() != 256 {
		t.Fatalf("ExitedExecutorMessage = %v", exited)
	}
}

func TestShellWithInMemReportsFailedLaunch(t *testing.T) {
	h, im, _ := newInMemHarness(t)
	im.OnLaunch = nil
	im.Hold = true
	h.register()
	h.runTask(customTask("t1", "e1"))
	cid := <-im.Launches()
	if err := im.FailLaunch(cid, errors.New("no such image")); err != nil {
		t.Fatal(err)
	}
	_, upd := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, nil)
	st := upd.GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_FAILED || st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED ||
		!strings.Contains(st.GetMessage(), "Failed to launch container: no such image") {
		t.Fatalf("update = %v", upd)
	}
	if got := im.Containers(); len(got) != 0 {
		t.Fatalf("containers after a failed launch: %v", got)
	}
}
