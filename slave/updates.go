package slave

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/slave/containerizer"
	"github.com/gomesos/gomesos/slave/statusupdate"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

// newUpdate builds an agent-generated status update with a fresh uuid.
func (c *Core) newUpdate(fid, tid, eid string, state mesos.TaskState, reason mesos.TaskStatus_Reason, message string) *mesosinternal.StatusUpdate {
	uuid := c.deps.UUIDs.NewUUID().Bytes()
	now := float64(c.now.UnixNano()) / 1e9
	// c.info is replaced, never changed in place: the update may share
	// its id.
	u := &mesosinternal.StatusUpdate{
		FrameworkId: &mesos.FrameworkID{Value: proto.String(fid)},
		SlaveId:     c.info.GetId(),
		Timestamp:   proto.Float64(now),
		Uuid:        uuid,
		Status: &mesos.TaskStatus{
			TaskId:    &mesos.TaskID{Value: proto.String(tid)},
			State:     state.Enum(),
			Source:    mesos.TaskStatus_SOURCE_SLAVE.Enum(),
			Reason:    reason.Enum(),
			Message:   proto.String(message),
			SlaveId:   c.info.GetId(),
			Timestamp: proto.Float64(now),
			Uuid:      uuid,
		},
	}
	if eid != "" {
		u.ExecutorId = &mesos.ExecutorID{Value: proto.String(eid)}
		u.Status.ExecutorId = &mesos.ExecutorID{Value: proto.String(eid)}
	}
	return u
}

func (c *Core) statusUpdateMessage(from actors.PID, m *mesosinternal.StatusUpdateMessage) {
	if m.GetUpdate() == nil {
		c.log.WithField("from", from.String()).Warn("ignoring status update message without an update")
		return
	}
	pid := from
	if pid.IsZero() {
		pid = parsePIDOrZero(m.GetPid())
	}
	if pid.IsZero() {
		c.log.Warn("ignoring status update message with no sender")
		return
	}
	// The update is the agent's to keep without a copy: nobody writes into
	// a message once it is sent (the shell decodes each one anew; the
	// executor driver sends a copy of what it keeps), and the agent does
	// not either (stamped).
	c.statusUpdate(m.GetUpdate(), pid)
}

// stamped returns u with its status carrying u's uuid, u's executor id
// and the source pid says (an executor, or the agent if zero): u itself
// if it does already, else a copy. u is read only.
func stamped(u *mesosinternal.StatusUpdate, pid actors.PID) *mesosinternal.StatusUpdate {
	st := u.GetStatus()
	source := mesos.TaskStatus_SOURCE_EXECUTOR
	if pid.IsZero() {
		source = mesos.TaskStatus_SOURCE_SLAVE
	}
	setUUID := !bytes.Equal(st.GetUuid(), u.GetUuid())
	setSource := st.Source == nil || st.GetSource() != source
	setExecutor := u.ExecutorId != nil && (st.ExecutorId == nil || st.GetExecutorId().GetValue() != u.GetExecutorId().GetValue())
	if !setUUID && !setSource && !setExecutor {
		return u
	}
	st = statusupdate.CopyStatus(st)
	if setUUID {
		st.Uuid = u.GetUuid()
	}
	if setSource {
		st.Source = source.Enum()
	}
	if setExecutor {
		st.ExecutorId = u.ExecutorId
	}
	u = statusupdate.CopyUpdate(u)
	u.Status = st
	return u
}

// statusUpdate handles an update from an executor (pid set) or made by the
// agent (pid zero), Mesos' Slave::statusUpdate.
func (c *Core) statusUpdate(u *mesosinternal.StatusUpdate, pid actors.PID) {
	c.handleUpdate(u, pid, true)
}

