package slave

import (
	"fmt"
	"io"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/containerizer"
	"github.com/gomesos/gomesos/tracing"
)

var (
	coreSelf   = actors.PID{ID: "slave(1)", Address: "127.0.0.1:5051"}
	coreMaster = actors.PID{ID: "master", Address: "127.0.0.1:5050"}
	coreExec   = actors.PID{ID: "executor", Address: "127.0.0.1:4000"}
	coreT0     = time.Unix(1_700_000_000, 0)
	coreSeed   = int64(1)
)

const coreAgentID = "S1"

// coreRun drives a Core on a fixed clock with fixed ids.
type coreRun struct {
	t   *testing.T
	c   *Core
	now time.Time
}

func newCoreRun(t *testing.T) *coreRun {
	t.Helper()
	return newCoreRunWith(t, func(*Config) {})
}

func newCoreRunWith(t *testing.T, set func(*Config)) *coreRun {
	t.Helper()
	cfg := DefaultConfig()
	cfg.MaxLaunchesInFlight = 0
	cfg.WorkDir = "/var/agent"
	cfg.LauncherDir = "/opt/mesos"
	cfg.IP = "127.0.0.1"
	set(&cfg)
	info := &mesos.SlaveInfo{
		Hostname: proto.String("agent.test"), Port: proto.Int32(5051),
		Resources: resources.MustParse("cpus:2;mem:1024"),
	}
	n := 0
	log := logrus.New()
	log.SetOutput(io.Discard)
	deps := Deps{
		UUIDs:           protocol.SequentialUUIDs(7),
		ContainerIDs:    func() string { n++; return fmt.Sprintf("c%d", n) },
		Rand:            rand.New(rand.NewSource(coreSeed)),
		CommandExecutor: "/opt/mesos/mesos-executor",
		Log:             logrus.NewEntry(log),
	}
	r := &coreRun{t: t, c: NewCore(cfg, info, coreSelf, deps), now: coreT0}
	r.c.Started(r.now)
	return r
}

// render names each effect; messages by type and destination.
func render(effs []effect.Effect) []string {
	out := []string{}
	for _, e := range effs {
		out = append(out, fmt.Sprint(e))
	}
	return out
}

func (r *coreRun) expect(what string, effs []effect.Effect, want ...string) []effect.Effect {
	r.t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := render(effs); !reflect.DeepEqual(got, want) {
		r.t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
	return effs
}

func sentMsg[T proto.Message](t *testing.T, effs []effect.Effect) T {
	t.Helper()
	for _, e := range effs {
		if s, ok := e.(effect.Send); ok {
			if m, ok := s.Msg.(T); ok {
				return m
			}
		}
	}
	var zero T
	t.Fatalf("no %T sent in %q", zero, render(effs))
	return zero
}

func send(m proto.Message, to actors.PID) string { return effect.Send{To: to, Msg: m}.String() }

func masterInfo() *mesos.MasterInfo {
	return &mesos.MasterInfo{
		Id: proto.String("m1"), Ip: proto.Uint32(0x7f000001), Port: proto.Uint32(5050),
		Pid: proto.String(coreMaster.String()), Hostname: proto.String("localhost"),
	}
}

// register runs detection and registration to the registered state.
func (r *coreRun) register() {
	r.t.Helper()
	r.c.Detected(r.now, masterInfo())
	r.c.Timer(r.now, detector.RegisterTimer)
	r.c.Receive(r.now, coreMaster, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(coreAgentID)}})
	if !r.c.Registered() {
		r.t.Fatal("not registered")
	}
}

