package slave

import (
	"fmt"
	"sort"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/slave/containerizer"
	"google.golang.org/protobuf/proto"
)

// How much history the agent keeps (Mesos' defaults).
const (
	maxCompletedFrameworks            = 50
	maxCompletedExecutorsPerFramework = 150
	maxCompletedTasksPerExecutor      = 200
)

type agentState int

const (
	disconnected agentState = iota
	running
	terminating
)

func (s agentState) String() string {
	switch s {
	case disconnected:
		return "DISCONNECTED"
	case running:
		return "RUNNING"
	default:
		return "TERMINATING"
	}
}

type frameworkState int

const (
	frameworkRunning frameworkState = iota
	frameworkTerminating
)

type executorState uint8

const (
	executorRegistering executorState = iota
	executorRunning
	executorTerminating
	executorTerminated
)

func (s executorState) String() string {
	return [...]string{"REGISTERING", "RUNNING", "TERMINATING", "TERMINATED"}[s]
}

// pendingTask is a task between RunTaskMessage and its hand-over to an
// executor record.
type pendingTask struct {
	task           *mesos.TaskInfo
	executorInfo   *mesos.ExecutorInfo
	commandTask    bool
	launchExecutor *bool
}

type framework struct {
	id    string
	idMsg *mesos.FrameworkID // id as a message, read only (task records share it)
	info  *mesos.FrameworkInfo
	// checkpoint is info's checkpoint flag (read often; setInfo).
	checkpoint bool
	// infoFrom is the received FrameworkInfo that info was copied from
	// (nil if none): the same message again needs no comparison.
	infoFrom *mesos.FrameworkInfo
	// written: this record checkpointed writtenInfo and writtenPID (its
	// framework.info and framework.pid).
	written     bool
	writtenInfo *mesos.FrameworkInfo
	writtenPID  actors.PID
	pid         actors.PID // the scheduler, if known
	state       frameworkState
	// pidTextCache is pidTextOf as text (pidText).
	pidTextOf    actors.PID
	pidTextCache *string

	pending map[string]*pendingTask // by task id; nil when empty
	// executors are the live ones in creation order. A framework has
	// few on an agent as a rule: they are searched in order, and indexed
	// by id (byID) and by task (taskExec) only once there are
	// manyExecutors of them.
	executors []*executor
	byID      map[string]*executor
	// taskExec is, once indexed, the live executor that has each task
	// queued, launched or terminated (executorOf), but for tasks named as
	// their executor (byID finds those). scan is set if two live
	// executors ever claimed one task id or shared an id, and executorOf
	// then searches them in order.
	taskExec map[string]*executor
	scan     bool

	completedExecutors []*executor
}

// newFramework keeps info itself: the caller hands over its own copy.
func newFramework(info *mesos.FrameworkInfo, pid actors.PID) *framework {
	return &framework{
		id:    info.GetId().GetValue(),
		idMsg: &mesos.FrameworkID{Value: proto.String(info.GetId().GetValue())},
		info:  info,
		pid:   pid,

		checkpoint: info.GetCheckpoint(),
	}
}

// setInfo replaces the framework's info (never changed in place) and
// what was received (infoFrom).
func (f *framework) setInfo(info, from *mesos.FrameworkInfo) {
	f.info, f.infoFrom, f.checkpoint = info, from, info.GetCheckpoint()
}

// pidText is the scheduler's pid as text ("" if unknown), kept until the
// pid changes; messages share it (read only).
func (f *framework) pidText() *string {
	if f.pidTextCache == nil || f.pidTextOf != f.pid {
		text := ""
		if !f.pid.IsZero() {
			text = f.pid.String()
		}
		f.pidTextOf, f.pidTextCache = f.pid, &text
	}
	return f.pidTextCache
}

// idle: no executors and no pending tasks.
func (f *framework) idle() bool { return len(f.executors) == 0 && len(f.pending) == 0 }

func (f *framework) partitionAware() bool { return protocol.PartitionAware(f.info) }

// manyExecutors is the number of live executors from which a framework
// indexes them.
const manyExecutors = 8

// addPending records a task waiting for its launch.
func (f *framework) addPending(id string, p *pendingTask) {
	if f.pending == nil {
		f.pending = map[string]*pendingTask{}
	}
	f.pending[id] = p
}

