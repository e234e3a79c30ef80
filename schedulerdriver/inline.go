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
	core  *Core
	sched Scheduler
	h     driverlife.Host[OnError, Callback]
}

var (
	_ effect.Core        = (*Inline)(nil)
	_ SchedulerDriver    = (*Inline)(nil)
	_ StatusAcknowledger = (*Inline)(nil)
	_ effect.Reuser      = (*Inline)(nil)
)

// NewInline returns a driver that has not started over core.
func NewInline(core *Core, s Scheduler) *Inline {
	h := &Inline{core: core, sched: s}
	h.h.Machine().AbortedError = func(msg string) error { return &ErrDriverAborted{Reason: msg} }
	h.h.Spent = core.out.Reuse
	return h
}

// ReuseEffects takes back a list of effects an event method returned,
// once the host applied it (see effect.Reuser).
func (h *Inline) ReuseEffects(l []effect.Effect) { h.core.out.Reuse(l) }

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
	return h.h.Event(now, f, func(cb effect.Effect) {
		switch cb := cb.(type) {
		case OnStatusUpdate:
			cb.Call(h.sched, h)
			if cb.Ack != nil && h.h.Running() {
				h.h.Take(h.core.Acknowledge(h.h.Now(), cb.Ack))
			}
		case Callback:
			cb.Call(h.sched, h)
		}
	})
}

// Start moves the driver to DRIVER_RUNNING; the host then feeds the core
// the detected master (Detected).
func (h *Inline) Start() (mesos.Status, error) { return h.h.Start(nil) }

// Stop stops the driver (see SchedulerDriver.Stop); its effects (TEARDOWN,
// Terminate) come with the current event, or with Take.
func (h *Inline) Stop(failover bool) (mesos.Status, error) {
	return h.h.Stop(func(now time.Time) []effect.Effect { return h.core.Stop(now, failover) })
}

// Abort aborts the driver (see SchedulerDriver.Abort).
func (h *Inline) Abort() (mesos.Status, error) { return h.h.Abort(h.core.Abort) }

// Join returns the status; it cannot wait on the host's goroutine.
func (h *Inline) Join() (mesos.Status, error) { return h.h.Join() }

// Run is Start followed by Join.
func (h *Inline) Run() (mesos.Status, error) { return driverlife.Run(h.Start, h.Join) }

// Status returns the driver's status.
func (h *Inline) Status() mesos.Status { return h.h.Status() }

// RequestResources: see SchedulerDriver.
func (h *Inline) RequestResources(requests []*mesos.Request) (mesos.Status, error) {
	return h.h.Request("RequestResources", func(now time.Time) []effect.Effect { return h.core.RequestResources(now, requests) })
}

// AcceptOffers: see SchedulerDriver.
func (h *Inline) AcceptOffers(offerIDs []*mesos.OfferID, operations []*mesos.Offer_Operation, filters *mesos.Filters) (mesos.Status, error) {
	for _, op := range operations {
		if op.GetId() != nil {
			return h.h.Status(), errors.New("Unable to AcceptOffers: an offer operation's 'id' field is set, " +
				"which the scheduler driver does not allow because it cannot handle operation status updates")
		}
	}
	return h.h.Request("AcceptOffers", func(now time.Time) []effect.Effect {
		return h.core.AcceptOffers(now, offerIDs, operations, filters)
	})
}

// LaunchTasks: see SchedulerDriver.
func (h *Inline) LaunchTasks(offerIDs []*mesos.OfferID, tasks []*mesos.TaskInfo, filters *mesos.Filters) (mesos.Status, error) {
	return h.h.Request("LaunchTasks", func(now time.Time) []effect.Effect { return h.core.LaunchTasks(now, offerIDs, tasks, filters) })
}

// KillTask: see SchedulerDriver.
func (h *Inline) KillTask(taskID *mesos.TaskID) (mesos.Status, error) {
	if taskID == nil {
		return h.h.Status(), errors.New("Unable to KillTask: nil task ID")
	}
	return h.h.Request("KillTask", func(now time.Time) []effect.Effect { return h.core.KillTask(now, taskID) })
}

// DeclineOffer: see SchedulerDriver.
func (h *Inline) DeclineOffer(offerID *mesos.OfferID, filters *mesos.Filters) (mesos.Status, error) {
	if offerID == nil {
		return h.h.Status(), errors.New("Unable to DeclineOffer: nil offer ID")
	}
	return h.LaunchTasks([]*mesos.OfferID{offerID}, nil, filters)
}

// ReviveOffers: see SchedulerDriver.
func (h *Inline) ReviveOffers() (mesos.Status, error) {
	return h.h.Request("ReviveOffers", h.core.ReviveOffers)
}

// SuppressOffers: see MesosSchedulerDriver.SuppressOffers.
func (h *Inline) SuppressOffers() (mesos.Status, error) {
	return h.h.Request("SuppressOffers", h.core.SuppressOffers)
}

// SendFrameworkMessage: see SchedulerDriver.
func (h *Inline) SendFrameworkMessage(executorID *mesos.ExecutorID, slaveID *mesos.SlaveID, data string) (mesos.Status, error) {
	if executorID == nil || slaveID == nil {
		return h.h.Status(), errors.New("Unable to SendFrameworkMessage: executor and agent IDs are required")
	}
	return h.h.Request("SendFrameworkMessage", func(now time.Time) []effect.Effect {
		return h.core.SendFrameworkMessage(now, executorID, slaveID, data)
	})
}

// AcknowledgeStatusUpdate: see StatusAcknowledger.
func (h *Inline) AcknowledgeStatusUpdate(status *mesos.TaskStatus) (mesos.Status, error) {
	ack, err := checkAcknowledgement(h.core.ExplicitAcknowledgements(), status)
	if err != nil {
		return h.h.Status(), err
	}
	return h.h.Request("AcknowledgeStatusUpdate", func(now time.Time) []effect.Effect {
		if ack == nil {
			return nil
		}
		return h.core.Acknowledge(now, ack)
	})
}

// ReconcileTasks: see SchedulerDriver.
func (h *Inline) ReconcileTasks(statuses []*mesos.TaskStatus) (mesos.Status, error) {
	return h.h.Request("ReconcileTasks", func(now time.Time) []effect.Effect { return h.core.ReconcileTasks(now, statuses) })
}
