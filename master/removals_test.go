package master

// Core tests of agents the master gives up on: the removal rate limit,
// partition-aware task states, agents recovered from a registry, agents
// marked gone, and what reconciliation answers for each.

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

var agent2PID = actors.PID{ID: "slave(1)", Address: "127.0.0.2:50000"}

const testAgent2 = "m1-S1"

func partitionAware(name string) *mesos.FrameworkInfo {
	info := frameworkInfo(name)
	info.Capabilities = []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE.Enum()}}
	return info
}

// runTask launches t1 on the agent and has the agent report it RUNNING.
func runTask(t *testing.T, c *Core) *mesos.Task {
	t.Helper()
	o := offerAll(t, c, "cpus:2;mem:1024")
	c.Receive(t0, schedPID, launch(testFID, ids(o), nil, commandTask("t1", o, "cpus:1;mem:128")))
	u := []byte("0123456789abcdef")
	c.Receive(t0, agentPID, &mesosinternal.StatusUpdateMessage{
		Pid: proto.String(agentPID.String()),
		Update: &mesosinternal.StatusUpdate{
			FrameworkId: frameworkID(testFID), SlaveId: slaveID(testAgent), Timestamp: proto.Float64(1), Uuid: u,
			Status: &mesos.TaskStatus{
				TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: mesos.TaskState_TASK_RUNNING.Enum(),
				Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(), SlaveId: slaveID(testAgent), Uuid: u,
			},
		},
	})
	c.Receive(t0, schedPID, &mesosinternal.StatusUpdateAcknowledgementMessage{
		SlaveId: slaveID(testAgent), FrameworkId: frameworkID(testFID), TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: u,
	})
	task := c.frameworks[testFID].tasks["t1"]
	if task == nil || task.GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("task not running: %v", task)
	}
	return proto.Clone(task).(*mesos.Task)
}

// update is the StatusUpdateMessage the master sends the scheduler.
func update(s updateSpec) effect.Effect {
	if s.frameworkID == "" {
		s.frameworkID = testFID
	}
	return sendTo(schedPID, &mesosinternal.StatusUpdateMessage{Update: newUpdate(s)})
}

func reconcileCall(tasks ...*scheduler.Call_Reconcile_Task) *scheduler.Call {
	c := call(testFID, scheduler.Call_RECONCILE)
	c.Reconcile = &scheduler.Call_Reconcile{Tasks: tasks}
	return c
}

func reconcileTask(tid, agentID string) *scheduler.Call_Reconcile_Task {
	rt := &scheduler.Call_Reconcile_Task{TaskId: &mesos.TaskID{Value: proto.String(tid)}}
	if agentID != "" {
		rt.SlaveId = slaveID(agentID)
	}
	return rt
}

