package schedulerdriver

import (
	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/internal/callbacks"
	"github.com/gomesos/gomesos/messages/mesos"
	schedpb "github.com/gomesos/gomesos/messages/scheduler"
)

// Callback is an effect of a Core that calls the user's Scheduler. The
// driver queues it on its callback goroutine; a single-threaded host (the
// simulator) may call it in place.
type Callback interface {
	Call(s Scheduler, d SchedulerDriver)
}

// OnRegistered calls Scheduler.Registered.
type OnRegistered struct {
	FrameworkID *mesos.FrameworkID
	MasterInfo  *mesos.MasterInfo
}

// OnReregistered calls Scheduler.Reregistered.
type OnReregistered struct{ MasterInfo *mesos.MasterInfo }

// OnDisconnected calls Scheduler.Disconnected.
type OnDisconnected struct{}

// OnResourceOffers calls Scheduler.ResourceOffers.
type OnResourceOffers struct{ Offers []*mesos.Offer }

// OnOfferRescinded calls Scheduler.OfferRescinded.
type OnOfferRescinded struct{ OfferID *mesos.OfferID }

// OnStatusUpdate calls Scheduler.StatusUpdate. When Ack is set, the host
// passes it to Core.Acknowledge after the callback returned, if the driver
// still runs (implicit acknowledgement). With explicit acknowledgements
// Ack is never set: the scheduler calls AcknowledgeStatusUpdate.
type OnStatusUpdate struct {
	Status *mesos.TaskStatus
	Ack    *schedpb.Call_Acknowledge
}

// OnFrameworkMessage calls Scheduler.FrameworkMessage.
type OnFrameworkMessage struct {
	ExecutorID *mesos.ExecutorID
	SlaveID    *mesos.SlaveID
	Data       string
}

// OnSlaveLost calls Scheduler.SlaveLost.
type OnSlaveLost struct{ SlaveID *mesos.SlaveID }

// OnExecutorLost calls Scheduler.ExecutorLost.
type OnExecutorLost struct {
	ExecutorID *mesos.ExecutorID
	SlaveID    *mesos.SlaveID
	Status     int
}

// OnError calls Scheduler.Error. The core has aborted itself: the host
// moves the driver to DRIVER_ABORTED first and, if the driver was no
// longer running, drops OnError and the effects after it. Unlike the
// others it runs even though the driver no longer runs.
type OnError struct{ Message string }

func (e OnRegistered) Call(s Scheduler, d SchedulerDriver) {
	s.Registered(d, e.FrameworkID, e.MasterInfo)
}
func (e OnReregistered) Call(s Scheduler, d SchedulerDriver)   { s.Reregistered(d, e.MasterInfo) }
func (OnDisconnected) Call(s Scheduler, d SchedulerDriver)     { s.Disconnected(d) }
func (e OnResourceOffers) Call(s Scheduler, d SchedulerDriver) { s.ResourceOffers(d, e.Offers) }
func (e OnOfferRescinded) Call(s Scheduler, d SchedulerDriver) { s.OfferRescinded(d, e.OfferID) }
func (e OnStatusUpdate) Call(s Scheduler, d SchedulerDriver)   { s.StatusUpdate(d, e.Status) }
func (e OnFrameworkMessage) Call(s Scheduler, d SchedulerDriver) {
	s.FrameworkMessage(d, e.ExecutorID, e.SlaveID, e.Data)
}
func (e OnSlaveLost) Call(s Scheduler, d SchedulerDriver) { s.SlaveLost(d, e.SlaveID) }
func (e OnExecutorLost) Call(s Scheduler, d SchedulerDriver) {
	s.ExecutorLost(d, e.ExecutorID, e.SlaveID, e.Status)
}
func (e OnError) Call(s Scheduler, d SchedulerDriver) { s.Error(d, e.Message) }

// Redetect asks the shell to detect the leading master again from scratch
// (RedetectTimer fired while the driver stayed disconnected).
type Redetect struct{}

// StopDetection asks the shell to stop detecting the master (the driver
// stops or aborts).
type StopDetection struct{}

// Terminate ends the driver's actor. When Flush is set, the shell first
// waits (boundedly) until what was sent to Flush has left the node, so
// that a process exiting right after Stop(false) does not lose TEARDOWN.
type Terminate struct{ Flush actors.PID }

// Callbacks run one at a time, in order, on a goroutine of their own.
type callback = callbacks.Item
