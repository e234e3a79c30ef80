package schedulerdriver

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	schedpb "github.com/gomesos/gomesos/messages/scheduler"
	"google.golang.org/protobuf/proto"
)

func TestRegistrationRetriesWithBackoff(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	d := h.newDriver(rec, h.framework())
	h.start(d)

	sub := nextCall(t, h.master, schedpb.Call_SUBSCRIBE)
	if sub.FrameworkId != nil || sub.GetSubscribe().Force != nil {
		t.Fatalf("first SUBSCRIBE of a new framework carries an id or force: %v", sub)
	}
	fw := sub.GetSubscribe().GetFrameworkInfo()
	if fw.GetUser() != "tester" || fw.GetName() != "test-framework" || fw.GetHostname() == "" {
		t.Fatalf("SUBSCRIBE framework info = %v", fw)
	}

	// The retry is scheduled in (0, 2 s], never at once (failover_timeout 0).
	bound := registrationBackoffFactor
	for attempt := 0; attempt < 4; attempt++ {
		h.settle(d)
		deadline, ok := h.clock.NextDeadline()
		if !ok {
			t.Fatalf("attempt %d: no retry scheduled", attempt)
		}
		delay := deadline.Sub(h.clock.Now())
		if delay <= 0 || delay > bound {
			t.Fatalf("attempt %d: retry in %v, want (0, %v]", attempt, delay, bound)
		}
		h.clock.Advance(delay)
		nextCall(t, h.master, schedpb.Call_SUBSCRIBE)
		bound = min(2*bound, registrationRetryIntervalMax)
	}

	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.FrameworkRegisteredMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		MasterInfo:  h.info,
	})
	ev := rec.expect(t, "registered")
	if ev.frameworkID != "fw-1" || ev.master != h.master.PID().String() {
		t.Fatalf("registered %+v", ev)
	}
	// Registered: no retry pending any more.
	h.settle(d)
	if n := h.clock.Pending(); n != 0 {
		t.Fatalf("%d timers pending after registration", n)
	}
	h.clock.Advance(time.Hour)
	h.noMessages(h.master)

	// A second registration reply is ignored (already connected).
	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.FrameworkRegisteredMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-other")},
		MasterInfo:  h.info,
	})
	if st, err := d.ReconcileTasks(nil); st != mesos.Status_DRIVER_RUNNING || err != nil {
		t.Fatalf("ReconcileTasks = %v, %v", st, err)
	}
	rc := nextCall(t, h.master, schedpb.Call_RECONCILE)
	if rc.GetFrameworkId().GetValue() != "fw-1" {
		t.Fatalf("RECONCILE framework id = %v", rc.GetFrameworkId())
	}
}

func TestRegistrationBackoffBoundedByFailoverTimeout(t *testing.T) {
	h := newFixture(t)
	fw := h.framework()
	fw.FailoverTimeout = proto.Float64(1) // retries at most every 100 ms
	d := h.newDriver(newRecorder(), fw)
	h.start(d)
	nextCall(t, h.master, schedpb.Call_SUBSCRIBE)
	for attempt := 0; attempt < 3; attempt++ {
		h.settle(d)
		deadline, ok := h.clock.NextDeadline()
		if !ok {
			t.Fatal("no retry scheduled")
		}
		delay := deadline.Sub(h.clock.Now())
		if delay <= 0 || delay > 100*time.Millisecond {
			t.Fatalf("retry in %v, want (0, 100ms]", delay)
		}
		h.clock.Advance(delay)
		nextCall(t, h.master, schedpb.Call_SUBSCRIBE)
	}
}

func TestRegistrationIgnoresNonLeader(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	d := h.newDriver(rec, h.framework())
	h.start(d)
	nextCall(t, h.master, schedpb.Call_SUBSCRIBE)

	impostor := h.peer("impostor").PID()
	h.node.Send(impostor, d.PID(), &mesosinternal.FrameworkRegisteredMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-bad")},
		MasterInfo:  h.info,
	})
	h.settle(d)
	if d.Connected() {
		t.Fatal("driver registered through a non-leading master")
	}
	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.FrameworkRegisteredMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		MasterInfo:  h.info,
	})
	if ev := rec.expect(t, "registered"); ev.frameworkID != "fw-1" {
		t.Fatalf("registered %+v", ev)
	}
}

