package master

// What the event stream (stream.go) reads from the core once a tick, on
// the master actor: an overview of the cluster, the agents and
// frameworks whose summary may have changed since the last tick, and the
// tasks whose state changed. Change is detected by cheap fingerprints so
// that a tick at 10,000 agents and 100,000 tasks costs a pass over the
// tasks, not 10,000 summaries.

import (
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
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
}

// agentPrint and frameworkPrint change whenever anything their summary
// shows may have changed.
type agentPrint struct {
	info                    *mesos.SlaveInfo
	total                   unsafe.Pointer // the slice's array: a new total is a new array
	totalLen                int
	active, connected       bool
	reregistered            time.Time
	counts                  TaskCounts
	offers                  string
	executors, fwsWithTasks int
}

type frameworkPrint struct {
	info                         *mesos.FrameworkInfo
	pid                          string
	active, connected, recovered bool
	counts                       TaskCounts
	offers                       string
	executors, agents            int
}

type taskSeen struct {
	state mesos.TaskState
	gen   uint64
}

// streamWatch is the stream's memory between ticks. Only the master
// actor touches it (inside Node.Call).
type streamWatch struct {
	gen        uint64
	agents     map[string]agentPrint
	frameworks map[string]frameworkPrint
	tasks      map[*mesos.Task]taskSeen
	maxTasks   int
}

func newStreamWatch(maxTasks int) *streamWatch {
	return &streamWatch{agents: map[string]agentPrint{}, frameworks: map[string]frameworkPrint{}, tasks: map[*mesos.Task]taskSeen{}, maxTasks: maxTasks}
}

var overviewScalars = []string{"cpus", "gpus", "mem", "disk"}

func scalarsOf(rs []*mesos.Resource, into map[string]float64) {
	for _, r := range rs {
		if r.GetType() != mesos.Value_SCALAR || r.Revocable != nil {
			continue
		}
		switch n := r.GetName(); n {
		case "cpus", "gpus", "mem", "disk":
			into[n] += r.GetScalar().GetValue()
		}
	}
}

func roundScalars(m map[string]float64) map[string]float64 {
	for _, n := range overviewScalars {
		m[n] = math.Round(m[n]*1000) / 1000
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

// tick reads the core: everything the first time, changes afterwards.
func (w *streamWatch) tick(c *Core) streamTick {
	first := w.gen == 0
	w.gen++
	out := streamTick{}
	ov := &out.overview
	ov.ID, ov.PID, ov.Hostname, ov.Cluster, ov.Version = c.info.GetId(), c.info.GetPid(), c.info.GetHostname(), c.cfg.Cluster, Version
	ov.StartTime = seconds(c.startTime)
	if c.elected {
		ov.Leader, ov.ElectedTime = c.info.GetPid(), seconds(c.electedTime)
	}
	ov.UnreachableSlaves = len(c.unreachable)
	ov.OutstandingOffers = len(c.offers)
	ov.CompletedFrameworks = len(c.completed)
	ov.Resources = OverviewResources{Total: map[string]float64{}, Used: map[string]float64{}, Offered: map[string]float64{}}

	change := func(f *framework, t *mesos.Task) {
		s := t.GetState()
		ov.Tasks.count(s)
		seen, ok := w.tasks[t]
		if (!ok && !first) || (ok && seen.state != s) {
			if len(out.tasks) < w.maxTasks {
				ch := TaskChange{FrameworkID: f.id, ID: t.GetTaskId().GetValue(), Name: t.GetName(), State: s.String(), SlaveID: t.GetSlaveId().GetValue()}
				if st := t.GetStatuses(); len(st) > 0 {
					ch.Timestamp = st[len(st)-1].GetTimestamp()
				}
				out.tasks = append(out.tasks, ch)
			} else {
				out.tasksOmitted++
			}
		}
		w.tasks[t] = taskSeen{state: s, gen: w.gen}
	}
	tally := c.tallyTasks(change)
	for _, f := range c.frameworks {
		if f.active {
			ov.ActiveFrameworks++
		} else {
			ov.InactiveFrameworks++
		}
	}
	for _, f := range c.completed {
		for _, t := range f.tasks {
			change(f, t)
		}
		for _, t := range f.unreachableTasks.byID {
			change(f, t)
		}
		for _, t := range f.completedTasks.byID {
			change(f, t)
		}
	}
	for t, seen := range w.tasks {
		if seen.gen != w.gen {
			delete(w.tasks, t)
		}
	}

	present := map[string]bool{}
	for id, a := range c.agents {
		present[id] = true
		if a.active {
			ov.ActivatedSlaves++
		} else {
			ov.DeactivatedSlaves++
		}
		scalarsOf(a.total, ov.Resources.Total)
		for _, byID := range a.tasks {
			for _, t := range byID {
				if !protocol.IsTerminalOrUnreachable(t.GetState()) {
					scalarsOf(t.GetResources(), ov.Resources.Used)
				}
			}
		}
		executors := 0
		for _, byID := range a.executors {
			for _, e := range byID {
				executors++
				scalarsOf(e.GetResources(), ov.Resources.Used)
			}
		}
		for _, o := range a.offers {
			scalarsOf(o.resources, ov.Resources.Offered)
		}
		p := agentPrint{
			info: a.info, total: unsafe.Pointer(unsafe.SliceData(a.total)), totalLen: len(a.total),
			active: a.active, connected: a.connected, reregistered: a.reregisteredTime,
			offers: offerIDs(a.offers), executors: executors,
		}
		if at := tally.byAgent[id]; at != nil {
			p.counts, p.fwsWithTasks = at.TaskCounts, len(at.frameworks)
		}
		if old, ok := w.agents[id]; !ok || old != p {
			w.agents[id] = p
			out.agents = append(out.agents, c.agentSummary(a, tally))
		}
	}
	for id := range w.agents {
		if !present[id] {
			delete(w.agents, id)
			out.agentsGone = append(out.agentsGone, id)
		}
	}
	roundScalars(ov.Resources.Total)
	roundScalars(ov.Resources.Used)
	roundScalars(ov.Resources.Offered)

	clear(present)
	for id, f := range c.frameworks {
		present[id] = true
		executors := 0
		for _, byID := range f.executors {
			executors += len(byID)
		}
		p := frameworkPrint{
			info: f.info, pid: f.pid.String(), active: f.active, connected: f.connected, recovered: f.recovered,
			counts: *tally.byFramework[id], offers: offerIDs(f.offers), executors: executors, agents: len(tally.agentsOf[id]),
		}
		if old, ok := w.frameworks[id]; !ok || old != p {
			w.frameworks[id] = p
			out.frameworks = append(out.frameworks, streamFramework{FrameworkSummary: c.frameworkSummary(f, tally)})
		}
	}
	for id := range w.frameworks {
		if !present[id] {
			delete(w.frameworks, id)
			out.frameworksGone = append(out.frameworksGone, id)
		}
	}
	return out
}