func TestCoreRegistersAfterBackoffAndFollowsPings(t *testing.T) {
	r := newCoreRun(t)
	draws := rand.New(rand.NewSource(coreSeed))
	first := time.Duration(draws.Float64() * float64(time.Second))
	second := time.Duration(draws.Float64() * float64(2*time.Second))

	r.expect("detected", r.c.Detected(r.now, masterInfo()),
		"cancel timer ping", "cancel timer register",
		fmt.Sprintf("start timer register after %v", first))
	effs := r.expect("register timer", r.c.Timer(r.now, detector.RegisterTimer),
		fmt.Sprintf("start timer register after %v", second),
		"link "+coreMaster.String(),
		send(&mesosinternal.RegisterSlaveMessage{}, coreMaster))
	reg := sentMsg[*mesosinternal.RegisterSlaveMessage](t, effs)
	if reg.GetSlave().GetHostname() != "agent.test" || reg.GetVersion() != MesosVersion || len(reg.GetAgentCapabilities()) != 3 {
		t.Fatalf("RegisterSlaveMessage = %v", reg)
	}

	stranger := actors.PID{ID: "master", Address: "127.0.0.1:9999"}
	r.expect("registered by a stranger", r.c.Receive(r.now, stranger,
		&mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(coreAgentID)}}))
	r.expect("registered", r.c.Receive(r.now, coreMaster,
		&mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(coreAgentID)}}),
		"cancel timer register",
		"checkpoint /var/agent/meta/slaves/S1/slave.info",
		"checkpoint link /var/agent/meta/slaves/latest -> /var/agent/meta/slaves/S1",
		"start timer ping after 1m15s")
	if r.c.ID() != coreAgentID {
		t.Fatalf("id = %q", r.c.ID())
	}
	r.expect("ping", r.c.Receive(r.now, coreMaster, &mesosinternal.PingSlaveMessage{Connected: proto.Bool(true)}),
		"start timer ping after 1m15s", send(&mesosinternal.PongSlaveMessage{}, coreMaster))
	r.expect("no pings", r.c.Timer(r.now, PingTimer),
		"cancel timer ping", "unlink "+coreMaster.String(), "cancel timer register", "redetect")
	if r.c.Registered() {
		t.Fatal("still registered after the ping timeout")
	}

	// Detected again, the agent reregisters with its id.
	r.c.Detected(r.now, masterInfo())
	effs = r.c.Timer(r.now, detector.RegisterTimer)
	rereg := sentMsg[*mesosinternal.ReregisterSlaveMessage](t, effs)
	if rereg.GetSlave().GetId().GetValue() != coreAgentID {
		t.Fatalf("ReregisterSlaveMessage = %v", rereg)
	}
}

func runTaskMsg(tid, eid string) *mesosinternal.RunTaskMessage {
	return &mesosinternal.RunTaskMessage{
		Framework: frameworkInfo,
		Task:      customTaskFor(coreAgentID, tid, eid),
		Pid:       proto.String("scheduler@127.0.0.1:7000"),
	}
}

func customTaskFor(agent, tid, eid string) *mesos.TaskInfo {
	return &mesos.TaskInfo{
		Name:      proto.String("task " + tid),
		TaskId:    &mesos.TaskID{Value: proto.String(tid)},
		SlaveId:   &mesos.SlaveID{Value: proto.String(agent)},
		Resources: resources.MustParse("cpus:1;mem:128"),
		Executor: &mesos.ExecutorInfo{
			ExecutorId: &mesos.ExecutorID{Value: proto.String(eid)},
			Command:    &mesos.CommandInfo{Value: proto.String("run")},
			Resources:  resources.MustParse("cpus:0.5;mem:64"),
		},
	}
}

const sandbox = "/var/agent/slaves/S1/frameworks/fw-1"

// launch runs a task up to a started container c1 (not yet registered).
func (r *coreRun) launch(tid, eid string) LaunchContainer {
	r.t.Helper()
	effs := r.c.Receive(r.now, coreMaster, runTaskMsg(tid, eid))
	prep := effs[0].(PrepareSandbox)
	effs = r.c.SandboxPrepared(r.now, prep, nil)
	l := effs[0].(LaunchContainer)
	r.c.ContainerLaunched(r.now, l.ContainerID, nil)
	return l
}

func (r *coreRun) executorRegisters(eid string) []effect.Effect {
	return r.c.Receive(r.now, coreExec, &mesosinternal.RegisterExecutorMessage{
		FrameworkId: frameworkInfo.Id, ExecutorId: &mesos.ExecutorID{Value: proto.String(eid)},
	})
}

func execUpdate(tid string, st mesos.TaskState, uuid string) *mesosinternal.StatusUpdateMessage {
	return &mesosinternal.StatusUpdateMessage{Update: &mesosinternal.StatusUpdate{
		FrameworkId: frameworkInfo.Id,
		ExecutorId:  &mesos.ExecutorID{Value: proto.String("e1")},
		SlaveId:     &mesos.SlaveID{Value: proto.String(coreAgentID)},
		Status: &mesos.TaskStatus{
			TaskId: &mesos.TaskID{Value: proto.String(tid)}, State: st.Enum(),
			SlaveId: &mesos.SlaveID{Value: proto.String(coreAgentID)},
		},
		Timestamp: proto.Float64(1),
		Uuid:      []byte(uuid),
	}}
}

