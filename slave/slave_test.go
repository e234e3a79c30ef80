package slave

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/internal/jsonmodel"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/containerizer"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

const wait = 10 * time.Second

func testLogger() *logrus.Logger {
	l := logrus.New()
	l.SetLevel(logrus.DebugLevel)
	l.SetOutput(io.Discard)
	if os.Getenv("SLAVE_TEST_LOG") != "" {
		l.SetOutput(os.Stderr)
	}
	return l
}

// received is one message that reached a fake process.
type received struct {
	from actors.PID
	msg  proto.Message
}

// inbox is a Process that records every message of the given types.
type inbox struct {
	ch      chan received
	install func(ctx *actors.Context, rec func(actors.PID, proto.Message))
	ctx     *actors.Context
}

func (p *inbox) Initialize(ctx *actors.Context) {
	p.ctx = ctx
	p.install(ctx, func(from actors.PID, m proto.Message) { p.ch <- received{from, m} })
}

// next returns the next recorded message of type T that satisfies ok,
// dropping others.
func next[T proto.Message](t testing.TB, ch chan received, ok func(T) bool) (actors.PID, T) {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case r := <-ch:
			if m, is := r.msg.(T); is && (ok == nil || ok(m)) {
				return r.from, m
			}
		case <-timeout:
			var zero T
			t.Fatalf("no %T arrived within %s", zero, wait)
			return actors.PID{}, zero
		}
	}
}

func newFakeMaster(t testing.TB, node *actors.Node) (actors.PID, chan received) {
	ch := make(chan received, 1000)
	p := &inbox{ch: ch, install: func(ctx *actors.Context, rec func(actors.PID, proto.Message)) {
		actors.Install(ctx, func(from actors.PID, m *mesosinternal.RegisterSlaveMessage) { rec(from, m) })
		actors.Install(ctx, func(from actors.PID, m *mesosinternal.ReregisterSlaveMessage) { rec(from, m) })
		actors.Install(ctx, func(from actors.PID, m *mesosinternal.StatusUpdateMessage) { rec(from, m) })
		actors.Install(ctx, func(from actors.PID, m *mesosinternal.ExitedExecutorMessage) { rec(from, m) })
		actors.Install(ctx, func(from actors.PID, m *mesosinternal.PongSlaveMessage) { rec(from, m) })
		actors.Install(ctx, func(from actors.PID, m *mesosinternal.UnregisterSlaveMessage) { rec(from, m) })
		actors.Install(ctx, func(from actors.PID, m *mesosinternal.ExecutorToFrameworkMessage) { rec(from, m) })
	}}
	pid, err := node.Spawn(fmt.Sprintf("master-%d", fakeMasters.Add(1)), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Stop(pid) })
	return pid, ch
}

var fakeMasters atomic.Int64

// fakeExecutor is an in-process executor speaking the executor protocol.
type fakeExecutor struct {
	node     *actors.Node
	self     actors.PID // set before the executor is handed to the test
	agent    actors.PID
	fid, eid string
	register bool
	events   chan received
	ctx      *actors.Context
}

func (e *fakeExecutor) Initialize(ctx *actors.Context) {
	e.ctx = ctx
	rec := func(from actors.PID, m proto.Message) { e.events <- received{from, m} }
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.ExecutorRegisteredMessage) { rec(from, m) })
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.RunTaskMessage) {
		rec(from, m)
		e.sendStatus(m.GetTask().GetTaskId().GetValue(), mesos.TaskState_TASK_RUNNING, "running-"+m.GetTask().GetTaskId().GetValue())
	})
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.StatusUpdateAcknowledgementMessage) { rec(from, m) })
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.KillTaskMessage) {
		rec(from, m)
		e.sendStatus(m.GetTaskId().GetValue(), mesos.TaskState_TASK_KILLED, "killed-"+m.GetTaskId().GetValue())
	})
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.ShutdownExecutorMessage) { rec(from, m) })
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.FrameworkToExecutorMessage) { rec(from, m) })
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.ExecutorReregisteredMessage) { rec(from, m) })
	// A restarted agent asks it back: it follows the agent's new pid.
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.ReconnectExecutorMessage) {
		rec(from, m)
		e.agent = from
		ctx.Send(from, &mesosinternal.ReregisterExecutorMessage{
			FrameworkId: &mesos.FrameworkID{Value: proto.String(e.fid)},
			ExecutorId:  &mesos.ExecutorID{Value: proto.String(e.eid)},
		})
	})
	if e.register {
		ctx.Send(e.agent, &mesosinternal.RegisterExecutorMessage{
			FrameworkId: &mesos.FrameworkID{Value: proto.String(e.fid)},
			ExecutorId:  &mesos.ExecutorID{Value: proto.String(e.eid)},
		})
	}
}

