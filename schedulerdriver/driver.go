package schedulerdriver

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/internal/driverlife"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

// joinStopWait bounds how long Join waits, after Stop, for the driver's
// actor to have sent its last message and terminated.
const joinStopWait = 5 * time.Second

// ErrDriverAborted is returned by driver methods once the driver has been
// aborted.
type ErrDriverAborted struct {
	Reason string
}

func (e *ErrDriverAborted) Error() string {
	if e.Reason != "" {
		return e.Reason
	}
	return "driver aborted"
}

// MesosSchedulerDriver connects a Scheduler with the leading Mesos master.
// It is safe for concurrent use.
type MesosSchedulerDriver struct {
	sched      Scheduler
	node       *actors.Node
	masterSpec string
	det        detector.Detector
	framework  *mesos.FrameworkInfo // filled copy; handed to the actor at Start
	uuids      protocol.UUIDs       // names the driver's actor
	log        *logrus.Entry
	life       *driverlife.Life
	// explicitAcks: the scheduler acknowledges updates itself.
	explicitAcks bool

	mu   sync.Mutex // guards pid and proc
	pid  actors.PID
	proc *process

	connected atomic.Bool
}

var (
	_ SchedulerDriver    = (*MesosSchedulerDriver)(nil)
	_ StatusAcknowledger = (*MesosSchedulerDriver)(nil)
)

// NewMesosSchedulerDriver checks config and builds a driver; nothing is sent
// until Start.
func NewMesosSchedulerDriver(config DriverConfig) (*MesosSchedulerDriver, error) {
	switch {
	case config.Scheduler == nil:
		return nil, errors.New("scheduler driver: Scheduler callbacks required")
	case config.Framework == nil:
		return nil, errors.New("scheduler driver: FrameworkInfo must be provided")
	case config.Master == "" && config.Detector == nil:
		return nil, errors.New("scheduler driver: missing master location (Master or Detector)")
	case config.Credential != nil && config.WithAuthContext == nil:
		return nil, errors.New("scheduler driver: WithAuthContext must be provided when Credential is set")
	}
	node := config.Node
	if node == nil {
		var err error
		if node, err = actors.Shared(); err != nil {
			return nil, fmt.Errorf("scheduler driver: starting the actor node: %w", err)
		}
	}
	framework := proto.Clone(config.Framework).(*mesos.FrameworkInfo)
	if err := fillFrameworkInfo(framework, config.HostnameOverride); err != nil {
		return nil, err
	}
	d := &MesosSchedulerDriver{
		sched:      config.Scheduler,
		node:       node,
		masterSpec: config.Master,
		det:        config.Detector,
		framework:  framework,
		uuids:      protocol.RandomUUIDs(),

		explicitAcks: config.ExplicitAcknowledgements,
	}
	d.life = driverlife.New(
		func(msg string) { d.sched.Error(d, msg) },
		func(msg string) error { return &ErrDriverAborted{Reason: msg} })
	d.log = node.Log().WithField("framework", framework.GetName())
	if id := framework.GetId().GetValue(); id != "" {
		d.log = d.log.WithField("framework_id", id)
	}
	if config.Credential != nil {
		d.log.Warn("authentication is not implemented yet; the driver will subscribe without authenticating")
	}
	return d, nil
}

// fillFrameworkInfo sets user and hostname when they are empty, as Mesos'
// driver does.
func fillFrameworkInfo(fw *mesos.FrameworkInfo, hostnameOverride string) error {
	if fw.GetUser() == "" {
		name := ""
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		if name == "" {
			name = os.Getenv("USER")
		}
		if name == "" {
			return errors.New("scheduler driver: FrameworkInfo.user is empty and the current user is unknown")
		}
		fw.User = proto.String(name)
	}
	if fw.Name == nil {
		fw.Name = proto.String("")
	}
	if fw.GetHostname() == "" {
		host := hostnameOverride
		if host == "" {
			host, _ = os.Hostname()
		}
		if host != "" {
			fw.Hostname = proto.String(host)
		}
	}
	return nil
}

// Status returns the driver's status.
func (d *MesosSchedulerDriver) Status() mesos.Status { return d.life.Status() }

