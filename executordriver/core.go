package executordriver

import (
	"slices"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
)

// RecoveryTimer is the key of the timer that, after the link to the agent
// broke, shuts a checkpointing executor down unless the agent came back
// within the recovery timeout.
const RecoveryTimer = "recovery"

// CoreConfig is what a Core needs besides its events: mostly what the
// agent put in the executor's environment.
type CoreConfig struct {
	FrameworkID string
	ExecutorID  string
	SlaveID     string
	// Agent is the agent's PID (MESOS_SLAVE_PID).
	Agent actors.PID
	// Self is the driver's PID, which status updates carry for the
	// acknowledgement.
	Self actors.PID
	// Checkpoint: wait RecoveryTimeout for a restarted agent when the link
	// breaks (MESOS_CHECKPOINT, MESOS_RECOVERY_TIMEOUT).
	Checkpoint      bool
	RecoveryTimeout time.Duration
	// ShutdownGracePeriod is the time between a shutdown and SelfKill
	// (MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD); Local turns SelfKill off.
	ShutdownGracePeriod time.Duration
	Local               bool
	// UUIDs makes the status updates' uuids (default random).
	UUIDs protocol.UUIDs
	// Log receives the core's log lines (default: discarded).
	Log *logrus.Entry
	// Reregister: the executor outlived its agent's restart without a
	// driver (an agent-hosted executor started again by the agent): Start
	// reregisters, handing back Tasks, instead of registering.
	Reregister bool
	Tasks      []*mesos.TaskInfo
}

// Core is the executor driver as pure state: it registers with its agent,
// turns the agent's messages into callback effects (On*), wraps the
// executor's statuses in status updates, and keeps every update and
// launched task until the agent acknowledges the update, to hand them back
// to a restarted agent. It reads no clock and has no goroutines.
type Core struct {
	out  effect.Outbox
	cfg  CoreConfig
	log  *logrus.Entry
	self actors.PID

	agent     actors.PID
	connected bool
	// stopped: the core no longer handles messages (after a shutdown,
	// Abort or Stop); sends still go out.
	stopped bool

	// Unacknowledged updates (by uuid) and tasks, in arrival order.
	updates []*mesosinternal.StatusUpdate
	tasks   []*mesos.TaskInfo
}

var _ effect.Core = (*Core)(nil)

