package master

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

func TestSchedulerFailover(t *testing.T) {
	c := newCluster(t, nil)
	a, _ := c.addAgent("cpus:2;mem:1024")
	info := frameworkInfo("f")
	info.FailoverTimeout = proto.Float64(60)
	s1, fid := c.subscribe(info)
	o1 := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s1, nil).GetOffers()[0]

	// Without failover, another scheduler is refused.
	info.Id = frameworkID(fid)
	s2 := c.spawn("scheduler-new")
	s2.SendNow(c.pid, &mesosinternal.ReregisterFrameworkMessage{Framework: info, Failover: proto.Bool(false)})
	if e := actortest.Must[*mesosinternal.FrameworkErrorMessage](t, s2, nil); e.GetMessage() != "Framework failed over" {
		t.Fatalf("error %q", e.GetMessage())
	}

	// With failover, it takes over; the old one is told.
	s2.SendNow(c.pid, &mesosinternal.ReregisterFrameworkMessage{Framework: info, Failover: proto.Bool(true)})
	if got := actortest.Must[*mesosinternal.FrameworkRegisteredMessage](t, s2, nil).GetFrameworkId().GetValue(); got != fid {
		t.Fatalf("failed-over id %q", got)
	}
	if e := actortest.Must[*mesosinternal.FrameworkErrorMessage](t, s1, nil); e.GetMessage() != "Framework failed over" {
		t.Fatalf("old scheduler got %q", e.GetMessage())
	}
	// Agents learn the new PID.
	if u := actortest.Must[*mesosinternal.UpdateFrameworkMessage](t, a, nil); u.GetPid() != s2.PID().String() {
		t.Fatalf("update framework %v", u)
	}
	// The old offer was discarded (no rescind) and its resources come back
	// to the new scheduler.
	c.advance(time.Second)
	o2 := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s2, nil).GetOffers()[0]
	if o2.GetId().GetValue() == o1.GetId().GetValue() {
		t.Fatal("old offer reused")
	}
	c.settle()
	actortest.MustNone[*mesosinternal.RescindResourceOfferMessage](t, s1, nil)

	// Calls from the old scheduler are dropped now.
	s1.SendNow(c.pid, launch(fid, ids(o2), nil))
	c.settle()
	c.inspect(func(p *Core) {
		if p.offers[o2.GetId().GetValue()] == nil {
			t.Error("a call from the old scheduler was applied")
		}
	})
}

func TestResubscribeWithoutFailoverRescindsOffers(t *testing.T) {
	c := newCluster(t, nil)
	c.addAgent("cpus:2;mem:1024")
	info := frameworkInfo("f")
	s, fid := c.subscribe(info)
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	info.Id = frameworkID(fid)
	s.SendNow(c.pid, &mesosinternal.ReregisterFrameworkMessage{Framework: info, Failover: proto.Bool(false)})
	actortest.Must[*mesosinternal.FrameworkReregisteredMessage](t, s, nil)
	if r := actortest.Must[*mesosinternal.RescindResourceOfferMessage](t, s, nil); r.GetOfferId().GetValue() != o.GetId().GetValue() {
		t.Fatalf("rescinded %v", r)
	}
	c.advance(time.Second)
	actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil)

	// The principal cannot change.
	info.Principal = proto.String("someone")
	s.SendNow(c.pid, &mesosinternal.ReregisterFrameworkMessage{Framework: info, Failover: proto.Bool(false)})
	if e := actortest.Must[*mesosinternal.FrameworkErrorMessage](t, s, nil); e.GetMessage() != "Changing framework's principal is not allowed." {
		t.Fatalf("error %q", e.GetMessage())
	}
}

