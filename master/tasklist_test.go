package master

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

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
