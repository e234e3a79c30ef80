package tests

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/tests/harness"
)

// advanceUntil moves a paused clock forward in steps until cond holds.
// Each step lets the actors run what fell due; the wait between steps is
// bounded by the deadline, never by a fixed sleep.
func advanceUntil(t *testing.T, clock *actors.ManualClock, step time.Duration, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out advancing the clock waiting for %s", what)
		}
		clock.Advance(step)
		time.Sleep(time.Millisecond)
	}
}

// FaultToleranceTest.SlaveReliableRegistration: the first
// SlaveRegisteredMessage is dropped; the agent retries after its backoff
// (on the paused clock) and registers, and a framework is offered it.
func TestAgentReliableRegistration(t *testing.T) {
	clock := actors.NewManualClock(time.Unix(1_800_000_000, 0))
	dropped := make(chan struct{})
	c := harness.Start(t, harness.Options{Agents: 1, Clock: clock})
	registered := actors.TypeOf[*mesosinternal.SlaveRegisteredMessage]()
	c.Node.Filters().DropOne(actors.Match{Type: registered})
	first := c.Node.Filters().Expect(actors.Match{Type: registered})
	go func() { first.Wait(wait); close(dropped) }()

	// The agent's first registration waits a random part of its backoff.
	advanceUntil(t, clock, 100*time.Millisecond, func() bool {
		select {
		case <-dropped:
			return true
		default:
			return false
		}
	}, "the first SlaveRegisteredMessage (dropped)")
	st, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	if st["activated_slaves"] != float64(1) {
		t.Fatalf("the master registered the agent: activated_slaves = %v", st["activated_slaves"])
	}
	second := c.Node.Filters().Expect(actors.Match{Type: registered})
	advanceUntil(t, clock, 200*time.Millisecond, func() bool {
		select {
		case <-second.Done():
			return true
		default:
			return false
		}
	}, "the agent to retry and be registered")

	s, _ := startFramework(t, c, nil)
	offers := harness.Recv(t, s.Offers, wait, "an offer of the agent")
	if len(offers) != 1 {
		t.Fatalf("%d offers", len(offers))
	}
}

// TaskStatusUpdateManagerTest.RetryStatusUpdate: the master's first
// forward of TASK_RUNNING to the scheduler is dropped; after 10 s on the
// clock the agent's status update manager retries and it arrives.
func TestStatusUpdateRetried(t *testing.T) {
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
	s, d := startFramework(t, c, nil)
	o := harness.Recv(t, s.Offers, wait, "offer")[0]
	running := func(m interface {
		GetUpdate() *mesosinternal.StatusUpdate
	}) bool {
		return m.GetUpdate().GetStatus().GetState() == mesos.TaskState_TASK_RUNNING
	}
	// Drop the master's forward to the scheduler (its sender is the master).
	c.Node.Filters().DropOne(actors.Match{
		Type: actors.TypeOf[*mesosinternal.StatusUpdateMessage](),
		From: c.Master.PID(),
		Where: func(m proto.Message) bool {
			return running(m.(*mesosinternal.StatusUpdateMessage))
		},
	})
	d.LaunchTasks([]*mesos.OfferID{o.GetId()}, []*mesos.TaskInfo{customTask(t, "t1", o, "")}, nil)
	harness.None(t, s.Updates, 500*time.Millisecond, "status update before the retry")
	clock.Advance(10 * time.Second)
	st := harness.Recv(t, s.Updates, wait, "the retried TASK_RUNNING")
	if st.GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("got %v", st.GetState())
	}
}
