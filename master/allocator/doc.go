// Package allocator decides which framework is offered which agent's
// resources: Mesos' allocator, as an actor over a pure policy core.
//
// # Pipeline
//
//	master ──Allocator calls──▶ Process (actor) ──▶ Core (pure) ──▶ Sorter
//	   ▲                             │ every allocation_interval,
//	   └──── OfferCallback ◀─────────┘ and on events (batched)
//
// The parts:
//
//   - Allocator is the interface the master drives, shaped like Mesos'
//     mesos::allocator::Allocator (add/remove/activate/deactivate/update
//     frameworks and agents, recover resources with filters, suppress,
//     revive, pause, resume).
//   - Process is the actor implementing it: every call is dispatched to its
//     goroutine in call order. It runs the core every allocation interval
//     on the node's clock and when an event asks for it (adding or
//     activating a framework, reviving: all agents; adding or updating an
//     agent: that agent). Event runs are batched: while one is queued,
//     further requests only add candidate agents. Grants go to the
//     OfferCallback, once per framework.
//   - Core holds the state (agents' totals and allocations, frameworks'
//     roles, activity, suppressed roles and refusal filters) and runs one
//     allocation with Allocate(now, candidates). It has no actors, timers
//     or I/O; time comes in as an argument. Tests drive it directly.
//   - Sorter orders clients by fairness. DRFSorter is a flat dominant
//     resource fairness sorter (share = max over scalar resources of
//     allocation/total, divided by the weight; ties: fewer allocations
//     so far, then name). The core uses one sorter over roles and one per
//     role over its frameworks; NewCoreWithSorter swaps the implementation
//     (hierarchical roles, quota and weights from the registry are a later
//     step and fit behind the same interface).
//
// # Policy
//
// For each candidate agent (known, active; in id order), roles in
// role-sorter order, then frameworks in the role's sorter order: the first
// active, non-suppressed framework that is suited to the agent (MULTI_ROLE
// frameworks need MULTI_ROLE agents, hierarchical roles HIERARCHICAL_ROLE
// agents, GPU agents GPU_RESOURCES frameworks), for which the agent's free
// resources usable by the role (unreserved plus the role's reservations,
// minus revocable or shared ones it cannot take) are allocatable
// (--min_allocatable_resources, or the framework's per-role offer_filters)
// and not covered by one of its refusal filters gets all of them. Grants
// count at once, so the next agent sees the new shares.
//
// Filters come from RecoverResources with non-nil Filters: refuse_seconds
// defaults to 5, 0 installs none, negative means the default, more than 365
// days is clamped, and a filter lasts at least one allocation interval. A
// filter refuses an offer its resources contain; it expires, or is cleared
// by revive (those roles) and by deactivating the framework.
package allocator
