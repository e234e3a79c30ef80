package tests

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosutil"
	"github.com/gomesos/gomesos/resources"
	sched "github.com/gomesos/gomesos/schedulerdriver"
	"github.com/gomesos/gomesos/tests/harness"
)

// drfScheduler runs long tasks of one shape, one task per offer, and
// returns the rest of every offer without a filter (the DRF paper's
// progressive filling, reference §4.8). It launches nothing until start
// is closed, so that both frameworks compete from the first task.
type drfScheduler struct {
	name      string
	cpus, mem float64
	start     <-chan struct{}

	mu       sync.Mutex
	offers   int // offers received, launched on or not
	launched int
	running  map[string]bool
	failed   []string
}

var noFilter = &mesos.Filters{RefuseSeconds: proto.Float64(0)}

func (s *drfScheduler) Registered(sched.SchedulerDriver, *mesos.FrameworkID, *mesos.MasterInfo) {}
func (s *drfScheduler) Reregistered(sched.SchedulerDriver, *mesos.MasterInfo)                   {}
func (s *drfScheduler) Disconnected(sched.SchedulerDriver)                                      {}
func (s *drfScheduler) OfferRescinded(sched.SchedulerDriver, *mesos.OfferID)                    {}
func (s *drfScheduler) FrameworkMessage(sched.SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, string) {
}
func (s *drfScheduler) SlaveLost(sched.SchedulerDriver, *mesos.SlaveID)                            {}
func (s *drfScheduler) ExecutorLost(sched.SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, int) {}
func (s *drfScheduler) Error(_ sched.SchedulerDriver, msg string) {
	s.mu.Lock()
	s.failed = append(s.failed, "error: "+msg)
	s.mu.Unlock()
}