// dropPending forgets a pending task; an emptied map goes (a map keeps
// its room when emptied, and ended frameworks are kept for the history).
func (f *framework) dropPending(id string) {
	delete(f.pending, id)
	if len(f.pending) == 0 {
		f.pending = nil
	}
}

// executor is the live executor of that id, nil if none.
func (f *framework) executor(id string) *executor {
	if f.byID != nil {
		return f.byID[id]
	}
	for _, e := range f.executors {
		if e.id == id {
			return e
		}
	}
	return nil
}

// executorOf finds the live executor that has (or will get) the task:
// the first in creation order whose queued, launched or terminated tasks
// hold it.
func (f *framework) executorOf(taskID string) *executor {
	if f.scan {
		return f.scanExecutorOf(taskID)
	}
	// No two live executors have one task: a command executor, named as
	// its task, is the one if it has it.
	e := f.executor(taskID)
	if e == nil || !e.hasTask(taskID) {
		if f.taskExec != nil {
			e = f.taskExec[taskID]
		} else {
			e = f.scanExecutorOf(taskID)
		}
	}
	if checkTaskIndex {
		if want := f.scanExecutorOf(taskID); want != e {
			panic(fmt.Sprintf("task index of framework %s: task %s maps to %p, a scan finds %p", f.id, taskID, e, want))
		}
	}
	return e
}

// checkTaskIndex makes executorOf and taskIndex compare their index with
// a scan (tests).
var checkTaskIndex = false

func (f *framework) scanExecutorOf(taskID string) *executor {
	for _, e := range f.executors {
		if e.hasTask(taskID) {
			return e
		}
	}
	return nil
}

// indexTask records that e has task id: in taskExec once the framework
// indexes its executors (unless e is named as the task: byID finds it),
// and in scan if another live executor has it too.
func (f *framework) indexTask(id string, e *executor) {
	if f.otherOwner(id, e) {
		f.scan = true
		return
	}
	if f.taskExec != nil && id != e.id {
		f.taskExec[id] = e
	}
}

// otherOwner reports whether a live executor other than e has task id.
func (f *framework) otherOwner(id string, e *executor) bool {
	if f.taskExec == nil {
		for _, x := range f.executors {
			if x != e && x.hasTask(id) {
				return true
			}
		}
		return false
	}
	if x := f.taskExec[id]; x != nil && x != e {
		return true
	}
	x := f.byID[id]
	return x != nil && x != e && x.hasTask(id)
}

// unindexTask records that e no longer has task id.
func (f *framework) unindexTask(id string, e *executor) {
	if f.taskExec[id] == e {
		delete(f.taskExec, id)
	}
}

func (f *framework) addExecutor(e *executor) {
	if f.executor(e.id) != nil {
		// Two live executors of one id: lookups by task search them all.
		f.scan = true
	}
	f.executors = append(f.executors, e)
	e.fw = f
	switch {
	case f.byID != nil:
		if f.byID[e.id] == nil {
			f.byID[e.id] = e
		}
		e.eachTaskID(func(id string) { f.indexTask(id, e) })
	case len(f.executors) < manyExecutors:
		e.eachTaskID(func(id string) { f.indexTask(id, e) })
	default:
		f.byID = make(map[string]*executor, len(f.executors))
		for _, x := range f.executors {
			if f.byID[x.id] == nil {
				f.byID[x.id] = x
			}
		}
		f.taskExec = map[string]*executor{}
		for _, x := range f.executors {
			x.eachTaskID(func(id string) { f.indexTask(id, x) })
		}
	}
}

func (f *framework) destroyExecutor(id string) {
	i := 0
	for i < len(f.executors) && f.executors[i].id != id {
		i++
	}
	if i == len(f.executors) {
		return
	}
	e := f.executors[i]
	e.eachTaskID(func(tid string) { f.unindexTask(tid, e) })
	e.fw = nil
	e.total = nil // history keeps no running total: allocated() re-sums
	f.executors = append(f.executors[:i:i], f.executors[i+1:]...)
	if f.byID[id] == e {
		delete(f.byID, id)
		for _, x := range f.executors { // another live one of that id
			if x.id == id {
				f.byID[id] = x
				break
			}
		}
	}
	if len(f.executors) == 0 {
		f.executors, f.byID, f.taskExec, f.scan = nil, nil, nil, false
	}
	f.completedExecutors = append(f.completedExecutors, e)
	if len(f.completedExecutors) > maxCompletedExecutorsPerFramework {
		f.completedExecutors = f.completedExecutors[1:]
	}
}

