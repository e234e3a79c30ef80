package sim

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
)

func TestClusterRunsEveryTaskWithoutFaults(t *testing.T) {
	c, err := NewCluster(Config{Seed: 1, Agents: 3, Frameworks: 2, Tasks: 40})
	if err != nil {
		t.Fatal(err)
	}
	res := c.Run()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Finished != 40 || !strings.HasSuffix(res.Summary(), "invariants=ok") {
		t.Fatalf("%s", res.Summary())
	}
}

// seeds runs n seeds of a small cluster with every fault switched on.
func seeds(t *testing.T, from, n uint64) {
	all, _ := ParseFaults("all")
	for seed := from; seed < from+n; seed++ {
		c, err := NewCluster(Config{Seed: seed, Agents: 4, Frameworks: 2, Tasks: 30, Faults: all})
		if err != nil {
			t.Fatal(err)
		}
		if res := c.Run(); res.Err != nil {
			t.Fatalf("%s\n%v", res.Summary(), res.Err)
		}
	}
}

// TestSeedsWithFaults runs 300 seeds with every fault, in four parallel
// runs of 75 (each cluster is a world of its own).
func TestSeedsWithFaults(t *testing.T) {
	n := uint64(75)
	if testing.Short() {
		n = 13
	}
	for part := uint64(0); part < 4; part++ {
		from := 1 + part*n
		t.Run(fmt.Sprintf("seeds-%d-%d", from, from+n-1), func(t *testing.T) {
			t.Parallel()
			seeds(t, from, n)
		})
	}
}

var wallRE = regexp.MustCompile(` wall=\S+ tasks/s=\S+`)

func TestSameSeedSameRunByteForByte(t *testing.T) {
	run := func(seed uint64) (string, string) {
		var trace bytes.Buffer
		all, _ := ParseFaults("all")
		c, err := NewCluster(Config{Seed: seed, Agents: 4, Frameworks: 3, Tasks: 40, Faults: all, Trace: &trace})
		if err != nil {
			t.Fatal(err)
		}
		res := c.Run()
		return trace.String(), wallRE.ReplaceAllString(res.Summary(), "")
	}
	t1, s1 := run(11)
	t2, s2 := run(11)
	if t1 != t2 || s1 != s2 {
		t.Fatalf("seed 11 ran two ways:\n%s\n%s", s1, s2)
	}
	if t3, _ := run(12); t3 == t1 {
		t.Fatal("seeds 11 and 12 ran the same way")
	}
	if !strings.Contains(t1, "master -> sched1: ResourceOffersMessage {offers=[{offer=") {
		t.Fatalf("trace lacks offers:\n%.2000s", t1)
	}
}

func TestStateMachineCheckCatchesATaskComingBack(t *testing.T) {
	c, err := NewCluster(Config{Seed: 1, Agents: 1, Frameworks: 1, Tasks: 1, StandInFrameworks: true})
	if err != nil {
		t.Fatal(err)
	}
	send := func(state mesos.TaskState, uuid string) {
		c.Sim.Deliver(c.master.PID, c.fws[0], &mesosinternal.StatusUpdateMessage{Update: &mesosinternal.StatusUpdate{
			FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
			Status:      &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t")}, State: state.Enum()},
			Timestamp:   proto.Float64(0),
			Uuid:        []byte(uuid),
		}})
	}
	send(mesos.TaskState_TASK_RUNNING, "1")
	send(mesos.TaskState_TASK_FINISHED, "2")
	send(mesos.TaskState_TASK_RUNNING, "1") // a late copy: fine
	if err := c.Sim.Settle(); err != nil {
		t.Fatalf("a duplicate was taken for a violation: %v", err)
	}
	send(mesos.TaskState_TASK_RUNNING, "3")
	err = c.Sim.Settle()
	if !IsViolation(err) || !strings.Contains(err.Error(), "TASK_FINISHED -> TASK_RUNNING") || !strings.Contains(err.Error(), "seed=1") {
		t.Fatalf("err = %v", err)
	}
}

func TestSweepCatchesAResourceOfferedTwice(t *testing.T) {
	c, err := NewCluster(Config{Seed: 1, Agents: 2, Frameworks: 1, Tasks: 0, StandInMaster: true, StandInFrameworks: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Sim.Net.AddFilter(Filter{Type: "LaunchTasksMessage", Count: -1}) // keep the offers out
	if err := c.Sim.RunFor(3e9); err != nil {
		t.Fatal(err)
	}
	m := c.master.Core.(*standInMaster)
	var o *mOffer
	for _, x := range m.offers {
		o = x
	}
	if o == nil {
		t.Fatal("no offer outstanding")
	}
	m.offers["o-bogus"] = &mOffer{id: "o-bogus", fid: o.fid, aid: o.aid, res: resources.Resources(o.res).Clone()}
	if err := c.check.sweep(); err == nil || !strings.Contains(err.Error(), "offered + used") {
		t.Fatalf("sweep = %v", err)
	}
}

func TestBadConfigIsAnError(t *testing.T) {
	for _, cfg := range []Config{
		{Agents: 0, Frameworks: 1},
		{Agents: 1, Frameworks: 1, TaskResources: "cpus:100"},
		{Agents: 1, Frameworks: 1, AgentResources: "cpus:x"},
	} {
		if _, err := NewCluster(cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
	if _, err := ParseFaults("drop,flood"); err == nil {
		t.Error("unknown fault accepted")
	}
	if f, err := ParseFaults("drop, crash"); err != nil || f.String() != "drop,crash" {
		t.Errorf("ParseFaults = %v, %v", f, err)
	}
}

func TestSweepOfMasterCoreCatchesAllocatorDrift(t *testing.T) {
	c, err := NewCluster(Config{Seed: 1, Agents: 2, Frameworks: 1, Tasks: 0, StandInFrameworks: true})
	if err != nil {
		t.Fatal(err)
	}
	c.Sim.Net.AddFilter(Filter{Type: "LaunchTasksMessage", Count: -1}) // keep the offers out
	if err := c.Sim.RunFor(3e9); err != nil {
		t.Fatal(err)
	}
	if err := c.check.sweep(); err != nil {
		t.Fatalf("books of a healthy run: %v", err)
	}
	m := c.master.Core.(*realMaster)
	v := m.core.View()
	if len(v.Offers) == 0 {
		t.Fatal("no offer outstanding")
	}
	o := v.Offers[0]
	// The allocator takes the resources back behind the master's back.
	m.alloc.Core.RecoverResources(c.Sim.Now(), o.FrameworkID, o.AgentID, o.Resources, nil)
	if err := c.check.sweep(); err == nil || !strings.Contains(err.Error(), "offered") {
		t.Fatalf("sweep = %v", err)
	}
}

// More hosts than a queue entry can number is a clear error, not a panic
// halfway through building the cluster.
func TestClusterRefusesMoreHostsThanEntriesNumber(t *testing.T) {
	_, err := NewCluster(Config{Seed: 1, Agents: 1 << hostBits, Frameworks: 1})
	if err == nil || !strings.Contains(err.Error(), "agents and frameworks together") {
		t.Fatalf("NewCluster with %d agents: %v", 1<<hostBits, err)
	}
}