func TestCoreRunTaskLaunchesAndForwardsOnceExecutorRegisters(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	effs := r.expect("run task", r.c.Receive(r.now, coreMaster, runTaskMsg("t1", "e1")),
		"prepare sandbox "+sandbox)
	if p := effs[0].(PrepareSandbox); p.FrameworkID != "fw-1" || p.ExecutorID != "e1" {
		t.Fatalf("PrepareSandbox = %+v", p)
	}
	effs = r.expect("sandbox prepared", r.c.SandboxPrepared(r.now, effs[0].(PrepareSandbox), nil),
		"launch container c1", "start timer executor-registration/c1 after 1m0s")
	l := effs[0].(LaunchContainer)
	if l.Config.ExecutorInfo != nil || l.Config.Resources != nil || l.Config.Env != nil {
		t.Fatalf("LaunchContainer's own config = %+v", l.Config)
	}
	cfg := l.Complete()
	if cfg.Env["MESOS_CHECKPOINT"] != "0" || cfg.Checkpoint {
		t.Fatalf("checkpoint: env %q, config %v", cfg.Env["MESOS_CHECKPOINT"], cfg.Checkpoint)
	}
	if l.FrameworkID != "fw-1" || l.ExecutorID != "e1" ||
		cfg.Directory != sandbox+"/executors/e1/runs/c1" ||
		cfg.Env["MESOS_SLAVE_PID"] != coreSelf.String() || cfg.Env["MESOS_SLAVE_ID"] != coreAgentID ||
		cfg.Env["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] != "5secs" || cfg.Env["LIBPROCESS_IP"] != "127.0.0.1" {
		t.Fatalf("LaunchContainer = %+v", l)
	}
	if got := resources.Resources(cfg.Resources); got.Scalar("cpus") != 1.5 || got.Scalar("mem") != 192 {
		t.Fatalf("container resources = %s", got)
	}
	r.expect("launched", r.c.ContainerLaunched(r.now, "c1", nil), "wait container c1")

	effs = r.expect("executor registers", r.executorRegisters("e1"),
		"link "+coreExec.String(),
		send(&mesosinternal.ExecutorRegisteredMessage{}, coreExec),
		"update container c1 tasks [t1]")
	effs = r.expect("container grown", r.c.ContainerUpdated(r.now, effs[2].(UpdateContainer), nil),
		send(&mesosinternal.RunTaskMessage{}, coreExec))
	if m := sentMsg[*mesosinternal.RunTaskMessage](t, effs); m.GetTask().GetTaskId().GetValue() != "t1" || m.GetPid() != "scheduler@127.0.0.1:7000" {
		t.Fatalf("RunTaskMessage = %v", m)
	}
}

func TestCoreStatusUpdatesAreForwardedRetriedAndAcknowledgedInOrder(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.launch("t1", "e1")
	u := r.executorRegisters("e1")[2].(UpdateContainer)
	r.c.ContainerUpdated(r.now, u, nil)

	effs := r.expect("running", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_RUNNING, "uuid-running-01")),
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		send(&mesosinternal.StatusUpdateAcknowledgementMessage{}, coreExec))
	fwd := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs)
	if fwd.GetUpdate().GetStatus().GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR || fwd.GetPid() != coreSelf.String() ||
		string(fwd.GetUpdate().GetUuid()) != "uuid-running-01" {
		t.Fatalf("forwarded %v", fwd)
	}

	r.expect("retry", r.c.Timer(r.now, "update/fw-1/t1"),
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 20s")

	// A second update waits behind the unacknowledged head.
	r.expect("finished", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FINISHED, "uuid-finish-0001")),
		"update container c1 tasks []",
		send(&mesosinternal.StatusUpdateAcknowledgementMessage{}, coreExec))

	// A wrong uuid changes nothing; the right one sends the next update.
	r.expect("wrong ack", r.c.Receive(r.now, coreMaster, &mesosinternal.StatusUpdateAcknowledgementMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: []byte("uuid-finish-0001"),
	}))
	effs = r.expect("ack", r.c.Receive(r.now, coreMaster, &mesosinternal.StatusUpdateAcknowledgementMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: []byte("uuid-running-01"),
	}),
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s")
	if st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_FINISHED {
		t.Fatalf("next update = %v", st)
	}
	r.expect("last ack", r.c.Receive(r.now, coreMaster, &mesosinternal.StatusUpdateAcknowledgementMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: []byte("uuid-finish-0001"),
	}),
		// The stream is closed: its retry timer goes.
		"cancel timer update/fw-1/t1")
	// A retry that fired anyway sends nothing.
	r.expect("late retry", r.c.Timer(r.now, "update/fw-1/t1"))
	snap := r.c.Snapshot()
	exec := snap["frameworks"].([]any)[0].(map[string]any)["executors"].([]any)[0].(map[string]any)
	if n := len(exec["completed_tasks"].([]any)); n != 1 {
		t.Fatalf("completed tasks = %v", exec["completed_tasks"])
	}
}