func TestFailoverSubscribeAndRedetection(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	fw := h.framework()
	fw.Id = &mesos.FrameworkID{Value: proto.String("fw-old")}
	d := h.newDriver(rec, fw)
	h.start(d)

	sub := nextCall(t, h.master, schedpb.Call_SUBSCRIBE)
	if sub.GetFrameworkId().GetValue() != "fw-old" || !sub.GetSubscribe().GetForce() {
		t.Fatalf("failover SUBSCRIBE = %v, want framework_id fw-old and force", sub)
	}
	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.FrameworkRegisteredMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-old")},
		MasterInfo:  h.info,
	})
	rec.expect(t, "registered")

	// The same master detected again (a new MasterInfo id): disconnected,
	// then a SUBSCRIBE without force, answered by re-registration.
	h.det.Appoint(masterInfo(h.master.PID(), "m1-again"))
	rec.expect(t, "disconnected")
	sub = nextCall(t, h.master, schedpb.Call_SUBSCRIBE)
	if sub.GetFrameworkId().GetValue() != "fw-old" || sub.GetSubscribe().Force == nil || sub.GetSubscribe().GetForce() {
		t.Fatalf("re-SUBSCRIBE = %v, want framework_id and force=false", sub)
	}
	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.FrameworkReregisteredMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-old")},
		MasterInfo:  h.info,
	})
	rec.expect(t, "reregistered")
	if !d.Connected() {
		t.Fatal("not connected after re-registration")
	}

	// A new leader: disconnected, then SUBSCRIBE to it.
	m2 := h.peer("master-two")
	m2pid := m2.PID()
	h.det.Appoint(masterInfo(m2pid, "m2"))
	rec.expect(t, "disconnected")
	nextCall(t, m2, schedpb.Call_SUBSCRIBE)
	h.node.Send(m2pid, d.PID(), &mesosinternal.FrameworkRegisteredMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-old")},
		MasterInfo:  masterInfo(m2pid, "m2"),
	})
	if ev := rec.expect(t, "registered"); ev.master != m2pid.String() {
		t.Fatalf("registered with %s, want %s", ev.master, m2pid)
	}
	// Messages from the old master are now ignored.
	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{offer("o-old", "a")}})
	h.node.Send(m2pid, d.PID(), &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{offer("o-new", "a")}})
	if ev := rec.expect(t, "offers"); ev.offers[0].GetId().GetValue() != "o-new" {
		t.Fatalf("offers %v", ev.offers)
	}
}