// handleUpdate is statusUpdate; mayHold is false for an update coming
// out of the limitation hold, which must not be held again.
func (c *Core) handleUpdate(u *mesosinternal.StatusUpdate, pid actors.PID, mayHold bool) {
	fid := u.GetFrameworkId().GetValue()
	tid := u.GetStatus().GetTaskId().GetValue()
	log := c.logFor(fid, u.GetExecutorId().GetValue(), tid)
	if len(u.GetUuid()) == 0 {
		log.Warn("ignoring status update without a uuid")
		return
	}
	if u.GetStatus() == nil || tid == "" {
		log.Warn("ignoring status update without a task status")
		return
	}
	sid := c.info.GetId().GetValue()
	if u.GetSlaveId().GetValue() != sid || u.GetStatus().GetSlaveId().GetValue() != sid {
		log.WithFields(logrus.Fields{"update_agent_id": u.GetSlaveId().GetValue(), "status_agent_id": u.GetStatus().GetSlaveId().GetValue()}).
			Warn("ignoring status update for another agent")
		return
	}
	u = stamped(u, pid)
	st := u.Status
	if log.Logger.IsLevelEnabled(logrus.InfoLevel) {
		log.WithFields(logrus.Fields{"state": st.GetState().String(), "from": pidOrNone(pid)}).Info("handling status update")
	}

	f := c.frameworks[fid]
	if f == nil {
		log.Warn("ignoring status update of an unknown framework")
		return
	}
	if f.state == frameworkTerminating {
		log.Warn("ignoring status update of a terminating framework")
		return
	}
	if f.pending[tid] != nil {
		// The launch is prevented: the launch step finds the task gone.
		f.dropPending(tid)
		c.removeFrameworkIfIdle(f)
		c.handToManager(u, pid, nil)
		return
	}
	e := f.executorOf(tid)
	if e == nil {
		log.Warn("could not find the executor of the status update's task")
		c.handToManager(u, pid, nil)
		return
	}
	if st.GetSource() == mesos.TaskStatus_SOURCE_EXECUTOR && st.GetState() == mesos.TaskState_TASK_STAGING {
		log.Error("executor sent TASK_STAGING, which is not allowed; shutting it down")
		c.doShutdownExecutor(f, e)
		return
	}
	if !pid.IsZero() && !e.pid.IsZero() && e.pid != pid {
		log.WithFields(logrus.Fields{"from": pid.String(), "task_executor_id": e.id, "task_executor": e.pid.String()}).Warn("status update from another process than the task's executor")
	}
	if mayHold && c.holdForLimitation(e, u, pid) {
		return
	}
	if err := e.updateTaskState(st); err != nil {
		log.WithField("state", st.GetState().String()).WithError(err).Error("failed to update task state")
		c.stats.invalidUpdates++
		c.ackExecutor(u, pid)
		return
	}
	c.stats.taskUpdated(st.GetState())
	if protocol.IsTerminal(st.GetState()) && e.launchedContainer && e.state != executorTerminated {
		// Shrink the container to what is still running.
		if !destroying(e) {
			c.out.Add(UpdateContainer{ContainerID: e.containerID, Resources: e.allocated()})
		}
	}
	c.hint = taskHint{f: f, e: e, tid: tid}
	c.handToManager(u, pid, e)
	c.hint = taskHint{}
	c.exitSettled(e)
}

// taskHint is the framework and executor of the task whose update or
// acknowledgement the core is handing to the status update manager, so
// that the manager's journal and forwards need not look them up again.
// It is set only around that call, while nothing changes which executor
// has the task.
type taskHint struct {
	f   *framework
	e   *executor
	tid string
}

// taskOf finds task tid's framework and live executor (either nil if
// there is none).
func (c *Core) taskOf(fid, tid string) (*framework, *executor) {
	if h := &c.hint; h.f != nil && h.tid == tid && h.f.id == fid {
		return h.f, h.e
	}
	f := c.frameworks[fid]
	if f == nil {
		return nil, nil
	}
	return f, f.executorOf(tid)
}

// resolveTask is taskOf for a task whose stream carries tag: the executor
// the stream was last updated for, which is still the task's if it is
// live and the only one of its framework that may have the task.
func (c *Core) resolveTask(fid, tid string, tag any) (*framework, *executor) {
	if e, ok := tag.(*executor); ok {
		if f := e.fw; f != nil && !f.scan && f.id == fid && e.hasTask(tid) {
			if checkTaskIndex {
				if wf, we := c.taskOf(fid, tid); wf != f || we != e {
					panic(fmt.Sprintf("stream tag of task %s of framework %s: %p/%p, a lookup finds %p/%p", tid, fid, f, e, wf, we))
				}
			}
			return f, e
		}
	}
	return c.taskOf(fid, tid)
}

