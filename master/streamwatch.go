package master

// What the event stream (stream.go) reads from the core once a tick, on
// the master actor: an overview of the cluster, the agents and
// frameworks whose summary may have changed since the last tick, and the
// tasks whose state changed.
//
// The watch keeps its own tally of the tasks (counts by state per agent,
// per framework and in all, which frameworks run on which agent, each
// framework's used resources) and updates it from what changed:
//   - the core notes every task whose state it changes in place
//     (updateTask) in a bounded journal (taskJournal) that the watch
//     reads from where it left off;
//   - a framework whose task lists changed shape (a task added, moved to
//     the completed or unreachable tasks, dropped) is looked over again,
//     task by task: its lists' lengths and newest entries are its
//     fingerprint;
//   - everything is looked over on the first tick and when the core or
//     the journal moved on without the watch; as a safety net for changes
//     made some other way, each framework is looked over every
//     fullScanEvery ticks, at its own phase, so that the frameworks' looks
//     are spread over the ticks rather than all on one.
// Agents and frameworks have a cheap fingerprint each; summaries are
// built, and resources added up, only for what changed.

import (
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// Overview is the cluster at a glance: who the master is, agent and
// framework counts, tasks by state (of registered and completed
// frameworks, as the UI's home page counts them) and the scalar resources
// of the registered agents.
type Overview struct {
	ID                  string            `json:"id"`
	PID                 string            `json:"pid"`
	Hostname            string            `json:"hostname"`
	Cluster             string            `json:"cluster,omitempty"`
	Version             string            `json:"version"`
	Leader              string            `json:"leader,omitempty"`
	StartTime           float64           `json:"start_time"`
	ElectedTime         float64           `json:"elected_time,omitempty"`
	ActivatedSlaves     int               `json:"activated_slaves"`
	DeactivatedSlaves   int               `json:"deactivated_slaves"`
	UnreachableSlaves   int               `json:"unreachable_slaves"`
	ActiveFrameworks    int               `json:"active_frameworks"`
	InactiveFrameworks  int               `json:"inactive_frameworks"`
	CompletedFrameworks int               `json:"completed_frameworks"`
	OutstandingOffers   int               `json:"outstanding_offers"`
	Tasks               TaskCounts        `json:"tasks"`
	Resources           OverviewResources `json:"resources"`
}

// OverviewResources are the cluster's cpus, gpus, mem and disk: total,
// used by tasks and executors, and offered.
type OverviewResources struct {
	Total   map[string]float64 `json:"total"`
	Used    map[string]float64 `json:"used"`
	Offered map[string]float64 `json:"offered"`
}

// TaskChange is one task whose state changed since the last tick (or
// that appeared).
type TaskChange struct {
	FrameworkID string  `json:"framework_id"`
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	State       string  `json:"state"`
	SlaveID     string  `json:"slave_id"`
	Timestamp   float64 `json:"timestamp,omitempty"` // of its last status
}

// streamTick is what one tick read.
type streamTick struct {
	overview       Overview
	agents         []AgentSummary // changed or new
	agentsGone     []string
	frameworks     []streamFramework // changed or new
	frameworksGone []string
	tasks          []TaskChange
	tasksOmitted   int // changes beyond the cap
}

// streamFramework is a framework's summary without its agents' ids: at
// 10,000 agents they would be most of every delta, and the UI does not
// need them.
type streamFramework struct {
	FrameworkSummary
	SlaveIDs []string `json:"slave_ids,omitempty"`
	Offers   int      `json:"offers"` // outstanding
}

// agentPrint and frameworkPrint change whenever anything their summary
// shows may have changed, tasks aside (the task scan marks those).
type agentPrint struct {
	info              *mesos.SlaveInfo
	total             unsafe.Pointer // the slice's array: a new total is a new array
	totalLen          int
	active, connected bool
	reregistered      time.Time
	offers            string
	executors         int
}

type frameworkPrint struct {
	info                         *mesos.FrameworkInfo
	pid                          string
	active, connected, recovered bool
	offers                       string
	executors                    int
}

// taskJournal is the tasks whose state the core changed, in order. Only
// the stream reads it; it is made by the first watch that ticks on a core
// and keeps at most journalMax entries (the oldest half is dropped: a
// reader that fell behind looks over everything).
type taskJournal struct {
	base  uint64 // position of tasks[0]
	tasks []*mesos.Task
}

const (
	journalMax    = 1 << 16
	fullScanEvery = 60
)

// note records that t changed; a nil journal records nothing.
func (j *taskJournal) note(t *mesos.Task) {
	if j == nil {
		return
	}
	if len(j.tasks) >= journalMax {
		half := len(j.tasks) / 2
		j.tasks = append(j.tasks[:0], j.tasks[half:]...)
		j.base += uint64(half)
	}
	j.tasks = append(j.tasks, t)
}

// end is the position after the last entry.
func (j *taskJournal) end() uint64 { return j.base + uint64(len(j.tasks)) }

// listsPrint is a framework's task lists' fingerprint.
type listsPrint struct {
	reg                    bool
	tasks                  int
	unreachable, completed int
	unreachableLast        string
	completedLast          string
}

func printLists(f *framework, reg bool) listsPrint {
	return listsPrint{reg: reg, tasks: len(f.tasks), unreachable: f.unreachableTasks.len(), completed: f.completedTasks.len(),
		unreachableLast: f.unreachableTasks.lastID(), completedLast: f.completedTasks.lastID()}
}

// fwTasks is what the watch knows of one framework's tasks.
type fwTasks struct {
	print   listsPrint
	members map[*mesos.Task]*taskSeen
	gen     uint64
	phase   uint64 // looked over when (gen + phase) % fullScanEvery == 0
}

// taskSeen is what a task counted for at the last tick.
type taskSeen struct {
	fw         *framework
	fid, agent string
	state      mesos.TaskState
	reg        bool                // its framework is registered: in the per-agent and per-framework tallies
	live       bool                // in its framework's used resources
	res        resources.Resources // what was added to them
	gen        uint64
}

// agentSeen is an agent's tally and what it last added to the overview.
type agentSeen struct {
	print                agentPrint
	total, used, offered [4]float64 // overviewScalars
	counts               TaskCounts // of registered frameworks' tasks here
	fws                  map[string]int
	gen                  uint64 // last tick it was present (0: tally only)
}

// frameworkSeen is a registered framework's tally.
type frameworkSeen struct {
	print  frameworkPrint
	counts TaskCounts
	agents map[string]int
	used   resources.Resources // of its live tasks
	// usedStale: a live task with ranges or sets left, and the union of
	// ranges cannot be taken back task by task (two tasks on different
	// agents can hold the same port); used is summed anew before use.
	usedStale bool
	execUsed  resources.Resources // of its executors
	gen       uint64
}

// streamWatch is the stream's memory between ticks. Only the master
// actor touches it (inside Node.Call).
type streamWatch struct {
	gen        uint64
	core       *Core      // the core read last
	pos        uint64     // in its journal
	counts     TaskCounts // every task, completed frameworks' too
	agents     map[string]*agentSeen
	frameworks map[string]*frameworkSeen
	tasks      map[*mesos.Task]*taskSeen
	lists      map[*framework]*fwTasks
	phases     uint64 // given out to frameworks' lists, in turn
	maxTasks   int
	overview   bool // the overview only: no summaries, no task changes (history.go)

	dirtyAgents, dirtyFws map[string]bool // this tick's, reused
	changed               []*mesos.Task   // this tick's state changes, reused
}

func newStreamWatch(maxTasks int) *streamWatch {
	return &streamWatch{
		agents: map[string]*agentSeen{}, frameworks: map[string]*frameworkSeen{}, tasks: map[*mesos.Task]*taskSeen{},
		lists: map[*framework]*fwTasks{}, maxTasks: maxTasks,
		dirtyAgents: map[string]bool{}, dirtyFws: map[string]bool{},
	}
}

var overviewScalars = []string{"cpus", "gpus", "mem", "disk"}

// addScalars adds the overview's scalars of rs into into.
func addScalars(rs []*mesos.Resource, into *[4]float64) {
	for _, r := range rs {
		if r.GetType() != mesos.Value_SCALAR || r.Revocable != nil {
			continue
		}
		switch r.GetName() {
		case "cpus":
			into[0] += r.GetScalar().GetValue()
		case "gpus":
			into[1] += r.GetScalar().GetValue()
		case "mem":
			into[2] += r.GetScalar().GetValue()
		case "disk":
			into[3] += r.GetScalar().GetValue()
		}
	}
}

func scalarMap(v [4]float64) map[string]float64 {
	m := make(map[string]float64, len(overviewScalars))
	for i, n := range overviewScalars {
		m[n] = math.Round(v[i]*1000) / 1000
	}
	return m
}

func offerIDs(offers map[string]*offer) string {
	switch len(offers) {
	case 0:
		return ""
	case 1:
		for id := range offers {
			return id
		}
	}
	ids := make([]string, 0, len(offers))
	for id := range offers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// at returns the counter of state s in n, nil for the states the
// summaries do not count.
func (n *TaskCounts) at(s mesos.TaskState) *int {
	switch s {
	case mesos.TaskState_TASK_STAGING:
		return &n.Staging
	case mesos.TaskState_TASK_STARTING:
		return &n.Starting
	case mesos.TaskState_TASK_RUNNING:
		return &n.Running
	case mesos.TaskState_TASK_KILLING:
		return &n.Killing
	case mesos.TaskState_TASK_FINISHED:
		return &n.Finished
	case mesos.TaskState_TASK_KILLED:
		return &n.Killed
	case mesos.TaskState_TASK_FAILED:
		return &n.Failed
	case mesos.TaskState_TASK_LOST:
		return &n.Lost
	case mesos.TaskState_TASK_ERROR:
		return &n.Error
	case mesos.TaskState_TASK_UNREACHABLE:
		return &n.Unreachable
	}
	return nil
}

func (n *TaskCounts) move(s mesos.TaskState, d int) {
	if p := n.at(s); p != nil {
		*p += d
	}
}

func (w *streamWatch) agent(id string) *agentSeen {
	a := w.agents[id]
	if a == nil {
		a = &agentSeen{fws: map[string]int{}}
		w.agents[id] = a
	}
	return a
}

func (w *streamWatch) framework(id string) *frameworkSeen {
	f := w.frameworks[id]
	if f == nil {
		f = &frameworkSeen{agents: map[string]int{}}
		w.frameworks[id] = f
	}
	return f
}

// account adds (d = 1) or takes back (d = -1) what task s counts for,
// and marks its agent and framework changed.
func (w *streamWatch) account(s *taskSeen, d int) {
	w.counts.move(s.state, d)
	if !s.reg {
		return
	}
	f := w.framework(s.fid)
	f.counts.move(s.state, d)
	w.dirtyFws[s.fid] = true
	if s.live {
		switch {
		case d > 0:
			f.used = f.used.Add(s.res)
		case scalarsOnly(s.res):
			f.used = f.used.Subtract(s.res)
		default:
			f.usedStale = true
		}
	}
	if s.agent == "" {
		return
	}
	w.dirtyAgents[s.agent] = true
	a := w.agent(s.agent)
	a.counts.move(s.state, d)
	if a.fws[s.fid] += d; a.fws[s.fid] <= 0 {
		delete(a.fws, s.fid)
	}
	if f.agents[s.agent] += d; f.agents[s.agent] <= 0 {
		delete(f.agents, s.agent)
	}
}

// forget takes back what a task counted for and drops it.
func (w *streamWatch) forget(t *mesos.Task, seen *taskSeen) {
	w.account(seen, -1)
	delete(w.tasks, t)
	if ft := w.lists[seen.fw]; ft != nil {
		delete(ft.members, t)
	}
}

// visit looks at one task of f: new, or changed since it was counted, it
// is taken back and counted anew, and a state change is reported.
func (w *streamWatch) visit(f *framework, reg, inTasks, first bool, t *mesos.Task, out *streamTick) {
	st := t.GetState()
	seen := w.tasks[t]
	if seen != nil {
		if seen.gen == w.gen {
			return // listed twice, or journaled and looked over
		}
		live := reg && inTasks && !protocol.IsTerminalOrUnreachable(st)
		if seen.state == st && seen.reg == reg && seen.live == live && seen.fw == f {
			seen.gen = w.gen
			return
		}
		w.forget(t, seen)
	}
	if (seen == nil && !first) || (seen != nil && seen.state != st) {
		w.changed = append(w.changed, t)
	}
	now := &taskSeen{fw: f, fid: f.id, agent: t.GetSlaveId().GetValue(), state: st, reg: reg, gen: w.gen,
		live: reg && inTasks && !protocol.IsTerminalOrUnreachable(st)}
	if now.live {
		now.res = t.GetResources()
	}
	w.tasks[t] = now
	w.listsOf(f).members[t] = now
	w.account(now, 1)
}

// listsOf is what the watch knows of f's tasks, new with the next phase
// if nothing yet.
func (w *streamWatch) listsOf(f *framework) *fwTasks {
	ft := w.lists[f]
	if ft == nil {
		ft = &fwTasks{members: map[*mesos.Task]*taskSeen{}, phase: w.phases % fullScanEvery}
		w.phases++
		w.lists[f] = ft
	}
	return ft
}

// scan looks over every task of f, and forgets those of its tasks no
// longer listed.
func (w *streamWatch) scan(f *framework, reg, first bool, out *streamTick) {
	for _, t := range f.tasks {
		w.visit(f, reg, true, first, t, out)
	}
	for _, t := range f.unreachableTasks.byID {
		w.visit(f, reg, false, first, t, out)
	}
	for _, t := range f.completedTasks.byID {
		w.visit(f, reg, false, first, t, out)
	}
	if ft := w.lists[f]; ft != nil {
		for t, seen := range ft.members {
			if seen.gen != w.gen && seen.fw == f {
				w.forget(t, seen)
			}
		}
	}
}

// report puts this tick's task changes in out: those of the newest
// tasks first (as /tasks orders them: by first status, tasks that have
// none first), since the pages show the newest tasks; at most maxTasks,
// the rest counted.
func (w *streamWatch) report(out *streamTick) {
	changed := w.changed
	w.changed = changed[:0]
	if w.overview {
		out.tasksOmitted = len(changed)
		clear(changed)
		return
	}
	add := func(t *mesos.Task) {
		ch := TaskChange{FrameworkID: t.GetFrameworkId().GetValue(), ID: t.GetTaskId().GetValue(), Name: t.GetName(),
			State: t.GetState().String(), SlaveID: t.GetSlaveId().GetValue()}
		if ss := t.GetStatuses(); len(ss) > 0 {
			ch.Timestamp = ss[len(ss)-1].GetTimestamp()
		}
		out.tasks = append(out.tasks, ch)
	}
	if len(changed) > w.maxTasks {
		// /tasks' newest-first order; only the kept ones are sorted.
		sel := taskSelection{descending: true, keep: w.maxTasks}
		for _, t := range changed {
			sel.offer(t, 0)
		}
		out.tasksOmitted = len(changed) - w.maxTasks
		for _, e := range sel.sorted() {
			add(e.t)
		}
	} else {
		for _, t := range changed {
			add(t)
		}
	}
	clear(w.changed[:cap(w.changed)])
}

// tasksOf brings the task tallies up to date with c.
func (w *streamWatch) tasksOf(c *Core, first bool, out *streamTick) {
	if c.journal == nil {
		c.journal = &taskJournal{}
	}
	j, from := c.journal, w.pos
	full := first || w.core != c || from < j.base
	w.core, w.pos = c, j.end()
	present := func(f *framework, reg bool) {
		ft := w.lists[f]
		p := printLists(f, reg)
		if full || ft == nil || ft.print != p || (w.gen+ft.phase)%fullScanEvery == 0 {
			w.scan(f, reg, first, out)
			ft = w.listsOf(f)
			ft.print = p
		}
		ft.gen = w.gen
	}
	for _, f := range c.frameworks {
		present(f, true)
	}
	for _, f := range c.completed {
		present(f, false)
	}
	for f, ft := range w.lists {
		if ft.gen != w.gen {
			for t, seen := range ft.members {
				w.forget(t, seen)
			}
			delete(w.lists, f)
		}
	}
	if full {
		return
	}
	// The tasks whose state changed in place, in frameworks not looked over.
	for _, t := range j.tasks[from-j.base:] {
		seen := w.tasks[t]
		if seen != nil && seen.gen == w.gen {
			continue
		}
		f := c.frameworks[t.GetFrameworkId().GetValue()]
		if seen != nil {
			f = seen.fw
		}
		if f == nil {
			continue // a new task of a framework that is gone: never listed
		}
		reg, tid := c.frameworks[f.id] == f, t.GetTaskId().GetValue()
		switch {
		case f.tasks[tid] == t:
			w.visit(f, reg, true, false, t, out)
		case f.unreachableTasks.byID[tid] == t || f.completedTasks.byID[tid] == t:
			w.visit(f, reg, false, false, t, out)
		case seen != nil:
			w.forget(t, seen)
		}
	}
}

// tick reads the core: everything the first time, changes afterwards.
func (w *streamWatch) tick(c *Core) streamTick {
	first := w.gen == 0
	w.gen++
	clear(w.dirtyAgents)
	clear(w.dirtyFws)
	out := streamTick{}

	w.tasksOf(c, first, &out)
	w.report(&out)

	ov := &out.overview
	ov.ID, ov.PID, ov.Hostname, ov.Cluster, ov.Version = c.info.GetId(), c.info.GetPid(), c.info.GetHostname(), c.cfg.Cluster, Version
	ov.StartTime = seconds(c.startTime)
	if c.elected {
		ov.Leader, ov.ElectedTime = c.info.GetPid(), seconds(c.electedTime)
	}
	ov.UnreachableSlaves = len(c.unreachable)
	ov.OutstandingOffers = len(c.offers)
	ov.CompletedFrameworks = len(c.completed)
	ov.Tasks = w.counts

	// Agents: a fingerprint each; a summary for those that changed.
	for id, a := range c.agents {
		if a.active {
			ov.ActivatedSlaves++
		} else {
			ov.DeactivatedSlaves++
		}
		executors := 0
		for _, byID := range a.executors {
			executors += len(byID)
		}
		p := agentPrint{
			info: a.info, total: unsafe.Pointer(unsafe.SliceData(a.total)), totalLen: len(a.total),
			active: a.active, connected: a.connected, reregistered: a.reregisteredTime,
			offers: offerIDs(a.offers), executors: executors,
		}
		as := w.agent(id)
		isNew := as.gen == 0
		as.gen = w.gen
		if !isNew && as.print == p && !w.dirtyAgents[id] {
			continue
		}
		as.print = p
		as.total, as.used, as.offered = [4]float64{}, [4]float64{}, [4]float64{}
		addScalars(a.total, &as.total)
		for _, e := range a.tasks.list {
			if t := e.t; !protocol.IsTerminalOrUnreachable(t.GetState()) {
				addScalars(t.GetResources(), &as.used)
			}
		}
		for _, byID := range a.executors {
			for _, e := range byID {
				addScalars(e.GetResources(), &as.used)
			}
		}
		for _, o := range a.offers {
			addScalars(o.resources, &as.offered)
		}
		if !w.overview {
			out.agents = append(out.agents, c.agentSummaryOf(a, as.counts, as.fws))
		}
	}
	var total, used, offered [4]float64
	for id, as := range w.agents {
		if as.gen != w.gen {
			if as.gen != 0 {
				out.agentsGone = append(out.agentsGone, id)
			}
			if len(as.fws) == 0 {
				delete(w.agents, id)
			} else {
				as.gen, as.print = 0, agentPrint{} // its tasks are still counted
			}
			continue
		}
		for i := range total {
			total[i] += as.total[i]
			used[i] += as.used[i]
			offered[i] += as.offered[i]
		}
	}
	ov.Resources = OverviewResources{Total: scalarMap(total), Used: scalarMap(used), Offered: scalarMap(offered)}

	// Frameworks, the same way.
	for id, f := range c.frameworks {
		if f.active {
			ov.ActiveFrameworks++
		} else {
			ov.InactiveFrameworks++
		}
		executors := 0
		for _, byID := range f.executors {
			executors += len(byID)
		}
		p := frameworkPrint{
			info: f.info, pid: f.pid.String(), active: f.active, connected: f.connected, recovered: f.recovered,
			offers: offerIDs(f.offers), executors: executors,
		}
		fs := w.framework(id)
		isNew := fs.gen == 0
		fs.gen = w.gen
		if !isNew && fs.print == p && !w.dirtyFws[id] {
			continue
		}
		if isNew || fs.print.executors != p.executors {
			var all resources.Resources
			for _, byID := range f.executors {
				for _, e := range byID {
					all = append(all, e.GetResources()...)
				}
			}
			fs.execUsed = resources.Resources(nil).Add(all)
		}
		fs.print = p
		if w.overview {
			continue
		}
		if fs.usedStale {
			var all resources.Resources
			if ft := w.lists[f]; ft != nil {
				for _, ts := range ft.members {
					if ts.live {
						all = append(all, ts.res...)
					}
				}
			}
			fs.used, fs.usedStale = resources.Resources(nil).Add(all), false
		}
		sum := c.frameworkSummaryOf(f, fs.counts, nil, fs.used.Add(fs.execUsed), false)
		out.frameworks = append(out.frameworks, streamFramework{FrameworkSummary: sum, Offers: len(f.offers)})
	}
	for id, fs := range w.frameworks {
		if fs.gen != w.gen {
			if fs.gen != 0 {
				out.frameworksGone = append(out.frameworksGone, id)
			}
			if len(fs.agents) == 0 && fs.counts == (TaskCounts{}) {
				delete(w.frameworks, id)
			} else {
				fs.gen, fs.print = 0, frameworkPrint{}
			}
		}
	}
	return out
}

// scalarsOnly reports whether every resource of rs is a scalar.
func scalarsOnly(rs resources.Resources) bool {
	for _, r := range rs {
		if r.GetType() != mesos.Value_SCALAR {
			return false
		}
	}
	return true
}
