package schedulerdriver

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/internal/effecttest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	schedpb "github.com/gomesos/gomesos/messages/scheduler"
)

// explicitCore is a core with explicit acknowledgements registered as
// fw-1 with coreMaster.
func explicitCore(t *testing.T) *Core {
	t.Helper()
	c := NewCore(CoreConfig{Framework: coreFramework(), Rand: rand.New(half{}), ExplicitAcknowledgements: true})
	c.Detected(coreNow, coreInfo(coreMaster))
	c.Receive(coreNow, coreMaster, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1"), MasterInfo: coreInfo(coreMaster)})
	if !c.Connected() || !c.ExplicitAcknowledgements() {
		t.Fatal("not a connected core with explicit acknowledgements")
	}
	return c
}

func agentStatus(task string, uuid []byte) *mesos.TaskStatus {
	return &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String(task)}, State: mesos.TaskState_TASK_RUNNING.Enum(),
		SlaveId: &mesos.SlaveID{Value: proto.String("a1")}, Uuid: uuid}
}

func ackCall(task string, uuid []byte) effect.Send {
	return call(schedpb.Call_ACKNOWLEDGE, &schedpb.Call{Acknowledge: &schedpb.Call_Acknowledge{
		SlaveId: &mesos.SlaveID{Value: proto.String("a1")}, TaskId: &mesos.TaskID{Value: proto.String(task)}, Uuid: uuid}})
}

func TestCoreExplicitAcknowledgements(t *testing.T) {
	uuid := []byte("0123456789abcdef")
	for _, tc := range []struct {
		name    string
		core    func(t *testing.T) *Core
		event   func(c *Core) ([]effect.Effect, error)
		want    []effect.Effect
		wantErr string
	}{{
		name: "an agent's update is delivered with its uuid and agent, and no acknowledgement",
		core: explicitCore,
		event: func(c *Core) ([]effect.Effect, error) {
			return c.Receive(coreNow, coreMaster, statusUpdate("t1", mesos.TaskState_TASK_RUNNING, uuid)), nil
		},
		want: []effect.Effect{OnStatusUpdate{Status: agentStatus("t1", uuid)}},
	}, {
		name: "a master-generated update: no uuid, no acknowledgement",
		core: explicitCore,
		event: func(c *Core) ([]effect.Effect, error) {
			return c.Receive(coreNow, coreMaster, statusUpdate("t1", mesos.TaskState_TASK_LOST, nil)), nil
		},
		want: []effect.Effect{OnStatusUpdate{Status: &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: mesos.TaskState_TASK_LOST.Enum()}}},
	}, {
		name: "the scheduler's acknowledgement goes to the master",
		core: explicitCore,
		event: func(c *Core) ([]effect.Effect, error) {
			return c.AcknowledgeStatusUpdate(coreNow, agentStatus("t1", uuid))
		},
		want: []effect.Effect{ackCall("t1", uuid)},
	}, {
		name: "acknowledging a status without a uuid sends nothing and is no error",
		core: explicitCore,
		event: func(c *Core) ([]effect.Effect, error) {
			return c.AcknowledgeStatusUpdate(coreNow, agentStatus("t1", nil))
		},
	}, {
		name: "while disconnected the acknowledgement is dropped",
		core: func(t *testing.T) *Core {
			c := explicitCore(t)
			c.Exited(coreNow, coreMaster)
			return c
		},
		event: func(c *Core) ([]effect.Effect, error) {
			return c.AcknowledgeStatusUpdate(coreNow, agentStatus("t1", uuid))
		},
	}, {
		name: "an implicit core refuses an explicit acknowledgement",
		core: func(t *testing.T) *Core { return registered(t, coreFramework()) },
		event: func(c *Core) ([]effect.Effect, error) {
			return c.AcknowledgeStatusUpdate(coreNow, agentStatus("t1", uuid))
		},
		wantErr: "implicit acknowledgements are enabled",
	}, {
		name:    "a nil status",
		core:    explicitCore,
		event:   func(c *Core) ([]effect.Effect, error) { return c.AcknowledgeStatusUpdate(coreNow, nil) },
		wantErr: "nil status",
	}, {
		name: "a uuid that is not 16 bytes",
		core: explicitCore,
		event: func(c *Core) ([]effect.Effect, error) {
			return c.AcknowledgeStatusUpdate(coreNow, agentStatus("t1", []byte("short")))
		},
		wantErr: "has 5 bytes",
	}, {
		name: "a uuid without a task",
		core: explicitCore,
		event: func(c *Core) ([]effect.Effect, error) {
			return c.AcknowledgeStatusUpdate(coreNow, agentStatus("", uuid))
		},
		wantErr: "no task_id",
	}, {
		name: "a uuid without an agent",
		core: explicitCore,
		event: func(c *Core) ([]effect.Effect, error) {
			s := agentStatus("t1", uuid)
			s.SlaveId = nil
			return c.AcknowledgeStatusUpdate(coreNow, s)
		},
		wantErr: "no slave_id",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.event(tc.core(t))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if !effecttest.Equal(got, tc.want) {
				t.Fatalf("effects:%s\nwant:%s", effecttest.Format(got), effecttest.Format(tc.want))
			}
		})
	}
}