func TestCoreContainerExitFailsItsTasks(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.launch("t1", "e1")
	u := r.executorRegisters("e1")[2].(UpdateContainer)
	r.c.ContainerUpdated(r.now, u, nil)
	r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_RUNNING, "uuid-running-01"))
	r.c.Receive(r.now, coreMaster, &mesosinternal.StatusUpdateAcknowledgementMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: []byte("uuid-running-01"),
	})

	// The executor's last messages could still be on their way: the agent
	// waits, bounded, for its link's Exited.
	r.expect("exit", r.c.ContainerExited(r.now, "c1", &containerizer.Termination{Status: proto.Int32(256)}, nil),
		"cancel timer executor-registration/c1",
		"start timer executor-exit/c1 after 5s")
	effs := r.expect("no exited in time", r.c.Timer(r.now, "executor-exit/c1"),
		"cancel timer executor-exit/c1",
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		send(&mesosinternal.ExitedExecutorMessage{}, coreMaster))
	st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_FAILED || st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_TERMINATED ||
		st.GetSource() != mesos.TaskStatus_SOURCE_SLAVE {
		t.Fatalf("update = %v", st)
	}
	if ex := sentMsg[*mesosinternal.ExitedExecutorMessage](t, effs); ex.GetStatus() != 256 || ex.GetExecutorId().GetValue() != "e1" {
		t.Fatalf("ExitedExecutorMessage = %v", ex)
	}
	// The same end reported twice, and results for the gone container,
	// change nothing.
	r.expect("exit again", r.c.ContainerExited(r.now, "c1", &containerizer.Termination{}, nil))
	r.expect("late update", r.c.ContainerUpdated(r.now, u, containerizer.ErrUnknownContainer))
	r.expect("late launch", r.c.ContainerLaunched(r.now, "c1", nil))
}

// runningTask runs t1 on executor e1 (container c1) up to an
// acknowledged TASK_RUNNING.
func (r *coreRun) runningTask() {
	r.t.Helper()
	r.runningUnacknowledged()
	r.c.Receive(r.now, coreMaster, &mesosinternal.StatusUpdateAcknowledgementMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: []byte("uuid-running-01"),
	})
}

// runningUnacknowledged launches t1 on e1 and has its executor report
// TASK_RUNNING, which the master has not acknowledged yet.
func (r *coreRun) runningUnacknowledged() {
	r.t.Helper()
	r.launch("t1", "e1")
	u := r.executorRegisters("e1")[2].(UpdateContainer)
	r.c.ContainerUpdated(r.now, u, nil)
	r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_RUNNING, "uuid-running-01"))
}

// A container's end that overtakes the executor's last update: the
// update is taken, the task is not failed.
func TestCoreContainerExitBeforeFinalUpdateForwardsIt(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.runningTask()
	r.expect("exit", r.c.ContainerExited(r.now, "c1", &containerizer.Termination{Status: proto.Int32(0)}, nil),
		"cancel timer executor-registration/c1",
		"start timer executor-exit/c1 after 5s")
	// Nothing new goes to the ended executor.
	effs := r.expect("run task meanwhile", r.c.Receive(r.now, coreMaster, runTaskMsg("t2", "e1")),
		"prepare sandbox "+sandbox)
	effs = r.expect("sandbox prepared", r.c.SandboxPrepared(r.now, effs[0].(PrepareSandbox), nil),
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t2 after 10s")
	if st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_LOST {
		t.Fatalf("t2 update = %v", st)
	}
	effs = r.expect("late finished", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FINISHED, "uuid-finish-0001")),
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		send(&mesosinternal.StatusUpdateAcknowledgementMessage{}, coreExec),
		"cancel timer executor-exit/c1",
		send(&mesosinternal.ExitedExecutorMessage{}, coreMaster))
	if st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_FINISHED ||
		st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR {
		t.Fatalf("forwarded %v", st)
	}
	// The link's Exited and the spent timer then change nothing.
	r.expect("exited", r.c.Exited(r.now, coreExec))
	r.expect("timer", r.c.Timer(r.now, "executor-exit/c1"))
}