func TestTeardown(t *testing.T) {
	c := newCluster(t, nil)
	a, _, s, fid, _ := c.runTask()

	s.SendNow(c.pid, call(fid, scheduler.Call_TEARDOWN))
	if m := actortest.Must[*mesosinternal.ShutdownFrameworkMessage](t, a, nil); m.GetFrameworkId().GetValue() != fid {
		t.Fatalf("shutdown %v", m)
	}
	c.inspect(func(p *Core) {
		if p.frameworks[fid] != nil || len(p.completed) != 1 {
			t.Fatalf("framework not completed")
		}
		tk := p.completed[0].completedTasks.get("t1")
		if tk == nil || tk.GetState() != mesos.TaskState_TASK_KILLED ||
			tk.GetStatuses()[len(tk.GetStatuses())-1].GetReason() != mesos.TaskStatus_REASON_FRAMEWORK_REMOVED {
			t.Fatalf("task %v", tk)
		}
	})
	// The id cannot be used again.
	info := frameworkInfo("f")
	info.Id = frameworkID(fid)
	s2 := c.spawn("scheduler-again")
	s2.SendNow(c.pid, &mesosinternal.ReregisterFrameworkMessage{Framework: info, Failover: proto.Bool(true)})
	if e := actortest.Must[*mesosinternal.FrameworkErrorMessage](t, s2, nil); e.GetMessage() != "Framework has been removed" {
		t.Fatalf("error %q", e.GetMessage())
	}
}

func TestSchedulerExitRemovesFrameworkAfterFailoverTimeout(t *testing.T) {
	c := newCluster(t, nil)
	a, _ := c.addAgent("cpus:2;mem:1024")
	info := frameworkInfo("f")
	info.FailoverTimeout = proto.Float64(30)
	s, fid := c.subscribe(info)
	actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil)
	s.Stop()
	c.settle()
	c.inspect(func(p *Core) {
		f := p.frameworks[fid]
		if f == nil || f.connected || f.active || len(f.offers) != 0 {
			t.Fatalf("framework after exit: %+v", f)
		}
	})
	c.advance(29 * time.Second)
	actortest.MustNone[*mesosinternal.ShutdownFrameworkMessage](t, a, nil)
	c.advance(time.Second)
	actortest.Must[*mesosinternal.ShutdownFrameworkMessage](t, a, nil)
	c.inspect(func(p *Core) {
		if p.frameworks[fid] != nil {
			t.Fatal("framework not removed")
		}
	})
}

func TestDisconnectedFrameworkGetsError(t *testing.T) {
	c := newCluster(t, nil)
	c.addAgent("cpus:2;mem:1024")
	info := frameworkInfo("f")
	info.FailoverTimeout = proto.Float64(1000)
	s, fid := c.subscribe(info)
	actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil)
	s.Stop()
	c.settle()
	// A scheduler at the same address (its link to the master broke one
	// way) keeps calling: it is told it is disconnected.
	again := c.spawn(s.PID().ID)
	again.SendNow(c.pid, call(fid, scheduler.Call_REVIVE))
	if e := actortest.Must[*mesosinternal.FrameworkErrorMessage](t, again, nil); e.GetMessage() != "Framework disconnected" {
		t.Fatalf("error %q", e.GetMessage())
	}
	// Calls from elsewhere are dropped without an answer.
	other := c.spawn("scheduler-other")
	other.SendNow(c.pid, call(fid, scheduler.Call_REVIVE))
	c.settle()
	actortest.MustNone[*mesosinternal.FrameworkErrorMessage](t, other, nil)

	// Resubscribing reconnects it.
	info.Id = frameworkID(fid)
	again.SendNow(c.pid, &mesosinternal.ReregisterFrameworkMessage{Framework: info, Failover: proto.Bool(false)})
	actortest.Must[*mesosinternal.FrameworkReregisteredMessage](t, again, nil)
	actortest.Must[*mesosinternal.ResourceOffersMessage](t, again, nil)
}

func TestDeactivateFramework(t *testing.T) {
	c := newCluster(t, nil)
	c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	s.SendNow(c.pid, &mesosinternal.DeactivateFrameworkMessage{FrameworkId: frameworkID(fid)})
	if r := actortest.Must[*mesosinternal.RescindResourceOfferMessage](t, s, nil); r.GetOfferId().GetValue() != o.GetId().GetValue() {
		t.Fatalf("rescind %v", r)
	}
	c.advance(time.Second)
	actortest.MustNone[*mesosinternal.ResourceOffersMessage](t, s, nil)
}