func TestCallbacksInOrderAndImplicitAcks(t *testing.T) {
	h, rec, d := newRegistered(t)

	agent := h.peer("agent-pid").PID()
	uuid := bytes.Repeat([]byte{7}, 16)
	send := func(msg proto.Message) { h.node.Send(h.master.PID(), d.PID(), msg) }
	send(&mesosinternal.ResourceOffersMessage{
		Offers: []*mesos.Offer{offer("o1", "agent-1"), offer("o2", "agent-2")},
		Pids:   []string{agent.String(), "not a pid"},
	})
	send(&mesosinternal.RescindResourceOfferMessage{OfferId: &mesos.OfferID{Value: proto.String("o2")}})
	send(&mesosinternal.StatusUpdateMessage{Update: update("fw-1", "t1", mesos.TaskState_TASK_RUNNING, uuid), Pid: proto.String(agent.String())})
	send(&mesosinternal.StatusUpdateMessage{Update: update("fw-1", "t2", mesos.TaskState_TASK_ERROR, nil)})
	send(&mesosinternal.StatusUpdateMessage{Update: update("fw-other", "t3", mesos.TaskState_TASK_RUNNING, uuid), Pid: proto.String(agent.String())})
	send(&mesosinternal.LostSlaveMessage{SlaveId: &mesos.SlaveID{Value: proto.String("agent-9")}})
	send(&mesosinternal.ExitedExecutorMessage{
		SlaveId:     &mesos.SlaveID{Value: proto.String("agent-1")},
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		ExecutorId:  &mesos.ExecutorID{Value: proto.String("e1")},
		Status:      proto.Int32(137),
	})
	// Executor messages may come straight from an agent.
	h.node.Send(agent, d.PID(), &mesosinternal.ExecutorToFrameworkMessage{
		SlaveId:     &mesos.SlaveID{Value: proto.String("agent-1")},
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		ExecutorId:  &mesos.ExecutorID{Value: proto.String("e1")},
		Data:        []byte("hello"),
	})

	if ev := rec.expect(t, "offers"); len(ev.offers) != 2 {
		t.Fatalf("offers %v", ev.offers)
	}
	if ev := rec.expect(t, "rescinded"); ev.offerID != "o2" {
		t.Fatalf("rescinded %+v", ev)
	}
	ev := rec.expect(t, "status")
	if ev.status.GetTaskId().GetValue() != "t1" || !bytes.Equal(ev.status.GetUuid(), uuid) {
		t.Fatalf("first status %v", ev.status)
	}
	ev = rec.expect(t, "status")
	if ev.status.GetTaskId().GetValue() != "t2" || ev.status.Uuid != nil {
		t.Fatalf("second status %v (a master-generated update has no uuid)", ev.status)
	}
	if ev := rec.expect(t, "slaveLost"); ev.slaveID != "agent-9" {
		t.Fatalf("slaveLost %+v", ev)
	}
	if ev := rec.expect(t, "executorLost"); ev.executorID != "e1" || ev.slaveID != "agent-1" || ev.code != 137 {
		t.Fatalf("executorLost %+v", ev)
	}
	if ev := rec.expect(t, "message"); ev.data != "hello" || ev.executorID != "e1" {
		t.Fatalf("message %+v", ev)
	}
	if rec.overlap.Load() {
		t.Fatal("two callbacks ran at the same time")
	}

	// Exactly one ACKNOWLEDGE, for the update with a uuid; RECONCILE marks
	// the end of what the driver sent.
	d.ReconcileTasks(nil)
	ack := nextCall(t, h.master, schedpb.Call_ACKNOWLEDGE)
	a := ack.GetAcknowledge()
	if ack.GetFrameworkId().GetValue() != "fw-1" || a.GetTaskId().GetValue() != "t1" ||
		a.GetSlaveId().GetValue() != "agent-1" || !bytes.Equal(a.GetUuid(), uuid) {
		t.Fatalf("ACKNOWLEDGE = %v", ack)
	}
	nextCall(t, h.master, schedpb.Call_RECONCILE)
	h.noMessages(h.master)
}

func TestStopInsideStatusUpdate(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	stopped := make(chan mesos.Status, 1)
	rec.onStatus = func(d SchedulerDriver, s *mesos.TaskStatus) {
		st, _ := d.Stop(false)
		stopped <- st
	}
	d := h.newDriver(rec, h.framework())
	h.start(d)
	h.register(d, rec, "fw-1")

	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.StatusUpdateMessage{
		Update: update("fw-1", "t1", mesos.TaskState_TASK_FINISHED, bytes.Repeat([]byte{1}, 16)),
		Pid:    proto.String("slave(1)@127.0.0.1:1"),
	})
	select {
	case st := <-stopped:
		if st != mesos.Status_DRIVER_STOPPED {
			t.Fatalf("Stop in callback = %v", st)
		}
	case <-time.After(actortest.DefaultTimeout):
		t.Fatal("Stop inside StatusUpdate did not return")
	}
	rec.expect(t, "status")
	if st, err := d.Join(); st != mesos.Status_DRIVER_STOPPED || err != nil {
		t.Fatalf("Join = %v, %v", st, err)
	}
	// TEARDOWN, and no acknowledgement: the driver stopped in the callback.
	td := nextCall(t, h.master, schedpb.Call_TEARDOWN)
	if td.GetFrameworkId().GetValue() != "fw-1" {
		t.Fatalf("TEARDOWN = %v", td)
	}
	h.noMessages(h.master)
	if d.Connected() {
		t.Fatal("Connected after Stop")
	}
	if st, err := d.LaunchTasks(nil, nil, nil); st != mesos.Status_DRIVER_STOPPED || err == nil {
		t.Fatalf("LaunchTasks after stop = %v, %v", st, err)
	}
	if st, err := d.Stop(false); st != mesos.Status_DRIVER_STOPPED || err == nil {
		t.Fatalf("second Stop = %v, %v", st, err)
	}
}

