package executordriver

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

const wait = 10 * time.Second

var seq atomic.Int64

// fakeAgent records what executors send it.
type fakeAgent struct{ msgs chan received }

type received struct {
	from actors.PID
	msg  proto.Message
}

func (a *fakeAgent) Initialize(ctx *actors.Context) {
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.RegisterExecutorMessage) { a.msgs <- received{from, m} })
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.ReregisterExecutorMessage) { a.msgs <- received{from, m} })
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.StatusUpdateMessage) { a.msgs <- received{from, m} })
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.ExecutorToFrameworkMessage) { a.msgs <- received{from, m} })
}

func next[M proto.Message](t *testing.T, a *fakeAgent) (M, actors.PID) {
	t.Helper()
	select {
	case r := <-a.msgs:
		m, ok := r.msg.(M)
		if !ok {
			var want M
			t.Fatalf("agent got %T (%v), want %T", r.msg, r.msg, want)
		}
		return m, r.from
	case <-time.After(wait):
		var want M
		t.Fatalf("timed out waiting for %T at the agent", want)
		var zero M
		return zero, actors.PID{}
	}
}

type harness struct {
	t     *testing.T
	node  *actors.Node
	clock *actors.ManualClock
	agent *fakeAgent
	apid  actors.PID
	env   map[string]string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	clock := actors.NewManualClock(time.Unix(1_700_000_000, 0))
	logger := logrus.New()
	logger.SetOutput(io.Discard)
	logger.SetLevel(logrus.DebugLevel)
	if os.Getenv("DRIVER_TEST_LOG") != "" {
		logger.SetOutput(os.Stderr)
	}
	node, err := actors.NewNode(actors.Config{Local: true, Clock: clock, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Shutdown)
	h := &harness{t: t, node: node, clock: clock}
	h.agent, h.apid = h.spawnAgent()
	h.env = map[string]string{
		"MESOS_SLAVE_PID":    h.apid.String(),
		"MESOS_SLAVE_ID":     "agent-1",
		"MESOS_FRAMEWORK_ID": "fw-1",
		"MESOS_EXECUTOR_ID":  "exec-1",
		"MESOS_DIRECTORY":    "/sandbox",
	}
	return h
}

func (h *harness) spawnAgent() (*fakeAgent, actors.PID) {
	h.t.Helper()
	a := &fakeAgent{msgs: make(chan received, 100)}
	pid, err := h.node.Spawn(fmt.Sprintf("slave(%d)", seq.Add(1)), a)
	if err != nil {
		h.t.Fatal(err)
	}
	return a, pid
}

func (h *harness) getenv(k string) string { return h.env[k] }

func (h *harness) newDriver(e Executor) *MesosExecutorDriver {
	h.t.Helper()
	d, err := NewMesosExecutorDriver(DriverConfig{Executor: e, Node: h.node, Getenv: h.getenv})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { d.Stop() })
	return d
}

// start starts d and answers its registration.
func (h *harness) start(d *MesosExecutorDriver, rec *recorder) {
	h.t.Helper()
	if st, err := d.Start(); st != mesos.Status_DRIVER_RUNNING || err != nil {
		h.t.Fatalf("Start = %v, %v", st, err)
	}
	reg, from := next[*mesosinternal.RegisterExecutorMessage](h.t, h.agent)
	if from != d.PID() || reg.GetFrameworkId().GetValue() != "fw-1" || reg.GetExecutorId().GetValue() != "exec-1" {
		h.t.Fatalf("RegisterExecutorMessage %v from %v", reg, from)
	}
	h.node.Send(h.apid, d.PID(), &mesosinternal.ExecutorRegisteredMessage{
		ExecutorInfo:  &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("exec-1")}},
		FrameworkId:   &mesos.FrameworkID{Value: proto.String("fw-1")},
		FrameworkInfo: &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("fw")},
		SlaveId:       &mesos.SlaveID{Value: proto.String("agent-1")},
		SlaveInfo:     &mesos.SlaveInfo{Hostname: proto.String("agent-host")},
	})
	ev := rec.expect(h.t, "registered")
	if ev.executorID != "exec-1" || ev.framework != "fw" || ev.host != "agent-host" {
		h.t.Fatalf("registered %+v", ev)
	}
	if !d.Connected() {
		h.t.Fatal("not connected after Registered")
	}
}

func (h *harness) barrier(pid actors.PID) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := h.node.Call(ctx, pid, func() any { return nil }); err != nil {
		h.t.Fatalf("barrier: %v", err)
	}
}

func (h *harness) unacked(d *MesosExecutorDriver) (int, int) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	u, tk, err := d.Unacknowledged(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return u, tk
}

