package sorter

import (
	"slices"
	"strings"
)

type kind uint8

const (
	internal kind = iota
	activeLeaf
	inactiveLeaf
)

// node is one level of a client path. A client is a leaf; when a client
// gets children ("a" and then "a/b"), its node becomes an inner node and
// the client moves to a virtual leaf named "." under it, as in Mesos.
type node struct {
	name   string // edge label; "." for a virtual leaf
	path   string // from the root, including a trailing "/." for virtual leaves
	kind   kind
	parent *node

	// Inner nodes: children by name, the active ones (inner nodes and
	// active leaves; kept sorted by a DRF sorter) and the inactive leaves.
	// Active children are kept by their number in the tree's arena: the
	// sorted list holds no pointers, so moving a node within it is a
	// plain memmove (no GC write barriers).
	byName   map[string]*node
	active   []int32
	inactive []*node
	id       int32

	data   any // attached by the user, for leaves
	weight float64
	alloc  Vec    // scalar quantities of the subtree
	count  uint64 // allocations made to the subtree

	// The key the node is placed by in its parent's active list; it lags
	// behind (share, count) while the node is pending.
	share   float64
	kShare  float64
	kCount  uint64
	pending bool
}

func (n *node) isLeaf() bool { return n.kind != internal }

// client returns the client path a leaf stands for.
func (n *node) client() string {
	if n.name == "." {
		return n.parent.path
	}
	return n.path
}

// less is the DRF order of two siblings by their placement keys: lower
// share, then fewer allocations, then path.
func less(a, b *node) bool {
	if a.kShare != b.kShare {
		return a.kShare < b.kShare
	}
	if a.kCount != b.kCount {
		return a.kCount < b.kCount
	}
	return a.path < b.path
}

// tree is the client hierarchy shared by both kinds of sorter. The DRF
// sorter keeps every active list sorted (ordered); the random sorter does
// not.
type tree struct {
	total   *Total
	names   *Names
	root    *node
	clients map[string]*node
	weights map[string]float64
	exclude map[string]bool
	excl    []bool // exclude, by name number (rebuilt when names grow)
	nActive int

	nodes []*node // the arena: node by id
	free  []int32 // ids to reuse

	ordered bool
	dirty   bool   // structure or weights changed: full re-sort
	gen     uint64 // Total generation the shares were computed for
	pending []*node
}

func newTree(cfg Config, ordered bool) tree {
	if cfg.Total == nil {
		panic("sorter: Config.Total is required")
	}
	t := tree{
		total:   cfg.Total,
		names:   cfg.Total.names,
		root:    &node{kind: internal, byName: map[string]*node{}, weight: 1, id: -1},
		clients: map[string]*node{},
		weights: map[string]float64{},
		ordered: ordered,
		dirty:   true,
	}
	if len(cfg.Exclude) > 0 {
		t.exclude = map[string]bool{}
		for _, name := range cfg.Exclude {
			t.exclude[name] = true
		}
	}
	return t
}

func (t *tree) newNode(name string, k kind, parent *node) *node {
	n := &node{name: name, kind: k, parent: parent}
	switch {
	case parent == t.root:
		n.path = name
	default:
		n.path = parent.path + "/" + name
	}
	if k == internal {
		n.byName = map[string]*node{}
	}
	n.weight = 1
	if w, ok := t.weights[n.path]; ok {
		n.weight = w
	}
	if k := len(t.free); k > 0 {
		n.id = t.free[k-1]
		t.free = t.free[:k-1]
		t.nodes[n.id] = n
	} else {
		n.id = int32(len(t.nodes))
		t.nodes = append(t.nodes, n)
	}
	return n
}

// release returns a discarded node's id to the arena.
func (t *tree) release(n *node) {
	t.nodes[n.id] = nil
	t.free = append(t.free, n.id)
	n.parent = nil
}

// node returns the node numbered id.
func (t *tree) node(id int32) *node { return t.nodes[id] }

// attach puts child into parent's lists.
func (t *tree) attach(parent, child *node) {
	parent.byName[child.name] = child
	if child.kind == inactiveLeaf {
		parent.inactive = append(parent.inactive, child)
		return
	}
	if child.kind == activeLeaf {
		t.nActive++
	}
	t.insertActive(parent, child)
}

// detach takes child out of parent's lists.
func (t *tree) detach(parent, child *node) {
	delete(parent.byName, child.name)
	if child.kind == inactiveLeaf {
		parent.inactive = removeNode(parent.inactive, child)
		return
	}
	if child.kind == activeLeaf {
		t.nActive--
	}
	if i := slices.Index(parent.active, child.id); i >= 0 {
		parent.active = slices.Delete(parent.active, i, i+1)
	}
}

func removeNode(list []*node, n *node) []*node {
	if i := slices.Index(list, n); i >= 0 {
		copy(list[i:], list[i+1:])
		list[len(list)-1] = nil
		return list[:len(list)-1]
	}
	return list
}

// cmpID compares the node numbered id with n in DRF order.
func (t *tree) cmpID(id int32, n *node) int { return cmpNodes(t.nodes[id], n) }

// insertActive places n in parent's active list: at its sorted position
// when the tree is sorted, at the end otherwise.
func (t *tree) insertActive(parent, n *node) {
	if !t.ordered || t.dirty || t.gen != t.total.gen {
		parent.active = append(parent.active, n.id)
		return
	}
	n.share = t.calcShare(n)
	n.kShare, n.kCount = n.share, n.count
	i, _ := slices.BinarySearchFunc(parent.active, n, t.cmpID)
	parent.active = slices.Insert(parent.active, i, n.id)
}