func TestStopWithFailoverSendsNothing(t *testing.T) {
	h, _, d := newRegistered(t)
	if st, _ := d.Stop(true); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Stop(true) = %v", st)
	}
	if st, _ := d.Join(); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Join = %v", st)
	}
	h.noMessages(h.master)
}

func TestLaunchWhileDisconnected(t *testing.T) {
	for _, partitionAware := range []bool{false, true} {
		t.Run(map[bool]string{false: "lost", true: "dropped"}[partitionAware], func(t *testing.T) {
			h := newFixture(t)
			rec := newRecorder()
			fw := h.framework()
			want := mesos.TaskState_TASK_LOST
			if partitionAware {
				fw.Capabilities = []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE.Enum()}}
				want = mesos.TaskState_TASK_DROPPED
			}
			d := h.newDriver(rec, fw)
			h.start(d)
			h.register(d, rec, "fw-1")

			// The leader goes away.
			h.det.Appoint(nil)
			rec.expect(t, "disconnected")
			if d.Connected() {
				t.Fatal("still connected")
			}
			st, err := d.LaunchTasks([]*mesos.OfferID{{Value: proto.String("o1")}},
				[]*mesos.TaskInfo{task("t1", "agent-1"), task("t2", "agent-1")}, nil)
			if st != mesos.Status_DRIVER_RUNNING || err != nil {
				t.Fatalf("LaunchTasks = %v, %v", st, err)
			}
			for _, id := range []string{"t1", "t2"} {
				s := rec.expect(t, "status").status
				if s.GetTaskId().GetValue() != id || s.GetState() != want ||
					s.GetSource() != mesos.TaskStatus_SOURCE_MASTER ||
					s.GetReason() != mesos.TaskStatus_REASON_MASTER_DISCONNECTED ||
					s.Uuid != nil || s.GetMessage() != "Master disconnected" {
					t.Fatalf("status %v", s)
				}
			}
			// Declines, kills and reconciliations are dropped.
			d.DeclineOffer(&mesos.OfferID{Value: proto.String("o1")}, nil)
			d.KillTask(&mesos.TaskID{Value: proto.String("t1")})
			d.ReconcileTasks(nil)
			h.settle(d)
			h.noMessages(h.master)
		})
	}
}

func TestLaunchBeforeAnyMaster(t *testing.T) {
	h := newFixture(t)
	h.det.Appoint(nil)
	rec := newRecorder()
	d := h.newDriver(rec, h.framework())
	h.start(d)
	d.LaunchTasks([]*mesos.OfferID{{Value: proto.String("o1")}}, []*mesos.TaskInfo{task("t1", "a")}, nil)
	s := rec.expect(t, "status").status
	if s.GetState() != mesos.TaskState_TASK_LOST || s.GetReason() != mesos.TaskStatus_REASON_MASTER_DISCONNECTED {
		t.Fatalf("status %v", s)
	}
}