// sendFromTest sends a status update from the executor's own goroutine.
func (e *fakeExecutor) sendFromTest(t *testing.T, tid string, st mesos.TaskState, uuid string) {
	t.Helper()
	if !e.node.Dispatch(e.self, func() { e.sendStatus(tid, st, uuid) }) {
		t.Fatal("fake executor is gone")
	}
}

func (e *fakeExecutor) sendStatus(tid string, st mesos.TaskState, uuid string) {
	e.ctx.Send(e.agent, &mesosinternal.StatusUpdateMessage{
		Update: &mesosinternal.StatusUpdate{
			FrameworkId: &mesos.FrameworkID{Value: proto.String(e.fid)},
			ExecutorId:  &mesos.ExecutorID{Value: proto.String(e.eid)},
			SlaveId:     &mesos.SlaveID{Value: proto.String(agentID)},
			Status: &mesos.TaskStatus{
				TaskId:  &mesos.TaskID{Value: proto.String(tid)},
				State:   st.Enum(),
				SlaveId: &mesos.SlaveID{Value: proto.String(agentID)},
			},
			Timestamp: proto.Float64(1),
			Uuid:      []byte(uuid),
		},
		Pid: proto.String(e.ctx.Self().String()),
	})
}

// fakeContainerizer runs fake executors as processes on the test's node.
type fakeContainerizer struct {
	node     *actors.Node
	register bool

	mu         sync.Mutex
	launches   []containerizer.LaunchConfig
	containers map[string]*fakeContainer
	executors  chan *fakeExecutor
}

type fakeContainer struct {
	pid  actors.PID
	done chan struct{}
	term *containerizer.Termination
	once sync.Once
}

func newFakeContainerizer(node *actors.Node, register bool) *fakeContainerizer {
	return &fakeContainerizer{node: node, register: register, containers: map[string]*fakeContainer{}, executors: make(chan *fakeExecutor, 10)}
}

func (c *fakeContainerizer) Launch(ctx context.Context, id string, cfg containerizer.LaunchConfig) error {
	agent, err := actors.ParsePID(cfg.Env["MESOS_SLAVE_PID"])
	if err != nil {
		return err
	}
	fc := &fakeContainer{done: make(chan struct{})}
	c.mu.Lock()
	c.launches = append(c.launches, cfg)
	c.containers[id] = fc
	c.mu.Unlock()
	ex := &fakeExecutor{
		node: c.node, agent: agent, fid: cfg.Env["MESOS_FRAMEWORK_ID"], eid: cfg.Env["MESOS_EXECUTOR_ID"],
		register: c.register, events: make(chan received, 100),
	}
	pid, err := c.node.Spawn("executor-"+id, ex)
	if err != nil {
		return err
	}
	fc.pid = pid
	ex.self = pid
	c.executors <- ex
	return nil
}

func (c *fakeContainerizer) get(id string) *fakeContainer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.containers[id]
}