// An inline driver with explicit acknowledgements: nothing is sent when
// StatusUpdate returns; the scheduler acknowledges from inside the
// callback or later, and requests to a stopped driver are refused.
func TestInlineExplicitAcknowledgements(t *testing.T) {
	uuid1, uuid2 := []byte("0123456789abcdef"), []byte("fedcba9876543210")
	rec := newRecorder()
	core := NewCore(CoreConfig{Framework: coreFramework(), Rand: rand.New(half{}), ExplicitAcknowledgements: true})
	h := NewInline(core, rec)
	if st, err := h.AcknowledgeStatusUpdate(agentStatus("t1", uuid1)); st != mesos.Status_DRIVER_NOT_STARTED || err == nil {
		t.Fatalf("AcknowledgeStatusUpdate before Start = %v, %v; want DRIVER_NOT_STARTED and an error", st, err)
	}
	h.Start()
	h.Detected(coreNow, coreInfo(coreMaster))
	h.Receive(coreNow, coreMaster, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1")})
	rec.expect(t, "registered")

	// Held, not acknowledged.
	if got := h.Receive(coreNow, coreMaster, statusUpdate("t1", mesos.TaskState_TASK_RUNNING, uuid1)); got != nil {
		t.Fatalf("effects of an update:%s", effecttest.Format(got))
	}
	held := rec.expect(t, "status").status

	// Acknowledged inside the callback: the ACKNOWLEDGE comes with the event.
	rec.onStatus = func(d SchedulerDriver, s *mesos.TaskStatus) {
		if _, err := d.(StatusAcknowledger).AcknowledgeStatusUpdate(s); err != nil {
			t.Errorf("AcknowledgeStatusUpdate in the callback: %v", err)
		}
	}
	got := h.Receive(coreNow, coreMaster, statusUpdate("t2", mesos.TaskState_TASK_RUNNING, uuid2))
	if want := []effect.Effect{ackCall("t2", uuid2)}; !effecttest.Equal(got, want) {
		t.Fatalf("effects:%s\nwant:%s", effecttest.Format(got), effecttest.Format(want))
	}
	rec.expect(t, "status")
	rec.onStatus = nil

	// The held one, later.
	if st, err := h.AcknowledgeStatusUpdate(held); st != mesos.Status_DRIVER_RUNNING || err != nil {
		t.Fatalf("AcknowledgeStatusUpdate = %v, %v", st, err)
	}
	if got, want := h.Take(coreNow), []effect.Effect{ackCall("t1", uuid1)}; !effecttest.Equal(got, want) {
		t.Fatalf("effects:%s\nwant:%s", effecttest.Format(got), effecttest.Format(want))
	}
	if _, err := h.AcknowledgeStatusUpdate(&mesos.TaskStatus{Uuid: uuid1}); err == nil {
		t.Fatal("acknowledging a status without task or agent: no error")
	}

	h.Stop(true)
	h.Take(coreNow)
	if st, err := h.AcknowledgeStatusUpdate(held); st != mesos.Status_DRIVER_STOPPED || err == nil {
		t.Fatalf("AcknowledgeStatusUpdate after Stop = %v, %v; want DRIVER_STOPPED and an error", st, err)
	}
	if got := h.Take(coreNow); got != nil {
		t.Fatalf("effects after Stop:%s", effecttest.Format(got))
	}
}

// A driver that acknowledges implicitly refuses explicit acknowledgements
// (Mesos' would kill the process) and sends nothing more.
func TestImplicitDriverRefusesExplicitAcks(t *testing.T) {
	h, _, d := newRegistered(t)
	st, err := d.AcknowledgeStatusUpdate(&mesos.TaskStatus{
		TaskId: &mesos.TaskID{Value: proto.String("t1")}, SlaveId: &mesos.SlaveID{Value: proto.String("agent-1")},
		Uuid: bytes.Repeat([]byte{3}, 16)})
	if st != mesos.Status_DRIVER_RUNNING || err == nil || !strings.Contains(err.Error(), "implicit") {
		t.Fatalf("AcknowledgeStatusUpdate = %v, %v", st, err)
	}
	h.settle(d)
	h.noMessages(h.master)
}

// The real driver with explicit acknowledgements, the master played by a
// recording peer: an update is not acknowledged when StatusUpdate
// returns, so the agent's retry brings it again; the scheduler's
// acknowledgement sends exactly one ACKNOWLEDGE; one made while
// disconnected is dropped, and the update that comes again after the
// driver re-registered is acknowledged then.
func TestDriverExplicitAcknowledgements(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	// t3's updates are acknowledged from inside the callback.
	rec.onStatus = func(d SchedulerDriver, s *mesos.TaskStatus) {
		if s.GetTaskId().GetValue() == "t3" {
			if _, err := d.(StatusAcknowledger).AcknowledgeStatusUpdate(s); err != nil {
				t.Errorf("AcknowledgeStatusUpdate in the callback: %v", err)
			}
		}
	}
	d, err := NewMesosSchedulerDriver(DriverConfig{Scheduler: rec, Framework: h.framework(), Node: h.node, Detector: h.det,
		ExplicitAcknowledgements: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop(true) })
	h.start(d)
	h.register(d, rec, "fw-1")

	agent := h.peer("agent-pid").PID()
	uuid1, uuid2 := bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 16)
	deliver := func(task string, uuid []byte) *mesos.TaskStatus {
		t.Helper()
		h.node.Send(h.master.PID(), d.PID(), &mesosinternal.StatusUpdateMessage{
			Update: update("fw-1", task, mesos.TaskState_TASK_RUNNING, uuid), Pid: proto.String(agent.String())})
		s := rec.expect(t, "status").status
		if s.GetTaskId().GetValue() != task || !bytes.Equal(s.GetUuid(), uuid) {
			t.Fatalf("status %v, want task %s with its uuid", s, task)
		}
		return s
	}
	checkAck := func(task string, uuid []byte) {
		t.Helper()
		ack := nextCall(t, h.master, schedpb.Call_ACKNOWLEDGE)
		a := ack.GetAcknowledge()
		if ack.GetFrameworkId().GetValue() != "fw-1" || a.GetTaskId().GetValue() != task ||
			a.GetSlaveId().GetValue() != "agent-1" || !bytes.Equal(a.GetUuid(), uuid) {
			t.Fatalf("ACKNOWLEDGE = %v, want task %s", ack, task)
		}
	}

	// Not acknowledged on return, nor when the agent's retry brings it again.
	deliver("t1", uuid1)
	h.settle(d)
	h.noMessages(h.master)
	s1 := deliver("t1", uuid1)
	h.settle(d)
	h.noMessages(h.master)

	// The scheduler acknowledges: one ACKNOWLEDGE.
	if st, err := d.AcknowledgeStatusUpdate(s1); st != mesos.Status_DRIVER_RUNNING || err != nil {
		t.Fatalf("AcknowledgeStatusUpdate = %v, %v", st, err)
	}
	checkAck("t1", uuid1)
	h.settle(d)
	h.noMessages(h.master)

	// Acknowledged inside the callback.
	deliver("t3", uuid1)
	checkAck("t3", uuid1)

	// A master-generated update has no uuid: acknowledging it sends nothing.
	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.StatusUpdateMessage{Update: update("fw-1", "t4", mesos.TaskState_TASK_ERROR, nil)})
	if st, err := d.AcknowledgeStatusUpdate(rec.expect(t, "status").status); st != mesos.Status_DRIVER_RUNNING || err != nil {
		t.Fatalf("AcknowledgeStatusUpdate of a master-generated update = %v, %v", st, err)
	}
	// Bad input is refused at once.
	if _, err := d.AcknowledgeStatusUpdate(nil); err == nil {
		t.Fatal("AcknowledgeStatusUpdate(nil): no error")
	}
	h.settle(d)
	h.noMessages(h.master)

	// Disconnected: the acknowledgement is dropped.
	s2 := deliver("t2", uuid2)
	h.det.Appoint(nil)
	rec.expect(t, "disconnected")
	if st, err := d.AcknowledgeStatusUpdate(s2); st != mesos.Status_DRIVER_RUNNING || err != nil {
		t.Fatalf("AcknowledgeStatusUpdate while disconnected = %v, %v", st, err)
	}
	h.settle(d)
	h.noMessages(h.master)

	// Back with the master: the agent's retry brings t2 again, and now
	// the acknowledgement goes out.
	h.det.Appoint(h.info)
	h.register(d, rec, "fw-1")
	s2 = deliver("t2", uuid2)
	d.AcknowledgeStatusUpdate(s2)
	checkAck("t2", uuid2)
	h.settle(d)
	h.noMessages(h.master)

	// After Stop the driver refuses.
	d.Stop(true)
	if st, err := d.AcknowledgeStatusUpdate(s2); st != mesos.Status_DRIVER_STOPPED || err == nil {
		t.Fatalf("AcknowledgeStatusUpdate after Stop = %v, %v", st, err)
	}
}