// The link's Exited comes after every message the executor sent: once it
// is in, the tasks still running fail.
func TestCoreContainerExitThenExitedFailsUnfinishedTasks(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.runningTask()
	r.expect("exit", r.c.ContainerExited(r.now, "c1", &containerizer.Termination{Status: proto.Int32(9)}, nil),
		"cancel timer executor-registration/c1",
		"start timer executor-exit/c1 after 5s")
	effs := r.expect("exited", r.c.Exited(r.now, coreExec),
		"cancel timer executor-exit/c1",
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		send(&mesosinternal.ExitedExecutorMessage{}, coreMaster))
	if st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_FAILED ||
		st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_TERMINATED {
		t.Fatalf("update = %v", st)
	}
}

// No waiting when the Exited came first, or when the executor never
// registered (nothing linked, nothing can still arrive).
func TestCoreContainerExitActsAtOnceWhenNothingCanArrive(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.runningTask()
	r.expect("exited first", r.c.Exited(r.now, coreExec))
	effs := r.expect("exit", r.c.ContainerExited(r.now, "c1", &containerizer.Termination{Status: proto.Int32(9)}, nil),
		"cancel timer executor-registration/c1",
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		send(&mesosinternal.ExitedExecutorMessage{}, coreMaster))
	if st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_FAILED {
		t.Fatalf("update = %v", st)
	}

	r = newCoreRun(t)
	r.register()
	r.launch("t1", "e1")
	effs = r.expect("unregistered exit", r.c.ContainerExited(r.now, "c1", &containerizer.Termination{Status: proto.Int32(1)}, nil),
		"cancel timer executor-registration/c1",
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		send(&mesosinternal.ExitedExecutorMessage{}, coreMaster))
	if st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_FAILED {
		t.Fatalf("update = %v", st)
	}
}

func TestCoreIgnoresUpdateResultOfDestroyedContainer(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.launch("t1", "e1")
	u := r.executorRegisters("e1")[2].(UpdateContainer)
	// The executor is shut down before the container has grown.
	effs := r.expect("shutdown executor", r.c.Receive(r.now, coreMaster, &mesosinternal.ShutdownExecutorMessage{
		FrameworkId: frameworkInfo.Id, ExecutorId: &mesos.ExecutorID{Value: proto.String("e1")},
	}),
		send(&mesosinternal.ShutdownExecutorMessage{}, coreExec),
		"start timer executor-shutdown/c1 after 5s")
	_ = effs
	r.expect("grace over", r.c.Timer(r.now, "executor-shutdown/c1"), "destroy container c1")
	r.expect("update fails on the destroyed container", r.c.ContainerUpdated(r.now, u, containerizer.ErrUnknownContainer))
	effs = r.c.ContainerExited(r.now, "c1", &containerizer.Termination{Status: proto.Int32(containerizer.KilledStatus)}, nil)
	st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_FAILED || st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_TERMINATED ||
		st.GetMessage() != "Executor terminated" {
		t.Fatalf("queued task ended with %v", st)
	}
}

func TestCoreKillTask(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	kill := &mesosinternal.KillTaskMessage{FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}}

	// Before the launch step: killed during launch, never launched.
	effs := r.c.Receive(r.now, coreMaster, runTaskMsg("t1", "e1"))
	prep := effs[0].(PrepareSandbox)
	effs = r.expect("kill pending", r.c.Receive(r.now, coreMaster, kill),
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster), "start timer update/fw-1/t1 after 10s")
	if st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_KILLED ||
		st.GetReason() != mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH {
		t.Fatalf("update = %v", st)
	}
	r.expect("sandbox prepared after the kill", r.c.SandboxPrepared(r.now, prep, nil))

	// A running task: the kill goes to its executor.
	r.launch("t2", "e1")
	u := r.executorRegisters("e1")[2].(UpdateContainer)
	r.c.ContainerUpdated(r.now, u, nil)
	kill.TaskId = &mesos.TaskID{Value: proto.String("t2")}
	r.expect("kill running", r.c.Receive(r.now, coreMaster, kill), send(&mesosinternal.KillTaskMessage{}, coreExec))
	r.expect("kill from a stranger", r.c.Receive(r.now, coreExec, kill))
}

