package schedulerdriver

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	schedpb "github.com/gomesos/gomesos/messages/scheduler"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

// wait bounds every wait in these tests; nothing sleeps.
const wait = 10 * time.Second

var seq atomic.Int64

func testLogger() *logrus.Logger {
	l := logrus.New()
	l.SetLevel(logrus.DebugLevel)
	l.SetOutput(io.Discard)
	if os.Getenv("DRIVER_TEST_LOG") != "" {
		l.SetOutput(os.Stderr)
	}
	return l
}

// fakeMaster records what drivers send it.
type fakeMaster struct {
	msgs chan received
}

type received struct {
	from actors.PID
	msg  proto.Message
}

func (m *fakeMaster) Initialize(ctx *actors.Context) {
	actors.Install(ctx, func(from actors.PID, c *schedpb.Call) { m.msgs <- received{from, c} })
	actors.Install(ctx, func(from actors.PID, c *mesosinternal.DeactivateFrameworkMessage) { m.msgs <- received{from, c} })
	actors.Install(ctx, func(from actors.PID, c *mesosinternal.FrameworkToExecutorMessage) { m.msgs <- received{from, c} })
}

// harness is a node with a manual clock, a fake master and a detector
// appointing it.
type harness struct {
	t      *testing.T
	node   *actors.Node
	clock  *actors.ManualClock
	master *fakeMaster
	mpid   actors.PID
	info   *mesos.MasterInfo
	det    *detector.Standalone
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	clock := actors.NewManualClock(time.Unix(1_700_000_000, 0))
	node, err := actors.NewNode(actors.Config{Local: true, Clock: clock, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Shutdown)
	h := &harness{t: t, node: node, clock: clock}
	h.master, h.mpid = h.spawnMaster(fmt.Sprintf("master-%d", seq.Add(1)))
	h.info = masterInfo(h.mpid, "m1")
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

func (h *harness) spawnMaster(id string) (*fakeMaster, actors.PID) {
	h.t.Helper()
	m := &fakeMaster{msgs: make(chan received, 1000)}
	pid, err := h.node.Spawn(id, m)
	if err != nil {
		h.t.Fatal(err)
	}
	return m, pid
}

func (h *harness) framework() *mesos.FrameworkInfo {
	return &mesos.FrameworkInfo{User: proto.String("tester"), Name: proto.String("test-framework")}
}

func (h *harness) newDriver(sched Scheduler, fw *mesos.FrameworkInfo) *MesosSchedulerDriver {
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

func (h *harness) start(d *MesosSchedulerDriver) {
	h.t.Helper()
	if st, err := d.Start(); st != mesos.Status_DRIVER_RUNNING || err != nil {
		h.t.Fatalf("Start = %v, %v", st, err)
	}
}

// barrier returns once everything queued on pid's goroutine so far ran.
func (h *harness) barrier(pid actors.PID) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := h.node.Call(ctx, pid, func() any { return nil }); err != nil {
		h.t.Fatalf("barrier on %s: %v", pid, err)
	}
}

// next returns the next message the master got.
func next(t *testing.T, m *fakeMaster) received {
	t.Helper()
	select {
	case r := <-m.msgs:
		return r
	case <-time.After(wait):
		t.Fatal("timed out waiting for a message at the master")
		return received{}
	}
}

// nextCall returns the next message, which must be a Call of type want.
func nextCall(t *testing.T, m *fakeMaster, want schedpb.Call_Type) *schedpb.Call {
	t.Helper()
	r := next(t, m)
	c, ok := r.msg.(*schedpb.Call)
	if !ok {
		t.Fatalf("master got %T (%v), want Call %s", r.msg, r.msg, want)
	}
	if c.GetType() != want {
		t.Fatalf("master got Call %s (%v), want %s", c.GetType(), c, want)
	}
	return c
}

// noMessages checks that the master has nothing more (after a barrier).
func (h *harness) noMessages(m *fakeMaster, mpid actors.PID) {
	h.t.Helper()
	h.barrier(mpid)
	select {
	case r := <-m.msgs:
		h.t.Fatalf("master got unexpected %T: %v", r.msg, r.msg)
	default:
	}
}

// register answers the driver's SUBSCRIBE and waits for Registered.
func (h *harness) register(d *MesosSchedulerDriver, rec *recorder, fid string) {
	h.t.Helper()
	nextCall(h.t, h.master, schedpb.Call_SUBSCRIBE)
	h.node.Send(h.mpid, d.PID(), &mesosinternal.FrameworkRegisteredMessage{
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

// event is one recorded callback.
type event struct {
	name        string
	frameworkID string
	master      string
	offers      []*mesos.Offer
	offerID     string
	status      *mesos.TaskStatus
	executorID  string
	slaveID     string
	data        string
	code        int
	message     string
	driverState mesos.Status
}

// recorder is a Scheduler that records its callbacks; hooks run inside
// them.
type recorder struct {
	events   chan event
	onStatus func(SchedulerDriver, *mesos.TaskStatus)
	onOffers func(SchedulerDriver, []*mesos.Offer)
	onError  func(SchedulerDriver, string)
	active   atomic.Int32 // callbacks running right now
	overlap  atomic.Bool  // two callbacks ran at once
}

func newRecorder() *recorder { return &recorder{events: make(chan event, 1000)} }

func (r *recorder) enter() func() {
	if r.active.Add(1) > 1 {
		r.overlap.Store(true)
	}
	return func() { r.active.Add(-1) }
}

func (r *recorder) next(t *testing.T) event {
	t.Helper()
	select {
	case ev := <-r.events:
		return ev
	case <-time.After(wait):
		t.Fatal("timed out waiting for a callback")
		return event{}
	}
}

func (r *recorder) expect(t *testing.T, name string) event {
	t.Helper()
	ev := r.next(t)
	if ev.name != name {
		t.Fatalf("callback %q (%+v), want %q", ev.name, ev, name)
	}
	return ev
}

func (r *recorder) Registered(d SchedulerDriver, fid *mesos.FrameworkID, mi *mesos.MasterInfo) {
	defer r.enter()()
	r.events <- event{name: "registered", frameworkID: fid.GetValue(), master: mi.GetPid()}
}

func (r *recorder) Reregistered(d SchedulerDriver, mi *mesos.MasterInfo) {
	defer r.enter()()
	r.events <- event{name: "reregistered", master: mi.GetPid()}
}

func (r *recorder) Disconnected(SchedulerDriver) {
	defer r.enter()()
	r.events <- event{name: "disconnected"}
}

func (r *recorder) ResourceOffers(d SchedulerDriver, offers []*mesos.Offer) {
	defer r.enter()()
	if r.onOffers != nil {
		r.onOffers(d, offers)
	}
	r.events <- event{name: "offers", offers: offers}
}

func (r *recorder) OfferRescinded(d SchedulerDriver, id *mesos.OfferID) {
	defer r.enter()()
	r.events <- event{name: "rescinded", offerID: id.GetValue()}
}

func (r *recorder) StatusUpdate(d SchedulerDriver, s *mesos.TaskStatus) {
	defer r.enter()()
	if r.onStatus != nil {
		r.onStatus(d, s)
	}
	r.events <- event{name: "status", status: s}
}

func (r *recorder) FrameworkMessage(d SchedulerDriver, eid *mesos.ExecutorID, sid *mesos.SlaveID, data string) {
	defer r.enter()()
	r.events <- event{name: "message", executorID: eid.GetValue(), slaveID: sid.GetValue(), data: data}
}

func (r *recorder) SlaveLost(d SchedulerDriver, sid *mesos.SlaveID) {
	defer r.enter()()
	r.events <- event{name: "slaveLost", slaveID: sid.GetValue()}
}

func (r *recorder) ExecutorLost(d SchedulerDriver, eid *mesos.ExecutorID, sid *mesos.SlaveID, code int) {
	defer r.enter()()
	r.events <- event{name: "executorLost", executorID: eid.GetValue(), slaveID: sid.GetValue(), code: code}
}

func (r *recorder) Error(d SchedulerDriver, msg string) {
	defer r.enter()()
	st := d.(interface{ Status() mesos.Status }).Status()
	if r.onError != nil {
		r.onError(d, msg)
	}
	r.events <- event{name: "error", message: msg, driverState: st}
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
