package resources

import "github.com/gomesos/gomesos/messages/mesos"

// AddEach is Add, also calling into(i, j) for each entry o[j] that is
// not empty: out[i] is the entry of the result it went into. Entries of o
// that merge with none before them go in at the end, in o's order.
func (r Resources) AddEach(o Resources, into func(i, j int)) Resources {
	a := norm(r)
	out := make(Resources, len(a), len(a)+len(o))
	copy(out, a)
	var block scalarBlock
	for j, x := range o {
		block.want = o[j:]
		n := len(out)
		out = addWith(out, x, &block)
		if into == nil || !live(x) {
			continue
		}
		i := len(out) - 1
		if len(out) == n {
			i = MergeIndex(out, x)
		}
		into(i, j)
	}
	return out
}

// MergeIndex is the index of the entry of r that Add would add x into,
// -1 if none.
func MergeIndex(r Resources, x *mesos.Resource) int {
	if x == nil || x.Shared != nil {
		return -1
	}
	for i, y := range r {
		if y.GetName() == x.GetName() && mergeable(y, x) {
			return i
		}
	}
	return -1
}

// ExactScalar reports whether x is a scalar that sums and subtracts
// exactly: not empty, not shared, mergeable, and its value already at
// fixed-point resolution. A sum of such entries does not depend on the
// order of its terms, and taking one term back out gives the sum of the
// others.
func ExactScalar(x *mesos.Resource) bool {
	if !live(x) || x.GetType() != mesos.Value_SCALAR || !mergeable(x, x) {
		return false
	}
	v := x.GetScalar().GetValue()
	return fixedOK(v) && fromFixed(toFixed(v)) == v
}

// ScalarMinus returns a new entry holding the scalar a - b with a's
// metadata, nil when nothing is left.
func ScalarMinus(a, b *mesos.Resource) *mesos.Resource {
	return difference(a, b, nil)
}

// ScalarLike returns a new scalar entry with meta's name and metadata and
// the value v.
func ScalarLike(meta *mesos.Resource, v float64) *mesos.Resource {
	return withScalar(meta, v, nil)
}

// Counts reports whether x counts in a sum: Add skips entries that are
// malformed or empty.
func Counts(x *mesos.Resource) bool { return live(x) }

// Normal reports whether r is in normal form: Add would change nothing
// but copy it.
func Normal(r Resources) bool { return isNormal(r) }
