package slave

import (
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/checkpoint"
	"github.com/gomesos/gomesos/slave/containerizer"
	"github.com/gomesos/gomesos/slave/statusupdate"
)

// ExecutorReregistrationTimer ends the wait for recovered executors to
// reregister (--executor_reregistration_timeout).
const ExecutorReregistrationTimer = "executor-reregistration"

// ExecutorReconnectTimer resends ReconnectExecutorMessage to recovered
// executors still to reregister (--executor_reregistration_retry_interval).
const ExecutorReconnectTimer = "executor-reconnect"

// Recovery modes (--recover).
const (
	RecoverReconnect = "reconnect"
	RecoverCleanup   = "cleanup"
)

// Recover starts the agent from what it checkpointed (Mesos'
// Slave::recover): the shell calls it once, after Started, with the
// parsed meta folder (nil or without an agent: a fresh start). The agent
// keeps its id, rebuilds its checkpointing frameworks, executors, tasks
// and status update streams, and asks the shell to adopt the executors'
// containers (RecoverContainers, answered by ContainersRecovered; sent
// with no containers on a fresh start too, so that the containerizer
// cleans up what a crashed agent left). After a reboot (another boot id)
// it keeps its id if its configuration is still compatible with the
// checkpointed one (its executors, gone with the host, end at once), and
// starts as a new agent otherwise. Detection of the
// master (Redetect) starts once recovery is over.
func (c *Core) Recover(now time.Time, st *checkpoint.State) []effect.Effect {
	c.now = now
	c.recovering = true
	c.cleanup = c.cfg.Recover == RecoverCleanup
	if st == nil || st.Slave == nil {
		c.log.Info("no agent checkpoint to recover; starting as a new agent")
		// The containerizer still cleans up what a crashed agent left.
		c.out.Add(RecoverContainers{})
		return c.out.Take()
	}
	s := st.Slave
	rebooted := st.BootID != "" && c.deps.BootID != "" && st.BootID != c.deps.BootID
	if rebooted {
		// As Mesos since 1.4: the agent keeps its id if its configuration
		// is still compatible; its executors died with the host.
		log := c.log.WithFields(logrus.Fields{"agent_id": s.ID, "boot_id": c.deps.BootID, "checkpointed_boot_id": st.BootID})
		now := c.info
		if c.cfg.PortPicked && s.Info != nil {
			now = proto.Clone(c.info).(*mesos.SlaveInfo)
			now.Port = s.Info.Port
		}
		if err := CheckReconfiguration(c.cfg.ReconfigurationPolicy, s.Info, now); s.Info == nil || err != nil {
			log.WithError(err).Info("the host rebooted since the agent's checkpoint and its configuration changed; starting as a new agent")
			c.out.Add(RecoverContainers{})
			return c.out.Take()
		}
		log.Info("the host rebooted since the agent's checkpoint; keeping the agent id, its executors are gone")
	}
	c.setID(s.ID)
	if got, was := resources.Resources(c.info.GetResources()).String(), resources.Resources(s.Info.GetResources()).String(); got != was ||
		c.info.GetHostname() != s.Info.GetHostname() || c.info.GetPort() != s.Info.GetPort() ||
		!sameAttributes(c.info.GetAttributes(), s.Info.GetAttributes()) {
		c.log.WithFields(logrus.Fields{"agent_id": s.ID, "resources": got, "checkpointed_resources": was,
			"hostname": c.info.GetHostname(), "checkpointed_hostname": s.Info.GetHostname(),
			"port": c.info.GetPort(), "checkpointed_port": s.Info.GetPort()}).
			Info("the agent's configuration changed since its checkpoint in a way its --reconfiguration_policy allows; keeping the agent id")
		c.infoChanged = true
	}
	c.log.WithFields(logrus.Fields{"agent_id": s.ID, "frameworks": len(s.Frameworks)}).Info("recovering agent")

	var adopt []containerizer.Recovered
	for _, fs := range s.Frameworks {
		f := newFramework(proto.Clone(fs.Info).(*mesos.FrameworkInfo), parsePIDOrZero(fs.PID))
		for _, es := range fs.Executors {
			if r := c.recoverExecutor(f, es, rebooted); r != nil {
				adopt = append(adopt, *r)
			}
		}
		if f.idle() {
			c.logFor(f.id, "", "").Info("nothing to recover for framework")
			c.forgetFramework(f)
			continue
		}
		c.frameworks[f.id] = f
		c.frameworkOrder = append(c.frameworkOrder, f.id)
	}
	c.out.Add(RecoverContainers{Containers: adopt})
	return c.out.Take()
}

