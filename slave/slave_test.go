package slave

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/internal/jsonmodel"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/containerizer"
	"google.golang.org/protobuf/proto"
)

// fakeExecutor is an in-process executor: an actortest peer whose hooks
// speak the executor protocol. It registers with the agent (if asked to),
// answers a RunTaskMessage with TASK_RUNNING and a KillTaskMessage with
// TASK_KILLED, and follows a restarted agent that reconnects it.
type fakeExecutor struct {
	*actortest.Peer
	fid, eid string

	mu    sync.Mutex
	agent actors.PID // where its status updates go
}

// startFakeExecutor spawns a fake executor under "executor-"+id for the
// agent at agent. The caller stops it (Stop) or shuts the node down.
func startFakeExecutor(node *actors.Node, id string, agent actors.PID, fid, eid string, register bool) (*fakeExecutor, error) {
	p, err := actortest.Spawn(node, "executor-"+id)
	if err != nil {
		return nil, err
	}
	e := &fakeExecutor{Peer: p, fid: fid, eid: eid, agent: agent}
	actortest.Handle(p, func(c *actors.Context, _ actors.PID, m *mesosinternal.RunTaskMessage) {
		tid := m.GetTask().GetTaskId().GetValue()
		c.Send(e.agentPID(), e.status(tid, mesos.TaskState_TASK_RUNNING, "running-"+tid))
	})
	actortest.Handle(p, func(c *actors.Context, _ actors.PID, m *mesosinternal.KillTaskMessage) {
		tid := m.GetTaskId().GetValue()
		c.Send(e.agentPID(), e.status(tid, mesos.TaskState_TASK_KILLED, "killed-"+tid))
	})
	actortest.Handle(p, func(c *actors.Context, from actors.PID, _ *mesosinternal.ReconnectExecutorMessage) {
		e.mu.Lock()
		e.agent = from
		e.mu.Unlock()
		c.Send(from, &mesosinternal.ReregisterExecutorMessage{FrameworkId: e.frameworkID(), ExecutorId: e.executorID()})
	})
	if register {
		p.Send(agent, &mesosinternal.RegisterExecutorMessage{FrameworkId: e.frameworkID(), ExecutorId: e.executorID()})
	}
	return e, nil
}

func (e *fakeExecutor) agentPID() actors.PID {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.agent
}

func (e *fakeExecutor) frameworkID() *mesos.FrameworkID {
	return &mesos.FrameworkID{Value: proto.String(e.fid)}
}

func (e *fakeExecutor) executorID() *mesos.ExecutorID {
	return &mesos.ExecutorID{Value: proto.String(e.eid)}
}

// sendStatus sends a status update as the executor, after whatever its
// hooks sent before.
func (e *fakeExecutor) sendStatus(tid string, st mesos.TaskState, uuid string) {
	e.Send(e.agentPID(), e.status(tid, st, uuid))
}

// status builds the StatusUpdateMessage the executor sends.
func (e *fakeExecutor) status(tid string, st mesos.TaskState, uuid string) *mesosinternal.StatusUpdateMessage {
	return &mesosinternal.StatusUpdateMessage{
		Update: &mesosinternal.StatusUpdate{
			FrameworkId: e.frameworkID(),
			ExecutorId:  e.executorID(),
			SlaveId:     &mesos.SlaveID{Value: proto.String(agentID)},
			Status: &mesos.TaskStatus{
				TaskId:  &mesos.TaskID{Value: proto.String(tid)},
				State:   st.Enum(),
				SlaveId: &mesos.SlaveID{Value: proto.String(agentID)},
			},
			Timestamp: proto.Float64(1),
			Uuid:      []byte(uuid),
		},
		Pid: proto.String(e.PID().String()),
	}
}

