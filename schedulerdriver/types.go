package schedulerdriver

import (
	"context"
	"net"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/messages/mesos"
)

// SchedulerDriver is what a Scheduler uses to talk to Mesos. Every method
// other than Start, Stop, Abort, Join and Run does nothing unless the driver
// is running, and returns the driver's status.
type SchedulerDriver interface {
	// Start starts the driver: it begins detecting the leading master and
	// registering with it. It returns DRIVER_RUNNING, or DRIVER_ABORTED
	// (after queueing the Error callback) if the master address is invalid.
	Start() (mesos.Status, error)

	// Stop stops the driver. With failover false the framework is torn down
	// (TEARDOWN is sent if connected, and Mesos kills its tasks); with
	// failover true nothing is sent and the tasks survive for the
	// framework's failover_timeout, so that a new scheduler can take over.
	// A driver that was aborted returns DRIVER_ABORTED.
	Stop(failover bool) (mesos.Status, error)

	// Abort stops callbacks and deactivates the framework (the master stops
	// sending offers) without unregistering it. Stop may be called later.
	Abort() (mesos.Status, error)

	// Join blocks until the driver is stopped or aborted and returns that
	// status.
	Join() (mesos.Status, error)

	// Run is Start followed by Join.
	Run() (mesos.Status, error)

	// RequestResources asks for resources (ignored by the built-in
	// allocator).
	RequestResources(requests []*mesos.Request) (mesos.Status, error)

	// AcceptOffers applies operations to offers from one agent. Resources
	// not used are declined with filters (nil: Mesos' default of 5 s).
	// While disconnected, every task of a LAUNCH operation is reported
	// TASK_LOST (TASK_DROPPED for partition-aware frameworks) with
	// REASON_MASTER_DISCONNECTED.
	AcceptOffers(offerIDs []*mesos.OfferID, operations []*mesos.Offer_Operation, filters *mesos.Filters) (mesos.Status, error)

	// LaunchTasks launches tasks on offers from one agent; it is
	// AcceptOffers with one LAUNCH operation. With no tasks it declines the
	// offers.
	LaunchTasks(offerIDs []*mesos.OfferID, tasks []*mesos.TaskInfo, filters *mesos.Filters) (mesos.Status, error)

	// KillTask asks Mesos to kill a task. Kills are not reliable: one made
	// while disconnected is dropped.
	KillTask(taskID *mesos.TaskID) (mesos.Status, error)

	// DeclineOffer declines an offer; it is LaunchTasks with no tasks.
	DeclineOffer(offerID *mesos.OfferID, filters *mesos.Filters) (mesos.Status, error)

	// ReviveOffers removes every offer filter the framework set, and stops
	// suppressing offers.
	ReviveOffers() (mesos.Status, error)

	// SendFrameworkMessage sends data to an executor, best effort: directly
	// to its agent when the driver knows the agent's PID, else through the
	// master.
	SendFrameworkMessage(executorID *mesos.ExecutorID, slaveID *mesos.SlaveID, data string) (mesos.Status, error)

	// ReconcileTasks asks the master for the latest state of the given
	// tasks (only task_id and slave_id are read), or of every task it knows
	// for the framework when statuses is empty.
	ReconcileTasks(statuses []*mesos.TaskStatus) (mesos.Status, error)
}