// recoverExecutor rebuilds the latest run of an executor and its tasks
// and streams; it returns the container to adopt, or nil if the run is
// over and fully acknowledged. After a reboot the checkpointed pids name
// nobody (or somebody else): the run is taken as ended and its forked.pid
// removed, as Mesos does.
func (c *Core) recoverExecutor(f *framework, es *checkpoint.ExecutorState, rebooted bool) *containerizer.Recovered {
	run := es.LatestRun()
	log := c.logFor(f.id, es.ID, "")
	if run == nil {
		log.Warn("no run of the executor to recover")
		return nil
	}
	info := es.Info
	commandTask := strings.HasPrefix(info.GetName(), "Command Executor") && info.GetSource() == es.ID
	e := newExecutor(f, proto.Clone(info).(*mesos.ExecutorInfo), commandTask, run.ContainerID, c.ID())
	if e.id != es.ID {
		e.more().sandbox = c.paths().Sandbox(c.ID(), f.id, es.ID, run.ContainerID)
	}
	e.recovered = true
	e.launchedContainer = true
	e.everSent = true
	e.pid = parsePIDOrZero(run.LibprocessPID)
	if rebooted {
		e.pid = actors.PID{}
	}
	for _, ts := range run.Tasks {
		c.recoverTask(f, e, ts)
	}
	if run.Completed && !e.incompleteTasks() {
		log.Info("the executor's last run is over and acknowledged")
		c.forgetExecutor(f, e)
		return nil
	}
	e.state = executorRegistering
	f.addExecutor(e)
	c.contain(e)
	pid := run.ForkedPID
	if run.Completed || rebooted {
		pid = 0 // over: it ends at once, and its streams go on
	}
	if run.Hosted {
		// Its actor died with the previous agent: the agent starts it
		// again once the container is adopted (ContainersRecovered).
		e.hosted = true
		e.pid = actors.PID{}
		e.more().forkedPID = int32(pid)
	}
	if rebooted && run.ForkedPID > 0 {
		c.out.Add(CheckpointRemove{Path: c.paths().ForkedPID(c.ID(), f.id, e.id, e.containerID)})
	}
	log.WithFields(logrus.Fields{"container_id": e.containerID, "pid": pid, "executor": pidOrNone(e.pid), "tasks": len(run.Tasks)}).
		Info("recovered executor")
	return &containerizer.Recovered{ID: e.containerID, PID: pid, Directory: c.sandbox(e), Resources: e.allocated()}
}

// recoverTask rebuilds a task's record from task.info and the states of
// its journal, and its status update stream.
func (c *Core) recoverTask(f *framework, e *executor, ts *checkpoint.TaskState) {
	task := proto.Clone(ts.Info).(*mesos.Task)
	tid := ts.ID
	if task.GetTaskId().GetValue() != tid {
		// The executor finds its tasks by TaskId: the folder's name wins.
		task.TaskId = &mesos.TaskID{Value: proto.String(tid)}
	}
	for _, r := range ts.Records {
		if r.GetType() != mesosinternal.StatusUpdateRecord_UPDATE {
			continue
		}
		st := r.GetUpdate().GetStatus()
		if n := len(task.Statuses); n > 0 && task.Statuses[n-1].GetState() == st.GetState() {
			task.Statuses = task.Statuses[:n-1]
		}
		task.Statuses = append(task.Statuses, proto.Clone(st).(*mesos.TaskStatus))
		task.State = st.GetState().Enum()
	}
	sid := statusupdate.StreamID{FrameworkID: f.id, TaskID: tid}
	if err := c.tsum.Replay(sid, ts.Records); err != nil {
		c.logFor(f.id, e.id, tid).WithError(err).Error("failed to recover the task's status updates")
	}
	if !protocol.IsTerminal(task.GetState()) {
		e.setLaunched(task)
		return
	}
	e.setTerminated(task, false)
	if !c.tsum.Has(sid) {
		e.completeTask(tid)
	}
}

