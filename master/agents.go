package master

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// minimumAgentVersion is the oldest agent a master admits.
var minimumAgentVersion = [3]int{1, 0, 0}

// parseVersion parses "major.minor.patch" with an optional "-suffix".
func parseVersion(s string) ([3]int, error) {
	var v [3]int
	core, _, _ := strings.Cut(s, "-")
	parts := strings.Split(core, ".")
	if s == "" || len(parts) > 3 {
		return v, fmt.Errorf("invalid version %q", s)
	}
	for i, part := range parts {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return v, fmt.Errorf("invalid version %q", s)
		}
		v[i] = n
	}
	return v, nil
}

func versionLess(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func (c *Core) connection() *mesosinternal.MasterSlaveConnection {
	total := c.cfg.AgentPingTimeout * time.Duration(c.cfg.MaxAgentPingTimeouts)
	return &mesosinternal.MasterSlaveConnection{TotalPingTimeoutSeconds: proto.Float64(total.Seconds())}
}

// checkAgent applies the checks shared by registration and
// reregistration; it returns why the message must be ignored.
func checkAgent(info *mesos.SlaveInfo, version string, needID bool) error {
	if info == nil {
		return fmt.Errorf("no SlaveInfo")
	}
	if info.GetHostname() == "" {
		return fmt.Errorf("SlaveInfo has no hostname")
	}
	if needID {
		if err := ValidateID(info.GetId().GetValue()); err != nil {
			return fmt.Errorf("invalid SlaveID: %v", err)
		}
	}
	if err := resources.Validate(info.GetResources()); err != nil {
		return fmt.Errorf("invalid resources: %v", err)
	}
	v, err := parseVersion(version)
	if err != nil {
		return fmt.Errorf("failed to parse version '%s': %v", version, err)
	}
	if versionLess(v, minimumAgentVersion) {
		return fmt.Errorf("agent version %s is older than the minimum supported 1.0.0", version)
	}
	if info.Domain != nil {
		return fmt.Errorf("agent has a domain but the master has none")
	}
	return nil
}

// registerSlave handles RegisterSlaveMessage: the new agent is admitted
// in the registry first, then added and acknowledged.
func (c *Core) registerSlave(from actors.PID, m *mesosinternal.RegisterSlaveMessage) {
	log := c.log.WithField("from", from.String())
	if err := checkAgent(m.GetSlave(), m.GetVersion(), false); err != nil {
		log.Warnf("ignoring agent registration: %v", err)
		return
	}
	if c.registrar.admitting[from.String()] {
		log.Info("ignoring agent registration: a (re)registration from this address is being written")
		return
	}
	if a := c.agentsByPID[from.String()]; a != nil {
		if a.connected {
			c.agentLog(a.id).Info("agent already registered; resending the acknowledgement")
			c.send(from, &mesosinternal.SlaveRegisteredMessage{SlaveId: slaveID(a.id), Connection: c.connection()})
			return
		}
		c.agentLog(a.id).Info("removing old disconnected agent: a new agent registered at the same address")
		c.removeRegistered(a, "a new agent registered at the same address", func() { c.removals.ReasonRegistered++ })
	}
	info := proto.Clone(m.GetSlave()).(*mesos.SlaveInfo)
	id := c.ids.AgentID()
	info.Id = slaveID(id)
	c.registrar.admitting[from.String()] = true
	c.persist(AdmitSlave{Info: info}, func() { // info is the master's own copy, changed by no one
		delete(c.registrar.admitting, from.String())
		a := newAgent(id, info, from)
		a.version = m.GetVersion()
		a.capabilities = capabilityTypes(m.GetAgentCapabilities())
		a.total = c.agentTotal(id, info, m.GetCheckpointedResources(), nil)
		a.checkpointed = checkpointed(a.total)
		a.registeredTime = c.now()
		c.addAgent(a)
		c.stats.registrations++
		c.send(from, &mesosinternal.SlaveRegisteredMessage{SlaveId: slaveID(id), Connection: c.connection()})
		c.agentLog(id).Infof("registered agent at %s (%s) with %s", from, info.GetHostname(), a.total)
	})
}

// removeRegistered removes a registered agent for good (it unregistered,
// or a new agent came at its address): RemoveSlave is written first; count
// adds to the removal reason's counter.
func (c *Core) removeRegistered(a *agent, message string, count func()) {
	if busy := c.registryBusy(a.id); busy != "" {
		c.agentLog(a.id).Infof("not removing the agent now: its %s is in progress", busy)
		return
	}
	c.setBusy(a.id, busyRemoving)
	c.persist(RemoveSlave{ID: a.id}, func() {
		c.clearBusy(a.id)
		if c.agents[a.id] != a {
			return
		}
		c.removals.Removals++
		count()
		c.removeAgent(a, message, removeExplicit)
	})
}

// agentTotal is an agent's total: its resources with the checkpointed
// dynamic reservations applied, those it reports or, when it reports none
// (gomesos agents do not checkpoint them yet), those this master made.
func (c *Core) agentTotal(id string, info *mesos.SlaveInfo, reported []*mesos.Resource, kept resources.Resources) resources.Resources {
	total := resources.New(info.GetResources()...).Upgrade()
	cp := resources.New(reported...).Upgrade()
	if cp.IsEmpty() {
		cp = kept
	}
	if cp.IsEmpty() {
		return total
	}
	withCP, err := applyCheckpointed(total, cp)
	if err != nil {
		c.agentLog(id).Warnf("dropping checkpointed resources: %v", err)
		return total
	}
	return withCP
}

// addAgent makes a known: links, health checks and tells the allocator.
func (c *Core) addAgent(a *agent) {
	a.connected, a.active = true, true
	c.agents[a.id] = a
	c.agentsByPID[a.pid.String()] = a
	c.out.Link(a.pid)
	c.startHealthCheck(a)
	used := map[string]resources.Resources{}
	for fid, r := range a.usedResources() {
		used[fid] = r
	}
	c.out.Add(AllocAddSlave{AgentID: a.id, Info: a.info, Capabilities: a.capabilities, Total: a.total, Used: used})
}

// reregisterSlave handles ReregisterSlaveMessage. A registered agent
// whose SlaveInfo changed, and an unreachable or unknown one, are written
// to the registry before they are taken back; while an operation for the
// agent is in flight its reregistrations are dropped (it retries).
func (c *Core) reregisterSlave(from actors.PID, m *mesosinternal.ReregisterSlaveMessage) {
	log := c.log.WithField("from", from.String())
	if err := checkAgent(m.GetSlave(), m.GetVersion(), true); err != nil {
		log.Warnf("ignoring agent reregistration: %v", err)
		return
	}
	info := proto.Clone(m.GetSlave()).(*mesos.SlaveInfo)
	id := info.GetId().GetValue()
	if _, gone := c.gone[id]; gone {
		c.agentLog(id).WithField("from", from.String()).Warn("refusing reregistration: the agent has been marked gone")
		c.send(from, &mesosinternal.ShutdownMessage{Message: proto.String("Agent has been marked gone")})
		return
	}
	if busy := c.registryBusy(id); busy != "" {
		c.agentLog(id).WithField("from", from.String()).Infof("ignoring agent reregistration: its %s is in progress", busy)
		return
	}
	if c.registrar.admitting[from.String()] {
		c.agentLog(id).WithField("from", from.String()).Info("ignoring agent reregistration: a (re)registration from this address is being written")
		return
	}
	if a := c.agents[id]; a != nil {
		if hostOf(a.pid) != hostOf(from) || a.info.GetHostname() != info.GetHostname() {
			c.agentLog(id).Warnf("agent at %s (%s) attempted to reregister with a different IP / hostname; expected %s (%s); shutting it down",
				from, info.GetHostname(), hostOf(a.pid), a.info.GetHostname())
			c.send(from, &mesosinternal.ShutdownMessage{Message: proto.String("Agent attempted to reregister with different IP / hostname")})
			return
		}
		if proto.Equal(a.info, info) {
			c.reregisterKnownAgent(a, from, info, m)
			return
		}
		c.setBusy(id, busyReregistering)
		c.persist(UpdateSlave{Info: clone(info)}, func() {
			c.clearBusy(id)
			if c.agents[id] == a {
				c.reregisterKnownAgent(a, from, info, m)
			}
		})
		return
	}
	replaced := false
	if old := c.agentsByPID[from.String()]; old != nil {
		c.agentLog(old.id).Info("removing agent: a new agent reregistered at the same address")
		c.removeRegistered(old, "a new agent reregistered at the same address", func() { c.removals.ReasonRegistered++ })
		replaced = true
	}
	var op RegistryOp = MarkSlaveReachable{Info: clone(info)}
	if known := c.recoveredAgents[id]; known != nil {
		// Known from the registry: written again only if it changed.
		if proto.Equal(known, info) && !replaced {
			c.readmitAgent(from, info, m)
			return
		}
		op = UpdateSlave{Info: clone(info)}
	}
	c.setBusy(id, busyReregistering)
	c.registrar.admitting[from.String()] = true
	c.persist(op, func() {
		c.clearBusy(id)
		delete(c.registrar.admitting, from.String())
		if _, gone := c.gone[id]; gone || c.agents[id] != nil {
			return
		}
		c.readmitAgent(from, info, m)
	})
}

func hostOf(pid actors.PID) string {
	h, _, err := net.SplitHostPort(pid.Address)
	if err != nil {
		return pid.Address
	}
	return h
}

// reregisterKnownAgent handles an agent the master has registered: a
// reconnect after a broken link or an agent restart.
func (c *Core) reregisterKnownAgent(a *agent, from actors.PID, info *mesos.SlaveInfo, m *mesosinternal.ReregisterSlaveMessage) {
	log := c.agentLog(a.id)
	c.cancelUnreachable(a)
	if a.pid != from {
		delete(c.agentsByPID, a.pid.String())
		c.out.Unlink(a.pid)
		a.pid = from
		c.agentsByPID[from.String()] = a
	}
	c.out.Link(from)
	a.version = m.GetVersion()
	a.capabilities = capabilityTypes(m.GetAgentCapabilities())
	a.info = info
	a.total = c.agentTotal(a.id, info, m.GetCheckpointedResources(), a.checkpointed)
	a.checkpointed = checkpointed(a.total)
	a.reregisteredTime = c.now()
	c.stats.reregistrations++
	c.out.Add(AllocUpdateSlave{AgentID: a.id, Info: a.info, Capabilities: a.capabilities, Total: a.total})

	c.reconcileKnownAgent(a, m.GetExecutorInfos(), m.GetTasks())

	if !a.connected {
		c.cancelReregister(a)
		a.connected = true
		a.active = true
		c.out.Add(AllocActivateSlave{AgentID: a.id})
	}
	c.updateAgentFrameworks(a, m.GetFrameworks())
	log.Infof("reregistered agent at %s (%s)", from, info.GetHostname())
}

// reconcileKnownAgent tells a reregistering agent about tasks the master
// has and it did not report, drops executors it no longer has, and resends
// kills issued while it was away.
func (c *Core) reconcileKnownAgent(a *agent, executors []*mesos.ExecutorInfo, tasks []*mesos.Task) {
	reported := map[string]map[string]bool{}
	for _, t := range tasks {
		fid := t.GetFrameworkId().GetValue()
		if reported[fid] == nil {
			reported[fid] = map[string]bool{}
		}
		reported[fid][t.GetTaskId().GetValue()] = true
	}
	msg := &mesosinternal.SlaveReregisteredMessage{SlaveId: slaveID(a.id), Connection: c.connection()}
	now := c.now()
	for _, fid := range a.tasks.frameworks() {
		rec := &mesosinternal.ReconcileTasksMessage{FrameworkId: frameworkID(fid)}
		for _, t := range a.tasks.of(fid) {
			tid := t.GetTaskId().GetValue()
			if reported[fid][tid] {
				continue
			}
			c.taskLog(fid, tid).WithField("agent_id", a.id).Warn("task unknown to the reregistering agent: reconciling")
			state := t.GetState()
			if t.StatusUpdateState != nil {
				state = t.GetStatusUpdateState()
			}
			rec.Statuses = append(rec.Statuses, &mesos.TaskStatus{
				TaskId:    t.GetTaskId(),
				SlaveId:   slaveID(a.id),
				State:     state.Enum(),
				Source:    mesos.TaskStatus_SOURCE_MASTER.Enum(),
				Message:   proto.String("Reconciliation request"),
				Reason:    mesos.TaskStatus_REASON_RECONCILIATION.Enum(),
				Timestamp: proto.Float64(seconds(now)),
			})
		}
		if len(rec.Statuses) > 0 {
			if f := c.frameworks[fid]; f != nil {
				rec.Framework = clone(f.info)
			}
			msg.Reconciliations = append(msg.Reconciliations, rec)
		}
	}
	c.send(a.pid, msg)

	have := map[string]map[string]bool{}
	for _, e := range executors {
		fid := e.GetFrameworkId().GetValue()
		if have[fid] == nil {
			have[fid] = map[string]bool{}
		}
		have[fid][e.GetExecutorId().GetValue()] = true
	}
	for _, fid := range sortedKeys(a.executors) {
		for _, eid := range sortedKeys(a.executors[fid]) {
			if !have[fid][eid] {
				c.agentLog(a.id).WithFields(logrus.Fields{"framework_id": fid, "executor_id": eid}).Warn("executor possibly unknown to the agent; removing it")
				c.removeExecutor(a, fid, eid)
			}
		}
	}

	// Kills issued while the agent was away: resend for the tasks it still
	// runs.
	for _, t := range tasks {
		fid := t.GetFrameworkId().GetValue()
		if !protocol.IsTerminal(t.GetState()) && a.killedTasks[fid][t.GetTaskId().GetValue()] {
			c.agentLog(a.id).WithFields(logrus.Fields{"framework_id": fid, "task_id": t.GetTaskId().GetValue()}).
				Warn("agent has a non-terminal task that is supposed to be killed; killing it now")
			c.send(a.pid, &mesosinternal.KillTaskMessage{FrameworkId: frameworkID(fid), TaskId: clone(t.GetTaskId())})
		}
	}
	// Frameworks removed at the master that still have tasks there.
	for _, f := range c.completed {
		if reported[f.id] != nil {
			c.agentLog(a.id).WithField("framework_id", f.id).Warn("agent reregistered with a completed framework; shutting it down there")
			c.send(a.pid, &mesosinternal.ShutdownFrameworkMessage{FrameworkId: frameworkID(f.id)})
		}
	}
}

// updateAgentFrameworks sends a reregistered agent the PIDs of the
// frameworks it runs. Removed frameworks were already told to shut down
// there (by reconcileKnownAgent or readmitAgent).
func (c *Core) updateAgentFrameworks(a *agent, reported []*mesos.FrameworkInfo) {
	for _, info := range reported {
		id := info.GetId().GetValue()
		if c.isCompletedFramework(id) {
			continue
		}
		if f := c.frameworks[id]; f != nil && !f.pid.IsZero() {
			c.send(a.pid, &mesosinternal.UpdateFrameworkMessage{FrameworkId: frameworkID(id), Pid: proto.String(f.pid.String()), FrameworkInfo: clone(f.info)})
		}
	}
}

// readmitAgent handles the reregistration of an agent the master does not
// have registered (unreachable, removed, or unknown to this master): it
// comes back with the executors and tasks it reports, and the frameworks
// it runs are told what it says about their tasks.
func (c *Core) readmitAgent(from actors.PID, info *mesos.SlaveInfo, m *mesosinternal.ReregisterSlaveMessage) {
	id := info.GetId().GetValue()
	if old := c.agentsByPID[from.String()]; old != nil {
		c.agentLog(old.id).Info("removing agent: a new agent reregistered at the same address")
		c.removals.Removals++
		c.removals.ReasonRegistered++
		c.removeAgent(old, "a new agent reregistered at the same address", removeExplicit)
	}
	message := "Unknown agent reregistered"
	if c.unreachable[id] != nil {
		message = "Unreachable agent re-reregistered"
	}
	// An agent recovered from the registry comes back as it was: its
	// frameworks are not told anything new about its tasks.
	_, recovered := c.recoveredAgents[id]
	delete(c.recoveredAgents, id)
	c.dequeueRemoval(id)

	a := newAgent(id, info, from)
	a.version = m.GetVersion()
	a.capabilities = capabilityTypes(m.GetAgentCapabilities())
	a.total = c.agentTotal(id, info, m.GetCheckpointedResources(), nil)
	a.checkpointed = checkpointed(a.total)
	a.registeredTime, a.reregisteredTime = c.now(), c.now()
	c.stats.reregistrations++

	reported := reportedFrameworks(m.GetFrameworks())
	updates := c.adoptReported(a, m, reported, message)
	c.forgetUnreachableTasks(id)
	delete(c.unreachable, id)
	delete(c.removed, id)
	c.attachToFrameworks(a, reported)

	c.addAgent(a)
	c.send(from, &mesosinternal.SlaveReregisteredMessage{SlaveId: slaveID(id), Connection: c.connection()})
	c.agentLog(id).Infof("reregistered agent at %s (%s) with %s", from, info.GetHostname(), a.total)

	for _, u := range updates {
		if recovered {
			break
		}
		if f := c.frameworks[u.GetFrameworkId().GetValue()]; f != nil && f.connected {
			c.forward(f, u, actors.PID{})
		} else {
			c.taskLog(u.GetFrameworkId().GetValue(), u.GetStatus().GetTaskId().GetValue()).
				Warn("dropping reregistration update for an unknown or disconnected framework")
		}
	}
	// Frameworks removed at the master (while the agent was away) are shut
	// down there.
	for _, info := range m.GetFrameworks() {
		if id := info.GetId().GetValue(); c.isCompletedFramework(id) {
			c.agentLog(a.id).WithField("framework_id", id).Info("shutting down framework at reregistered agent: it was removed at the master")
			c.send(a.pid, &mesosinternal.ShutdownFrameworkMessage{FrameworkId: frameworkID(id)})
		}
	}
	c.updateAgentFrameworks(a, m.GetFrameworks())
}

// reportedFrameworks indexes an agent's FrameworkInfos by id.
func reportedFrameworks(infos []*mesos.FrameworkInfo) map[string]*mesos.FrameworkInfo {
	out := map[string]*mesos.FrameworkInfo{}
	for _, fi := range infos {
		if fi.GetId().GetValue() != "" {
			out[fi.GetId().GetValue()] = fi
		}
	}
	return out
}

// adoptReported puts the executors and tasks a readmitted agent reports
// (but none of completed frameworks) on a, and returns the status update
// each task's framework gets.
func (c *Core) adoptReported(a *agent, m *mesosinternal.ReregisterSlaveMessage, reported map[string]*mesos.FrameworkInfo, message string) []*mesosinternal.StatusUpdate {
	// An agent without MULTI_ROLE reports resources without allocation
	// info: they belong to their framework's one role.
	multiRole := slices.Contains(a.capabilities, mesos.SlaveInfo_Capability_MULTI_ROLE)
	for _, e := range m.GetExecutorInfos() {
		fid := e.GetFrameworkId().GetValue()
		if fid == "" || c.isCompletedFramework(fid) || e.GetExecutorId().GetValue() == "" {
			continue
		}
		e = clone(e)
		if !multiRole {
			injectAllocation(e.GetResources(), reported[fid], c.frameworks[fid])
		}
		a.addExecutor(fid, e)
	}

	var updates []*mesosinternal.StatusUpdate
	for _, t := range m.GetTasks() {
		fid := t.GetFrameworkId().GetValue()
		tid := t.GetTaskId().GetValue()
		if fid == "" || tid == "" || c.isCompletedFramework(fid) {
			continue
		}
		t = clone(t)
		t.SlaveId = slaveID(a.id)
		if !multiRole {
			injectAllocation(t.GetResources(), reported[fid], c.frameworks[fid])
		}
		if f := c.frameworks[fid]; f != nil {
			f.unreachableTasks.remove(tid)
			f.completedTasks.remove(tid)
		}
		updates = append(updates, newUpdate(updateSpec{
			frameworkID: fid, agentID: a.id, taskID: tid, executorID: t.GetExecutorId().GetValue(),
			state: t.GetState(), message: message, reason: mesos.TaskStatus_REASON_SLAVE_REREGISTERED,
			healthy: lastHealth(t), now: c.now(),
		}))
		a.addTask(t)
	}
	return updates
}

// forgetUnreachableTasks drops the unreachable tasks of agent id: those it
// still runs were adopted again, the others are gone.
func (c *Core) forgetUnreachableTasks(id string) {
	for _, f := range c.frameworks {
		for _, t := range f.unreachableTasks.list() {
			if t.GetSlaveId().GetValue() == id {
				f.unreachableTasks.remove(t.GetTaskId().GetValue())
			}
		}
	}
}

// attachToFrameworks records a's tasks and executors on their frameworks,
// recovering from the agent's report the frameworks the master does not
// know yet (their schedulers will subscribe).
func (c *Core) attachToFrameworks(a *agent, reported map[string]*mesos.FrameworkInfo) {
	for _, fid := range a.frameworkIDs() {
		if c.frameworks[fid] != nil {
			continue
		}
		fi := reported[fid]
		if fi == nil {
			fi = &mesos.FrameworkInfo{Id: frameworkID(fid), User: proto.String(""), Name: proto.String("")}
		}
		c.recoverFramework(fi, nil)
	}
	for _, fid := range a.frameworkIDs() {
		f := c.frameworks[fid]
		for _, t := range a.tasks.of(fid) {
			f.tasks[t.GetTaskId().GetValue()] = t
		}
		for eid, e := range a.executors[fid] {
			if f.executors[a.id] == nil {
				f.executors[a.id] = map[string]*mesos.ExecutorInfo{}
			}
			f.executors[a.id][eid] = e
		}
	}
}

// injectAllocation stamps allocation_info on resources reported by an agent
// that is not MULTI_ROLE capable: they belong to the framework's one role.
func injectAllocation(rs []*mesos.Resource, reported *mesos.FrameworkInfo, known *framework) {
	info := reported
	if info == nil && known != nil {
		info = known.info
	}
	if info == nil {
		return
	}
	roles := protocol.FrameworkRoles(info)
	if len(roles) != 1 {
		return
	}
	for _, r := range rs {
		if r != nil && r.AllocationInfo == nil {
			r.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(roles[0])}
		}
	}
}

