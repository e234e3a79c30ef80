// Package executordriver is the executor side of gomesos: an executor
// driver shaped like mesos-go's v0 "executor" package, so that a legacy Go
// executor ports by changing its imports.
//
// An agent starts an executor with MESOS_SLAVE_PID, MESOS_FRAMEWORK_ID,
// MESOS_EXECUTOR_ID, MESOS_SLAVE_ID, MESOS_DIRECTORY, MESOS_CHECKPOINT,
// MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD and (with checkpointing)
// MESOS_RECOVERY_TIMEOUT in its environment. The executor implements
// Executor, builds a MesosExecutorDriver and calls Run:
//
//	driver, err := executordriver.NewMesosExecutorDriver(executordriver.DriverConfig{Executor: myExecutor})
//	if err != nil { ... }
//	status, err := driver.Run()
//
// # How it works
//
// The driver is a pure Core inside a thin actor shell. Core (core.go) holds
// the protocol with the agent as plain state: it takes one event at a time
// with the current time (a message from a PID, a timer by its key, a broken
// link, a request of the executor) and returns effects as data: messages to
// send, links, keyed timers, the Executor callbacks to run (OnRegistered,
// OnLaunchTask, OnShutdown, ... one type per callback, each with a Call
// method), and SelfKill and Terminate for the shell. Status update uuids
// come from an injected protocol.UUIDs; the core reads no clock and starts
// no goroutine, so the simulator can run it on a virtual clock.
//
// The shell (process.go) is an actor named "executor(N)" on an actors.Node
// (by default a node of its own, configured from LIBPROCESS_IP,
// LIBPROCESS_PORT and LIBPROCESS_ADVERTISE_IP). It arms the core's timers on
// the node's clock and queues callback effects on the driver's callback
// goroutine; the driver's methods check the lifecycle (internal/driverlife)
// and dispatch the request to the actor.
//
// The core links to the agent and registers with RegisterExecutorMessage.
// SendStatusUpdate wraps a TaskStatus in a StatusUpdate carrying a fresh
// uuid; the core keeps every update and every launched task until the
// agent acknowledges the update, and hands them back to a restarted agent
// when it asks the executor to reconnect. Its one timer, RecoveryTimer,
// runs while a checkpointing executor waits for its agent to come back.
//
// On ShutdownExecutorMessage the driver calls Shutdown, stops accepting
// messages, and stops once the callback returns, as mesos-go's driver does
// (OnShutdown), so that Join returns: an executor sends its last updates
// from inside Shutdown. Unless it runs in local mode it also arms a killer
// (SelfKill) that SIGKILLs the executor's process group (the process alone
// if it does not lead its group) after the shutdown grace period, as Mesos
// does. If the link to the agent breaks, a checkpointing executor waits
// MESOS_RECOVERY_TIMEOUT for the agent to come back; otherwise (or when
// that time runs out) it shuts down and the driver stops.
//
// Local mode (no self-kill) is on when DriverConfig.Getenv is set, or when
// MESOS_LOCAL is set.
//
// A host without actors (the simulator) wraps a Core and an Executor in an
// Inline: an effect.Core that is also the ExecutorDriver the callbacks
// get. It calls the callbacks in place after each event and hands what the
// executor asks for straight to the core, returning the sends, links,
// timers, SelfKill and Terminate for the host to apply.
//
// # Message tracing
//
// When the agent traces, it sets GOMESOS_TRACE_FILE to a file in the
// executor's sandbox (and GOMESOS_TRACE_PAYLOADS=1 for payloads): a driver
// on a node of its own then traces every message of that node into it
// (see package tracing), flushes it before Join returns and before a
// self-kill, and removes the variables from its environment so that the
// executor's tasks do not write the same file.
//
// # Callbacks
//
// Executor callbacks run one at a time, in order, on a goroutine of their
// own. Driver methods never wait for that goroutine, so a callback may call
// any driver method (Stop included) without deadlocking. Callbacks queued
// but not yet started when the driver stops or aborts are dropped, except
// Error, which runs after the driver has been aborted.
package executordriver