func (c *fakeContainerizer) Wait(ctx context.Context, id string) (*containerizer.Termination, error) {
	fc := c.get(id)
	if fc == nil {
		return nil, containerizer.ErrUnknownContainer
	}
	select {
	case <-fc.done:
		return fc.term, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// exit ends a container as if its executor had exited with status.
func (c *fakeContainerizer) exit(id string, status int32) {
	fc := c.get(id)
	fc.once.Do(func() {
		c.node.Stop(fc.pid)
		fc.term = &containerizer.Termination{Status: proto.Int32(status)}
		close(fc.done)
	})
}

func (c *fakeContainerizer) Destroy(ctx context.Context, id string) error {
	if fc := c.get(id); fc != nil {
		c.exit(id, 9) // killed by SIGKILL
	}
	return nil
}

func (c *fakeContainerizer) Update(ctx context.Context, id string, r []*mesos.Resource) error {
	return nil
}

func (c *fakeContainerizer) Usage(ctx context.Context, id string) (*mesos.ResourceStatistics, error) {
	return &mesos.ResourceStatistics{Timestamp: proto.Float64(0)}, nil
}

func (c *fakeContainerizer) Containers() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for id, fc := range c.containers {
		select {
		case <-fc.done:
		default:
			out = append(out, id)
		}
	}
	return out
}

func (c *fakeContainerizer) launchCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.launches)
}

const agentID = "agent-1"

type harness struct {
	t      testing.TB
	node   *actors.Node
	clock  *actors.ManualClock
	master actors.PID
	inbox  chan received
	cont   *fakeContainerizer
	s      *Slave
	agent  actors.PID
}

func newHarness(t testing.TB, register bool, mod ...func(*Config)) *harness {
	t.Helper()
	clock := actors.NewManualClock(time.Unix(1_700_000_000, 0))
	node, err := actors.NewNode(actors.Config{Local: true, Clock: clock, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Shutdown)
	master, inbox := newFakeMaster(t, node)
	det := detector.NewStandalone(&mesos.MasterInfo{
		Id: proto.String("master-id"), Ip: proto.Uint32(0x7f000001), Port: proto.Uint32(5050),
		Pid: proto.String(master.String()), Hostname: proto.String("localhost"),
	})
	cont := newFakeContainerizer(node, register)
	cfg := DefaultConfig()
	cfg.Detector = det
	cfg.WorkDir = t.TempDir()
	cfg.Resources = "cpus:2;mem:1024;disk:1024;ports:[31000-31100]"
	cfg.Attributes = "rack:r1;u:2"
	cfg.Hostname = "agent.test"
	cfg.Containerizer = cont
	cfg.LauncherDir = t.TempDir()
	for _, m := range mod {
		m(&cfg)
	}
	s, err := New(node, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.deps.Rand = rand.New(rand.NewSource(1)) // the same backoff draws every run
	h := &harness{t: t, node: node, clock: clock, master: master, inbox: inbox, cont: cont, s: s}
	t.Cleanup(s.Stop)
	return h
}

func (h *harness) start() {
	h.t.Helper()
	pid, err := h.s.Start()
	if err != nil {
		h.t.Fatal(err)
	}
	h.agent = pid
}

// advanceUntil moves the clock in steps until fut completes.
func (h *harness) advanceUntil(fut *actors.Future, step time.Duration, maxSteps int) proto.Message {
	h.t.Helper()
	for i := 0; i < maxSteps; i++ {
		select {
		case <-fut.Done():
			m, err := fut.Wait(0)
			if err != nil {
				h.t.Fatal(err)
			}
			return m
		case <-time.After(20 * time.Millisecond):
		}
		h.clock.Advance(step)
	}
	m, err := fut.Wait(wait)
	if err != nil {
		h.t.Fatalf("message did not arrive after %d clock steps of %s: %v", maxSteps, step, err)
	}
	return m
}

// register runs the registration handshake.
func (h *harness) register() {
	h.t.Helper()
	fut := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.RegisterSlaveMessage](), To: h.master})
	h.start()
	h.advanceUntil(fut, time.Second, 50)
	from, reg := next[*mesosinternal.RegisterSlaveMessage](h.t, h.inbox, nil)
	if from != h.agent {
		h.t.Fatalf("registration from %s, want %s", from, h.agent)
	}
	_ = reg
	done := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.SlaveRegisteredMessage](), To: h.agent})
	h.node.Send(h.master, h.agent, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}})
	if _, err := done.Wait(wait); err != nil {
		h.t.Fatal(err)
	}
	h.barrier()
}

