// Package schedulerdriver is the framework side of gomesos: a scheduler
// driver shaped like mesos-go's v0 "scheduler" package, so that a legacy Go
// framework ports by changing its imports (mesosproto becomes
// github.com/gomesos/gomesos/messages/mesos).
//
// A framework implements Scheduler, builds a MesosSchedulerDriver from a
// DriverConfig and calls Run (or Start and Join):
//
//	driver, err := schedulerdriver.NewMesosSchedulerDriver(schedulerdriver.DriverConfig{
//		Scheduler: myScheduler,
//		Framework: &mesos.FrameworkInfo{Name: proto.String("example")},
//		Master:    "127.0.0.1:5050",
//	})
//	if err != nil { ... }
//	status, err := driver.Run()
//
// # How it works
//
// Each driver is an actor named "scheduler-<uuid>" on an actors.Node (by
// default the process-wide actors.Shared() node, so several drivers share one
// remoting endpoint). It finds the leading master through a detector.Detector,
// links to it and subscribes with a mesos.scheduler.Call SUBSCRIBE, retried
// with a random backoff (2 s factor, doubling, at most one minute and at most
// a tenth of the failover timeout, never zero) until the master answers. Like
// Mesos' own driver it speaks the Call protocol towards the master (ACCEPT,
// DECLINE, KILL, ACKNOWLEDGE, RECONCILE, ...) and receives the legacy replies
// (FrameworkRegisteredMessage, ResourceOffersMessage, StatusUpdateMessage,
// ...), each accepted only from the leading master's PID.
//
// # Callbacks
//
// Scheduler callbacks run one at a time, in the order the driver received
// the events, on a goroutine of their own (never on the actor's goroutine).
// Driver methods never wait for that goroutine, so a callback may call any
// driver method, Stop and Abort included, without deadlocking. Once the
// driver is stopped or aborted, callbacks that were queued but not yet
// started are dropped, except Error, which is delivered after the driver has
// been aborted. Join waits for the driver to stop or abort, not for the
// callback goroutine: do not call Join from inside a callback.
//
// Status updates are acknowledged implicitly: when StatusUpdate returns (and
// the driver is still running and connected) the driver sends ACKNOWLEDGE,
// but only for updates that carry a uuid (master- and driver-generated
// updates carry none).
//
// # Differences from mesos-go
//
// DriverConfig has no NewMessenger or NewDetector; instead Node and Detector
// may be supplied. Authentication is not implemented yet: a Credential is
// accepted (it must come with WithAuthContext, as in mesos-go) but the driver
// subscribes without authenticating. BindingAddress, BindingPort and
// PublishedAddress are kept for source compatibility; a node's address comes
// from DriverConfig.Node or from LIBPROCESS_IP, LIBPROCESS_PORT and
// LIBPROCESS_ADVERTISE_IP.
package schedulerdriver
