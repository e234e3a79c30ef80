package sim

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// The script commands' argument parsing, shared by Script and the
// failure harness of the transcripts (tests/transcript_*_test.go).

// Arg is one argument of a script command: key=value, key=(v1,v2), or a
// bare word (a Key with no Vals).
type Arg struct {
	Key  string
	Vals []string
}

// ArgVal is the first value of key, or "".
func ArgVal(args []Arg, key string) string {
	for _, a := range args {
		if a.Key == key && len(a.Vals) > 0 {
			return a.Vals[0]
		}
	}
	return ""
}

// HasArg reports whether key is given, with or without values.
func HasArg(args []Arg, key string) bool {
	return slices.ContainsFunc(args, func(a Arg) bool { return a.Key == key })
}

// ArgVals is every value of the keys, in order.
func ArgVals(args []Arg, keys ...string) []string {
	var out []string
	for _, a := range args {
		if slices.Contains(keys, a.Key) {
			out = append(out, a.Vals...)
		}
	}
	return out
}

// FrameworkID wraps id.
func FrameworkID(id string) *mesos.FrameworkID { return &mesos.FrameworkID{Value: proto.String(id)} }

// ExecutorID wraps id.
func ExecutorID(id string) *mesos.ExecutorID { return &mesos.ExecutorID{Value: proto.String(id)} }

// Refuse is the filter of refuse=S (seconds, "s" optional); none if absent.
func Refuse(args []Arg) *mesos.Filters {
	f := &mesos.Filters{}
	if v := ArgVal(args, "refuse"); v != "" {
		if x, err := strconv.ParseFloat(strings.TrimSuffix(v, "s"), 64); err == nil {
			f.RefuseSeconds = proto.Float64(x)
		}
	}
	return f
}

// OfferIDs are the offers of offer= or offers=; at least one is needed.
func OfferIDs(args []Arg) ([]*mesos.OfferID, error) {
	var ids []*mesos.OfferID
	for _, v := range ArgVals(args, "offer", "offers") {
		ids = append(ids, &mesos.OfferID{Value: proto.String(v)})
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("name the offer(s): offer=o-1 or offers=(o-1,o-2)")
	}
	return ids, nil
}

// LaunchTasks builds a launch: offer(s)=(..) task=(t1,t2) [res=TEXT|none]
// [agent=ID] [executor=E]. The tasks are all of one size (res, default
// cpus:1;mem:128, allocated to role) and go to agent, or to the agent of
// the first offer if it is in offers; with executor they run in that
// custom executor of framework fid, else as command tasks.
func LaunchTasks(args []Arg, offers map[string]*mesos.Offer, role, fid string) ([]*mesos.OfferID, []*mesos.TaskInfo, error) {
	ids, err := OfferIDs(args)
	if err != nil {
		return nil, nil, err
	}
	agent := &mesos.SlaveID{Value: proto.String(ArgVal(args, "agent"))}
	if o := offers[ids[0].GetValue()]; o != nil && ArgVal(args, "agent") == "" {
		agent = o.GetSlaveId()
	}
	text := ArgVal(args, "res")
	if text == "" {
		text = "cpus:1;mem:128"
	}
	var res resources.Resources
	if text != "none" {
		if res, err = resources.Parse(text, "*"); err != nil {
			return nil, nil, err
		}
		res = res.Allocate(role)
	}
	var tasks []*mesos.TaskInfo
	for _, tid := range ArgVals(args, "task") {
		t := &mesos.TaskInfo{Name: proto.String(tid), TaskId: &mesos.TaskID{Value: proto.String(tid)}, SlaveId: agent, Resources: res}
		if e := ArgVal(args, "executor"); e != "" {
			t.Executor = &mesos.ExecutorInfo{ExecutorId: ExecutorID(e), FrameworkId: FrameworkID(fid), Command: &mesos.CommandInfo{Value: proto.String("exec")}}
		} else {
			t.Command = &mesos.CommandInfo{Value: proto.String("true")}
		}
		tasks = append(tasks, t)
	}
	return ids, tasks, nil
}

// ReconcileStatuses are the tasks named by task= (on agent=, if given) in
// state STAGING, as a framework believes them; none asks for implicit
// reconciliation.
func ReconcileStatuses(args []Arg) []*mesos.TaskStatus {
	var sts []*mesos.TaskStatus
	for _, tid := range ArgVals(args, "task") {
		st := &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String(tid)}, State: mesos.TaskState_TASK_STAGING.Enum()}
		if a := ArgVal(args, "agent"); a != "" {
			st.SlaveId = &mesos.SlaveID{Value: proto.String(a)}
		}
		sts = append(sts, st)
	}
	return sts
}

// NamedNode is the node the first argument names.
func (s *Sim) NamedNode(args []Arg) (*Node, error) {
	if len(args) == 0 || args[0].Vals != nil {
		return nil, fmt.Errorf("name a node first")
	}
	n := s.Named(args[0].Key)
	if n == nil {
		return nil, fmt.Errorf("no node %q", args[0].Key)
	}
	return n, nil
}

// Advance runs the clock by the one duration given (advance 15s).
func (s *Sim) Advance(args []Arg) error {
	if len(args) != 1 || args[0].Vals != nil {
		return fmt.Errorf("advance wants one duration, e.g. advance 15s")
	}
	d, err := time.ParseDuration(args[0].Key)
	if err != nil {
		return err
	}
	return s.RunFor(d)
}

// Drop adds a filter: TYPE FROM TO [COUNT] ("*" matches any; COUNT
// defaults to every such message).
func (s *Sim) Drop(args []Arg) error {
	if len(args) < 3 {
		return fmt.Errorf("drop wants a message type, a sender and a receiver")
	}
	any := func(s string) string {
		if s == "*" {
			return ""
		}
		return s
	}
	f := Filter{Type: any(args[0].Key), From: any(args[1].Key), To: any(args[2].Key), Count: -1}
	if len(args) > 3 {
		n, err := strconv.Atoi(args[3].Key)
		if err != nil || n <= 0 {
			return fmt.Errorf("drop count %q is not a positive number", args[3].Key)
		}
		f.Count = n
	}
	s.Net.AddFilter(f)
	return nil
}

// PartitionNodes cuts A from B: A B [heal=DURATION].
func (s *Sim) PartitionNodes(args []Arg) error {
	if len(args) < 2 {
		return fmt.Errorf("partition wants two nodes")
	}
	a, b := s.Named(args[0].Key), s.Named(args[1].Key)
	if a == nil || b == nil {
		return fmt.Errorf("partition: unknown node in %q %q", args[0].Key, args[1].Key)
	}
	var heal time.Duration
	if v := ArgVal(args, "heal"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		heal = d
	}
	s.Net.Partition([]*Node{a}, []*Node{b}, heal)
	return s.Settle()
}
