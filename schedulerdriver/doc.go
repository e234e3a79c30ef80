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
// The driver is a pure Core inside a thin actor shell. Core (core.go) holds
// the whole protocol as plain state: it takes one event at a time with the
// current time (a message from a PID, a timer by its key, a broken link,
// an answer of the master detector, a request of the scheduler) and
// returns effects as data: messages to send, links, keyed timers, the
// Scheduler callbacks to run (OnRegistered, OnResourceOffers,
// OnStatusUpdate, ... one type per callback, each with a Call method), and
// Redetect, StopDetection and Terminate for the shell. Its randomness comes
// from an injected *rand.Rand; it reads no clock and starts no goroutine,
// so transcript tests and the simulator run it on a virtual clock.
//
// The shell (process.go) is an actor named "scheduler-<uuid>" on an
// actors.Node (by default the process-wide actors.Shared() node, so
// several drivers share one remoting endpoint). It runs the blocking
// detector.Detector on a goroutine and hands its answers to the core,
// arms the core's timers on the node's clock, and queues callback effects
// on the driver's callback goroutine. The driver's methods check the
// lifecycle (internal/driverlife) and dispatch the request to the actor.
//
// The core follows the leading master with detector.Follower: on every
// detection it links to the master and subscribes at once with a
// mesos.scheduler.Call SUBSCRIBE, retried on the timer
// detector.RegisterTimer with a random backoff (2 s bound, doubling, at
// most one minute and at most a tenth of the failover timeout, never zero)
// until the master answers. When the link to the master breaks and the
// detector stays silent, the timer RedetectTimer (2 s bound, doubling up
// to a minute) makes the shell detect the master again from scratch. Like
// Mesos' own driver it speaks the Call protocol towards the master (ACCEPT,
// DECLINE, KILL, ACKNOWLEDGE, RECONCILE, ...) and receives the legacy
// replies (FrameworkRegisteredMessage, ResourceOffersMessage,
// StatusUpdateMessage, ...), each accepted only from the leading master's
// PID.
//
// A host without actors (the simulator) wraps a Core and a Scheduler in an
// Inline: an effect.Core that is also the SchedulerDriver the callbacks
// get. It calls the callbacks in place after each event and hands what the
// scheduler asks for straight to the core, returning the sends, links,
// timers and shell effects for the host to apply. (A host may also drive
// a Core directly: call each Callback's Call and, after an OnStatusUpdate
// with Ack, Core.Acknowledge while the driver still runs.)
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
// Status updates are acknowledged implicitly by default: when StatusUpdate
// returns (and the driver is still running and connected) the driver sends
// ACKNOWLEDGE, but only for updates that carry a uuid (master- and
// driver-generated updates carry none). A driver built with
// DriverConfig.ExplicitAcknowledgements leaves that to the scheduler,
// which calls AcknowledgeStatusUpdate (StatusAcknowledger) once it has
// dealt with an update, for instance after writing it down; until then
// the agent keeps resending the update and holds the task's later ones
// back. The framework's FrameworkInfo is the same in both modes: Mesos
// has no capability for it. An acknowledgement made while disconnected is
// dropped; the agent's next retry brings the update again.
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
