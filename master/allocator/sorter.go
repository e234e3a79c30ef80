package allocator

import (
	"sort"

	"github.com/gomesos/gomesos/resources"
)

// Sorter orders the clients (roles, or the frameworks of one role) that
// compete for resources: the one that should be offered next comes first.
// It is the seam where the policy lives: DRFSorter below is a flat
// dominant-resource-fairness sorter; a hierarchical DRF sorter (nested
// roles, quota) replaces it without touching the allocation loop.
//
// A sorter is pure bookkeeping: no clocks, no I/O, not safe for concurrent
// use.
type Sorter interface {
	// Add makes client known (active, nothing allocated). Adding twice is
	// harmless.
	Add(client string)
	// Remove forgets client and its allocations.
	Remove(client string)
	// Contains reports whether client is known.
	Contains(client string) bool
	// Activate and Deactivate include and exclude client from Sort; its
	// allocations keep counting.
	Activate(client string)
	Deactivate(client string)
	// SetWeight sets client's weight (default 1); shares are divided by it.
	SetWeight(client string, weight float64)
	// Allocated records that client was given r on agent; it also counts
	// one allocation for the tie-break.
	Allocated(client, agent string, r resources.Resources)
	// Unallocated records that client gave r on agent back.
	Unallocated(client, agent string, r resources.Resources)
	// AddAgent adds an agent's total to the pool shares are measured
	// against; RemoveAgent takes it out again.
	AddAgent(agent string, total resources.Resources)
	RemoveAgent(agent string)
	// Sort returns the active clients, the one to serve first first.
	Sort() []string
}

// Quantities are scalar amounts by resource name ("cpus": 2, "mem": 1024).
// Ranges and sets count their elements.
type Quantities map[string]float64

// QuantitiesOf sums the quantities of r by name.
func QuantitiesOf(r resources.Resources) Quantities {
	q := Quantities{}
	for _, res := range r {
		if res == nil {
			continue
		}
		switch {
		case res.Scalar != nil:
			q[res.GetName()] += res.GetScalar().GetValue()
		case res.Ranges != nil:
			for _, rg := range res.GetRanges().GetRange() {
				if rg.GetEnd() >= rg.GetBegin() {
					q[res.GetName()] += float64(rg.GetEnd()-rg.GetBegin()) + 1
				}
			}
		case res.Set != nil:
			q[res.GetName()] += float64(len(res.GetSet().GetItem()))
		}
	}
	return q
}

// scalarQuantities is QuantitiesOf restricted to scalar resources, which
// is what shares are computed over.
func scalarQuantities(r resources.Resources) Quantities {
	q := Quantities{}
	for _, res := range r {
		if res != nil && res.Scalar != nil {
			q[res.GetName()] += res.GetScalar().GetValue()
		}
	}
	return q
}

func (q Quantities) add(o Quantities) {
	for k, v := range o {
		q[k] += v
	}
}

func (q Quantities) sub(o Quantities) {
	for k, v := range o {
		q[k] -= v
		if q[k] < 1e-9 {
			delete(q, k)
		}
	}
}

// Contains reports whether q holds at least o of every name in o.
func (q Quantities) Contains(o Quantities) bool {
	for k, v := range o {
		if q[k]+1e-9 < v {
			return false
		}
	}
	return true
}

type drfClient struct {
	active  bool
	weight  float64
	count   uint64                // allocations made, for the tie-break
	alloc   Quantities            // scalar quantities allocated, all agents
	byAgent map[string]Quantities // the same per agent
}

// DRFSorter is a flat dominant-resource-fairness sorter: a client's share
// is the largest, over scalar resource names, of its allocation divided by
// the pool's total, divided by its weight. Sort orders by share, then by
// fewer allocations so far, then by name.
type DRFSorter struct {
	clients map[string]*drfClient
	agents  map[string]Quantities
	total   Quantities
}

// NewDRFSorter returns an empty sorter.
func NewDRFSorter() *DRFSorter {
	return &DRFSorter{clients: map[string]*drfClient{}, agents: map[string]Quantities{}, total: Quantities{}}
}

var _ Sorter = (*DRFSorter)(nil)

func (s *DRFSorter) Add(client string) {
	if _, ok := s.clients[client]; ok {
		return
	}
	s.clients[client] = &drfClient{active: true, weight: 1, alloc: Quantities{}, byAgent: map[string]Quantities{}}
}

func (s *DRFSorter) Remove(client string) { delete(s.clients, client) }

func (s *DRFSorter) Contains(client string) bool { _, ok := s.clients[client]; return ok }

func (s *DRFSorter) Activate(client string) {
	if c, ok := s.clients[client]; ok {
		c.active = true
	}
}

func (s *DRFSorter) Deactivate(client string) {
	if c, ok := s.clients[client]; ok {
		c.active = false
	}
}

func (s *DRFSorter) SetWeight(client string, weight float64) {
	if c, ok := s.clients[client]; ok && weight > 0 {
		c.weight = weight
	}
}

func (s *DRFSorter) Allocated(client, agent string, r resources.Resources) {
	c, ok := s.clients[client]
	if !ok {
		return
	}
	q := scalarQuantities(r)
	c.alloc.add(q)
	a := c.byAgent[agent]
	if a == nil {
		a = Quantities{}
		c.byAgent[agent] = a
	}
	a.add(q)
	c.count++
}

func (s *DRFSorter) Unallocated(client, agent string, r resources.Resources) {
	c, ok := s.clients[client]
	if !ok {
		return
	}
	q := scalarQuantities(r)
	c.alloc.sub(q)
	if a := c.byAgent[agent]; a != nil {
		a.sub(q)
		if len(a) == 0 {
			delete(c.byAgent, agent)
		}
	}
}

func (s *DRFSorter) AddAgent(agent string, total resources.Resources) {
	s.RemoveAgent(agent)
	q := scalarQuantities(total)
	s.agents[agent] = q
	s.total.add(q)
}

func (s *DRFSorter) RemoveAgent(agent string) {
	if q, ok := s.agents[agent]; ok {
		s.total.sub(q)
		delete(s.agents, agent)
	}
}

// Share returns client's weighted dominant share (0 if unknown).
func (s *DRFSorter) Share(client string) float64 {
	c, ok := s.clients[client]
	if !ok {
		return 0
	}
	return s.share(c)
}

func (s *DRFSorter) share(c *drfClient) float64 {
	var share float64
	for name, v := range c.alloc {
		if t := s.total[name]; t > 0 {
			if x := v / t; x > share {
				share = x
			}
		}
	}
	return share / c.weight
}

func (s *DRFSorter) Sort() []string {
	type entry struct {
		name  string
		share float64
		count uint64
	}
	entries := make([]entry, 0, len(s.clients))
	for name, c := range s.clients {
		if c.active {
			entries = append(entries, entry{name, s.share(c), c.count})
		}
	}
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.share != b.share {
			return a.share < b.share
		}
		if a.count != b.count {
			return a.count < b.count
		}
		return a.name < b.name
	})
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.name
	}
	return out
}