func TestAgentDisconnect(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID := c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	s.SendNow(c.pid, launch(fid, ids(o), &mesos.Filters{RefuseSeconds: proto.Float64(0)}, commandTask("t1", o, "cpus:1;mem:128")))
	actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	c.advance(time.Second)
	o2 := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]

	a.Stop()
	if r := actortest.Must[*mesosinternal.RescindResourceOfferMessage](t, s, nil); r.GetOfferId().GetValue() != o2.GetId().GetValue() {
		t.Fatalf("rescind %v", r)
	}
	st := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_LOST || st.GetReason() != mesos.TaskStatus_REASON_SLAVE_DISCONNECTED ||
		st.GetMessage() != "Agent localhost disconnected" {
		t.Fatalf("update %v", st)
	}
	c.inspect(func(p *Core) {
		ag := p.agents[agentID]
		if ag == nil || ag.connected || ag.active {
			t.Fatalf("agent %+v", ag)
		}
	})
	c.advance(time.Second)
	actortest.MustNone[*mesosinternal.ResourceOffersMessage](t, s, nil)
}

func TestAgentReregistrationTimeoutMarksUnreachable(t *testing.T) {
	c := newCluster(t, func(cfg *Config) { cfg.AgentPingTimeout = 15 * time.Minute })
	a, agentID := c.addAgent("cpus:2;mem:1024")
	s, _ := c.subscribe(frameworkInfo("f"))
	actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil)
	a.Stop()
	actortest.Must[*mesosinternal.RescindResourceOfferMessage](t, s, nil)
	c.advance(10 * time.Minute)
	if l := actortest.Must[*mesosinternal.LostSlaveMessage](t, s, nil); l.GetSlaveId().GetValue() != agentID {
		t.Fatalf("lost %v", l)
	}
}

func TestPingTimeoutMarksUnreachableAndReregistrationBringsTasksBack(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID, s, fid, run := c.runTask()
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "t1", mesos.TaskState_TASK_RUNNING, 1))
	actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)

	// The window in progress already had its pong; five more silent ones
	// make the agent unreachable.
	actortest.Handle[*mesosinternal.PingSlaveMessage](a, nil)
	actortest.Drain[*mesosinternal.PingSlaveMessage](a)
	for i := 0; i < 5; i++ {
		c.advance(15 * time.Second)
		actortest.Must[*mesosinternal.PingSlaveMessage](t, a, nil)
		actortest.MustNone[*mesosinternal.LostSlaveMessage](t, s, nil)
	}
	c.advance(15 * time.Second)
	if l := actortest.Must[*mesosinternal.LostSlaveMessage](t, s, nil); l.GetSlaveId().GetValue() != agentID {
		t.Fatalf("lost %v", l)
	}
	st := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_LOST || st.GetReason() != mesos.TaskStatus_REASON_SLAVE_REMOVED || st.UnreachableTime == nil {
		t.Fatalf("update %v", st)
	}
	c.inspect(func(p *Core) {
		if p.agents[agentID] != nil || p.unreachable[agentID] == nil || p.frameworks[fid].unreachableTasks.get("t1") == nil {
			t.Fatal("agent not unreachable")
		}
	})

	// The partition heals: the agent reregisters with its running task.
	task := newTask(run.GetTask(), frameworkID(fid))
	task.State = mesos.TaskState_TASK_RUNNING.Enum()
	info := agentInfo("cpus:2;mem:1024")
	info.Id = slaveID(agentID)
	a.SendNow(c.pid, &mesosinternal.ReregisterSlaveMessage{
		Slave: info, Version: proto.String("1.11.0"), Tasks: []*mesos.Task{task},
		Frameworks: []*mesos.FrameworkInfo{run.GetFramework()},
	})
	actortest.Must[*mesosinternal.SlaveReregisteredMessage](t, a, nil)
	st = actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_RUNNING || st.GetReason() != mesos.TaskStatus_REASON_SLAVE_REREGISTERED ||
		st.GetMessage() != "Unreachable agent re-reregistered" {
		t.Fatalf("update %v", st)
	}
	c.inspect(func(p *Core) {
		f := p.frameworks[fid]
		if f.tasks["t1"] == nil || f.unreachableTasks.get("t1") != nil || p.unreachable[agentID] != nil {
			t.Fatal("task not back")
		}
		ag := p.agents[agentID]
		if !ag.totalUsed().Equal(resources.Resources(run.GetTask().GetResources())) {
			t.Fatalf("agent used %v", ag.totalUsed())
		}
	})
}