func capabilityTypes(cs []*mesos.SlaveInfo_Capability) []mesos.SlaveInfo_Capability_Type {
	out := make([]mesos.SlaveInfo_Capability_Type, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.GetType())
	}
	return out
}

func lastHealth(t *mesos.Task) *bool {
	if n := len(t.GetStatuses()); n > 0 {
		if s := t.GetStatuses()[n-1]; s != nil && s.Healthy != nil {
			h := s.GetHealthy()
			return &h
		}
	}
	return nil
}

// unregisterSlave handles UnregisterSlaveMessage: the agent is leaving.
func (c *Core) unregisterSlave(from actors.PID, m *mesosinternal.UnregisterSlaveMessage) {
	id := m.GetSlaveId().GetValue()
	a := c.agents[id]
	if a == nil {
		c.agentLog(id).Warn("ignoring unregister agent message for an unknown agent")
		return
	}
	if a.pid != from {
		c.agentLog(id).WithField("from", from.String()).Warn("ignoring unregister agent message: not from the agent")
		return
	}
	c.removeRegistered(a, "the agent unregistered", func() { c.removals.ReasonUnregistered++ })
}

// agentExited handles a broken link to an agent.
func (c *Core) agentExited(a *agent) {
	log := c.agentLog(a.id)
	if !a.connected {
		log.Warn("ignoring duplicate exited() notification for agent")
		return
	}
	log.Info("agent disconnected")
	c.disconnectAgent(a)

	// Tasks of frameworks that do not checkpoint cannot survive: they are
	// lost now. Checkpointing frameworks' tasks wait for the agent.
	now := c.now()
	for _, fid := range a.frameworkIDs() {
		f := c.frameworks[fid]
		if f != nil && f.info.GetCheckpoint() {
			continue
		}
		for _, t := range a.tasks.of(fid) {
			tid := t.GetTaskId().GetValue()
			u := newUpdate(updateSpec{
				frameworkID: fid, agentID: a.id, taskID: tid, executorID: t.GetExecutorId().GetValue(),
				state: mesos.TaskState_TASK_LOST, message: "Agent " + a.hostname() + " disconnected",
				reason: mesos.TaskStatus_REASON_SLAVE_DISCONNECTED, now: now,
			})
			c.updateTask(t, u)
			c.removeTask(t, false)
			if f != nil && f.connected {
				c.forward(f, u, actors.PID{})
			}
		}
		for _, eid := range sortedKeys(a.executors[fid]) {
			c.removeExecutor(a, fid, eid)
		}
	}

	a.reregisterPending = true
	c.out.StartTimer(reregisterTimerPrefix+a.id, c.cfg.AgentReregisterTimeout)
}

