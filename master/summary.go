package master

// /master/state-summary: what Mesos' stateSummary handler renders
// (src/master/readonly_handler.cpp): the master's hostname and cluster
// name, and every registered agent and framework without their tasks,
// each with its resources and its tasks counted by state. The UI and the
// event stream (stream.go) read it instead of the full state.

import (
	"net/url"
	"slices"
	"strings"

	"github.com/gomesos/gomesos/internal/jsonmodel"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// TaskCounts counts tasks by state, under Mesos' summary keys. Mesos
// reports all ten for agents and frameworks alike, even those that are
// always zero for one of them.
type TaskCounts struct {
	Staging     int `json:"TASK_STAGING"`
	Starting    int `json:"TASK_STARTING"`
	Running     int `json:"TASK_RUNNING"`
	Killing     int `json:"TASK_KILLING"`
	Finished    int `json:"TASK_FINISHED"`
	Killed      int `json:"TASK_KILLED"`
	Failed      int `json:"TASK_FAILED"`
	Lost        int `json:"TASK_LOST"`
	Error       int `json:"TASK_ERROR"`
	Unreachable int `json:"TASK_UNREACHABLE"`
}

// count adds one task in state s; states the summary has no key for
// (DROPPED, GONE, UNKNOWN, ...) are not counted, as in Mesos.
func (n *TaskCounts) count(s mesos.TaskState) { n.move(s, 1) }

func (n *TaskCounts) add(o TaskCounts) {
	n.Staging += o.Staging
	n.Starting += o.Starting
	n.Running += o.Running
	n.Killing += o.Killing
	n.Finished += o.Finished
	n.Killed += o.Killed
	n.Failed += o.Failed
	n.Lost += o.Lost
	n.Error += o.Error
	n.Unreachable += o.Unreachable
}

// AgentSummary is one agent of /state-summary.
type AgentSummary struct {
	ID                  string         `json:"id"`
	PID                 string         `json:"pid"`
	Hostname            string         `json:"hostname"`
	Port                int32          `json:"port"`
	RegisteredTime      float64        `json:"registered_time"`
	ReregisteredTime    float64        `json:"reregistered_time,omitempty"`
	Resources           map[string]any `json:"resources"`
	UsedResources       map[string]any `json:"used_resources"`
	OfferedResources    map[string]any `json:"offered_resources"`
	ReservedResources   map[string]any `json:"reserved_resources"`
	UnreservedResources map[string]any `json:"unreserved_resources"`
	Attributes          map[string]any `json:"attributes"`
	Active              bool           `json:"active"`
	Version             string         `json:"version"`
	Capabilities        []string       `json:"capabilities"`
	TaskCounts
	FrameworkIDs []string `json:"framework_ids"`
}

// FrameworkSummary is one framework of /state-summary.
type FrameworkSummary struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	PID              string         `json:"pid,omitempty"`
	UsedResources    map[string]any `json:"used_resources"`
	OfferedResources map[string]any `json:"offered_resources"`
	Capabilities     []string       `json:"capabilities"`
	Hostname         string         `json:"hostname"`
	WebuiURL         string         `json:"webui_url"`
	Active           bool           `json:"active"`
	Connected        bool           `json:"connected"`
	Recovered        bool           `json:"recovered"`
	// Beyond Mesos' summary: what the UI's frameworks table shows.
	User           string   `json:"user"`
	Roles          []string `json:"roles"`
	RegisteredTime float64  `json:"registered_time"`
	TaskCounts
	SlaveIDs []string `json:"slave_ids"`
}

// Summary is /master/state-summary.
type Summary struct {
	Hostname   string             `json:"hostname"`
	Cluster    string             `json:"cluster,omitempty"`
	Slaves     []AgentSummary     `json:"slaves"`
	Frameworks []FrameworkSummary `json:"frameworks"`
}

// taskTally counts the tasks of registered frameworks, as Mesos'
// summary does: each framework's active, unreachable and completed tasks,
// by framework and by the agent they ran on, and which frameworks have
// tasks on which agent.
type taskTally struct {
	byFramework map[string]*TaskCounts
	byAgent     map[string]*agentTally
	agentsOf    map[string][]string // framework → agents, unordered
}

