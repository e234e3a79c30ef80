package sorter

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Names numbers resource names ("cpus", "mem", ...) densely, so that
// quantities can be kept as plain arrays indexed by name. An allocator
// owns one Names and shares it with all its sorters; numbers are never
// reused or withdrawn. Not safe for concurrent use.
type Names struct {
	ids   map[string]int
	names []string
}

// NewNames returns an empty numbering.
func NewNames() *Names { return &Names{ids: map[string]int{}} }

// ID returns name's number, assigning the next one if name is new.
func (n *Names) ID(name string) int {
	if len(n.names) <= 16 {
		// A handful of names (cpus, mem, disk, ports, gpus): a scan
		// beats hashing.
		for i, x := range n.names {
			if x == name {
				return i
			}
		}
	} else if id, ok := n.ids[name]; ok {
		return id
	}
	id := len(n.names)
	n.ids[name] = id
	n.names = append(n.names, name)
	return id
}

// Lookup returns name's number if it has one.
func (n *Names) Lookup(name string) (int, bool) {
	id, ok := n.ids[name]
	return id, ok
}

// Name returns the name numbered id.
func (n *Names) Name(id int) string { return n.names[id] }

// Len returns how many names are numbered.
func (n *Names) Len() int { return len(n.names) }

// Scale is the fixed-point factor of Vec entries: Mesos rounds scalar
// values to three decimal places, so quantities are kept in thousandths
// and sums are exact.
const Scale = 1000

// Fixed converts a scalar value to thousandths, rounding as Mesos does.
func Fixed(v float64) int64 { return int64(math.Round(v * Scale)) }

// Float converts thousandths back to a scalar value.
func Float(f int64) float64 { return float64(f) / Scale }

// Vec holds quantities in thousandths, indexed by a Names numbering.
// Entries past the end count as zero. The zero value is the empty
// quantity.
type Vec []int64

// Of builds a Vec from name → value, numbering new names.
func Of(n *Names, q map[string]float64) Vec {
	var v Vec
	for name, x := range q {
		v = v.AddAt(n.ID(name), Fixed(x))
	}
	return v
}

// Parse builds a Vec from text such as "cpus:2;mem:1024".
func Parse(n *Names, text string) (Vec, error) {
	var v Vec
	for _, part := range strings.Split(text, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("%q is not of the form name:value", part)
		}
		var x float64
		if _, err := fmt.Sscan(strings.TrimSpace(value), &x); err != nil {
			return nil, fmt.Errorf("%q: %v", part, err)
		}
		v = v.AddAt(n.ID(strings.TrimSpace(name)), Fixed(x))
	}
	return v, nil
}

// MustParse is Parse that panics on error, for tests.
func MustParse(n *Names, text string) Vec {
	v, err := Parse(n, text)
	if err != nil {
		panic(err)
	}
	return v
}

// At returns entry i (zero past the end).
func (v Vec) At(i int) int64 {
	if i < len(v) {
		return v[i]
	}
	return 0
}

// grow extends v to at least n entries.
func (v Vec) grow(n int) Vec {
	if len(v) >= n {
		return v
	}
	if cap(v) >= n {
		return v[:n]
	}
	w := make(Vec, n, n+2)
	copy(w, v)
	return w
}

// AddAt adds x to entry i, growing v as needed, and returns v.
func (v Vec) AddAt(i int, x int64) Vec {
	v = v.grow(i + 1)
	v[i] += x
	return v
}

// Add adds o to v in place (growing it as needed) and returns v.
func (v Vec) Add(o Vec) Vec {
	v = v.grow(len(o))
	for i, x := range o {
		v[i] += x
	}
	return v
}

// Sub subtracts o from v in place and returns v. Entries may go
// negative; callers that need clamping use SubClamp.
func (v Vec) Sub(o Vec) Vec {
	v = v.grow(len(o))
	for i, x := range o {
		v[i] -= x
	}
	return v
}

// SubClamp subtracts o from v in place, clamping entries at zero, as
// Mesos' ResourceQuantities subtraction does.
func (v Vec) SubClamp(o Vec) Vec {
	v = v.grow(len(o))
	for i, x := range o {
		v[i] -= x
		if v[i] < 0 {
			v[i] = 0
		}
	}
	return v
}

// Clone returns a copy of v.
func (v Vec) Clone() Vec {
	if v == nil {
		return nil
	}
	return append(Vec(nil), v...)
}

// IsZero reports whether every entry is zero or less.
func (v Vec) IsZero() bool {
	for _, x := range v {
		if x > 0 {
			return false
		}
	}
	return true
}

// Contains reports whether v holds at least o of every entry.
func (v Vec) Contains(o Vec) bool {
	for i, x := range o {
		if x > v.At(i) {
			return false
		}
	}
	return true
}

// Equal reports whether v and o hold the same quantities.
func (v Vec) Equal(o Vec) bool {
	n := max(len(v), len(o))
	for i := 0; i < n; i++ {
		if v.At(i) != o.At(i) {
			return false
		}
	}
	return true
}

// Map renders v as name → value, leaving out zero entries.
func (v Vec) Map(n *Names) map[string]float64 {
	out := map[string]float64{}
	for i, x := range v {
		if x != 0 {
			out[n.Name(i)] = Float(x)
		}
	}
	return out
}

// Format renders v as "cpus:2;mem:1024" in name order, for messages.
func (v Vec) Format(n *Names) string {
	m := v.Map(n)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	for i, k := range keys {
		if i > 0 {
			sb.WriteByte(';')
		}
		fmt.Fprintf(&sb, "%s:%g", k, m[k])
	}
	return sb.String()
}

// Total is the pool shares are measured against: the sum of the scalar
// quantities of every agent. One Total is shared by all the sorters of an
// allocator, so that adding an agent costs one update however many
// sorters there are; sorters notice a change by its generation.
type Total struct {
	names *Names
	q     Vec
	gen   uint64
}

// NewTotal returns an empty pool over names.
func NewTotal(names *Names) *Total { return &Total{names: names, gen: 1} }

// Names returns the numbering the pool uses.
func (t *Total) Names() *Names { return t.names }

// Add adds q to the pool.
func (t *Total) Add(q Vec) { t.q = t.q.Add(q); t.gen++ }

// Sub takes q out of the pool (entries are clamped at zero).
func (t *Total) Sub(q Vec) { t.q = t.q.SubClamp(q); t.gen++ }

// Set replaces the pool.
func (t *Total) Set(q Vec) { t.q = q.Clone(); t.gen++ }

// Quantities returns the pool; the caller must not modify it.
func (t *Total) Quantities() Vec { return t.q }
