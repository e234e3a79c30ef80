package tests

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosutil"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/tests/harness"
)

const wait = 30 * time.Second

// customTask is a task for tests/cmd/test-executor on the given offer.
func customTask(t *testing.T, id string, o *mesos.Offer, data string) *mesos.TaskInfo {
	return &mesos.TaskInfo{
		Name:    proto.String(id),
		TaskId:  mesosutil.NewTaskID(id),
		SlaveId: o.GetSlaveId(),
		Executor: &mesos.ExecutorInfo{
			ExecutorId: mesosutil.NewExecutorID("exec-" + id),
			Command:    &mesos.CommandInfo{Value: proto.String(harness.TestExecutor(t)), Shell: proto.Bool(false)},
			Resources:  []*mesos.Resource{mesosutil.NewScalarResource("cpus", 0.1), mesosutil.NewScalarResource("mem", 32)},
		},
		Resources: []*mesos.Resource{mesosutil.NewScalarResource("cpus", 1), mesosutil.NewScalarResource("mem", 128)},
		Data:      []byte(data),
	}
}

func startFramework(t *testing.T, c *harness.Cluster, fw *mesos.FrameworkInfo) (*harness.Sched, interface {
	LaunchTasks([]*mesos.OfferID, []*mesos.TaskInfo, *mesos.Filters) (mesos.Status, error)
	KillTask(*mesos.TaskID) (mesos.Status, error)
	SendFrameworkMessage(*mesos.ExecutorID, *mesos.SlaveID, string) (mesos.Status, error)
}) {
	s := harness.NewSched()
	d := c.Driver(s.AsScheduler(), fw)
	if _, err := d.Start(); err != nil {
		t.Fatal(err)
	}
	harness.Recv(t, s.Registered, wait, "registered")
	return s, d
}

// MasterTest.TaskRunning and KillTask: a custom executor runs a task, the
// offer names the agent's URL, and a kill ends in TASK_KILLED.
func TestTaskRunningAndKill(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 1})
	s, d := startFramework(t, c, nil)
	offers := harness.Recv(t, s.Offers, wait, "offers")
	if len(offers) != 1 {
		t.Fatalf("want one offer for one agent, got %d", len(offers))
	}
	o := offers[0]
	if !strings.HasPrefix(o.GetUrl().GetPath(), "/slave(") || o.GetUrl().GetScheme() != "http" {
		t.Errorf("offer url = %v", o.GetUrl())
	}
	d.LaunchTasks([]*mesos.OfferID{o.GetId()}, []*mesos.TaskInfo{customTask(t, "t1", o, "")}, nil)
	st := harness.Recv(t, s.Updates, wait, "TASK_RUNNING")
	if st.GetState() != mesos.TaskState_TASK_RUNNING || st.GetExecutorId().GetValue() != "exec-t1" {
		t.Fatalf("got %v executor %q, want TASK_RUNNING from exec-t1", st.GetState(), st.GetExecutorId().GetValue())
	}
	d.KillTask(mesosutil.NewTaskID("t1"))
	st = harness.Recv(t, s.Updates, wait, "TASK_KILLED")
	if st.GetState() != mesos.TaskState_TASK_KILLED {
		t.Fatalf("got %v, want TASK_KILLED", st.GetState())
	}

	// MasterTest.KillUnknownTask.
	d.KillTask(mesosutil.NewTaskID("nope"))
	st = harness.Recv(t, s.Updates, wait, "reconciliation answer")
	if st.GetState() != mesos.TaskState_TASK_LOST || st.GetSource() != mesos.TaskStatus_SOURCE_MASTER ||
		st.GetReason() != mesos.TaskStatus_REASON_RECONCILIATION {
		t.Fatalf("kill unknown task: %v %v %v", st.GetState(), st.GetSource(), st.GetReason())
	}
}

// Framework messages go scheduler → executor and back.
func TestFrameworkMessages(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 1})
	s, d := startFramework(t, c, nil)
	o := harness.Recv(t, s.Offers, wait, "offers")[0]
	d.LaunchTasks([]*mesos.OfferID{o.GetId()}, []*mesos.TaskInfo{customTask(t, "t1", o, "")}, nil)
	harness.Recv(t, s.Updates, wait, "TASK_RUNNING")
	d.SendFrameworkMessage(mesosutil.NewExecutorID("exec-t1"), o.GetSlaveId(), "ping")
	if m := harness.Recv(t, s.Messages, wait, "echo"); m != "echo:ping" {
		t.Fatalf("framework message = %q", m)
	}
}

