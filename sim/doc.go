// Package sim is a deterministic cluster simulator: it runs pure cores (any
// effect.Core: the master's, the agents', the drivers', or small toy cores in
// tests) on one goroutine, over a virtual network and a virtual clock, with
// every random choice drawn from one seed.
//
// The engine keeps one event queue ordered by virtual time and, for ties, by
// the order the events were made. An event is a message delivery, a keyed
// timer that fired, an exited notice for a linked peer, or work a node posted
// for later (the result of a container operation). The engine applies the
// common effects itself (Send, Link, Unlink, StartTimer, CancelTimer) and
// hands a core's own kinds to the node's Custom hook.
//
// The network carries messages in order between each pair of nodes with a
// base latency, and can drop, delay, duplicate or reorder them by per-pair
// rules, cut pairs of node groups off from each other until a heal time, or
// drop messages by type as transcript tests do. Nodes crash and restart; a
// crash or a partition tells every node linked to the lost peer, as
// libprocess does when a socket breaks.
//
// After every step an optional check runs; the first error stops the run and
// is reported with the last deliveries before it. The same seed and the same
// calls give the same trace, byte for byte.
//
// Options.Workers >= 1 selects the windowed engine (window.go): every message
// takes at least Options.Latency, so the events of one latency-wide window
// cannot reach another host within it. A window's events are handled host by
// host (an agent with its executors is one host) on that many goroutines,
// each host drawing from its own seeded source; what a host does to the rest
// of the run (sends, timers, new nodes, records) is merged after the window
// in the order the hosts' first events came off the queue, and the check runs once per window. Its run is the same for
// every worker count, though not the serial engine's; it refuses the faults
// it cannot order (disk loss, leader loss, type filters).
package sim

// On top of the engine, Cluster runs a whole cluster for one seed (the
// mesos-sim binary and the seed tests) and Script drives one step by step
// for the protocol transcripts in tests/testdata/transcripts. The master is
// master.Core with a synchronous allocator.Core, allocating on the
// allocation interval timer. Agents are slave.Core (agent.go) on a
// simulated containerizer whose containers are small executor nodes
// (executor.go): an executor registers with its agent, runs each task a
// drawn virtual time (RUNNING, then FINISHED or FAILED) and exits once its
// updates are acknowledged. The agent's checkpoints go to a disk held in
// memory (disk.go), written in the order the agent's shell writes them.
// Frameworks are schedulers on schedulerdriver.Inline (driverframework.go)
// or, on request, message-level stand-ins (standin_framework.go), launching
// their share of tasks on their offers, acknowledging and reconciling;
// every other framework checkpoints, and every fourth (the first among
// them) is PARTITION_AWARE. standin_master.go is a stand-in
// master kept to tell a bug of master.Core from one of the simulator.
//
// Faults (Faults, ParseFaults): message drop, duplication, reordering and
// delay; partitions between the master and an agent or a framework that
// heal; crash of a framework, or of an agent's whole machine (it comes
// back as a new agent); restart of an agent process over its disk (it
// recovers as the real agent does: the meta tree parsed, executors of
// checkpointing frameworks asked to reconnect, the others gone with the
// old process); a crash in the middle of a checkpoint write (the write is
// lost or torn); and a restart of the master, which recovers from its
// registry (kept in memory: it outlives the master); and the loss of the
// leading master among two or three candidates at their own addresses
// (leader.go: contender's in-memory Group, driven at simulated instants):
// its session expires, it stops at once, the next candidate leads and
// recovers from the shared registry, the deposed one joins again as a
// standby, and its registry writes are refused.
//
// Invariants (invariants.go): the resource books after every master step;
// Mesos' task state machine as each framework sees it; once the tasks
// have ended and the faults stopped (a drain of up to 30 virtual
// minutes), that no update an agent acknowledged to its executor is lost
// (unless the agent's disk went, or the framework does not checkpoint and
// the agent restarted), and that every task is accounted for: ended for
// its framework, running on a live agent, or unreachable and said so, and
// every task the master holds as live runs where it says.
//
// The transcripts' failure harness (tests/transcript_*_test.go) builds on
// harness.go: Machine, an agent machine whose agent process crashes and
// restarts over its disk while its executors live on (the same agent host
// and executor as above, with a containerizer that reports a container's
// end to the agent process waiting for it); Master, the master above with
// a registry that outlives it; FrameworkBook, what a scripted framework
// remembers; and args.go, the script commands' argument parsing that
// Script shares with it.
//
// MeasureFailover (failover.go) times a master failover instead of a run
// to the end: the master crashes with tasks running, a new one recovers
// from the registry after an election delay, and the result is the virtual
// time until it acts and until every admitted agent has reregistered.