// executor is one executor's record, live or kept for the history. Its
// small fields sit together: the agent keeps many of these.
type executor struct {
	id      string
	fwIDMsg *mesos.FrameworkID // its framework's id (idMsg)
	// fw is the framework while the executor is one of its live ones: it
	// indexes the executor's tasks (framework.taskExec).
	fw          *framework
	info        *mesos.ExecutorInfo
	containerID string
	// sid is the agent's id when the executor was made, which names its
	// sandbox (Core.sandbox, made when asked for: few ask).
	sid     string
	metaRun string // the run's meta folder, once known (runMeta)
	pid     actors.PID

	queued []*mesos.TaskInfo // in arrival order
	// tasks are the launched and terminated (not yet acknowledged) ones,
	// in launch order; most executors run one task, and a short list is
	// searched faster than a map and is smaller.
	tasks     []taskEntry
	completed []*mesos.Task
	// total is allocated() once asked for (nil before, and after a
	// change it cannot follow).
	total *allocTotal
	// rare holds the fields few executors ever set (nil until one is):
	// the record stays in a smaller size class.
	rare *executorRare

	state             executorState
	commandTask       bool // synthesised for a command task
	hosted            bool // a command executor the agent hosts (no process)
	everSent          bool
	launchedContainer bool // Launch was called
	// inFlight: the container's launch holds one of the core's
	// MaxLaunchesInFlight slots (launchSettled frees it).
	inFlight  bool
	recovered bool // rebuilt from the checkpoint at start
	// linked: the agent linked pid (the executor registered);
	// peerExited: that link's Exited has arrived.
	linked, peerExited bool
	// contained: the core's containers hold the executor's container
	// (Core.contain); destroying: it is being destroyed; shutdownArmed:
	// its executor-shutdown timer was started.
	contained, destroying, shutdownArmed bool
}

// executorRare are an executor's fields that few executors set.
type executorRare struct {
	// ids indexes the queued, launched and terminated tasks by id while
	// the executor holds more than manyTasks (nil before): a task's
	// position in tasks, or inQueue. While indexed, a completed task
	// leaves a gap in tasks (kind taskGone), squeezed out once gaps make
	// up half of it.
	ids  map[string]int
	gaps int

	pendingTermination *containerizer.Termination
	// exit is the container's end, held back until the executor's last
	// messages are in (see ContainerExited).
	exit *containerExit
	// forkedPID is the recovered container's pid (0 if none or over), a
	// pid_t.
	forkedPID int32
	// sandbox is the run's sandbox when its folder is not named by the
	// executor's ids (a recovered executor whose info names another
	// executor than its folder does); "" as a rule.
	sandbox string
}

// more is e.rare, made if need be.
func (e *executor) more() *executorRare {
	if e.rare == nil {
		e.rare = &executorRare{}
	}
	return e.rare
}

// index is the executor's task index (ids), nil if there is none.
func (e *executor) index() map[string]int {
	if e.rare == nil {
		return nil
	}
	return e.rare.ids
}

// gaps is the number of gaps in e.tasks (only while indexed).
func (e *executor) gaps() int {
	if e.rare == nil {
		return 0
	}
	return e.rare.gaps
}

// pendingTermination is the termination the executor's end is to report
// (nil if none yet).
func (e *executor) pendingTermination() *containerizer.Termination {
	if e.rare == nil {
		return nil
	}
	return e.rare.pendingTermination
}

// exit is the container's held back end (nil if none).
func (e *executor) exit() *containerExit {
	if e.rare == nil {
		return nil
	}
	return e.rare.exit
}

// forkedPID is the recovered container's pid (0 if none or over).
func (e *executor) forkedPID() int32 {
	if e.rare == nil {
		return 0
	}
	return e.rare.forkedPID
}

// frameworkID is the id of the executor's framework.
func (e *executor) frameworkID() string { return e.fwIDMsg.GetValue() }

// heldUpdate is an executor's status update and its sender, waiting for
// the answer to CheckLimitation (Core.held).
type heldUpdate struct {
	u   *mesosinternal.StatusUpdate
	pid actors.PID
}

// containerExit is a container's end as WaitContainer reported it.
type containerExit struct {
	termination *containerizer.Termination
	err         error
}