// ContainersRecovered is the result of RecoverContainers: the agent waits
// for every recovered container, and either asks the live executors to
// reconnect and gives them --executor_reregistration_timeout, or, with
// --recover=cleanup, kills them.
func (c *Core) ContainersRecovered(now time.Time, err error) []effect.Effect {
	c.now = now
	if err != nil {
		c.log.WithError(err).Error("failed to recover containers")
	}
	reconnecting := 0
	for _, fid := range c.frameworkOrder {
		f := c.frameworks[fid]
		for _, e := range f.executors {
			if !e.recovered || e.state != executorRegistering {
				continue
			}
			if e.hosted && !c.cleanup {
				// Before the wait, so that the shell holds the container's
				// end back until this executor has reported it.
				c.restartHosted(f, e)
			}
			c.out.Add(WaitContainer{ContainerID: e.containerID})
			if c.cleanup {
				c.logFor(f.id, e.id, "").Info("killing recovered executor (--recover=cleanup)")
				e.state = executorTerminating
				c.destroyContainer(e.containerID)
				continue
			}
			if e.hosted {
				continue
			}
			if e.pid.IsZero() {
				continue
			}
			c.logFor(f.id, e.id, "").WithField("executor", e.pid.String()).Info("asking the executor to reconnect")
			c.out.Send(e.pid, &mesosinternal.ReconnectExecutorMessage{SlaveId: proto.Clone(c.info.GetId()).(*mesos.SlaveID)})
			reconnecting++
		}
	}
	switch {
	case c.cleanup:
		c.cleanupIfDone()
	case reconnecting > 0 || len(c.containers) > 0:
		c.out.StartTimer(ExecutorReregistrationTimer, c.cfg.ExecutorReregistrationTimeout)
		if reconnecting > 0 && c.cfg.ExecutorReregistrationRetryInterval > 0 {
			c.out.StartTimer(ExecutorReconnectTimer, c.cfg.ExecutorReregistrationRetryInterval)
		}
	default:
		c.finishRecovery()
	}
	return c.out.Take()
}

// restartHosted starts the hosted command executor of a recovered
// container whose task still runs; it reregisters by itself.
func (c *Core) restartHosted(f *framework, e *executor) {
	if e.forkedPID() <= 0 {
		return
	}
	var task *mesos.Task
	if launched := e.launchedTasks(); len(launched) > 0 {
		task = launched[0]
	}
	if task == nil {
		return // nothing runs: the container's end settles it
	}
	info := &mesos.TaskInfo{
		Name:       proto.String(task.GetName()),
		TaskId:     proto.Clone(task.GetTaskId()).(*mesos.TaskID),
		SlaveId:    proto.Clone(c.info.GetId()).(*mesos.SlaveID),
		Resources:  task.GetResources(),
		KillPolicy: task.GetKillPolicy(),
	}
	info = proto.Clone(info).(*mesos.TaskInfo)
	c.logFor(f.id, e.id, info.GetTaskId().GetValue()).WithFields(logrus.Fields{"container_id": e.containerID, "pid": e.forkedPID()}).
		Info("hosting the recovered command executor again")
	c.out.Add(StartHostedExecutor{
		ContainerID: e.containerID, FrameworkID: f.id, ExecutorID: e.id, PID: int(e.forkedPID()),
		Env:            c.executorEnv(f, e, c.sandbox(e)).Map(),
		HostedExecutor: HostedExecutor{Task: info, Framework: proto.Clone(f.info).(*mesos.FrameworkInfo)},
	})
}

// resendReconnects asks the recovered executors that have not
// reregistered yet to reconnect again, and re-arms while any is left.
func (c *Core) resendReconnects() {
	if !c.recovering || c.cleanup || c.state == terminating {
		return
	}
	waiting := 0
	for _, fid := range c.frameworkOrder {
		f := c.frameworks[fid]
		for _, e := range f.executors {
			if !e.recovered || e.state != executorRegistering || e.pid.IsZero() {
				continue
			}
			c.logFor(f.id, e.id, "").WithField("executor", e.pid.String()).Info("re-sending reconnect request to executor")
			c.out.Send(e.pid, &mesosinternal.ReconnectExecutorMessage{SlaveId: proto.Clone(c.info.GetId()).(*mesos.SlaveID)})
			waiting++
		}
	}
	if waiting > 0 {
		c.out.StartTimer(ExecutorReconnectTimer, c.cfg.ExecutorReregistrationRetryInterval)
	}
}

// cleanupIfDone ends --recover=cleanup once every container is gone.
func (c *Core) cleanupIfDone() {
	if c.cleanup && c.recovering && len(c.containers) == 0 && len(c.exiting) == 0 {
		c.log.Info("every recovered executor is gone (--recover=cleanup); the agent does not register")
		c.recovering = false
		c.out.Add(RecoveryCleanupDone{})
	}
}

