package sim

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
)

// fakeAgent registers the executor that registers with it, runs the tasks
// it is given on it, acknowledges every update, and keeps the states it
// was told, by task.
type fakeAgent struct {
	effect.Outbox
	exec   actors.PID
	states map[string][]mesos.TaskState
}

func (a *fakeAgent) Receive(_ time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	switch m := msg.(type) {
	case *mesosinternal.RegisterExecutorMessage:
		a.exec = from
		a.Send(from, &mesosinternal.ExecutorRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String("s1")}})
	case *mesosinternal.StatusUpdateMessage:
		st := m.GetUpdate().GetStatus()
		tid := st.GetTaskId().GetValue()
		a.states[tid] = append(a.states[tid], st.GetState())
		a.Send(from, &mesosinternal.StatusUpdateAcknowledgementMessage{TaskId: st.GetTaskId(), Uuid: m.GetUpdate().GetUuid()})
	}
	return a.Take()
}
func (a *fakeAgent) Timer(time.Time, string) []effect.Effect      { return nil }
func (a *fakeAgent) Exited(time.Time, actors.PID) []effect.Effect { return nil }

// An executor of the framework's own keeps each of its tasks' timers
// apart, however many it runs: each task runs and finishes, and a killed
// one ends killed and never finishes.
func TestExecutorRunsManyTasksEachToItsEnd(t *testing.T) {
	s := New(Options{Seed: 3, Latency: time.Millisecond})
	agent := &fakeAgent{states: map[string][]mesos.TaskState{}}
	pid := actors.PID{ID: "slave(1)", Address: "127.0.0.2:5051"}
	n, err := s.Add("agent1", pid, agent, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := &agentHost{s: s, node: n, plan: TaskPlan{Time: 10 * time.Second}, uuids: protocol.SequentialUUIDs(1), conts: map[string]*simContainer{}}
	c := &simContainer{id: "c-1", fid: "f1", eid: "e1", host: h, custom: true}
	h.conts[c.id] = c
	h.spawn(c)
	if err := s.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	const tasks = 7 // more than the keys made once
	for i := range tasks {
		tid := fmt.Sprintf("t%d", i)
		n.Post(0, func(time.Time) []effect.Effect {
			agent.Send(agent.exec, &mesosinternal.RunTaskMessage{Task: &mesos.TaskInfo{TaskId: &mesos.TaskID{Value: proto.String(tid)}}})
			return agent.Take()
		})
	}
	// The last task is killed once it runs, before it can end (a task
	// runs at least half the plan's time).
	if err := s.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	n.Post(0, func(time.Time) []effect.Effect {
		agent.Send(agent.exec, &mesosinternal.KillTaskMessage{TaskId: &mesos.TaskID{Value: proto.String("t6")}})
		return agent.Take()
	})
	if err := s.RunFor(time.Minute); err != nil {
		t.Fatal(err)
	}
	for i := range tasks {
		tid := fmt.Sprintf("t%d", i)
		want := fmt.Sprint([]mesos.TaskState{mesos.TaskState_TASK_RUNNING, mesos.TaskState_TASK_FINISHED})
		if i == tasks-1 {
			want = fmt.Sprint([]mesos.TaskState{mesos.TaskState_TASK_RUNNING, mesos.TaskState_TASK_KILLED})
		}
		if got := fmt.Sprint(agent.states[tid]); got != want {
			t.Errorf("task %s: states %s, want %s", tid, got, want)
		}
	}
	if c.core.gone {
		t.Error("a custom executor exited with no tasks left")
	}
}
