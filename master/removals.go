package master

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
)

// Timer keys of agent removal (see core.go for the others).
const (
	removalTimerPrefix  = "removal/"
	recoveryTimerPrefix = "recovery/"
	// removalTimerKey fires when --agent_removal_rate_limit grants the
	// next permit.
	removalTimerKey = removalTimerPrefix + "next"
	// recoveryTimerKey fires agent_reregister_timeout after a master that
	// recovered agents from its registry started: those that did not
	// reregister are marked unreachable.
	recoveryTimerKey = recoveryTimerPrefix + "agents"
)

// AgentRemovals counts what happened to agents the master gave up on, as
// Mesos' master/slave_* metrics do. The core keeps them; /metrics exposes
// them (Core.Removals).
type AgentRemovals struct {
	// UnreachableScheduled counts agents scheduled to be marked
	// unreachable (master/slave_unreachable_scheduled).
	UnreachableScheduled uint64
	// UnreachableCompleted counts agents marked unreachable
	// (master/slave_unreachable_completed).
	UnreachableCompleted uint64
	// UnreachableCanceled counts scheduled markings that a pong or a
	// reregistration cancelled while they waited for the rate limit
	// (master/slave_unreachable_canceled).
	UnreachableCanceled uint64
	// Removals counts registered agents taken out of the cluster, marked
	// unreachable or removed (master/slave_removals), by reason: health
	// checks or reregistration timeouts (ReasonUnhealthy,
	// master/slave_removals/reason_unhealthy), the agent unregistering
	// (ReasonUnregistered, .../reason_unregistered), or a new agent at the
	// same address (ReasonRegistered, .../reason_registered).
	Removals           uint64
	ReasonUnhealthy    uint64
	ReasonUnregistered uint64
	ReasonRegistered   uint64
	// RecoveryRemovals counts agents recovered from the registry that did
	// not reregister within agent_reregister_timeout after the master
	// started (master/recovery_slave_removals).
	RecoveryRemovals uint64
}

// Removals returns the agent removal counters.
func (c *Core) Removals() AgentRemovals { return c.removals }

// RateLimit is --agent_removal_rate_limit: at most Permits agents per
// Interval are marked unreachable.
type RateLimit struct {
	Permits  int
	Interval time.Duration
}

// ParseRateLimit parses Mesos' "<permits>/<duration>" ("1/10mins"); ""
// means no limit (the zero RateLimit).
func ParseRateLimit(s string) (RateLimit, error) {
	if s == "" {
		return RateLimit{}, nil
	}
	n, d, ok := strings.Cut(s, "/")
	if !ok {
		return RateLimit{}, fmt.Errorf("invalid rate limit '%s': want <number of agents>/<duration>, e.g. 1/10mins", s)
	}
	permits, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || permits <= 0 {
		return RateLimit{}, fmt.Errorf("invalid rate limit '%s': the number of agents must be a positive integer", s)
	}
	interval, err := protocol.ParseDuration(strings.TrimSpace(d))
	if err != nil || interval <= 0 {
		return RateLimit{}, fmt.Errorf("invalid rate limit '%s': the duration must be positive (e.g. 10mins)", s)
	}
	return RateLimit{Permits: permits, Interval: interval}, nil
}

// gap is the time between two permits; zero means no limit.
func (r RateLimit) gap() time.Duration {
	if r.Permits <= 0 {
		return 0
	}
	return r.Interval / time.Duration(r.Permits)
}

// pendingRemoval is an agent waiting for a permit to be marked
// unreachable: a registered agent, or one recovered from the registry.
type pendingRemoval struct {
	id        string
	recovered bool
	message   string
}

// scheduleUnreachable marks a registered agent unreachable, at once or,
// under --agent_removal_rate_limit, when the next permit is granted.
func (c *Core) scheduleUnreachable(a *agent, message string) {
	if a.markingUnreachable {
		return
	}
	c.removals.UnreachableScheduled++
	a.markingUnreachable = true
	c.removalQueue = append(c.removalQueue, pendingRemoval{id: a.id, message: message})
	c.grantRemovals()
}

// cancelUnreachable drops a's pending marking: it answered after all.
func (c *Core) cancelUnreachable(a *agent) {
	if !a.markingUnreachable {
		return
	}
	a.markingUnreachable = false
	c.dequeueRemoval(a.id)
	c.removals.UnreachableCanceled++
	c.agentLog(a.id).Info("cancelled marking the agent unreachable: it is back")
}