// reregisterTimedOut marks an agent unreachable that did not reregister in
// time after its link broke.
func (c *Core) reregisterTimedOut(id string) {
	a := c.agents[id]
	if a == nil || !a.reregisterPending {
		return
	}
	a.reregisterPending = false
	if a.connected {
		return
	}
	c.scheduleUnreachable(a, fmt.Sprintf("agent did not reregister within %s after disconnecting", protocol.FormatDuration(c.cfg.AgentReregisterTimeout)))
}

// cancelReregister stops a's reregister timer if it runs.
func (c *Core) cancelReregister(a *agent) {
	if a.reregisterPending {
		a.reregisterPending = false
		c.out.CancelTimer(reregisterTimerPrefix + a.id)
	}
}

// disconnectAgent marks a disconnected and inactive and rescinds its
// offers.
func (c *Core) disconnectAgent(a *agent) {
	a.connected = false
	// Pings go on (saying connected=false): the agent learns it must
	// reregister, and one that stays silent is still marked unreachable.
	c.deactivateAgent(a)
}

func (c *Core) deactivateAgent(a *agent) {
	a.active = false
	c.out.Add(AllocDeactivateSlave{AgentID: a.id})
	for _, oid := range sortedKeys(a.offers) {
		c.rescindOffer(a.offers[oid])
	}
}

