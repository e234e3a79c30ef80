package sim

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/schedulerdriver"
)

// simScheduler is a framework written against the scheduler driver API
// (schedulerdriver.Scheduler), run by schedulerdriver.Inline: it launches
// its share of tasks on its offers, declines the rest, and counts the
// tasks that ended. What it is told is checked as it is told.
type simScheduler struct {
	st      *fwState
	taskRes resources.Resources
	check   *checker
	byRole  map[string]resources.Resources // taskRes allocated to a role, made once per role
	mults   []resources.Resources          // k times taskRes at k (multiple)
	// The filters of a decline and of a launch, and every task's command:
	// shared by all calls (the driver runs with ShareMessages, and no one
	// changes a message once sent).
	declineFilters, launchFilters *mesos.Filters
	command                       *mesos.CommandInfo
}

func (s *simScheduler) Registered(_ schedulerdriver.SchedulerDriver, id *mesos.FrameworkID, _ *mesos.MasterInfo) {
	s.st.id = id.GetValue()
}
func (s *simScheduler) Reregistered(schedulerdriver.SchedulerDriver, *mesos.MasterInfo) {}
func (s *simScheduler) Disconnected(schedulerdriver.SchedulerDriver)                    {}
func (s *simScheduler) OfferRescinded(schedulerdriver.SchedulerDriver, *mesos.OfferID)  {}
func (s *simScheduler) FrameworkMessage(schedulerdriver.SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, string) {
}
func (s *simScheduler) SlaveLost(schedulerdriver.SchedulerDriver, *mesos.SlaveID) {}
func (s *simScheduler) ExecutorLost(schedulerdriver.SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, int) {
}
func (s *simScheduler) Error(_ schedulerdriver.SchedulerDriver, msg string) {
	s.check.fail(fmt.Errorf("framework error: %s got %q", s.st.name, msg))
}

func (s *simScheduler) ResourceOffers(d schedulerdriver.SchedulerDriver, offers []*mesos.Offer) {
	for _, o := range offers {
		left := unallocated(o.GetResources())
		res := s.taskRes
		if len(o.GetResources()) > 0 && o.GetResources()[0].GetAllocationInfo() != nil {
			role := o.GetResources()[0].GetAllocationInfo().GetRole()
			if res = s.byRole[role]; res == nil {
				res = s.taskRes.Allocate(role)
				s.byRole[role] = res
			}
		}
		var tasks []*mesos.TaskInfo
		n := s.fit(left, s.st.want-s.st.launched)
		for range n {
			s.st.launched++
			tid := s.st.name + "-t" + strconv.Itoa(s.st.launched)
			// The task's name is its id: one string for both, in the
			// id's allocation (agent and master keep both, read only).
			id := &taskIDParts{value: tid}
			id.id.Value = &id.value
			tasks = append(tasks, &mesos.TaskInfo{
				Name: &id.value, TaskId: &id.id, SlaveId: o.GetSlaveId(),
				Resources: res, Command: s.command,
			})
			s.st.launch(tid)
		}
		if len(tasks) == 0 {
			d.DeclineOffer(o.GetId(), s.declineFilters)
			continue
		}
		d.LaunchTasks([]*mesos.OfferID{o.GetId()}, tasks, s.launchFilters)
	}
}

// taskIDParts is a task id message with its text.
type taskIDParts struct {
	id    mesos.TaskID
	value string
}

// unallocated returns rs without allocation info: rs itself when no entry
// has any (fit reads it only).
func unallocated(rs []*mesos.Resource) resources.Resources {
	for _, r := range rs {
		if r.GetAllocationInfo() != nil {
			return resources.Resources(rs).Unallocate()
		}
	}
	return rs
}