func (c *Core) dequeueRemoval(id string) {
	for i, p := range c.removalQueue {
		if p.id == id {
			c.removalQueue = append(c.removalQueue[:i:i], c.removalQueue[i+1:]...)
			return
		}
	}
}

// grantRemovals marks the queued agents unreachable as far as the rate
// limit allows now, and arms the timer for the next permit.
func (c *Core) grantRemovals() {
	gap := c.removalRate.gap()
	now := c.now()
	for len(c.removalQueue) > 0 {
		if gap > 0 && c.permitGranted && now.Before(c.lastPermit.Add(gap)) {
			c.out.StartTimer(removalTimerKey, c.lastPermit.Add(gap).Sub(now))
			return
		}
		p := c.removalQueue[0]
		c.removalQueue = c.removalQueue[1:]
		c.permitGranted, c.lastPermit = true, now
		if p.recovered {
			c.markRecoveredUnreachable(p.id, p.message)
			continue
		}
		if a := c.agents[p.id]; a != nil && a.markingUnreachable {
			a.markingUnreachable = false
			c.markUnreachable(a, p.message)
		}
	}
}

// markUnreachable removes an agent that stopped answering: it is written
// to the registry's unreachable list, then its tasks become
// TASK_UNREACHABLE (TASK_LOST for frameworks that are not partition
// aware); it may come back later.
func (c *Core) markUnreachable(a *agent, message string) {
	if c.agents[a.id] != a || c.registryBusy(a.id) != "" {
		return
	}
	c.agentLog(a.id).Infof("marking agent unreachable: %s", message)
	at := c.now()
	c.setBusy(a.id, busyUnreachable)
	c.persist(MarkSlaveUnreachable{Info: clone(a.info), Time: at}, func() {
		c.clearBusy(a.id)
		if c.agents[a.id] != a {
			return
		}
		c.removals.UnreachableCompleted++
		c.removals.Removals++
		c.removals.ReasonUnhealthy++
		c.removeAgentAt(a, message, removeUnreachable, at)
		c.pruneRegistry()
	})
}

// ---- Agents recovered from a registry ----

// RecoveredAgents is what a master's registry says about agents.
type RecoveredAgents struct {
	Admitted    []*mesos.SlaveInfo   // admitted, with their ids
	Unreachable map[string]time.Time // agent id → when it was marked unreachable
	Gone        map[string]time.Time // agent id → when it was marked gone
}

// RecoverAgents tells a started master what a registry knows about
// agents, without the registry (Recover reads them from one). Admitted
// agents are "recovered": reconciliation does not answer for their tasks
// until they reregister, and those that have not reregistered
// agent_reregister_timeout later are marked unreachable (rate limited; the
// frameworks get LostSlaveMessage but no task updates: this master never
// learned their tasks). Unreachable agents may reregister; gone ones are
// shut down if they try.
func (c *Core) RecoverAgents(now time.Time, r RecoveredAgents) []effect.Effect {
	c.at = now
	c.recoverAgents(r)
	if len(c.recoveredAgents) > 0 {
		c.log.Infof("waiting %s for %d recovered agents to reregister",
			protocol.FormatDuration(c.cfg.AgentReregisterTimeout), len(c.recoveredAgents))
		c.out.StartTimer(recoveryTimerKey, c.cfg.AgentReregisterTimeout)
	}
	return c.out.Take()
}

// recoverAgents remembers what a registry says about agents.
func (c *Core) recoverAgents(r RecoveredAgents) {
	for id, at := range r.Unreachable {
		if id != "" && c.agents[id] == nil {
			c.unreachable[id] = &unreachableAgent{info: &mesos.SlaveInfo{Id: slaveID(id)}, time: at}
			c.removed[id] = true
		}
	}
	for id, at := range r.Gone {
		if id != "" && c.agents[id] == nil {
			delete(c.unreachable, id)
			c.gone[id] = at
			c.removed[id] = true
		}
	}
	for _, info := range r.Admitted {
		id := info.GetId().GetValue()
		if id == "" || c.agents[id] != nil || c.unreachable[id] != nil {
			continue
		}
		if _, gone := c.gone[id]; gone {
			continue
		}
		c.recoveredAgents[id] = clone(info)
	}
}

// recoveredAgentsTimedOut marks unreachable the recovered agents that did
// not reregister in time.
func (c *Core) recoveredAgentsTimedOut() {
	for _, id := range sortedKeys(c.recoveredAgents) {
		c.removals.UnreachableScheduled++
		c.removals.RecoveryRemovals++
		c.removalQueue = append(c.removalQueue, pendingRemoval{id: id, recovered: true,
			message: fmt.Sprintf("did not reregister within %s after master failover", protocol.FormatDuration(c.cfg.AgentReregisterTimeout))})
	}
	c.grantRemovals()
}

