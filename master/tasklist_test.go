package master

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
)

// A bounded task list keeps the newest tasks, oldest first, through
// wrapping, re-adding a listed id and removals.
func TestTaskListOrder(t *testing.T) {
	task := func(id string) *mesos.Task { return &mesos.Task{TaskId: &mesos.TaskID{Value: proto.String(id)}} }
	ids := func(l *taskList) []string {
		var out []string
		for _, t := range l.list() {
			out = append(out, t.GetTaskId().GetValue())
		}
		for i := range l.len() {
			if got := l.at(i).GetTaskId().GetValue(); got != out[i] {
				t.Fatalf("at(%d) = %s, list has %s", i, got, out[i])
			}
		}
		if len(l.byID) != len(out) {
			t.Fatalf("%d tasks by id, %d listed", len(l.byID), len(out))
		}
		return out
	}
	check := func(l *taskList, want ...string) {
		t.Helper()
		if got := ids(l); !slices.Equal(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
		last := ""
		if len(want) > 0 {
			last = want[len(want)-1]
		}
		if l.lastID() != last {
			t.Fatalf("last %q, want %q", l.lastID(), last)
		}
	}
	l := newTaskList(3)
	for i := range 5 {
		l.add(task(fmt.Sprint(i)))
	}
	check(l, "2", "3", "4")
	l.add(task("3")) // listed: moves to the end
	check(l, "2", "4", "3")
	l.add(task("5"))
	l.add(task("6"))
	check(l, "3", "5", "6")
	if l.get("2") != nil || l.get("5") == nil {
		t.Fatal("dropped task still found, or listed one not")
	}
	if l.remove("5") == nil || l.remove("5") != nil {
		t.Fatal("remove")
	}
	check(l, "3", "6")
	l.add(task("7"))
	l.add(task("8"))
	check(l, "6", "7", "8")
	l.remove("8")
	l.remove("6")
	check(l, "7")
	check(newTaskList(0))
}

// An agent's tasks: one record per framework and task id (the same task
// id of another framework is another task), listed by framework and id.
func TestAgentTasks(t *testing.T) {
	task := func(fid, tid string) *mesos.Task {
		return &mesos.Task{FrameworkId: frameworkID(fid), TaskId: &mesos.TaskID{Value: proto.String(tid)}}
	}
	a := newAgent("a1", &mesos.SlaveInfo{}, actors.PID{})
	list := func() string {
		var out []string
		for _, fid := range a.tasks.frameworks() {
			for _, t := range a.tasks.of(fid) {
				out = append(out, fid+"/"+t.GetTaskId().GetValue())
			}
		}
		return fmt.Sprint(out)
	}
	f2t1 := task("f2", "t1")
	for _, x := range []*mesos.Task{task("f2", "t2"), task("f1", "t3"), f2t1, task("f1", "t1")} {
		a.addTask(x)
	}
	if got, want := list(), "[f1/t1 f1/t3 f2/t1 f2/t2]"; got != want {
		t.Fatalf("tasks %s, want %s", got, want)
	}
	again := task("f2", "t1")
	a.addTask(again) // in place of the first record
	if a.task("f2", "t1") != again || a.task("f1", "t1") == again || a.task("f3", "t1") != nil || a.task("f2", "t9") != nil {
		t.Fatalf("lookups after adding f2/t1 again: %v", list())
	}
	if got, want := list(), "[f1/t1 f1/t3 f2/t1 f2/t2]"; got != want {
		t.Fatalf("tasks %s, want %s", got, want)
	}
	a.removeTaskIf(f2t1, true) // not the agent's record any more
	if a.task("f2", "t1") != again {
		t.Fatalf("a replaced record removed the agent's")
	}
	a.removeTaskIf(again, true)
	a.removeTask(task("f1", "t3")) // another record of the same id
	if got, want := list(), "[f1/t1 f2/t2]"; got != want {
		t.Fatalf("tasks %s, want %s", got, want)
	}
	if got := a.frameworkIDs(); !slices.Equal(got, []string{"f1", "f2"}) {
		t.Fatalf("frameworks %v", got)
	}
}

// A long list of an agent's tasks (indexed) finds, replaces and removes
// them as a short one does, through growing and shrinking.
func TestAgentTasksLong(t *testing.T) {
	task := func(fid string, i int) *mesos.Task {
		return &mesos.Task{FrameworkId: frameworkID(fid), TaskId: &mesos.TaskID{Value: proto.String(fmt.Sprintf("t%03d", i))}}
	}
	a := newAgent("a1", &mesos.SlaveInfo{}, actors.PID{})
	recs := map[string]*mesos.Task{}
	const n = 3 * indexFrom
	for i := range n {
		for _, fid := range []string{"f1", "f2"} {
			x := task(fid, i)
			a.addTask(x)
			recs[fid+"/"+x.GetTaskId().GetValue()] = x
		}
	}
	check := func(step string) {
		t.Helper()
		if len(a.tasks.list) != len(recs) {
			t.Fatalf("%s: %d tasks listed, want %d", step, len(a.tasks.list), len(recs))
		}
		for k, x := range recs {
			fid, tid, _ := strings.Cut(k, "/")
			if a.task(fid, tid) != x {
				t.Fatalf("%s: %s not found", step, k)
			}
		}
		if a.task("f3", "t001") != nil || a.task("f1", "t999") != nil {
			t.Fatalf("%s: found a task never added", step)
		}
	}
	check("added")
	again := task("f1", 7)
	a.addTask(again)
	recs["f1/t007"] = again
	check("replaced")
	for i := range n {
		for _, fid := range []string{"f2", "f1"} {
			if fid == "f1" && i >= n-3 {
				continue
			}
			k := fmt.Sprintf("%s/t%03d", fid, i)
			a.removeTaskIf(task(fid, i), true) // another record: stays
			a.removeTaskIf(recs[k], true)
			delete(recs, k)
		}
		if i%16 == 0 {
			check(fmt.Sprintf("removed up to %d", i))
		}
	}
	check("removed")
	if a.tasks.index != nil {
		t.Fatalf("a short list kept its index")
	}
}