func TestCoreShutdownFramework(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.launch("t1", "e1")
	u := r.executorRegisters("e1")[2].(UpdateContainer)
	r.c.ContainerUpdated(r.now, u, nil)

	r.expect("shutdown framework", r.c.Receive(r.now, coreMaster, &mesosinternal.ShutdownFrameworkMessage{FrameworkId: frameworkInfo.Id}),
		send(&mesosinternal.ShutdownExecutorMessage{}, coreExec),
		"start timer executor-shutdown/c1 after 5s")
	r.expect("grace over", r.c.Timer(r.now, "executor-shutdown/c1"), "destroy container c1")
	// The framework is gone: no task updates, only the executor's end.
	r.expect("killed", r.c.ContainerExited(r.now, "c1", &containerizer.Termination{Status: proto.Int32(containerizer.KilledStatus)}, nil),
		"cancel timer executor-registration/c1",
		"cancel timer executor-shutdown/c1",
		send(&mesosinternal.ExitedExecutorMessage{}, coreMaster))
	snap := r.c.Snapshot()
	if len(snap["frameworks"].([]any)) != 0 || len(snap["completed_frameworks"].([]any)) != 1 {
		t.Fatalf("frameworks %v, completed %v", snap["frameworks"], snap["completed_frameworks"])
	}
}

func TestCoreExecutorRegistrationTimeout(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.launch("t1", "e1")
	r.expect("timeout", r.c.Timer(r.now, "executor-registration/c1"), "destroy container c1")
	effs := r.c.ContainerExited(r.now, "c1", &containerizer.Termination{Status: proto.Int32(containerizer.KilledStatus)}, nil)
	st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_FAILED || st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_REGISTRATION_TIMEOUT ||
		st.GetMessage() != "Executor did not register within 1mins" {
		t.Fatalf("update = %v", st)
	}
	// A late registration is told to shut down.
	r.expect("late registration", r.executorRegisters("e1"), send(&mesosinternal.ShutdownExecutorMessage{}, coreExec))
}

func TestCoreIgnoresMasterMessagesFromOthers(t *testing.T) {
	stranger := actors.PID{ID: "master", Address: "127.0.0.1:9999"}
	fid := frameworkInfo.Id
	for _, m := range []proto.Message{
		runTaskMsg("t1", "e1"),
		&mesosinternal.KillTaskMessage{FrameworkId: fid, TaskId: &mesos.TaskID{Value: proto.String("t1")}},
		&mesosinternal.ShutdownFrameworkMessage{FrameworkId: fid},
		&mesosinternal.ShutdownExecutorMessage{FrameworkId: fid, ExecutorId: &mesos.ExecutorID{Value: proto.String("e1")}},
		&mesosinternal.ShutdownMessage{Message: proto.String("bye")},
		&mesosinternal.SlaveReregisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(coreAgentID)}},
		&mesosinternal.StatusUpdateAcknowledgementMessage{FrameworkId: fid, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: []byte("x")},
	} {
		t.Run(string(proto.MessageName(m).Name()), func(t *testing.T) {
			r := newCoreRun(t)
			r.register()
			r.expect("from a stranger", r.c.Receive(r.now, stranger, m))
		})
	}
}

func TestCoreCommandTaskGetsCommandExecutor(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	task := &mesos.TaskInfo{
		Name: proto.String("cmd"), TaskId: &mesos.TaskID{Value: proto.String("c1")},
		SlaveId:   &mesos.SlaveID{Value: proto.String(coreAgentID)},
		Resources: resources.MustParse("cpus:1;mem:128"),
		Command:   &mesos.CommandInfo{Value: proto.String("sleep 1")},
	}
	effs := r.c.Receive(r.now, coreMaster, &mesosinternal.RunTaskMessage{Framework: frameworkInfo, Task: task})
	effs = r.expect("sandbox prepared", r.c.SandboxPrepared(r.now, effs[0].(PrepareSandbox), nil),
		"launch container c1", "start timer executor-registration/c1 after 1m0s")
	l := effs[0].(LaunchContainer)
	cfg := l.Complete()
	cmd := cfg.ExecutorInfo.GetCommand()
	if l.ExecutorID != "c1" || cmd.GetValue() != "/opt/mesos/mesos-executor" || cmd.GetShell() ||
		l.Config.TaskInfo.GetTaskId().GetValue() != "c1" {
		t.Fatalf("LaunchContainer = %+v", l)
	}
	if got := resources.Resources(cfg.Resources); got.Scalar("cpus") != 1.1 || got.Scalar("mem") != 160 {
		t.Fatalf("container resources = %s", got)
	}
}

