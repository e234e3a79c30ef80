package tests

import (
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
)

// txExecExit is the executor's own exit.
type txExecExit struct{}

// txRecoveryTimeout is MESOS_RECOVERY_TIMEOUT: how long an executor of a
// checkpointing framework waits for its agent to come back.
const txRecoveryTimeout = 15 * time.Minute

// txTask is a task in an executor.
type txTask struct {
	info  *mesos.TaskInfo
	state mesos.TaskState
}

// txExecutor speaks Mesos' executor messages as the command executor
// does, on the script's word: it registers, answers a task with
// TASK_RUNNING, sends the updates `status` asks for, kills on request,
// keeps every update until the agent acknowledges it, and exits once its
// tasks ended and were acknowledged, when told to shut down, or when its
// agent goes away. If its framework checkpoints it waits for the agent to
// come back (txRecoveryTimeout) and reregisters with its unacknowledged
// updates when asked to reconnect.
type txExecutor struct {
	effect.Outbox
	pid, agent actors.PID
	fid, eid   string
	sid        *mesos.SlaveID
	uuids      protocol.UUIDs
	checkpoint bool
	custom     bool
	tasks      map[string]*txTask
	order      []string
	unacked    []*mesosinternal.StatusUpdate // in the order sent
	gone       bool
}

func (x *txExecutor) start(time.Time) []effect.Effect {
	x.tasks = map[string]*txTask{}
	x.Send(x.agent, &mesosinternal.RegisterExecutorMessage{FrameworkId: fwID(x.fid), ExecutorId: execID(x.eid)})
	x.Link(x.agent)
	return x.Take()
}

func (x *txExecutor) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	if from != x.agent || x.gone {
		return nil
	}
	switch m := msg.(type) {
	case *mesosinternal.ExecutorRegisteredMessage:
		x.sid = m.GetSlaveId()
	case *mesosinternal.ExecutorReregisteredMessage:
		x.sid = m.GetSlaveId()
	case *mesosinternal.ReconnectExecutorMessage:
		x.CancelTimer("recovery")
		re := &mesosinternal.ReregisterExecutorMessage{ExecutorId: execID(x.eid), FrameworkId: fwID(x.fid)}
		for _, tid := range x.order {
			if t := x.tasks[tid]; !protocol.IsTerminal(t.state) {
				re.Tasks = append(re.Tasks, t.info)
			}
		}
		re.Updates = append(re.Updates, x.unacked...)
		x.Send(x.agent, re)
		x.Link(x.agent)
	case *mesosinternal.RunTaskMessage:
		tid := m.GetTask().GetTaskId().GetValue()
		if x.tasks[tid] != nil {
			break
		}
		x.tasks[tid] = &txTask{info: m.GetTask(), state: mesos.TaskState_TASK_STAGING}
		x.order = append(x.order, tid)
		x.update(now, tid, mesos.TaskState_TASK_RUNNING)
	case *mesosinternal.KillTaskMessage:
		tid := m.GetTaskId().GetValue()
		if t := x.tasks[tid]; t != nil && !protocol.IsTerminal(t.state) {
			x.update(now, tid, mesos.TaskState_TASK_KILLED)
		}
	case *mesosinternal.StatusUpdateAcknowledgementMessage:
		for i, u := range x.unacked {
			if string(u.GetUuid()) == string(m.GetUuid()) {
				x.unacked = append(x.unacked[:i], x.unacked[i+1:]...)
				break
			}
		}
		x.maybeExit()
	case *mesosinternal.FrameworkToExecutorMessage:
		x.Send(x.agent, &mesosinternal.ExecutorToFrameworkMessage{
			SlaveId: x.sid, FrameworkId: fwID(x.fid), ExecutorId: execID(x.eid), Data: append([]byte("echo: "), m.GetData()...),
		})
	case *mesosinternal.ShutdownExecutorMessage:
		x.exit()
	}
	return x.Take()
}

func (x *txExecutor) Timer(_ time.Time, key string) []effect.Effect {
	if key == "recovery" && !x.gone {
		x.exit()
	}
	return x.Take()
}

// Exited: the agent went away.
func (x *txExecutor) Exited(_ time.Time, pid actors.PID) []effect.Effect {
	if pid != x.agent || x.gone {
		return nil
	}
	if x.checkpoint {
		x.StartTimer("recovery", txRecoveryTimeout)
	} else {
		x.exit()
	}
	return x.Take()
}

func (x *txExecutor) update(now time.Time, tid string, state mesos.TaskState) {
	t := x.tasks[tid]
	t.state = state
	u := &mesosinternal.StatusUpdate{
		FrameworkId: fwID(x.fid),
		ExecutorId:  execID(x.eid),
		SlaveId:     x.sid,
		Status: &mesos.TaskStatus{
			TaskId: t.info.GetTaskId(), State: state.Enum(), Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
			SlaveId: x.sid, ExecutorId: execID(x.eid),
		},
		Timestamp: proto.Float64(float64(now.UnixNano()) / 1e9),
		Uuid:      x.uuids.NewUUID().Bytes(),
	}
	x.unacked = append(x.unacked, u)
	x.Send(x.agent, &mesosinternal.StatusUpdateMessage{Update: u, Pid: proto.String(x.pid.String())})
}

// maybeExit ends the executor once all its tasks ended and were
// acknowledged, as the command executor does (a custom one stays).
func (x *txExecutor) maybeExit() {
	if x.custom || len(x.unacked) > 0 {
		return
	}
	for _, tid := range x.order {
		if !protocol.IsTerminal(x.tasks[tid].state) {
			return
		}
	}
	x.exit()
}

func (x *txExecutor) exit() {
	x.gone = true
	x.Add(txExecExit{})
}

func fwID(id string) *mesos.FrameworkID { return &mesos.FrameworkID{Value: proto.String(id)} }

func execID(id string) *mesos.ExecutorID { return &mesos.ExecutorID{Value: proto.String(id)} }