// barrier waits until the agent has handled everything sent to it so far.
func (h *harness) barrier() map[string]any {
	h.t.Helper()
	v, err := h.node.Call(context.Background(), h.agent, func() any { return h.s.p.snapshot() })
	if err != nil {
		h.t.Fatal(err)
	}
	return v.(map[string]any)
}

var frameworkInfo = &mesos.FrameworkInfo{
	User: proto.String("nobody"), Name: proto.String("fw"), Id: &mesos.FrameworkID{Value: proto.String("fw-1")},
}

func customTask(tid, eid string) *mesos.TaskInfo {
	return &mesos.TaskInfo{
		Name:      proto.String("task " + tid),
		TaskId:    &mesos.TaskID{Value: proto.String(tid)},
		SlaveId:   &mesos.SlaveID{Value: proto.String(agentID)},
		Resources: mustResources("cpus:0.5;mem:64"),
		Executor: &mesos.ExecutorInfo{
			ExecutorId: &mesos.ExecutorID{Value: proto.String(eid)},
			Command:    &mesos.CommandInfo{Value: proto.String("/bin/true")},
			Resources:  mustResources("cpus:0.1;mem:32"),
		},
	}
}

func mustResources(s string) []*mesos.Resource {
	r, err := resourcesParse(s)
	if err != nil {
		panic(err)
	}
	return r
}

func (h *harness) runTask(task *mesos.TaskInfo) {
	h.node.Send(h.master, h.agent, &mesosinternal.RunTaskMessage{
		Framework: frameworkInfo, Pid: proto.String("scheduler@127.0.0.1:1"), Task: task,
	})
}

func TestRegistrationRetriedWhenRegisteredIsDropped(t *testing.T) {
	h := newHarness(t, true)
	fut := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.RegisterSlaveMessage](), To: h.master})
	h.start()
	h.advanceUntil(fut, time.Second, 50)
	_, reg := next[*mesosinternal.RegisterSlaveMessage](t, h.inbox, nil)
	info := reg.GetSlave()
	if info.GetHostname() != "agent.test" || info.GetPort() != 5051 || reg.GetVersion() != "1.11.0" || info.Id != nil {
		t.Fatalf("RegisterSlaveMessage = %v", reg)
	}
	if len(reg.GetAgentCapabilities()) != 3 || len(info.GetAttributes()) != 2 || len(info.GetResources()) == 0 {
		t.Fatalf("RegisterSlaveMessage = %v", reg)
	}

	// The master's answer is lost: the agent must register again.
	h.node.Filters().DropOne(actors.Match{Type: actors.TypeOf[*mesosinternal.SlaveRegisteredMessage](), To: h.agent})
	dropped := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.SlaveRegisteredMessage](), To: h.agent})
	h.node.Send(h.master, h.agent, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}})
	if _, err := dropped.Wait(wait); err != nil {
		t.Fatal(err)
	}
	if id := h.barrier()["id"]; id != "" {
		t.Fatalf("agent registered although the answer was dropped: %v", id)
	}
	retry := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.RegisterSlaveMessage](), To: h.master})
	h.advanceUntil(retry, time.Second, 10)
	next[*mesosinternal.RegisterSlaveMessage](t, h.inbox, nil)

	// A SlaveRegisteredMessage from someone else is ignored.
	other := actors.PID{ID: "master", Address: "127.0.0.1:1"}
	h.node.Send(other, h.agent, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String("bogus")}})
	if id := h.barrier()["id"]; id != "" {
		t.Fatalf("agent accepted a registration from %s", other)
	}

	h.node.Send(h.master, h.agent, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}})
	st := h.barrier()
	if st["id"] != agentID || st["master_hostname"] != "localhost" {
		t.Fatalf("state after registration: id=%v master_hostname=%v", st["id"], st["master_hostname"])
	}
}