func runTask(id string) *mesosinternal.RunTaskMessage {
	return &mesosinternal.RunTaskMessage{
		Framework: &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("fw")},
		Task: &mesos.TaskInfo{
			Name:    proto.String(id),
			TaskId:  &mesos.TaskID{Value: proto.String(id)},
			SlaveId: &mesos.SlaveID{Value: proto.String("agent-1")},
		},
	}
}

type event struct {
	name       string
	executorID string
	framework  string
	host       string
	taskID     string
	data       string
	message    string
}

type recorder struct {
	events   chan event
	onLaunch func(ExecutorDriver, *mesos.TaskInfo)
}

func newRecorder() *recorder { return &recorder{events: make(chan event, 100)} }

func (r *recorder) expect(t *testing.T, name string) event {
	t.Helper()
	select {
	case ev := <-r.events:
		if ev.name != name {
			t.Fatalf("callback %+v, want %s", ev, name)
		}
		return ev
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", name)
		return event{}
	}
}

func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case ev := <-r.events:
		t.Fatalf("unexpected callback %+v", ev)
	default:
	}
}

func (r *recorder) Registered(_ ExecutorDriver, ei *mesos.ExecutorInfo, fi *mesos.FrameworkInfo, si *mesos.SlaveInfo) {
	r.events <- event{name: "registered", executorID: ei.GetExecutorId().GetValue(), framework: fi.GetName(), host: si.GetHostname()}
}
func (r *recorder) Reregistered(_ ExecutorDriver, si *mesos.SlaveInfo) {
	r.events <- event{name: "reregistered", host: si.GetHostname()}
}
func (r *recorder) Disconnected(ExecutorDriver) { r.events <- event{name: "disconnected"} }
func (r *recorder) LaunchTask(d ExecutorDriver, t *mesos.TaskInfo) {
	if r.onLaunch != nil {
		r.onLaunch(d, t)
	}
	r.events <- event{name: "launch", taskID: t.GetTaskId().GetValue()}
}
func (r *recorder) KillTask(_ ExecutorDriver, id *mesos.TaskID) {
	r.events <- event{name: "kill", taskID: id.GetValue()}
}
func (r *recorder) FrameworkMessage(_ ExecutorDriver, data string) {
	r.events <- event{name: "message", data: data}
}
func (r *recorder) Shutdown(ExecutorDriver) { r.events <- event{name: "shutdown"} }
func (r *recorder) Error(_ ExecutorDriver, msg string) {
	r.events <- event{name: "error", message: msg}
}

func TestRegistrationAndLaunch(t *testing.T) {
	h := newHarness(t)
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
	next[*mesosinternal.RegisterExecutorMessage](t, h.agent)
	h.node.Send(h.apid, d.PID(), runTask("early"))
	h.barrier(d.PID())
	rec.none(t)

	h.node.Send(h.apid, d.PID(), &mesosinternal.ExecutorRegisteredMessage{
		ExecutorInfo:  &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("exec-1")}},
		FrameworkInfo: &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("fw")},
		SlaveInfo:     &mesos.SlaveInfo{Hostname: proto.String("agent-host")},
	})
	rec.expect(t, "registered")
	h.node.Send(h.apid, d.PID(), runTask("t1"))
	h.node.Send(h.apid, d.PID(), runTask("t1")) // duplicate: ignored
	h.node.Send(h.apid, d.PID(), &mesosinternal.KillTaskMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		TaskId:      &mesos.TaskID{Value: proto.String("t1")},
	})
	h.node.Send(h.apid, d.PID(), &mesosinternal.FrameworkToExecutorMessage{
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
	m, from := next[*mesosinternal.ExecutorToFrameworkMessage](t, h.agent)
	if string(m.GetData()) != "pong" || from != d.PID() || m.GetExecutorId().GetValue() != "exec-1" ||
		m.GetFrameworkId().GetValue() != "fw-1" || m.GetSlaveId().GetValue() != "agent-1" {
		t.Fatalf("ExecutorToFrameworkMessage %v", m)
	}
}

func TestStatusUpdatesAndAcknowledgements(t *testing.T) {
	h := newHarness(t)
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Send(h.apid, d.PID(), runTask("t1"))
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
	msg, from := next[*mesosinternal.StatusUpdateMessage](t, h.agent)
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
	msg2, _ := next[*mesosinternal.StatusUpdateMessage](t, h.agent)
	if string(msg2.GetUpdate().GetUuid()) == string(u.GetUuid()) {
		t.Fatal("two updates share a uuid")
	}
	if n, tk := h.unacked(d); n != 2 || tk != 1 {
		t.Fatalf("unacked = %d, %d; want 2, 1", n, tk)
	}

	waited := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		waited <- d.WaitAcknowledged(ctx)
	}()

	ack := func(uuid []byte) {
		h.node.Send(h.apid, d.PID(), &mesosinternal.StatusUpdateAcknowledgementMessage{
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
	h := newHarness(t)
	h.env["MESOS_CHECKPOINT"] = "1"
	h.env["MESOS_RECOVERY_TIMEOUT"] = "1mins"
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Send(h.apid, d.PID(), runTask("t1"))
	rec.expect(t, "launch")
	d.SendStatusUpdate(&mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: mesos.TaskState_TASK_RUNNING.Enum()})
	sent, _ := next[*mesosinternal.StatusUpdateMessage](t, h.agent)

	// The agent restarts: the link breaks, the checkpointing executor waits.
	h.node.Stop(h.apid)
	waitDisconnected(t, d)
	h.barrier(d.PID())
	rec.none(t)

	agent2, apid2 := h.spawnAgent()
	h.node.Send(apid2, d.PID(), &mesosinternal.ReconnectExecutorMessage{SlaveId: &mesos.SlaveID{Value: proto.String("agent-1")}})
	re, from := next[*mesosinternal.ReregisterExecutorMessage](t, agent2)
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
	h.barrier(d.PID())
	rec.none(t)
	// Updates now go to the new agent.
	d.SendFrameworkMessage("hi")
	next[*mesosinternal.ExecutorToFrameworkMessage](t, agent2)
}

func TestRecoveryTimeoutShutsDown(t *testing.T) {
	h := newHarness(t)
	h.env["MESOS_CHECKPOINT"] = "1"
	h.env["MESOS_RECOVERY_TIMEOUT"] = "30secs"
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Stop(h.apid)
	waitDisconnected(t, d)
	h.barrier(d.PID())
	rec.none(t)
	h.clock.Advance(30 * time.Second)
	rec.expect(t, "shutdown")
	if st, _ := d.Join(); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Join = %v", st)
	}
}

func TestAgentExitedWithoutCheckpointShutsDown(t *testing.T) {
	h := newHarness(t)
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Stop(h.apid)
	rec.expect(t, "shutdown")
	if st, _ := d.Join(); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Join = %v", st)
	}
}