// Scheduler is implemented by frameworks. Callbacks run one at a time on
// the driver's callback goroutine; see the package documentation.
type Scheduler interface {
	// Registered is called when the framework has registered with a
	// master: the first time, after a scheduler failover, and after a
	// master failover.
	Registered(SchedulerDriver, *mesos.FrameworkID, *mesos.MasterInfo)

	// Reregistered is called when the framework re-registered with the
	// same master without failing over (e.g. after a detection blip).
	Reregistered(SchedulerDriver, *mesos.MasterInfo)

	// Disconnected is called when the driver loses the leading master.
	Disconnected(SchedulerDriver)

	// ResourceOffers delivers offers; each offer is one agent and one role.
	ResourceOffers(SchedulerDriver, []*mesos.Offer)

	// OfferRescinded is called when an offer is no longer valid.
	OfferRescinded(SchedulerDriver, *mesos.OfferID)

	// StatusUpdate delivers a task status. Returning from it acknowledges
	// the update, unless the driver was built with explicit
	// acknowledgements (see StatusAcknowledger).
	StatusUpdate(SchedulerDriver, *mesos.TaskStatus)

	// FrameworkMessage delivers data an executor sent (best effort).
	FrameworkMessage(SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, string)

	// SlaveLost is called when an agent is removed or unreachable (best
	// effort).
	SlaveLost(SchedulerDriver, *mesos.SlaveID)

	// ExecutorLost is called when a custom executor exited with the given
	// status (best effort).
	ExecutorLost(SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, int)

	// Error reports an unrecoverable error; the driver has been aborted
	// before it is called.
	Error(SchedulerDriver, string)
}

// StatusAcknowledger is the explicit acknowledgement of status updates,
// Mesos' acknowledgeStatusUpdate. MesosSchedulerDriver and Inline
// implement it; it is not part of SchedulerDriver, which keeps mesos-go's
// method set, so a callback reaches it with a type assertion:
//
//	d.(schedulerdriver.StatusAcknowledger).AcknowledgeStatusUpdate(status)
type StatusAcknowledger interface {
	// AcknowledgeStatusUpdate acknowledges a status the scheduler got
	// through StatusUpdate, once it has dealt with it (say, recorded it):
	// the agent resends an update, every 10 s at first, until it is
	// acknowledged, and holds the task's later updates back until then.
	// It may be called from inside StatusUpdate or later, from any
	// goroutine. Only a driver built with
	// DriverConfig.ExplicitAcknowledgements accepts it; a driver that
	// acknowledges implicitly returns an error and sends nothing.
	//
	// A status without a uuid (an update made by the master or the
	// driver, a reconciliation answer) needs no acknowledgement: nothing
	// is sent and no error returned, as in Mesos. A status with a uuid
	// must carry its task_id and slave_id, and a 16-byte uuid, as the
	// driver delivered it; otherwise an error is returned. While the
	// driver is disconnected the acknowledgement is dropped (logged): the
	// agent resends the update, which comes again after the driver
	// re-registers, to be acknowledged then. Like the other requests it
	// returns the driver's status, with an error unless it runs.
	AcknowledgeStatusUpdate(status *mesos.TaskStatus) (mesos.Status, error)
}

// DriverConfig configures a MesosSchedulerDriver.
type DriverConfig struct {
	Scheduler Scheduler
	Framework *mesos.FrameworkInfo
	// Master is "host:port" (the master's HTTP address), "master@host:port",
	// "file:///path" or "zk://host:port,.../path"; see package
	// detector. Not needed when Detector is set.
	Master string
	// Credential is optional; authentication is not implemented yet.
	Credential *mesos.Credential
	// WithAuthContext is required when Credential is set.
	WithAuthContext func(context.Context) context.Context
	// HostnameOverride fills FrameworkInfo.hostname when it is empty.
	HostnameOverride string
	// BindingAddress, BindingPort and PublishedAddress are kept for source
	// compatibility with mesos-go; see the package documentation.
	BindingAddress   net.IP
	BindingPort      uint16
	PublishedAddress net.IP

	// Node is the actor node the driver lives on; default actors.Shared().
	Node *actors.Node
	// Detector finds the leading master; default detector.New(Master).
	Detector detector.Detector
	// ExplicitAcknowledgements makes the scheduler acknowledge status
	// updates itself through AcknowledgeStatusUpdate (Mesos' driver
	// constructed with implicitAcknowledgements=false). By default the
	// driver acknowledges each update when StatusUpdate returns. It is a
	// mode of the driver only: FrameworkInfo does not change.
	ExplicitAcknowledgements bool
}
