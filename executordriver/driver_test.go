package executordriver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"google.golang.org/protobuf/proto"
)

func TestRegistrationAndLaunch(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	d := h.newDriver(rec)
	if !d.PID().IsZero() || d.Directory() != "/sandbox" {
		t.Fatalf("before Start: PID %v, directory %q", d.PID(), d.Directory())
	}

	// A task sent before registration is dropped.
	if st, err := d.Start(); st != mesos.Status_DRIVER_RUNNING || err != nil {
		t.Fatalf("Start = %v, %v", st, err)
	}
	if !strings.HasPrefix(d.PID().ID, "executor(") {
		t.Fatalf("executor PID %s", d.PID())
	}
	actortest.MustNext[*mesosinternal.RegisterExecutorMessage](t, h.agent, nil)
	h.node.Send(h.agent.PID(), d.PID(), runTask("early"))
	h.settle(d)
	rec.none(t)

	h.node.Send(h.agent.PID(), d.PID(), &mesosinternal.ExecutorRegisteredMessage{
		ExecutorInfo:  &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("exec-1")}},
		FrameworkInfo: &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("fw")},
		SlaveInfo:     &mesos.SlaveInfo{Hostname: proto.String("agent-host")},
	})
	rec.expect(t, "registered")
	h.node.Send(h.agent.PID(), d.PID(), runTask("t1"))
	h.node.Send(h.agent.PID(), d.PID(), runTask("t1")) // duplicate: ignored
	h.node.Send(h.agent.PID(), d.PID(), &mesosinternal.KillTaskMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		TaskId:      &mesos.TaskID{Value: proto.String("t1")},
	})
	h.node.Send(h.agent.PID(), d.PID(), &mesosinternal.FrameworkToExecutorMessage{
		SlaveId:     &mesos.SlaveID{Value: proto.String("agent-1")},
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		ExecutorId:  &mesos.ExecutorID{Value: proto.String("exec-1")},
		Data:        []byte("ping"),
	})
	if ev := rec.expect(t, "launch"); ev.taskID != "t1" {
		t.Fatalf("launch %+v", ev)
	}
	if ev := rec.expect(t, "kill"); ev.taskID != "t1" {
		t.Fatalf("kill %+v", ev)
	}
	if ev := rec.expect(t, "message"); ev.data != "ping" {
		t.Fatalf("message %+v", ev)
	}
	if u, tk := h.unacked(d); u != 0 || tk != 1 {
		t.Fatalf("unacked = %d updates, %d tasks; want 0, 1", u, tk)
	}

	d.SendFrameworkMessage("pong")
	from, m := actortest.MustNext[*mesosinternal.ExecutorToFrameworkMessage](t, h.agent, nil)
	if string(m.GetData()) != "pong" || from != d.PID() || m.GetExecutorId().GetValue() != "exec-1" ||
		m.GetFrameworkId().GetValue() != "fw-1" || m.GetSlaveId().GetValue() != "agent-1" {
		t.Fatalf("ExecutorToFrameworkMessage %v", m)
	}
}