func cmpNodes(a, b *node) int {
	switch {
	case a == b:
		return 0
	case less(a, b):
		return -1
	default:
		return 1
	}
}

func (t *tree) add(client string) {
	if _, ok := t.clients[client]; ok {
		return
	}
	tokens := strings.Split(client, "/")
	cur := t.root
	i := 0
	for {
		if i == len(tokens) {
			// The path names an existing inner node: the client is its
			// virtual leaf.
			virt := t.newNode(".", inactiveLeaf, cur)
			t.attach(cur, virt)
			cur = virt
			break
		}
		if cur.isLeaf() {
			// A client gets its first child: it becomes an inner node and
			// moves, with its allocation, to a virtual leaf.
			parent := cur.parent
			old := cur.kind
			t.detach(parent, cur)
			cur.kind = internal
			cur.byName = map[string]*node{}
			t.attach(parent, cur)
			virt := t.newNode(".", old, cur)
			virt.alloc = cur.alloc.Clone()
			virt.count = cur.count
			virt.data, cur.data = cur.data, nil
			t.attach(cur, virt)
			t.clients[virt.client()] = virt
			break
		}
		child := cur.byName[tokens[i]]
		if child == nil {
			break
		}
		cur = child
		i++
	}
	for ; i < len(tokens); i++ {
		k := internal
		if i == len(tokens)-1 {
			k = inactiveLeaf
		}
		child := t.newNode(tokens[i], k, cur)
		t.attach(cur, child)
		cur = child
	}
	t.clients[client] = cur
	t.dirty = true
}

func (t *tree) remove(client string) {
	leaf, ok := t.clients[client]
	if !ok {
		return
	}
	delete(t.clients, client)
	alloc := leaf.alloc
	cur := leaf
	for cur != t.root {
		parent := cur.parent
		parent.alloc = parent.alloc.Sub(alloc)
		switch {
		case cur.isLeaf() || len(cur.byName) == 0:
			t.detach(parent, cur)
			t.release(cur)
		case len(cur.byName) == 1:
			if virt := cur.byName["."]; virt != nil {
				// Only the client's virtual leaf is left: fold it back.
				t.detach(cur, virt)
				t.release(virt)
				t.detach(parent, cur)
				cur.kind = virt.kind
				cur.byName = nil
				cur.data = virt.data
				t.attach(parent, cur)
				t.clients[cur.path] = cur
			}
		}
		cur = parent
	}
	t.dirty = true
}

func (t *tree) activate(client string) {
	n := t.clients[client]
	if n == nil || n.kind != inactiveLeaf {
		return
	}
	t.detach(n.parent, n)
	n.kind = activeLeaf
	t.attach(n.parent, n)
}

func (t *tree) deactivate(client string) {
	n := t.clients[client]
	if n == nil || n.kind != activeLeaf {
		return
	}
	t.detach(n.parent, n)
	n.kind = inactiveLeaf
	t.attach(n.parent, n)
}

// find returns the node at path (a client, a virtual leaf's inner node,
// or any inner node), or nil.
func (t *tree) find(path string) *node {
	cur := t.root
	for _, tok := range strings.Split(path, "/") {
		if cur.byName == nil {
			return nil
		}
		cur = cur.byName[tok]
		if cur == nil {
			return nil
		}
	}
	return cur
}

func (t *tree) updateWeight(path string, w float64) {
	if w <= 0 {
		return
	}
	t.weights[path] = w
	if n := t.find(path); n != nil {
		n.weight = w
	}
	t.dirty = true
}

// allocated walks from client up to the root applying f, and marks the
// nodes it changed for repositioning.
func (t *tree) walk(client string, f func(n *node)) {
	n := t.clients[client]
	if n == nil {
		return
	}
	for ; n != nil; n = n.parent {
		f(n)
		if t.ordered && n != t.root && n.kind != inactiveLeaf && !n.pending {
			n.pending = true
			t.pending = append(t.pending, n)
		}
	}
}

func (t *tree) allocated(client string, q Vec) {
	t.walk(client, func(n *node) { n.alloc = n.alloc.Add(q); n.count++ })
}

func (t *tree) unallocated(client string, q Vec) {
	t.walk(client, func(n *node) { n.alloc = n.alloc.Sub(q) })
}

func (t *tree) update(client string, old, updated Vec) {
	t.walk(client, func(n *node) { n.alloc = n.alloc.Sub(old).Add(updated) })
}

func (t *tree) setData(client string, data any) {
	if n := t.clients[client]; n != nil {
		n.data = data
	}
}

func (t *tree) allocation(client string) Vec {
	if n := t.clients[client]; n != nil {
		return n.alloc
	}
	return nil
}

// excluded reports whether name number i is left out of fair sharing.
func (t *tree) excluded(i int) bool {
	if t.exclude == nil {
		return false
	}
	if len(t.excl) < t.names.Len() {
		t.excl = make([]bool, t.names.Len())
		for j := range t.excl {
			t.excl[j] = t.exclude[t.names.Name(j)]
		}
	}
	return t.excl[i]
}

// calcShare is the weighted dominant share of n's subtree.
func (t *tree) calcShare(n *node) float64 {
	total := t.total.q
	var share float64
	m := min(len(total), len(n.alloc))
	for i := 0; i < m; i++ {
		tot := total[i]
		if tot <= 0 || t.excluded(i) {
			continue
		}
		if s := float64(n.alloc[i]) / float64(tot); s > share {
			share = s
		}
	}
	return share / n.weight
}

func (t *tree) share(client string) float64 {
	if n := t.clients[client]; n != nil {
		return t.calcShare(n)
	}
	return 0
}
