package sim

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
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
	id    string
	info  *mesos.TaskInfo
	state mesos.TaskState
	fail  bool
}

// recoveryTimeout is how long an executor of a checkpointing framework
// waits for its agent to come back (MESOS_RECOVERY_TIMEOUT's default).
const recoveryTimeout = 15 * time.Minute

// recoveryKey is the simulated executor's recovery timer.
const recoveryKey = "recovery"

// simExecutor is a small executor core, speaking Mesos' executor messages
// to its agent as the executor driver does: it registers, runs each task
// it gets for a drawn virtual time (RUNNING, then FINISHED or FAILED),
// kills on request, keeps every update and task until the agent
// acknowledges it, and exits once every task has ended and its updates
// are acknowledged, or when told to shut down. When its agent goes away
// it exits, unless its framework checkpoints: then it waits for the
// restarted agent to ask it to reconnect, and hands back what was not
// acknowledged. A custom executor (a transcript's executor=E) stays up
// until shut down, and every executor echoes framework messages back.
//
// Its agent's pid, its task plan, UUID source and random source are its
// container's host's (the same for every process of an agent machine):
// a simulation holds an executor per task, so it keeps no copy.
type simExecutor struct {
	effect.Outbox
	sid      *mesos.SlaveID
	cont     *simContainer                 // its container
	tasks    []*xTask                      // in launch order (an executor has one or a few)
	updates  []*mesosinternal.StatusUpdate // unacknowledged, in order
	launched []*mesos.TaskInfo             // tasks with no acknowledged update yet
	// The first task and the lists' first room, in the executor's own
	// allocation: most executors run one task.
	first     xTask
	tasks1    [1]*xTask
	launched1 [1]*mesos.TaskInfo
	// The ids as messages and the pid as text, made once (ids) and
	// shared by the messages it sends (read only).
	fidMsg  *mesos.FrameworkID
	eidMsg  *mesos.ExecutorID
	pidText *string
	// The flags sit together: a simulation holds an executor per task.
	checkpoint bool
	custom     bool // the framework's own executor: it stays until shut down
	connected  bool
	gone       bool
}

// frameworkParts and executorParts are an executor's id messages with
// their text, each made in one allocation. They are apart because the
// agent keeps the executor id in its tasks' history, and nothing more.
type frameworkParts struct {
	fid              mesos.FrameworkID
	fidText, pidText string
}

type executorParts struct {
	eid     mesos.ExecutorID
	eidText string
}

// ids makes the executor's id messages, of framework fid and executor
// eid, before its first event; pidText is its pid as text.
func (x *simExecutor) ids(fid, eid, pidText string) {
	f := &frameworkParts{fidText: fid, pidText: pidText}
	f.fid.Value = &f.fidText
	e := &executorParts{eidText: eid}
	e.eid.Value = &e.eidText
	x.fidMsg, x.eidMsg, x.pidText = &f.fid, &e.eid, &f.pidText
}

// agent is the pid of the executor's agent.
func (x *simExecutor) agent() actors.PID { return x.cont.host.node.PID }

// plan is how the executor runs its tasks.
func (x *simExecutor) plan() *TaskPlan { return &x.cont.host.plan }

// rng is the random source of the executor's machine.
func (x *simExecutor) rng() *rand.Rand { return x.cont.host.node.Rand() }

func (x *simExecutor) start(time.Time) []effect.Effect {
	x.Send(x.agent(), &mesosinternal.RegisterExecutorMessage{FrameworkId: x.fidMsg, ExecutorId: x.eidMsg})
	x.Link(x.agent())
	return x.Take()
}

// task is task tid, or nil.
func (x *simExecutor) task(tid string) *xTask {
	if i := x.taskIndex(tid); i >= 0 {
		return x.tasks[i]
	}
	return nil
}

// taskIndex is the position of task tid in tasks, or -1.
func (x *simExecutor) taskIndex(tid string) int {
	for i, t := range x.tasks {
		if t.id == tid {
			return i
		}
	}
	return -1
}

// The timers of the task at i in tasks (which only grows) are keyed by
// that position: "running/i" starts it, "end/i" ends it. The first few
// keys are made once, for every executor.
const runningPrefix, endPrefix = "running/", "end/"

var runningKeys, endKeys = timerKeys(runningPrefix), timerKeys(endPrefix)

