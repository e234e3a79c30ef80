package allocator

import (
	"strings"

	"github.com/gomesos/gomesos/master/allocator/sorter"
)

// roleNode is one role of the role tree: every role that has frameworks,
// reservations, a quota or a weight, and their ancestors. Quantities are
// of the role's whole subtree, as Mesos' RoleTree keeps them.
type roleNode struct {
	name     string
	parent   *roleNode
	children map[string]*roleNode

	frameworks map[string]bool // tracked under the role itself

	quota      Quota
	guarantees sorter.Vec
	limits     limitVec
	weight     float64 // 0: the default

	reserved      sorter.Vec // reservations in agents' totals
	ooaReserved   sorter.Vec // offered or allocated reserved resources
	ooaUnreserved sorter.Vec // offered or allocated unreserved non-revocable scalars

	// What counts against the quota during allocation run cycleGen.
	cycleConsumed sorter.Vec
	cycleGen      uint64
}

// limitVec is a quota limit: entries with has[i] false are unlimited.
type limitVec struct {
	val sorter.Vec
	has []bool
}

func (l limitVec) empty() bool { return len(l.has) == 0 }

func (l limitVec) limited(i int) (int64, bool) {
	if i < len(l.has) && l.has[i] {
		return l.val.At(i), true
	}
	return 0, false
}

// minus returns l − q, clamped at zero, keeping unlimited entries.
func (l limitVec) minus(q sorter.Vec) limitVec {
	out := limitVec{val: l.val.Clone(), has: l.has}
	for i, has := range l.has {
		if has {
			out.val = out.val.AddAt(i, -q.At(i))
			if out.val[i] < 0 {
				out.val[i] = 0
			}
		}
	}
	return out
}

// roleTree tracks the roles.
type roleTree struct {
	root  *roleNode
	roles map[string]*roleNode
}

func newRoleTree() *roleTree {
	return &roleTree{root: &roleNode{children: map[string]*roleNode{}}, roles: map[string]*roleNode{}}
}

func (t *roleTree) get(role string) *roleNode { return t.roles[role] }

// ensure returns role's node, creating it and its ancestors as needed.
func (t *roleTree) ensure(role string) *roleNode {
	if n := t.roles[role]; n != nil {
		return n
	}
	cur := t.root
	for i, tok := range strings.Split(role, "/") {
		child := cur.children[tok]
		if child == nil {
			name := tok
			if cur != t.root {
				name = cur.name + "/" + tok
			}
			child = &roleNode{name: name, parent: cur, children: map[string]*roleNode{}, frameworks: map[string]bool{}}
			cur.children[tok] = child
			t.roles[name] = child
		}
		cur = child
		_ = i
	}
	return cur
}

// isEmpty reports whether a role holds nothing that keeps it in the tree.
func (n *roleNode) isEmpty() bool {
	return len(n.children) == 0 && len(n.frameworks) == 0 && n.reserved.IsZero() &&
		n.quota.IsDefault() && n.weight == 0 && n.ooaReserved.IsZero() && n.ooaUnreserved.IsZero()
}

// tryRemove removes role and its ancestors as long as they are empty.
func (t *roleTree) tryRemove(role string) {
	n := t.roles[role]
	for n != nil && n != t.root && n.isEmpty() {
		parent := n.parent
		delete(parent.children, n.name[strings.LastIndexByte(n.name, '/')+1:])
		delete(t.roles, n.name)
		n = parent
	}
}

// each applies f to role and its ancestors.
func (t *roleTree) each(role string, f func(n *roleNode)) {
	for n := t.ensure(role); n != nil && n != t.root; n = n.parent {
		f(n)
	}
}

// topLevel returns the top-level roles.
func (t *roleTree) topLevel() []*roleNode {
	out := make([]*roleNode, 0, len(t.root.children))
	for _, c := range t.root.children {
		out = append(out, c)
	}
	return out
}

// consumed is what counts against a role's quota: its subtree's
// reservations plus its unreserved offered or allocated resources.
func (n *roleNode) consumed() sorter.Vec {
	return n.reserved.Clone().Add(n.ooaUnreserved)
}