// fit returns how many tasks, at most max, fit in left one after the
// other. Scalar task resources are checked as multiples, k tasks at once
// (a binary search over Contains, which allocates nothing); the rest one
// task at a time, subtracting.
func (s *simScheduler) fit(left resources.Resources, max int) int {
	if max <= 0 {
		return 0
	}
	if !s.scalarTask() {
		n := 0
		for n < max && left.Contains(s.taskRes) {
			n++
			left = left.Subtract(s.taskRes)
		}
		return n
	}
	// Gallop first: an offer holds a few tasks, and the multiples built on
	// the way stay cached for the framework's life.
	lo, k := 0, 1 // lo tasks fit
	for k <= max && left.Contains(s.multiple(k)) {
		lo, k = k, 2*k
	}
	hi := min(k-1, max) // more than hi do not fit
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if left.Contains(s.multiple(mid)) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// scalarTask reports whether every task resource is a scalar (fixed-point
// sums: k tasks fit one after the other if and only if k times their
// resources fit at once).
func (s *simScheduler) scalarTask() bool {
	for _, r := range s.taskRes {
		if r.GetType() != mesos.Value_SCALAR {
			return false
		}
	}
	return true
}

// multiple returns k times the task resources, made once.
func (s *simScheduler) multiple(k int) resources.Resources {
	for len(s.mults) <= k {
		next := s.taskRes
		if n := len(s.mults); n > 1 {
			next = s.mults[n-1].Add(s.taskRes)
		} else if n == 0 {
			next = resources.Resources{}
		}
		s.mults = append(s.mults, next)
	}
	return s.mults[k]
}

func (s *simScheduler) StatusUpdate(_ schedulerdriver.SchedulerDriver, st *mesos.TaskStatus) {
	t := s.st.tasks[st.GetTaskId().GetValue()]
	s.check.see(s.st.node, s.st.name, s.st, t, s.st.id, st, st.GetUuid())
	if t != nil && t.launched && !protocol.IsTerminal(t.last) {
		if settled(st.GetState()) && !settled(t.last) {
			s.st.done()
		}
		t.last = st.GetState()
	}
}

// settled: the framework has heard the last it can count on of a task in
// this state: it ended, or (for a PARTITION_AWARE framework) its agent is
// unreachable or the master does not know it. A later update of the task
// is still taken.
func settled(state mesos.TaskState) bool {
	return protocol.IsTerminal(state) || state == mesos.TaskState_TASK_UNREACHABLE || state == mesos.TaskState_TASK_UNKNOWN
}

// newDriverFramework returns the driver (the node's core) of a framework
// whose scheduler keeps its state in st.
func newDriverFramework(st *fwState, taskRes resources.Resources, check *checker, seed uint64) (*schedulerdriver.Inline, *simScheduler) {
	info := &mesos.FrameworkInfo{User: proto.String("sim"), Name: proto.String(st.name), FailoverTimeout: proto.Float64(1e6), Hostname: proto.String("localhost"), Checkpoint: proto.Bool(st.checkpoint)}
	if st.id != "" {
		info.Id = &mesos.FrameworkID{Value: proto.String(st.id)}
	}
	if st.partitionAware {
		info.Capabilities = []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE.Enum()}}
	}
	core := schedulerdriver.NewCore(schedulerdriver.CoreConfig{Framework: info, ShareMessages: true, Rand: rand.New(rand.NewPCG(seed, uint64(len(st.name))))})
	sched := &simScheduler{st: st, taskRes: taskRes.Unallocate(), check: check, byRole: map[string]resources.Resources{},
		declineFilters: &mesos.Filters{RefuseSeconds: proto.Float64(60)},
		launchFilters:  &mesos.Filters{RefuseSeconds: proto.Float64(5)},
		command:        &mesos.CommandInfo{Value: proto.String("true")}}
	return schedulerdriver.NewInline(core, sched), sched
}

// reconcile asks the master about every task the scheduler has not seen
// end, as a careful framework does now and then (a launch lost on the way
// is only found out this way).
func (s *simScheduler) reconcile(d schedulerdriver.SchedulerDriver) {
	var sts []*mesos.TaskStatus
	for _, tid := range s.st.order {
		if st := s.st.tasks[tid].last; !protocol.IsTerminal(st) {
			sts = append(sts, &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String(tid)}, State: st.Enum()})
		}
	}
	if len(sts) > 0 {
		d.ReconcileTasks(sts)
	}
}

// reconcileEvery is how often a simulated scheduler reconciles.
const reconcileEvery = 30 * time.Second

// startDriver starts d on n and hands it the master, as a standalone
// detector answers at once; the scheduler reconciles every 30s.
func startDriver(s *Sim, n *Node, d *schedulerdriver.Inline, sched *simScheduler, master func() *mesos.MasterInfo) {
	d.Start()
	s.Start(n, func(now time.Time) []effect.Effect { return d.Detected(now, master()) })
	var tick func(now time.Time) []effect.Effect
	tick = func(now time.Time) []effect.Effect {
		sched.reconcile(d)
		n.Post(reconcileEvery, tick)
		return d.Take(now)
	}
	n.Post(reconcileEvery, tick)
}

// driverEffects applies the driver's own effects on its node.
func driverEffects(master func() *mesos.MasterInfo) func(*Node, effect.Effect) {
	return func(n *Node, e effect.Effect) {
		d := n.Core.(*schedulerdriver.Inline)
		switch e.(type) {
		case schedulerdriver.Redetect:
			n.Post(0, func(now time.Time) []effect.Effect { return d.Detected(now, master()) })
		case schedulerdriver.StopDetection, schedulerdriver.Terminate:
		default:
			n.Fail(fmt.Errorf("%s returned an effect the simulator cannot apply: %T", n.Name, e))
		}
	}
}
