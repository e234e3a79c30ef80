package executordriver

import (
	"context"
	"testing"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"google.golang.org/protobuf/proto"
)

// fixture is what the driver tests share, built from actortest: a node on
// a manual clock, a recording peer playing the agent, and the environment
// an agent gives its executors.
type fixture struct {
	t     *testing.T
	node  *actors.Node
	clock *actors.ManualClock
	agent *actortest.Peer
	env   map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	node, clock := actortest.NewManualNode(t)
	h := &fixture{t: t, node: node, clock: clock}
	h.agent = h.spawnAgent()
	h.env = map[string]string{
		"MESOS_SLAVE_PID":    h.agent.PID().String(),
		"MESOS_SLAVE_ID":     "agent-1",
		"MESOS_FRAMEWORK_ID": "fw-1",
		"MESOS_EXECUTOR_ID":  "exec-1",
		"MESOS_DIRECTORY":    "/sandbox",
	}
	return h
}

// spawnAgent starts another recording peer for an agent (one that
// restarted, say).
func (h *fixture) spawnAgent() *actortest.Peer {
	h.t.Helper()
	return actortest.NewPeer(h.t, h.node, actortest.UniqueID("slave"))
}

func (h *fixture) getenv(k string) string { return h.env[k] }

func (h *fixture) newDriver(e Executor) *MesosExecutorDriver {
	h.t.Helper()
	d, err := NewMesosExecutorDriver(DriverConfig{Executor: e, Node: h.node, Getenv: h.getenv})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { d.Stop() })
	return d
}

// start starts d and answers its registration.
func (h *fixture) start(d *MesosExecutorDriver, rec *recorder) {
	h.t.Helper()
	if st, err := d.Start(); st != mesos.Status_DRIVER_RUNNING || err != nil {
		h.t.Fatalf("Start = %v, %v", st, err)
	}
	from, reg := actortest.MustNext[*mesosinternal.RegisterExecutorMessage](h.t, h.agent, nil)
	if from != d.PID() || reg.GetFrameworkId().GetValue() != "fw-1" || reg.GetExecutorId().GetValue() != "exec-1" {
		h.t.Fatalf("RegisterExecutorMessage %v from %v", reg, from)
	}
	h.node.Send(h.agent.PID(), d.PID(), &mesosinternal.ExecutorRegisteredMessage{
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

// settle lets what is queued on the driver run.
func (h *fixture) settle(d *MesosExecutorDriver) {
	h.t.Helper()
	actortest.Settle(h.t, h.node, d.PID())
}

func (h *fixture) unacked(d *MesosExecutorDriver) (int, int) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), actortest.DefaultTimeout)
	defer cancel()
	u, tk, err := d.Unacknowledged(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return u, tk
}

// waitDisconnected waits until the driver has seen the agent go: Exited
// reaches it through its mailbox after the agent's process stopped, and
// nothing else tells of it.
func waitDisconnected(t *testing.T, d *MesosExecutorDriver) {
	t.Helper()
	actortest.WaitUntil(t, "the driver sees the agent gone", func() bool { return !d.Connected() })
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
