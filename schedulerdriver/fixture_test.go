package schedulerdriver

import (
	"testing"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	schedpb "github.com/gomesos/gomesos/messages/scheduler"
	"google.golang.org/protobuf/proto"
)

// fixture is what the driver tests share, built from actortest: a node on
// a manual clock, a recording peer playing the master, and a standalone
// detector appointing it.
type fixture struct {
	t      *testing.T
	node   *actors.Node
	clock  *actors.ManualClock
	master *actortest.Peer
	info   *mesos.MasterInfo
	det    *detector.Standalone
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	node, clock := actortest.NewManualNode(t)
	h := &fixture{t: t, node: node, clock: clock}
	h.master = actortest.NewPeer(t, node, actortest.UniqueID("master"))
	h.info = masterInfo(h.master.PID(), "m1")
	h.det = detector.NewStandalone(h.info)
	return h
}

func masterInfo(pid actors.PID, id string) *mesos.MasterInfo {
	return &mesos.MasterInfo{
		Id:   proto.String(id),
		Ip:   proto.Uint32(16777343),
		Port: proto.Uint32(5050),
		Pid:  proto.String(pid.String()),
	}
}

// peer starts another recording process (a second master, an agent, an
// impostor) on the fixture's node.
func (h *fixture) peer(id string) *actortest.Peer {
	h.t.Helper()
	return actortest.NewPeer(h.t, h.node, id)
}

func (h *fixture) framework() *mesos.FrameworkInfo {
	return &mesos.FrameworkInfo{User: proto.String("tester"), Name: proto.String("test-framework")}
}

func (h *fixture) newDriver(sched Scheduler, fw *mesos.FrameworkInfo) *MesosSchedulerDriver {
	h.t.Helper()
	d, err := NewMesosSchedulerDriver(DriverConfig{
		Scheduler: sched,
		Framework: fw,
		Node:      h.node,
		Detector:  h.det,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { d.Stop(true) })
	return d
}

func (h *fixture) start(d *MesosSchedulerDriver) {
	h.t.Helper()
	if st, err := d.Start(); st != mesos.Status_DRIVER_RUNNING || err != nil {
		h.t.Fatalf("Start = %v, %v", st, err)
	}
}

// settle lets what is queued on the driver run.
func (h *fixture) settle(d *MesosSchedulerDriver) {
	h.t.Helper()
	actortest.Settle(h.t, h.node, d.PID())
}

// nextCall takes the next message the peer got, which must be a Call of
// type want.
func nextCall(t *testing.T, p *actortest.Peer, want schedpb.Call_Type) *schedpb.Call {
	t.Helper()
	_, c := actortest.MustNext(t, p, func(c *schedpb.Call) bool { return c.GetType() == want })
	return c
}

// noMessages checks, once the peer has handled its mailbox, that it got
// nothing the test has not taken.
func (h *fixture) noMessages(p *actortest.Peer) {
	h.t.Helper()
	actortest.Settle(h.t, h.node, p.PID())
	if err := p.Quiet(); err != nil {
		h.t.Fatal(err)
	}
}

// register answers the driver's SUBSCRIBE and waits for Registered.
func (h *fixture) register(d *MesosSchedulerDriver, rec *recorder, fid string) {
	h.t.Helper()
	nextCall(h.t, h.master, schedpb.Call_SUBSCRIBE)
	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.FrameworkRegisteredMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String(fid)},
		MasterInfo:  h.info,
	})
	ev := rec.next(h.t)
	if ev.name != "registered" || ev.frameworkID != fid {
		h.t.Fatalf("got %+v, want registered(%s)", ev, fid)
	}
	if !d.Connected() {
		h.t.Fatal("driver not connected after Registered")
	}
}

func offer(id, agent string) *mesos.Offer {
	return &mesos.Offer{
		Id:          &mesos.OfferID{Value: proto.String(id)},
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		SlaveId:     &mesos.SlaveID{Value: proto.String(agent)},
		Hostname:    proto.String("localhost"),
	}
}

func task(id, agent string) *mesos.TaskInfo {
	return &mesos.TaskInfo{
		Name:    proto.String(id),
		TaskId:  &mesos.TaskID{Value: proto.String(id)},
		SlaveId: &mesos.SlaveID{Value: proto.String(agent)},
		Command: &mesos.CommandInfo{Value: proto.String("true")},
	}
}

func update(fid, taskID string, state mesos.TaskState, uuid []byte) *mesosinternal.StatusUpdate {
	return &mesosinternal.StatusUpdate{
		FrameworkId: &mesos.FrameworkID{Value: proto.String(fid)},
		SlaveId:     &mesos.SlaveID{Value: proto.String("agent-1")},
		Status: &mesos.TaskStatus{
			TaskId:  &mesos.TaskID{Value: proto.String(taskID)},
			State:   state.Enum(),
			SlaveId: &mesos.SlaveID{Value: proto.String("agent-1")},
		},
		Timestamp: proto.Float64(1),
		Uuid:      uuid,
	}
}

// newRegistered is a fixture with a started driver (a recorder for its
// scheduler, the default framework) registered as fw-1.
func newRegistered(t *testing.T) (*fixture, *recorder, *MesosSchedulerDriver) {
	t.Helper()
	h := newFixture(t)
	rec := newRecorder()
	d := h.newDriver(rec, h.framework())
	h.start(d)
	h.register(d, rec, "fw-1")
	return h, rec, d
}
