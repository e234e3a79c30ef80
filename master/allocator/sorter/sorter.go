package sorter

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Kinds of sorters, as --role_sorter and --framework_sorter name them.
const (
	KindDRF    = "drf"
	KindRandom = "random"
)

// Sorter orders the clients that compete for resources: roles in an
// allocator's role sorter, the frameworks of one role in its framework
// sorters. Clients are '/'-separated paths ("eng/web/api"); each level of
// the hierarchy is ordered on its own and the active leaves are listed
// depth first, as Mesos' sorters do.
//
// A sorter is pure bookkeeping: no clocks, no I/O, not safe for
// concurrent use. Clients start inactive (excluded from Sort and Each)
// until activated; their allocation counts either way.
type Sorter interface {
	// Add makes client known, inactive, with nothing allocated. Adding a
	// known client does nothing.
	Add(client string)
	// Remove forgets client and takes its allocation out of its
	// ancestors'.
	Remove(client string)
	// Contains reports whether client is known.
	Contains(client string) bool
	// Count returns how many clients are known; ActiveCount how many of
	// them are active.
	Count() int
	ActiveCount() int
	// Activate and Deactivate include and exclude client from Sort and
	// Each.
	Activate(client string)
	Deactivate(client string)
	// UpdateWeight sets the weight of the node at path (a client or an
	// inner node of the hierarchy, known yet or not); the default is 1.
	UpdateWeight(path string, weight float64)
	// Allocated records that client was given q (scalar quantities); it
	// also counts one allocation for the tie-break.
	Allocated(client string, q Vec)
	// Unallocated records that client gave q back.
	Unallocated(client string, q Vec)
	// Update replaces old by updated in client's allocation without
	// counting an allocation (e.g. after a reservation changed what an
	// offer holds).
	Update(client string, old, updated Vec)
	// Allocation returns what client holds (nil if unknown); the caller
	// must not modify it.
	Allocation(client string) Vec
	// TotalAllocation returns what all clients hold together.
	TotalAllocation() Vec
	// Share returns client's weighted dominant share (0 if unknown).
	Share(client string) float64
	// Sort returns the active clients, the one to serve first first.
	Sort() []string
	// Each calls yield with the active clients in Sort's order, and the
	// data attached to them, until it returns false, without building a
	// list. Allocations made while iterating count at once but do not
	// move clients until the next Sort or Each: one iteration is one
	// snapshot of the order. Adding, removing, activating or deactivating
	// clients during Each is not allowed.
	Each(yield func(client string, data any) bool)
	// SetData attaches data to a known client (for Each's callers, who
	// would otherwise look the client up in a map).
	SetData(client string, data any)
}

// Config configures a sorter.
type Config struct {
	// Total is the pool shares are measured against (required).
	Total *Total
	// Exclude names resources left out of fair sharing
	// (--fair_sharing_excluded_resource_names).
	Exclude []string
	// Rand drives the random sorter; nil seeds one from the time.
	Rand *rand.Rand
}

// New returns a sorter of the given kind ("drf" or "random").
func New(kind string, cfg Config) (Sorter, error) {
	switch kind {
	case KindDRF, "":
		return NewDRF(cfg), nil
	case KindRandom:
		return NewRandom(cfg), nil
	}
	return nil, fmt.Errorf("unknown sorter %q: want 'drf' or 'random'", kind)
}

// ValidKind reports whether kind names a sorter.
func ValidKind(kind string) bool { return kind == KindDRF || kind == KindRandom }

func newRand(r *rand.Rand) *rand.Rand {
	if r != nil {
		return r
	}
	seed := uint64(time.Now().UnixNano())
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
