package tests

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/schedulerdriver"
	"github.com/gomesos/gomesos/tests/harness"
)

// MesosSchedulerDriverTest.ExplicitAcknowledgements on an in-process
// cluster with a paused clock: the driver does not acknowledge when
// StatusUpdate returns, so the agent resends TASK_RUNNING after 10 s and
// holds the task's TASK_FINISHED back; the scheduler's acknowledgement
// lets TASK_FINISHED through, which comes again until it is acknowledged
// in turn.
func TestDriverExplicitAcknowledgements(t *testing.T) {
	clock := actors.NewManualClock(time.Unix(1_800_000_000, 0))
	c := harness.Start(t, harness.Options{Agents: 1, Clock: clock})
	reg := c.Node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.SlaveRegisteredMessage]()})
	advanceUntil(t, clock, 100*time.Millisecond, func() bool {
		select {
		case <-reg.Done():
			return true
		default:
			return false
		}
	}, "agent registration")

	s := harness.NewSched()
	d, err := schedulerdriver.NewMesosSchedulerDriver(schedulerdriver.DriverConfig{
		Scheduler: s.AsScheduler(),
		Framework: &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("explicit-acks")},
		Master:    c.MasterAddr(),
		Node:      c.Node,

		ExplicitAcknowledgements: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Abort(); d.Stop(true) })
	if _, err := d.Start(); err != nil {
		t.Fatal(err)
	}
	harness.Recv(t, s.Registered, wait, "registered")
	o := harness.Recv(t, s.Offers, wait, "offer")[0]

	// The executor sends TASK_RUNNING and TASK_FINISHED at once.
	d.LaunchTasks([]*mesos.OfferID{o.GetId()}, []*mesos.TaskInfo{customTask(t, "t1", o, "finish")}, nil)
	next := func(want mesos.TaskState, what string) *mesos.TaskStatus {
		t.Helper()
		st := harness.Recv(t, s.Updates, wait, what)
		if st.GetState() != want || len(st.GetUuid()) != 16 || st.GetSlaveId().GetValue() != o.GetSlaveId().GetValue() {
			t.Fatalf("%s: got %v", what, st)
		}
		return st
	}
	running := next(mesos.TaskState_TASK_RUNNING, "TASK_RUNNING")

	// Unacknowledged: the agent resends TASK_RUNNING, FINISHED still waits.
	clock.Advance(10 * time.Second)
	again := next(mesos.TaskState_TASK_RUNNING, "TASK_RUNNING resent")
	if !bytes.Equal(again.GetUuid(), running.GetUuid()) {
		t.Fatalf("resent TASK_RUNNING has another uuid: %x, first %x", again.GetUuid(), running.GetUuid())
	}

	// Acknowledged: the stream moves on to TASK_FINISHED.
	ackd := c.Node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.StatusUpdateAcknowledgementMessage](), From: c.Master.PID()})
	if st, err := d.AcknowledgeStatusUpdate(again); st != mesos.Status_DRIVER_RUNNING || err != nil {
		t.Fatalf("AcknowledgeStatusUpdate = %v, %v", st, err)
	}
	if _, err := ackd.Wait(wait); err != nil {
		t.Fatal("the master did not pass the acknowledgement to the agent")
	}
	finished := next(mesos.TaskState_TASK_FINISHED, "TASK_FINISHED")

	// It too comes again until acknowledged.
	clock.Advance(10 * time.Second)
	next(mesos.TaskState_TASK_FINISHED, "TASK_FINISHED resent")
	ackd = c.Node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.StatusUpdateAcknowledgementMessage](), From: c.Master.PID()})
	d.AcknowledgeStatusUpdate(finished)
	if _, err := ackd.Wait(wait); err != nil {
		t.Fatal("the master did not pass the second acknowledgement to the agent")
	}
	clock.Advance(time.Minute) // past the next retries (20 s, 40 s)
	harness.None(t, s.Updates, 300*time.Millisecond, "an update after both were acknowledged")
}
