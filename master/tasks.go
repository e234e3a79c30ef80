package master

import (
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

// forward sends a status update to f. acknowledgee is the agent the
// scheduler must acknowledge to (zero for master-generated updates, which
// carry no uuid and are never acknowledged).
func (c *Core) forward(f *framework, u *mesosinternal.StatusUpdate, acknowledgee actors.PID) {
	tid := u.GetStatus().GetTaskId().GetValue()
	c.forwardTask(f, f.tasks[tid], u, acknowledgee, nil)
}

// forwardTask is forward for a caller that has looked up the framework's
// task (t, nil if it has none by the update's task id) and may have
// acknowledgee's text at hand (ackText, nil if not; shared by the message,
// no one changes it).
func (c *Core) forwardTask(f *framework, t *mesos.Task, u *mesosinternal.StatusUpdate, acknowledgee actors.PID, ackText *string) {
	tid := u.GetStatus().GetTaskId().GetValue()
	if t != nil && len(u.GetUuid()) > 0 {
		t.StatusUpdateState = stateRef(u.GetStatus().GetState())
		// The update's bytes are shared: no one changes a message's
		// bytes in place (senders make each update afresh).
		t.StatusUpdateUuid = u.GetStatus().GetUuid()
	}
	msg := &mesosinternal.StatusUpdateMessage{Update: u}
	if !acknowledgee.IsZero() {
		if ackText == nil {
			ackText = proto.String(acknowledgee.String())
		}
		msg.Pid = ackText
	}
	if c.logsAt(logrus.DebugLevel) {
		c.taskLog(f.id, tid).WithField("state", u.GetStatus().GetState().String()).Debug("sending status update")
	}
	c.send(f.pid, msg)
}

// updateTask applies a status update to the task's record. The task's state
// becomes the update's latest_state (or its state); a task that becomes
// terminal or unreachable frees its resources at once.
func (c *Core) updateTask(t *mesos.Task, u *mesosinternal.StatusUpdate) {
	status := u.GetStatus()
	newState := status.GetState()
	if u.LatestState != nil {
		newState = u.GetLatestState()
	}
	freed := !protocol.IsTerminalOrUnreachable(t.GetState()) && protocol.IsTerminalOrUnreachable(newState)
	c.stats.taskTransition(t.GetState(), newState, status.GetSource(), status.GetReason())
	if !protocol.IsTerminal(t.GetState()) {
		t.State = stateRef(newState)
		c.journal.note(t)
	}
	// The record keeps the update's status itself, which no one changes
	// once sent (the agent sends a fresh copy each time, drivers copy what
	// they hand to schedulers unless the scheduler promised to change
	// nothing, ShareMessages); only a status with data is copied, to
	// drop the data.
	s := status
	if s.Data != nil {
		s = proto.Clone(status).(*mesos.TaskStatus)
		s.Data = nil
	}
	if n := len(t.Statuses); n > 0 && t.Statuses[n-1].GetState() == s.GetState() {
		t.Statuses[n-1] = s
	} else {
		if t.Statuses == nil {
			t.Statuses = make([]*mesos.TaskStatus, 0, 2) // most tasks: running, then ended
		}
		t.Statuses = append(t.Statuses, s)
	}
	if c.logsAt(logrus.InfoLevel) {
		c.taskLog(t.GetFrameworkId().GetValue(), t.GetTaskId().GetValue()).
			Infof("task state %s (status update state %s)", t.GetState(), status.GetState())
	}
	if freed {
		c.out.Add(AllocRecoverResources{FrameworkID: t.GetFrameworkId().GetValue(), AgentID: t.GetSlaveId().GetValue(), Resources: resources.Resources(t.GetResources())})
	}
}

// addTask records a launched task on its framework and agent.
func (c *Core) addTask(f *framework, a *agent, t *mesos.Task) {
	f.tasks[t.GetTaskId().GetValue()] = t
	a.addTask(t)
}

// removeTask forgets a task: it moves to the framework's unreachable tasks
// (unreachable) or completed tasks.
func (c *Core) removeTask(t *mesos.Task, unreachable bool) {
	c.removeTaskOf(t, c.frameworks[t.GetFrameworkId().GetValue()], c.agents[t.GetSlaveId().GetValue()], unreachable)
}

// removeTaskOf is removeTask for a caller that has looked up the task's
// framework f and agent a (nil if the master has none).
func (c *Core) removeTaskOf(t *mesos.Task, f *framework, a *agent, unreachable bool) {
	fid, tid := t.GetFrameworkId().GetValue(), t.GetTaskId().GetValue()
	if !protocol.IsTerminalOrUnreachable(t.GetState()) {
		c.taskLog(fid, tid).Warnf("removing task in non-terminal state %s", t.GetState())
		c.out.Add(AllocRecoverResources{FrameworkID: fid, AgentID: t.GetSlaveId().GetValue(), Resources: resources.Resources(t.GetResources())})
	}
	if f != nil && f.tasks[tid] == t {
		delete(f.tasks, tid)
		if unreachable {
			f.unreachableTasks.add(t)
		} else {
			f.completedTasks.add(t)
		}
	}
	if a != nil {
		a.removeTaskIf(t, true)
	}
}

// removeExecutor forgets an executor and frees its resources.
func (c *Core) removeExecutor(a *agent, fid, eid string) {
	e := a.executors[fid][eid]
	if e == nil {
		return
	}
	c.out.Add(AllocRecoverResources{FrameworkID: fid, AgentID: a.id, Resources: resources.Resources(e.GetResources())})
	a.removeExecutor(fid, eid)
	if f := c.frameworks[fid]; f != nil {
		delete(f.executors[a.id], eid)
		if len(f.executors[a.id]) == 0 {
			delete(f.executors, a.id)
		}
	}
}

// statusUpdate handles StatusUpdateMessage from an agent.
func (c *Core) statusUpdate(from actors.PID, m *mesosinternal.StatusUpdateMessage) {
	u := m.GetUpdate()
	agentID := u.GetSlaveId().GetValue()
	fid := u.GetFrameworkId().GetValue()
	tid := u.GetStatus().GetTaskId().GetValue()
	log := c.taskAgentLog(fid, tid, agentID)
	if u == nil || u.Status == nil || tid == "" || fid == "" {
		log.Warn("ignoring malformed status update")
		return
	}
	if c.removed[agentID] {
		log.Warn("ignoring status update from a removed agent")
		return
	}
	a := c.agents[agentID]
	if a == nil {
		log.Warn("ignoring status update from an unknown agent")
		return
	}
	if len(u.GetUuid()) != 16 || len(u.GetStatus().GetUuid()) != 16 {
		log.Warn("ignoring status update without a valid uuid")
		return
	}
	ackTo, ackText := a.pid, (*string)(nil)
	if a.isPidText(m.Pid) {
		ackText = a.pidTextPtr() // the agent itself, as usual: nothing to parse
	} else if pid, err := actors.ParsePID(m.GetPid()); err == nil && !pid.IsZero() {
		ackTo, ackText = pid, m.Pid // a valid PID's text is its String()
	}
	if c.logsAt(logrus.InfoLevel) {
		log.WithField("state", u.GetStatus().GetState().String()).Info("status update from agent")
	}

	// One lookup serves forward and the record: the framework's task
	// by id is the agent's when it runs there.
	f := c.frameworks[fid]
	var t *mesos.Task
	if f != nil {
		t = f.tasks[tid]
	}
	if f != nil && f.connected {
		c.forwardTask(f, t, u, ackTo, ackText)
	} else {
		log.Warn("received status update for an unknown or disconnected framework")
	}
	if t == nil || !onAgent(t, a) {
		t = a.task(fid, tid)
	}
	if t == nil {
		log.Warn("could not find the task of a status update")
		return
	}
	c.updateTask(t, u)
}

// acknowledge handles ACKNOWLEDGE: it routes the ack to the agent and, for
// the latest terminal update, completes the task.
func (c *Core) acknowledge(f *framework, ack *scheduler.Call_Acknowledge) {
	agentID := ack.GetSlaveId().GetValue()
	tid := ack.GetTaskId().GetValue()
	log := c.taskAgentLog(f.id, tid, agentID)
	a := c.agents[agentID]
	if a == nil {
		log.Warn("cannot send status update acknowledgement: agent is not registered")
		return
	}
	if !a.connected {
		log.Warn("cannot send status update acknowledgement: agent is disconnected")
		return
	}
	t := f.tasks[tid]
	if t == nil || !onAgent(t, a) {
		t = a.task(f.id, tid)
	}
	if t != nil {
		if t.StatusUpdateState == nil {
			log.Warn("ignoring status update acknowledgement: the update was not sent by this master")
			return
		}
		if protocol.IsTerminal(t.GetStatusUpdateState()) && string(t.GetStatusUpdateUuid()) == string(ack.GetUuid()) {
			c.removeTaskOf(t, f, a, false)
		}
	}
	c.send(a.pid, &mesosinternal.StatusUpdateAcknowledgementMessage{
		SlaveId:     ack.GetSlaveId(),
		FrameworkId: f.idMsg,
		TaskId:      ack.GetTaskId(),
		Uuid:        ack.GetUuid(),
	})
}

// kill handles KILL.
func (c *Core) kill(f *framework, k *scheduler.Call_Kill) {
	tid := k.GetTaskId().GetValue()
	log := c.taskLog(f.id, tid)
	t := f.tasks[tid]
	if t == nil {
		log.Warn("cannot kill an unknown task: reconciling it instead")
		c.reconcile(f, &scheduler.Call_Reconcile{Tasks: []*scheduler.Call_Reconcile_Task{{TaskId: k.GetTaskId(), SlaveId: k.GetSlaveId()}}})
		return
	}
	a := c.agents[t.GetSlaveId().GetValue()]
	if a == nil {
		log.Warn("cannot kill task: its agent is not registered")
		return
	}
	if a.killedTasks == nil {
		a.killedTasks = map[string]map[string]bool{}
	}
	if a.killedTasks[f.id] == nil {
		a.killedTasks[f.id] = map[string]bool{}
	}
	a.killedTasks[f.id][tid] = true
	if !a.connected {
		log.Info("agent is disconnected: the kill is sent when it reregisters")
		return
	}
	log.WithField("agent_id", a.id).Info("telling agent to kill task")
	c.send(a.pid, &mesosinternal.KillTaskMessage{FrameworkId: frameworkID(f.id), TaskId: t.GetTaskId(), KillPolicy: k.GetKillPolicy()})
}

// reconcile handles RECONCILE.
func (c *Core) reconcile(f *framework, r *scheduler.Call_Reconcile) {
	now := c.now()
	send := func(u *mesosinternal.StatusUpdate) {
		c.send(f.pid, &mesosinternal.StatusUpdateMessage{Update: u})
	}
	latest := func(t *mesos.Task) *mesosinternal.StatusUpdate {
		state := t.GetState()
		if t.StatusUpdateState != nil {
			state = t.GetStatusUpdateState()
		}
		return newUpdate(updateSpec{
			frameworkID: f.id, agentID: t.GetSlaveId().GetValue(), taskID: t.GetTaskId().GetValue(),
			executorID: t.GetExecutorId().GetValue(), state: state, message: "Reconciliation: Latest task state",
			reason: mesos.TaskStatus_REASON_RECONCILIATION, healthy: lastHealth(t), now: now,
		})
	}
	if len(r.GetTasks()) == 0 {
		c.fwLog(f.id).Info("performing implicit task state reconciliation")
		for _, tid := range sortedKeys(f.tasks) {
			send(latest(f.tasks[tid]))
		}
		return
	}
	c.fwLog(f.id).Infof("performing explicit task state reconciliation for %d tasks", len(r.GetTasks()))
	pa := f.partitionAware()
	for _, rt := range r.GetTasks() {
		tid := rt.GetTaskId().GetValue()
		agentID := rt.GetSlaveId().GetValue()
		if t := f.tasks[tid]; t != nil {
			send(latest(t))
			continue
		}
		// An agent recovered from the registry may still bring the task
		// back: no answer until it reregisters or is marked unreachable
		// (the scheduler asks again).
		if (agentID == "" && len(c.recoveredAgents) > 0) || c.recoveredAgents[agentID] != nil {
			c.taskLog(f.id, tid).Info("not reconciling: its agent may still reregister")
			continue
		}
		spec := updateSpec{frameworkID: f.id, agentID: agentID, taskID: tid, reason: mesos.TaskStatus_REASON_RECONCILIATION, now: now}
		_, gone := c.gone[agentID]
		switch {
		case agentID != "" && c.agents[agentID] != nil:
			spec.state, spec.message = protocol.VisibleState(pa, mesos.TaskState_TASK_GONE), "Reconciliation: Task is unknown to the agent"
		case agentID != "" && c.unreachable[agentID] != nil:
			at := c.unreachable[agentID].time
			spec.state, spec.message, spec.unreachable = protocol.VisibleState(pa, mesos.TaskState_TASK_UNREACHABLE), "Reconciliation: Task is unreachable", &at
		case agentID != "" && gone:
			spec.state, spec.message = protocol.VisibleState(pa, mesos.TaskState_TASK_GONE_BY_OPERATOR), "Reconciliation: Task is gone"
		default:
			spec.state, spec.message = protocol.VisibleState(pa, mesos.TaskState_TASK_UNKNOWN), "Reconciliation: Task is unknown"
		}
		send(newUpdate(spec))
	}
}

// message handles MESSAGE: framework data relayed to an executor.
func (c *Core) message(f *framework, m *scheduler.Call_Message) {
	agentID := m.GetSlaveId().GetValue()
	a := c.agents[agentID]
	log := c.fwLog(f.id).WithField("agent_id", agentID)
	if a == nil {
		log.Warn("cannot send framework message: agent is not registered")
		return
	}
	if !a.connected {
		log.Warn("cannot send framework message: agent is disconnected")
		return
	}
	c.send(a.pid, &mesosinternal.FrameworkToExecutorMessage{
		SlaveId:     m.GetSlaveId(),
		FrameworkId: frameworkID(f.id),
		ExecutorId:  m.GetExecutorId(),
		Data:        m.GetData(),
	})
}

// shutdownExecutor handles SHUTDOWN.
func (c *Core) shutdownExecutor(f *framework, s *scheduler.Call_Shutdown) {
	agentID := s.GetSlaveId().GetValue()
	a := c.agents[agentID]
	log := c.fwLog(f.id).WithField("agent_id", agentID)
	if a == nil || !a.connected {
		log.Warn("cannot shut down executor: agent is not registered or disconnected")
		return
	}
	log.WithField("executor_id", s.GetExecutorId().GetValue()).Info("telling agent to shut down executor")
	c.send(a.pid, &mesosinternal.ShutdownExecutorMessage{ExecutorId: s.GetExecutorId(), FrameworkId: frameworkID(f.id)})
}

// executorToFramework relays an executor's message to its scheduler.
func (c *Core) executorToFramework(from actors.PID, m *mesosinternal.ExecutorToFrameworkMessage) {
	agentID := m.GetSlaveId().GetValue()
	fid := m.GetFrameworkId().GetValue()
	log := c.fwLog(fid).WithFields(logrus.Fields{"agent_id": agentID})
	if c.removed[agentID] || c.agents[agentID] == nil {
		log.Warn("ignoring executor message from an unknown or removed agent")
		return
	}
	f := c.frameworks[fid]
	if f == nil || !f.connected {
		log.Warn("not forwarding executor message: framework is unknown or disconnected")
		return
	}
	c.send(f.pid, m)
}

// exitedExecutor handles ExitedExecutorMessage: the executor's resources
// are freed and the scheduler is told.
func (c *Core) exitedExecutor(from actors.PID, m *mesosinternal.ExitedExecutorMessage) {
	agentID := m.GetSlaveId().GetValue()
	fid := m.GetFrameworkId().GetValue()
	eid := m.GetExecutorId().GetValue()
	log := c.fwLog(fid).WithFields(logrus.Fields{"agent_id": agentID, "executor_id": eid})
	a := c.agents[agentID]
	if c.removed[agentID] || a == nil {
		log.Warn("ignoring exited executor on an unknown or removed agent")
		return
	}
	if !a.hasExecutor(fid, eid) {
		log.Warn("ignoring unknown exited executor")
		return
	}
	log.Infof("executor exited with status %d", m.GetStatus())
	c.removeExecutor(a, fid, eid)
	if f := c.frameworks[fid]; f != nil && f.connected {
		c.send(f.pid, m)
	}
}