func (s *drfScheduler) ResourceOffers(d sched.SchedulerDriver, offers []*mesos.Offer) {
	started := false
	select {
	case <-s.start:
		started = true
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offers += len(offers)
	need := resources.New(mesosutil.NewScalarResource("cpus", s.cpus), mesosutil.NewScalarResource("mem", s.mem))
	for _, o := range offers {
		if !started || !resources.New(o.GetResources()...).Contains(need) {
			d.DeclineOffer(o.GetId(), noFilter)
			continue
		}
		s.launched++
		id := fmt.Sprintf("%s-%d", s.name, s.launched)
		d.LaunchTasks([]*mesos.OfferID{o.GetId()}, []*mesos.TaskInfo{{
			Name:      proto.String(id),
			TaskId:    mesosutil.NewTaskID(id),
			SlaveId:   o.GetSlaveId(),
			Command:   mesosutil.NewCommandInfo("sleep 3600"),
			Resources: need,
		}}, noFilter)
	}
}

func (s *drfScheduler) StatusUpdate(_ sched.SchedulerDriver, st *mesos.TaskStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st.GetState() {
	case mesos.TaskState_TASK_RUNNING:
		s.running[st.GetTaskId().GetValue()] = true
	case mesos.TaskState_TASK_STAGING, mesos.TaskState_TASK_STARTING:
	default:
		delete(s.running, st.GetTaskId().GetValue())
		s.failed = append(s.failed, fmt.Sprintf("%s %s: %s", st.GetTaskId().GetValue(), st.GetState(), st.GetMessage()))
	}
}

func (s *drfScheduler) counts() (launched, running int, failed []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.launched, len(s.running), append([]string(nil), s.failed...)
}

// Two frameworks with different task shapes share one agent of 9 CPUs and
// 18 GB, each in a role of its own: A's tasks need <1 CPU, 4 GB>, B's
// <3 CPU, 1 GB>. Each ends with its DRF share: A runs 3 tasks, B 2, both
// at a dominant share of 2/3, and 4 GB stay idle (reference §4.8).
func TestTwoFrameworksReachTheirDRFShares(t *testing.T) {
	c := harness.Start(t, harness.Options{
		Agents:         1,
		AgentResources: "cpus:9;mem:18432;disk:1024;ports:[31000-32000]",
		Master:         func(cfg *master.Config) { cfg.AllocationInterval = 50 * time.Millisecond },
	})
	c.WaitAgents(1, wait)

	start := make(chan struct{})
	a := &drfScheduler{name: "A", cpus: 1, mem: 4096, start: start, running: map[string]bool{}}
	b := &drfScheduler{name: "B", cpus: 3, mem: 1024, start: start, running: map[string]bool{}}
	for _, f := range []struct {
		s    *drfScheduler
		role string
	}{{a, "a"}, {b, "b"}} {
		d, err := sched.NewMesosSchedulerDriver(sched.DriverConfig{
			Scheduler: f.s,
			Framework: &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("drf-" + f.s.name), Role: proto.String(f.role)},
			Master:    c.MasterAddr(),
			Node:      c.Node,
		})
		if err != nil {
			t.Fatal(err)
		}
		if st, err := d.Start(); err != nil || st != mesos.Status_DRIVER_RUNNING {
			t.Fatalf("start %s: %v %v", f.s.name, st, err)
		}
		t.Cleanup(func() { d.Stop(false) })
	}
	harness.Eventually(t, wait, func() bool {
		st, err := c.State()
		fws, _ := st["frameworks"].([]any)
		return err == nil && len(fws) == 2
	}, "both frameworks registered")
	close(start)

	harness.Eventually(t, 60*time.Second, func() bool {
		_, ra, fa := a.counts()
		_, rb, fb := b.counts()
		if len(fa)+len(fb) > 0 {
			t.Fatalf("task failures: %v %v", fa, fb)
		}
		return ra == 3 && rb == 2
	}, "A running 3 tasks and B 2")

	// Offers of the idle 4 GB keep coming; nobody launches more on them.
	offered := func() int {
		a.mu.Lock()
		b.mu.Lock()
		defer a.mu.Unlock()
		defer b.mu.Unlock()
		return a.offers + b.offers
	}
	seen := offered()
	harness.Eventually(t, wait, func() bool { return offered() >= seen+3 }, "three more offers of what is left")
	la, ra, _ := a.counts()
	lb, rb, _ := b.counts()
	if la != 3 || ra != 3 || lb != 2 || rb != 2 {
		t.Fatalf("A launched %d (running %d), B launched %d (running %d); want 3 and 2", la, ra, lb, rb)
	}

	roles, err := harness.GetJSON("http://" + c.MasterAddr() + "/master/roles")
	if err != nil {
		t.Fatal(err)
	}
	allocated := map[string]map[string]any{}
	for _, r := range roles["roles"].([]any) {
		m := r.(map[string]any)
		allocated[m["name"].(string)] = m["allocated"].(map[string]any)
	}
	if cpus, mem := allocated["a"]["cpus"], allocated["a"]["mem"]; cpus != 3.0 || mem != 12288.0 {
		t.Errorf("role a allocated cpus %v mem %v, want 3 and 12288", cpus, mem)
	}
	if cpus, mem := allocated["b"]["cpus"], allocated["b"]["mem"]; cpus != 6.0 || mem != 2048.0 {
		t.Errorf("role b allocated cpus %v mem %v, want 6 and 2048", cpus, mem)
	}

	// The allocator's view: both roles at a dominant share of 2/3 (an
	// outstanding offer of the idle memory may add to one of them).
	snap, err := harness.GetJSON("http://" + c.MasterAddr() + "/metrics/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"a", "b"} {
		share, _ := snap["allocator/mesos/roles/"+role+"/shares/dominant"].(float64)
		if math.Abs(share-2.0/3) > 1e-9 && share < 2.0/3 {
			t.Errorf("role %s dominant share %v, want at least 2/3", role, share)
		}
	}
}