// MasterTest.LaunchAcrossSlavesLost and LaunchDuplicateOfferLost.
func TestInvalidOffersLoseTheTask(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 2})
	c.WaitAgents(2, wait)
	s, d := startFramework(t, c, nil)
	var offers []*mesos.Offer
	for len(offers) < 2 {
		offers = append(offers, harness.Recv(t, s.Offers, wait, "offers")...)
	}
	task := customTask(t, "across", offers[0], "")
	d.LaunchTasks([]*mesos.OfferID{offers[0].GetId(), offers[1].GetId()}, []*mesos.TaskInfo{task}, nil)
	st := harness.Recv(t, s.Updates, wait, "TASK_LOST")
	if st.GetState() != mesos.TaskState_TASK_LOST || st.GetReason() != mesos.TaskStatus_REASON_INVALID_OFFERS {
		t.Fatalf("across agents: %v %v", st.GetState(), st.GetReason())
	}
	// Both agents' resources come back.
	var again []*mesos.Offer
	for len(again) < 2 {
		again = append(again, harness.Recv(t, s.Offers, wait, "offers again")...)
	}
	dup := customTask(t, "dup", again[0], "")
	d.LaunchTasks([]*mesos.OfferID{again[0].GetId(), again[0].GetId()}, []*mesos.TaskInfo{dup}, nil)
	st = harness.Recv(t, s.Updates, wait, "TASK_LOST for duplicate offer")
	if st.GetState() != mesos.TaskState_TASK_LOST || st.GetReason() != mesos.TaskStatus_REASON_INVALID_OFFERS {
		t.Fatalf("duplicate offer: %v %v", st.GetState(), st.GetReason())
	}
}

// Invalid tasks get TASK_ERROR with a message saying what is wrong.
func TestInvalidTaskErrors(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 1})
	s, d := startFramework(t, c, nil)
	o := harness.Recv(t, s.Offers, wait, "offers")[0]
	noRes := customTask(t, "nores", o, "")
	noRes.Resources = nil
	tooBig := customTask(t, "toobig", o, "")
	tooBig.Resources = []*mesos.Resource{mesosutil.NewScalarResource("cpus", 64), mesosutil.NewScalarResource("mem", 128)}
	both := customTask(t, "both", o, "")
	both.Command = mesosutil.NewCommandInfo("true")
	d.LaunchTasks([]*mesos.OfferID{o.GetId()}, []*mesos.TaskInfo{noRes, tooBig, both}, nil)
	seen := map[string]*mesos.TaskStatus{}
	for len(seen) < 3 {
		st := harness.Recv(t, s.Updates, wait, "TASK_ERROR")
		seen[st.GetTaskId().GetValue()] = st
	}
	for id, st := range seen {
		if st.GetState() != mesos.TaskState_TASK_ERROR || st.GetReason() != mesos.TaskStatus_REASON_TASK_INVALID || st.GetMessage() == "" {
			t.Errorf("%s: %v %v %q", id, st.GetState(), st.GetReason(), st.GetMessage())
		}
		if len(st.GetUuid()) != 0 {
			t.Errorf("%s: master-generated update carries a uuid", id)
		}
	}
	if !strings.Contains(seen["toobig"].GetMessage(), "more than available") {
		t.Errorf("toobig message: %q", seen["toobig"].GetMessage())
	}
}

// MasterTest.RejectFrameworkWithInvalidRole / FailoverTimeout, and
// FrameworkSubscribeEmptyId.
func TestFrameworkValidation(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 1})
	for name, fw := range map[string]*mesos.FrameworkInfo{
		"role":     {User: proto.String(""), Name: proto.String("bad"), Role: proto.String("/bad")},
		"failover": {User: proto.String(""), Name: proto.String("bad"), FailoverTimeout: proto.Float64(1e17)},
	} {
		s := harness.NewSched()
		d := c.Driver(s.AsScheduler(), fw)
		d.Start()
		harness.Recv(t, s.Errors, wait, name+" error")
		if st, _ := d.Join(); st != mesos.Status_DRIVER_ABORTED {
			t.Errorf("%s: driver status %v, want DRIVER_ABORTED", name, st)
		}
	}
	s := harness.NewSched()
	d := c.Driver(s.AsScheduler(), &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("empty-id"), Id: &mesos.FrameworkID{Value: proto.String("")}})
	d.Start()
	if id := harness.Recv(t, s.Registered, wait, "registered"); id.GetValue() == "" {
		t.Fatal("empty FrameworkID assigned")
	}
}