// arrivedBefore fails the test unless p received a before b (two messages
// the test took from p).
func arrivedBefore(t testing.TB, p *actortest.Peer, a, b proto.Message) {
	t.Helper()
	ia, ib := -1, -1
	for i, r := range p.Received() {
		switch r.Msg {
		case a:
			ia = i
		case b:
			ib = i
		}
	}
	if ia < 0 || ib < 0 || ia > ib {
		t.Fatalf("%s got %s (at %d) and %s (at %d), want the first before the second",
			p.PID(), a.ProtoReflect().Descriptor().FullName(), ia, b.ProtoReflect().Descriptor().FullName(), ib)
	}
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
	ex, err := startFakeExecutor(c.node, id, agent, cfg.Env["MESOS_FRAMEWORK_ID"], cfg.Env["MESOS_EXECUTOR_ID"], c.register)
	if err != nil {
		return err
	}
	fc.pid = ex.PID()
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
	master *actortest.Peer // the fake master: it records what the agent sends
	cont   *fakeContainerizer
	s      *Slave
	agent  actors.PID
}

func newHarness(t testing.TB, register bool, mod ...func(*Config)) *harness {
	t.Helper()
	node, clock := actortest.NewManualNode(t)
	master := actortest.NewPeer(t, node, actortest.UniqueID("master"))
	det := detector.NewStandalone(&mesos.MasterInfo{
		Id: proto.String("master-id"), Ip: proto.Uint32(0x7f000001), Port: proto.Uint32(5050),
		Pid: proto.String(master.PID().String()), Hostname: proto.String("localhost"),
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
	h := &harness{t: t, node: node, clock: clock, master: master, cont: cont, s: s}
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
	m, err := fut.Wait(actortest.DefaultTimeout)
	if err != nil {
		h.t.Fatalf("message did not arrive after %d clock steps of %s: %v", maxSteps, step, err)
	}
	return m
}

// register runs the registration handshake.
func (h *harness) register() {
	h.t.Helper()
	fut := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.RegisterSlaveMessage](), To: h.master.PID()})
	h.start()
	h.advanceUntil(fut, time.Second, 50)
	from, _ := actortest.MustFrom[*mesosinternal.RegisterSlaveMessage](h.t, h.master, nil)
	if from != h.agent {
		h.t.Fatalf("registration from %s, want %s", from, h.agent)
	}
	done := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.SlaveRegisteredMessage](), To: h.agent})
	h.master.SendNow(h.agent, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}})
	if _, err := done.Wait(actortest.DefaultTimeout); err != nil {
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
	h.master.SendNow(h.agent, &mesosinternal.RunTaskMessage{
		Framework: frameworkInfo, Pid: proto.String("scheduler@127.0.0.1:1"), Task: task,
	})
}

func TestRegistrationRetriedWhenRegisteredIsDropped(t *testing.T) {
	h := newHarness(t, true)
	fut := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.RegisterSlaveMessage](), To: h.master.PID()})
	h.start()
	h.advanceUntil(fut, time.Second, 50)
	reg := actortest.Must[*mesosinternal.RegisterSlaveMessage](t, h.master, nil)
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
	h.master.SendNow(h.agent, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}})
	if _, err := dropped.Wait(actortest.DefaultTimeout); err != nil {
		t.Fatal(err)
	}
	if id := h.barrier()["id"]; id != "" {
		t.Fatalf("agent registered although the answer was dropped: %v", id)
	}
	retry := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.RegisterSlaveMessage](), To: h.master.PID()})
	h.advanceUntil(retry, time.Second, 10)
	actortest.Must[*mesosinternal.RegisterSlaveMessage](t, h.master, nil)

	// A SlaveRegisteredMessage from someone else is ignored.
	other := actors.PID{ID: "master", Address: "127.0.0.1:1"}
	h.node.Send(other, h.agent, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String("bogus")}})
	if id := h.barrier()["id"]; id != "" {
		t.Fatalf("agent accepted a registration from %s", other)
	}

	h.master.SendNow(h.agent, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}})
	st := h.barrier()
	if st["id"] != agentID || st["master_hostname"] != "localhost" {
		t.Fatalf("state after registration: id=%v master_hostname=%v", st["id"], st["master_hostname"])
	}
}

