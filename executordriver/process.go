package executordriver

import (
	"crypto/rand"
	"encoding/hex"
	"slices"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

// process is the driver's actor; everything below runs on its goroutine.
type process struct {
	d    *MesosExecutorDriver
	ctx  *actors.Context
	self actors.PID
	log  *logrus.Entry

	slave      actors.PID
	connected  bool
	connection uint64 // bumped on every (re)registration
	// aborted: the driver no longer handles messages (after a shutdown or
	// Abort); sends still go out.
	aborted bool

	// Unacknowledged updates (by uuid) and tasks, in arrival order.
	updates []*mesosinternal.StatusUpdate
	tasks   []*mesos.TaskInfo

	waiters  []chan struct{} // WaitAcknowledged callers
	finished chan struct{}   // closed in Finalize
}

var (
	_ actors.Process   = (*process)(nil)
	_ actors.Exiter    = (*process)(nil)
	_ actors.Finalizer = (*process)(nil)
)

func newProcess(d *MesosExecutorDriver) *process {
	return &process{d: d, log: d.log, slave: d.env.slavePID, finished: make(chan struct{})}
}

// Initialize links to the agent and registers.
func (p *process) Initialize(ctx *actors.Context) {
	p.ctx = ctx
	p.self = ctx.Self()
	p.log = p.log.WithField("pid", p.self.String())

	actors.Install(ctx, p.registered)
	actors.Install(ctx, p.reregistered)
	actors.Install(ctx, p.reconnect)
	actors.Install(ctx, p.runTask)
	actors.Install(ctx, p.killTask)
	actors.Install(ctx, p.acknowledgement)
	actors.Install(ctx, p.frameworkMessage)
	actors.Install(ctx, p.shutdownMessage)
	actors.Install(ctx, p.frameworkError)

	ctx.Link(p.slave)
	ctx.Send(p.slave, &mesosinternal.RegisterExecutorMessage{
		FrameworkId: p.frameworkID(),
		ExecutorId:  p.executorID(),
	})
}

// Finalize runs when the actor terminates.
func (p *process) Finalize(*actors.Context) {
	p.setConnected(false)
	p.wakeWaiters()
	close(p.finished)
	p.d.life.Callbacks.Close()
}

func (p *process) frameworkID() *mesos.FrameworkID {
	return &mesos.FrameworkID{Value: proto.String(p.d.env.frameworkID)}
}

func (p *process) executorID() *mesos.ExecutorID {
	return &mesos.ExecutorID{Value: proto.String(p.d.env.executorID)}
}

func (p *process) slaveID() *mesos.SlaveID {
	return &mesos.SlaveID{Value: proto.String(p.d.env.slaveID)}
}

func (p *process) setConnected(c bool) {
	p.connected = c
	p.d.connected.Store(c)
}

// ignoring reports whether incoming messages are to be dropped.
func (p *process) ignoring(what string) bool {
	if p.aborted || !p.d.life.Running() {
		p.log.Debugf("Ignoring %s: the driver is aborted or stopped", what)
		return true
	}
	return false
}

func (p *process) enqueue(f func()) { p.d.life.Callbacks.Push(callback{Run: f}) }

func (p *process) registered(from actors.PID, m *mesosinternal.ExecutorRegisteredMessage) {
	if p.ignoring("ExecutorRegisteredMessage") {
		return
	}
	p.log.WithField("agent", from.String()).Info("Executor registered")
	p.setConnected(true)
	p.connection++
	ei, fi, si := cloneOne(m.GetExecutorInfo()), cloneOne(m.GetFrameworkInfo()), cloneOne(m.GetSlaveInfo())
	p.enqueue(func() { p.d.exec.Registered(p.d, ei, fi, si) })
}

func (p *process) reregistered(from actors.PID, m *mesosinternal.ExecutorReregisteredMessage) {
	if p.ignoring("ExecutorReregisteredMessage") {
		return
	}
	p.log.WithField("agent", from.String()).Info("Executor re-registered")
	p.setConnected(true)
	p.connection++
	si := cloneOne(m.GetSlaveInfo())
	p.enqueue(func() { p.d.exec.Reregistered(p.d, si) })
}

// reconnect: a restarted agent asks the executor to re-register, handing
// back what it has not acknowledged.
func (p *process) reconnect(from actors.PID, m *mesosinternal.ReconnectExecutorMessage) {
	if p.ignoring("ReconnectExecutorMessage") || from.IsZero() {
		return
	}
	p.log.WithField("agent", from.String()).Info("Agent asked the executor to reconnect")
	if from != p.slave {
		p.ctx.Unlink(p.slave)
	}
	p.slave = from
	p.ctx.Link(from)
	msg := &mesosinternal.ReregisterExecutorMessage{
		ExecutorId:  p.executorID(),
		FrameworkId: p.frameworkID(),
	}
	for _, u := range p.updates {
		msg.Updates = append(msg.Updates, cloneOne(u))
	}
	for _, t := range p.tasks {
		msg.Tasks = append(msg.Tasks, cloneOne(t))
	}
	p.ctx.Send(p.slave, msg)
}

func (p *process) runTask(_ actors.PID, m *mesosinternal.RunTaskMessage) {
	if p.ignoring("RunTaskMessage") {
		return
	}
	task := m.GetTask()
	if task == nil {
		p.log.Warn("Ignoring a RunTaskMessage without a task")
		return
	}
	log := p.log.WithField("task_id", task.GetTaskId().GetValue())
	if !p.connected {
		log.Warn("Ignoring RunTaskMessage: the executor is not registered")
		return
	}
	if p.taskIndex(task.GetTaskId().GetValue()) >= 0 {
		log.Warn("Ignoring a duplicate RunTaskMessage")
		return
	}
	p.tasks = append(p.tasks, cloneOne(task))
	task = cloneOne(task)
	p.enqueue(func() { p.d.exec.LaunchTask(p.d, task) })
}

func (p *process) killTask(_ actors.PID, m *mesosinternal.KillTaskMessage) {
	if p.ignoring("KillTaskMessage") {
		return
	}
	if !p.connected {
		p.log.WithField("task_id", m.GetTaskId().GetValue()).Warn("Kill request while disconnected from the agent")
	}
	id := cloneOne(m.GetTaskId())
	p.enqueue(func() { p.d.exec.KillTask(p.d, id) })
}

func (p *process) acknowledgement(_ actors.PID, m *mesosinternal.StatusUpdateAcknowledgementMessage) {
	if p.ignoring("StatusUpdateAcknowledgementMessage") {
		return
	}
	log := p.log.WithFields(logrus.Fields{"task_id": m.GetTaskId().GetValue(), "uuid": hex.EncodeToString(m.GetUuid())})
	if !p.connected {
		log.Warn("Ignoring a status update acknowledgement: disconnected")
		return
	}
	i := slices.IndexFunc(p.updates, func(u *mesosinternal.StatusUpdate) bool {
		return string(u.GetUuid()) == string(m.GetUuid())
	})
	if i < 0 {
		log.Warn("Ignoring an acknowledgement of an unknown status update")
		return
	}
	log.Debug("Status update acknowledged")
	p.updates = slices.Delete(p.updates, i, i+1)
	if j := p.taskIndex(m.GetTaskId().GetValue()); j >= 0 {
		p.tasks = slices.Delete(p.tasks, j, j+1)
	}
	if len(p.updates) == 0 {
		p.wakeWaiters()
	}
}

func (p *process) taskIndex(id string) int {
	return slices.IndexFunc(p.tasks, func(t *mesos.TaskInfo) bool { return t.GetTaskId().GetValue() == id })
}

func (p *process) frameworkMessage(_ actors.PID, m *mesosinternal.FrameworkToExecutorMessage) {
	if p.ignoring("FrameworkToExecutorMessage") {
		return
	}
	if !p.connected {
		p.log.Warn("Ignoring a framework message: disconnected")
		return
	}
	data := string(m.GetData())
	p.enqueue(func() { p.d.exec.FrameworkMessage(p.d, data) })
}

func (p *process) shutdownMessage(_ actors.PID, _ *mesosinternal.ShutdownExecutorMessage) {
	if p.ignoring("ShutdownExecutorMessage") {
		return
	}
	p.log.Info("Executor asked to shut down")
	p.shutdown(false)
}

// frameworkError aborts the driver and reports the error.
func (p *process) frameworkError(_ actors.PID, m *mesosinternal.FrameworkErrorMessage) {
	if p.ignoring("FrameworkErrorMessage") || !p.d.life.AbortedByDriver() {
		return
	}
	p.aborted = true
	msg := m.GetMessage()
	p.d.life.Callbacks.Push(callback{Always: true, Run: func() { p.d.exec.Error(p.d, msg) }})
}

// shutdown calls Shutdown and stops handling messages; the driver stops
// once the callback returns, as mesos-go's does, so Join returns and the
// executor can exit. Outside local mode a killer also ends the process group
// after the grace period, in case the callback never returns.
func (p *process) shutdown(bool) {
	if p.aborted {
		return
	}
	if !p.d.local {
		grace := p.d.env.shutdownGrace
		p.log.WithField("grace_period", grace.String()).Info("Will kill the executor's process group after the grace period")
		p.ctx.Clock().AfterFunc(grace, p.d.killSelf)
	}
	p.enqueue(func() {
		p.d.exec.Shutdown(p.d)
		_, _ = p.d.Stop()
	})
	p.aborted = true
}

// Exited fires when the link to the agent breaks.
func (p *process) Exited(_ *actors.Context, pid actors.PID) {
	if p.aborted || pid != p.slave {
		return
	}
	if p.d.env.checkpoint && p.connected {
		timeout := p.d.env.recoveryTimeout
		p.log.WithField("recovery_timeout", timeout.String()).
			Info("Agent exited; the framework checkpoints, so waiting for the agent to come back")
		p.setConnected(false)
		conn := p.connection
		p.ctx.Delay(timeout, func() {
			if p.connected || p.connection != conn {
				return
			}
			p.log.Info("The agent did not come back within the recovery timeout; shutting down")
			p.shutdown(true)
		})
		return
	}
	p.log.Info("Agent exited; shutting down")
	p.setConnected(false)
	p.shutdown(true)
}

func (p *process) sendStatusUpdate(status *mesos.TaskStatus) {
	uuid := make([]byte, 16)
	_, _ = rand.Read(uuid)
	uuid[6] = uuid[6]&0x0f | 0x40
	uuid[8] = uuid[8]&0x3f | 0x80
	now := float64(p.ctx.Clock().Now().UnixNano()) / 1e9

	status.SlaveId = p.slaveID()
	status.Uuid = uuid
	status.Timestamp = proto.Float64(now)
	update := &mesosinternal.StatusUpdate{
		FrameworkId: p.frameworkID(),
		ExecutorId:  p.executorID(),
		SlaveId:     p.slaveID(),
		Status:      status,
		Timestamp:   proto.Float64(now),
		Uuid:        uuid,
	}
	p.log.WithFields(logrus.Fields{
		"task_id": status.GetTaskId().GetValue(),
		"state":   status.GetState().String(),
		"uuid":    hex.EncodeToString(uuid),
	}).Info("Sending status update")
	p.updates = append(p.updates, update)
	p.ctx.Send(p.slave, &mesosinternal.StatusUpdateMessage{
		Update: cloneOne(update),
		Pid:    proto.String(p.self.String()),
	})
}

func (p *process) sendFrameworkMessage(data string) {
	p.ctx.Send(p.slave, &mesosinternal.ExecutorToFrameworkMessage{
		SlaveId:     p.slaveID(),
		FrameworkId: p.frameworkID(),
		ExecutorId:  p.executorID(),
		Data:        []byte(data),
	})
}

// stop terminates the actor.
func (p *process) stop() { p.ctx.Terminate() }

// abort stops handling messages; the actor stays until Stop.
func (p *process) abort() { p.aborted = true }

// ackWaiter returns a channel closed once no update awaits acknowledgement.
func (p *process) ackWaiter() chan struct{} {
	ch := make(chan struct{})
	if len(p.updates) == 0 {
		close(ch)
		return ch
	}
	p.waiters = append(p.waiters, ch)
	return ch
}

func (p *process) wakeWaiters() {
	for _, ch := range p.waiters {
		close(ch)
	}
	p.waiters = nil
}

func cloneOne[M proto.Message](m M) M {
	var zero M
	if any(m) == any(zero) {
		return zero
	}
	return proto.Clone(m).(M)
}