// --agent_removal_rate_limit: one agent per 10 minutes. The first silent
// agent is marked unreachable at once, the second waits for the next
// permit while it is still pinged, and a third that answers in the
// meantime is not marked at all.
func TestCoreAgentRemovalRateLimit(t *testing.T) {
	c := newCore(t, func(cfg *Config) {
		cfg.AgentRemovalRateLimit = "1/10mins"
		cfg.MaxAgentPingTimeouts = 1
	})
	register(t, c, frameworkInfo("f"))
	registerAgent(t, c, "cpus:2;mem:1024")
	stored(t, c, t0, c.Receive(t0, agent2PID, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:2;mem:1024"), Version: proto.String("1.11.0")}))
	agent3PID := actors.PID{ID: "slave(1)", Address: "127.0.0.3:50000"}
	stored(t, c, t0, c.Receive(t0, agent3PID, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:2;mem:1024"), Version: proto.String("1.11.0")}))
	ping := func(to actors.PID, id string) []effect.Effect {
		return []effect.Effect{
			effect.StartTimer{Key: "ping/" + id, After: DefaultAgentPingTimeout},
			sendTo(to, &mesosinternal.PingSlaveMessage{Connected: proto.Bool(true)}),
		}
	}
	now := t0.Add(DefaultAgentPingTimeout)

	expect(t, "first silent agent", stored(t, c, now, c.Timer(now, "ping/"+testAgent)), []effect.Effect{
		AllocRemoveSlave{AgentID: testAgent},
		effect.CancelTimer{Key: "ping/" + testAgent},
		effect.Unlink{PID: agentPID},
		sendTo(schedPID, &mesosinternal.LostSlaveMessage{SlaveId: slaveID(testAgent)}),
	})
	expect(t, "second silent agent", stored(t, c, now, c.Timer(now, "ping/"+testAgent2)),
		append([]effect.Effect{effect.StartTimer{Key: "removal/next", After: 10 * time.Minute}}, ping(agent2PID, testAgent2)...))
	expect(t, "third silent agent", stored(t, c, now, c.Timer(now, "ping/m1-S2")),
		append([]effect.Effect{effect.StartTimer{Key: "removal/next", After: 10 * time.Minute}}, ping(agent3PID, "m1-S2")...))
	if c.agents[testAgent2] == nil || c.unreachable[testAgent2] != nil {
		t.Fatal("the second agent was marked before its permit")
	}
	// Still silent: pinged on, not scheduled twice. The third answers.
	expect(t, "second agent still silent", stored(t, c, now.Add(DefaultAgentPingTimeout), c.Timer(now.Add(DefaultAgentPingTimeout), "ping/"+testAgent2)), ping(agent2PID, testAgent2))
	expect(t, "pong", c.Receive(now.Add(DefaultAgentPingTimeout), agent3PID, &mesosinternal.PongSlaveMessage{}), nil)

	now = now.Add(10 * time.Minute)
	expect(t, "next permit", stored(t, c, now, c.Timer(now, "removal/next")), []effect.Effect{
		AllocRemoveSlave{AgentID: testAgent2},
		effect.CancelTimer{Key: "ping/" + testAgent2},
		effect.Unlink{PID: agent2PID},
		sendTo(schedPID, &mesosinternal.LostSlaveMessage{SlaveId: slaveID(testAgent2)}),
	})
	if c.agents["m1-S2"] == nil || c.unreachable["m1-S2"] != nil {
		t.Fatal("the agent that answered was marked unreachable")
	}
	want := AgentRemovals{UnreachableScheduled: 3, UnreachableCompleted: 2, UnreachableCanceled: 1, Removals: 2, ReasonUnhealthy: 2}
	if got := c.Removals(); got != want {
		t.Fatalf("removals %+v, want %+v", got, want)
	}
}

func TestParseRateLimit(t *testing.T) {
	for s, want := range map[string]RateLimit{
		"":          {},
		"1/10mins":  {Permits: 1, Interval: 10 * time.Minute},
		"5/20secs":  {Permits: 5, Interval: 20 * time.Second},
		"2 / 1hrs":  {Permits: 2, Interval: time.Hour},
		"10/100ms":  {Permits: 10, Interval: 100 * time.Millisecond},
		"3/1.5days": {Permits: 3, Interval: 36 * time.Hour},
	} {
		got, err := ParseRateLimit(s)
		if err != nil || got != want {
			t.Errorf("ParseRateLimit(%q) = %+v, %v; want %+v", s, got, err, want)
		}
	}
	for _, s := range []string{"1", "x/10mins", "0/10mins", "-1/1secs", "1/soon", "1/0secs", "/"} {
		if _, err := ParseRateLimit(s); err == nil {
			t.Errorf("ParseRateLimit(%q): no error", s)
		}
	}
	cfg := DefaultConfig()
	cfg.AgentRemovalRateLimit = "fast"
	if cfg.Validate() == nil {
		t.Error("Validate accepted agent_removal_rate_limit=fast")
	}
}

// PartitionTest.ReregisterSlavePartitionAware: a partition-aware framework
// sees TASK_UNREACHABLE (with the marking time) when the agent falls
// silent, reconciliation says the same, and the task is TASK_RUNNING again
// when the agent comes back.
func TestCorePartitionAwareTaskUnreachableAndBack(t *testing.T) {
	c := newCore(t, func(cfg *Config) { cfg.MaxAgentPingTimeouts = 1 })
	register(t, c, partitionAware("f"))
	registerAgent(t, c, "cpus:2;mem:1024")
	task := runTask(t, c)
	used := resources.MustParse("cpus:1;mem:128").Upgrade().Allocate("*")

	now := t0.Add(DefaultAgentPingTimeout)
	expect(t, "marked unreachable", stored(t, c, now, c.Timer(now, "ping/"+testAgent)), []effect.Effect{
		AllocRemoveSlave{AgentID: testAgent},
		effect.CancelTimer{Key: "ping/" + testAgent},
		AllocRecoverResources{FrameworkID: testFID, AgentID: testAgent, Resources: used},
		update(updateSpec{agentID: testAgent, taskID: "t1", state: mesos.TaskState_TASK_UNREACHABLE,
			message: "health check timed out", reason: mesos.TaskStatus_REASON_SLAVE_REMOVED, unreachable: &now, now: now}),
		effect.Unlink{PID: agentPID},
		sendTo(schedPID, &mesosinternal.LostSlaveMessage{SlaveId: slaveID(testAgent)}),
	})

	// Reconciliation: the task is unreachable since then, and so is any
	// other task said to be on that agent.
	later := now.Add(time.Minute)
	expect(t, "explicit reconciliation", c.Receive(later, schedPID, reconcileCall(reconcileTask("t1", testAgent), reconcileTask("t9", testAgent))), []effect.Effect{
		update(updateSpec{agentID: testAgent, taskID: "t1", state: mesos.TaskState_TASK_UNREACHABLE,
			message: "Reconciliation: Task is unreachable", reason: mesos.TaskStatus_REASON_RECONCILIATION, unreachable: &now, now: later}),
		update(updateSpec{agentID: testAgent, taskID: "t9", state: mesos.TaskState_TASK_UNREACHABLE,
			message: "Reconciliation: Task is unreachable", reason: mesos.TaskStatus_REASON_RECONCILIATION, unreachable: &now, now: later}),
	})
	// Implicit reconciliation does not report unreachable tasks.
	expect(t, "implicit reconciliation", c.Receive(later, schedPID, reconcileCall()), nil)

	// The partition heals.
	info := agentInfo("cpus:2;mem:1024")
	info.Id = slaveID(testAgent)
	withID := partitionAware("f")
	withID.Id = frameworkID(testFID)
	got := stored(t, c, later, c.Receive(later, agentPID, &mesosinternal.ReregisterSlaveMessage{
		Slave: info, Version: proto.String("1.11.0"), Tasks: []*mesos.Task{task}, Frameworks: []*mesos.FrameworkInfo{withID},
	}))
	var updates []effect.Effect
	for _, e := range got {
		if s, ok := e.(effect.Send); ok && s.To == schedPID {
			updates = append(updates, e)
		}
	}
	expect(t, "reregistered", updates, []effect.Effect{
		update(updateSpec{agentID: testAgent, taskID: "t1", state: mesos.TaskState_TASK_RUNNING,
			message: "Unreachable agent re-reregistered", reason: mesos.TaskStatus_REASON_SLAVE_REREGISTERED, now: later}),
	})
	if c.frameworks[testFID].tasks["t1"] == nil || c.frameworks[testFID].unreachableTasks.get("t1") != nil || c.unreachable[testAgent] != nil {
		t.Fatal("the task is not back")
	}
}

// Reconciliation of tasks the master does not know, for frameworks that
// are partition aware and frameworks that are not (Mesos'
// ReconciliationTest.UnknownTask, UnknownSlave, RecoveredAgent).
func TestCoreReconcileUnknownTasks(t *testing.T) {
	for _, pa := range []bool{true, false} {
		c := newCore(t, nil)
		info := frameworkInfo("f")
		if pa {
			info = partitionAware("f")
		}
		register(t, c, info)
		registerAgent(t, c, "cpus:2;mem:1024")
		stored(t, c, t0, c.Receive(t0, agent2PID, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:2;mem:1024"), Version: proto.String("1.11.0")}))
		gone, err := c.MarkAgentGone(t0, testAgent2)
		if err != nil {
			t.Fatal(err)
		}
		stored(t, c, t0, gone)
		recovered := &mesos.SlaveInfo{Id: slaveID("old-S7"), Hostname: proto.String("h7")}
		c.RecoverAgents(t0, RecoveredAgents{Admitted: []*mesos.SlaveInfo{recovered}})

		state := func(paState mesos.TaskState) mesos.TaskState {
			if pa {
				return paState
			}
			return mesos.TaskState_TASK_LOST
		}
		now := t0.Add(time.Second)
		got := c.Receive(now, schedPID, reconcileCall(
			reconcileTask("on-registered", testAgent),
			reconcileTask("on-gone", testAgent2),
			reconcileTask("on-unknown", "nobody-S9"),
			reconcileTask("on-recovered", "old-S7"),
			reconcileTask("anywhere", ""),
		))
		spec := func(tid, agentID string, s mesos.TaskState, message string) effect.Effect {
			return update(updateSpec{agentID: agentID, taskID: tid, state: state(s), message: message,
				reason: mesos.TaskStatus_REASON_RECONCILIATION, now: now})
		}
		// Tasks on the recovered agent, or on no agent in particular while
		// one is recovered, get no answer.
		expect(t, "reconciliation", got, []effect.Effect{
			spec("on-registered", testAgent, mesos.TaskState_TASK_GONE, "Reconciliation: Task is unknown to the agent"),
			spec("on-gone", testAgent2, mesos.TaskState_TASK_GONE_BY_OPERATOR, "Reconciliation: Task is gone"),
			spec("on-unknown", "nobody-S9", mesos.TaskState_TASK_UNKNOWN, "Reconciliation: Task is unknown"),
		})

		// Once the recovered agent is given up on, its tasks are
		// unreachable, and a task on no agent is unknown.
		later := t0.Add(DefaultAgentReregisterTimeout)
		expect(t, "recovery timeout", stored(t, c, later, c.Timer(later, "recovery/agents")), []effect.Effect{
			sendTo(schedPID, &mesosinternal.LostSlaveMessage{SlaveId: slaveID("old-S7")}),
		})
		got = c.Receive(later, schedPID, reconcileCall(reconcileTask("on-recovered", "old-S7"), reconcileTask("anywhere", "")))
		expect(t, "after the recovery timeout", got, []effect.Effect{
			update(updateSpec{agentID: "old-S7", taskID: "on-recovered", state: state(mesos.TaskState_TASK_UNREACHABLE),
				message: "Reconciliation: Task is unreachable", reason: mesos.TaskStatus_REASON_RECONCILIATION, unreachable: &later, now: later}),
			update(updateSpec{taskID: "anywhere", state: state(mesos.TaskState_TASK_UNKNOWN),
				message: "Reconciliation: Task is unknown", reason: mesos.TaskStatus_REASON_RECONCILIATION, now: later}),
		})
	}
}

// MasterTest.RecoveredSlaveCanReregister and the standalone restart: a
// recovered agent that reregisters in time comes back with its tasks and
// no updates for them; one that does not is marked unreachable
// (recovery_slave_removals) and may still come back later.
func TestCoreRecoveredAgents(t *testing.T) {
	c := newCore(t, nil)
	fw := frameworkInfo("f")
	fw.Id = frameworkID("old-0000")
	fw.Checkpoint = proto.Bool(true)
	a1 := &mesos.SlaveInfo{Id: slaveID("old-S0"), Hostname: proto.String("localhost"), Port: proto.Int32(5051),
		Resources: resources.MustParse("cpus:2;mem:1024")}
	a2 := proto.Clone(a1).(*mesos.SlaveInfo)
	a2.Id = slaveID("old-S1")
	expect(t, "recover", c.RecoverAgents(t0, RecoveredAgents{
		Admitted:    []*mesos.SlaveInfo{a1, a2},
		Unreachable: map[string]time.Time{"old-S8": t0.Add(-time.Hour)},
		Gone:        map[string]time.Time{"old-S9": t0.Add(-time.Hour)},
	}), []effect.Effect{
		effect.StartTimer{Key: "recovery/agents", After: DefaultAgentReregisterTimeout},
	})
	if v := c.View(); len(v.Recovered) != 2 || v.Recovered[0] != "old-S0" || v.Recovered[1] != "old-S1" ||
		len(v.Unreachable) != 1 || len(v.Gone) != 1 {
		t.Fatalf("recovered %v, unreachable %v, gone %v", v.Recovered, v.Unreachable, v.Gone)
	}
	// A gone agent that comes back is shut down.
	gone := proto.Clone(a1).(*mesos.SlaveInfo)
	gone.Id = slaveID("old-S9")
	goneAt := actors.PID{ID: "slave(1)", Address: "127.0.0.9:50000"}
	expect(t, "gone agent", stored(t, c, t0, c.Receive(t0, goneAt, &mesosinternal.ReregisterSlaveMessage{Slave: gone, Version: proto.String("1.11.0")})), []effect.Effect{
		sendTo(goneAt, &mesosinternal.ShutdownMessage{Message: proto.String("Agent has been marked gone")}),
	})

	// The scheduler is back first, then the first agent with its task.
	got := c.Receive(t0, schedPID, &mesosinternal.ReregisterFrameworkMessage{Framework: fw})
	expect(t, "framework back", got[len(got)-1:], []effect.Effect{
		sendTo(schedPID, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: frameworkID("old-0000"), MasterInfo: testInfo()}),
	})
	task := &mesos.Task{
		Name: proto.String("t1"), TaskId: &mesos.TaskID{Value: proto.String("t1")}, FrameworkId: frameworkID("old-0000"),
		SlaveId: slaveID("old-S0"), State: mesos.TaskState_TASK_RUNNING.Enum(),
		Resources: resources.MustParse("cpus:1;mem:128").Allocate("*"),
	}
	got = stored(t, c, t0.Add(time.Second), c.Receive(t0.Add(time.Second), agentPID, &mesosinternal.ReregisterSlaveMessage{
		Slave: a1, Version: proto.String("1.11.0"), Tasks: []*mesos.Task{task}, Frameworks: []*mesos.FrameworkInfo{fw},
	}))
	for _, e := range got {
		if s, ok := e.(effect.Send); ok && s.To == schedPID {
			t.Errorf("the framework was told about a recovered agent's task: %s", describe(e))
		}
	}
	if c.frameworks["old-0000"].tasks["t1"] == nil || c.agents["old-S0"] == nil {
		t.Fatal("the recovered agent's task is not known")
	}

	// The second never comes back in time.
	later := t0.Add(DefaultAgentReregisterTimeout)
	expect(t, "recovery timeout", stored(t, c, later, c.Timer(later, "recovery/agents")), []effect.Effect{
		sendTo(schedPID, &mesosinternal.LostSlaveMessage{SlaveId: slaveID("old-S1")}),
	})
	want := AgentRemovals{UnreachableScheduled: 1, UnreachableCompleted: 1, RecoveryRemovals: 1}
	if got := c.Removals(); got != want {
		t.Fatalf("removals %+v, want %+v", got, want)
	}
	if v := c.View(); len(v.Recovered) != 0 || len(v.Unreachable) != 2 || v.Unreachable[0] != "old-S1" || c.agents["old-S0"] == nil {
		t.Fatalf("recovered %v, unreachable %v", v.Recovered, v.Unreachable)
	}
	// It may still reregister.
	stored(t, c, later, c.Receive(later, agent2PID, &mesosinternal.ReregisterSlaveMessage{Slave: a2, Version: proto.String("1.11.0")}))
	if c.agents["old-S1"] == nil || c.unreachable["old-S1"] != nil {
		t.Fatal("the unreachable agent could not reregister")
	}
}

// An agent the operator marks gone loses its tasks for good
// (TASK_GONE_BY_OPERATOR for a partition-aware framework), is told to shut
// down, and is refused if it tries to come back.
func TestCoreMarkAgentGone(t *testing.T) {
	c := newCore(t, nil)
	register(t, c, partitionAware("f"))
	registerAgent(t, c, "cpus:2;mem:1024")
	task := runTask(t, c)
	used := resources.MustParse("cpus:1;mem:128").Upgrade().Allocate("*")

	now := t0.Add(time.Minute)
	got, err := c.MarkAgentGone(now, testAgent)
	if err != nil {
		t.Fatal(err)
	}
	// Written first; a reregistration meanwhile is dropped.
	expect(t, "mark gone", got, []effect.Effect{RegistryApply{Seq: 2, Op: MarkSlaveGone{ID: testAgent, Time: now}}})
	info := agentInfo("cpus:2;mem:1024")
	info.Id = slaveID(testAgent)
	expect(t, "reregistration while marking", c.Receive(now, agentPID, &mesosinternal.ReregisterSlaveMessage{Slave: info, Version: proto.String("1.11.0")}), nil)
	expect(t, "gone", c.RegistryApplied(now, 2, nil), []effect.Effect{
		sendTo(agentPID, &mesosinternal.ShutdownMessage{Message: proto.String("Agent has been marked gone")}),
		AllocRemoveSlave{AgentID: testAgent},
		effect.CancelTimer{Key: "ping/" + testAgent},
		AllocRecoverResources{FrameworkID: testFID, AgentID: testAgent, Resources: used},
		update(updateSpec{agentID: testAgent, taskID: "t1", state: mesos.TaskState_TASK_GONE_BY_OPERATOR,
			message: "Agent has been marked gone", reason: mesos.TaskStatus_REASON_SLAVE_REMOVED_BY_OPERATOR, now: now}),
		effect.Unlink{PID: agentPID},
		sendTo(schedPID, &mesosinternal.LostSlaveMessage{SlaveId: slaveID(testAgent)}),
	})
	if v := c.View(); len(v.Gone) != 1 || v.Gone[0] != testAgent || len(v.Agents) != 0 {
		t.Fatalf("gone %v, agents %v", v.Gone, v.Agents)
	}
	if got, err := c.MarkAgentGone(now, testAgent); err != nil || len(got) != 0 {
		t.Fatalf("marking it gone again: %v, %v", describeAll(got), err)
	}
	for _, id := range []string{"", "nobody-S3"} {
		if _, err := c.MarkAgentGone(now, id); err == nil {
			t.Errorf("MarkAgentGone(%q): no error", id)
		}
	}

	expect(t, "comes back", stored(t, c, now, c.Receive(now, agentPID, &mesosinternal.ReregisterSlaveMessage{
		Slave: info, Version: proto.String("1.11.0"), Tasks: []*mesos.Task{task},
	})), []effect.Effect{
		sendTo(agentPID, &mesosinternal.ShutdownMessage{Message: proto.String("Agent has been marked gone")}),
	})
	if c.agents[testAgent] != nil {
		t.Fatal("a gone agent reregistered")
	}
}

// FaultToleranceTest: a disconnected framework's tasks keep running until
// its failover timeout; then they are killed (the agent is told to shut
// the framework down) and the framework is removed.
func TestCoreFailoverTimeoutKillsTasksOnlyAfterIt(t *testing.T) {
	c := newCore(t, nil)
	info := frameworkInfo("f")
	info.FailoverTimeout = proto.Float64(60)
	register(t, c, info)
	registerAgent(t, c, "cpus:2;mem:1024")
	runTask(t, c)

	got := c.Exited(t0, schedPID)
	for _, e := range got {
		if s, ok := e.(effect.Send); ok && s.To == agentPID {
			t.Fatalf("the agent was told something when the scheduler disconnected: %s", describe(e))
		}
	}
	if c.frameworks[testFID].tasks["t1"].GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatal("task not running while the framework may fail over")
	}
	got = stored(t, c, t0.Add(time.Minute), c.Timer(t0.Add(time.Minute), "failover/"+testFID))
	var shutdown bool
	for _, e := range got {
		if s, ok := e.(effect.Send); ok && s.To == agentPID {
			_, shutdown = s.Msg.(*mesosinternal.ShutdownFrameworkMessage)
		}
	}
	if !shutdown || c.frameworks[testFID] != nil || len(c.completed) != 1 {
		t.Fatalf("framework not removed at its failover timeout: %v", describeAll(got))
	}
	if st := c.completed[0].completedTasks.get("t1").GetState(); st != mesos.TaskState_TASK_KILLED {
		t.Fatalf("task %v, want TASK_KILLED", st)
	}
}

// An agent whose link broke and that never comes back: a checkpointing
// framework's task waits for it (no update at the disconnect), the agent
// is still pinged (connected=false), and after max_agent_ping_timeouts
// silent pings the task is TASK_LOST with REASON_SLAVE_REMOVED.
func TestCoreDisconnectedAgentThatNeverReturns(t *testing.T) {
	c := newCore(t, func(cfg *Config) { cfg.MaxAgentPingTimeouts = 2 })
	info := frameworkInfo("f")
	info.Checkpoint = proto.Bool(true)
	register(t, c, info)
	registerAgent(t, c, "cpus:2;mem:1024")
	runTask(t, c)
	used := resources.MustParse("cpus:1;mem:128").Upgrade().Allocate("*")

	expect(t, "link broke", c.Exited(t0, agentPID), []effect.Effect{
		AllocDeactivateSlave{AgentID: testAgent},
		effect.StartTimer{Key: "reregister/" + testAgent, After: DefaultAgentReregisterTimeout},
	})
	now := t0.Add(DefaultAgentPingTimeout)
	expect(t, "first silent ping", stored(t, c, now, c.Timer(now, "ping/"+testAgent)), []effect.Effect{
		effect.StartTimer{Key: "ping/" + testAgent, After: DefaultAgentPingTimeout},
		sendTo(agentPID, &mesosinternal.PingSlaveMessage{Connected: proto.Bool(false)}),
	})
	now = now.Add(DefaultAgentPingTimeout)
	expect(t, "second silent ping", stored(t, c, now, c.Timer(now, "ping/"+testAgent)), []effect.Effect{
		AllocRemoveSlave{AgentID: testAgent},
		effect.CancelTimer{Key: "ping/" + testAgent},
		effect.CancelTimer{Key: "reregister/" + testAgent},
		AllocRecoverResources{FrameworkID: testFID, AgentID: testAgent, Resources: used},
		update(updateSpec{agentID: testAgent, taskID: "t1", state: mesos.TaskState_TASK_LOST,
			message: "health check timed out", reason: mesos.TaskStatus_REASON_SLAVE_REMOVED, unreachable: &now, now: now}),
		effect.Unlink{PID: agentPID},
		sendTo(schedPID, &mesosinternal.LostSlaveMessage{SlaveId: slaveID(testAgent)}),
	})
	expect(t, "stale reregister timer", stored(t, c, t0.Add(DefaultAgentReregisterTimeout), c.Timer(t0.Add(DefaultAgentReregisterTimeout), "reregister/"+testAgent)), nil)
}

// An unreachable agent marked gone: its unreachable tasks are completed
// as TASK_GONE_BY_OPERATOR and it may not come back.
func TestCoreMarkUnreachableAgentGone(t *testing.T) {
	c := newCore(t, func(cfg *Config) { cfg.MaxAgentPingTimeouts = 1 })
	register(t, c, partitionAware("f"))
	registerAgent(t, c, "cpus:2;mem:1024")
	runTask(t, c)
	stored(t, c, t0.Add(DefaultAgentPingTimeout), c.Timer(t0.Add(DefaultAgentPingTimeout), "ping/"+testAgent))
	if c.unreachable[testAgent] == nil {
		t.Fatal("agent not unreachable")
	}
	got, err := c.MarkAgentGone(t0.Add(time.Hour), testAgent)
	if err != nil {
		t.Fatal(err)
	}
	if got = stored(t, c, t0.Add(time.Hour), got); len(got) != 0 {
		t.Fatalf("gone: %v", describeAll(got))
	}
	f := c.frameworks[testFID]
	if f.unreachableTasks.get("t1") != nil || f.completedTasks.get("t1").GetState() != mesos.TaskState_TASK_GONE_BY_OPERATOR {
		t.Fatalf("task after gone: unreachable %v, completed %v", f.unreachableTasks.get("t1"), f.completedTasks.get("t1"))
	}
	if v := c.View(); len(v.Unreachable) != 0 || len(v.Gone) != 1 {
		t.Fatalf("unreachable %v, gone %v", v.Unreachable, v.Gone)
	}
}
