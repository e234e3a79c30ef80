package sorter

import (
	"slices"
)

// DRFSorter orders clients by dominant resource fairness: a node's share
// is the largest, over the scalar resources the pool has (less the
// excluded ones), of its subtree's allocation divided by the pool's
// total, divided by its weight. Siblings are ordered by share, then by
// fewer allocations so far, then by path; the active leaves are listed
// depth first.
//
// The order is kept incrementally. An allocation recomputes the shares
// on the client's path to the root and moves those nodes within their
// parents' sorted lists (a binary search and a copy) the next time the
// order is read; only a change of the pool's total, of weights or of the
// tree's shape recomputes every share and re-sorts.
type DRFSorter struct {
	tree
}

var _ Sorter = (*DRFSorter)(nil)

// NewDRF returns an empty DRF sorter.
func NewDRF(cfg Config) *DRFSorter { return &DRFSorter{tree: newTree(cfg, true)} }

func (s *DRFSorter) Add(client string)                        { s.add(client) }
func (s *DRFSorter) Remove(client string)                     { s.remove(client) }
func (s *DRFSorter) Contains(client string) bool              { return s.clients[client] != nil }
func (s *DRFSorter) Count() int                               { return len(s.clients) }
func (s *DRFSorter) ActiveCount() int                         { return s.nActive }
func (s *DRFSorter) Activate(client string)                   { s.activate(client) }
func (s *DRFSorter) Deactivate(client string)                 { s.deactivate(client) }
func (s *DRFSorter) UpdateWeight(path string, weight float64) { s.updateWeight(path, weight) }
func (s *DRFSorter) Allocated(client string, q Vec)           { s.allocated(client, q) }
func (s *DRFSorter) Unallocated(client string, q Vec)         { s.unallocated(client, q) }
func (s *DRFSorter) Update(client string, old, updated Vec)   { s.update(client, old, updated) }
func (s *DRFSorter) Allocation(client string) Vec             { return s.allocation(client) }
func (s *DRFSorter) TotalAllocation() Vec                     { return s.root.alloc }
func (s *DRFSorter) Share(client string) float64              { return s.share(client) }
func (s *DRFSorter) SetData(client string, data any)          { s.setData(client, data) }

// Sort returns the active clients in DRF order.
func (s *DRFSorter) Sort() []string {
	out := make([]string, 0, s.nActive)
	s.Each(func(c string, _ any) bool { out = append(out, c); return true })
	return out
}

// Each visits the active clients in DRF order.
func (s *DRFSorter) Each(yield func(client string, data any) bool) {
	s.refresh()
	s.visit(s.root, yield)
}

func (s *DRFSorter) visit(n *node, yield func(string, any) bool) bool {
	for _, id := range n.active {
		c := s.nodes[id]
		if c.kind == internal {
			if !s.visit(c, yield) {
				return false
			}
			continue
		}
		if !yield(c.client(), c.data) {
			return false
		}
	}
	return true
}

// refresh brings the sorted lists up to date.
func (s *DRFSorter) refresh() {
	if s.dirty || s.gen != s.total.gen {
		s.resort(s.root)
		for _, n := range s.pending {
			n.pending = false
		}
		s.pending = s.pending[:0]
		s.dirty = false
		s.gen = s.total.gen
		return
	}
	for _, n := range s.pending {
		n.pending = false
		if n.kind == inactiveLeaf || n.parent == nil || s.nodes[n.id] != n {
			continue
		}
		s.reposition(n)
	}
	s.pending = s.pending[:0]
}

// resort recomputes every share below n and sorts every active list.
func (s *DRFSorter) resort(n *node) {
	for _, id := range n.active {
		c := s.nodes[id]
		c.share = s.calcShare(c)
		c.kShare, c.kCount = c.share, c.count
		if c.kind == internal {
			s.resort(c)
		}
	}
	slices.SortFunc(n.active, func(a, b int32) int { return cmpNodes(s.nodes[a], s.nodes[b]) })
}

// reposition moves n to where its new share and count put it among its
// siblings.
func (s *DRFSorter) reposition(n *node) {
	list := n.parent.active
	i, found := slices.BinarySearchFunc(list, n, s.cmpID)
	if !found || list[i] != n.id {
		// Not placed by its key (cannot happen while the invariants
		// hold); fall back to a scan.
		if i = slices.Index(list, n.id); i < 0 {
			return
		}
	}
	n.share = s.calcShare(n)
	n.kShare, n.kCount = n.share, n.count
	// Shift right or left until the order holds again.
	if i+1 < len(list) && less(s.nodes[list[i+1]], n) {
		j, _ := slices.BinarySearchFunc(list[i+1:], n, s.cmpID)
		j += i + 1 // first element not less than n
		copy(list[i:j-1], list[i+1:j])
		list[j-1] = n.id
		return
	}
	if i > 0 && less(n, s.nodes[list[i-1]]) {
		j, _ := slices.BinarySearchFunc(list[:i], n, s.cmpID)
		copy(list[j+1:i+1], list[j:i])
		list[j] = n.id
	}
}