func TestKnownAgentReregistrationReconciles(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID := c.addAgent("cpus:2;mem:1024")
	info := frameworkInfo("f")
	info.Checkpoint = proto.Bool(true)
	s, fid := c.subscribe(info)
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	s.SendNow(c.pid, launch(fid, ids(o), nil, commandTask("t1", o, "cpus:1;mem:128")))
	run := actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	// A kill while the agent is away is resent when it comes back.
	a.Stop()
	c.settle()
	actortest.MustNone[*mesosinternal.StatusUpdateMessage](t, s, nil) // checkpointing: the task waits
	s.SendNow(c.pid, &mesosinternal.KillTaskMessage{FrameworkId: frameworkID(fid), TaskId: &mesos.TaskID{Value: proto.String("t1")}})
	c.settle()

	// The agent comes back still running the task: the kill is resent.
	a2 := c.spawn(a.PID().ID)
	ai := agentInfo("cpus:2;mem:1024")
	ai.Id = slaveID(agentID)
	running := newTask(run.GetTask(), frameworkID(fid))
	running.State = mesos.TaskState_TASK_RUNNING.Enum()
	a2.SendNow(c.pid, &mesosinternal.ReregisterSlaveMessage{Slave: ai, Version: proto.String("1.11.0"), Tasks: []*mesos.Task{running}})
	if rr := actortest.Must[*mesosinternal.SlaveReregisteredMessage](t, a2, nil); len(rr.GetReconciliations()) != 0 {
		t.Fatalf("reconciliations %v", rr.GetReconciliations())
	}
	if k := actortest.Must[*mesosinternal.KillTaskMessage](t, a2, nil); k.GetTaskId().GetValue() != "t1" {
		t.Fatalf("kill %v", k)
	}
	c.inspect(func(p *Core) {
		if ag := p.agents[agentID]; !ag.connected || !ag.active {
			t.Fatal("agent not reactivated")
		}
	})

	// Reregistering without the task: the agent is asked to reconcile it.
	a2.SendNow(c.pid, &mesosinternal.ReregisterSlaveMessage{Slave: ai, Version: proto.String("1.11.0")})
	rr := actortest.Must[*mesosinternal.SlaveReregisteredMessage](t, a2, nil)
	if len(rr.GetReconciliations()) != 1 || rr.GetReconciliations()[0].GetStatuses()[0].GetTaskId().GetValue() != "t1" ||
		rr.GetReconciliations()[0].GetFramework().GetId().GetValue() != fid {
		t.Fatalf("reconciliations %v", rr.GetReconciliations())
	}

	// A different hostname is refused.
	bad := proto.Clone(ai).(*mesos.SlaveInfo)
	bad.Hostname = proto.String("elsewhere")
	a2.SendNow(c.pid, &mesosinternal.ReregisterSlaveMessage{Slave: bad, Version: proto.String("1.11.0")})
	if m := actortest.Must[*mesosinternal.ShutdownMessage](t, a2, nil); !strings.Contains(m.GetMessage(), "different IP / hostname") {
		t.Fatalf("shutdown %q", m.GetMessage())
	}
}

func TestUnregisterAgent(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID, s, fid, _ := c.runTask()
	a.SendNow(c.pid, &mesosinternal.UnregisterSlaveMessage{SlaveId: slaveID(agentID)})
	actortest.Must[*mesosinternal.LostSlaveMessage](t, s, nil)
	st := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_LOST || st.GetReason() != mesos.TaskStatus_REASON_SLAVE_REMOVED {
		t.Fatalf("update %v", st)
	}
	// Updates from the removed agent are ignored.
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "t1", mesos.TaskState_TASK_RUNNING, 9))
	c.settle()
	actortest.MustNone[*mesosinternal.StatusUpdateMessage](t, s, nil)
}

