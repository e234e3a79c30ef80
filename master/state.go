package master

// The master's in-memory bookkeeping: frameworks, agents, tasks, executors
// and offers, and the small pure helpers that read and update them. Nothing
// here sends messages; the handlers in the other files do.

import (
	"hash/maphash"
	"slices"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// framework is a subscribed (or recovered, or completed) framework.
type framework struct {
	id string
	// idMsg is id as a message, shared by the records and messages that
	// carry it (no one changes it).
	idMsg *mesos.FrameworkID
	info  *mesos.FrameworkInfo
	pid   actors.PID
	// pidStr is pidStrOf's text (pidText).
	pidStr   *string
	pidStrOf actors.PID
	// allocInfo is the allocation info of the role last launched in,
	// shared by the resources stamped with it (allocationInfo).
	allocInfo *mesos.Resource_AllocationInfo

	connected bool
	active    bool
	recovered bool // known from agents only; its scheduler has not subscribed

	registeredTime   time.Time
	reregisteredTime time.Time
	unregisteredTime time.Time

	suppressedRoles []string

	// tasks holds active tasks and terminal ones whose update has not been
	// acknowledged, by task id. The same *mesos.Task is in its agent.
	tasks map[string]*mesos.Task
	// unreachableTasks holds tasks of unreachable agents (bounded).
	unreachableTasks *taskList
	// completedTasks holds finished tasks (bounded, oldest dropped first).
	completedTasks *taskList

	offers    map[string]*offer
	executors map[string]map[string]*mesos.ExecutorInfo // agent → executor id

	failoverPending bool // the failover/<id> timer is armed
}

func newFramework(id string, info *mesos.FrameworkInfo, maxCompleted, maxUnreachable int) *framework {
	return &framework{
		id:               id,
		idMsg:            frameworkID(id),
		info:             info,
		tasks:            map[string]*mesos.Task{},
		unreachableTasks: newTaskList(maxUnreachable),
		completedTasks:   newTaskList(maxCompleted),
		offers:           map[string]*offer{},
		executors:        map[string]map[string]*mesos.ExecutorInfo{},
	}
}

func (f *framework) roles() []string { return protocol.FrameworkRoles(f.info) }

// hasRole is slices.Contains(f.roles(), role) without the copy.
func (f *framework) hasRole(role string) bool {
	if protocol.HasCapability(f.info, mesos.FrameworkInfo_Capability_MULTI_ROLE) {
		return slices.Contains(f.info.GetRoles(), role)
	}
	return f.info.GetRole() == role
}

// pidText is f.pid.String(), made once per PID; no one changes it.
func (f *framework) pidText() *string {
	if f.pidStrOf != f.pid || f.pidStr == nil {
		s := f.pid.String()
		f.pidStr, f.pidStrOf = &s, f.pid
	}
	return f.pidStr
}

// allocationInfo returns allocation info for role, made once while the
// framework launches in that role; no one changes it.
func (f *framework) allocationInfo(role string) *mesos.Resource_AllocationInfo {
	if f.allocInfo == nil || f.allocInfo.GetRole() != role {
		f.allocInfo = &mesos.Resource_AllocationInfo{Role: proto.String(role)}
	}
	return f.allocInfo
}

func (f *framework) capable(t mesos.FrameworkInfo_Capability_Type) bool {
	return protocol.HasCapability(f.info, t)
}

func (f *framework) partitionAware() bool {
	return f.capable(mesos.FrameworkInfo_Capability_PARTITION_AWARE)
}

func (f *framework) multiRole() bool {
	return f.capable(mesos.FrameworkInfo_Capability_MULTI_ROLE)
}

// usedResources sums the resources of the framework's live tasks and
// executors (tasks in a terminal or unreachable state hold none).
func (f *framework) usedResources() resources.Resources {
	var used resources.Resources
	for _, t := range f.tasks {
		if !protocol.IsTerminalOrUnreachable(t.GetState()) {
			used = used.Add(resources.Resources(t.GetResources()))
		}
	}
	for _, byID := range f.executors {
		for _, e := range byID {
			used = used.Add(resources.Resources(e.GetResources()))
		}
	}
	return used
}

// offeredResources sums the framework's outstanding offers.
func (f *framework) offeredResources() resources.Resources {
	var r resources.Resources
	for _, o := range f.offers {
		r = r.Add(o.resources)
	}
	return r
}

// hasExecutor reports whether executor id of this framework runs on agent.
func (f *framework) hasExecutor(agentID, id string) bool {
	_, ok := f.executors[agentID][id]
	return ok
}

// taskList is a bounded, insertion-ordered list of tasks keyed by task id.
// The order is a ring of the tasks themselves, its oldest at head once
// full (head is 0 until then): a full list takes a task in place of the
// oldest, allocating nothing.
type taskList struct {
	max   int
	order []*mesos.Task
	head  int
	byID  map[string]*mesos.Task
}

func newTaskList(max int) *taskList {
	return &taskList{max: max, byID: map[string]*mesos.Task{}}
}

func (l *taskList) add(t *mesos.Task) {
	if l.max <= 0 {
		return
	}
	id := t.GetTaskId().GetValue()
	if old, ok := l.byID[id]; ok {
		l.removeTask(old) // listed already: it moves to the end
	}
	l.byID[id] = t
	if len(l.order) < l.max {
		if len(l.order) == cap(l.order) {
			l.order = slices.Grow(l.order, min(l.max, max(2*cap(l.order), 8))-len(l.order))
		}
		l.order = append(l.order, t)
		return
	}
	oldest := l.order[l.head]
	delete(l.byID, oldest.GetTaskId().GetValue())
	l.order[l.head] = t
	l.head = (l.head + 1) % len(l.order)
}

func (l *taskList) remove(id string) *mesos.Task {
	t, ok := l.byID[id]
	if !ok {
		return nil
	}
	delete(l.byID, id)
	l.removeTask(t)
	return t
}

// removeTask takes t out of the order.
func (l *taskList) removeTask(t *mesos.Task) {
	if l.head != 0 { // oldest first again
		slices.Reverse(l.order[:l.head])
		slices.Reverse(l.order[l.head:])
		slices.Reverse(l.order)
		l.head = 0
	}
	if i := slices.Index(l.order, t); i >= 0 {
		l.order = slices.Delete(l.order, i, i+1)
	}
}

func (l *taskList) get(id string) *mesos.Task { return l.byID[id] }

// len is the number of tasks listed.
func (l *taskList) len() int { return len(l.order) }

// at is the i-th task listed, oldest first.
func (l *taskList) at(i int) *mesos.Task {
	i += l.head
	if i >= len(l.order) {
		i -= len(l.order)
	}
	return l.order[i]
}

// lastID is the id of the task listed last, "" if none.
func (l *taskList) lastID() string {
	if len(l.order) == 0 {
		return ""
	}
	return l.at(len(l.order) - 1).GetTaskId().GetValue()
}

func (l *taskList) list() []*mesos.Task {
	out := make([]*mesos.Task, 0, len(l.order))
	out = append(out, l.order[l.head:]...)
	return append(out, l.order[:l.head]...)
}

// agent is a registered agent.
type agent struct {
	id           string
	info         *mesos.SlaveInfo
	pid          actors.PID
	version      string
	capabilities []mesos.SlaveInfo_Capability_Type

	// idMsg is id as a message, shared like framework.idMsg.
	idMsg *mesos.SlaveID
	// pidStr is pidStrOf's text (pidText), shared by the messages that
	// carry it.
	pidStr   *string
	pidStrOf actors.PID
	// sentPid is the last Pid text pointer of an update from the agent
	// that matched pidText for sentPidOf: an agent sends the same string
	// with each update, known again without reading it.
	sentPid   *string
	sentPidOf actors.PID

	// url is the offers' url, made for urlPID and urlInfo (agentURL).
	url     *mesos.URL
	urlPID  actors.PID
	urlInfo *mesos.SlaveInfo

	connected bool
	active    bool

	registeredTime   time.Time
	reregisteredTime time.Time // zero: never reregistered

	total resources.Resources
	// checkpointed holds the dynamic reservations (and volumes) made
	// through this master, re-applied when the agent reregisters.
	checkpointed resources.Resources

	tasks       agentTasks
	executors   map[string]map[string]*mesos.ExecutorInfo // framework → executor id
	offers      map[string]*offer
	killedTasks map[string]map[string]bool // framework → task ids killed while away; nil until a kill

	reregisterPending bool // the reregister/<id> timer is armed
	// markingUnreachable: the agent waits for a permit of
	// --agent_removal_rate_limit to be marked unreachable.
	markingUnreachable bool

	// Health checking (Mesos' SlaveObserver, the ping/<id> timer).
	pongReceived bool
	pingTimeouts int
}

func newAgent(id string, info *mesos.SlaveInfo, pid actors.PID) *agent {
	return &agent{
		id:        id,
		idMsg:     slaveID(id),
		info:      info,
		pid:       pid,
		executors: map[string]map[string]*mesos.ExecutorInfo{},
		offers:    map[string]*offer{},
	}
}

func (a *agent) hostname() string { return a.info.GetHostname() }

// pidText is a.pid.String(), made once per PID.
func (a *agent) pidText() string { return *a.pidTextPtr() }

// pidTextPtr is pidText as a field value; no one changes it.
func (a *agent) pidTextPtr() *string {
	if a.pidStrOf != a.pid || a.pidStr == nil {
		s := a.pid.String()
		a.pidStr, a.pidStrOf = &s, a.pid
	}
	return a.pidStr
}

// isPidText reports whether text (nil: "") is pidText.
func (a *agent) isPidText(text *string) bool {
	if text != nil && text == a.sentPid && a.sentPidOf == a.pid {
		return true
	}
	s := ""
	if text != nil {
		s = *text
	}
	if s != a.pidText() {
		return false
	}
	if text != nil {
		a.sentPid, a.sentPidOf = text, a.pid
	}
	return true
}

func (a *agent) task(fid, tid string) *mesos.Task { return a.tasks.get(fid, tid) }

// onAgent reports whether task t's agent id is a's. Tasks launched
// through this master share a's id message, compared without reading it.
func onAgent(t *mesos.Task, a *agent) bool {
	return t.SlaveId == a.idMsg || t.GetSlaveId().GetValue() == a.id
}

// addTask records t on the agent, in place of its framework's task of the
// same id if there is one.
func (a *agent) addTask(t *mesos.Task) { a.tasks.add(t) }

func (a *agent) removeTask(t *mesos.Task) {
	a.removeTaskIf(t, false)
}

// removeTaskIf is removeTask; with same set, only if t is the agent's
// record of its id.
func (a *agent) removeTaskIf(t *mesos.Task, same bool) {
	fid, tid := t.GetFrameworkId().GetValue(), t.GetTaskId().GetValue()
	if same {
		if !a.tasks.removeRecord(t) {
			return
		}
	} else {
		a.tasks.remove(fid, tid)
	}
	if k := a.killedTasks[fid]; k != nil {
		delete(k, tid)
		if len(k) == 0 {
			delete(a.killedTasks, fid)
		}
	}
}

// agentTasks are an agent's tasks, of all its frameworks, in no order: a
// list (an agent runs tens of tasks, for which a map per framework costs
// several times what they do), each with a hash of its id that finds it
// without reading the task; a long list is indexed as well.
type agentTasks struct {
	list  []agentTask
	index map[taskKey]int // position in list; nil while the list is short
}

type agentTask struct {
	hash uint64 // taskHash of its id
	t    *mesos.Task
}

// taskKey is a task's framework and task id.
type taskKey struct{ fid, tid string }

// indexFrom is the length from which a list is indexed; it loses its
// index when half as long again.
const indexFrom = 64

var taskHashSeed = maphash.MakeSeed()

func taskHash(tid string) uint64 { return maphash.String(taskHashSeed, tid) }

func keyOf(t *mesos.Task) taskKey {
	return taskKey{t.GetFrameworkId().GetValue(), t.GetTaskId().GetValue()}
}

// find returns the position of framework fid's task tid, -1 if none.
func (ts *agentTasks) find(fid, tid string) int {
	if ts.index != nil {
		if i, ok := ts.index[taskKey{fid, tid}]; ok {
			return i
		}
		return -1
	}
	h := taskHash(tid)
	for i := range ts.list {
		if ts.list[i].hash == h {
			t := ts.list[i].t
			if t.GetTaskId().GetValue() == tid && t.GetFrameworkId().GetValue() == fid {
				return i
			}
		}
	}
	return -1
}

func (ts *agentTasks) get(fid, tid string) *mesos.Task {
	if i := ts.find(fid, tid); i >= 0 {
		return ts.list[i].t
	}
	return nil
}

func (ts *agentTasks) add(t *mesos.Task) {
	k := keyOf(t)
	if i := ts.find(k.fid, k.tid); i >= 0 {
		ts.list[i].t = t
		return
	}
	ts.list = append(ts.list, agentTask{taskHash(k.tid), t})
	switch {
	case ts.index != nil:
		ts.index[k] = len(ts.list) - 1
	case len(ts.list) >= indexFrom:
		ts.index = make(map[taskKey]int, 2*len(ts.list))
		for i, e := range ts.list {
			ts.index[keyOf(e.t)] = i
		}
	}
}

// removeAt drops the i-th task, the last one taking its place.
func (ts *agentTasks) removeAt(i int) {
	last := len(ts.list) - 1
	if ts.index != nil {
		delete(ts.index, keyOf(ts.list[i].t))
		if i != last {
			ts.index[keyOf(ts.list[last].t)] = i
		}
	}
	ts.list[i] = ts.list[last]
	ts.list[last] = agentTask{}
	ts.list = ts.list[:last]
	if ts.index != nil && len(ts.list) < indexFrom/2 {
		ts.index = nil
	}
}

func (ts *agentTasks) remove(fid, tid string) {
	if i := ts.find(fid, tid); i >= 0 {
		ts.removeAt(i)
	}
}

// removeRecord drops t itself; false if t is not listed.
func (ts *agentTasks) removeRecord(t *mesos.Task) bool {
	if ts.index != nil {
		k := keyOf(t)
		if i := ts.find(k.fid, k.tid); i >= 0 && ts.list[i].t == t {
			ts.removeAt(i)
			return true
		}
		return false
	}
	for i := range ts.list {
		if ts.list[i].t == t {
			ts.removeAt(i)
			return true
		}
	}
	return false
}

// frameworks returns the ids of the frameworks with tasks listed, sorted.
func (ts *agentTasks) frameworks() []string {
	var out []string
	for _, e := range ts.list {
		if fid := e.t.GetFrameworkId().GetValue(); !slices.Contains(out, fid) {
			out = append(out, fid)
		}
	}
	slices.Sort(out)
	return out
}

// sorted returns every listed task, by framework and then task id.
func (ts *agentTasks) sorted() []*mesos.Task {
	out := make([]*mesos.Task, len(ts.list))
	for i, e := range ts.list {
		out[i] = e.t
	}
	slices.SortFunc(out, func(x, y *mesos.Task) int {
		if c := strings.Compare(x.GetFrameworkId().GetValue(), y.GetFrameworkId().GetValue()); c != 0 {
			return c
		}
		return strings.Compare(x.GetTaskId().GetValue(), y.GetTaskId().GetValue())
	})
	return out
}

// of returns framework fid's tasks, by id.
func (ts *agentTasks) of(fid string) []*mesos.Task {
	var out []*mesos.Task
	for _, e := range ts.list {
		if e.t.GetFrameworkId().GetValue() == fid {
			out = append(out, e.t)
		}
	}
	slices.SortFunc(out, func(x, y *mesos.Task) int {
		return strings.Compare(x.GetTaskId().GetValue(), y.GetTaskId().GetValue())
	})
	return out
}

func (a *agent) hasExecutor(fid, eid string) bool {
	_, ok := a.executors[fid][eid]
	return ok
}

func (a *agent) addExecutor(fid string, e *mesos.ExecutorInfo) {
	if a.executors[fid] == nil {
		a.executors[fid] = map[string]*mesos.ExecutorInfo{}
	}
	a.executors[fid][e.GetExecutorId().GetValue()] = e
}

func (a *agent) removeExecutor(fid, eid string) {
	delete(a.executors[fid], eid)
	if len(a.executors[fid]) == 0 {
		delete(a.executors, fid)
	}
}

// usedResources returns, by framework, what live tasks and executors use.
func (a *agent) usedResources() map[string]resources.Resources {
	out := map[string]resources.Resources{}
	for _, t := range a.tasks.sorted() {
		if !protocol.IsTerminalOrUnreachable(t.GetState()) {
			fid := t.GetFrameworkId().GetValue()
			out[fid] = out[fid].Add(resources.Resources(t.GetResources()))
		}
	}
	for _, fid := range sortedKeys(a.executors) {
		for _, eid := range sortedKeys(a.executors[fid]) {
			out[fid] = out[fid].Add(resources.Resources(a.executors[fid][eid].GetResources()))
		}
	}
	for fid, r := range out {
		if r.IsEmpty() {
			delete(out, fid)
		}
	}
	return out
}

func (a *agent) totalUsed() resources.Resources {
	var r resources.Resources
	for _, u := range a.usedResources() {
		r = r.Add(u)
	}
	return r
}

func (a *agent) offeredResources() resources.Resources {
	var r resources.Resources
	for _, o := range a.offers {
		r = r.Add(o.resources)
	}
	return r
}

// frameworkIDs returns the frameworks with tasks or executors on the agent.
func (a *agent) frameworkIDs() []string {
	set := map[string]bool{}
	for _, e := range a.tasks.list {
		set[e.t.GetFrameworkId().GetValue()] = true
	}
	for fid := range a.executors {
		set[fid] = true
	}
	return sortedKeys(set)
}

// offer is an outstanding offer.
type offer struct {
	id          string
	frameworkID string
	agentID     string
	role        string
	resources   resources.Resources // with allocation info
	timer       string              // its offer_timeout timer's key, if any
}

// unreachableAgent remembers an agent marked unreachable.
type unreachableAgent struct {
	info *mesos.SlaveInfo
	time time.Time
}

// updateSpec describes a status update the master generates.
type updateSpec struct {
	frameworkID string
	agentID     string // may be empty
	taskID      string
	executorID  string // may be empty
	state       mesos.TaskState
	message     string
	reason      mesos.TaskStatus_Reason
	unreachable *time.Time
	healthy     *bool
	now         time.Time
}

// newUpdate builds a master-generated StatusUpdate: SOURCE_MASTER, no uuid.
func newUpdate(s updateSpec) *mesosinternal.StatusUpdate {
	ts := float64(s.now.UnixNano()) / 1e9
	status := &mesos.TaskStatus{
		TaskId:    &mesos.TaskID{Value: proto.String(s.taskID)},
		State:     s.state.Enum(),
		Source:    mesos.TaskStatus_SOURCE_MASTER.Enum(),
		Reason:    s.reason.Enum(),
		Timestamp: proto.Float64(ts),
		Healthy:   s.healthy,
	}
	if s.message != "" {
		status.Message = proto.String(s.message)
	}
	u := &mesosinternal.StatusUpdate{
		FrameworkId: &mesos.FrameworkID{Value: proto.String(s.frameworkID)},
		Status:      status,
		Timestamp:   proto.Float64(ts),
	}
	if s.agentID != "" {
		status.SlaveId = &mesos.SlaveID{Value: proto.String(s.agentID)}
		u.SlaveId = &mesos.SlaveID{Value: proto.String(s.agentID)}
	}
	if s.executorID != "" {
		status.ExecutorId = &mesos.ExecutorID{Value: proto.String(s.executorID)}
		u.ExecutorId = &mesos.ExecutorID{Value: proto.String(s.executorID)}
	}
	if s.unreachable != nil {
		status.UnreachableTime = &mesos.TimeInfo{Nanoseconds: proto.Int64(s.unreachable.UnixNano())}
	}
	return u
}

// newTask records a validated TaskInfo as a Task in TASK_STAGING.
func newTask(t *mesos.TaskInfo, frameworkID *mesos.FrameworkID) *mesos.Task {
	// The record shares t's parts: t is the master's own copy of the
	// scheduler's TaskInfo (launchTask), changed by no one once sent (the
	// agent copies what it keeps).
	task := &mesos.Task{
		Name:        t.Name,
		TaskId:      t.GetTaskId(),
		FrameworkId: frameworkID,
		SlaveId:     t.GetSlaveId(),
		State:       stateRef(mesos.TaskState_TASK_STAGING),
		Resources:   t.GetResources(),
		Limits:      t.GetLimits(),
		Labels:      t.Labels,
		Discovery:   t.Discovery,
		Container:   t.Container,
		HealthCheck: t.HealthCheck,
		KillPolicy:  t.KillPolicy,
	}
	if task.Name == nil {
		task.Name = proto.String("")
	}
	if t.Executor != nil {
		task.ExecutorId = t.GetExecutor().GetExecutorId()
	}
	if c := t.GetCommand(); c != nil && c.User != nil {
		task.User = proto.String(c.GetUser())
	} else if c := t.GetExecutor().GetCommand(); c != nil && c.User != nil {
		task.User = proto.String(c.GetUser())
	}
	return task
}

// allocatorOptions is what the allocator gets for a framework.
func allocatorOptions(f *framework) allocator.FrameworkOptions {
	return allocator.FrameworkOptions{SuppressedRoles: append([]string(nil), f.suppressedRoles...)}
}

// clone copies a message; nil stays nil.
func clone[M proto.Message](m M) M {
	if !m.ProtoReflect().IsValid() {
		return m
	}
	return proto.Clone(m).(M)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func frameworkID(id string) *mesos.FrameworkID { return &mesos.FrameworkID{Value: proto.String(id)} }
func slaveID(id string) *mesos.SlaveID         { return &mesos.SlaveID{Value: proto.String(id)} }

// taskStates holds one of each task state, for the records' state fields
// to point to (stateRef): a task's state is replaced, never changed in
// place, so records share these instead of a new one per change.
var taskStates = func() (out [14]mesos.TaskState) {
	for i := range out {
		out[i] = mesos.TaskState(i)
	}
	return out
}()

// stateRef is s.Enum() shared: no one writes through it.
func stateRef(s mesos.TaskState) *mesos.TaskState {
	if s >= 0 && int(s) < len(taskStates) {
		return &taskStates[s]
	}
	return s.Enum()
}
