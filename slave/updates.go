package slave

import (
	"strings"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/slave/statusupdate"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

// newUpdate builds an agent-generated status update with a fresh uuid.
func (c *Core) newUpdate(fid, tid, eid string, state mesos.TaskState, reason mesos.TaskStatus_Reason, message string) *mesosinternal.StatusUpdate {
	uuid := c.deps.UUIDs.NewUUID().Bytes()
	now := float64(c.now.UnixNano()) / 1e9
	u := &mesosinternal.StatusUpdate{
		FrameworkId: &mesos.FrameworkID{Value: proto.String(fid)},
		SlaveId:     proto.Clone(c.info.GetId()).(*mesos.SlaveID),
		Timestamp:   proto.Float64(now),
		Uuid:        uuid,
		Status: &mesos.TaskStatus{
			TaskId:    &mesos.TaskID{Value: proto.String(tid)},
			State:     state.Enum(),
			Source:    mesos.TaskStatus_SOURCE_SLAVE.Enum(),
			Reason:    reason.Enum(),
			Message:   proto.String(message),
			SlaveId:   proto.Clone(c.info.GetId()).(*mesos.SlaveID),
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
		c.log.Warnf("Ignoring status update message without an update from %s", from)
		return
	}
	pid := from
	if pid.IsZero() {
		pid = parsePIDOrZero(m.GetPid())
	}
	if pid.IsZero() {
		c.log.Warn("Ignoring status update message with no sender")
		return
	}
	c.statusUpdate(proto.Clone(m.GetUpdate()).(*mesosinternal.StatusUpdate), pid)
}

// statusUpdate handles an update from an executor (pid set) or made by the
// agent (pid zero), Mesos' Slave::statusUpdate.
func (c *Core) statusUpdate(u *mesosinternal.StatusUpdate, pid actors.PID) {
	fid := u.GetFrameworkId().GetValue()
	tid := u.GetStatus().GetTaskId().GetValue()
	log := c.logFor(fid, u.GetExecutorId().GetValue(), tid)
	if len(u.GetUuid()) == 0 {
		log.Warnf("Ignoring status update for task %s without 'uuid'", tid)
		return
	}
	if u.GetStatus() == nil || tid == "" {
		log.Warn("Ignoring status update without a task status")
		return
	}
	sid := c.info.GetId().GetValue()
	if u.GetSlaveId().GetValue() != sid || u.GetStatus().GetSlaveId().GetValue() != sid {
		log.Warnf("Ignoring status update for task %s due to agent ID mismatch; expected '%s', received '%s'/'%s'",
			tid, sid, u.GetSlaveId().GetValue(), u.GetStatus().GetSlaveId().GetValue())
		return
	}
	st := u.Status
	st.Uuid = append([]byte(nil), u.GetUuid()...)
	if pid.IsZero() {
		st.Source = mesos.TaskStatus_SOURCE_SLAVE.Enum()
	} else {
		st.Source = mesos.TaskStatus_SOURCE_EXECUTOR.Enum()
	}
	if u.ExecutorId != nil {
		st.ExecutorId = proto.Clone(u.ExecutorId).(*mesos.ExecutorID)
	}
	log.Infof("Handling status update %s for task %s of framework %s%s", st.GetState(), tid, fid, fromText(pid))

	f := c.frameworks[fid]
	if f == nil {
		log.Warnf("Ignoring status update for task %s of unknown framework %s", tid, fid)
		return
	}
	if f.state == frameworkTerminating {
		log.Warnf("Ignoring status update for task %s of terminating framework %s", tid, fid)
		return
	}
	if f.pending[tid] != nil {
		// The launch is prevented: the launch step finds the task gone.
		delete(f.pending, tid)
		c.removeFrameworkIfIdle(f)
		c.handToManager(u, pid)
		return
	}
	e := f.executorOf(tid)
	if e == nil {
		log.Warnf("Could not find the executor for status update of task %s", tid)
		c.handToManager(u, pid)
		return
	}
	if st.GetSource() == mesos.TaskStatus_SOURCE_EXECUTOR && st.GetState() == mesos.TaskState_TASK_STAGING {
		log.Errorf("Received TASK_STAGING from executor '%s' which is not allowed. Shutting down the executor", e.id)
		c.doShutdownExecutor(f, e)
		return
	}
	if !pid.IsZero() && !e.pid.IsZero() && e.pid != pid {
		log.Warnf("Received status update for task %s from %s on behalf of a different executor '%s' (%s)", tid, pid, e.id, e.pid)
	}
	if err := e.updateTaskState(st); err != nil {
		log.Errorf("Failed to update state of task '%s' to %s: %v", tid, st.GetState(), err)
		c.ackExecutor(u, pid)
		return
	}
	if protocol.IsTerminal(st.GetState()) && e.launchedContainer && e.state != executorTerminated {
		// Shrink the container to what is still running.
		if !c.destroying(e.containerID) {
			c.out.Add(UpdateContainer{ContainerID: e.containerID, Resources: e.allocated()})
		}
	}
	c.handToManager(u, pid)
}

func fromText(pid actors.PID) string {
	if pid.IsZero() {
		return ""
	}
	return " from " + pid.String()
}

// handToManager gives the update to the status update manager, forwards
// what it says, and acknowledges the executor once it is accepted.
func (c *Core) handToManager(u *mesosinternal.StatusUpdate, pid actors.PID) {
	res, err := c.tsum.Update(u)
	if err != nil {
		c.logFor(u.GetFrameworkId().GetValue(), "", u.GetStatus().GetTaskId().GetValue()).
			Errorf("Failed to handle status update: %v", err)
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
	c.out.Send(pid, &mesosinternal.StatusUpdateAcknowledgementMessage{
		SlaveId:     proto.Clone(u.GetSlaveId()).(*mesos.SlaveID),
		FrameworkId: proto.Clone(u.GetFrameworkId()).(*mesos.FrameworkID),
		TaskId:      proto.Clone(u.GetStatus().GetTaskId()).(*mesos.TaskID),
		Uuid:        append([]byte(nil), u.GetUuid()...),
	})
}

// forward sends an update to the master and arms its retry.
func (c *Core) forward(f *statusupdate.Forward) {
	if c.state != running || c.leader().IsZero() {
		c.log.Warnf("Dropping status update for %s because the agent is in %s state", f.Stream, c.state)
		return
	}
	u := f.Update
	if fw := c.frameworks[f.Stream.FrameworkID]; fw != nil {
		if e := fw.executorOf(f.Stream.TaskID); e != nil {
			task := e.launched[f.Stream.TaskID]
			if task == nil {
				task = e.terminated[f.Stream.TaskID]
			}
			if task != nil {
				task.StatusUpdateState = u.GetStatus().GetState().Enum()
				task.StatusUpdateUuid = append([]byte(nil), u.GetUuid()...)
				u.LatestState = task.GetState().Enum()
			}
		}
	}
	c.logFor(f.Stream.FrameworkID, u.GetExecutorId().GetValue(), f.Stream.TaskID).
		Infof("Forwarding the update %s (latest state %s) for task %s to %s", u.GetStatus().GetState(), u.GetLatestState(), f.Stream.TaskID, c.leader())
	c.out.Send(c.leader(), &mesosinternal.StatusUpdateMessage{Update: u, Pid: proto.String(c.self.String())})
	c.out.StartTimer(updateKey(f.Stream), f.RetryAfter)
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
			log.Warnf("Dropping status update acknowledgement for %s because the agent is in %s state", fid, c.state)
			return
		}
		if from != c.leader() {
			log.Warnf("Ignoring status update acknowledgement from %s because it is not the expected master: %s", from, pidOrNone(c.leader()))
			return
		}
	}
	res, err := c.tsum.Acknowledge(fid, tid, m.GetUuid())
	if err != nil {
		log.Warnf("Failed to handle status update acknowledgement (UUID: %s) for task %s of framework %s: %v", protocol.UUIDText(m.GetUuid()), tid, fid, err)
		return
	}
	log.Infof("Status update acknowledgement (UUID: %s) for task %s of framework %s", protocol.UUIDText(m.GetUuid()), tid, fid)
	if res.Forward != nil {
		c.forward(res.Forward)
	}
	f := c.frameworks[fid]
	if f == nil {
		return
	}
	e := f.executorOf(tid)
	if e == nil {
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