func timerKeys(prefix string) (keys [4]string) {
	for i := range keys {
		keys[i] = prefix + strconv.Itoa(i)
	}
	return keys
}

func timerKey(keys *[4]string, prefix string, i int) string {
	if i < len(keys) {
		return keys[i]
	}
	return prefix + strconv.Itoa(i)
}

// timerTask is the task whose timer key, of prefix, is; nil if none.
func (x *simExecutor) timerTask(key, prefix string) *xTask {
	i, err := strconv.Atoi(key[len(prefix):])
	if err != nil || i < 0 || i >= len(x.tasks) {
		return nil
	}
	return x.tasks[i]
}

// cancelTask cancels the timers of the task at i in tasks.
func (x *simExecutor) cancelTask(i int) {
	x.CancelTimer(timerKey(&runningKeys, runningPrefix, i))
	x.CancelTimer(timerKey(&endKeys, endPrefix, i))
}

// busy reports whether a task runs here.
func (x *simExecutor) busy() bool {
	for _, t := range x.tasks {
		if !protocol.IsTerminal(t.state) {
			return true
		}
	}
	return false
}

// running reports whether task tid runs here and has not ended.
func (x *simExecutor) running(tid string) bool {
	t := x.task(tid)
	return t != nil && !protocol.IsTerminal(t.state)
}

func (x *simExecutor) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	if from != x.agent() || x.gone {
		return nil
	}
	switch m := msg.(type) {
	case *mesosinternal.ExecutorRegisteredMessage:
		x.sid = m.GetSlaveId()
		x.connected = true
	case *mesosinternal.ExecutorReregisteredMessage:
		x.sid = m.GetSlaveId()
		x.connected = true
		x.CancelTimer(recoveryKey)
	case *mesosinternal.ReconnectExecutorMessage:
		x.Link(x.agent())
		x.Send(x.agent(), &mesosinternal.ReregisterExecutorMessage{
			FrameworkId: x.fidMsg,
			ExecutorId:  x.eidMsg,
			// Copies: acknowledged deletes from these lists in place.
			Updates: slices.Clone(x.updates),
			Tasks:   slices.Clone(x.launched),
		})
	case *mesosinternal.RunTaskMessage:
		tid := m.GetTask().GetTaskId().GetValue()
		if x.task(tid) != nil || !x.connected {
			break
		}
		var t *xTask
		if x.tasks == nil {
			t, x.tasks, x.launched = &x.first, x.tasks1[:0], x.launched1[:0]
		} else {
			t = new(xTask)
		}
		*t = xTask{id: tid, info: m.GetTask(), state: mesos.TaskState_TASK_STAGING, fail: x.rng().Float64() < x.plan().FailRate}
		x.tasks = append(x.tasks, t)
		x.launched = append(x.launched, m.GetTask())
		if x.plan().Manual {
			x.update(now, tid, mesos.TaskState_TASK_RUNNING)
			break
		}
		start := time.Duration(10+x.rng().IntN(490)) * time.Millisecond
		run := x.plan().Time/2 + time.Duration(x.rng().Int64N(int64(x.plan().Time)+1))
		i := len(x.tasks) - 1
		x.StartTimer(timerKey(&runningKeys, runningPrefix, i), start)
		x.StartTimer(timerKey(&endKeys, endPrefix, i), start+run)
	case *mesosinternal.KillTaskMessage:
		tid := m.GetTaskId().GetValue()
		if i := x.taskIndex(tid); i >= 0 && !protocol.IsTerminal(x.tasks[i].state) {
			x.cancelTask(i)
			x.update(now, tid, mesos.TaskState_TASK_KILLED)
		}
	case *mesosinternal.StatusUpdateAcknowledgementMessage:
		x.acknowledged(m)
	case *mesosinternal.FrameworkToExecutorMessage:
		x.Send(x.agent(), &mesosinternal.ExecutorToFrameworkMessage{
			SlaveId: x.sid, FrameworkId: FrameworkID(x.fidMsg.GetValue()), ExecutorId: &mesos.ExecutorID{Value: proto.String(x.eidMsg.GetValue())}, Data: append([]byte("echo: "), m.GetData()...),
		})
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
	case key == recoveryKey:
		if !x.connected {
			x.exit()
		}
	case strings.HasPrefix(key, runningPrefix):
		if t := x.timerTask(key, runningPrefix); t != nil && t.state == mesos.TaskState_TASK_STAGING {
			x.updateTask(now, t, mesos.TaskState_TASK_RUNNING)
		}
	case strings.HasPrefix(key, endPrefix):
		if t := x.timerTask(key, endPrefix); t != nil && !protocol.IsTerminal(t.state) {
			state := mesos.TaskState_TASK_FINISHED
			if t.fail {
				state = mesos.TaskState_TASK_FAILED
			}
			x.updateTask(now, t, state)
		}
	}
	return x.Take()
}