func TestFrameworkErrorAborts(t *testing.T) {
	h, rec, d := newRegistered(t)

	// An error from anyone but the leader is ignored.
	impostor := h.peer("impostor").PID()
	h.node.Send(impostor, d.PID(), &mesosinternal.FrameworkErrorMessage{Message: proto.String("fake")})
	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.FrameworkErrorMessage{Message: proto.String("Framework failed over")})

	ev := rec.expect(t, "error")
	if ev.message != "Framework failed over" {
		t.Fatalf("error %q", ev.message)
	}
	if ev.driverState != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("driver status inside Error = %v, want DRIVER_ABORTED", ev.driverState)
	}
	actortest.MustNext(t, h.master, func(m *mesosinternal.DeactivateFrameworkMessage) bool {
		return m.GetFrameworkId().GetValue() == "fw-1"
	})
	if st, _ := d.Join(); st != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("Join = %v", st)
	}
	// Later events are not delivered.
	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{offer("o1", "a")}})
	if st, err := d.ReviveOffers(); st != mesos.Status_DRIVER_ABORTED || err == nil {
		t.Fatalf("ReviveOffers after abort = %v, %v", st, err)
	}
	if st, _ := d.Stop(false); st != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("Stop after abort = %v, want DRIVER_ABORTED", st)
	}
	if d.Status() != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("status after Stop = %v", d.Status())
	}
	// Like Mesos' driver, Stop(false) after an abort still tears down (a
	// master drops it if the framework failed over to another scheduler).
	nextCall(t, h.master, schedpb.Call_TEARDOWN)
	h.noMessages(h.master)
	select {
	case ev := <-rec.events:
		t.Fatalf("callback after abort: %+v", ev)
	default:
	}
}

func TestAbortDeactivates(t *testing.T) {
	h, _, d := newRegistered(t)
	if st, err := d.Abort(); st != mesos.Status_DRIVER_ABORTED || err != nil {
		t.Fatalf("Abort = %v, %v", st, err)
	}
	actortest.MustNext[*mesosinternal.DeactivateFrameworkMessage](t, h.master, nil)
	if st, _ := d.Join(); st != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("Join = %v", st)
	}
	if st, err := d.Abort(); st != mesos.Status_DRIVER_ABORTED || err == nil {
		t.Fatalf("second Abort = %v, %v", st, err)
	}
}