// FaultToleranceTest.SchedulerFailover: a second scheduler with the first
// one's FrameworkID takes over; the first one is told and aborted.
func TestSchedulerFailover(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 1})
	s1 := harness.NewSched()
	d1 := c.Driver(s1.AsScheduler(), &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("fo"), FailoverTimeout: proto.Float64(3600)})
	d1.Start()
	id := harness.Recv(t, s1.Registered, wait, "sched1 registered")
	s2 := harness.NewSched()
	d2 := c.Driver(s2.AsScheduler(), &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("fo"), Id: id, FailoverTimeout: proto.Float64(3600)})
	d2.Start()
	if got := harness.Recv(t, s2.Registered, wait, "sched2 registered"); got.GetValue() != id.GetValue() {
		t.Fatalf("sched2 registered as %s, want %s", got.GetValue(), id.GetValue())
	}
	if msg := harness.Recv(t, s1.Errors, wait, "sched1 error"); msg != "Framework failed over" {
		t.Fatalf("sched1 error = %q", msg)
	}
	if st, _ := d1.Stop(false); st != mesos.Status_DRIVER_ABORTED {
		t.Errorf("driver1.Stop = %v, want DRIVER_ABORTED", st)
	}
	harness.Recv(t, s2.Offers, wait, "sched2 offers")
}

// Stop(false) tears the framework down at once, even with a failover
// timeout: the TEARDOWN reaches the master before the driver goes away.
func TestStopTearsDownFramework(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 1})
	s := harness.NewSched()
	d := c.Driver(s.AsScheduler(), &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("td"), FailoverTimeout: proto.Float64(3600)})
	d.Start()
	id := harness.Recv(t, s.Registered, wait, "registered")
	if st, _ := d.Stop(false); st != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("Stop = %v", st)
	}
	harness.Eventually(t, wait, func() bool {
		st, err := c.State()
		if err != nil {
			return false
		}
		js := harness.MustJSON(st["completed_frameworks"])
		return strings.Contains(js, id.GetValue()) && !strings.Contains(harness.MustJSON(st["frameworks"]), id.GetValue())
	}, "the framework to be torn down")
}

// MasterTest.LaunchCombinedOfferTest: offers from one agent combine into
// one launch.
func TestLaunchCombinedOffers(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 1, AgentResources: "cpus:2;mem:1024"})
	s, d := startFramework(t, c, nil)
	noFilter := &mesos.Filters{RefuseSeconds: proto.Float64(0)}
	o1 := harness.Recv(t, s.Offers, wait, "first offer")[0]
	t1 := customTask(t, "t1", o1, "")
	t1.Executor.ExecutorId = mesosutil.NewExecutorID("shared")
	d.LaunchTasks([]*mesos.OfferID{o1.GetId()}, []*mesos.TaskInfo{t1}, noFilter)
	if st := harness.Recv(t, s.Updates, wait, "t1 running"); st.GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("t1: %v", st.GetState())
	}
	o2 := harness.Recv(t, s.Offers, wait, "second offer")[0] // what t1 left
	d.KillTask(mesosutil.NewTaskID("t1"))
	if st := harness.Recv(t, s.Updates, wait, "t1 killed"); st.GetState() != mesos.TaskState_TASK_KILLED {
		t.Fatalf("t1: %v", st.GetState())
	}
	o3 := harness.Recv(t, s.Offers, wait, "third offer")[0] // t1's resources back
	if o2.GetSlaveId().GetValue() != o3.GetSlaveId().GetValue() {
		t.Fatal("offers from different agents")
	}
	t2 := customTask(t, "t2", o2, "")
	t2.Executor.ExecutorId = mesosutil.NewExecutorID("shared")
	cpus := resources.Resources(o2.GetResources()).Scalar("cpus") + resources.Resources(o3.GetResources()).Scalar("cpus")
	if cpus <= 1 {
		t.Fatalf("offers 2 and 3 hold %.2f cpus together", cpus)
	}
	// More than either offer alone holds.
	t2.Resources = []*mesos.Resource{mesosutil.NewScalarResource("cpus", cpus), mesosutil.NewScalarResource("mem", 64)}
	d.LaunchTasks([]*mesos.OfferID{o2.GetId(), o3.GetId()}, []*mesos.TaskInfo{t2}, noFilter)
	if st := harness.Recv(t, s.Updates, wait, "t2 running"); st.GetState() != mesos.TaskState_TASK_RUNNING || st.GetTaskId().GetValue() != "t2" {
		t.Fatalf("t2: %v %s %s", st.GetState(), st.GetReason(), st.GetMessage())
	}
}

// MasterTest.OfferTimeout: an unused offer is rescinded after
// --offer_timeout and the same resources are offered again.
func TestOfferTimeoutRescinds(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 1, Master: func(m *master.Config) { m.OfferTimeout = 300 * time.Millisecond }})
	s, _ := startFramework(t, c, nil)
	first := harness.Recv(t, s.Offers, wait, "offer")[0]
	if id := harness.Recv(t, s.Rescinded, wait, "rescind"); id.GetValue() != first.GetId().GetValue() {
		t.Fatalf("rescinded %s, want %s", id.GetValue(), first.GetId().GetValue())
	}
	again := harness.Recv(t, s.Offers, wait, "offer again")[0]
	if !resources.Resources(again.GetResources()).Equal(resources.Resources(first.GetResources())) {
		t.Errorf("re-offered %v, want %v", again.GetResources(), first.GetResources())
	}
}