// Exited: an executor whose agent went away exits, unless its framework
// checkpoints and it had registered: then it waits recoveryTimeout for the
// agent to come back.
func (x *simExecutor) Exited(_ time.Time, pid actors.PID) []effect.Effect {
	if pid != x.agent() || x.gone {
		return nil
	}
	if x.checkpoint && x.connected {
		x.connected = false
		x.StartTimer(recoveryKey, recoveryTimeout)
		return x.Take()
	}
	x.connected = false
	x.exit()
	return x.Take()
}

// acknowledged drops the update the agent acknowledged, and the task it
// belongs to from those handed back on reconnection; acknowledgements
// that arrive while disconnected are ignored, as the driver does.
func (x *simExecutor) acknowledged(m *mesosinternal.StatusUpdateAcknowledgementMessage) {
	if !x.connected {
		return
	}
	i := slices.IndexFunc(x.updates, func(u *mesosinternal.StatusUpdate) bool { return string(u.GetUuid()) == string(m.GetUuid()) })
	if i < 0 {
		return
	}
	x.updates = slices.Delete(x.updates, i, i+1)
	tid := m.GetTaskId().GetValue()
	if j := slices.IndexFunc(x.launched, func(t *mesos.TaskInfo) bool { return t.GetTaskId().GetValue() == tid }); j >= 0 {
		x.launched = slices.Delete(x.launched, j, j+1)
	}
	x.maybeExit()
}

// statusParts is a task status with its scalar parts, made in one
// allocation: the agent keeps the status in its task's history.
type statusParts struct {
	status mesos.TaskStatus
	uuid   protocol.UUID
	state  mesos.TaskState
	source mesos.TaskStatus_Source
}

// updateParts is a status update with its message and timestamp, made in
// one allocation: they are dropped once the update is acknowledged.
type updateParts struct {
	msg       mesosinternal.StatusUpdateMessage
	update    mesosinternal.StatusUpdate
	timestamp float64
}

func (x *simExecutor) update(now time.Time, tid string, state mesos.TaskState) {
	x.updateTask(now, x.task(tid), state)
}

// updateTask sends an update of task t in state.
func (x *simExecutor) updateTask(now time.Time, t *xTask, state mesos.TaskState) {
	t.state = state
	// The agent keeps the update as sent, and so does the executor: both
	// only read it.
	s := &statusParts{uuid: x.cont.host.uuids.NewUUID(), state: state, source: mesos.TaskStatus_SOURCE_EXECUTOR}
	st := &s.status
	st.TaskId, st.State, st.Source = t.info.GetTaskId(), &s.state, &s.source
	st.SlaveId, st.ExecutorId, st.Uuid = x.sid, x.eidMsg, s.uuid[:]
	a := &updateParts{timestamp: float64(now.UnixNano()) / 1e9}
	up := &a.update
	up.FrameworkId, up.ExecutorId, up.SlaveId = x.fidMsg, x.eidMsg, x.sid
	up.Status, up.Timestamp, up.Uuid = st, &a.timestamp, st.Uuid
	x.updates = append(x.updates, up)
	a.msg.Update, a.msg.Pid = up, x.pidText
	x.Send(x.agent(), &a.msg)
}

// maybeExit ends the executor once all its tasks ended and were
// acknowledged, as the command executor does.
func (x *simExecutor) maybeExit() {
	if x.custom || len(x.updates) > 0 {
		return
	}
	for _, t := range x.tasks {
		if !protocol.IsTerminal(t.state) {
			return
		}
	}
	x.exit()
}

func (x *simExecutor) exit() {
	x.gone = true
	x.Add(execExit{})
}
