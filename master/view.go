package master

import (
	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// View is a copy of what a Core knows, in id order, for checks from
// outside the package (simulator invariants, transcripts). Changing it
// changes nothing in the core.
type View struct {
	Frameworks  []FrameworkView // registered, including recovered ones
	Completed   []string        // ids of removed frameworks, oldest first
	Agents      []AgentView     // registered
	Unreachable []string        // ids of agents marked unreachable
	Recovered   []string        // ids of agents recovered from a registry, not yet back
	Gone        []string        // ids of agents marked gone
	Offers      []OfferView     // outstanding
}

// FrameworkView is one registered framework.
type FrameworkView struct {
	ID                               string
	PID                              actors.PID
	Connected, Active                bool
	Recovered                        bool     // known from agents only
	Roles, SuppressedRoles           []string // as the allocator was told
	Tasks                            []*mesos.Task
	UnreachableTasks, CompletedTasks []*mesos.Task
}

// AgentView is one registered agent.
type AgentView struct {
	ID                string
	PID               actors.PID
	Connected, Active bool
	Total             resources.Resources
	Used              resources.Resources // by live tasks and executors
	Tasks             []*mesos.Task
}

// OfferView is one outstanding offer.
type OfferView struct {
	ID, FrameworkID, AgentID, Role string
	Resources                      resources.Resources // with allocation info
}

// View copies the core's state.
func (c *Core) View() View {
	v := View{}
	for _, id := range sortedKeys(c.frameworks) {
		f := c.frameworks[id]
		fv := FrameworkView{
			ID: id, PID: f.pid, Connected: f.connected, Active: f.active, Recovered: f.recovered,
			Roles: f.roles(), SuppressedRoles: append([]string(nil), f.suppressedRoles...),
			UnreachableTasks: cloneTasks(f.unreachableTasks.list()), CompletedTasks: cloneTasks(f.completedTasks.list()),
		}
		for _, tid := range sortedKeys(f.tasks) {
			fv.Tasks = append(fv.Tasks, clone(f.tasks[tid]))
		}
		v.Frameworks = append(v.Frameworks, fv)
	}
	for _, f := range c.completed {
		v.Completed = append(v.Completed, f.id)
	}
	for _, id := range sortedKeys(c.agents) {
		a := c.agents[id]
		av := AgentView{ID: id, PID: a.pid, Connected: a.connected, Active: a.active, Total: a.total.Clone(), Used: a.totalUsed().Clone()}
		for _, t := range a.tasks.sorted() {
			av.Tasks = append(av.Tasks, clone(t))
		}
		v.Agents = append(v.Agents, av)
	}
	v.Unreachable = sortedKeys(c.unreachable)
	v.Recovered = sortedKeys(c.recoveredAgents)
	v.Gone = sortedKeys(c.gone)
	for _, id := range sortedKeys(c.offers) {
		o := c.offers[id]
		v.Offers = append(v.Offers, OfferView{ID: id, FrameworkID: o.frameworkID, AgentID: o.agentID, Role: o.role, Resources: o.resources.Clone()})
	}
	return v
}

func cloneTasks(ts []*mesos.Task) []*mesos.Task {
	out := make([]*mesos.Task, len(ts))
	for i, t := range ts {
		out[i] = clone(t)
	}
	return out
}
