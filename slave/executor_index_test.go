package slave

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// An executor indexes its tasks by id past manyTasks and drops the index
// as they complete: lookups must give the same answers on both sides of
// the threshold, and lists keep launch order.
func TestExecutorFindsTasksAcrossTheIndexThreshold(t *testing.T) {
	f := newFramework(&mesos.FrameworkInfo{Id: &mesos.FrameworkID{Value: proto.String("fw")}}, coreMaster)
	other := newExecutor(f, &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("other")}}, false, "c0", "")
	f.addExecutor(other)
	e := newExecutor(f, &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("e")}}, false, "c1", "")
	f.addExecutor(e)
	info := func(id string) *mesos.TaskInfo {
		return &mesos.TaskInfo{TaskId: &mesos.TaskID{Value: proto.String(id)}, SlaveId: &mesos.SlaveID{Value: proto.String("s")}}
	}
	update := func(id string, s mesos.TaskState) {
		t.Helper()
		if err := e.updateTaskState(&mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String(id)}, State: s.Enum()}); err != nil {
			t.Fatalf("update %s %s: %v", id, s, err)
		}
	}
	// The model: each task's kind ("queued", "launched", "terminated",
	// "dropped": terminated while queued), and the launched ones in
	// launch order.
	kind := map[string]string{}
	var order []string
	const n = 3 * manyTasks
	name := func(i int) string { return fmt.Sprintf("t%d", i) }
	check := func(step string) {
		t.Helper()
		var launched, terminated, dropped []string
		for _, id := range order {
			switch kind[id] {
			case "launched":
				launched = append(launched, id)
			case "terminated":
				terminated = append(terminated, id)
			}
		}
		for id, k := range kind {
			if k == "dropped" {
				dropped = append(dropped, id)
			}
		}
		sort.Strings(dropped) // listed last, by id
		terminated = append(terminated, dropped...)
		for i := 0; i < n; i++ {
			id := name(i)
			k := kind[id]
			if got := e.hasTask(id); got != (k != "") {
				t.Fatalf("%s: hasTask(%s) = %v, task is %q", step, id, got, k)
			}
			if got := e.queuedIndex(id) >= 0; got != (k == "queued") {
				t.Fatalf("%s: task %s queued = %v, task is %q", step, id, got, k)
			}
			if got := e.launchedTask(id) != nil; got != (k == "launched") {
				t.Fatalf("%s: task %s launched = %v, task is %q", step, id, got, k)
			}
			if got := e.terminatedTask(id) != nil; got != (k == "terminated" || k == "dropped") {
				t.Fatalf("%s: task %s terminated = %v, task is %q", step, id, got, k)
			}
			want := e
			if k == "" {
				want = nil
			}
			if got := f.executorOf(id); got != want {
				t.Fatalf("%s: executor of %s = %p, want %p", step, id, got, want)
			}
		}
		if got := taskIDs(e.launchedTasks()); !reflect.DeepEqual(got, launched) {
			t.Fatalf("%s: launched tasks %v, want %v", step, got, launched)
		}
		if got := taskIDs(e.terminatedTasks()); !reflect.DeepEqual(got, terminated) {
			t.Fatalf("%s: terminated tasks %v, want %v", step, got, terminated)
		}
		if got := e.incompleteTasks(); got != (len(kind) > 0) {
			t.Fatalf("%s: incompleteTasks = %v with %d tasks", step, got, len(kind))
		}
	}
	// Queue and launch alternately up to past the threshold.
	for i := 0; i < n; i++ {
		id := name(i)
		if i%3 == 0 {
			e.enqueue(info(id))
			kind[id] = "queued"
		} else {
			e.addLaunched(info(id))
			kind[id] = "launched"
			order = append(order, id)
			update(id, mesos.TaskState_TASK_RUNNING)
		}
		check("add " + id)
	}
	if e.index() == nil {
		t.Fatalf("%d tasks and no index", n)
	}
	// Launch some queued tasks, drop others.
	for i := 0; i < n; i += 3 {
		id := name(i)
		if i%2 == 0 {
			e.dequeue(id)
			e.addLaunched(info(id))
			kind[id] = "launched"
			order = append(order, id)
		} else {
			update(id, mesos.TaskState_TASK_KILLED)
			kind[id] = "dropped"
		}
		check("dequeue " + id)
	}
	// Terminate and complete every task but t1, in a scattered order.
	for i := 0; i < n; i++ {
		id := name((i*7 + n/2) % n)
		if id == name(1) {
			continue
		}
		if kind[id] == "launched" {
			update(id, mesos.TaskState_TASK_FINISHED)
			kind[id] = "terminated"
			check("terminate " + id)
		}
		e.completeTask(id)
		delete(kind, id)
		order = slices.DeleteFunc(order, func(x string) bool { return x == id })
		check("complete " + id)
	}
	if e.index() != nil || e.gaps() != 0 || len(e.tasks) != 1 {
		t.Fatalf("one task left: index %v, %d gaps, %d entries", e.index() != nil, e.gaps(), len(e.tasks))
	}
	// Past the threshold again, from the one left.
	for i := 2; i < n-1; i++ {
		id := name(i)
		e.addLaunched(info(id))
		kind[id] = "launched"
		order = append(order, id)
		check("relaunch " + id)
	}
}

func taskIDs(ts []*mesos.Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.GetTaskId().GetValue())
	}
	return out
}