// The actor shell calls StatusUpdate on its own goroutine, so several
// updates may arrive before the first is acknowledged: each implicit
// ACKNOWLEDGE names its own update whatever the order they are sent in,
// and one sent twice goes out twice.
func TestImplicitAcknowledgementsInAnyOrder(t *testing.T) {
	c := registered(t, coreFramework())
	u1, u2 := []byte("0123456789abcdef"), []byte("fedcba9876543210")
	ack := func(effects []effect.Effect) *schedpb.Call_Acknowledge {
		t.Helper()
		if len(effects) != 1 {
			t.Fatalf("effects %v, want one status update", effects)
		}
		return effects[0].(OnStatusUpdate).Ack
	}
	a1 := ack(c.Receive(coreNow, coreMaster, statusUpdate("t1", mesos.TaskState_TASK_RUNNING, u1)))
	a2 := ack(c.Receive(coreNow, coreMaster, statusUpdate("t2", mesos.TaskState_TASK_RUNNING, u2)))
	for _, step := range []struct {
		ack  *schedpb.Call_Acknowledge
		want effect.Effect
	}{{a2, ackCall("t2", u2)}, {a1, ackCall("t1", u1)}, {a2, ackCall("t2", u2)}} {
		got := c.Acknowledge(coreNow, step.ack)
		if !effecttest.Equal(got, []effect.Effect{step.want}) {
			t.Fatalf("Acknowledge sent%s, want%s", effecttest.Format(got), effecttest.Format([]effect.Effect{step.want}))
		}
	}
}
