package slave

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// BenchmarkExecutorManyTasks measures the agent's records for one
// executor holding n launched tasks: per task, finding its executor, a
// RUNNING update, a FINISHED update and the acknowledgement that
// completes it. The cost per task should not grow with n.
func BenchmarkExecutorManyTasks(b *testing.B) {
	for _, n := range []int{10, 100, 2000, 8000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchExecutorTasks(b, n) })
	}
}

func benchExecutorTasks(b *testing.B, n int) {
	defer func(v bool) { checkTaskIndex = v }(checkTaskIndex)
	checkTaskIndex = false // the check scans: it would measure itself
	f := newFramework(&mesos.FrameworkInfo{Id: &mesos.FrameworkID{Value: proto.String("fw")}}, coreMaster)
	ids := make([]string, n)
	infos := make([]*mesos.TaskInfo, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("task-%d", i)
		infos[i] = &mesos.TaskInfo{TaskId: &mesos.TaskID{Value: proto.String(ids[i])}, SlaveId: &mesos.SlaveID{Value: proto.String("s")}}
	}
	status := func(id string, s mesos.TaskState) *mesos.TaskStatus {
		return &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String(id)}, State: s.Enum()}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for r := 0; r < b.N; r++ {
		b.StopTimer()
		e := newExecutor(f, &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("e")}}, false, "c", "")
		f.addExecutor(e)
		for _, t := range infos {
			e.addLaunched(t)
		}
		running := make([]*mesos.TaskStatus, n)
		finished := make([]*mesos.TaskStatus, n)
		for i, id := range ids {
			running[i], finished[i] = status(id, mesos.TaskState_TASK_RUNNING), status(id, mesos.TaskState_TASK_FINISHED)
		}
		b.StartTimer()
		for i, id := range ids {
			if err := f.executorOf(id).updateTaskState(running[i]); err != nil {
				b.Fatal(err)
			}
		}
		for i, id := range ids {
			if err := f.executorOf(id).updateTaskState(finished[i]); err != nil {
				b.Fatal(err)
			}
		}
		for _, id := range ids {
			f.executorOf(id).completeTask(id)
		}
		b.StopTimer()
		if e.incompleteTasks() {
			b.Fatal("tasks left")
		}
		f.destroyExecutor("e")
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
}

// BenchmarkExecutorQueue measures n tasks queued on one executor and then
// sent in arrival order (dequeue, then addLaunched), as sendQueued does
// once the executor registers. The cost per task should not grow with n.
func BenchmarkExecutorQueue(b *testing.B) {
	for _, n := range []int{10, 100, 2000, 8000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchExecutorQueue(b, n) })
	}
}

func benchExecutorQueue(b *testing.B, n int) {
	defer func(v bool) { checkTaskIndex = v }(checkTaskIndex)
	checkTaskIndex = false
	f := newFramework(&mesos.FrameworkInfo{Id: &mesos.FrameworkID{Value: proto.String("fw")}}, coreMaster)
	ids := make([]string, n)
	infos := make([]*mesos.TaskInfo, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("task-%d", i)
		infos[i] = &mesos.TaskInfo{TaskId: &mesos.TaskID{Value: proto.String(ids[i])}, SlaveId: &mesos.SlaveID{Value: proto.String("s")}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for r := 0; r < b.N; r++ {
		b.StopTimer()
		e := newExecutor(f, &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("e")}}, false, "c", "")
		f.addExecutor(e)
		for _, t := range infos {
			e.enqueue(t)
		}
		b.StartTimer()
		for _, id := range ids {
			e.addLaunched(e.dequeue(id))
		}
		b.StopTimer()
		if len(e.queued) != 0 || len(e.launchedTasks()) != n {
			b.Fatal("tasks not all launched")
		}
		f.destroyExecutor("e")
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
}