func TestCoreMasterLossAndReconciliation(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.expect("master exited", r.c.Exited(r.now, coreMaster),
		"cancel timer ping", "unlink "+coreMaster.String(), "cancel timer register", "redetect")
	r.expect("no leader", r.c.Detected(r.now, nil), "cancel timer ping", "cancel timer register")
	r.c.Detected(r.now, masterInfo())
	r.c.Timer(r.now, detector.RegisterTimer)

	// The master knows a task the agent does not: it is reported lost.
	effs := r.expect("reregistered", r.c.Receive(r.now, coreMaster, &mesosinternal.SlaveReregisteredMessage{
		SlaveId: &mesos.SlaveID{Value: proto.String(coreAgentID)},
		Reconciliations: []*mesosinternal.ReconcileTasksMessage{{
			FrameworkId: frameworkInfo.Id,
			Statuses:    []*mesos.TaskStatus{{TaskId: &mesos.TaskID{Value: proto.String("ghost")}, State: mesos.TaskState_TASK_RUNNING.Enum()}},
		}},
	}),
		"cancel timer register", "start timer ping after 1m15s",
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster), "start timer update/fw-1/ghost after 10s")
	st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_LOST || st.GetReason() != mesos.TaskStatus_REASON_RECONCILIATION {
		t.Fatalf("update = %v", st)
	}
}

// At most MaxLaunchesInFlight executors start at once; the others wait in
// order, and their registration timeout counts from their launch.
func TestCoreLaunchesAreCappedAndQueuedInOrder(t *testing.T) {
	r := newCoreRunWith(t, func(c *Config) { c.MaxLaunchesInFlight = 2 })
	r.register()
	prepared := func(tid, eid string) []effect.Effect {
		effs := r.c.Receive(r.now, coreMaster, runTaskMsg(tid, eid))
		return r.c.SandboxPrepared(r.now, effs[0].(PrepareSandbox), nil)
	}
	r.expect("t1", prepared("t1", "e1"), "launch container c1", "start timer executor-registration/c1 after 1m0s")
	r.expect("t2", prepared("t2", "e2"), "launch container c2", "start timer executor-registration/c2 after 1m0s")
	r.expect("t3 waits", prepared("t3", "e3"))
	r.expect("t4 waits", prepared("t4", "e4"))
	r.expect("c1 started", r.c.ContainerLaunched(r.now, "c1", nil), "wait container c1")

	// A registration frees a slot: the first waiting launch starts.
	r.now = r.now.Add(30 * time.Second)
	r.expect("e1 registers", r.executorRegisters("e1"),
		"link "+coreExec.String(),
		"launch container c3", "start timer executor-registration/c3 after 1m0s",
		send(&mesosinternal.ExecutorRegisteredMessage{}, coreExec),
		"update container c1 tasks [t1]")

	// A waiting launch whose task is killed never starts.
	effs := r.expect("kill t4", r.c.Receive(r.now, coreMaster, &mesosinternal.KillTaskMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t4")},
	}),
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t4 after 10s",
		"cancel timer executor-registration/c4",
		send(&mesosinternal.ExitedExecutorMessage{}, coreMaster))
	if st := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_KILLED {
		t.Fatalf("t4 update = %v", st)
	}
	// An end frees a slot too; nothing is left waiting.
	r.c.ContainerLaunched(r.now, "c2", nil)
	effs = r.expect("c2 ends", r.c.ContainerExited(r.now, "c2", &containerizer.Termination{Status: proto.Int32(1)}, nil),
		"cancel timer executor-registration/c2",
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t2 after 10s",
		send(&mesosinternal.ExitedExecutorMessage{}, coreMaster))
	if len(r.c.launchWaiting) != 0 || r.c.launching != 1 || r.c.containers["c3"] == nil || !r.c.containers["c3"].inFlight {
		t.Fatalf("waiting %v, launching %v", r.c.launchWaiting, r.c.launching)
	}
}

