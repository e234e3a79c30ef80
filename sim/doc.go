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
package sim
