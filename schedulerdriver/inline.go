package schedulerdriver

import (
	"errors"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/internal/driverlife"
	"github.com/gomesos/gomesos/messages/mesos"
)

// Inline runs a Scheduler over a Core on the caller's goroutine, for hosts
// without actors (the simulator, transcript tests). It is an effect.Core
// for the host and the SchedulerDriver the scheduler's callbacks get. It
// treats each event as the actor shell does: the core's effects are
// applied first (returned to the host: sends, links, timers, Redetect,
// StopDetection, Terminate), then the callback effects are called in
// place, in order; what the scheduler asks for inside them, and the
// implicit acknowledgements, go to the Core at once, their effects joining
// the event's.
//
// Join and Run cannot wait on one goroutine: they return the status, with
// an error while the driver runs. Not safe for concurrent use.
type Inline struct {
	core    *Core
	sched   Scheduler
	m       driverlife.Machine
	now     time.Time
	pending driverlife.Pending
}

var (
	_ effect.Core        = (*Inline)(nil)
	_ SchedulerDriver    = (*Inline)(nil)
	_ StatusAcknowledger = (*Inline)(nil)
)

// NewInline returns a driver that has not started over core.
func NewInline(core *Core, s Scheduler) *Inline {
	h := &Inline{core: core, sched: s}
	h.m.AbortedError = func(msg string) error { return &ErrDriverAborted{Reason: msg} }
	return h
}

// Core is the driver's core (for queries such as Connected).
func (h *Inline) Core() *Core { return h.core }

// Receive hands a message to the core while the driver runs.
func (h *Inline) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	return h.event(now, func() []effect.Effect { return h.core.Receive(now, from, msg) })
}

// Timer hands a timer to the core while the driver runs.
func (h *Inline) Timer(now time.Time, key string) []effect.Effect {
	return h.event(now, func() []effect.Effect { return h.core.Timer(now, key) })
}

// Exited hands a broken link to the core while the driver runs.
func (h *Inline) Exited(now time.Time, pid actors.PID) []effect.Effect {
	return h.event(now, func() []effect.Effect { return h.core.Exited(now, pid) })
}

// Detected hands the detector's answer to the core while the driver runs.
func (h *Inline) Detected(now time.Time, info *mesos.MasterInfo) []effect.Effect {
	return h.event(now, func() []effect.Effect { return h.core.Detected(now, info) })
}

// DetectionFailed hands the detector's failure to the core while the
// driver runs.
func (h *Inline) DetectionFailed(now time.Time, err error) []effect.Effect {
	return h.event(now, func() []effect.Effect { return h.core.DetectionFailed(now, err) })
}

// Take runs the callbacks and returns the effects of driver calls made
// outside any event (by the host on the scheduler's behalf) at time now.
func (h *Inline) Take(now time.Time) []effect.Effect {
	return h.event(now, nil)
}

func (h *Inline) event(now time.Time, f func() []effect.Effect) []effect.Effect {
	h.now = now
	if f != nil && h.m.Running() {
		h.take(f())
	}
	for {
		cb, ok := h.pending.Next()
		if !ok {
			break
		}
		switch cb := cb.(type) {
		case OnError:
			cb.Call(h.sched, h) // the driver is aborted already
		case OnStatusUpdate:
			if h.m.Running() {
				cb.Call(h.sched, h)
				if cb.Ack != nil && h.m.Running() {
					h.take(h.core.Acknowledge(h.now, cb.Ack))
				}
			}
		case Callback:
			if h.m.Running() {
				cb.Call(h.sched, h)
			}
		}
	}
	return h.pending.Out()
}

// take applies a batch of the core's effects as the shell does.
func (h *Inline) take(effects []effect.Effect) {
	driverlife.Take[OnError, Callback](&h.pending, &h.m, effects)
}

// request runs a request of the scheduler if the driver runs; its effects
// are applied after the current callback.
func (h *Inline) request(name string, f func(now time.Time) []effect.Effect) (mesos.Status, error) {
	if err := h.m.Request(name); err != nil {
		return h.m.Status(), err
	}
	h.take(f(h.now))
	return h.m.Status(), nil
}

// Start moves the driver to DRIVER_RUNNING; the host then feeds the core
// the detected master (Detected).
func (h *Inline) Start() (mesos.Status, error) {
	if err := h.m.Start(); err != nil {
		return h.m.Status(), err
	}
	return h.m.Status(), nil
}

// Stop stops the driver (see SchedulerDriver.Stop); its effects (TEARDOWN,
// Terminate) come with the current event, or with Take.
func (h *Inline) Stop(failover bool) (mesos.Status, error) {
	st, err := h.m.Stop()
	if err != nil {
		return st, err
	}
	h.take(h.core.Stop(h.now, failover))
	return st, nil
}

