// Package sorter orders the clients that compete for resources in an
// allocator: roles, and the frameworks of each role. It is pure
// bookkeeping (no actors, timers or I/O) and works on quantities only.
//
// Clients are '/'-separated paths forming a tree ("eng", "eng/web");
// a client that gets children moves to a virtual leaf "." under its node,
// as in Mesos. Each level is ordered on its own and Sort lists the active
// leaves depth first.
//
// DRFSorter orders siblings by weighted dominant share (the largest, over
// the pool's resources less the excluded ones, of the subtree's
// allocation over the pool's total, divided by the node's weight), then
// by fewer allocations so far, then by path: the order of Mesos'
// DRFSorter, with the same test vectors. It is incremental: an allocation
// moves only the nodes on the client's path (a binary search and a copy
// within each parent's sorted list), and a change of the shared pool,
// weights or shape re-sorts once, lazily. Quantities are int64
// thousandths (Mesos rounds scalars to three decimals), so shares are
// exact and equal allocations tie exactly.
//
// RandomSorter orders clients at random with Mesos' relative weights,
// drawing lazily from a Fenwick tree.
//
// Quantities are Vecs over a Names numbering shared by all the sorters of
// an allocator; the pool shares are measured against is a Total shared
// the same way, so adding an agent costs one update whatever the number
// of sorters.
package sorter