func TestStatusUpdatesAndAcknowledgements(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Send(h.agent.PID(), d.PID(), runTask("t1"))
	rec.expect(t, "launch")

	if st, err := d.SendStatusUpdate(&mesos.TaskStatus{
		TaskId: &mesos.TaskID{Value: proto.String("t1")},
		State:  mesos.TaskState_TASK_STAGING.Enum(),
	}); st != mesos.Status_DRIVER_RUNNING || err == nil {
		t.Fatalf("TASK_STAGING = %v, %v; want an error", st, err)
	}
	if _, err := d.SendStatusUpdate(&mesos.TaskStatus{State: mesos.TaskState_TASK_RUNNING.Enum()}); err == nil {
		t.Fatal("status without task_id accepted")
	}

	status := &mesos.TaskStatus{
		TaskId:  &mesos.TaskID{Value: proto.String("t1")},
		State:   mesos.TaskState_TASK_RUNNING.Enum(),
		SlaveId: &mesos.SlaveID{Value: proto.String("wrong")},
	}
	if st, err := d.SendStatusUpdate(status); st != mesos.Status_DRIVER_RUNNING || err != nil {
		t.Fatalf("SendStatusUpdate = %v, %v", st, err)
	}
	if status.Uuid != nil || status.GetSlaveId().GetValue() != "wrong" {
		t.Fatal("SendStatusUpdate modified the caller's status")
	}
	from, msg := actortest.MustNext[*mesosinternal.StatusUpdateMessage](t, h.agent, nil)
	u := msg.GetUpdate()
	if len(u.GetUuid()) != 16 || string(u.GetUuid()) != string(u.GetStatus().GetUuid()) {
		t.Fatalf("update uuid %x, status uuid %x", u.GetUuid(), u.GetStatus().GetUuid())
	}
	if u.GetStatus().GetSlaveId().GetValue() != "agent-1" || u.GetSlaveId().GetValue() != "agent-1" ||
		u.GetFrameworkId().GetValue() != "fw-1" || u.GetExecutorId().GetValue() != "exec-1" ||
		u.GetTimestamp() != float64(h.clock.Now().Unix()) || u.GetStatus().GetTimestamp() != u.GetTimestamp() {
		t.Fatalf("update %v", u)
	}
	if from != d.PID() || msg.GetPid() != d.PID().String() {
		t.Fatalf("update from %v with pid %q", from, msg.GetPid())
	}

	// A second update gets a different uuid.
	d.SendStatusUpdate(&mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: mesos.TaskState_TASK_FINISHED.Enum()})
	_, msg2 := actortest.MustNext[*mesosinternal.StatusUpdateMessage](t, h.agent, nil)
	if string(msg2.GetUpdate().GetUuid()) == string(u.GetUuid()) {
		t.Fatal("two updates share a uuid")
	}
	if n, tk := h.unacked(d); n != 2 || tk != 1 {
		t.Fatalf("unacked = %d, %d; want 2, 1", n, tk)
	}

	waited := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), actortest.DefaultTimeout)
		defer cancel()
		waited <- d.WaitAcknowledged(ctx)
	}()

	ack := func(uuid []byte) {
		h.node.Send(h.agent.PID(), d.PID(), &mesosinternal.StatusUpdateAcknowledgementMessage{
			SlaveId:     &mesos.SlaveID{Value: proto.String("agent-1")},
			FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
			TaskId:      &mesos.TaskID{Value: proto.String("t1")},
			Uuid:        uuid,
		})
	}
	ack([]byte("0123456789abcdef")) // unknown: ignored
	ack(u.GetUuid())
	if n, tk := h.unacked(d); n != 1 || tk != 0 {
		t.Fatalf("after one ack unacked = %d, %d; want 1, 0", n, tk)
	}
	select {
	case err := <-waited:
		t.Fatalf("WaitAcknowledged returned early: %v", err)
	default:
	}
	ack(msg2.GetUpdate().GetUuid())
	if err := <-waited; err != nil {
		t.Fatalf("WaitAcknowledged = %v", err)
	}
	if n, tk := h.unacked(d); n != 0 || tk != 0 {
		t.Fatalf("unacked = %d, %d", n, tk)
	}
}