// reregistrationTimeout destroys the recovered executors that did not
// reregister in time and ends recovery.
func (c *Core) reregistrationTimeout() {
	if !c.recovering || c.cleanup {
		return
	}
	for _, fid := range c.frameworkOrder {
		f := c.frameworks[fid]
		for _, e := range f.executors {
			if !e.recovered || e.state != executorRegistering {
				continue
			}
			c.logFor(f.id, e.id, "").WithFields(logrus.Fields{"container_id": e.containerID, "timeout": protocol.FormatDuration(c.cfg.ExecutorReregistrationTimeout)}).
				Info("killing executor: it did not reregister in time")
			e.state = executorTerminating
			e.more().pendingTermination = c.reregistrationTermination(f)
			c.destroyContainer(e.containerID)
		}
	}
	c.finishRecovery()
}

// reregistrationTermination is what tasks of an executor that did not
// come back after the agent's restart end with.
func (c *Core) reregistrationTermination(f *framework) *containerizer.Termination {
	state := mesos.TaskState_TASK_LOST
	if f.partitionAware() {
		state = mesos.TaskState_TASK_GONE
	}
	return &containerizer.Termination{
		State:   state.Enum(),
		Reason:  mesos.TaskStatus_REASON_EXECUTOR_REREGISTRATION_TIMEOUT.Enum(),
		Message: "Executor did not reregister within " + protocol.FormatDuration(c.cfg.ExecutorReregistrationTimeout),
	}
}

// finishRecovery writes the boot id and starts detecting the master.
func (c *Core) finishRecovery() {
	c.recovering = false
	if c.cfg.ExecutorReregistrationRetryInterval > 0 {
		c.out.CancelTimer(ExecutorReconnectTimer)
	}
	if c.state == terminating {
		return // shut down meanwhile: no registration
	}
	c.checkpointBootID()
	c.log.WithField("agent_id", c.ID()).Info("finished recovery")
	c.out.Add(Redetect{})
}

// Recovering reports whether the agent is still recovering.
func (c *Core) Recovering() bool { return c.recovering }

// reregisterExecutor handles a recovered executor that reconnected
// (Mesos' Slave::reregisterExecutor); any other is shut down.
func (c *Core) reregisterExecutor(from actors.PID, m *mesosinternal.ReregisterExecutorMessage) {
	fid, eid := m.GetFrameworkId().GetValue(), m.GetExecutorId().GetValue()
	log := c.logFor(fid, eid, "").WithField("from", from.String())
	f := c.frameworks[fid]
	var e *executor
	if f != nil && f.state == frameworkRunning {
		e = f.executor(eid)
	}
	if e != nil && e.recovered && e.state == executorRunning && c.cfg.ExecutorReregistrationRetryInterval > 0 && c.state != terminating {
		// With reconnects resent, a second answer is expected.
		log.Warn("ignoring executor reregistration: it is already registered")
		return
	}
	if e == nil || !e.recovered || e.state != executorRegistering || c.state == terminating {
		log.Warn("shutting down executor: it is not one the agent is waiting to reregister")
		c.out.Send(from, &mesosinternal.ShutdownExecutorMessage{ExecutorId: m.GetExecutorId(), FrameworkId: m.GetFrameworkId()})
		return
	}
	log.Info("executor reregistered")
	e.state = executorRunning
	moved := e.pid != from
	c.link(e, from)
	if moved {
		c.checkpointExecutorPID(f, e)
	}
	c.out.Send(from, &mesosinternal.ExecutorReregisteredMessage{
		SlaveId:   proto.Clone(c.info.GetId()).(*mesos.SlaveID),
		SlaveInfo: proto.Clone(c.info).(*mesos.SlaveInfo),
	})
	reported := map[string]bool{}
	for _, t := range m.GetTasks() {
		reported[t.GetTaskId().GetValue()] = true
	}
	for _, u := range m.GetUpdates() {
		reported[u.GetStatus().GetTaskId().GetValue()] = true
		c.statusUpdate(proto.Clone(u).(*mesosinternal.StatusUpdate), from)
	}
	for _, t := range e.launchedTasks() {
		tid := t.GetTaskId().GetValue()
		if t.GetState() != mesos.TaskState_TASK_STAGING || reported[tid] {
			continue
		}
		state := mesos.TaskState_TASK_LOST
		if f.partitionAware() {
			state = mesos.TaskState_TASK_DROPPED
		}
		c.statusUpdate(c.newUpdate(fid, tid, eid, state, mesos.TaskStatus_REASON_SLAVE_RESTARTED, "Task launched during agent restart"), actors.PID{})
	}
	if !destroying(e) {
		c.out.Add(UpdateContainer{ContainerID: e.containerID, Resources: e.allocated()})
	}
}
