package master

// The snapshot /master/state is rendered from: taken on the master actor,
// then encoded off it (staterender.go).
//
// What the snapshot may share with the core and what it must copy: the
// core replaces an agent's info, total and capabilities, a framework's
// info, an offer and an executor's info rather than changing them, and a
// task's fields but its state and statuses never change once recorded, so
// the snapshot keeps pointers to those. A task's state is overwritten and
// its last status replaced in place (tasks.go, updateTask), and the maps
// of tasks, offers and executors change: the snapshot copies the state,
// the statuses slice and the maps' contents. A change to the core that
// edits one of the shared values in place must copy it here too.

import (
	"slices"
	"strings"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// stateSnap is what /master/state shows, copied on the master actor. Its
// lists are in map order; the renderer sorts them.
type stateSnap struct {
	top        object // the top-level keys but agents and frameworks
	agents     []agentSnap
	frameworks []frameworkSnap // registered
	completed  []frameworkSnap // oldest first
}

type agentSnap struct {
	a            *agent // identity only: never read off the actor
	id           string
	info         *mesos.SlaveInfo
	pid          actors.PID
	version      string
	capabilities []mesos.SlaveInfo_Capability_Type
	active       bool
	registered   time.Time
	reregistered time.Time
	total        resources.Resources
	executors    []executorSnap // by framework (executorSnap.owner)
	offered      []*offer

	used []sumPart // set by the renderer: live tasks' and executors'
}

type frameworkSnap struct {
	f                                    *framework // identity only
	id                                   string
	info                                 *mesos.FrameworkInfo
	pid                                  actors.PID
	active, connected, recovered         bool
	registered, reregistered, unregister time.Time
	offers                               []*offer
	executors                            []executorSnap
	tasks                                []taskSnap // active; sorted by the renderer
	unreachable, completedTasks          []taskSnap // in list order
}

// executorSnap is an executor of a framework on an agent; owner is the
// agent (in a framework's list) or the framework (in an agent's).
type executorSnap struct {
	owner string
	info  *mesos.ExecutorInfo
}

// taskSnap is a task with the fields the core changes in place copied.
type taskSnap struct {
	t        *mesos.Task
	state    mesos.TaskState
	statuses []*mesos.TaskStatus

	// set by the renderer
	id  string
	e   *taskEntry // the task's rendering
	old *taskEntry // its last rendering, good or not
	pos int32      // its place in its framework's tasks last time; -1: none
}

// snapArena holds the snapshot's small slices in a few large ones.
type snapArena struct {
	tasks    []taskSnap
	statuses []*mesos.TaskStatus
}

// take returns n entries of a, growing it by at least want when full;
// earlier takes keep the array they were given.
func take[T any](a *[]T, n, want int) []T {
	if cap(*a)-len(*a) < n {
		*a = make([]T, 0, max(n, want))
	}
	l := len(*a)
	*a = (*a)[:l+n]
	return (*a)[l : l+n : l+n]
}

// stateSnapshot copies what /master/state shows; start, if set, is the
// process' start time (a supervised master's core starts when elected).
// It runs on the master actor and does no encoding.
func (c *Core) stateSnapshot(start time.Time) *stateSnap {
	s := &stateSnap{top: c.stateTop()}
	if !start.IsZero() {
		s.top["start_time"] = seconds(start)
	}
	nTasks := 0
	for _, f := range c.frameworks {
		nTasks += len(f.tasks) + f.unreachableTasks.len() + f.completedTasks.len()
	}
	for _, f := range c.completed {
		nTasks += len(f.tasks) + f.unreachableTasks.len() + f.completedTasks.len()
	}
	ar := &snapArena{
		tasks:    make([]taskSnap, 0, nTasks),
		statuses: make([]*mesos.TaskStatus, 0, nTasks*2),
	}
	s.agents = make([]agentSnap, 0, len(c.agents))
	for _, a := range c.agents {
		s.agents = append(s.agents, snapAgent(a, ar))
	}
	s.frameworks = make([]frameworkSnap, 0, len(c.frameworks))
	for _, f := range c.frameworks {
		s.frameworks = append(s.frameworks, snapFramework(f, ar))
	}
	s.completed = make([]frameworkSnap, 0, len(c.completed))
	for _, f := range c.completed {
		s.completed = append(s.completed, snapFramework(f, ar))
	}
	return s
}

// snapAgent copies a but its tasks: the renderer finds them in their
// frameworks (the core records a task on both).
func snapAgent(a *agent, ar *snapArena) agentSnap {
	out := agentSnap{
		a: a, id: a.id, info: a.info, pid: a.pid, version: a.version, capabilities: a.capabilities,
		active: a.active, registered: a.registeredTime, reregistered: a.reregisteredTime, total: a.total,
	}
	for fid, byID := range a.executors {
		for _, e := range byID {
			out.executors = append(out.executors, executorSnap{fid, e})
		}
	}
	if len(a.offers) > 0 {
		out.offered = make([]*offer, 0, len(a.offers))
		for _, o := range a.offers {
			out.offered = append(out.offered, o)
		}
		// In id order, so that an agent whose offers did not change
		// compares equal to its last rendering.
		if len(out.offered) > 1 {
			slices.SortFunc(out.offered, func(x, y *offer) int { return strings.Compare(x.id, y.id) })
		}
	}
	return out
}

func snapFramework(f *framework, ar *snapArena) frameworkSnap {
	out := snapFrameworkFields(f)
	out.tasks = take(&ar.tasks, len(f.tasks), 1<<12)[:0]
	for _, t := range f.tasks {
		out.tasks = append(out.tasks, snapTask(t, ar))
	}
	out.unreachable = snapTaskList(f.unreachableTasks, ar)
	out.completedTasks = snapTaskList(f.completedTasks, ar)
	return out
}

// snapFrameworkFields copies what a framework's object shows but its
// tasks.
func snapFrameworkFields(f *framework) frameworkSnap {
	out := frameworkSnap{
		f: f, id: f.id, info: f.info, pid: f.pid, active: f.active, connected: f.connected, recovered: f.recovered,
		registered: f.registeredTime, reregistered: f.reregisteredTime, unregister: f.unregisteredTime,
	}
	if len(f.offers) > 0 {
		out.offers = make([]*offer, 0, len(f.offers))
		for _, o := range f.offers {
			out.offers = append(out.offers, o)
		}
	}
	nExec := 0
	for _, byID := range f.executors {
		nExec += len(byID)
	}
	if nExec > 0 {
		out.executors = make([]executorSnap, 0, nExec)
		for agentID, byID := range f.executors {
			for _, e := range byID {
				out.executors = append(out.executors, executorSnap{agentID, e})
			}
		}
	}
	return out
}

func snapTaskList(l *taskList, ar *snapArena) []taskSnap {
	out := take(&ar.tasks, l.len(), 1<<12)[:0]
	for i := range l.len() {
		out = append(out, snapTask(l.at(i), ar))
	}
	return out
}

func snapTask(t *mesos.Task, ar *snapArena) taskSnap {
	st := t.GetStatuses()
	statuses := take(&ar.statuses, len(st), 1<<14)
	copy(statuses, st)
	return taskSnap{t: t, state: t.GetState(), statuses: statuses}
}