// handToManager gives the update to the status update manager, forwards
// what it says, and acknowledges the executor once it is accepted; e is
// the task's live executor, if known.
func (c *Core) handToManager(u *mesosinternal.StatusUpdate, pid actors.PID, e *executor) {
	var tag any
	if e != nil {
		tag = e
	}
	res, err := c.tsum.UpdateTagged(u, tag)
	if err != nil {
		c.logFor(u.GetFrameworkId().GetValue(), "", u.GetStatus().GetTaskId().GetValue()).
			WithError(err).Error("failed to handle status update")
		return
	}
	if res.Forward != nil {
		c.forward(res.Forward)
	}
	c.ackExecutor(u, pid)
}

func (c *Core) ackExecutor(u *mesosinternal.StatusUpdate, pid actors.PID) {
	if pid.IsZero() {
		return
	}
	// The update's parts are read only: the message may share them.
	c.out.Send(pid, &mesosinternal.StatusUpdateAcknowledgementMessage{
		SlaveId:     u.GetSlaveId(),
		FrameworkId: u.GetFrameworkId(),
		TaskId:      u.GetStatus().GetTaskId(),
		Uuid:        u.GetUuid(),
	})
}

// forward sends an update to the master and arms its retry.
func (c *Core) forward(f *statusupdate.Forward) {
	if c.state != running || c.leader().IsZero() {
		c.log.WithFields(logrus.Fields{"framework_id": f.Stream.FrameworkID, "task_id": f.Stream.TaskID, "state": c.state.String()}).Warn("not forwarding status update: the agent is not registered")
		return
	}
	u := f.Update
	if fw, e := c.taskOf(f.Stream.FrameworkID, f.Stream.TaskID); fw != nil {
		if e != nil {
			if i := e.taskIndex(f.Stream.TaskID); i >= 0 {
				task := e.tasks[i].task
				// Shared, read only: the update's parts and the record's
				// state are replaced, never written into.
				task.StatusUpdateState = u.GetStatus().State
				task.StatusUpdateUuid = u.GetUuid()
				u.LatestState = task.State
			}
		}
	}
	if c.log.Logger.IsLevelEnabled(logrus.InfoLevel) {
		c.logFor(f.Stream.FrameworkID, u.GetExecutorId().GetValue(), f.Stream.TaskID).
			WithFields(logrus.Fields{"state": u.GetStatus().GetState().String(), "latest_state": u.GetLatestState().String(), "master": c.leader().String()}).
			Info("forwarding status update")
	}
	c.out.Send(c.leader(), &mesosinternal.StatusUpdateMessage{Update: u, Pid: c.selfText()})
	c.out.StartTimer(updateKey(f.Stream), f.RetryAfter)
}

// cancelRetry cancels the update retries of task tid of framework fid.
func (c *Core) cancelRetry(fid, tid string) {
	c.out.CancelTimer(updateKey(statusupdate.StreamID{FrameworkID: fid, TaskID: tid}))
}

// retryUpdate resends the head of a stream whose acknowledgement is late.
func (c *Core) retryUpdate(id statusupdate.StreamID) {
	if next := c.tsum.Retry(id); next != nil {
		c.log.WithFields(logrus.Fields{"framework_id": id.FrameworkID, "task_id": id.TaskID}).Warn("resending status update")
		c.forward(next)
	}
}

// resumeUpdates resumes the manager and resends the head of every stream.
func (c *Core) resumeUpdates() {
	for _, f := range c.tsum.Resume() {
		c.forward(f)
	}
}