// removal says how an agent leaves the cluster.
type removal int

const (
	removeUnreachable removal = iota // marked unreachable: it may reregister
	removeExplicit                   // unregistered or replaced: removed
	removeGone                       // marked gone by the operator
)

// removeAgent takes a out of the cluster: its tasks become
// TASK_UNREACHABLE (unreachable), TASK_LOST (removed) or
// TASK_GONE_BY_OPERATOR (gone), TASK_LOST for frameworks that are not
// partition aware, and every connected framework is sent LostSlaveMessage.
func (c *Core) removeAgent(a *agent, message string, how removal) {
	c.removeAgentAt(a, message, how, c.now())
}

// removeAgentAt is removeAgent with the time the removal was decided (the
// time written to the registry).
func (c *Core) removeAgentAt(a *agent, message string, how removal, now time.Time) {
	unreachable := how == removeUnreachable
	c.out.Add(AllocRemoveSlave{AgentID: a.id})
	c.out.CancelTimer(pingTimerPrefix + a.id)
	c.cancelReregister(a)
	if a.markingUnreachable {
		a.markingUnreachable = false
		c.dequeueRemoval(a.id)
	}

	for _, fid := range a.tasks.frameworks() {
		f := c.frameworks[fid]
		state, reason := mesos.TaskState_TASK_LOST, mesos.TaskStatus_REASON_SLAVE_REMOVED
		switch how {
		case removeUnreachable:
			state = mesos.TaskState_TASK_UNREACHABLE
		case removeGone:
			state, reason = mesos.TaskState_TASK_GONE_BY_OPERATOR, mesos.TaskStatus_REASON_SLAVE_REMOVED_BY_OPERATOR
		}
		if f == nil || !f.partitionAware() {
			state = mesos.TaskState_TASK_LOST
		}
		// Tasks of an unreachable agent are kept among the framework's
		// unreachable tasks; those of a removed agent are completed.
		keep := unreachable
		for _, t := range a.tasks.of(fid) {
			tid := t.GetTaskId().GetValue()
			spec := updateSpec{
				frameworkID: fid, agentID: a.id, taskID: tid, executorID: t.GetExecutorId().GetValue(),
				state: state, message: message, reason: reason, now: now,
			}
			if unreachable {
				spec.unreachable = &now
			}
			u := newUpdate(spec)
			c.updateTask(t, u)
			c.removeTask(t, keep)
			if f != nil && f.connected {
				c.forward(f, u, actors.PID{})
			}
		}
	}
	for _, fid := range sortedKeys(a.executors) {
		for _, eid := range sortedKeys(a.executors[fid]) {
			c.removeExecutor(a, fid, eid)
		}
	}
	for _, oid := range sortedKeys(a.offers) {
		c.rescindOffer(a.offers[oid])
	}

	delete(c.agents, a.id)
	if c.agentsByPID[a.pid.String()] == a {
		delete(c.agentsByPID, a.pid.String())
	}
	c.out.Unlink(a.pid)
	a.connected, a.active = false, false
	if unreachable {
		c.unreachable[a.id] = &unreachableAgent{info: a.info, time: now}
	}
	c.removed[a.id] = true
	c.sendLostSlave(a.id)
}