type agentTally struct {
	TaskCounts
	frameworks []string // unordered
	last       string   // the framework whose tasks were counted last
}

// tallyTasks walks the tasks one framework at a time, so that a
// (framework, agent) pair is new exactly when the agent's last framework
// differs. each, when not nil, also sees every task counted.
func (c *Core) tallyTasks(each func(f *framework, t *mesos.Task)) taskTally {
	t := taskTally{byFramework: map[string]*TaskCounts{}, byAgent: map[string]*agentTally{}, agentsOf: map[string][]string{}}
	for fid, f := range c.frameworks {
		fc := &TaskCounts{}
		t.byFramework[fid] = fc
		var agents []string
		visit := func(task *mesos.Task) {
			if each != nil {
				each(f, task)
			}
			s := task.GetState()
			fc.count(s)
			aid := task.GetSlaveId().GetValue()
			if aid == "" {
				return
			}
			at := t.byAgent[aid]
			if at == nil {
				at = &agentTally{}
				t.byAgent[aid] = at
			}
			at.count(s)
			if at.last != fid {
				at.last = fid
				at.frameworks = append(at.frameworks, fid)
				agents = append(agents, aid)
			}
		}
		for _, task := range f.tasks {
			visit(task)
		}
		for _, task := range f.unreachableTasks.byID {
			visit(task)
		}
		for _, task := range f.completedTasks.byID {
			visit(task)
		}
		t.agentsOf[fid] = agents
	}
	return t
}

// summary builds /master/state-summary.
func (c *Core) summary() Summary {
	tally := c.tallyTasks(nil)
	out := Summary{Hostname: c.info.GetHostname(), Cluster: c.cfg.Cluster, Slaves: []AgentSummary{}, Frameworks: []FrameworkSummary{}}
	for _, id := range sortedKeys(c.agents) {
		out.Slaves = append(out.Slaves, c.agentSummary(c.agents[id], tally))
	}
	for _, id := range sortedKeys(c.frameworks) {
		out.Frameworks = append(out.Frameworks, c.frameworkSummary(c.frameworks[id], tally))
	}
	return out
}

func (c *Core) agentSummary(a *agent, tally taskTally) AgentSummary {
	var counts TaskCounts
	fws := map[string]int{}
	if at := tally.byAgent[a.id]; at != nil {
		counts = at.TaskCounts
		for _, fid := range at.frameworks {
			fws[fid]++
		}
	}
	return c.agentSummaryOf(a, counts, fws)
}

// agentSummaryOf is a's summary with its tasks counted by state and the
// frameworks that have tasks on it (as keys).
func (c *Core) agentSummaryOf(a *agent, counts TaskCounts, withTasks map[string]int) AgentSummary {
	reserved := map[string]any{}
	for role, r := range a.total.Reservations() {
		reserved[role] = resJSON(r)
	}
	caps := []string{}
	for _, capa := range a.capabilities {
		caps = append(caps, capa.String())
	}
	// Frameworks with executors but no task there count too.
	fws := map[string]bool{}
	for fid := range withTasks {
		fws[fid] = true
	}
	for _, fid := range a.frameworkIDs() {
		fws[fid] = true
	}
	return AgentSummary{
		ID:                  a.id,
		PID:                 a.pid.String(),
		Hostname:            a.info.GetHostname(),
		Port:                a.info.GetPort(),
		RegisteredTime:      seconds(a.registeredTime),
		ReregisteredTime:    seconds(a.reregisteredTime),
		Resources:           resJSON(a.total),
		UsedResources:       resJSON(agentUsed(a)),
		OfferedResources:    resJSON(a.offeredResources()),
		ReservedResources:   reserved,
		UnreservedResources: resJSON(a.total.Unreserved()),
		Attributes:          jsonmodel.Attributes(a.info.GetAttributes()),
		Active:              a.active,
		Version:             a.version,
		Capabilities:        caps,
		TaskCounts:          counts,
		FrameworkIDs:        sortedKeys(fws),
	}
}