// Abort aborts the driver (see SchedulerDriver.Abort).
func (h *Inline) Abort() (mesos.Status, error) {
	if err := h.m.Abort(); err != nil {
		return h.m.Status(), err
	}
	h.take(h.core.Abort(h.now))
	return h.m.Status(), nil
}

// Join returns the status; it cannot wait on the host's goroutine.
func (h *Inline) Join() (mesos.Status, error) {
	return h.m.JoinNow()
}

// Run is Start followed by Join.
func (h *Inline) Run() (mesos.Status, error) {
	return driverlife.Run(h.Start, h.Join)
}

// Status returns the driver's status.
func (h *Inline) Status() mesos.Status { return h.m.Status() }

// RequestResources: see SchedulerDriver.
func (h *Inline) RequestResources(requests []*mesos.Request) (mesos.Status, error) {
	return h.request("RequestResources", func(now time.Time) []effect.Effect { return h.core.RequestResources(now, requests) })
}

// AcceptOffers: see SchedulerDriver.
func (h *Inline) AcceptOffers(offerIDs []*mesos.OfferID, operations []*mesos.Offer_Operation, filters *mesos.Filters) (mesos.Status, error) {
	for _, op := range operations {
		if op.GetId() != nil {
			return h.m.Status(), errors.New("Unable to AcceptOffers: an offer operation's 'id' field is set, " +
				"which the scheduler driver does not allow because it cannot handle operation status updates")
		}
	}
	return h.request("AcceptOffers", func(now time.Time) []effect.Effect {
		return h.core.AcceptOffers(now, offerIDs, operations, filters)
	})
}

// LaunchTasks: see SchedulerDriver.
func (h *Inline) LaunchTasks(offerIDs []*mesos.OfferID, tasks []*mesos.TaskInfo, filters *mesos.Filters) (mesos.Status, error) {
	return h.request("LaunchTasks", func(now time.Time) []effect.Effect { return h.core.LaunchTasks(now, offerIDs, tasks, filters) })
}

// KillTask: see SchedulerDriver.
func (h *Inline) KillTask(taskID *mesos.TaskID) (mesos.Status, error) {
	if taskID == nil {
		return h.m.Status(), errors.New("Unable to KillTask: nil task ID")
	}
	return h.request("KillTask", func(now time.Time) []effect.Effect { return h.core.KillTask(now, taskID) })
}

// DeclineOffer: see SchedulerDriver.
func (h *Inline) DeclineOffer(offerID *mesos.OfferID, filters *mesos.Filters) (mesos.Status, error) {
	if offerID == nil {
		return h.m.Status(), errors.New("Unable to DeclineOffer: nil offer ID")
	}
	return h.LaunchTasks([]*mesos.OfferID{offerID}, nil, filters)
}

// ReviveOffers: see SchedulerDriver.
func (h *Inline) ReviveOffers() (mesos.Status, error) {
	return h.request("ReviveOffers", h.core.ReviveOffers)
}

// SuppressOffers: see MesosSchedulerDriver.SuppressOffers.
func (h *Inline) SuppressOffers() (mesos.Status, error) {
	return h.request("SuppressOffers", h.core.SuppressOffers)
}

// SendFrameworkMessage: see SchedulerDriver.
func (h *Inline) SendFrameworkMessage(executorID *mesos.ExecutorID, slaveID *mesos.SlaveID, data string) (mesos.Status, error) {
	if executorID == nil || slaveID == nil {
		return h.m.Status(), errors.New("Unable to SendFrameworkMessage: executor and agent IDs are required")
	}
	return h.request("SendFrameworkMessage", func(now time.Time) []effect.Effect {
		return h.core.SendFrameworkMessage(now, executorID, slaveID, data)
	})
}

// AcknowledgeStatusUpdate: see StatusAcknowledger.
func (h *Inline) AcknowledgeStatusUpdate(status *mesos.TaskStatus) (mesos.Status, error) {
	ack, err := checkAcknowledgement(h.core.ExplicitAcknowledgements(), status)
	if err != nil {
		return h.m.Status(), err
	}
	return h.request("AcknowledgeStatusUpdate", func(now time.Time) []effect.Effect {
		if ack == nil {
			return nil
		}
		return h.core.Acknowledge(now, ack)
	})
}

// ReconcileTasks: see SchedulerDriver.
func (h *Inline) ReconcileTasks(statuses []*mesos.TaskStatus) (mesos.Status, error) {
	return h.request("ReconcileTasks", func(now time.Time) []effect.Effect { return h.core.ReconcileTasks(now, statuses) })
}
