package slave

import (
	"fmt"
	"testing"

	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// runName is the launched task of executor i: a command executor's (named
// as its task) for even i.
func runName(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("e%d", i)
	}
	return fmt.Sprintf("run-e%d", i)
}

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
		e.addLaunched(taskInfo(runName(i)))
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
			for _, tid := range []string{runName(i), "queued-" + id} {
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
	// A task claimed by two executors goes to the first created, be it
	// named as the task or not.
	live[3].enqueue(taskInfo(runName(5)))
	live[7].enqueue(taskInfo(runName(4)))
	if got := f.executorOf(runName(5)); got != live[3] {
		t.Fatalf("shared task: got %s, want e3", got.id)
	}
	if got := f.executorOf(runName(4)); got != live[4] {
		t.Fatalf("shared task: got %s, want e4", got.id)
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

// With few executors too, a task two of them claim goes to the first
// created, even when the later one is named as the task.
func TestFrameworkSharedTaskGoesToTheFirstExecutor(t *testing.T) {
	f := newFramework(&mesos.FrameworkInfo{Id: &mesos.FrameworkID{Value: proto.String("fw")}}, coreMaster)
	var es []*executor
	for _, id := range []string{"a", "t"} {
		e := newExecutor(f, &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String(id)}}, false, "c"+id, "")
		f.addExecutor(e)
		es = append(es, e)
	}
	es[1].addLaunched(&mesos.TaskInfo{TaskId: &mesos.TaskID{Value: proto.String("t")}, SlaveId: &mesos.SlaveID{Value: proto.String("s")}})
	if got := f.executorOf("t"); got != es[1] {
		t.Fatalf("task t: got %p, want executor t", got)
	}
	es[0].enqueue(&mesos.TaskInfo{TaskId: &mesos.TaskID{Value: proto.String("t")}})
	if got := f.executorOf("t"); got != es[0] {
		t.Fatalf("shared task t: got %p, want executor a", got)
	}
}