func (c *Core) frameworkSummary(f *framework, tally taskTally) FrameworkSummary {
	var counts TaskCounts
	if n := tally.byFramework[f.id]; n != nil {
		counts = *n
	}
	return c.frameworkSummaryOf(f, counts, tally.agentsOf[f.id], frameworkUsed(f), true)
}

// frameworkSummaryOf is f's summary with its tasks counted by state, the
// agents its tasks ran on (unordered; those of its executors are added)
// and what it uses; slave_ids is left out unless withAgents.
func (c *Core) frameworkSummaryOf(f *framework, counts TaskCounts, taskAgents []string, used resources.Resources, withAgents bool) FrameworkSummary {
	caps := []string{}
	for _, capa := range f.info.GetCapabilities() {
		caps = append(caps, capa.GetType().String())
	}
	s := FrameworkSummary{
		ID:               f.id,
		Name:             f.info.GetName(),
		UsedResources:    resJSON(used),
		OfferedResources: resJSON(f.offeredResources()),
		Capabilities:     caps,
		Hostname:         f.info.GetHostname(),
		WebuiURL:         f.info.GetWebuiUrl(),
		Active:           f.active,
		Connected:        f.connected,
		Recovered:        f.recovered,
		User:             f.info.GetUser(),
		Roles:            f.roles(),
		RegisteredTime:   seconds(f.registeredTime),
		TaskCounts:       counts,
	}
	if withAgents {
		agents := map[string]bool{}
		for _, aid := range taskAgents {
			agents[aid] = true
		}
		for aid := range f.executors {
			agents[aid] = true
		}
		s.SlaveIDs = sortedKeys(agents)
	}
	if !f.pid.IsZero() {
		s.PID = f.pid.String()
	}
	return s
}

// agentUsed is agent.totalUsed, summed in one pass: what its live tasks
// and executors hold. (Adding task by task copies the sum each time,
// which costs seconds at 100,000 tasks.)
func agentUsed(a *agent) resources.Resources {
	var all resources.Resources
	for _, e := range a.tasks.list {
		if t := e.t; !protocol.IsTerminalOrUnreachable(t.GetState()) {
			all = append(all, t.GetResources()...)
		}
	}
	for _, byID := range a.executors {
		for _, e := range byID {
			all = append(all, e.GetResources()...)
		}
	}
	return resources.Resources(nil).Add(all)
}

// frameworkUsed is framework.usedResources, summed in one pass.
func frameworkUsed(f *framework) resources.Resources {
	var all resources.Resources
	for _, t := range f.tasks {
		if !protocol.IsTerminalOrUnreachable(t.GetState()) {
			all = append(all, t.GetResources()...)
		}
	}
	for _, byID := range f.executors {
		for _, e := range byID {
			all = append(all, e.GetResources()...)
		}
	}
	return resources.Resources(nil).Add(all)
}

// offersQuery is what /master/offers was asked for.
type offersQuery struct {
	limit, offset        int
	frameworkID, agentID string
}

// parseOffersQuery reads /master/offers' parameters: limit (default
// 100), offset, framework_id, slave_id.
func parseOffersQuery(q url.Values) (offersQuery, error) {
	out := offersQuery{limit: defaultTasksLimit, frameworkID: q.Get("framework_id"), agentID: q.Get("slave_id")}
	err := parsePage(q, &out.limit, &out.offset)
	return out, err
}

// offersPage is /master/offers: the outstanding offers (of one framework
// or agent when asked), oldest first, a page at a time, with how many
// there are in all. The UI's offers page reads it instead of the whole
// state.
func (c *Core) offersPage(q offersQuery) any {
	var all []*offer
	for _, o := range c.offers {
		if (q.frameworkID == "" || o.frameworkID == q.frameworkID) && (q.agentID == "" || o.agentID == q.agentID) {
			all = append(all, o)
		}
	}
	// Offer ids share a prefix and end in a counter: shorter is older.
	slices.SortFunc(all, func(a, b *offer) int {
		if len(a.id) != len(b.id) {
			return len(a.id) - len(b.id)
		}
		return strings.Compare(a.id, b.id)
	})
	page := []any{}
	for i := q.offset; i < len(all) && len(page) < q.limit; i++ {
		page = append(page, offerJSON(all[i]))
	}
	return object{"offers": page, "total": len(all)}
}
