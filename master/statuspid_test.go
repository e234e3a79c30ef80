package master

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// The scheduler acknowledges a status update to the PID the update
// names: the agent's own while it is the agent's, the named one once the
// agent has moved to another PID, even though agents send one string for
// all their updates.
func TestCoreForwardsUpdatesWithTheirSendersPID(t *testing.T) {
	c := newCore(t, nil)
	register(t, c, frameworkInfo("f"))
	registerAgent(t, c, "cpus:2;mem:1024")
	task := runTask(t, c)

	oldText := proto.String(agentPID.String()) // one string, as an agent sends it
	n := byte(0)
	forwardedPid := func(from actors.PID, text *string, state mesos.TaskState) string {
		t.Helper()
		n++
		u := []byte("0123456789abcde")
		u = append(u, n)
		got := c.Receive(t0, from, &mesosinternal.StatusUpdateMessage{
			Pid: text,
			Update: &mesosinternal.StatusUpdate{
				FrameworkId: frameworkID(testFID), SlaveId: slaveID(testAgent), Timestamp: proto.Float64(1), Uuid: u,
				Status: &mesos.TaskStatus{
					TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: state.Enum(),
					Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(), SlaveId: slaveID(testAgent), Uuid: u,
				},
			},
		})
		for _, e := range got {
			if s, ok := e.(effect.Send); ok && s.To == schedPID {
				if m, ok := s.Msg.(*mesosinternal.StatusUpdateMessage); ok {
					return m.GetPid()
				}
			}
		}
		t.Fatalf("no update forwarded in %v", describeAll(got))
		return ""
	}

	for i := 0; i < 2; i++ {
		if got := forwardedPid(agentPID, oldText, mesos.TaskState_TASK_RUNNING); got != agentPID.String() {
			t.Fatalf("forwarded with pid %q, want the agent's %q", got, agentPID.String())
		}
	}

	// The agent reregisters from another PID.
	moved := actors.PID{ID: "slave(2)", Address: "127.0.0.1:50001"}
	ai := agentInfo("cpus:2;mem:1024")
	ai.Id = slaveID(testAgent)
	task.State = mesos.TaskState_TASK_RUNNING.Enum()
	stored(t, c, t0, c.Receive(t0, moved, &mesosinternal.ReregisterSlaveMessage{Slave: ai, Version: proto.String("1.11.0"), Tasks: []*mesos.Task{task}}))
	if c.agents[testAgent].pid != moved {
		t.Fatalf("agent's pid %v, want %v", c.agents[testAgent].pid, moved)
	}

	if got := forwardedPid(moved, oldText, mesos.TaskState_TASK_RUNNING); got != agentPID.String() {
		t.Fatalf("an update naming the old PID was forwarded with pid %q, want %q", got, agentPID.String())
	}
	if got := forwardedPid(moved, proto.String(moved.String()), mesos.TaskState_TASK_RUNNING); got != moved.String() {
		t.Fatalf("forwarded with pid %q, want the agent's new %q", got, moved.String())
	}
}