func TestPingPongAndPingTimeoutReregisters(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	h.node.Send(h.master, h.agent, &mesosinternal.PingSlaveMessage{Connected: proto.Bool(true)})
	from, _ := next[*mesosinternal.PongSlaveMessage](t, h.inbox, nil)
	if from != h.agent {
		t.Fatalf("pong from %s", from)
	}
	// No pings for 75 s: the agent re-detects and reregisters with its id.
	rereg := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.ReregisterSlaveMessage](), To: h.master})
	h.advanceUntil(rereg, 5*time.Second, 40)
	_, m := next[*mesosinternal.ReregisterSlaveMessage](t, h.inbox, nil)
	if m.GetSlave().GetId().GetValue() != agentID {
		t.Fatalf("reregistration = %v", m)
	}
}

func TestCustomExecutorStatusUpdatesAndAcks(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	h.runTask(customTask("t1", "e1"))

	var ex *fakeExecutor
	select {
	case ex = <-h.cont.executors:
	case <-time.After(wait):
		t.Fatal("executor not launched")
	}
	cfg := h.cont.launches[0]
	for k, want := range map[string]string{
		"MESOS_FRAMEWORK_ID": "fw-1", "MESOS_EXECUTOR_ID": "e1", "MESOS_SLAVE_ID": agentID,
		"MESOS_SLAVE_PID": h.agent.String(), "MESOS_AGENT_ENDPOINT": h.agent.Address,
		"MESOS_CHECKPOINT": "0", "LIBPROCESS_PORT": "0", "LIBPROCESS_IP": "127.0.0.1",
		"MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD": "5secs",
	} {
		if cfg.Env[k] != want {
			t.Errorf("env %s = %q, want %q", k, cfg.Env[k], want)
		}
	}
	if !strings.HasPrefix(cfg.Directory, h.s.cfg.WorkDir+"/slaves/"+agentID+"/frameworks/fw-1/executors/e1/runs/") || cfg.Env["MESOS_DIRECTORY"] != cfg.Directory {
		t.Errorf("sandbox = %s", cfg.Directory)
	}

	_, reg := next[*mesosinternal.ExecutorRegisteredMessage](t, ex.events, nil)
	if reg.GetSlaveId().GetValue() != agentID || reg.GetExecutorInfo().GetExecutorId().GetValue() != "e1" {
		t.Fatalf("ExecutorRegisteredMessage = %v", reg)
	}
	_, run := next[*mesosinternal.RunTaskMessage](t, ex.events, nil)
	if run.GetTask().GetTaskId().GetValue() != "t1" || run.GetPid() != "scheduler@127.0.0.1:1" {
		t.Fatalf("RunTaskMessage = %v", run)
	}

	// The executor's TASK_RUNNING reaches the master, stamped by the agent.
	_, upd := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, nil)
	st := upd.GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_RUNNING || st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR ||
		string(upd.GetUpdate().GetUuid()) != "running-t1" || string(st.GetUuid()) != "running-t1" ||
		st.GetExecutorId().GetValue() != "e1" || upd.GetPid() != h.agent.String() ||
		upd.GetUpdate().GetLatestState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("forwarded update = %v", upd)
	}
	// The agent acknowledged the executor once it took the update.
	_, ack := next[*mesosinternal.StatusUpdateAcknowledgementMessage](t, ex.events, nil)
	if string(ack.GetUuid()) != "running-t1" {
		t.Fatalf("executor ack = %v", ack)
	}

	// Unacknowledged, the update is retried after 10 s.
	retry := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.StatusUpdateMessage](), To: h.master})
	h.advanceUntil(retry, 10*time.Second, 3)
	_, again := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, nil)
	if string(again.GetUpdate().GetUuid()) != "running-t1" {
		t.Fatalf("retry = %v", again)
	}

	// A second update waits behind the first until the master acks it.
	ex.sendFromTest(t, "t1", mesos.TaskState_TASK_FINISHED, "finished-t1")
	next[*mesosinternal.StatusUpdateAcknowledgementMessage](t, ex.events, func(m *mesosinternal.StatusUpdateAcknowledgementMessage) bool {
		return string(m.GetUuid()) == "finished-t1"
	})
	h.node.Send(h.master, h.agent, &mesosinternal.StatusUpdateAcknowledgementMessage{
		SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}, FrameworkId: frameworkInfo.Id,
		TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: []byte("running-t1"),
	})
	_, fin := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, func(m *mesosinternal.StatusUpdateMessage) bool {
		return string(m.GetUpdate().GetUuid()) == "finished-t1"
	})
	if fin.GetUpdate().GetStatus().GetState() != mesos.TaskState_TASK_FINISHED {
		t.Fatalf("second update = %v", fin)
	}
	h.node.Send(h.master, h.agent, &mesosinternal.StatusUpdateAcknowledgementMessage{
		SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}, FrameworkId: frameworkInfo.Id,
		TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: []byte("finished-t1"),
	})
	state := h.barrier()
	fws := state["frameworks"].([]any)
	if len(fws) != 1 {
		t.Fatalf("frameworks = %v", fws)
	}
	execs := fws[0].(map[string]any)["executors"].([]any)
	completed := execs[0].(map[string]any)["completed_tasks"].([]any)
	if len(completed) != 1 || completed[0].(map[string]any)["state"] != "TASK_FINISHED" {
		t.Fatalf("completed tasks = %v", completed)
	}

	// The executor exits: the master hears of it (custom executor).
	h.cont.exit(h.cont.launches[0].Env["MESOS_DIRECTORY"][strings.LastIndex(h.cont.launches[0].Env["MESOS_DIRECTORY"], "/")+1:], 0)
	_, exited := next[*mesosinternal.ExitedExecutorMessage](t, h.inbox, nil)
	if exited.GetExecutorId().GetValue() != "e1" || exited.GetStatus() != 0 {
		t.Fatalf("ExitedExecutorMessage = %v", exited)
	}
	state = h.barrier()
	if len(state["frameworks"].([]any)) != 0 || len(state["completed_frameworks"].([]any)) != 1 {
		t.Fatalf("frameworks after exit: %v / %v", state["frameworks"], state["completed_frameworks"])
	}
}