// NewCore returns a core that has not registered yet; Start registers.
func NewCore(cfg CoreConfig) *Core {
	c := &Core{cfg: cfg, log: cfg.Log, self: cfg.Self, agent: cfg.Agent}
	if c.log == nil {
		l := logrus.New()
		l.SetOutput(nopWriter{})
		c.log = logrus.NewEntry(l)
	}
	if c.cfg.UUIDs == nil {
		c.cfg.UUIDs = protocol.RandomUUIDs()
	}
	return c
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// Connected reports whether the executor is registered with its agent.
func (c *Core) Connected() bool { return c.connected }

// Unacknowledged returns how many status updates and tasks await the
// agent's acknowledgement.
func (c *Core) Unacknowledged() (updates, tasks int) { return len(c.updates), len(c.tasks) }

func (c *Core) frameworkID() *mesos.FrameworkID {
	return &mesos.FrameworkID{Value: proto.String(c.cfg.FrameworkID)}
}

func (c *Core) executorID() *mesos.ExecutorID {
	return &mesos.ExecutorID{Value: proto.String(c.cfg.ExecutorID)}
}

func (c *Core) slaveID() *mesos.SlaveID { return &mesos.SlaveID{Value: proto.String(c.cfg.SlaveID)} }

// Start links to the agent and registers.
func (c *Core) Start(time.Time) []effect.Effect {
	c.out.Link(c.agent)
	if c.cfg.Reregister {
		for _, t := range c.cfg.Tasks {
			c.tasks = append(c.tasks, cloneOne(t))
		}
		c.sendReregister()
		return c.out.Take()
	}
	c.out.Send(c.agent, &mesosinternal.RegisterExecutorMessage{
		FrameworkId: c.frameworkID(),
		ExecutorId:  c.executorID(),
	})
	return c.out.Take()
}

// Receive handles a message from the agent. Messages of other types are
// ignored.
func (c *Core) Receive(_ time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	if c.stopped {
		c.log.WithField("message", string(proto.MessageName(msg))).Debug("ignoring a message: the driver is aborted or stopped")
		return nil
	}
	switch m := msg.(type) {
	case *mesosinternal.ExecutorRegisteredMessage:
		c.log.WithField("agent", from.String()).Info("executor registered")
		c.registered()
		c.out.Add(OnRegistered{ExecutorInfo: cloneOne(m.GetExecutorInfo()),
			FrameworkInfo: cloneOne(m.GetFrameworkInfo()), SlaveInfo: cloneOne(m.GetSlaveInfo())})
	case *mesosinternal.ExecutorReregisteredMessage:
		c.log.WithField("agent", from.String()).Info("executor re-registered")
		c.registered()
		c.out.Add(OnReregistered{SlaveInfo: cloneOne(m.GetSlaveInfo())})
	case *mesosinternal.ReconnectExecutorMessage:
		c.reconnect(from)
	case *mesosinternal.RunTaskMessage:
		c.runTask(m.GetTask())
	case *mesosinternal.KillTaskMessage:
		if !c.connected {
			c.log.WithField("task_id", m.GetTaskId().GetValue()).Warn("kill request while disconnected from the agent")
		}
		c.out.Add(OnKillTask{TaskID: cloneOne(m.GetTaskId())})
	case *mesosinternal.StatusUpdateAcknowledgementMessage:
		c.acknowledged(m)
	case *mesosinternal.FrameworkToExecutorMessage:
		if !c.connected {
			c.log.Warn("ignoring a framework message: disconnected")
			break
		}
		c.out.Add(OnFrameworkMessage{Data: string(m.GetData())})
	case *mesosinternal.ShutdownExecutorMessage:
		c.log.Info("executor asked to shut down")
		c.shutdown()
	case *mesosinternal.FrameworkErrorMessage:
		c.stopped = true
		c.out.Add(OnError{Message: m.GetMessage()})
	default:
		c.log.WithField("from", from.String()).Debugf("ignoring an unexpected %T", msg)
	}
	return c.out.Take()
}

func (c *Core) registered() {
	c.connected = true
	c.out.CancelTimer(RecoveryTimer)
}

// reconnect: a restarted agent asks the executor to re-register, handing
// back what it has not acknowledged.
func (c *Core) reconnect(from actors.PID) {
	if from.IsZero() {
		return
	}
	c.log.WithField("agent", from.String()).Info("agent asked the executor to reconnect")
	if from != c.agent {
		c.out.Unlink(c.agent)
	}
	c.agent = from
	c.out.Link(from)
	c.sendReregister()
}

// sendReregister hands the agent what it has not acknowledged.
func (c *Core) sendReregister() {
	msg := &mesosinternal.ReregisterExecutorMessage{
		ExecutorId:  c.executorID(),
		FrameworkId: c.frameworkID(),
	}
	for _, u := range c.updates {
		msg.Updates = append(msg.Updates, cloneOne(u))
	}
	for _, t := range c.tasks {
		msg.Tasks = append(msg.Tasks, cloneOne(t))
	}
	c.out.Send(c.agent, msg)
}

func (c *Core) runTask(task *mesos.TaskInfo) {
	if task == nil {
		c.log.Warn("ignoring a RunTaskMessage without a task")
		return
	}
	log := c.log.WithField("task_id", task.GetTaskId().GetValue())
	if !c.connected {
		log.Warn("ignoring RunTaskMessage: the executor is not registered")
		return
	}
	if c.taskIndex(task.GetTaskId().GetValue()) >= 0 {
		log.Warn("ignoring a duplicate RunTaskMessage")
		return
	}
	c.tasks = append(c.tasks, cloneOne(task))
	c.out.Add(OnLaunchTask{Task: cloneOne(task)})
}

func (c *Core) acknowledged(m *mesosinternal.StatusUpdateAcknowledgementMessage) {
	log := c.log.WithFields(logrus.Fields{"task_id": m.GetTaskId().GetValue(), "uuid": protocol.UUIDText(m.GetUuid())})
	if !c.connected {
		log.Warn("ignoring a status update acknowledgement: disconnected")
		return
	}
	i := slices.IndexFunc(c.updates, func(u *mesosinternal.StatusUpdate) bool {
		return string(u.GetUuid()) == string(m.GetUuid())
	})
	if i < 0 {
		log.Warn("ignoring an acknowledgement of an unknown status update")
		return
	}
	log.Debug("status update acknowledged")
	c.updates = slices.Delete(c.updates, i, i+1)
	if j := c.taskIndex(m.GetTaskId().GetValue()); j >= 0 {
		c.tasks = slices.Delete(c.tasks, j, j+1)
	}
}

func (c *Core) taskIndex(id string) int {
	return slices.IndexFunc(c.tasks, func(t *mesos.TaskInfo) bool { return t.GetTaskId().GetValue() == id })
}

// shutdown asks the executor to shut down (OnShutdown, after which the
// driver stops) and stops handling messages. Outside local mode SelfKill
// ends the process group after the grace period, in case the callback
// never returns.
func (c *Core) shutdown() {
	if c.stopped {
		return
	}
	if !c.cfg.Local {
		grace := c.cfg.ShutdownGracePeriod
		c.log.WithField("grace_period", grace.String()).Info("will kill the executor's process group after the grace period")
		c.out.Add(SelfKill{After: grace})
	}
	c.out.Add(OnShutdown{})
	c.stopped = true
}

// Exited handles a broken link to the agent: a checkpointing executor
// that was registered waits RecoveryTimeout for the agent to come back;
// any other shuts down.
func (c *Core) Exited(_ time.Time, pid actors.PID) []effect.Effect {
	if c.stopped || pid != c.agent {
		return nil
	}
	if c.cfg.Checkpoint && c.connected {
		c.log.WithField("recovery_timeout", c.cfg.RecoveryTimeout.String()).
			Info("agent exited; the framework checkpoints, so waiting for the agent to come back")
		c.connected = false
		c.out.StartTimer(RecoveryTimer, c.cfg.RecoveryTimeout)
		return c.out.Take()
	}
	c.log.Info("agent exited; shutting down")
	c.connected = false
	c.shutdown()
	return c.out.Take()
}

// Timer handles RecoveryTimer.
func (c *Core) Timer(_ time.Time, key string) []effect.Effect {
	if key != RecoveryTimer || c.connected {
		return nil
	}
	c.log.Info("the agent did not come back within the recovery timeout; shutting down")
	c.shutdown()
	return c.out.Take()
}

// SendStatusUpdate wraps status in a status update with a fresh uuid,
// stamped now, keeps it until the agent acknowledges it, and sends it.
func (c *Core) SendStatusUpdate(now time.Time, status *mesos.TaskStatus) []effect.Effect {
	status = cloneOne(status)
	uuid := c.cfg.UUIDs.NewUUID().Bytes()
	ts := float64(now.UnixNano()) / 1e9

	status.SlaveId = c.slaveID()
	status.Uuid = uuid
	status.Timestamp = proto.Float64(ts)
	update := &mesosinternal.StatusUpdate{
		FrameworkId: c.frameworkID(),
		ExecutorId:  c.executorID(),
		SlaveId:     c.slaveID(),
		Status:      status,
		Timestamp:   proto.Float64(ts),
		Uuid:        uuid,
	}
	c.log.WithFields(logrus.Fields{
		"task_id": status.GetTaskId().GetValue(),
		"state":   status.GetState().String(),
		"uuid":    protocol.UUIDText(uuid),
	}).Info("sending status update")
	c.updates = append(c.updates, update)
	c.out.Send(c.agent, &mesosinternal.StatusUpdateMessage{
		Update: cloneOne(update),
		Pid:    proto.String(c.self.String()),
	})
	return c.out.Take()
}

// SendFrameworkMessage sends data to the scheduler through the agent.
func (c *Core) SendFrameworkMessage(_ time.Time, data string) []effect.Effect {
	c.out.Send(c.agent, &mesosinternal.ExecutorToFrameworkMessage{
		SlaveId:     c.slaveID(),
		FrameworkId: c.frameworkID(),
		ExecutorId:  c.executorID(),
		Data:        []byte(data),
	})
	return c.out.Take()
}

// Abort stops handling messages; sends still go out until Stop.
func (c *Core) Abort(time.Time) []effect.Effect {
	c.stopped = true
	return nil
}

// Stop ends the driver: Terminate.
func (c *Core) Stop(time.Time) []effect.Effect {
	c.stopped = true
	c.connected = false
	c.out.CancelTimer(RecoveryTimer)
	c.out.Add(Terminate{})
	return c.out.Take()
}

func cloneOne[M proto.Message](m M) M {
	var zero M
	if any(m) == any(zero) {
		return zero
	}
	return proto.Clone(m).(M)
}
