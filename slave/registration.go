package slave

import (
	"fmt"
	"net"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
)

func (c *Core) reregisterMessage(caps []*mesos.SlaveInfo_Capability) *mesosinternal.ReregisterSlaveMessage {
	m := &mesosinternal.ReregisterSlaveMessage{
		Slave:             proto.Clone(c.info).(*mesos.SlaveInfo),
		Version:           proto.String(MesosVersion),
		AgentCapabilities: caps,
	}
	for _, fid := range c.frameworkOrder {
		f := c.frameworks[fid]
		m.Frameworks = append(m.Frameworks, proto.Clone(f.info).(*mesos.FrameworkInfo))
		for _, p := range sortedPending(f) {
			// A deep copy: the master keeps what it is sent.
			m.Tasks = append(m.Tasks, proto.Clone(createTask(p.task, mesos.TaskState_TASK_STAGING, f.idMsg)).(*mesos.Task))
		}
		for _, e := range f.executors {
			for _, t := range e.launchedTasks() {
				m.Tasks = append(m.Tasks, proto.Clone(t).(*mesos.Task))
			}
			for _, t := range e.terminatedTasks() {
				m.Tasks = append(m.Tasks, proto.Clone(t).(*mesos.Task))
			}
			for _, t := range e.queued {
				m.Tasks = append(m.Tasks, proto.Clone(createTask(t, mesos.TaskState_TASK_STAGING, f.idMsg)).(*mesos.Task))
			}
			if !e.commandTask && e.state != executorTerminated {
				m.ExecutorInfos = append(m.ExecutorInfos, proto.Clone(e.info).(*mesos.ExecutorInfo))
			}
		}
	}
	for _, f := range c.completedFrameworks {
		cf := &mesosinternal.Archive_Framework{FrameworkInfo: proto.Clone(f.info).(*mesos.FrameworkInfo)}
		if !f.pid.IsZero() {
			cf.Pid = proto.String(f.pid.String())
		}
		for _, e := range f.completedExecutors {
			for _, t := range e.terminatedTasks() {
				cf.Tasks = append(cf.Tasks, proto.Clone(t).(*mesos.Task))
			}
			for _, t := range e.completed {
				cf.Tasks = append(cf.Tasks, proto.Clone(t).(*mesos.Task))
			}
		}
		m.CompletedFrameworks = append(m.CompletedFrameworks, cf)
	}
	return m
}

func (c *Core) setPingTimeout(conn *mesosinternal.MasterSlaveConnection) {
	if conn != nil && conn.TotalPingTimeoutSeconds != nil && conn.GetTotalPingTimeoutSeconds() > 0 {
		c.pingTimeout = time.Duration(int64(conn.GetTotalPingTimeoutSeconds())) * time.Second
	} else {
		c.pingTimeout = defaultMasterPingTimeout
	}
}

// armPingTimer restarts the timer that re-detects the master when pings
// stop coming.
func (c *Core) armPingTimer() { c.out.StartTimer(PingTimer, c.pingTimeout) }

func (c *Core) registered(from actors.PID, m *mesosinternal.SlaveRegisteredMessage) {
	if from != c.leader() || c.leader().IsZero() {
		c.log.WithFields(notMaster(from, c.leader())).Warn("ignoring registration message: not from the expected master")
		return
	}
	id := m.GetSlaveId().GetValue()
	c.setPingTimeout(m.GetConnection())
	switch c.state {
	case disconnected:
		if id == "" {
			c.log.WithField("from", from.String()).Error("ignoring registration with an empty agent id")
			return
		}
		if cur := c.info.GetId().GetValue(); cur != "" && cur != id {
			c.log.WithFields(logrus.Fields{"agent_id": cur, "given_id": id}).Error("ignoring registration with another id than the agent has")
			return
		}
		c.log.WithFields(logrus.Fields{"agent_id": id, "master": from.String()}).Info("registered with master")
		c.state = running
		c.follower.Acknowledged(&c.out)
		c.setID(id)
		c.checkpointSlaveInfo()
		c.armPingTimer()
		c.resumeUpdates()
	case running:
		if c.info.GetId().GetValue() != id {
			c.log.WithFields(logrus.Fields{"agent_id": c.ID(), "given_id": id}).Error("ignoring registration with a wrong id")
			return
		}
		c.log.WithField("master", from.String()).Warn("already registered with master")
	default:
		c.log.Warn("ignoring registration: the agent is terminating")
	}
}

