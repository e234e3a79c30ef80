// Package master is the Mesos master: the actor that keeps track of
// frameworks, agents, offers and tasks, its allocator (package
// master/allocator), agent health checking and the HTTP endpoints.
//
// # Using it
//
//	node, _ := actors.NewNode(actors.Config{})
//	cfg := master.DefaultConfig()
//	cfg.IP, cfg.Port = "127.0.0.1", 5050
//	m, err := master.New(node, cfg) // validates cfg
//	pid, err := m.Start()           // spawns "master" and "allocator"
//	http.Handle("/", m.Handler())   // /master/state, /master/info, ...
//	defer m.Stop()
//
// A started master is the leader; whoever runs it decides when (a
// contender). Start fetches the registry (Config.Registry; nil: an
// in-memory one of the master's own), recovers from it and writes its own
// MasterInfo there before it returns. A registry store that fails ends the
// leadership: the actor drops everything from then on and
// Config.OnLeadershipLost is called; its owner stops it.
//
// # Core and shell
//
// Core holds everything the master knows and every rule, with no actors,
// timers, clock, randomness or I/O. It takes one event at a time with the
// current time and returns effects as data, in the order they must be
// applied:
//
//	NewCore(cfg, info, Deps{IDs, Log})   info: NewMasterInfo; ids default to CounterIDs(info.id)
//	Recover(now, registry)               elected: recover the registry, write MasterInfo
//	Start(now)                           elected and recovered from nothing, no write
//	RegistryApplied(now, seq, err)       registry ops up to seq stored (or failed)
//	Receive(now, from, msg)              a scheduler's or an agent's message
//	Timer(now, key)                      a timer the core started fired
//	Exited(now, pid)                     a linked peer went away
//	Offer(now, frameworkID, offers)      an allocation for one framework
//	UpdateWeights, SetQuota, RemoveQuota operator requests (RequestError)
//	MarkAgentGone(now, agentID)          the operator's MARK_AGENT_GONE (RequestError)
//	RecoverAgents(now, RecoveredAgents)  agents known from elsewhere, without a registry
//	Removals()                           agent removal counters, for /metrics
//	View()                               a copy of the state, for checks
//
// The effects are package effect's Send, Link, Unlink, StartTimer and
// CancelTimer, AllocatorCall values (AllocAddFramework,
// AllocRecoverResources, ...: one per allocator.Allocator method), which
// ApplyAllocatorCall applies to an allocator: allocator.Process in the
// daemon, allocator.Sync over an allocator.Core in simulations; and the
// registrar's RegistryApply{Seq, Op} and LeadershipLost{Err}.
//
// # The registrar
//
// What the master must not forget is written to the registry (package
// messages/mesosinternal's Registry, Mesos' shape) before the master acts
// on it: admitting an agent (SlaveRegisteredMessage goes out only once
// AdmitSlave is stored), an agent marked unreachable, reachable again or
// gone, an agent removed, a changed SlaveInfo, weights, quota, and the
// leading MasterInfo at recovery. The core emits RegistryApply{Seq, Op}
// with the op as data (AdmitSlave, UpdateSlave, RemoveSlave,
// MarkSlaveUnreachable, MarkSlaveReachable, MarkSlaveGone, Prune,
// UpdateWeights, UpdateQuota, SetMaster; Op.Apply changes a Registry) and
// continues when RegistryApplied(now, seq, nil) says every op up to seq is
// stored. While an agent's op is in flight its (re)registrations are
// dropped (it retries). An error ends the leadership for good: the core
// emits LeadershipLost and drops every later event; operator requests get
// RequestError Unavailable (503). The shell (registrar_shell.go) stores
// the ops in order, those queued while a store is in flight together in
// the next one, on top of the registry as it last stored it (the version
// compare-and-set catches any other writer). Without a store
// (Config.Registry nil) the registry is kept unencoded in the actor's
// memory; a registry.Memory is stored on the actor at once; other stores
// run off the mailbox, each bounded by --registry_store_timeout. Unreachable and gone agents beyond
// --registry_max_agent_count or older than --registry_max_agent_age are
// pruned when an agent joins those lists and every registry_gc_interval.
//
// Timer keys name one timer per kind and id; starting a key again re-arms
// it, and a timer whose key was cancelled or re-armed never fires:
//
//	offer/<offer-id>          offer_timeout: rescind the offer
//	failover/<framework-id>   failover_timeout: remove the framework
//	ping/<agent-id>           agent_ping_timeout: count a missed pong, ping again
//	reregister/<agent-id>     agent_reregister_timeout: mark the agent unreachable
//	removal/next              agent_removal_rate_limit: the next permit to mark one
//	recovery/agents           agent_reregister_timeout after recovering admitted agents
//	registry/gc               registry_gc_interval: prune unreachable and gone agents
//
// The shell (process, in shell.go) is the master actor: it installs a
// handler per message type, passes the node clock's time, applies the
// effects (effect.Apply with effect.Timers, then ApplyAllocatorCall on the
// allocator actor), and gets the allocator's offers back through
// Node.Dispatch. HTTP handlers run read-only Core methods on the actor
// through Node.Call, and operator requests as Core methods whose
// RequestError kinds map to status codes (Invalid, Refused: 400;
// Conflict: 409).
//
// The files:
//
//	core.go        Core: construction, the gate, the event methods, scheduler
//	               calls and legacy messages → calls
//	shell.go       the actor that runs the core
//	alloccalls.go  allocator calls as effects
//	view.go        View: a copy of the core's state
//	frameworks.go  SUBSCRIBE, failover, disconnect, failover timeout, teardown
//	agents.go      (re)registration, disconnect, removal, pings
//	removals.go    marking unreachable under the rate limit, recovered and
//	               gone agents, the removal counters
//	registrar.go   registry ops, writing before acting, recovery, pruning
//	registrar_shell.go  storing the ops: batching, Memory at once, others
//	               off the mailbox, OnLeadershipLost
//	offers.go      allocations → offers, rescind, decline, revive, suppress
//	accept.go      ACCEPT: offer and task validation, launch
//	operations.go  RESERVE and UNRESERVE: validation, conversions, the
//	               agents' checkpointed resources
//	roles.go       /roles, /weights (GET, PUT), /quota (GET, POST, DELETE)
//	metrics.go     the master's gauges in /metrics/snapshot
//	tasks.go       status updates, acknowledgements, kill, reconciliation,
//	               framework messages, exited executors
//	validation.go  pure checks of ids and FrameworkInfo
//	state.go       the bookkeeping types and pure helpers
//	http.go, statejson.go  the endpoints and Mesos' JSON models
//
// /metrics/snapshot renders Config.Metrics (package metrics): the
// allocator's metrics under Mesos' names (allocator/mesos/...) and the
// master's gauges (master/...).
//
// Scheduler requests arrive either as mesos.scheduler.Call or as the legacy
// messages (RegisterFrameworkMessage, LaunchTasksMessage, ...), which are
// converted to calls and go through the same checks: the sender must be
// the framework's PID, and a disconnected framework is answered
// FrameworkErrorMessage("Framework disconnected").
//
// # Behaviour
//
// The behaviour is Mesos 1.11's as written down in the project's reference
// (mesos-behaviour.md §1–§2): ids "<masterId>-0000" (frameworks),
// "<masterId>-S<n>" (agents), "<masterId>-O<n>" (offers); one offer per
// (agent, role) and one ResourceOffersMessage per framework and allocation;
// invalid offers lose their tasks (TASK_LOST, or TASK_DROPPED for
// partition-aware frameworks, REASON_INVALID_OFFERS); invalid tasks get
// TASK_ERROR with REASON_TASK_INVALID and a message saying why; resources
// are recovered as soon as a task is terminal; master-generated updates
// carry no uuid; agents are pinged every agent_ping_timeout and marked
// unreachable after max_agent_ping_timeouts silent pings or
// agent_reregister_timeout after a broken link, at most as fast as
// --agent_removal_rate_limit allows (a pong or a reregistration while an
// agent waits for its permit cancels the marking). Their tasks become
// TASK_UNREACHABLE (TASK_LOST for frameworks that are not partition
// aware), REASON_SLAVE_REMOVED, and come back TASK_RUNNING with
// REASON_SLAVE_REREGISTERED when the agent reregisters; an agent that
// unregisters loses its tasks as TASK_LOST. A master restarted on the
// same registry knows the agents it admitted: they have
// agent_reregister_timeout to reregister with what they run (their
// frameworks are told nothing new), and those that do not are marked
// unreachable; a restarted master without one (the in-memory default)
// knows no agents, and they reregister as unknown agents. Reconciliation answers as Mesos
// does for known tasks, registered, unreachable, gone, recovered (no
// answer) and unknown agents.
//
// Roles: --roles whitelists roles ("*" is always allowed); --weights and
// PUT /weights set role weights (a weight change for a role with
// frameworks rescinds every outstanding offer); POST /quota sets a role's
// guarantee (and an equal limit), with Mesos' checks and 409 when the
// guarantees overcommit the cluster unless forced, rescinding offers so
// that it can be met; DELETE /quota/<role> removes it. RESERVE and
// UNRESERVE (dynamic reservations) are validated as Mesos does; the
// agent's total changes, reserved resources are offered only to their
// role, and the agent is sent its checkpointed resources. A reservation
// made through this master survives the agent's reregistration even
// though gomesos agents do not checkpoint it yet.
//
// Not yet supported: volumes (CREATE, DESTROY) and the other offer
// operations (dropped with a log line), LAUNCH_GROUP (its tasks get
// TASK_ERROR, REASON_TASK_GROUP_INVALID), operation feedback (operations
// with an id: driver-based frameworks get Mesos' FrameworkErrorMessage),
// the operator /reserve and /unreserve endpoints, UPDATE_FRAMEWORK,
// inverse offers and maintenance, draining, authentication and
// authorisation, and the v1 HTTP APIs. Frameworks are not persisted (as
// in Mesos): a new master learns them from agents and schedulers.
package master