func TestOperations(t *testing.T) {
	h, rec, d := newRegistered(t)

	agentPeer := h.peer("slave(1)")
	agent := agentPeer.PID()
	h.node.Send(h.master.PID(), d.PID(), &mesosinternal.ResourceOffersMessage{
		Offers: []*mesos.Offer{offer("o1", "agent-1"), offer("o2", "agent-2")},
		Pids:   []string{agent.String(), agent.String()},
	})
	rec.expect(t, "offers")

	// Framework message before any launch on the agent: through the master.
	d.SendFrameworkMessage(&mesos.ExecutorID{Value: proto.String("e1")}, &mesos.SlaveID{Value: proto.String("agent-1")}, "via master")
	msg := nextCall(t, h.master, schedpb.Call_MESSAGE)
	if string(msg.GetMessage().GetData()) != "via master" || msg.GetMessage().GetSlaveId().GetValue() != "agent-1" {
		t.Fatalf("MESSAGE = %v", msg)
	}

	filters := &mesos.Filters{RefuseSeconds: proto.Float64(1)}
	launched, o1 := task("t1", "agent-1"), &mesos.OfferID{Value: proto.String("o1")}
	d.LaunchTasks([]*mesos.OfferID{o1}, []*mesos.TaskInfo{launched}, filters)
	// The scheduler's values are its own again once LaunchTasks returns.
	*launched.TaskId.Value, *o1.Value = "changed", "changed"
	acc := nextCall(t, h.master, schedpb.Call_ACCEPT)
	if a := acc.GetAccept(); len(a.GetOfferIds()) != 1 || a.GetOfferIds()[0].GetValue() != "o1" ||
		len(a.GetOperations()) != 1 || a.GetOperations()[0].GetType() != mesos.Offer_Operation_LAUNCH ||
		a.GetOperations()[0].GetLaunch().GetTaskInfos()[0].GetTaskId().GetValue() != "t1" ||
		a.GetFilters().GetRefuseSeconds() != 1 || acc.GetFrameworkId().GetValue() != "fw-1" {
		t.Fatalf("ACCEPT = %v", acc)
	}

	// Now the agent's PID is known: framework messages go straight to it.
	d.SendFrameworkMessage(&mesos.ExecutorID{Value: proto.String("e1")}, &mesos.SlaveID{Value: proto.String("agent-1")}, "direct")
	from, m := actortest.MustNext[*mesosinternal.FrameworkToExecutorMessage](t, agentPeer, nil)
	if string(m.GetData()) != "direct" || m.GetFrameworkId().GetValue() != "fw-1" || from != d.PID() {
		t.Fatalf("agent got %v from %v", m, from)
	}

	d.DeclineOffer(&mesos.OfferID{Value: proto.String("o2")}, filters)
	dec := nextCall(t, h.master, schedpb.Call_DECLINE)
	if dec.GetDecline().GetOfferIds()[0].GetValue() != "o2" || dec.GetDecline().GetFilters().GetRefuseSeconds() != 1 {
		t.Fatalf("DECLINE = %v", dec)
	}
	d.LaunchTasks([]*mesos.OfferID{{Value: proto.String("o3")}}, nil, nil)
	if dec := nextCall(t, h.master, schedpb.Call_DECLINE); dec.GetDecline().GetFilters() != nil {
		t.Fatalf("DECLINE with default filters = %v", dec)
	}

	d.AcceptOffers([]*mesos.OfferID{{Value: proto.String("o4")}}, []*mesos.Offer_Operation{{
		Type: mesos.Offer_Operation_RESERVE.Enum(), Reserve: &mesos.Offer_Operation_Reserve{},
	}}, nil)
	if acc := nextCall(t, h.master, schedpb.Call_ACCEPT); acc.GetAccept().GetOperations()[0].GetType() != mesos.Offer_Operation_RESERVE {
		t.Fatalf("ACCEPT = %v", acc)
	}
	if st, err := d.AcceptOffers(nil, []*mesos.Offer_Operation{{
		Type: mesos.Offer_Operation_LAUNCH.Enum(), Id: &mesos.OperationID{Value: proto.String("op")},
	}}, nil); st != mesos.Status_DRIVER_RUNNING || err == nil {
		t.Fatalf("AcceptOffers with an operation id = %v, %v; want an error", st, err)
	}

	d.KillTask(&mesos.TaskID{Value: proto.String("t1")})
	if k := nextCall(t, h.master, schedpb.Call_KILL); k.GetKill().GetTaskId().GetValue() != "t1" {
		t.Fatalf("KILL = %v", k)
	}
	d.SuppressOffers()
	nextCall(t, h.master, schedpb.Call_SUPPRESS)
	d.ReviveOffers()
	nextCall(t, h.master, schedpb.Call_REVIVE)
	d.RequestResources([]*mesos.Request{{SlaveId: &mesos.SlaveID{Value: proto.String("agent-1")}}})
	if rq := nextCall(t, h.master, schedpb.Call_REQUEST); len(rq.GetRequest().GetRequests()) != 1 {
		t.Fatalf("REQUEST = %v", rq)
	}
	d.ReconcileTasks([]*mesos.TaskStatus{{
		TaskId:  &mesos.TaskID{Value: proto.String("t1")},
		State:   mesos.TaskState_TASK_RUNNING.Enum(),
		SlaveId: &mesos.SlaveID{Value: proto.String("agent-1")},
	}})
	rc := nextCall(t, h.master, schedpb.Call_RECONCILE)
	if ts := rc.GetReconcile().GetTasks(); len(ts) != 1 || ts[0].GetTaskId().GetValue() != "t1" || ts[0].GetSlaveId().GetValue() != "agent-1" {
		t.Fatalf("RECONCILE = %v", rc)
	}
	h.noMessages(h.master)
}

func TestSuppressWhileDisconnectedGoesWithSubscribe(t *testing.T) {
	h := newFixture(t)
	h.det.Appoint(nil)
	rec := newRecorder()
	fw := h.framework()
	fw.Roles = []string{"a", "b"}
	d := h.newDriver(rec, fw)
	h.start(d)
	d.SuppressOffers()
	h.settle(d)
	h.det.Appoint(h.info)
	sub := nextCall(t, h.master, schedpb.Call_SUBSCRIBE)
	if got := strings.Join(sub.GetSubscribe().GetSuppressedRoles(), ","); got != "a,b" {
		t.Fatalf("suppressed roles %q", got)
	}
}