func TestReconnectHandsBackUnacknowledged(t *testing.T) {
	h := newFixture(t)
	h.env["MESOS_CHECKPOINT"] = "1"
	h.env["MESOS_RECOVERY_TIMEOUT"] = "1mins"
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Send(h.agent.PID(), d.PID(), runTask("t1"))
	rec.expect(t, "launch")
	d.SendStatusUpdate(&mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: mesos.TaskState_TASK_RUNNING.Enum()})
	_, sent := actortest.MustNext[*mesosinternal.StatusUpdateMessage](t, h.agent, nil)

	// The agent restarts: the link breaks, the checkpointing executor waits.
	h.agent.Stop()
	waitDisconnected(t, d)
	h.settle(d)
	rec.none(t)

	agent2 := h.spawnAgent()
	apid2 := agent2.PID()
	h.node.Send(apid2, d.PID(), &mesosinternal.ReconnectExecutorMessage{SlaveId: &mesos.SlaveID{Value: proto.String("agent-1")}})
	from, re := actortest.MustNext[*mesosinternal.ReregisterExecutorMessage](t, agent2, nil)
	if from != d.PID() || re.GetExecutorId().GetValue() != "exec-1" || re.GetFrameworkId().GetValue() != "fw-1" ||
		len(re.GetTasks()) != 1 || re.GetTasks()[0].GetTaskId().GetValue() != "t1" ||
		len(re.GetUpdates()) != 1 || string(re.GetUpdates()[0].GetUuid()) != string(sent.GetUpdate().GetUuid()) {
		t.Fatalf("ReregisterExecutorMessage %v", re)
	}
	h.node.Send(apid2, d.PID(), &mesosinternal.ExecutorReregisteredMessage{
		SlaveId:   &mesos.SlaveID{Value: proto.String("agent-1")},
		SlaveInfo: &mesos.SlaveInfo{Hostname: proto.String("agent-host-2")},
	})
	if ev := rec.expect(t, "reregistered"); ev.host != "agent-host-2" {
		t.Fatalf("reregistered %+v", ev)
	}
	// The recovery timeout passes harmlessly: the agent came back.
	h.clock.Advance(time.Minute)
	h.settle(d)
	rec.none(t)
	// Updates now go to the new agent.
	d.SendFrameworkMessage("hi")
	actortest.MustNext[*mesosinternal.ExecutorToFrameworkMessage](t, agent2, nil)
}

func TestRecoveryTimeoutShutsDown(t *testing.T) {
	h := newFixture(t)
	h.env["MESOS_CHECKPOINT"] = "1"
	h.env["MESOS_RECOVERY_TIMEOUT"] = "30secs"
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.agent.Stop()
	waitDisconnected(t, d)
	h.settle(d)
	rec.none(t)
	h.clock.Advance(30 * time.Second)
	rec.expect(t, "shutdown")
	if st, _ := d.Join(); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Join = %v", st)
	}
}

func TestAgentExitedWithoutCheckpointShutsDown(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.agent.Stop()
	rec.expect(t, "shutdown")
	if st, _ := d.Join(); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Join = %v", st)
	}
}

func TestShutdownMessage(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Send(h.agent.PID(), d.PID(), &mesosinternal.ShutdownExecutorMessage{})
	rec.expect(t, "shutdown")
	if st, _ := d.Join(); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Join = %v", st)
	}
	if _, err := d.SendStatusUpdate(&mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t")}, State: mesos.TaskState_TASK_RUNNING.Enum()}); err == nil {
		t.Fatal("SendStatusUpdate after stop succeeded")
	}
}

func TestShutdownOutsideLocalModeArmsKiller(t *testing.T) {
	h := newFixture(t)
	h.env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = "3secs"
	rec := newRecorder()
	d := h.newDriver(rec)
	killed := make(chan struct{})
	d.local = false
	d.killSelf = func() { close(killed) }
	h.start(d, rec)

	h.node.Send(h.agent.PID(), d.PID(), &mesosinternal.ShutdownExecutorMessage{})
	rec.expect(t, "shutdown")
	// As in mesos-go, the driver stops once Shutdown returns, so Join
	// returns and the executor can exit by itself.
	joined := make(chan mesos.Status, 1)
	go func() { st, _ := d.Join(); joined <- st }()
	select {
	case st := <-joined:
		if st != mesos.Status_DRIVER_STOPPED {
			t.Fatalf("Join = %v, want DRIVER_STOPPED", st)
		}
	case <-time.After(actortest.DefaultTimeout):
		t.Fatal("Join did not return after Shutdown")
	}
	// Should the executor not exit, the killer still ends it after the
	// grace period.
	h.clock.Advance(2 * time.Second)
	select {
	case <-killed:
		t.Fatal("killed before the grace period")
	default:
	}
	h.clock.Advance(time.Second)
	select {
	case <-killed:
	case <-time.After(actortest.DefaultTimeout):
		t.Fatal("killer did not fire after the grace period")
	}
}