func (c *Core) reregistered(from actors.PID, m *mesosinternal.SlaveReregisteredMessage) {
	if from != c.leader() || c.leader().IsZero() {
		c.log.WithFields(notMaster(from, c.leader())).Warn("ignoring reregistration message: not from the expected master")
		return
	}
	if m.GetSlaveId().GetValue() != c.info.GetId().GetValue() {
		c.log.WithFields(logrus.Fields{"agent_id": c.ID(), "given_id": m.GetSlaveId().GetValue()}).Error("ignoring reregistration with a wrong id")
		return
	}
	c.setPingTimeout(m.GetConnection())
	switch c.state {
	case disconnected:
		c.log.WithFields(logrus.Fields{"agent_id": c.ID(), "master": from.String()}).Info("reregistered with master")
		c.state = running
		c.follower.Acknowledged(&c.out)
		if c.infoChanged {
			c.infoChanged = false
			c.checkpointSlaveInfo()
		}
		c.armPingTimer()
		c.resumeUpdates()
	case running:
		c.log.WithField("master", from.String()).Warn("already reregistered with master")
	default:
		c.log.Warn("ignoring reregistration: the agent is terminating")
		return
	}
	for _, rec := range m.GetReconciliations() {
		fid := rec.GetFrameworkId().GetValue()
		f := c.frameworks[fid]
		for _, st := range rec.GetStatuses() {
			tid := st.GetTaskId().GetValue()
			if f != nil && (f.pending[tid] != nil || f.executorOf(tid) != nil) {
				continue
			}
			state := mesos.TaskState_TASK_LOST
			if protocol.PartitionAware(rec.GetFramework()) {
				state = mesos.TaskState_TASK_DROPPED
			}
			c.log.WithFields(logrus.Fields{"framework_id": fid, "task_id": tid}).
				Warnf("Agent reconciling task %s of framework %s in state %s: task unknown to the agent", tid, fid, state)
			u := c.newUpdate(fid, tid, "", state, mesos.TaskStatus_REASON_RECONCILIATION, "Reconciliation: task unknown to the agent")
			c.handToManager(u, actors.PID{}, nil)
		}
	}
}

func (c *Core) ping(from actors.PID, m *mesosinternal.PingSlaveMessage) {
	if !m.GetConnected() && c.state == running {
		c.log.Info("master considers the agent disconnected; forcing reregistration")
		c.redetect()
	}
	c.armPingTimer()
	c.out.Send(from, &mesosinternal.PongSlaveMessage{})
}

func (c *Core) shutdownMessage(from actors.PID, m *mesosinternal.ShutdownMessage) {
	if from != c.leader() || c.leader().IsZero() {
		c.log.WithFields(notMaster(from, c.leader())).Warn("ignoring shutdown message: not from the registered master")
		return
	}
	c.shutdown(from, m.GetMessage())
}

// Shutdown shuts the agent down as SIGUSR1 does in Mesos: it unregisters
// from the master (UnregisterSlaveMessage, if it has an id and a master),
// shuts down every framework (its executors get ShutdownExecutorMessage
// and are destroyed after their grace period) and, once every framework
// is gone, is Terminated: the daemon then exits. Executors that are shut
// down leave nothing to recover in the checkpoint; the agent id is kept,
// so a restarted agent comes back under it.
func (c *Core) Shutdown(now time.Time, why string) []effect.Effect {
	c.now = now
	c.shutdown(actors.PID{}, why)
	return c.out.Take()
}

// shutdown is Mesos' Slave::shutdown: from is the master that asked, or
// zero for a local request (a signal).
func (c *Core) shutdown(from actors.PID, why string) {
	if c.shuttingDown {
		c.log.WithField("why", why).Info("ignoring shutdown: the agent is already shutting down")
		return
	}
	log := c.log.WithFields(logrus.Fields{"agent_id": c.ID(), "why": why})
	switch {
	case !from.IsZero():
		log.WithField("from", from.String()).Warn("agent asked to shut down")
	case c.ID() != "" && !c.leader().IsZero():
		log.WithField("master", c.leader().String()).Info("unregistering and shutting down")
		c.out.Send(c.leader(), &mesosinternal.UnregisterSlaveMessage{SlaveId: proto.Clone(c.info.GetId()).(*mesos.SlaveID)})
	default:
		log.Info("shutting down")
	}
	c.shuttingDown = true
	c.state = terminating
	c.out.CancelTimer(detector.RegisterTimer)
	c.out.CancelTimer(PingTimer)
	c.tsum.Pause()
	for _, fid := range append([]string(nil), c.frameworkOrder...) {
		c.doShutdownFramework(fid)
	}
}

// Terminated reports whether a shutdown (Shutdown, or the master's
// ShutdownMessage) is complete: every framework, executor and container
// is gone. The daemon exits then, as Mesos' agent does.
func (c *Core) Terminated() bool {
	return c.shuttingDown && len(c.frameworks) == 0 && len(c.containers) == 0 &&
		len(c.exiting) == 0 && len(c.launchWaiting) == 0
}

func (c *Core) checkpointResources(from actors.PID, m *mesosinternal.CheckpointResourcesMessage) {
	// Reservations and volumes are not supported yet; Mesos agents of this
	// version receive this only from legacy masters.
	c.log.WithField("from", from.String()).Warn("ignoring checkpoint resources message: checkpointed resources are not supported yet")
}

// --- helpers ---

func pidOrNone(p actors.PID) string {
	if p.IsZero() {
		return "None"
	}
	return p.String()
}

// notMaster are the log fields of a message that is not from the
// expected master.
func notMaster(from, master actors.PID) logrus.Fields {
	return logrus.Fields{"from": from.String(), "master": pidOrNone(master)}
}

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// libprocessIP is what executors bind to: the agent's IP, or the host part
// of the node's address, or loopback.
func (c *Core) libprocessIP() string {
	ip := c.cfg.IP
	if ip == "" || ip == "0.0.0.0" || ip == "::" {
		if host, _, err := net.SplitHostPort(c.self.Address); err == nil && host != "" && host != "0.0.0.0" {
			ip = host
		} else {
			ip = "127.0.0.1"
		}
	}
	return ip
}