func (c *Core) statusUpdateAcknowledgement(from actors.PID, m *mesosinternal.StatusUpdateAcknowledgementMessage) {
	fid, tid := m.GetFrameworkId().GetValue(), m.GetTaskId().GetValue()
	log := c.logFor(fid, "", tid)
	if strings.HasPrefix(from.ID, "master") {
		if c.state != running {
			log.WithField("state", c.state.String()).Warn("dropping status update acknowledgement: the agent is not registered")
			return
		}
		if from != c.leader() {
			log.WithFields(notMaster(from, c.leader())).Warn("ignoring status update acknowledgement: not from the expected master")
			return
		}
	}
	res, err := c.tsum.Acknowledge(fid, tid, m.GetUuid())
	if err != nil {
		log.WithField("uuid", protocol.UUIDText(m.GetUuid())).WithError(err).Warn("failed to handle status update acknowledgement")
		return
	}
	if log.Logger.IsLevelEnabled(logrus.InfoLevel) {
		log.WithField("uuid", protocol.UUIDText(m.GetUuid())).Info("status update acknowledged")
	}
	f, e := c.resolveTask(fid, tid, res.Tag)
	if res.Forward != nil {
		c.hint = taskHint{f: f, e: e, tid: tid}
		c.forward(res.Forward)
		c.hint = taskHint{}
	}
	if res.StreamEnded {
		// Nothing is left to retry: the timer goes now rather than fire
		// for nothing.
		c.cancelRetry(fid, tid)
	}
	if f == nil || e == nil {
		return
	}
	if res.StreamEnded {
		e.completeTask(tid)
	}
	if e.state == executorTerminated && !e.incompleteTasks() {
		c.removeExecutor(f, e)
	}
	c.removeFrameworkIfIdle(f)
}

// holdForLimitation holds an executor's update (pid set) while the
// containerizer is asked whether the executor's container ran into a
// limitation (Deps.Limits): a terminal update asks, and the executor's
// updates that follow wait behind it. If the container has already ended
// on a limitation, a terminal update is replaced at once. It reports
// whether u was taken care of.
func (c *Core) holdForLimitation(e *executor, u *mesosinternal.StatusUpdate, pid actors.PID) bool {
	if pid.IsZero() {
		return false
	}
	if held, ok := c.held[e]; ok {
		c.held[e] = append(held, heldUpdate{u: u, pid: pid})
		return true
	}
	if !c.deps.Limits || !protocol.IsTerminal(u.GetStatus().GetState()) || !e.launchedContainer || e.state == executorTerminated {
		return false
	}
	if e.exit() != nil {
		if t := e.exit().termination; e.exit().err == nil && t != nil && t.State != nil {
			c.limitedUpdate(u, pid, t)
			return true
		}
		return false
	}
	if !e.contained {
		return false
	}
	if c.held == nil {
		c.held = map[*executor][]heldUpdate{}
	}
	c.held[e] = []heldUpdate{{u: u, pid: pid}}
	c.out.Add(CheckLimitation{ContainerID: e.containerID})
	return true
}

// ContainerLimitation is the result of CheckLimitation: t is the
// container's limitation, nil if it has none. The updates held for the
// answer go on.
func (c *Core) ContainerLimitation(now time.Time, cid string, t *containerizer.Termination) []effect.Effect {
	c.now = now
	for e := range c.held {
		if e.containerID == cid {
			c.releaseHeld(e, t)
			break
		}
	}
	return c.out.Take()
}

// releaseHeld handles e's held updates in order; t, if it has a state,
// is the limitation that replaces the terminal ones.
func (c *Core) releaseHeld(e *executor, t *containerizer.Termination) {
	held, ok := c.held[e]
	if !ok {
		return
	}
	delete(c.held, e)
	for _, h := range held {
		if t != nil && t.State != nil && protocol.IsTerminal(h.u.GetStatus().GetState()) {
			c.limitedUpdate(h.u, h.pid, t)
		} else {
			c.handleUpdate(h.u, h.pid, false)
		}
	}
}

// limitedUpdate stands in for an executor's terminal update u when its
// container ran into the limitation t: the agent reports the task's end
// as it would had the container ended first, and acknowledges u.
func (c *Core) limitedUpdate(u *mesosinternal.StatusUpdate, pid actors.PID, t *containerizer.Termination) {
	fid, tid := u.GetFrameworkId().GetValue(), u.GetStatus().GetTaskId().GetValue()
	f := c.frameworks[fid]
	var e *executor
	if f != nil && f.state != frameworkTerminating {
		e = f.executorOf(tid)
	}
	if e == nil || e.launchedTask(tid) == nil || protocol.IsTerminal(e.launchedTask(tid).GetState()) {
		// Nothing to replace: the update takes the ordinary path, not the
		// hold again (which would bring it back here).
		c.handleUpdate(u, pid, false)
		return
	}
	c.logFor(fid, e.id, tid).WithField("reason", t.Reason.String()).
		Info("the task's container ran into a limitation: reporting it instead of the executor's update")
	c.sendExecutorTerminatedUpdate(f, e, tid, t, nil)
	c.ackExecutor(u, pid)
}
