package slave

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// BenchmarkExecutorTasksEnding measures one executor's n tasks (cpus and
// mem each) ending one by one in launch order, each end followed by the
// container's resources, as a terminal update asks for them. Reported
// per task: it should not grow with n.
func BenchmarkExecutorTasksEnding(b *testing.B) {
	for _, n := range []int{1000, 8000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchTasksEnding(b, n) })
	}
}

func benchTasksEnding(b *testing.B, n int) {
	defer func(v bool) { checkTaskIndex = v }(checkTaskIndex)
	checkTaskIndex = false // the check scans: it would measure itself
	f := newFramework(&mesos.FrameworkInfo{Id: &mesos.FrameworkID{Value: proto.String("fw")}}, coreMaster)
	scalar := func(name string, v float64) *mesos.Resource {
		return &mesos.Resource{Name: proto.String(name), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
	}
	infos := make([]*mesos.TaskInfo, n)
	for i := range infos {
		infos[i] = &mesos.TaskInfo{TaskId: &mesos.TaskID{Value: proto.String(fmt.Sprintf("task-%d", i))},
			SlaveId: &mesos.SlaveID{Value: proto.String("s")}, Resources: []*mesos.Resource{scalar("cpus", 0.1), scalar("mem", 32)}}
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
		e.allocated()
		finished := make([]*mesos.TaskStatus, n)
		for i, t := range infos {
			finished[i] = &mesos.TaskStatus{TaskId: t.TaskId, State: mesos.TaskState_TASK_FINISHED.Enum()}
		}
		b.StartTimer()
		for _, st := range finished {
			if err := e.updateTaskState(st); err != nil {
				b.Fatal(err)
			}
			e.allocated()
		}
		b.StopTimer()
		f.destroyExecutor("e")
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/task")
}
