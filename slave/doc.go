// Package slave is the Mesos agent ("slave"): the actor that registers with
// the leading master, runs the tasks it is sent in containers, and reliably
// reports their status.
//
// # Core and shell
//
// The agent is a pure Core (core.go, registration.go, run.go, updates.go,
// state.go) inside a thin actor shell (process.go), as the allocator is.
// The core owns the registration, frameworks, executors, tasks and the
// status update manager (package slave/statusupdate); it takes one event at
// a time with the current time and returns effects as data:
//
//	events:  Receive(now, from, msg)   every message the agent handles (Messages)
//	         Timer(now, key)           a keyed timer fired
//	         Exited(now, pid)          a linked peer went away
//	         Detected(now, info)       the detector named the leader (nil: none)
//	         SandboxPrepared(now, PrepareSandbox, err)
//	         ContainerLaunched(now, id, err)
//	         ContainerExited(now, id, termination, err)
//	         ContainerUpdated(now, UpdateContainer, err)
//	         ContainerDestroyed(now, id, err)
//	         ContainerLimitation(now, id, termination)
//	         Started(now), Recover(now, state), ContainersRecovered(now, err)
//	         Terminate(now), Exit(now), Shutdown(now, why)
//	effects: effect.Send, Link, Unlink, StartTimer, CancelTimer, and
//	         PrepareSandbox, LaunchContainer, WaitContainer, UpdateContainer,
//	         DestroyContainer, CheckLimitation, Redetect, RecoverContainers,
//	         RecoveryCleanupDone, and the disk effects Checkpoint,
//	         CheckpointAppend, CheckpointLink, CheckpointRemove (effects.go)
//
// Ids, uuids and random draws come from Deps. The shell installs a handler
// per message type, runs timers by key on the node's clock, runs the
// detector and every container and sandbox operation off the mailbox (one
// helper, offMailbox) and feeds each result back as the event above.
// Results for a container the core no longer knows, or is destroying, are
// ignored: its tasks are accounted for when its end arrives.
//
// Timer keys: "register" (detector.RegisterTimer, the registration
// retry), "ping" (no ping from the master in time), "update/<framework>/
// <task>" (resend the head of a status update stream),
// "executor-reregistration" (recovered executors had their time to
// reregister), "executor-reconnect" (resend ReconnectExecutorMessage,
// --executor_reregistration_retry_interval),
// "executor-registration/<container>" (the executor did not register in
// --executor_registration_timeout), "executor-shutdown/<container>" (the
// executor outlived its shutdown grace period) and
// "executor-exit/<container>" (an ended container's registered executor
// sent no Exited within 5 s).
//
// # Behaviour
//
// Registration: the shell asks the detector for the leader; the core waits
// a random part of --registration_backoff_factor (detector.Follower) and
// sends RegisterSlaveMessage (or ReregisterSlaveMessage once it has an id),
// retrying with a doubling backoff capped at one minute until the master
// answers. Only the detected master's answers count. Pings are answered
// with pongs; no ping for total_ping_timeout_seconds (75 s by default), a
// ping saying the master thinks the agent disconnected, or the master's
// exit while registered make the agent re-detect and reregister.
//
// Tasks: RunTaskMessage makes the task pending; launches for one executor
// are serialised in arrival order behind the creation of the framework's
// sandbox folder. A command task gets the command executor
// (<launcher_dir>/mesos-executor, resolved when the agent is built; 0.1
// cpus and 32 MB). A new executor gets a container id and the sandbox
// <work_dir>/slaves/<agent>/frameworks/<fw>/executors/<ex>/runs/<container>,
// and its tasks wait in a queue until it registers (or is destroyed after
// --executor_registration_timeout); the container is grown to the tasks'
// resources before they are sent. At most Config.MaxLaunchesInFlight
// executors start at once (launched, not yet registered or ended); later
// launches wait in order, and their registration timeout starts when they
// do. Kills, shutdowns and framework messages follow Mesos; see run.go.
//
// Hosted command executors (Config.CommandExecutor = "agent",
// --command_executor=agent): the container of a command task runs the
// task's own command (LaunchContainer.Hosted), and the shell (hosted.go)
// hosts its executor: package executordriver/command over an executor
// driver whose actor lives on the agent's node, registering, reporting and
// exiting as an executor process would; the core sees no difference but
// that it sends the task without growing the container (it started with
// the task's resources). The shell reports the container's end to the
// core only once its hosted executor has stopped (after its terminal
// update was acknowledged), as an executor process outlives its task.
// A checkpointing framework's run carries hosted.marker: after a restart
// the core asks the shell to host the executor again (StartHostedExecutor)
// for the recovered task, which reregisters by itself; the tasks of other
// frameworks are killed at start-up from the pids kept while they run
// (transientPIDDir).
//
// Executor end: a container's end can overtake the last status updates its
// executor sent. If the executor registered (it is linked) and still has
// unfinished tasks, the core holds the end back until the link's Exited
// (which comes after every message the executor sent), until its tasks
// have ended, or for at most 5 s; only then do the unfinished tasks fail
// (TASK_FAILED, REASON_EXECUTOR_TERMINATED) and the master get
// ExitedExecutorMessage. An executor that never registered ends at once.
//
// Message tracing: with Config.TraceExecutors (mesos-agent and mesos-local
// set it with --trace_file), every executor gets GOMESOS_TRACE_FILE=
// <sandbox>/trace.jsonl in its environment, a trace file of its own that
// the executor driver writes (and GOMESOS_TRACE_PAYLOADS=1 with
// --trace_payloads); see package tracing.
//
// Status updates from executors and from the agent itself go through the
// status update manager: one stream per task, the head forwarded to the
// master and retried from 10 s doubling to 10 min until the master
// acknowledges it; the executor is acknowledged as soon as the manager has
// taken the update (and, for a checkpointing framework, journaled it).
//
// # Checkpointing and recovery
//
// The core writes Mesos' <work_dir>/meta layout (package slave/checkpoint)
// through disk effects: slave.info and the meta/slaves/latest link on
// registration and boot_id after recovery, always; for frameworks with
// FrameworkInfo.checkpoint also framework.info/.pid, executor.info,
// runs/latest, task.info when a task is queued for its executor, every
// status update and acknowledgement as a record of task.updates,
// libprocess.pid when the executor registers, and executor.sentinel when
// it ends; the containerizer writes forked.pid. A finished executor's and
// framework's meta folders are removed. The shell writes disk effects off
// the mailbox, one run at a time, and applies nothing that follows them
// until they are on disk, so a record is durable before the update is
// forwarded or the executor acknowledged.
//
// At start the shell reads and parses the meta folder (a corrupt file is
// a start-up error unless --strict=false; a torn last journal record is
// cut off) and calls Recover. The core keeps the agent id, rebuilds
// frameworks, executors, tasks (their state from the journal) and
// streams, has the containerizer adopt the executors by pid
// (RecoverContainers), sends ReconnectExecutorMessage to those with a
// libprocess pid and waits --executor_reregistration_timeout (the whole
// of it, as Mesos does). A ReregisterExecutorMessage makes the executor
// RUNNING again and its unacknowledged updates are re-injected; launched
// tasks it does not mention that were still STAGING end TASK_LOST
// (TASK_DROPPED if partition-aware), REASON_SLAVE_RESTARTED. Executors
// that did not reregister are destroyed, and executors that died while
// the agent was down end, with TASK_LOST (TASK_GONE),
// REASON_EXECUTOR_REREGISTRATION_TIMEOUT. Then the agent writes boot_id
// and starts detecting the master (Redetect) and reregisters with its
// tasks. --recover=cleanup destroys the recovered executors instead and
// ends with RecoveryCleanupDone (mesos-agent exits). Before any of this,
// Slave.New refuses a checkpoint whose SlaveInfo the agent's flags are not
// compatible with under --reconfiguration_policy (reconfiguration.go). A
// different boot id (a reboot) keeps the agent id if the configuration is
// still compatible (as Mesos since 1.4), but no checkpointed pid is
// trusted: every executor ended with the host and its tasks are reported;
// otherwise the agent starts as a new one. Executors of frameworks that
// do not checkpoint leave nothing in meta: their driver shuts them down
// when the agent goes away.
//
// # Stopping
//
// Three ways, as in Mesos: Exit (SIGTERM) stops the actor and leaves the
// executors of checkpointing frameworks running for the next agent to
// recover (Core.Exit); Shutdown (SIGUSR1) and the master's
// ShutdownMessage unregister (SIGUSR1 only), shut every framework down
// and make the core Terminated once all is gone (Slave.Terminated is then
// closed and mesos-agent exits); Stop (tests, mesos-local) destroys every
// container (Core.Terminate).
//
// The HTTP side (Handler) serves /state (Mesos' agent state), /health,
// /flags, /metrics/snapshot and /metrics (slave/* and system/*, see
// metrics.go) and the sandbox files under /files (files.go); what they need
// from the core is taken on the actor's goroutine, the disk is read off it.
package slave