func TestPingPongAndPingTimeoutReregisters(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	h.master.SendNow(h.agent, &mesosinternal.PingSlaveMessage{Connected: proto.Bool(true)})
	from, _ := actortest.MustFrom[*mesosinternal.PongSlaveMessage](t, h.master, nil)
	if from != h.agent {
		t.Fatalf("pong from %s", from)
	}
	// No pings for 75 s: the agent re-detects and reregisters with its id.
	rereg := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.ReregisterSlaveMessage](), To: h.master.PID()})
	h.advanceUntil(rereg, 5*time.Second, 40)
	m := actortest.Must[*mesosinternal.ReregisterSlaveMessage](t, h.master, nil)
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
	case <-time.After(actortest.DefaultTimeout):
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

	reg := actortest.Must[*mesosinternal.ExecutorRegisteredMessage](t, ex.Peer, nil)
	if reg.GetSlaveId().GetValue() != agentID || reg.GetExecutorInfo().GetExecutorId().GetValue() != "e1" {
		t.Fatalf("ExecutorRegisteredMessage = %v", reg)
	}
	run := actortest.Must[*mesosinternal.RunTaskMessage](t, ex.Peer, nil)
	if run.GetTask().GetTaskId().GetValue() != "t1" || run.GetPid() != "scheduler@127.0.0.1:1" {
		t.Fatalf("RunTaskMessage = %v", run)
	}
	arrivedBefore(t, ex.Peer, reg, run)

	// The executor's TASK_RUNNING reaches the master, stamped by the agent.
	upd := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
	st := upd.GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_RUNNING || st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR ||
		string(upd.GetUpdate().GetUuid()) != "running-t1" || string(st.GetUuid()) != "running-t1" ||
		st.GetExecutorId().GetValue() != "e1" || upd.GetPid() != h.agent.String() ||
		upd.GetUpdate().GetLatestState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("forwarded update = %v", upd)
	}
	// The agent acknowledged the executor once it took the update.
	ack := actortest.Must[*mesosinternal.StatusUpdateAcknowledgementMessage](t, ex.Peer, nil)
	if string(ack.GetUuid()) != "running-t1" {
		t.Fatalf("executor ack = %v", ack)
	}

	// Unacknowledged, the update is retried after 10 s.
	retry := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.StatusUpdateMessage](), To: h.master.PID()})
	h.advanceUntil(retry, 10*time.Second, 3)
	again := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
	if string(again.GetUpdate().GetUuid()) != "running-t1" {
		t.Fatalf("retry = %v", again)
	}

	// A second update waits behind the first until the master acks it.
	ex.sendStatus("t1", mesos.TaskState_TASK_FINISHED, "finished-t1")
	actortest.Must[*mesosinternal.StatusUpdateAcknowledgementMessage](t, ex.Peer, func(m *mesosinternal.StatusUpdateAcknowledgementMessage) bool {
		return string(m.GetUuid()) == "finished-t1"
	})
	h.master.SendNow(h.agent, &mesosinternal.StatusUpdateAcknowledgementMessage{
		SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}, FrameworkId: frameworkInfo.Id,
		TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: []byte("running-t1"),
	})
	fin := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, func(m *mesosinternal.StatusUpdateMessage) bool {
		return string(m.GetUpdate().GetUuid()) == "finished-t1"
	})
	if fin.GetUpdate().GetStatus().GetState() != mesos.TaskState_TASK_FINISHED {
		t.Fatalf("second update = %v", fin)
	}
	h.master.SendNow(h.agent, &mesosinternal.StatusUpdateAcknowledgementMessage{
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
	exited := actortest.Must[*mesosinternal.ExitedExecutorMessage](t, h.master, nil)
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
	h.master.SendNow(h.agent, &mesosinternal.KillTaskMessage{FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}})
	upd := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
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
	case <-time.After(actortest.DefaultTimeout):
		t.Fatal("executor not launched")
	}
	fut := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.StatusUpdateMessage](), To: h.master.PID()})
	h.advanceUntil(fut, 5*time.Second, 20)
	upd := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
	st := upd.GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_FAILED || st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_REGISTRATION_TIMEOUT ||
		st.GetSource() != mesos.TaskStatus_SOURCE_SLAVE || !strings.Contains(st.GetMessage(), "Executor did not register within 30secs") {
		t.Fatalf("update = %v", upd)
	}
	exited := actortest.Must[*mesosinternal.ExitedExecutorMessage](t, h.master, nil)
	if exited.GetExecutorId().GetValue() != "e1" {
		t.Fatalf("ExitedExecutorMessage = %v", exited)
	}
	arrivedBefore(t, h.master, upd, exited)
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
	actortest.Must[*mesosinternal.RunTaskMessage](t, ex.Peer, nil)
	// The command executor exits: no ExitedExecutorMessage; the task
	// (still RUNNING) fails.
	first := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
	cid := cfg.Directory[strings.LastIndex(cfg.Directory, "/")+1:]
	h.cont.exit(cid, 256)
	h.master.SendNow(h.agent, &mesosinternal.StatusUpdateAcknowledgementMessage{
		SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}, FrameworkId: frameworkInfo.Id,
		TaskId: &mesos.TaskID{Value: proto.String("c1")}, Uuid: first.GetUpdate().GetUuid(),
	})
	failed := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, func(m *mesosinternal.StatusUpdateMessage) bool {
		return m.GetUpdate().GetStatus().GetState() == mesos.TaskState_TASK_FAILED
	})
	if failed.GetUpdate().GetStatus().GetReason() != mesos.TaskStatus_REASON_EXECUTOR_TERMINATED ||
		failed.GetUpdate().GetStatus().GetMessage() != "Executor terminated" {
		t.Fatalf("failure = %v", failed)
	}
	actortest.Settle(t, h.node, h.agent)
	actortest.MustNone[*mesosinternal.ExitedExecutorMessage](t, h.master, nil)
}

