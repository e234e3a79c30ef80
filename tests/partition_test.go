package tests

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/tests/harness"
)

// PartitionTest.ReregisterSlavePartitionAware: the agent's pongs are
// dropped until the master marks it unreachable. The partition-aware
// framework gets TASK_UNREACHABLE with the marking time and slaveLost;
// when the partition heals, the agent (no longer pinged) reregisters and
// the task is TASK_RUNNING again with REASON_SLAVE_REREGISTERED.
func TestPartitionedAgentComesBack(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 1, Master: func(cfg *master.Config) {
		cfg.AgentPingTimeout = time.Second
		cfg.MaxAgentPingTimeouts = 2
	}})
	c.WaitAgents(1, wait)
	fw := &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("partition-aware"),
		Capabilities: []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE.Enum()}}}
	s, d := startFramework(t, c, fw)
	o := harness.Recv(t, s.Offers, wait, "offers")[0]
	d.LaunchTasks([]*mesos.OfferID{o.GetId()}, []*mesos.TaskInfo{customTask(t, "t1", o, "")}, nil)
	if st := harness.Recv(t, s.Updates, wait, "TASK_RUNNING"); st.GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("got %v, want TASK_RUNNING", st.GetState())
	}

	heal := c.Node.Filters().Drop(actors.Match{Type: actors.TypeOf[*mesosinternal.PongSlaveMessage]()})
	healed := false
	defer func() {
		if !healed {
			heal()
		}
	}()
	st := harness.Recv(t, s.Updates, wait, "TASK_UNREACHABLE")
	if st.GetState() != mesos.TaskState_TASK_UNREACHABLE || st.GetReason() != mesos.TaskStatus_REASON_SLAVE_REMOVED ||
		st.GetSource() != mesos.TaskStatus_SOURCE_MASTER || st.GetUnreachableTime() == nil {
		t.Fatalf("got %v %v %v unreachable_time %v", st.GetState(), st.GetReason(), st.GetSource(), st.GetUnreachableTime())
	}
	if id := harness.Recv(t, s.Lost, wait, "slaveLost"); id.GetValue() != o.GetSlaveId().GetValue() {
		t.Fatalf("slaveLost(%s), want %s", id.GetValue(), o.GetSlaveId().GetValue())
	}

	heal()
	healed = true
	st = harness.Recv(t, s.Updates, wait, "TASK_RUNNING again")
	if st.GetState() != mesos.TaskState_TASK_RUNNING || st.GetReason() != mesos.TaskStatus_REASON_SLAVE_REREGISTERED {
		t.Fatalf("got %v %v, want TASK_RUNNING REASON_SLAVE_REREGISTERED", st.GetState(), st.GetReason())
	}
	state, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	if state["unreachable_slaves"] != float64(0) || taskState(state, "t1") != "TASK_RUNNING" {
		t.Fatalf("after the partition: unreachable_slaves %v, t1 %q", state["unreachable_slaves"], taskState(state, "t1"))
	}
}

// FaultToleranceTest.SchedulerFailover with a running task: a scheduler
// that goes away (Stop(true)) leaves its task running; a new scheduler with
// the same FrameworkID within failover_timeout finds it through implicit
// reconciliation. When that one goes away for longer than the timeout, the
// framework is removed and its task killed.
func TestFailoverTimeoutKeepsTasksUntilItEnds(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 1})
	c.WaitAgents(1, wait)
	fw := &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("fo"), FailoverTimeout: proto.Float64(3600)}
	s1, d1 := startFramework(t, c, fw)
	o := harness.Recv(t, s1.Offers, wait, "offers")[0]
	d1.LaunchTasks([]*mesos.OfferID{o.GetId()}, []*mesos.TaskInfo{customTask(t, "t1", o, "")}, nil)
	if st := harness.Recv(t, s1.Updates, wait, "TASK_RUNNING"); st.GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("got %v, want TASK_RUNNING", st.GetState())
	}
	id := o.GetFrameworkId()
	disconnected := func() bool {
		st, err := c.State()
		if err != nil {
			return false
		}
		fws, _ := st["frameworks"].([]any)
		return len(fws) == 1 && fws[0].(map[string]any)["connected"] == false && taskState(st, "t1") == "TASK_RUNNING"
	}
	if st, _ := d1.(interface {
		Stop(bool) (mesos.Status, error)
	}).Stop(true); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Stop(true) = %v", st)
	}
	harness.Eventually(t, wait, disconnected, "the framework disconnected with its task running")

	// A new scheduler takes over in time and asks what runs.
	fw2 := proto.Clone(fw).(*mesos.FrameworkInfo)
	fw2.Id, fw2.FailoverTimeout = id, proto.Float64(1)
	s2 := harness.NewSched()
	d2 := c.Driver(s2.AsScheduler(), fw2)
	d2.Start()
	if got := harness.Recv(t, s2.Registered, wait, "sched2 registered"); got.GetValue() != id.GetValue() {
		t.Fatalf("sched2 registered as %s, want %s", got.GetValue(), id.GetValue())
	}
	d2.ReconcileTasks(nil)
	st := harness.Recv(t, s2.Updates, wait, "reconciliation")
	if st.GetTaskId().GetValue() != "t1" || st.GetState() != mesos.TaskState_TASK_RUNNING || st.GetReason() != mesos.TaskStatus_REASON_RECONCILIATION {
		t.Fatalf("reconciliation: %v %v %v", st.GetTaskId().GetValue(), st.GetState(), st.GetReason())
	}

	// It goes away too, past its one-second timeout: the task is killed.
	if st, _ := d2.Stop(true); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Stop(true) = %v", st)
	}
	harness.Eventually(t, wait, func() bool {
		st, err := c.State()
		if err != nil {
			return false
		}
		done, _ := st["completed_frameworks"].([]any)
		return len(done) == 1 && strings.Contains(harness.MustJSON(done), `"TASK_KILLED"`)
	}, "the framework removed and its task killed after the failover timeout")
}
