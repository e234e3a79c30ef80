package master

import (
	"fmt"
	"math"
	"math/rand"
	"net/url"
	"slices"
	"sort"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
)

// tasksBySort is /tasks by sorting every matching task, listed as the
// master lists them (frameworks by id, then completed frameworks; each
// one's active tasks by id, unreachable, completed): stably sorted
// ascending, reversed for descending, paged.
func tasksBySort(c *Core, q tasksQuery) []string {
	type entry struct {
		t  *mesos.Task
		at float64
	}
	var all []entry
	add := func(f *framework) {
		if q.frameworkID != "" && f.id != q.frameworkID {
			return
		}
		visit := func(t *mesos.Task) {
			if q.taskID != "" && t.GetTaskId().GetValue() != q.taskID {
				return
			}
			at := math.Inf(1)
			if len(t.GetStatuses()) > 0 {
				at = t.GetStatuses()[0].GetTimestamp()
			}
			all = append(all, entry{t, at})
		}
		for _, id := range sortedKeys(f.tasks) {
			visit(f.tasks[id])
		}
		for _, t := range f.unreachableTasks.list() {
			visit(t)
		}
		for _, t := range f.completedTasks.list() {
			visit(t)
		}
	}
	for _, id := range sortedKeys(c.frameworks) {
		add(c.frameworks[id])
	}
	for _, f := range c.completed {
		add(f)
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.at != b.at {
			return a.at < b.at
		}
		return a.t.GetTaskId().GetValue() < b.t.GetTaskId().GetValue()
	})
	if q.descending {
		slices.Reverse(all)
	}
	out := []string{}
	for i := q.offset; i < len(all) && len(out) < q.limit; i++ {
		out = append(out, all[i].t.GetFrameworkId().GetValue()+"/"+all[i].t.GetTaskId().GetValue()+"@"+fmt.Sprint(all[i].t.GetState()))
	}
	return out
}

// TestTasksPageMatchesFullSort: the bounded selection pages exactly as
// sorting every task did, ties (same first-status time, same task id in
// several frameworks or lists, tasks with no status) included.
func TestTasksPageMatchesFullSort(t *testing.T) {
	c, err := NewCore(DefaultConfig(), testInfo(), Deps{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(7))
	task := func(fid string, state mesos.TaskState) *mesos.Task {
		tk := &mesos.Task{
			TaskId:      &mesos.TaskID{Value: proto.String(fmt.Sprintf("t%02d", r.Intn(40)))},
			FrameworkId: &mesos.FrameworkID{Value: proto.String(fid)},
			SlaveId:     &mesos.SlaveID{Value: proto.String("s1")},
			Name:        proto.String("task"),
			State:       state.Enum(),
		}
		if r.Intn(5) > 0 { // a fifth are still staging, with no status
			tk.Statuses = []*mesos.TaskStatus{{State: state.Enum(), Timestamp: proto.Float64(float64(r.Intn(8)))}}
		}
		return tk
	}
	fill := func(f *framework) {
		for range 30 {
			tk := task(f.id, mesos.TaskState_TASK_RUNNING)
			f.tasks[tk.GetTaskId().GetValue()] = tk
		}
		for range 10 {
			f.unreachableTasks.add(task(f.id, mesos.TaskState_TASK_UNREACHABLE))
			f.completedTasks.add(task(f.id, mesos.TaskState_TASK_FINISHED))
		}
	}
	var fids []string
	for i := range 4 {
		fid := fmt.Sprintf("fw-%d", i)
		fids = append(fids, fid)
		f := newFramework(fid, frameworkInfo(fid), 100, 100)
		fill(f)
		if i < 3 {
			c.frameworks[fid] = f
		} else {
			c.completed = append(c.completed, f)
		}
	}
	got := func(q tasksQuery) []string {
		out := []string{}
		for _, d := range c.tasksJSON(q).(object)["tasks"].([]taskDoc) {
			out = append(out, d.FrameworkID+"/"+d.ID+"@"+d.State)
		}
		return out
	}
	n := 0
	for _, desc := range []bool{true, false} {
		for _, fid := range []string{"", fids[1], fids[3], "nope"} {
			for _, tid := range []string{"", "t03", "t39"} {
				for _, page := range [][2]int{{0, 0}, {0, 1}, {0, 10}, {5, 7}, {0, 100}, {37, 100}, {150, 1000}, {0, math.MaxInt}, {3, math.MaxInt}, {500, 10}} {
					q := tasksQuery{offset: page[0], limit: page[1], descending: desc, frameworkID: fid, taskID: tid}
					want := tasksBySort(c, q)
					if g := got(q); !slices.Equal(g, want) {
						t.Errorf("%+v:\n got %v\nwant %v", q, g, want)
					}
					if len(want) > 0 {
						n++
					}
				}
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d queries had tasks: the fixture is too thin", n)
	}
}

// A page's limit and offset are non-negative integers on /tasks and
// /master/offers alike; a bad one is named in the error.
func TestPageParametersAreChecked(t *testing.T) {
	for _, tc := range []struct {
		query, err string
	}{
		{"limit=5&offset=10", ""},
		{"limit=-1", "Failed to parse limit: '-1' is not a non-negative integer"},
		{"offset=x", "Failed to parse offset: 'x' is not a non-negative integer"},
	} {
		q, _ := url.ParseQuery(tc.query)
		tq, terr := parseTasksQuery(q)
		oq, oerr := parseOffersQuery(q)
		for _, err := range []error{terr, oerr} {
			if got := fmt.Sprint(err); (tc.err == "" && err != nil) || (tc.err != "" && got != tc.err) {
				t.Errorf("%s: error %v, want %q", tc.query, err, tc.err)
			}
		}
		if tc.err == "" && (tq.limit != 5 || tq.offset != 10 || oq.limit != 5 || oq.offset != 10) {
			t.Errorf("%s: tasks %d/%d, offers %d/%d", tc.query, tq.limit, tq.offset, oq.limit, oq.offset)
		}
	}
}