func TestMasterExitedThenComesBack(t *testing.T) {
	h, rec, d := newRegistered(t)

	// The master's process goes away: the link breaks.
	h.master.Stop()
	rec.expect(t, "disconnected")
	if d.Connected() {
		t.Fatal("connected after the master exited")
	}

	// It comes back under the same PID; the detector never noticed. After
	// a backoff the driver looks again and re-subscribes.
	m := h.peer(h.master.PID().ID)
	pid := m.PID()
	if pid != h.master.PID() {
		t.Fatalf("respawned at %s", pid)
	}
	h.settle(d)
	deadline, ok := h.clock.NextDeadline()
	if !ok {
		t.Fatal("no re-detection scheduled")
	}
	h.clock.Advance(deadline.Sub(h.clock.Now()))
	sub := nextCall(t, m, schedpb.Call_SUBSCRIBE)
	if sub.GetFrameworkId().GetValue() != "fw-1" || sub.GetSubscribe().GetForce() {
		t.Fatalf("SUBSCRIBE = %v", sub)
	}
	h.node.Send(pid, d.PID(), &mesosinternal.FrameworkRegisteredMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		MasterInfo:  h.info,
	})
	rec.expect(t, "registered")
}

func TestMasterExitedThenNewLeader(t *testing.T) {
	h, rec, _ := newRegistered(t)

	h.master.Stop()
	rec.expect(t, "disconnected")
	m2 := h.peer("master-next")
	m2pid := m2.PID()
	h.det.Appoint(masterInfo(m2pid, "m2"))
	nextCall(t, m2, schedpb.Call_SUBSCRIBE)
}

func TestTwoDriversInOneNode(t *testing.T) {
	h := newFixture(t)
	rec1, rec2 := newRecorder(), newRecorder()
	d1 := h.newDriver(rec1, h.framework())
	d2 := h.newDriver(rec2, h.framework())
	h.start(d1)
	h.start(d2)
	if d1.PID() == d2.PID() || !strings.HasPrefix(d1.PID().ID, "scheduler-") {
		t.Fatalf("driver PIDs %s and %s", d1.PID(), d2.PID())
	}
	seen := map[actors.PID]bool{}
	for i := 0; i < 2; i++ {
		from, _ := actortest.MustNext(t, h.master, func(c *schedpb.Call) bool { return c.GetType() == schedpb.Call_SUBSCRIBE })
		seen[from] = true
	}
	if !seen[d1.PID()] || !seen[d2.PID()] {
		t.Fatalf("SUBSCRIBE senders %v", seen)
	}
	for i, d := range []*MesosSchedulerDriver{d1, d2} {
		h.node.Send(h.master.PID(), d.PID(), &mesosinternal.FrameworkRegisteredMessage{
			FrameworkId: &mesos.FrameworkID{Value: proto.String([]string{"fw-a", "fw-b"}[i])},
			MasterInfo:  h.info,
		})
	}
	if ev := rec1.expect(t, "registered"); ev.frameworkID != "fw-a" {
		t.Fatalf("driver 1 registered as %s", ev.frameworkID)
	}
	if ev := rec2.expect(t, "registered"); ev.frameworkID != "fw-b" {
		t.Fatalf("driver 2 registered as %s", ev.frameworkID)
	}
	d1.Stop(false)
	if td := nextCall(t, h.master, schedpb.Call_TEARDOWN); td.GetFrameworkId().GetValue() != "fw-a" {
		t.Fatalf("TEARDOWN = %v", td)
	}
	if !d2.Connected() || d2.Status() != mesos.Status_DRIVER_RUNNING {
		t.Fatal("stopping one driver disturbed the other")
	}
}