// unfinishedLaunched reports whether a task the executor was given is
// not yet terminal (an update from the executor may still be on its way).
func (e *executor) unfinishedLaunched() bool {
	for _, x := range e.tasks {
		if x.kind == taskLaunched && !protocol.IsTerminal(x.task.GetState()) {
			return true
		}
	}
	return false
}

// newExecutor keeps info itself: the caller hands over a copy nothing
// changes afterwards.
func newExecutor(f *framework, info *mesos.ExecutorInfo, commandTask bool, containerID, sid string) *executor {
	return &executor{
		id:          info.GetExecutorId().GetValue(),
		fwIDMsg:     f.idMsg,
		info:        info,
		commandTask: commandTask,
		containerID: containerID,
		sid:         sid,
	}
}

// taskEntry is one of an executor's launched or terminated tasks.
type taskEntry struct {
	// id is task's id, kept here so that a search reads no task record.
	id   string
	task *mesos.Task // its TaskId is set (createTask)
	kind taskKind
}

type taskKind uint8

const (
	taskLaunched   taskKind = iota
	taskTerminated          // terminated after its launch
	// taskDropped: terminated while queued (never launched).
	taskDropped
	// taskGone: a gap left by a completed task (only while indexed).
	taskGone
)

// manyTasks is the number of tasks past which an executor indexes them.
const manyTasks = 16

// inQueue is the position ids gives a queued task.
const inQueue = -1

// taskIndex is the position of task id in e.tasks, -1 if none.
func (e *executor) taskIndex(id string) int {
	if ids := e.index(); ids != nil {
		i, ok := ids[id]
		if !ok {
			i = -1 // inQueue is -1 too
		}
		if checkTaskIndex {
			if want := e.scanTaskIndex(id); want != i {
				panic(fmt.Sprintf("task index of executor %s: task %s at %d, a scan finds %d", e.id, id, i, want))
			}
		}
		return i
	}
	return e.scanTaskIndex(id)
}

func (e *executor) scanTaskIndex(id string) int {
	for i := range e.tasks {
		if e.tasks[i].id == id && e.tasks[i].kind != taskGone {
			return i
		}
	}
	return -1
}

// launchedTask is task id if it is launched and not terminated, else nil.
func (e *executor) launchedTask(id string) *mesos.Task {
	if i := e.taskIndex(id); i >= 0 && e.tasks[i].kind == taskLaunched {
		return e.tasks[i].task
	}
	return nil
}

// terminatedTask is task id if it is terminated and not yet completed,
// else nil.
func (e *executor) terminatedTask(id string) *mesos.Task {
	if i := e.taskIndex(id); i >= 0 && e.tasks[i].kind != taskLaunched {
		return e.tasks[i].task
	}
	return nil
}

func (e *executor) hasTask(id string) bool {
	if ids := e.index(); ids != nil {
		_, ok := ids[id]
		return ok
	}
	return e.taskIndex(id) >= 0 || e.queuedIndex(id) >= 0
}

func (e *executor) queuedIndex(id string) int {
	if ids := e.index(); ids != nil {
		if i, ok := ids[id]; !ok || i != inQueue {
			return -1
		}
	}
	for i, t := range e.queued {
		if t.GetTaskId().GetValue() == id {
			return i
		}
	}
	return -1
}

// eachTaskID calls fn with the id of each queued, launched and terminated
// task.
func (e *executor) eachTaskID(fn func(id string)) {
	for _, t := range e.queued {
		fn(t.GetTaskId().GetValue())
	}
	for _, x := range e.tasks {
		if x.kind != taskGone {
			fn(x.id)
		}
	}
}

// indexTasks builds ids once the executor holds more than manyTasks.
func (e *executor) indexTasks() {
	if e.index() != nil || len(e.queued)+len(e.tasks) <= manyTasks {
		return
	}
	ids := make(map[string]int, len(e.queued)+len(e.tasks))
	for _, t := range e.queued {
		ids[t.GetTaskId().GetValue()] = inQueue
	}
	for i, x := range e.tasks {
		ids[x.id] = i
	}
	e.more().ids = ids
}

// squeeze drops the gaps from e.tasks, and the index once the executor
// holds no more than manyTasks.
func (e *executor) squeeze() {
	var live []taskEntry
	if n := len(e.tasks) - e.gaps(); n > 0 {
		live = make([]taskEntry, 0, n)
		for _, x := range e.tasks {
			if x.kind != taskGone {
				live = append(live, x)
			}
		}
	}
	e.tasks, e.rare.gaps = live, 0 // squeezed only while indexed
	if len(e.queued)+len(e.tasks) <= manyTasks {
		e.rare.ids = nil
		return
	}
	for i, x := range e.tasks {
		e.rare.ids[x.id] = i
	}
}