// Running reports whether the status is DRIVER_RUNNING.
func (d *MesosSchedulerDriver) Running() bool {
	return d.Status() == mesos.Status_DRIVER_RUNNING
}

// Connected reports whether the framework is registered with the leading
// master.
func (d *MesosSchedulerDriver) Connected() bool {
	return d.connected.Load()
}

// PID returns the driver actor's PID (zero before Start).
func (d *MesosSchedulerDriver) PID() actors.PID {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pid
}

func (d *MesosSchedulerDriver) process() (actors.PID, *process) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pid, d.proc
}

// Start begins master detection and registration.
func (d *MesosSchedulerDriver) Start() (mesos.Status, error) {
	return d.life.Start(func() error {
		det := d.det
		if det == nil {
			var err error
			if det, err = detector.New(d.masterSpec); err != nil {
				msg := fmt.Sprintf("Failed to create a master detector for '%s': %v", d.masterSpec, err)
				d.log.WithError(err).WithField("master", d.masterSpec).Error("cannot create a master detector")
				return errors.New(msg)
			}
		}
		p := newProcess(d, det, d.framework)
		pid, err := d.node.Spawn("scheduler-"+d.uuids.NewUUID().String(), p)
		if err != nil {
			d.log.WithError(err).Error("cannot start the scheduler driver")
			return fmt.Errorf("Failed to start the scheduler driver: %v", err)
		}
		d.mu.Lock()
		d.pid, d.proc = pid, p
		d.mu.Unlock()
		d.log.WithField("pid", pid.String()).Info("scheduler driver started")
		return nil
	})
}

// Stop stops the driver; see SchedulerDriver.Stop.
func (d *MesosSchedulerDriver) Stop(failover bool) (mesos.Status, error) {
	return d.life.Stop(func() {
		d.log.WithField("failover", failover).Info("stopping the scheduler driver")
		pid, p := d.process()
		if p == nil || !d.node.Dispatch(pid, func() { p.stop(failover) }) {
			d.life.Callbacks.Close()
		}
	})
}

// Abort aborts the driver; see SchedulerDriver.Abort.
func (d *MesosSchedulerDriver) Abort() (mesos.Status, error) {
	return d.life.Abort(func() {
		d.log.Info("aborting the scheduler driver")
		if pid, p := d.process(); p != nil {
			d.node.Dispatch(pid, p.abort)
		}
	})
}

// Join blocks until the driver is stopped or aborted.
func (d *MesosSchedulerDriver) Join() (mesos.Status, error) {
	_, p := d.process()
	return d.life.Join(func() {
		if p != nil {
			// Let the actor send its last message (TEARDOWN) and terminate.
			driverlife.WaitAtMost(p.finished, joinStopWait)
		}
	})
}

// Run starts the driver and joins it.
func (d *MesosSchedulerDriver) Run() (mesos.Status, error) {
	return driverlife.Run(d.Start, d.Join)
}

// call runs f on the actor if the driver is running.
func (d *MesosSchedulerDriver) call(name string, f func(p *process)) (mesos.Status, error) {
	return d.life.Call(name, func() bool {
		pid, p := d.process()
		return d.node.Dispatch(pid, func() { f(p) })
	})
}

// RequestResources sends REQUEST.
func (d *MesosSchedulerDriver) RequestResources(requests []*mesos.Request) (mesos.Status, error) {
	requests = cloneAll(requests)
	return d.call("RequestResources", func(p *process) { p.apply(p.core.RequestResources(p.now(), requests)) })
}

// AcceptOffers sends ACCEPT; see SchedulerDriver.AcceptOffers.
func (d *MesosSchedulerDriver) AcceptOffers(offerIDs []*mesos.OfferID, operations []*mesos.Offer_Operation, filters *mesos.Filters) (mesos.Status, error) {
	for _, op := range operations {
		if op.GetId() != nil {
			return d.Status(), errors.New("Unable to AcceptOffers: an offer operation's 'id' field is set, " +
				"which the scheduler driver does not allow because it cannot handle operation status updates")
		}
	}
	// Copied here, as the scheduler may change them once this returns;
	// the core keeps the copies.
	offerIDs, operations, filters = cloneOfferIDs(offerIDs), cloneOperations(operations), cloneFilters(filters)
	return d.call("AcceptOffers", func(p *process) { p.apply(p.core.acceptOffers(p.now(), offerIDs, operations, filters, nil)) })
}