func TestStartErrors(t *testing.T) {
	h := newFixture(t)
	for _, tc := range []struct{ master, want string }{
		{"zk://127.0.0.1:2181", "missing the znode path"},
		{"not an address", "Failed to create a master detector"},
	} {
		rec := newRecorder()
		d, err := NewMesosSchedulerDriver(DriverConfig{Scheduler: rec, Framework: h.framework(), Master: tc.master, Node: h.node})
		if err != nil {
			t.Fatal(err)
		}
		st, err := d.Start()
		if st != mesos.Status_DRIVER_ABORTED || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("Start(%q) = %v, %v", tc.master, st, err)
		}
		ev := rec.expect(t, "error")
		if !strings.Contains(ev.message, tc.want) || ev.driverState != mesos.Status_DRIVER_ABORTED {
			t.Fatalf("error %+v", ev)
		}
		if st, _ := d.Join(); st != mesos.Status_DRIVER_ABORTED {
			t.Fatalf("Join = %v", st)
		}
		if st, _ := d.Run(); st != mesos.Status_DRIVER_ABORTED {
			t.Fatalf("Run = %v", st)
		}
	}
}

func TestConfigValidation(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	fw := h.framework()
	for _, tc := range []struct {
		cfg  DriverConfig
		want string
	}{
		{DriverConfig{Framework: fw, Master: "m@127.0.0.1:1", Node: h.node}, "Scheduler"},
		{DriverConfig{Scheduler: rec, Master: "m@127.0.0.1:1", Node: h.node}, "FrameworkInfo"},
		{DriverConfig{Scheduler: rec, Framework: fw, Node: h.node}, "master"},
		{DriverConfig{Scheduler: rec, Framework: fw, Master: "m@127.0.0.1:1", Node: h.node,
			Credential: &mesos.Credential{Principal: proto.String("p")}}, "WithAuthContext"},
	} {
		if _, err := NewMesosSchedulerDriver(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewMesosSchedulerDriver error %v, want it to mention %q", err, tc.want)
		}
	}

	// User and hostname are filled in; the caller's FrameworkInfo is not
	// modified.
	bare := &mesos.FrameworkInfo{Name: proto.String("x")}
	d, err := NewMesosSchedulerDriver(DriverConfig{Scheduler: rec, Framework: bare, Master: "m@127.0.0.1:1",
		Node: h.node, HostnameOverride: "example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if d.framework.GetUser() == "" || d.framework.GetHostname() != "example.org" || bare.User != nil {
		t.Fatalf("framework %v (caller's %v)", d.framework, bare)
	}
	if st := d.Status(); st != mesos.Status_DRIVER_NOT_STARTED {
		t.Fatalf("status %v", st)
	}
	for name, f := range map[string]func() (mesos.Status, error){
		"Join":   d.Join,
		"Abort":  d.Abort,
		"Revive": d.ReviveOffers,
		"Stop":   func() (mesos.Status, error) { return d.Stop(false) },
	} {
		if st, err := f(); st != mesos.Status_DRIVER_NOT_STARTED || err == nil {
			t.Errorf("%s before Start = %v, %v", name, st, err)
		}
	}
}

func TestRunReturnsWhenStopped(t *testing.T) {
	h := newFixture(t)
	rec := newRecorder()
	rec.onOffers = func(d SchedulerDriver, offers []*mesos.Offer) { d.Stop(false) }
	d := h.newDriver(rec, h.framework())
	result := make(chan mesos.Status, 1)
	go func() {
		st, _ := d.Run()
		result <- st
	}()
	// Run's Start may not have recorded the driver's PID yet when the
	// SUBSCRIBE arrives (d.PID() can still be zero): answer its sender.
	driver, _ := actortest.MustNext(t, h.master, func(c *schedpb.Call) bool { return c.GetType() == schedpb.Call_SUBSCRIBE })
	h.node.Send(h.master.PID(), driver, &mesosinternal.FrameworkRegisteredMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		MasterInfo:  h.info,
	})
	rec.expect(t, "registered")
	h.node.Send(h.master.PID(), driver, &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{offer("o1", "a")}})
	select {
	case st := <-result:
		if st != mesos.Status_DRIVER_STOPPED {
			t.Fatalf("Run = %v", st)
		}
	case <-time.After(actortest.DefaultTimeout):
		t.Fatal("Run did not return")
	}
	nextCall(t, h.master, schedpb.Call_TEARDOWN)
}