func TestKillPendingTask(t *testing.T) {
	h := newHarness(t, true)
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	h.s.p.prepareLaunch = func(ctx context.Context, dir string) error {
		entered <- struct{}{}
		<-release
		return nil
	}
	h.register()
	h.runTask(customTask("t1", "e1"))
	<-entered
	h.node.Send(h.master, h.agent, &mesosinternal.KillTaskMessage{FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}})
	_, upd := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, nil)
	st := upd.GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_KILLED || st.GetReason() != mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH ||
		st.GetSource() != mesos.TaskStatus_SOURCE_SLAVE || len(upd.GetUpdate().GetUuid()) != 16 ||
		st.GetMessage() != "Killed before delivery to the executor" {
		t.Fatalf("update = %v", upd)
	}
	close(release)
	h.barrier() // the launch step has run (and found the task gone)
	h.barrier()
	if n := h.cont.launchCount(); n != 0 {
		t.Fatalf("%d containers launched for a killed task", n)
	}
}

func TestExecutorRegistrationTimeout(t *testing.T) {
	h := newHarness(t, false, func(c *Config) { c.ExecutorRegistrationTimeout = 30 * time.Second })
	h.register()
	h.runTask(customTask("t1", "e1"))
	select {
	case <-h.cont.executors:
	case <-time.After(wait):
		t.Fatal("executor not launched")
	}
	fut := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.StatusUpdateMessage](), To: h.master})
	h.advanceUntil(fut, 5*time.Second, 20)
	_, upd := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, nil)
	st := upd.GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_FAILED || st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_REGISTRATION_TIMEOUT ||
		st.GetSource() != mesos.TaskStatus_SOURCE_SLAVE || !strings.Contains(st.GetMessage(), "Executor did not register within 30secs") {
		t.Fatalf("update = %v", upd)
	}
	_, exited := next[*mesosinternal.ExitedExecutorMessage](t, h.inbox, nil)
	if exited.GetExecutorId().GetValue() != "e1" {
		t.Fatalf("ExitedExecutorMessage = %v", exited)
	}
}