// LaunchTasks sends ACCEPT with one LAUNCH operation, or DECLINE when tasks
// is empty.
func (d *MesosSchedulerDriver) LaunchTasks(offerIDs []*mesos.OfferID, tasks []*mesos.TaskInfo, filters *mesos.Filters) (mesos.Status, error) {
	l := copyLaunch(offerIDs, tasks, filters, false) // the core keeps the copies
	return d.call("LaunchTasks", func(p *process) { p.apply(p.core.launch(p.now(), l)) })
}

// KillTask sends KILL (dropped while disconnected).
func (d *MesosSchedulerDriver) KillTask(taskID *mesos.TaskID) (mesos.Status, error) {
	if taskID == nil {
		return d.Status(), errors.New("Unable to KillTask: nil task ID")
	}
	taskID = cloneOne(taskID)
	return d.call("KillTask", func(p *process) { p.apply(p.core.KillTask(p.now(), taskID)) })
}

// DeclineOffer declines one offer.
func (d *MesosSchedulerDriver) DeclineOffer(offerID *mesos.OfferID, filters *mesos.Filters) (mesos.Status, error) {
	if offerID == nil {
		return d.Status(), errors.New("Unable to DeclineOffer: nil offer ID")
	}
	return d.LaunchTasks([]*mesos.OfferID{offerID}, nil, filters)
}

// ReviveOffers sends REVIVE.
func (d *MesosSchedulerDriver) ReviveOffers() (mesos.Status, error) {
	return d.call("ReviveOffers", func(p *process) { p.apply(p.core.ReviveOffers(p.now())) })
}

// SuppressOffers sends SUPPRESS: the master stops sending offers until
// ReviveOffers. While disconnected the request is remembered and sent with
// the next SUBSCRIBE. (Not part of mesos-go's v0 interface.)
func (d *MesosSchedulerDriver) SuppressOffers() (mesos.Status, error) {
	return d.call("SuppressOffers", func(p *process) { p.apply(p.core.SuppressOffers(p.now())) })
}

// SendFrameworkMessage sends data to an executor, best effort.
func (d *MesosSchedulerDriver) SendFrameworkMessage(executorID *mesos.ExecutorID, slaveID *mesos.SlaveID, data string) (mesos.Status, error) {
	if executorID == nil || slaveID == nil {
		return d.Status(), errors.New("Unable to SendFrameworkMessage: executor and agent IDs are required")
	}
	executorID, slaveID = cloneOne(executorID), cloneOne(slaveID)
	return d.call("SendFrameworkMessage", func(p *process) { p.apply(p.core.SendFrameworkMessage(p.now(), executorID, slaveID, data)) })
}

// AcknowledgeStatusUpdate sends ACKNOWLEDGE for a status the scheduler
// got, in a driver with explicit acknowledgements; see
// StatusAcknowledger.
func (d *MesosSchedulerDriver) AcknowledgeStatusUpdate(status *mesos.TaskStatus) (mesos.Status, error) {
	ack, err := checkAcknowledgement(d.explicitAcks, status)
	if err != nil {
		return d.Status(), err
	}
	if ack == nil {
		d.log.WithField("task_id", status.GetTaskId().GetValue()).
			Debug("not acknowledging a status update without a uuid")
	}
	return d.call("AcknowledgeStatusUpdate", func(p *process) {
		if ack != nil {
			p.apply(p.core.Acknowledge(p.now(), ack))
		}
	})
}

// ReconcileTasks sends RECONCILE.
func (d *MesosSchedulerDriver) ReconcileTasks(statuses []*mesos.TaskStatus) (mesos.Status, error) {
	statuses = cloneAll(statuses)
	return d.call("ReconcileTasks", func(p *process) { p.apply(p.core.ReconcileTasks(p.now(), statuses)) })
}

func cloneOne[M proto.Message](m M) M {
	var zero M
	if any(m) == any(zero) {
		return zero
	}
	return proto.Clone(m).(M)
}

func cloneAll[M proto.Message](ms []M) []M {
	if ms == nil {
		return nil
	}
	out := make([]M, 0, len(ms))
	for _, m := range ms {
		out = append(out, cloneOne(m))
	}
	return out
}
