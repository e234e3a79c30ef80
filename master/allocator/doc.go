// Package allocator decides which framework is offered which agent's
// resources: Mesos' hierarchical DRF allocator, as an actor over a pure
// policy core and a pure, incremental sorter package.
//
// # Pipeline
//
//	master ──Allocator calls──▶ Process (actor) ──▶ Core (pure) ──▶ sorter.Sorter
//	   ▲                             │ every allocation_interval,
//	   └──── OfferCallback ◀─────────┘ and on events (batched)
//
// The parts:
//
//   - Allocator is the interface the master drives, shaped like Mesos'
//     mesos::allocator::Allocator (add/remove/activate/deactivate/update
//     frameworks and agents, update allocations (RESERVE, UNRESERVE),
//     recover resources with filters, suppress, revive, quota, weights,
//     pause, resume).
//   - Process is the actor implementing it: every call is dispatched to
//     its goroutine in call order. It runs the core every allocation
//     interval on the node's clock and when an event asks for it (adding
//     or activating a framework, updating it, reviving: all agents; adding,
//     updating or activating an agent: that agent). Event runs are
//     batched: while one is queued, further requests only add candidate
//     agents; nothing is queued while paused. Grants go to the
//     OfferCallback, once per framework. With Options.Metrics it publishes
//     Mesos' allocator metrics (allocation_runs, allocation_run_ms,
//     shares, filters, resources, quota).
//   - Core holds the state (agents' totals, what is offered or allocated,
//     frameworks' roles, activity, suppressed roles and refusal filters,
//     the role tree with reservations, quotas and weights) and runs one
//     allocation with Allocate(now, candidates). It has no actors, timers
//     or I/O; time comes in as an argument. Tests drive it directly.
//   - Core.Explain (explain.go) reads the same state to say, per agent and
//     role, why a framework is not offered resources now (suppressed,
//     decline filter, quota limit, DRF order, minimum offer, reservations,
//     capabilities, deactivated agent); Process.Explain runs it on the
//     actor for the master's /allocator/explain.
//   - Package sorter orders clients: one sorter over roles and one per
//     role over its frameworks, DRF (default) or random, hierarchical
//     ("eng/web" is compared with its siblings by its subtree's share).
//
// # One allocation run
//
// Candidate agents (known and active) are taken in random order. If some
// role has a quota, a first stage serves the top-level roles with unmet
// guarantees: per agent, roles in role-sorter order, frameworks in
// framework-sorter order, each gets unreserved scalars towards its
// guarantee (plus its reservations and non-scalar resources, and more
// scalars up to its limit and the surplus headroom). A second stage
// serves everybody: per agent, roles, then frameworks, in sorter order;
// a framework gets what is left on the agent that its role may use
// (unreserved resources and the reservations of the role and its
// ancestors, less revocable, shared or refined ones it cannot take),
// with unreserved scalars cut to its role's quota limit and to the
// headroom unmet guarantees need, provided the offer is allocatable
// (--min_allocatable_resources, or the framework's per-role
// offer_filters), the framework can use the agent (MULTI_ROLE frameworks
// need MULTI_ROLE agents, hierarchical roles HIERARCHICAL_ROLE agents,
// GPU agents GPU_RESOURCES frameworks) and none of its refusal filters
// covers it. Grants count at once; each agent sees the order as it was
// when its turn came.
//
// Filters come from RecoverResources with non-nil Filters: refuse_seconds
// defaults to 5, 0 installs none, negative means the default, more than
// 365 days is clamped, and a filter lasts at least one allocation
// interval. A filter refuses an offer its resources contain; it expires,
// or is cleared by revive (those roles), by deactivating the framework,
// by leaving the role, and by the agent's removal or new attributes.
//
// # Speed
//
// The hot path works on quantities, not resource lists: shares are
// fixed-point arrays over a resource-name numbering, kept per client and
// aggregated up the role tree; the sorters stay sorted between runs and
// move only the clients an allocation changed; a plain agent (no
// reservations, revocable or shared resources) is offered whole without
// resource arithmetic; resource lists are built only for the offers
// made. Without quota and with DRF sorters, a run skips the agents
// nobody took anything from since their last visit while neither they
// (free resources, filters, capabilities) nor the frameworks, roles,
// weights or quota changed: everyone would turn them down again. See
// BenchmarkAllocate, BenchmarkFewRecovered and BENCHMARKS.md.
package allocator