func TestRegisterAgentRetryAndBadInput(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID := c.addAgent("cpus:2;mem:1024")
	a.SendNow(c.pid, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:2;mem:1024"), Version: proto.String("1.11.0")})
	r := actortest.Must[*mesosinternal.SlaveRegisteredMessage](t, a, nil)
	if r.GetSlaveId().GetValue() != agentID || r.GetConnection().GetTotalPingTimeoutSeconds() != 75 {
		t.Fatalf("registered %v", r)
	}
	if !strings.HasPrefix(agentID, c.m.Info().GetId()+"-S") {
		t.Fatalf("agent id %q", agentID)
	}
	b := c.spawn("slave-bad")
	b.SendNow(c.pid, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:1"), Version: proto.String("0.28.0")})
	b.SendNow(c.pid, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:1"), Version: proto.String("garbage")})
	b.SendNow(c.pid, &mesosinternal.RegisterSlaveMessage{Version: proto.String("1.11.0")})
	b.SendNow(c.pid, &mesosinternal.ReregisterSlaveMessage{Slave: agentInfo("cpus:1"), Version: proto.String("1.11.0")})
	c.settle()
	actortest.MustNone[*mesosinternal.SlaveRegisteredMessage](t, b, nil)
	actortest.MustNone[*mesosinternal.SlaveReregisteredMessage](t, b, nil)
}

func TestOfferTimeout(t *testing.T) {
	c := newCluster(t, func(cfg *Config) { cfg.OfferTimeout = 30 * time.Second })
	c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	c.advance(30 * time.Second)
	if r := actortest.Must[*mesosinternal.RescindResourceOfferMessage](t, s, nil); r.GetOfferId().GetValue() != o.GetId().GetValue() {
		t.Fatalf("rescind %v", r)
	}
	c.advance(time.Second)
	o2 := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	if !resources.Resources(o2.GetResources()).Equal(resources.Resources(o.GetResources())) {
		t.Fatal("different resources re-offered")
	}
	// A declined offer is not rescinded later.
	s.SendNow(c.pid, launch(fid, ids(o2), nil))
	c.advance(30 * time.Second)
	actortest.MustNone[*mesosinternal.RescindResourceOfferMessage](t, s, nil)
}

func TestCompletedListsAreBounded(t *testing.T) {
	c := newCluster(t, func(cfg *Config) {
		cfg.MaxCompletedFrameworks = 2
		cfg.MaxCompletedTasksPerFramework = 1
	})
	var last string
	for i := 0; i < 3; i++ {
		s, fid := c.subscribe(frameworkInfo("f"))
		s.SendNow(c.pid, call(fid, scheduler.Call_TEARDOWN))
		last = fid
	}
	c.settle()
	c.inspect(func(p *Core) {
		if len(p.completed) != 2 || p.completed[1].id != last {
			t.Fatalf("completed %d", len(p.completed))
		}
	})
	l := newTaskList(1)
	l.add(&mesos.Task{TaskId: &mesos.TaskID{Value: proto.String("a")}})
	l.add(&mesos.Task{TaskId: &mesos.TaskID{Value: proto.String("b")}})
	if len(l.list()) != 1 || l.get("b") == nil {
		t.Fatalf("task list %v", l.list())
	}
}

// The operator marks a registered agent gone through Master.MarkAgentGone:
// the agent is told to shut down, the framework hears slaveLost and its
// task is lost; unknown agents are refused.
func TestMasterMarkAgentGone(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID, s, _, _ := c.runTask()

	ctx, cancel := context.WithTimeout(context.Background(), actortest.DefaultTimeout)
	defer cancel()
	if err := c.m.MarkAgentGone(ctx, agentID); err != nil {
		t.Fatal(err)
	}
	if m := actortest.Must[*mesosinternal.ShutdownMessage](t, a, nil); m.GetMessage() != "Agent has been marked gone" {
		t.Fatalf("shutdown %q", m.GetMessage())
	}
	actortest.Must[*mesosinternal.LostSlaveMessage](t, s, nil)
	st := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus()
	if st.GetState() != mesos.TaskState_TASK_LOST || st.GetReason() != mesos.TaskStatus_REASON_SLAVE_REMOVED_BY_OPERATOR {
		t.Fatalf("update %v", st)
	}
	var re *RequestError
	if err := c.m.MarkAgentGone(ctx, "nobody-S1"); !errors.As(err, &re) || re.Kind != Refused {
		t.Fatalf("unknown agent: %v", err)
	}
}