func (e *executor) enqueue(t *mesos.TaskInfo) {
	e.total = nil
	e.queued = append(e.queued, t)
	if ids := e.index(); ids != nil {
		ids[t.GetTaskId().GetValue()] = inQueue
	} else {
		e.indexTasks()
	}
	if e.fw != nil {
		e.fw.indexTask(t.GetTaskId().GetValue(), e)
	}
}

// dequeue takes a queued task off the queue; the caller launches or
// terminates it (the task stays the executor's).
func (e *executor) dequeue(id string) *mesos.TaskInfo {
	i := e.queuedIndex(id)
	if i < 0 {
		return nil
	}
	// The queue is the executor's own (callers copy it before handing it
	// on): it is changed in place. Tasks go in arrival order as a rule,
	// so the head is taken without moving the rest.
	e.total = nil
	t := e.queued[i]
	if i == 0 {
		e.queued[0] = nil
		e.queued = e.queued[1:]
	} else {
		last := len(e.queued) - 1
		copy(e.queued[i:], e.queued[i+1:])
		e.queued[last] = nil
		e.queued = e.queued[:last]
	}
	if len(e.queued) == 0 {
		e.queued = nil
	}
	if ids := e.index(); ids != nil {
		delete(ids, id)
	}
	return t
}

func (e *executor) addLaunched(t *mesos.TaskInfo) *mesos.Task {
	task := createTask(t, mesos.TaskState_TASK_STAGING, e.fwIDMsg)
	e.setLaunched(task)
	e.everSent = true
	if e.fw != nil {
		e.fw.indexTask(t.GetTaskId().GetValue(), e)
	}
	return task
}

// setLaunched adds t (whose TaskId is set) as launched, after those
// launched before it.
func (e *executor) setLaunched(t *mesos.Task) {
	e.addEntry(taskEntry{id: t.GetTaskId().GetValue(), task: t, kind: taskLaunched})
}

func (e *executor) addEntry(x taskEntry) {
	if x.kind == taskLaunched {
		e.totalLaunched(x.task)
	}
	e.tasks = append(e.tasks, x)
	if ids := e.index(); ids != nil {
		ids[x.id] = len(e.tasks) - 1
	} else {
		e.indexTasks()
	}
}

// setTerminated marks launched task t as terminated, or adds it as
// terminated (a task terminated while queued if dropped).
func (e *executor) setTerminated(t *mesos.Task, dropped bool) {
	if i := e.taskIndex(t.GetTaskId().GetValue()); i >= 0 {
		if e.tasks[i].kind == taskLaunched {
			e.totalEnded(i)
		}
		e.tasks[i].task, e.tasks[i].kind = t, taskTerminated
		return
	}
	kind := taskTerminated
	if dropped {
		kind = taskDropped
	}
	e.addEntry(taskEntry{id: t.GetTaskId().GetValue(), task: t, kind: kind})
}

// launchedTasks in launch order.
func (e *executor) launchedTasks() []*mesos.Task {
	out := make([]*mesos.Task, 0, len(e.tasks))
	for _, x := range e.tasks {
		if x.kind == taskLaunched {
			out = append(out, x.task)
		}
	}
	return out
}

func (e *executor) terminatedTasks() []*mesos.Task {
	out := make([]*mesos.Task, 0, len(e.tasks))
	var never []*mesos.Task
	for _, x := range e.tasks {
		switch x.kind {
		case taskTerminated:
			out = append(out, x.task)
		case taskDropped:
			never = append(never, x.task)
		}
	}
	// Tasks terminated while queued were never launched: they come last,
	// by id, so that every run lists them alike.
	sort.Slice(never, func(i, j int) bool {
		return never[i].GetTaskId().GetValue() < never[j].GetTaskId().GetValue()
	})
	return append(out, never...)
}

// incompleteTasks: anything queued, launched, or terminated but not yet
// acknowledged.
func (e *executor) incompleteTasks() bool {
	return len(e.queued) > 0 || len(e.tasks) > e.gaps()
}