// A traced executor writes its own file in its sandbox.
func TestCoreExecutorEnvTrace(t *testing.T) {
	r := newCoreRunWith(t, func(c *Config) { c.TraceExecutors, c.TraceExecutorPayloads = true, true })
	r.register()
	l := r.launch("t1", "e1")
	env := l.Complete().Env
	if env[tracing.EnvTraceFile] != l.Config.Directory+"/"+tracing.ExecutorTraceFileName || env[tracing.EnvTracePayloads] != "1" ||
		env["MESOS_DIRECTORY"] != l.Config.Directory || env["MESOS_FRAMEWORK_ID"] != "fw-1" || env["MESOS_EXECUTOR_ID"] != "e1" {
		t.Fatalf("env %v", env)
	}
}

func TestCoreSurvivesEmptyMessages(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.launch("t1", "e1")
	for _, m := range Messages() {
		for _, from := range []actors.PID{coreMaster, coreExec, {}} {
			r.c.Receive(r.now, from, m) // must not panic
		}
	}
	for _, key := range []string{"update/", "update/x", "executor-registration/", "executor-shutdown/nope", "executor-exit/", "executor-exit/nope", "executor-reregistration", "bogus"} {
		r.c.Timer(r.now, key)
	}
}

// --command_executor=agent: the container runs the task's own command,
// the shell is told to host the executor, and once it registers the task
// goes to it without a container update (the container started with the
// task's resources).
func TestCoreHostedCommandTask(t *testing.T) {
	r := newCoreRunWith(t, func(c *Config) {
		c.CommandExecutor = CommandExecutorAgent
		c.TraceExecutors, c.TraceExecutorPayloads = true, true
	})
	r.register()
	task := &mesos.TaskInfo{
		Name: proto.String("cmd"), TaskId: &mesos.TaskID{Value: proto.String("c1")},
		SlaveId:   &mesos.SlaveID{Value: proto.String(coreAgentID)},
		Resources: resources.MustParse("cpus:1;mem:128"),
		Command:   &mesos.CommandInfo{Value: proto.String("sleep 1"), Uris: []*mesos.CommandInfo_URI{{Value: proto.String("http://127.0.0.1/x")}}},
	}
	effs := r.c.Receive(r.now, coreMaster, &mesosinternal.RunTaskMessage{Framework: frameworkInfo, Task: task})
	effs = r.expect("sandbox prepared", r.c.SandboxPrepared(r.now, effs[0].(PrepareSandbox), nil),
		"launch container c1", "start timer executor-registration/c1 after 1m0s")
	l := effs[0].(LaunchContainer)
	cfg := l.Complete()
	cmd := cfg.ExecutorInfo.GetCommand()
	if l.Hosted == nil || l.Hosted.Task.GetTaskId().GetValue() != "c1" || l.Hosted.Framework.GetName() != frameworkInfo.GetName() ||
		cmd.GetValue() != "sleep 1" || len(cmd.GetUris()) != 1 || cfg.Env["MESOS_EXECUTOR_ID"] != "c1" {
		t.Fatalf("LaunchContainer = %+v", l)
	}
	// The executor's trace file is not the task's.
	if env := cfg.Env; env[tracing.EnvTraceFile] != "" || env[tracing.EnvTracePayloads] != "" {
		t.Fatalf("hosted command's env %v", env)
	}
	if got := resources.Resources(cfg.Resources); got.Scalar("cpus") != 1.1 || got.Scalar("mem") != 160 {
		t.Fatalf("container resources = %s", got)
	}
	r.expect("launched", r.c.ContainerLaunched(r.now, "c1", nil), "wait container c1")
	effs = r.expect("executor registers", r.executorRegisters("c1"),
		"link "+coreExec.String(),
		send(&mesosinternal.ExecutorRegisteredMessage{}, coreExec),
		send(&mesosinternal.RunTaskMessage{}, coreExec))
	// What the framework sees of the executor is the command executor's.
	st := r.c.Snapshot()
	if ex := st["frameworks"].([]any)[0].(map[string]any)["executors"].([]any)[0].(map[string]any); ex["id"] != "c1" ||
		!strings.HasPrefix(ex["name"].(string), "Command Executor") {
		t.Fatalf("executor in /state = %v", ex)
	}
}