// markRecoveredUnreachable marks a recovered agent that never came back
// unreachable, in the registry first.
func (c *Core) markRecoveredUnreachable(id, message string) {
	info := c.recoveredAgents[id]
	if info == nil || c.registryBusy(id) != "" {
		return // it reregistered while waiting for a permit
	}
	at := c.now()
	c.setBusy(id, busyUnreachable)
	c.persist(MarkSlaveUnreachable{Info: clone(info), Time: at}, func() {
		c.clearBusy(id)
		if c.recoveredAgents[id] == nil {
			return
		}
		c.agentLog(id).Infof("marked recovered agent unreachable: %s", message)
		delete(c.recoveredAgents, id)
		c.removals.UnreachableCompleted++
		c.unreachable[id] = &unreachableAgent{info: info, time: at}
		c.sendLostSlave(id)
		c.pruneRegistry()
	})
}

// sendLostSlave tells every connected framework that agent id is lost.
func (c *Core) sendLostSlave(id string) {
	lost := &mesosinternal.LostSlaveMessage{SlaveId: slaveID(id)}
	for _, fid := range sortedKeys(c.frameworks) {
		if f := c.frameworks[fid]; f.connected {
			c.send(f.pid, lost)
		}
	}
}

// ---- Agents marked gone by the operator ----

// MarkAgentGone is the operator's MARK_AGENT_GONE: the agent (registered,
// unreachable or recovered) is gone for good. It is written to the
// registry's gone list; then its tasks become TASK_GONE_BY_OPERATOR
// (TASK_LOST for frameworks that are not partition aware) and it is shut
// down if it ever comes back. Errors are RequestErrors (Invalid: no id;
// Refused: unknown agent, or another operation on it in flight;
// Unavailable: not the leader).
func (c *Core) MarkAgentGone(now time.Time, id string) ([]effect.Effect, error) {
	c.at = now
	if !c.acting() {
		return nil, &RequestError{Kind: Unavailable, Msg: ErrNotLeading.Error()}
	}
	if id == "" {
		return nil, &RequestError{Kind: Invalid, Msg: "Missing agent id"}
	}
	if _, ok := c.gone[id]; ok || c.registryBusy(id) == busyGone {
		return nil, nil
	}
	if c.agents[id] == nil && c.unreachable[id] == nil && c.recoveredAgents[id] == nil {
		return nil, &RequestError{Kind: Refused, Msg: "Agent " + id + " is not registered, unreachable or recovered"}
	}
	if busy := c.registryBusy(id); busy != "" {
		return nil, &RequestError{Kind: Refused, Msg: "Agent " + id + " cannot be marked gone while its " + busy + " is in progress"}
	}
	c.agentLog(id).Info("marking agent gone")
	c.setBusy(id, busyGone)
	c.persist(MarkSlaveGone{ID: id, Time: now}, func() {
		c.clearBusy(id)
		c.markGone(id, now)
		c.pruneRegistry()
	})
	return c.out.Take(), nil
}

// markGone applies a gone marking the registry holds.
func (c *Core) markGone(id string, at time.Time) {
	if a := c.agents[id]; a != nil {
		if a.markingUnreachable {
			a.markingUnreachable = false
			c.dequeueRemoval(id)
		}
		c.send(a.pid, &mesosinternal.ShutdownMessage{Message: proto.String("Agent has been marked gone")})
		c.removeAgentAt(a, "Agent has been marked gone", removeGone, at)
	} else {
		c.dequeueRemoval(id)
		delete(c.recoveredAgents, id)
		delete(c.unreachable, id)
		c.goneUnreachableTasks(id)
	}
	c.gone[id] = at
}

// goneUnreachableTasks moves the unreachable tasks of agent id to their
// frameworks' completed tasks, as TASK_GONE_BY_OPERATOR (or TASK_LOST).
func (c *Core) goneUnreachableTasks(id string) {
	for _, fid := range sortedKeys(c.frameworks) {
		f := c.frameworks[fid]
		for _, t := range f.unreachableTasks.list() {
			if t.GetSlaveId().GetValue() != id {
				continue
			}
			f.unreachableTasks.remove(t.GetTaskId().GetValue())
			t.State = stateRef(protocol.VisibleState(f.partitionAware(), mesos.TaskState_TASK_GONE_BY_OPERATOR))
			c.journal.note(t)
			f.completedTasks.add(t)
		}
	}
}