func TestCommandTaskGetsCommandExecutor(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	task := &mesos.TaskInfo{
		Name: proto.String("cmd"), TaskId: &mesos.TaskID{Value: proto.String("c1")},
		SlaveId:   &mesos.SlaveID{Value: proto.String(agentID)},
		Resources: mustResources("cpus:1;mem:128"),
		Command:   &mesos.CommandInfo{Value: proto.String("echo hello world")},
	}
	h.runTask(task)
	ex := <-h.cont.executors
	cfg := h.cont.launches[0]
	info := cfg.ExecutorInfo
	if ex.eid != "c1" || info.GetExecutorId().GetValue() != "c1" ||
		info.GetName() != "Command Executor (Task: c1) (Command: sh -c 'echo hello w...')" {
		t.Fatalf("executor info = %v", info)
	}
	if cfg.TaskInfo == nil || cfg.TaskInfo.GetTaskId().GetValue() != "c1" {
		t.Fatalf("task info not passed for a command task")
	}
	r, _ := resourcesParse("cpus:1.1;mem:160")
	if !sameScalars(cfg.Resources, r) {
		t.Fatalf("container resources = %v", cfg.Resources)
	}
	// Without mesos-executor in the launcher dir, the command says so.
	if !strings.Contains(info.GetCommand().GetValue(), "mesos-executor: No such file or directory") {
		t.Fatalf("command = %v", info.GetCommand())
	}
	next[*mesosinternal.RunTaskMessage](t, ex.events, nil)
	// The command executor exits: no ExitedExecutorMessage; the task
	// (still RUNNING) fails.
	_, first := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, nil)
	cid := cfg.Directory[strings.LastIndex(cfg.Directory, "/")+1:]
	h.cont.exit(cid, 256)
	h.node.Send(h.master, h.agent, &mesosinternal.StatusUpdateAcknowledgementMessage{
		SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}, FrameworkId: frameworkInfo.Id,
		TaskId: &mesos.TaskID{Value: proto.String("c1")}, Uuid: first.GetUpdate().GetUuid(),
	})
	_, failed := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, func(m *mesosinternal.StatusUpdateMessage) bool {
		return m.GetUpdate().GetStatus().GetState() == mesos.TaskState_TASK_FAILED
	})
	if failed.GetUpdate().GetStatus().GetReason() != mesos.TaskStatus_REASON_EXECUTOR_TERMINATED ||
		failed.GetUpdate().GetStatus().GetMessage() != "Executor terminated" {
		t.Fatalf("failure = %v", failed)
	}
	select {
	case r := <-h.inbox:
		if _, ok := r.msg.(*mesosinternal.ExitedExecutorMessage); ok {
			t.Fatal("ExitedExecutorMessage sent for a command executor")
		}
	default:
	}
}

