package sim

import (
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
)

// execExit is the simulated executor's effect for its own exit.
type execExit struct{}

// xTask is a task in a simulated executor.
type xTask struct {
	info    *mesos.TaskInfo
	state   mesos.TaskState
	fail    bool
	unacked int // updates sent and not yet acknowledged
}

// simExecutor is a small executor core, speaking Mesos' executor messages
// to its agent: it registers, runs each task it gets for a drawn virtual
// time (RUNNING, then FINISHED or FAILED), kills on request, and exits
// once every task has ended and its updates are acknowledged, or when
// told to shut down, or when its agent goes away.
type simExecutor struct {
	effect.Outbox
	pid, agent actors.PID
	fid, eid   string
	sid        *mesos.SlaveID
	plan       TaskPlan
	rng        *rand.Rand
	uuids      protocol.UUIDs
	tasks      map[string]*xTask
	order      []string
	gone       bool
}

func (x *simExecutor) start(time.Time) []effect.Effect {
	x.Send(x.agent, &mesosinternal.RegisterExecutorMessage{
		FrameworkId: &mesos.FrameworkID{Value: proto.String(x.fid)},
		ExecutorId:  &mesos.ExecutorID{Value: proto.String(x.eid)},
	})
	x.Link(x.agent)
	return x.Take()
}

// running reports whether task tid runs here and has not ended.
func (x *simExecutor) running(tid string) bool {
	t := x.tasks[tid]
	return t != nil && !protocol.IsTerminal(t.state)
}

func (x *simExecutor) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	if from != x.agent || x.gone {
		return nil
	}
	switch m := msg.(type) {
	case *mesosinternal.ExecutorRegisteredMessage:
		x.sid = m.GetSlaveId()
	case *mesosinternal.RunTaskMessage:
		tid := m.GetTask().GetTaskId().GetValue()
		if x.tasks[tid] != nil {
			break
		}
		t := &xTask{info: m.GetTask(), state: mesos.TaskState_TASK_STAGING, fail: x.rng.Float64() < x.plan.FailRate}
		x.tasks[tid] = t
		x.order = append(x.order, tid)
		if x.plan.Manual {
			x.update(now, tid, mesos.TaskState_TASK_RUNNING)
			break
		}
		start := time.Duration(10+x.rng.IntN(490)) * time.Millisecond
		run := x.plan.Time/2 + time.Duration(x.rng.Int64N(int64(x.plan.Time)+1))
		x.StartTimer("running/"+tid, start)
		x.StartTimer("end/"+tid, start+run)
	case *mesosinternal.KillTaskMessage:
		tid := m.GetTaskId().GetValue()
		if t := x.tasks[tid]; t != nil && !protocol.IsTerminal(t.state) {
			x.CancelTimer("running/" + tid)
			x.CancelTimer("end/" + tid)
			x.update(now, tid, mesos.TaskState_TASK_KILLED)
		}
	case *mesosinternal.StatusUpdateAcknowledgementMessage:
		if t := x.tasks[m.GetTaskId().GetValue()]; t != nil && t.unacked > 0 {
			t.unacked--
			x.maybeExit()
		}
	case *mesosinternal.ShutdownExecutorMessage:
		x.exit()
	}
	return x.Take()
}

func (x *simExecutor) Timer(now time.Time, key string) []effect.Effect {
	if x.gone {
		return nil
	}
	switch {
	case len(key) > 8 && key[:8] == "running/":
		if t := x.tasks[key[8:]]; t != nil && t.state == mesos.TaskState_TASK_STAGING {
			x.update(now, key[8:], mesos.TaskState_TASK_RUNNING)
		}
	case len(key) > 4 && key[:4] == "end/":
		if t := x.tasks[key[4:]]; t != nil && !protocol.IsTerminal(t.state) {
			state := mesos.TaskState_TASK_FINISHED
			if t.fail {
				state = mesos.TaskState_TASK_FAILED
			}
			x.update(now, key[4:], state)
		}
	}
	return x.Take()
}

// Exited: an executor whose agent went away exits (its framework does not
// checkpoint, so it would not be recovered).
func (x *simExecutor) Exited(_ time.Time, pid actors.PID) []effect.Effect {
	if pid == x.agent && !x.gone {
		x.exit()
	}
	return x.Take()
}

func (x *simExecutor) update(now time.Time, tid string, state mesos.TaskState) {
	t := x.tasks[tid]
	t.state = state
	t.unacked++
	u := x.uuids.NewUUID()
	x.Send(x.agent, &mesosinternal.StatusUpdateMessage{
		Update: &mesosinternal.StatusUpdate{
			FrameworkId: &mesos.FrameworkID{Value: proto.String(x.fid)},
			ExecutorId:  &mesos.ExecutorID{Value: proto.String(x.eid)},
			SlaveId:     x.sid,
			Status: &mesos.TaskStatus{
				TaskId: t.info.GetTaskId(), State: state.Enum(), Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
				SlaveId: x.sid, ExecutorId: &mesos.ExecutorID{Value: proto.String(x.eid)},
			},
			Timestamp: proto.Float64(float64(now.UnixNano()) / 1e9),
			Uuid:      u.Bytes(),
		},
		Pid: proto.String(x.pid.String()),
	})
}

// maybeExit ends the executor once all its tasks ended and were
// acknowledged, as the command executor does.
func (x *simExecutor) maybeExit() {
	for _, tid := range x.order {
		if t := x.tasks[tid]; !protocol.IsTerminal(t.state) || t.unacked > 0 {
			return
		}
	}
	x.exit()
}

func (x *simExecutor) exit() {
	x.gone = true
	x.Add(execExit{})
}
