package slave

import (
	"fmt"
	"testing"

	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// A framework with many executors on the agent indexes them; lookups by
// executor id and by task id must find the same executors as with few.
func TestFrameworkFindsExecutorsAcrossTheIndexThreshold(t *testing.T) {
	f := newFramework(&mesos.FrameworkInfo{Id: &mesos.FrameworkID{Value: proto.String("fw")}}, coreMaster)
	taskInfo := func(id string) *mesos.TaskInfo {
		return &mesos.TaskInfo{TaskId: &mesos.TaskID{Value: proto.String(id)}, SlaveId: &mesos.SlaveID{Value: proto.String("s")}}
	}
	add := func(i int) *executor {
		id := fmt.Sprintf("e%d", i)
		e := newExecutor(f, &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String(id)}}, false, "c"+id, "")
		f.addExecutor(e)
		e.addLaunched(taskInfo("run-" + id))
		e.enqueue(taskInfo("queued-" + id))
		return e
	}
	check := func(live map[int]*executor) {
		t.Helper()
		for i := 0; i < 3*manyExecutors; i++ {
			id := fmt.Sprintf("e%d", i)
			want := live[i]
			if got := f.executor(id); got != want {
				t.Fatalf("executor %s: got %p, want %p", id, got, want)
			}
			for _, tid := range []string{"run-" + id, "queued-" + id} {
				if got := f.executorOf(tid); got != want {
					t.Fatalf("executor of task %s: got %p, want %p", tid, got, want)
				}
			}
		}
	}
	live := map[int]*executor{}
	for i := 0; i < 2*manyExecutors; i++ {
		live[i] = add(i)
		check(live)
	}
	// A task claimed by two executors goes to the first created.
	live[3].enqueue(taskInfo("run-e5"))
	if got := f.executorOf("run-e5"); got != live[3] {
		t.Fatalf("shared task: got %s, want e3", got.id)
	}
	for _, i := range []int{3, 0, 15, 7} {
		f.destroyExecutor(fmt.Sprintf("e%d", i))
		delete(live, i)
		check(live)
	}
	for i := 2 * manyExecutors; i < 3*manyExecutors; i++ {
		live[i] = add(i)
		check(live)
	}
	for i := range live {
		f.destroyExecutor(fmt.Sprintf("e%d", i))
		delete(live, i)
		check(live)
	}
	if !f.idle() || len(f.completedExecutors) != 3*manyExecutors {
		t.Fatalf("framework not idle or history wrong: %d executors, %d completed", len(f.executors), len(f.completedExecutors))
	}
}
