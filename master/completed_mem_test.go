package master

import (
	"runtime"
	"testing"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/scheduler"
)

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// finishScale ends every task of s built with perAgent tasks an agent:
// the agent reports FINISHED and the scheduler acknowledges it, so the
// master keeps the task as completed.
func finishScale(tb testing.TB, s *scale, perAgent int) {
	tb.Helper()
	fwPID := map[string]actors.PID{}
	for i, fid := range s.frameworks {
		fwPID[fid] = s.fwPIDs[i]
	}
	for k, task := range s.tasks {
		fid, aid, tid := task[0], task[1], task[2]
		from := s.agentPIDs[k/perAgent]
		u := scaleUpdate(from, aid, fid, tid, mesos.TaskState_TASK_FINISHED, uint64(2e6+k))
		scaleStored(s.c, s.c.Receive(t0, from, u))
		ack := call(fid, scheduler.Call_ACKNOWLEDGE)
		ack.Acknowledge = &scheduler.Call_Acknowledge{
			SlaveId: slaveID(aid),
			TaskId:  &mesos.TaskID{Value: u.Update.Status.TaskId.Value},
			Uuid:    append([]byte(nil), u.Update.GetUuid()...),
		}
		scaleStored(s.c, s.c.Receive(t0, fwPID[fid], ack))
	}
}

func TestFinishScaleCompletes(t *testing.T) {
	s := buildScale(t, 20, 3, 5)
	finishScale(t, s, 5)
	n := 0
	for _, f := range s.c.View().Frameworks {
		if len(f.Tasks) != 0 {
			t.Fatalf("framework %s still has %d tasks", f.ID, len(f.Tasks))
		}
		for _, task := range f.CompletedTasks {
			if task.GetState() != mesos.TaskState_TASK_FINISHED {
				t.Fatalf("completed task %s is %s", task.GetTaskId().GetValue(), task.GetState())
			}
			n++
		}
	}
	if n != 100 {
		t.Fatalf("%d completed tasks, want 100", n)
	}
}

// The master's heap per completed task: 20,000 tasks run and finish on
// 2,000 agents (20 frameworks); the heap they leave behind, over the
// heap of the same cluster before any task, per task.
//
//	go test -run '^$' -bench BenchmarkCompletedTaskHeap -benchtime 1x ./master/
func BenchmarkCompletedTaskHeap(b *testing.B) {
	const agents, frameworks, perAgent = 2000, 20, 10
	for i := 0; i < b.N; i++ {
		empty := buildScale(b, agents, frameworks, 0)
		before := liveHeap()
		runtime.KeepAlive(empty)
		empty = nil
		s := buildScale(b, agents, frameworks, perAgent)
		finishScale(b, s, perAgent)
		s.tasks = nil
		after := liveHeap()
		runtime.KeepAlive(s)
		b.ReportMetric(float64(after-before)/float64(agents*perAgent), "heap-B/task")
	}
}