// updateSlave handles UpdateSlaveMessage; oversubscription and resource
// providers are not supported yet, so it is only logged.
func (c *Core) updateSlave(from actors.PID, m *mesosinternal.UpdateSlaveMessage) {
	c.agentLog(m.GetSlaveId().GetValue()).WithField("from", from.String()).Debug("ignoring UpdateSlaveMessage: not supported")
}

// ---- Health checks (Mesos' SlaveObserver) ----

// startHealthCheck pings a now and every agent_ping_timeout; after
// max_agent_ping_timeouts pings in a row without a pong the agent is marked
// unreachable.
func (c *Core) startHealthCheck(a *agent) {
	a.pingTimeouts = 0
	c.ping(a)
}

func (c *Core) ping(a *agent) {
	a.pongReceived = false
	// The timer is armed before the ping goes out, so that whoever sees the
	// ping (a test advancing a manual clock) finds the timer in place.
	c.out.StartTimer(pingTimerPrefix+a.id, c.cfg.AgentPingTimeout)
	c.send(a.pid, &mesosinternal.PingSlaveMessage{Connected: proto.Bool(a.connected)})
}

// pingTimedOut counts a ping without a pong; max_agent_ping_timeouts in a
// row mark the agent unreachable, otherwise it is pinged again.
func (c *Core) pingTimedOut(id string) {
	a := c.agents[id]
	if a == nil {
		return
	}
	if !a.pongReceived {
		a.pingTimeouts++
		if a.pingTimeouts >= c.cfg.MaxAgentPingTimeouts {
			c.scheduleUnreachable(a, "health check timed out")
			if c.agents[id] != a || c.registryBusy(id) == busyUnreachable {
				return
			}
			// Waiting for a permit: a late pong still cancels.
		}
	}
	c.ping(a)
}

// pong handles PongSlaveMessage.
func (c *Core) pong(from actors.PID, _ *mesosinternal.PongSlaveMessage) {
	a := c.agentsByPID[from.String()]
	if a == nil {
		return
	}
	a.pongReceived = true
	a.pingTimeouts = 0
	c.cancelUnreachable(a)
}