func TestKillLaunchedTaskIsForwardedAndBadMessagesIgnored(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	h.runTask(customTask("t1", "e1"))
	ex := <-h.cont.executors
	actortest.Must[*mesosinternal.RunTaskMessage](t, ex.Peer, nil)

	// A kill from someone other than the master is ignored.
	h.node.Send(actors.PID{ID: "impostor", Address: "127.0.0.1:1"}, h.agent,
		&mesosinternal.KillTaskMessage{FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}})
	// A status update without uuid is dropped.
	h.node.Send(actors.PID{ID: "x", Address: "127.0.0.1:1"}, h.agent, &mesosinternal.StatusUpdateMessage{
		Update: &mesosinternal.StatusUpdate{FrameworkId: frameworkInfo.Id, Timestamp: proto.Float64(0),
			Status: &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: mesos.TaskState_TASK_FAILED.Enum()}},
	})
	h.barrier()

	h.master.SendNow(h.agent, &mesosinternal.KillTaskMessage{FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}})
	kill := actortest.Must[*mesosinternal.KillTaskMessage](t, ex.Peer, nil)
	if kill.GetTaskId().GetValue() != "t1" {
		t.Fatalf("kill = %v", kill)
	}
	// Framework message relay to the executor.
	h.master.SendNow(h.agent, &mesosinternal.FrameworkToExecutorMessage{
		SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}, FrameworkId: frameworkInfo.Id,
		ExecutorId: &mesos.ExecutorID{Value: proto.String("e1")}, Data: []byte("hi"),
	})
	fm := actortest.Must[*mesosinternal.FrameworkToExecutorMessage](t, ex.Peer, nil)
	if string(fm.GetData()) != "hi" {
		t.Fatalf("framework message = %v", fm)
	}
	// Shutting the framework down asks the executor to stop, then kills it
	// after the grace period.
	h.master.SendNow(h.agent, &mesosinternal.ShutdownFrameworkMessage{FrameworkId: frameworkInfo.Id})
	actortest.Must[*mesosinternal.ShutdownExecutorMessage](t, ex.Peer, nil)
	fut := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.ExitedExecutorMessage](), To: h.master.PID()})
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
	actortest.Must[*mesosinternal.RunTaskMessage](t, ex.Peer, nil)
	first := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)

	// The scheduler failed over: the unacknowledged update is resent.
	h.master.SendNow(h.agent, &mesosinternal.UpdateFrameworkMessage{
		FrameworkId: frameworkInfo.Id, Pid: proto.String("scheduler@127.0.0.1:2"),
	})
	again := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
	if string(again.GetUpdate().GetUuid()) != string(first.GetUpdate().GetUuid()) {
		t.Fatalf("resent %v, want %v", again, first)
	}

	ex.sendStatus("t1", mesos.TaskState_TASK_STAGING, "staging")
	actortest.Must[*mesosinternal.ShutdownExecutorMessage](t, ex.Peer, nil)
}
