package tests

import (
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