// A framework reserves part of an agent through the driver's
// AcceptOffers (RESERVE), is offered its reservation again, launches a
// task on it, and unreserves the rest; the master's /roles and /state
// show the reservation.
func TestDynamicReservationThroughTheDriver(t *testing.T) {
	c := harness.Start(t, harness.Options{
		Agents:         1,
		AgentResources: "cpus:4;mem:4096;disk:1024;ports:[31000-32000]",
		Master:         func(cfg *master.Config) { cfg.AllocationInterval = 50 * time.Millisecond },
	})
	c.WaitAgents(1, wait)
	s := harness.NewSched()
	d := c.Driver(s.AsScheduler(), &mesos.FrameworkInfo{
		User: proto.String(""), Name: proto.String("reserver"), Role: proto.String("web"), Principal: proto.String("ops"),
	})
	if _, err := d.Start(); err != nil {
		t.Fatal(err)
	}
	harness.Recv(t, s.Registered, wait, "registered")
	o := harness.Recv(t, s.Offers, wait, "offers")[0]

	reserved := resources.MustParse("cpus:2;mem:1024")
	for _, r := range reserved {
		r.Role = proto.String("web")
		r.Reservation = &mesos.Resource_ReservationInfo{Principal: proto.String("ops")}
	}
	d.AcceptOffers([]*mesos.OfferID{o.GetId()}, []*mesos.Offer_Operation{{
		Type:    mesos.Offer_Operation_RESERVE.Enum(),
		Reserve: &mesos.Offer_Operation_Reserve{Resources: reserved},
	}}, &mesos.Filters{RefuseSeconds: proto.Float64(0)})

	// The next offer holds the reservation.
	var withReservation *mesos.Offer
	harness.Eventually(t, wait, func() bool {
		select {
		case offers := <-s.Offers:
			for _, o := range offers {
				if resources.New(o.GetResources()...).Reserved("web").Scalar("cpus") == 2 {
					withReservation = o
					return true
				}
				d.DeclineOffer(o.GetId(), noFilter)
			}
		default:
		}
		return false
	}, "an offer with the reservation")

	// Launch on the reserved cpus, unreserve the reserved mem.
	task := &mesos.TaskInfo{
		Name: proto.String("on-reserved"), TaskId: mesosutil.NewTaskID("on-reserved"), SlaveId: withReservation.GetSlaveId(),
		Command:   mesosutil.NewCommandInfo("sleep 3600"),
		Resources: resources.New(withReservation.GetResources()...).Reserved("web").Get("cpus"),
	}
	d.AcceptOffers([]*mesos.OfferID{withReservation.GetId()}, []*mesos.Offer_Operation{
		{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: []*mesos.TaskInfo{task}}},
		{Type: mesos.Offer_Operation_UNRESERVE.Enum(), Unreserve: &mesos.Offer_Operation_Unreserve{Resources: resources.New(withReservation.GetResources()...).Reserved("web").Get("mem")}},
	}, noFilter)
	harness.Eventually(t, wait, func() bool {
		select {
		case st := <-s.Updates:
			return st.GetState() == mesos.TaskState_TASK_RUNNING
		default:
			return false
		}
	}, "the task on reserved resources running")

	roles, err := harness.GetJSON("http://" + c.MasterAddr() + "/master/roles")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles["roles"].([]any) {
		m := r.(map[string]any)
		if m["name"] == "web" {
			if got := m["reserved"].(map[string]any); got["cpus"] != 2.0 || got["mem"] != nil {
				t.Errorf("role web reserved %v, want cpus:2 only", got)
			}
		}
	}
	st, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	slave := st["slaves"].([]any)[0].(map[string]any)
	if web, _ := slave["reserved_resources"].(map[string]any)["web"].(map[string]any); web["cpus"] != 2.0 {
		t.Errorf("agent reserved_resources %v", slave["reserved_resources"])
	}
}
