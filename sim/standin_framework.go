package sim

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// fwState is what a framework's scheduler keeps across a crash (its own
// store): the framework ID, how many tasks it launched and what it knows of
// each.
type fwState struct {
	name     string
	id       string
	want     int // tasks to run in all
	launched int
	finished int
	// ended, if set, counts the tasks every framework of the cluster
	// finished (so the run loop need not add them up each step).
	ended *int
	tasks map[string]*fwTask // by task id: those launched and any other the checker saw
	order []string           // task ids in launch order
	// checkpoint: the framework asks agents to checkpoint its tasks.
	checkpoint bool
	// partitionAware: the framework is PARTITION_AWARE (driver frameworks
	// only): it is told TASK_UNREACHABLE, not TASK_LOST.
	partitionAware bool
	node           *Node // the framework's node (driver frameworks)
}

// fwTask is one task of a framework: its state as the framework last saw
// it and what the checker saw of it, in one record for the whole run.
type fwTask struct {
	last     mesos.TaskState // as the framework last saw it
	launched bool            // the framework launched it (else only the checker saw it)
	seenTask
}

// task is tid's record, made if there is none.
func (st *fwState) task(tid string) *fwTask {
	t := st.tasks[tid]
	if t == nil {
		t = &fwTask{seenTask: seenTask{state: mesos.TaskState_TASK_STAGING}}
		st.tasks[tid] = t
	}
	return t
}

// launch notes a task the framework launches.
func (st *fwState) launch(tid string) {
	t := st.task(tid)
	t.last, t.launched = mesos.TaskState_TASK_STAGING, true
	st.order = append(st.order, tid)
}

// done counts one more task the framework heard the end of.
func (st *fwState) done() {
	st.finished++
	if st.ended != nil {
		*st.ended++
	}
}

// standInFramework is the stand-in scheduler (and driver): it registers,
// launches small tasks on its offers until it has launched its share,
// declines the rest, acknowledges updates and reconciles what it has not
// heard the end of.
type standInFramework struct {
	effect.Outbox
	pid, master actors.PID
	st          *fwState
	taskRes     resources.Resources
	registered  bool
	reconcile   time.Duration
}

func newStandInFramework(pid, master actors.PID, st *fwState, taskRes resources.Resources) *standInFramework {
	return &standInFramework{pid: pid, master: master, st: st, taskRes: taskRes.Unallocate(), reconcile: 30 * time.Second}
}

func (f *standInFramework) start(time.Time) []effect.Effect {
	f.register()
	return f.Take()
}

func (f *standInFramework) info() *mesos.FrameworkInfo {
	info := &mesos.FrameworkInfo{User: proto.String("sim"), Name: proto.String(f.st.name), FailoverTimeout: proto.Float64(1e6), Checkpoint: proto.Bool(f.st.checkpoint)}
	if f.st.id != "" {
		info.Id = &mesos.FrameworkID{Value: proto.String(f.st.id)}
	}
	return info
}

func (f *standInFramework) register() {
	if f.st.id == "" {
		f.Send(f.master, &mesosinternal.RegisterFrameworkMessage{Framework: f.info()})
	} else {
		f.Send(f.master, &mesosinternal.ReregisterFrameworkMessage{Framework: f.info(), Failover: proto.Bool(true)})
	}
	f.StartTimer("register", 2*time.Second)
}

func (f *standInFramework) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	if from != f.master {
		return nil
	}
	switch msg := msg.(type) {
	case *mesosinternal.FrameworkRegisteredMessage:
		f.registeredAs(msg.GetFrameworkId().GetValue())
	case *mesosinternal.FrameworkReregisteredMessage:
		f.registeredAs(msg.GetFrameworkId().GetValue())
	case *mesosinternal.ResourceOffersMessage:
		if f.registered {
			for _, o := range msg.GetOffers() {
				f.offer(o)
			}
		}
	case *mesosinternal.StatusUpdateMessage:
		f.update(msg.GetUpdate())
	}
	return f.Take()
}

func (f *standInFramework) registeredAs(id string) {
	if f.registered {
		return
	}
	f.registered = true
	f.st.id = id
	f.CancelTimer("register")
	f.Link(f.master)
	f.StartTimer("reconcile", f.reconcile)
}

func (f *standInFramework) offer(o *mesos.Offer) {
	// A framework that is not MULTI_ROLE gets offers without allocation
	// info (Mesos' master strips it); its tasks follow the offer's form.
	left := resources.Resources(o.GetResources()).Unallocate()
	res := f.taskRes
	if len(o.GetResources()) > 0 && o.GetResources()[0].GetAllocationInfo() != nil {
		res = f.taskRes.Allocate(o.GetResources()[0].GetAllocationInfo().GetRole())
	}
	var tasks []*mesos.TaskInfo
	for f.st.launched < f.st.want && left.Contains(f.taskRes) {
		f.st.launched++
		tid := fmt.Sprintf("%s-t%d", f.st.name, f.st.launched)
		tasks = append(tasks, &mesos.TaskInfo{
			Name:      proto.String(tid),
			TaskId:    &mesos.TaskID{Value: proto.String(tid)},
			SlaveId:   o.GetSlaveId(),
			Resources: res,
			Command:   &mesos.CommandInfo{Value: proto.String("true")},
		})
		f.st.launch(tid)
		left = left.Subtract(f.taskRes)
	}
	refuse := 5.0
	if len(tasks) == 0 {
		refuse = 60
	}
	f.Send(f.master, &mesosinternal.LaunchTasksMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String(f.st.id)},
		Tasks:       tasks,
		Filters:     &mesos.Filters{RefuseSeconds: proto.Float64(refuse)},
		OfferIds:    []*mesos.OfferID{o.GetId()},
	})
}

func (f *standInFramework) update(up *mesosinternal.StatusUpdate) {
	st := up.GetStatus()
	tid := st.GetTaskId().GetValue()
	if t := f.st.tasks[tid]; t != nil && t.launched {
		if !protocol.IsTerminal(t.last) && protocol.IsTerminal(st.GetState()) {
			f.st.done()
		}
		if !protocol.IsTerminal(t.last) {
			t.last = st.GetState()
		}
	}
	if len(up.GetUuid()) > 0 {
		f.Send(f.master, &mesosinternal.StatusUpdateAcknowledgementMessage{
			SlaveId: up.GetSlaveId(), FrameworkId: up.GetFrameworkId(), TaskId: st.GetTaskId(), Uuid: up.GetUuid(),
		})
	}
}

func (f *standInFramework) Timer(now time.Time, key string) []effect.Effect {
	switch key {
	case "register":
		if !f.registered {
			f.register()
		}
	case "reconcile":
		var sts []*mesos.TaskStatus
		for _, tid := range f.st.order {
			if s := f.st.tasks[tid].last; !protocol.IsTerminal(s) {
				sts = append(sts, &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String(tid)}, State: s.Enum()})
			}
		}
		if len(sts) > 0 {
			f.Send(f.master, &mesosinternal.ReconcileTasksMessage{FrameworkId: &mesos.FrameworkID{Value: proto.String(f.st.id)}, Statuses: sts})
		}
		f.StartTimer("reconcile", f.reconcile)
	}
	return f.Take()
}

// Exited: the link to the master broke (a partition, or the master went
// down). The master now holds the framework disconnected and forwards it
// no updates, so register again, as the scheduler driver does.
func (f *standInFramework) Exited(_ time.Time, pid actors.PID) []effect.Effect {
	if pid != f.master || !f.registered {
		return nil
	}
	f.registered = false
	f.CancelTimer("reconcile")
	f.register()
	return f.Take()
}