// completeTask moves a terminated, acknowledged task to the history.
func (e *executor) completeTask(id string) {
	i := e.taskIndex(id)
	if i < 0 || e.tasks[i].kind == taskLaunched {
		return
	}
	t := e.tasks[i].task
	if ids := e.index(); ids != nil {
		e.tasks[i] = taskEntry{kind: taskGone}
		e.rare.gaps++
		delete(ids, id)
		if 2*e.rare.gaps > len(e.tasks) {
			e.squeeze()
		}
	} else {
		e.tasks = append(e.tasks[:i:i], e.tasks[i+1:]...)
		if len(e.tasks) == 0 {
			e.tasks = nil // ended executors are kept for the history
		}
	}
	if e.fw != nil {
		e.fw.unindexTask(id, e)
	}
	e.completed = append(e.completed, t)
	if len(e.completed) > maxCompletedTasksPerExecutor {
		e.completed = e.completed[1:]
	}
}

// updateTaskState applies a status to the agent's task record (Mesos'
// Executor::updateTaskState).
func (e *executor) updateTaskState(st *mesos.TaskStatus) error {
	id := st.GetTaskId().GetValue()
	terminal := protocol.IsTerminal(st.GetState())
	i := e.taskIndex(id)
	var task *mesos.Task
	dropped := false
	switch {
	case i >= 0 && e.tasks[i].kind == taskLaunched:
		task = e.tasks[i].task
	case e.queuedIndex(id) >= 0:
		if !terminal {
			return errf("cannot send non-terminal update for queued task")
		}
		info := e.dequeue(id)
		task = createTask(info, st.GetState(), e.fwIDMsg)
		dropped = true
	case i >= 0:
		return errf("task is already terminated with state %s", e.tasks[i].task.GetState())
	default:
		return errf("task is unknown")
	}
	if n := len(task.Statuses); n > 0 && task.Statuses[n-1].GetState() == st.GetState() {
		task.Statuses = task.Statuses[:n-1]
	}
	// st is the agent's own copy (the status update manager keeps it too)
	// and nothing changes it once recorded.
	if task.Statuses == nil {
		// Room for the usual two: running, then a terminal state.
		task.Statuses = make([]*mesos.TaskStatus, 0, 2)
	}
	task.Statuses = append(task.Statuses, st)
	// Shared with st, read only: a record's state is replaced, never
	// written into.
	task.State = st.State
	if terminal {
		e.setTerminated(task, dropped)
	}
	return nil
}

// createTask builds the agent's Task record from a TaskInfo (Mesos'
// protobuf::createTask). The record shares the TaskInfo's parts: the
// agent keeps TaskInfos as received and writes into neither.
func createTask(t *mesos.TaskInfo, state mesos.TaskState, frameworkID *mesos.FrameworkID) *mesos.Task {
	task := &mesos.Task{
		Name:        t.Name,
		TaskId:      t.TaskId,
		FrameworkId: frameworkID,
		SlaveId:     t.SlaveId,
		State:       state.Enum(),
		Labels:      t.Labels,
		Discovery:   t.Discovery,
		Container:   t.Container,
		HealthCheck: t.HealthCheck,
		KillPolicy:  t.KillPolicy,
	}
	if task.Name == nil {
		task.Name = proto.String("")
	}
	if t.GetTaskId().Value == nil {
		task.TaskId = &mesos.TaskID{Value: proto.String("")}
	}
	if t.GetSlaveId().Value == nil {
		task.SlaveId = &mesos.SlaveID{Value: proto.String("")}
	}
	if len(t.GetLimits()) > 0 {
		task.Limits = make(map[string]*mesos.Value_Scalar, len(t.GetLimits()))
		for k, v := range t.GetLimits() {
			task.Limits[k] = v
		}
	}
	if r := t.GetResources(); len(r) > 0 {
		// Shared, and clipped so that an append cannot write into the
		// TaskInfo's.
		task.Resources = r[:len(r):len(r)]
	}
	if x := t.GetExecutor().GetExecutorId(); x != nil {
		task.ExecutorId = x
		if x.Value == nil {
			task.ExecutorId = &mesos.ExecutorID{Value: proto.String("")}
		}
	} else if t.GetExecutor() != nil {
		task.ExecutorId = &mesos.ExecutorID{Value: proto.String("")}
	}
	if c := t.GetCommand(); c != nil && c.User != nil {
		task.User = c.User
	} else if c := t.GetExecutor().GetCommand(); c != nil && c.User != nil {
		task.User = c.User
	}
	return task
}