func TestShutdownMessage(t *testing.T) {
	h := newHarness(t)
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Send(h.apid, d.PID(), &mesosinternal.ShutdownExecutorMessage{})
	rec.expect(t, "shutdown")
	if st, _ := d.Join(); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Join = %v", st)
	}
	if _, err := d.SendStatusUpdate(&mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t")}, State: mesos.TaskState_TASK_RUNNING.Enum()}); err == nil {
		t.Fatal("SendStatusUpdate after stop succeeded")
	}
}

func TestShutdownOutsideLocalModeArmsKiller(t *testing.T) {
	h := newHarness(t)
	h.env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = "3secs"
	rec := newRecorder()
	d := h.newDriver(rec)
	killed := make(chan struct{})
	d.local = false
	d.killSelf = func() { close(killed) }
	h.start(d, rec)

	h.node.Send(h.apid, d.PID(), &mesosinternal.ShutdownExecutorMessage{})
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
	case <-time.After(wait):
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
	case <-time.After(wait):
		t.Fatal("killer did not fire after the grace period")
	}
}

func TestStopInsideLaunchTask(t *testing.T) {
	h := newHarness(t)
	rec := newRecorder()
	stopped := make(chan mesos.Status, 1)
	rec.onLaunch = func(d ExecutorDriver, _ *mesos.TaskInfo) {
		st, _ := d.Stop()
		stopped <- st
	}
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Send(h.apid, d.PID(), runTask("t1"))
	select {
	case st := <-stopped:
		if st != mesos.Status_DRIVER_STOPPED {
			t.Fatalf("Stop = %v", st)
		}
	case <-time.After(wait):
		t.Fatal("Stop inside LaunchTask blocked")
	}
	if st, _ := d.Join(); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Join = %v", st)
	}
}

func TestAbortAndFrameworkError(t *testing.T) {
	h := newHarness(t)
	rec := newRecorder()
	d := h.newDriver(rec)
	h.start(d, rec)
	h.node.Send(h.apid, d.PID(), &mesosinternal.FrameworkErrorMessage{Message: proto.String("boom")})
	if ev := rec.expect(t, "error"); ev.message != "boom" {
		t.Fatalf("error %+v", ev)
	}
	if st, _ := d.Join(); st != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("Join = %v", st)
	}
	h.node.Send(h.apid, d.PID(), runTask("t1"))
	h.barrier(d.PID())
	rec.none(t)
	if st, _ := d.Stop(); st != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("Stop after abort = %v", st)
	}

	d2 := h.newDriver(newRecorder())
	d2.Start()
	next[*mesosinternal.RegisterExecutorMessage](t, h.agent)
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
	h := newHarness(t)
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

// waitDisconnected waits until the driver has seen the agent go: Exited
// reaches it through its mailbox after the agent's process stopped.
func waitDisconnected(t *testing.T, d *MesosExecutorDriver) {
	t.Helper()
	for deadline := time.Now().Add(wait); d.Connected(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("still connected after the agent exited")
		}
	}
}