func TestKillLaunchedTaskIsForwardedAndBadMessagesIgnored(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	h.runTask(customTask("t1", "e1"))
	ex := <-h.cont.executors
	next[*mesosinternal.RunTaskMessage](t, ex.events, nil)

	// A kill from someone other than the master is ignored.
	h.node.Send(actors.PID{ID: "impostor", Address: "127.0.0.1:1"}, h.agent,
		&mesosinternal.KillTaskMessage{FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}})
	// A status update without uuid is dropped.
	h.node.Send(actors.PID{ID: "x", Address: "127.0.0.1:1"}, h.agent, &mesosinternal.StatusUpdateMessage{
		Update: &mesosinternal.StatusUpdate{FrameworkId: frameworkInfo.Id, Timestamp: proto.Float64(0),
			Status: &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: mesos.TaskState_TASK_FAILED.Enum()}},
	})
	h.barrier()

	h.node.Send(h.master, h.agent, &mesosinternal.KillTaskMessage{FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}})
	_, kill := next[*mesosinternal.KillTaskMessage](t, ex.events, nil)
	if kill.GetTaskId().GetValue() != "t1" {
		t.Fatalf("kill = %v", kill)
	}
	// Framework message relay to the executor.
	h.node.Send(h.master, h.agent, &mesosinternal.FrameworkToExecutorMessage{
		SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}, FrameworkId: frameworkInfo.Id,
		ExecutorId: &mesos.ExecutorID{Value: proto.String("e1")}, Data: []byte("hi"),
	})
	_, fm := next[*mesosinternal.FrameworkToExecutorMessage](t, ex.events, nil)
	if string(fm.GetData()) != "hi" {
		t.Fatalf("framework message = %v", fm)
	}
	// Shutting the framework down asks the executor to stop, then kills it
	// after the grace period.
	h.node.Send(h.master, h.agent, &mesosinternal.ShutdownFrameworkMessage{FrameworkId: frameworkInfo.Id})
	next[*mesosinternal.ShutdownExecutorMessage](t, ex.events, nil)
	fut := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.ExitedExecutorMessage](), To: h.master})
	h.advanceUntil(fut, time.Second, 10)
	st := h.barrier()
	if len(st["frameworks"].([]any)) != 0 {
		t.Fatalf("framework still there: %v", st["frameworks"])
	}
}

func TestConfigValidate(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--work_dir is required") {
		t.Fatalf("Validate = %v", err)
	}
	c.WorkDir = t.TempDir()
	c.Master = "127.0.0.1:5050"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Launcher = "bogus" }, "unknown launcher"},
		{func(c *Config) { c.Isolation = "cgroups/devices" }, "not supported yet"},
		{func(c *Config) { c.Isolation = "posix/bogus" }, "unknown isolator"},
		{func(c *Config) { c.Resources = "cpus:abc" }, "--resources"},
		{func(c *Config) { c.Attributes = "novalue" }, "--attributes"},
	} {
		cc := c
		tc.mod(&cc)
		if err := cc.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want %q", err, tc.want)
		}
	}
}

func TestDetectedResourcesAndAttributes(t *testing.T) {
	r, err := totalResources("cpus:3", "*", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if r.Scalar("cpus") != 3 || r.Scalar("mem") <= 0 || r.Scalar("disk") <= 0 || len(r.Ranges("ports")) != 1 {
		t.Fatalf("resources = %s", r)
	}
	attrs, err := ParseAttributes("rack:2;zone:us-east;ports:[1-5,8-9];tags:{a,b}")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(jsonmodel.Attributes(attrs))
	if got != "map[ports:[1-5, 8-9] rack:2 tags:{a, b} zone:us-east]" {
		t.Fatalf("attributes = %s", got)
	}
}

func resourcesParse(s string) ([]*mesos.Resource, error) {
	r, err := resources.Parse(s, "*")
	return r, err
}

func sameScalars(a, b []*mesos.Resource) bool {
	ra, rb := resources.Resources(a), resources.Resources(b)
	for _, n := range []string{"cpus", "mem"} {
		if ra.Scalar(n) != rb.Scalar(n) {
			return false
		}
	}
	return true
}

func TestExecutorSendingStagingIsShutDownAndUpdateFrameworkResends(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	h.runTask(customTask("t1", "e1"))
	ex := <-h.cont.executors
	next[*mesosinternal.RunTaskMessage](t, ex.events, nil)
	_, first := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, nil)

	// The scheduler failed over: the unacknowledged update is resent.
	h.node.Send(h.master, h.agent, &mesosinternal.UpdateFrameworkMessage{
		FrameworkId: frameworkInfo.Id, Pid: proto.String("scheduler@127.0.0.1:2"),
	})
	_, again := next[*mesosinternal.StatusUpdateMessage](t, h.inbox, nil)
	if string(again.GetUpdate().GetUuid()) != string(first.GetUpdate().GetUuid()) {
		t.Fatalf("resent %v, want %v", again, first)
	}

	ex.sendFromTest(t, "t1", mesos.TaskState_TASK_STAGING, "staging")
	next[*mesosinternal.ShutdownExecutorMessage](t, ex.events, nil)
}
