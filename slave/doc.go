// Package slave is the Mesos agent ("slave"): the actor that registers with
// the leading master, runs the tasks it is sent in containers, and reliably
// reports their status.
//
// The agent is one actor (id "slave(1)" by default) whose state — its
// registration, frameworks, executors and tasks — belongs to its goroutine.
// Everything that blocks runs elsewhere and comes back as a Dispatch:
// master detection (package detector), the launch step of each task
// (creating the framework's sandbox folder), and every containerizer call.
//
// Registration: the agent asks the detector for the leader, waits a random
// part of --registration_backoff_factor, and sends RegisterSlaveMessage (or
// ReregisterSlaveMessage once it has an id), retrying with a doubling
// backoff capped at one minute until the master answers. Only the detected
// master's answers count. Pings are answered with pongs; no ping for
// total_ping_timeout_seconds (75 s by default), a ping saying the master
// thinks the agent disconnected, or the master's exit while registered make
// the agent re-detect and reregister.
//
// Tasks: RunTaskMessage makes the task pending; launches for one executor
// are serialised in arrival order. A command task gets the command executor
// (<launcher_dir>/mesos-executor, 0.1 cpus and 32 MB). A new executor gets a
// container id and the sandbox
// <work_dir>/slaves/<agent>/frameworks/<fw>/executors/<ex>/runs/<container>,
// and its tasks wait in a queue until it registers (or is destroyed after
// --executor_registration_timeout). Kills, shutdowns and framework messages
// follow Mesos; see run.go.
//
// Message tracing: with Config.TraceExecutors (mesos-agent and mesos-local
// set it with --trace_file), every executor gets GOMESOS_TRACE_FILE=
// <sandbox>/trace.jsonl in its environment, a trace file of its own that
// the executor driver writes (and GOMESOS_TRACE_PAYLOADS=1 with
// --trace_payloads); see package tracing.
//
// Status updates from executors and from the agent itself go through the
// status update manager (package slave/statusupdate): one stream per task,
// the head forwarded to the master and retried from 10 s doubling to 10 min
// until the master acknowledges it; the executor is acknowledged as soon as
// the manager has taken the update. Nothing is checkpointed to disk yet.
//
// The HTTP side (Handler) serves /state (Mesos' agent state), /health and
// /flags; /state is a snapshot taken on the actor's goroutine.
package slave
