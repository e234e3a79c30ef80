package sim

import (
	"strings"
	"testing"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// The script commands' shared parsing answers bad input with an error.
func TestArgsRejectBadInput(t *testing.T) {
	s := New(Options{Seed: 1})
	if _, err := s.Add("a", actors.PID{ID: "a", Address: "127.0.0.1:1"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	w := func(words ...string) []Arg {
		var out []Arg
		for _, x := range words {
			k, v, ok := strings.Cut(x, "=")
			if !ok {
				out = append(out, Arg{Key: x})
				continue
			}
			out = append(out, Arg{Key: k, Vals: strings.Split(strings.Trim(v, "()"), ",")})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"advance nothing", s.Advance(nil), "advance wants one duration"},
		{"advance junk", s.Advance(w("soon")), "invalid duration"},
		{"drop too short", s.Drop(w("Ping", "a")), "drop wants a message type"},
		{"drop count", s.Drop(w("Ping", "a", "*", "-2")), "not a positive number"},
		{"partition one", s.PartitionNodes(w("a")), "partition wants two nodes"},
		{"partition unknown", s.PartitionNodes(w("a", "b")), "unknown node"},
		{"partition heal", s.PartitionNodes(w("a", "a", "heal=later")), "invalid duration"},
		{"node none", func() error { _, err := s.NamedNode(nil); return err }(), "name a node first"},
		{"node unknown", func() error { _, err := s.NamedNode(w("zz")); return err }(), `no node "zz"`},
		{"launch no offer", func() error { _, _, err := LaunchTasks(w("task=t1"), nil, "*", "f"); return err }(), "name the offer(s)"},
		{"launch bad res", func() error {
			_, _, err := LaunchTasks(w("offer=o-1", "task=t1", "res=cpus:x"), nil, "*", "f")
			return err
		}(), "cpus"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.name, tc.err, tc.want)
		}
	}
}

// A launch builds command tasks, or tasks of a custom executor, of one
// size on the agent of the first offer it knows.
func TestLaunchTasks(t *testing.T) {
	offers := map[string]*mesos.Offer{"o-1": {SlaveId: &mesos.SlaveID{Value: proto.String("S1")}}}
	ids, tasks, err := LaunchTasks([]Arg{{Key: "offers", Vals: []string{"o-1", "o-2"}}, {Key: "task", Vals: []string{"t1", "t2"}},
		{Key: "executor", Vals: []string{"e"}}, {Key: "res", Vals: []string{"cpus:2"}}}, offers, "web", "f-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || len(tasks) != 2 {
		t.Fatalf("offers %v tasks %v", ids, tasks)
	}
	for _, task := range tasks {
		if task.GetSlaveId().GetValue() != "S1" || task.GetExecutor().GetExecutorId().GetValue() != "e" || task.GetExecutor().GetFrameworkId().GetValue() != "f-1" ||
			task.Command != nil || task.GetResources()[0].GetAllocationInfo().GetRole() != "web" {
			t.Fatalf("task %v", task)
		}
	}
	if f := Refuse([]Arg{{Key: "refuse", Vals: []string{"5s"}}}); f.GetRefuseSeconds() != 5 {
		t.Fatalf("refuse %v", f)
	}
	if sts := ReconcileStatuses([]Arg{{Key: "task", Vals: []string{"t1"}}, {Key: "agent", Vals: []string{"S1"}}}); len(sts) != 1 || sts[0].GetSlaveId().GetValue() != "S1" {
		t.Fatalf("reconcile %v", sts)
	}
}
