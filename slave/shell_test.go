package slave

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/actortest"
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
		ex, err := startFakeExecutor(h.node, id, h.agent, cfg.Env["MESOS_FRAMEWORK_ID"], cfg.Env["MESOS_EXECUTOR_ID"], true)
		if err != nil {
			return err
		}
		t.Cleanup(ex.Stop)
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
	reg := actortest.Must[*mesosinternal.ExecutorRegisteredMessage](t, ex.Peer, nil)
	run := actortest.Must[*mesosinternal.RunTaskMessage](t, ex.Peer, nil)
	arrivedBefore(t, ex.Peer, reg, run)
	running := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
	if running.GetUpdate().GetStatus().GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("update = %v", running)
	}
	if _, updates := im.Resources(cid); updates == 0 {
		t.Fatal("the container was not given its task's resources before the task was sent")
	}
	h.master.SendNow(h.agent, &mesosinternal.StatusUpdateAcknowledgementMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: running.GetUpdate().GetUuid(),
	})

	// The executor dies: its running task fails and the master hears of
	// it, once the executor's link has reported its exit too.
	if err := im.Exit(cid, 256); err != nil {
		t.Fatal(err)
	}
	ex.Stop()
	failed := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
	st := failed.GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_FAILED || st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_TERMINATED ||
		st.GetSource() != mesos.TaskStatus_SOURCE_SLAVE {
		t.Fatalf("update = %v", failed)
	}
	exited := actortest.Must[*mesosinternal.ExitedExecutorMessage](t, h.master, nil)
	if exited.GetExecutorId().GetValue() != "e1" || exited.GetStatus() != 256 {
		t.Fatalf("ExitedExecutorMessage = %v", exited)
	}
	arrivedBefore(t, h.master, failed, exited)
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
	upd := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
	st := upd.GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_FAILED || st.GetReason() != mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED ||
		!strings.Contains(st.GetMessage(), "Failed to launch container: no such image") {
		t.Fatalf("update = %v", upd)
	}
	if got := im.Containers(); len(got) != 0 {
		t.Fatalf("containers after a failed launch: %v", got)
	}
}