func TestStopInsideLaunchTask(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	stopped := make(chan mesos.Status, 1)
	rec.onLaunch = func(d ExecutorDriver, _ *mesos.TaskInfo) {
		st, _ := d.Stop()
		stopped <- st
	}
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Send(h.agent.PID(), d.PID(), runTask("t1"))
	select {
	case st := <-stopped:
		if st != mesos.Status_DRIVER_STOPPED {
			t.Fatalf("Stop = %v", st)
		}
	case <-time.After(actortest.DefaultTimeout):
		t.Fatal("Stop inside LaunchTask blocked")
	}
	if st, _ := d.Join(); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Join = %v", st)
	}
}

func TestAbortAndFrameworkError(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Send(h.agent.PID(), d.PID(), &mesosinternal.FrameworkErrorMessage{Message: proto.String("boom")})
	if ev := rec.expect(t, "error"); ev.message != "boom" {
		t.Fatalf("error %+v", ev)
	}
	if st, _ := d.Join(); st != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("Join = %v", st)
	}
	h.node.Send(h.agent.PID(), d.PID(), runTask("t1"))
	h.settle(d)
	rec.none(t)
	if st, _ := d.Stop(); st != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("Stop after abort = %v", st)
	}

	d2 := h.newDriver(newRecorder())
	d2.Start()
	actortest.MustNext[*mesosinternal.RegisterExecutorMessage](t, h.agent, nil)
	if st, err := d2.Abort(); st != mesos.Status_DRIVER_ABORTED || err != nil {
		t.Fatalf("Abort = %v, %v", st, err)
	}
	if st, _ := d2.Join(); st != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("Join = %v", st)
	}
	if d.PID() == d2.PID() {
		t.Fatal("two executor drivers share a PID")
	}
}

func TestEnvironment(t *testing.T) {
	h := newFixture(t)
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, "MESOS_SLAVE_PID is not set"},
		{map[string]string{"MESOS_SLAVE_PID": "garbage"}, "cannot parse MESOS_SLAVE_PID"},
		{map[string]string{"MESOS_SLAVE_PID": "slave(1)@127.0.0.1:5051", "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": "soon"}, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"},
		{map[string]string{"MESOS_SLAVE_PID": "slave(1)@127.0.0.1:5051", "MESOS_CHECKPOINT": "1", "MESOS_RECOVERY_TIMEOUT": "-1s"}, "MESOS_RECOVERY_TIMEOUT"},
	} {
		env := tc.env
		_, err := NewMesosExecutorDriver(DriverConfig{Executor: newRecorder(), Node: h.node, Getenv: func(k string) string { return env[k] }})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("env %v: error %v, want %q", env, err, tc.want)
		}
	}
	if _, err := NewMesosExecutorDriver(DriverConfig{Node: h.node, Getenv: h.getenv}); err == nil {
		t.Error("nil Executor accepted")
	}

	h.env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = "7secs"
	d := h.newDriver(newRecorder())
	if d.ShutdownGracePeriod() != 7*time.Second || !d.local {
		t.Fatalf("grace %v local %v", d.ShutdownGracePeriod(), d.local)
	}
	// Recovery timeout is read only with checkpointing.
	h.env["MESOS_RECOVERY_TIMEOUT"] = "garbage"
	h.newDriver(newRecorder())
}
