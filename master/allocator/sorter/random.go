package sorter

import (
	"math"
	"math/rand/v2"
)

// RandomSorter orders clients at random, weighted: a client's chance to
// come first is its relative weight, the product down its path of the
// node's weight over the sum of its active siblings' weights (Mesos'
// formula). The order is a weighted sample without replacement, as
// Mesos' weighted shuffle produces, drawn lazily: Each draws one client
// at a time from a Fenwick tree over the relative weights, so stopping
// after k clients costs O(k log n) rather than a full shuffle.
type RandomSorter struct {
	tree
	rng *rand.Rand

	shape   uint64 // bumped whenever the tree's shape or weights change
	built   uint64 // the shape the cached weights were built for
	leaves  []*node
	weights []uint64 // relative weights in units of 2^-40, at least 1
	fen     []uint64 // Fenwick tree over weights, 1-based
	sum     uint64
	drawn   []int
}

var _ Sorter = (*RandomSorter)(nil)

// NewRandom returns an empty random sorter.
func NewRandom(cfg Config) *RandomSorter {
	return &RandomSorter{tree: newTree(cfg, false), rng: newRand(cfg.Rand), shape: 1}
}

func (s *RandomSorter) Add(client string)      { s.add(client); s.shape++ }
func (s *RandomSorter) Remove(client string)   { s.remove(client); s.shape++ }
func (s *RandomSorter) Activate(client string) { s.activate(client); s.shape++ }
func (s *RandomSorter) Deactivate(client string) {
	s.deactivate(client)
	s.shape++
}
func (s *RandomSorter) UpdateWeight(path string, weight float64) {
	s.updateWeight(path, weight)
	s.shape++
}
func (s *RandomSorter) Contains(client string) bool            { return s.clients[client] != nil }
func (s *RandomSorter) Count() int                             { return len(s.clients) }
func (s *RandomSorter) ActiveCount() int                       { return s.nActive }
func (s *RandomSorter) Allocated(client string, q Vec)         { s.allocated(client, q) }
func (s *RandomSorter) Unallocated(client string, q Vec)       { s.unallocated(client, q) }
func (s *RandomSorter) Update(client string, old, updated Vec) { s.update(client, old, updated) }
func (s *RandomSorter) Allocation(client string) Vec           { return s.allocation(client) }
func (s *RandomSorter) TotalAllocation() Vec                   { return s.root.alloc }
func (s *RandomSorter) Share(client string) float64            { return s.share(client) }
func (s *RandomSorter) SetData(client string, data any)        { s.setData(client, data) }

// Sort returns the active clients in a fresh weighted random order.
func (s *RandomSorter) Sort() []string {
	out := make([]string, 0, s.nActive)
	s.Each(func(c string, _ any) bool { out = append(out, c); return true })
	return out
}

// Each draws active clients one by one until yield returns false.
func (s *RandomSorter) Each(yield func(client string, data any) bool) {
	if s.dirty || s.built != s.shape {
		s.rebuild()
	}
	remaining := s.sum
	s.drawn = s.drawn[:0]
	for remaining > 0 {
		i := s.find(s.rng.Uint64N(remaining))
		s.drawn = append(s.drawn, i)
		s.sub(i, s.weights[i])
		remaining -= s.weights[i]
		if !yield(s.leaves[i].client(), s.leaves[i].data) {
			break
		}
	}
	for _, i := range s.drawn {
		s.addAt(i, s.weights[i])
	}
}

// RelativeWeights returns each active client's relative weight, for
// tests and introspection.
func (s *RandomSorter) RelativeWeights() map[string]float64 {
	out := map[string]float64{}
	var walk func(n *node, rw float64)
	walk = func(n *node, rw float64) {
		var sum float64
		for _, id := range n.active {
			if c := s.nodes[id]; s.hasActive(c) {
				sum += c.weight
			}
		}
		for _, id := range n.active {
			c := s.nodes[id]
			if !s.hasActive(c) {
				continue
			}
			w := rw * c.weight / sum
			if c.kind == activeLeaf {
				out[c.client()] = w
			} else {
				walk(c, w)
			}
		}
	}
	walk(s.root, 1)
	return out
}

func (s *RandomSorter) hasActive(n *node) bool {
	if n.kind == activeLeaf {
		return true
	}
	if n.kind == inactiveLeaf {
		return false
	}
	for _, id := range n.active {
		if s.hasActive(s.nodes[id]) {
			return true
		}
	}
	return false
}

// rebuild recomputes the relative weights and the Fenwick tree.
func (s *RandomSorter) rebuild() {
	s.dirty = false
	rel := s.RelativeWeights()
	s.leaves = s.leaves[:0]
	s.weights = s.weights[:0]
	var collect func(n *node)
	collect = func(n *node) {
		for _, id := range n.active {
			c := s.nodes[id]
			if c.kind == internal {
				collect(c)
			} else if w, ok := rel[c.client()]; ok {
				s.leaves = append(s.leaves, c)
				u := uint64(math.Round(w * (1 << 40)))
				if u == 0 {
					u = 1
				}
				s.weights = append(s.weights, u)
			}
		}
	}
	collect(s.root)
	n := len(s.weights)
	s.fen = make([]uint64, n+1)
	s.sum = 0
	for i, w := range s.weights {
		s.sum += w
		for j := i + 1; j <= n; j += j & -j {
			s.fen[j] += w
		}
	}
	s.built = s.shape
}

func (s *RandomSorter) addAt(i int, w uint64) {
	for j := i + 1; j < len(s.fen); j += j & -j {
		s.fen[j] += w
	}
}

func (s *RandomSorter) sub(i int, w uint64) {
	for j := i + 1; j < len(s.fen); j += j & -j {
		s.fen[j] -= w
	}
}

// find returns the index whose cumulative range holds u.
func (s *RandomSorter) find(u uint64) int {
	pos := 0
	step := 1
	for step*2 < len(s.fen) {
		step *= 2
	}
	for ; step > 0; step /= 2 {
		if next := pos + step; next < len(s.fen) && s.fen[next] <= u {
			pos = next
			u -= s.fen[next]
		}
	}
	return pos // 0-based index of the element at 1-based pos+1
}
