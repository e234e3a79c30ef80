package resources

import (
	"math"
	"slices"
	"sort"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
)

// Resources is a normalised list of resources: entries that Mesos would
// combine are merged and empty entries are dropped. The zero value is the
// empty set of resources. A plain []*mesos.Resource converted to Resources
// is accepted by every method (it is normalised on the fly, dropping
// malformed entries), but only New validates fully.
type Resources []*mesos.Resource

// New returns the normal form of rs: a deep copy in which invalid and
// empty entries are dropped (as Mesos' Resources constructor does) and
// combinable entries are merged.
func New(rs ...*mesos.Resource) Resources {
	out := make(Resources, 0, len(rs))
	for _, x := range rs {
		if x == nil || ValidateResource(x) != nil {
			continue
		}
		out = addInto(out, proto.Clone(x).(*mesos.Resource))
	}
	return out
}

// Clone returns a deep copy of r whose entries the caller may modify.
func (r Resources) Clone() Resources {
	if r == nil {
		return nil
	}
	out := make(Resources, len(r))
	for i, x := range r {
		out[i] = CloneResource(x)
	}
	return out
}

// Add returns r + o. Neither operand is modified.
func (r Resources) Add(o Resources) Resources { return r.AddEach(o, nil) }

// Subtract returns r - o. What o holds beyond r is ignored: a scalar that
// would go negative disappears, ranges and sets lose what they share with
// o. Neither operand is modified.
func (r Resources) Subtract(o Resources) Resources {
	a := norm(r)
	out := make(Resources, len(a))
	copy(out, a)
	var block scalarBlock
	for i, x := range o {
		block.want = o[i:]
		out = subtractFrom(out, x, &block)
	}
	return out
}

// SubtractContained returns r - o and true when r contains o, else r and
// false: Contains and Subtract in one pass when o is normal and holds
// neither disks nor shared resources (a task's resources coming back out
// of what a framework holds), the two calls otherwise.
func (r Resources) SubtractContained(o Resources) (Resources, bool) {
	if !isNormal(o) {
		return r.subtractContainedSlow(o)
	}
	for _, x := range o {
		if x.Disk != nil || x.Shared != nil {
			return r.subtractContainedSlow(o)
		}
	}
	a := norm(r)
	out := make(Resources, len(a))
	copy(out, a)
	var block scalarBlock
	for i, x := range o {
		// The entry Subtract would take x from, which must hold all of
		// x; else the general rules decide.
		j := -1
		for k, y := range out {
			if y.GetName() == x.GetName() && subtractable(y, x) {
				j = k
				break
			}
		}
		if j < 0 || !containsValue(out[j], x) {
			return r.subtractContainedSlow(o)
		}
		block.want = o[i:]
		if z := difference(out[j], x, &block); z != nil {
			out[j] = z
		} else {
			out = slices.Delete(out, j, j+1)
		}
	}
	return out, true
}

func (r Resources) subtractContainedSlow(o Resources) (Resources, bool) {
	if !r.Contains(o) {
		return r, false
	}
	return r.Subtract(o), true
}

// AddUnallocated returns r + o.Unallocate() without making o's
// unallocated copy first when o is normal and allocated to one role:
// only the entries of o that r has nothing to merge with are copied.
func (r Resources) AddUnallocated(o Resources) Resources {
	if !isNormal(o) || !OneAllocation(o) { // isNormal first: it refuses nil entries
		return r.Add(o.Unallocate())
	}
	a := norm(r)
	out := make(Resources, len(a), len(a)+len(o))
	copy(out, a)
	var block scalarBlock
	for i, x := range o {
		var tmp mesos.Resource // x without allocation info, for the merge
		copyMeta(&tmp, x)
		tmp.Scalar, tmp.Ranges, tmp.Set = x.Scalar, x.Ranges, x.Set
		tmp.AllocationInfo = nil
		merged := false
		if x.Shared == nil {
			for k, y := range out {
				if y.GetName() == x.GetName() && mergeable(y, &tmp) {
					block.want = o[i:]
					out[k] = sum(y, &tmp, &block)
					merged = true
					break
				}
			}
		}
		if !merged {
			y := &mesos.Resource{}
			copyMeta(y, x)
			y.Scalar, y.Ranges, y.Set = x.Scalar, x.Ranges, x.Set
			y.AllocationInfo = nil
			out = append(out, y)
		}
	}
	return out
}

// Contains reports whether o can be subtracted from r without running
// out of anything. Resources with different reservations, allocation,
// disk, revocability, sharing or provider never contain each other.
func (r Resources) Contains(o Resources) bool {
	a, b := norm(r), norm(o)
	for i, x := range b {
		if IsPersistentVolume(x) {
			// Volumes are whole: count equal copies on both sides.
			need := 1
			for _, y := range b[:i] {
				if sameResource(x, y) {
					need++
				}
			}
			for _, y := range a {
				if y.GetName() == x.GetName() && containsOne(y, x) {
					need--
				}
			}
			if need > 0 {
				return false
			}
			continue
		}
		found := false
		for _, y := range a {
			if y.GetName() == x.GetName() && containsOne(y, x) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Equal reports whether r and o hold the same resources.
func (r Resources) Equal(o Resources) bool {
	return r.Contains(o) && o.Contains(r)
}

// IsEmpty reports whether r holds nothing.
func (r Resources) IsEmpty() bool {
	for _, x := range r {
		if live(x) {
			return false
		}
	}
	return true
}

// Scalar returns the total of the scalar resource name over all
// reservations, allocations and other distinctions; 0 if absent.
func (r Resources) Scalar(name string) float64 {
	var sum float64
	for _, x := range r {
		if x.GetName() == name && wellFormed(x) && *x.Type == mesos.Value_SCALAR {
			sum = addScalar(sum, x.GetScalar().GetValue())
		}
	}
	return sum
}

// Ranges returns the union of the ranges resource name over all entries,
// sorted and coalesced, as fresh messages; nil if absent.
func (r Resources) Ranges(name string) []*mesos.Value_Range {
	var buf [16]span
	s := buf[:0]
	for _, x := range r {
		if x.GetName() == name && wellFormed(x) && *x.Type == mesos.Value_RANGES {
			s = spansOf(s, x.Ranges)
		}
	}
	s = coalesce(s)
	var out mesos.Value_Ranges
	newRanges(&out, s)
	return out.Range
}

// Set returns the union of the set resource name over all entries; nil if
// absent.
func (r Resources) Set(name string) []string {
	var out []string
	for _, x := range r {
		if x.GetName() == name && wellFormed(x) && *x.Type == mesos.Value_SET {
			out = setUnion(out, x.GetSet().GetItem())
		}
	}
	return out
}

// Filter returns the entries for which keep returns true.
func (r Resources) Filter(keep func(*mesos.Resource) bool) Resources {
	a := norm(r)
	out := make(Resources, 0, len(a))
	for _, x := range a {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// Get returns the entries named name.
func (r Resources) Get(name string) Resources {
	a := norm(r)
	out := make(Resources, 0, len(a))
	for _, x := range a {
		if x.GetName() == name {
			out = append(out, x)
		}
	}
	return out
}

// Names returns the distinct resource names in r, sorted.
func (r Resources) Names() []string {
	var out []string
	for _, x := range norm(r) {
		if !slices.Contains(out, x.GetName()) {
			out = append(out, x.GetName())
		}
	}
	sort.Strings(out)
	return out
}

// Unreserved returns the entries that carry no reservation.
func (r Resources) Unreserved() Resources {
	a := norm(r)
	out := make(Resources, 0, len(a))
	for _, x := range a {
		if stackLen(x) == 0 {
			out = append(out, x)
		}
	}
	return out
}

// Reserved returns the entries reserved to role (their current, i.e.
// innermost, reservation), or every reserved entry when role is "".
func (r Resources) Reserved(role string) Resources {
	a := norm(r)
	out := make(Resources, 0, len(a))
	for _, x := range a {
		if n := stackLen(x); n > 0 && (role == "" || stackAt(x, n-1).role == role) {
			out = append(out, x)
		}
	}
	return out
}

// AllocatableTo returns the entries a framework in role may be offered:
// unreserved ones and those reserved to role or to one of its ancestors.
func (r Resources) AllocatableTo(role string) Resources {
	a := norm(r)
	out := make(Resources, 0, len(a))
	for _, x := range a {
		n := stackLen(x)
		if n == 0 {
			out = append(out, x)
			continue
		}
		if rr := stackAt(x, n-1).role; rr == role || IsStrictSubrole(role, rr) {
			out = append(out, x)
		}
	}
	return out
}

// Revocable returns the revocable entries.
func (r Resources) Revocable() Resources { return r.Filter(IsRevocable) }

// NonRevocable returns the entries that are not revocable.
func (r Resources) NonRevocable() Resources {
	return r.Filter(func(x *mesos.Resource) bool { return x.Revocable == nil })
}

// Shared returns the shared entries.
func (r Resources) Shared() Resources { return r.Filter(IsShared) }

// NonShared returns the entries that are not shared.
func (r Resources) NonShared() Resources {
	return r.Filter(func(x *mesos.Resource) bool { return x.Shared == nil })
}

// PersistentVolumes returns the persistent volumes.
func (r Resources) PersistentVolumes() Resources { return r.Filter(IsPersistentVolume) }

// Reservations groups the reserved entries by the role they are reserved
// to.
func (r Resources) Reservations() map[string]Resources {
	out := map[string]Resources{}
	for _, x := range norm(r) {
		if n := stackLen(x); n > 0 {
			role := stackAt(x, n-1).role
			out[role] = append(out[role], x)
		}
	}
	return out
}

// Allocations groups the entries by allocation role; entries without
// allocation info are grouped under "".
func (r Resources) Allocations() map[string]Resources {
	out := map[string]Resources{}
	for _, x := range norm(r) {
		role := x.GetAllocationInfo().GetRole()
		out[role] = append(out[role], x)
	}
	return out
}

// Allocate returns a copy of r with allocation_info.role set to role on
// every entry.
func (r Resources) Allocate(role string) Resources {
	a := norm(r)
	if len(a) == 0 {
		return Resources{}
	}
	info := &mesos.Resource_AllocationInfo{Role: proto.String(role)}
	boxes := make([]mesos.Resource, len(a))
	out := make(Resources, 0, len(a))
	for i, x := range a {
		y := &boxes[i]
		copyMeta(y, x)
		y.Scalar, y.Ranges, y.Set = x.Scalar, x.Ranges, x.Set
		y.AllocationInfo = info
		out = addInto(out, y)
	}
	return out
}

// Unallocate returns a copy of r with allocation info cleared.
func (r Resources) Unallocate() Resources {
	a := norm(r)
	if OneAllocation(a) {
		// A normal list allocated to one role stays normal without its
		// allocation: copy the entries in one block, nothing to merge.
		boxes := make([]mesos.Resource, len(a))
		out := make(Resources, len(a))
		for i, x := range a {
			y := &boxes[i]
			copyMeta(y, x)
			y.Scalar, y.Ranges, y.Set = x.Scalar, x.Ranges, x.Set
			y.AllocationInfo = nil
			out[i] = y
		}
		return out
	}
	out := make(Resources, 0, len(a))
	for _, x := range a {
		if x.AllocationInfo != nil {
			y := &mesos.Resource{}
			copyMeta(y, x)
			y.Scalar, y.Ranges, y.Set = x.Scalar, x.Ranges, x.Set
			y.AllocationInfo = nil
			x = y
		}
		out = addInto(out, x)
	}
	return out
}

// OneAllocation reports whether a has entries, every one of them
// allocated to one and the same role.
func OneAllocation(a Resources) bool {
	if len(a) == 0 || a[0].AllocationInfo == nil {
		return false
	}
	role := a[0].AllocationInfo.GetRole()
	for _, x := range a[1:] {
		if x.AllocationInfo == nil || x.AllocationInfo.GetRole() != role {
			return false
		}
	}
	return true
}

// ToUnreserved returns a copy of r with every reservation removed.
func (r Resources) ToUnreserved() Resources {
	return r.restack(func(*mesos.Resource) []*mesos.Resource_ReservationInfo { return nil })
}

// PushReservation returns a copy of r with ri added on top of every
// entry's reservation stack (a RESERVE, or a refinement of one). The
// result is in the post-refinement format.
func (r Resources) PushReservation(ri *mesos.Resource_ReservationInfo) Resources {
	return r.restack(func(x *mesos.Resource) []*mesos.Resource_ReservationInfo {
		st := upgradedStack(x)
		out := make([]*mesos.Resource_ReservationInfo, 0, len(st)+1)
		return append(append(out, st...), ri)
	})
}

// PopReservation returns a copy of r with the innermost reservation
// removed from every entry (an UNRESERVE). Unreserved entries are kept.
func (r Resources) PopReservation() Resources {
	return r.restack(func(x *mesos.Resource) []*mesos.Resource_ReservationInfo {
		st := upgradedStack(x)
		if len(st) == 0 {
			return nil
		}
		return st[: len(st)-1 : len(st)-1]
	})
}

func (r Resources) restack(f func(*mesos.Resource) []*mesos.Resource_ReservationInfo) Resources {
	a := norm(r)
	out := make(Resources, 0, len(a))
	for _, x := range a {
		y := &mesos.Resource{}
		copyMeta(y, x)
		y.Scalar, y.Ranges, y.Set = x.Scalar, x.Ranges, x.Set
		y.Role, y.Reservation = nil, nil
		y.Reservations = f(x)
		if len(y.Reservations) == 0 {
			y.Reservations = nil
		}
		out = addInto(out, y)
	}
	return out
}

// upgradedStack returns x's reservations in the post-refinement format.
// The returned slice must not be appended to in place.
func upgradedStack(x *mesos.Resource) []*mesos.Resource_ReservationInfo {
	if len(x.Reservations) > 0 {
		return x.Reservations
	}
	if !legacyReserved(x) {
		return nil
	}
	lv := stackAt(x, 0)
	ri := &mesos.Resource_ReservationInfo{
		Type:      lv.typ.Enum(),
		Role:      proto.String(lv.role),
		Principal: lv.principal,
		Labels:    lv.labels,
	}
	return []*mesos.Resource_ReservationInfo{ri}
}

// Upgrade returns a copy of r in Mesos' post-reservation-refinement
// format: reservations only in the reservations field, the deprecated
// role and reservation fields cleared.
func (r Resources) Upgrade() Resources {
	return r.restack(upgradedStack)
}

// Upgraded reports whether r is already what Upgrade would return: in
// normal form, with no entry using the legacy role or reservation
// fields. Upgrade then only copies it.
func (r Resources) Upgraded() bool {
	for _, x := range r {
		if x == nil || x.Role != nil || x.Reservation != nil {
			return false
		}
	}
	return isNormal(r)
}

// Downgrade returns a copy of r in the pre-reservation-refinement format
// that frameworks without the RESERVATION_REFINEMENT capability expect:
// role set ("*" when unreserved), reservation set for a dynamic
// reservation, reservations cleared. Refined reservations cannot be
// expressed in that format and yield an error.
func (r Resources) Downgrade() (Resources, error) {
	a := norm(r)
	out := make(Resources, 0, len(a))
	boxes := make([]mesos.Resource, len(a)) // the entries in one block
	for i, x := range a {
		y := &boxes[i]
		copyMeta(y, x)
		y.Scalar, y.Ranges, y.Set = x.Scalar, x.Ranges, x.Set
		y.Reservations, y.Reservation = nil, nil
		switch stackLen(x) {
		case 0:
			y.Role = &unreservedRole
		case 1:
			lv := stackAt(x, 0)
			y.Role = roleString(x, lv.role)
			if lv.typ == mesos.Resource_ReservationInfo_DYNAMIC {
				y.Reservation = &mesos.Resource_ReservationInfo{Principal: lv.principal, Labels: lv.labels}
			}
		default:
			return nil, errorf("cannot downgrade %s: it has refined reservations", formatResource(x))
		}
		out = append(out, y)
	}
	return out, nil
}

// unreservedRole is the role every unreserved entry Downgrade returns
// points to. Nothing writes through a message's string fields (setting a
// field replaces the pointer), so one copy serves them all.
var unreservedRole = "*"

// roleString returns a pointer to role, x's only reservation role, reusing
// the one x already holds.
func roleString(x *mesos.Resource, role string) *string {
	if x.Role != nil && *x.Role == role {
		return x.Role
	}
	if len(x.Reservations) == 1 && x.Reservations[0].Role != nil && *x.Reservations[0].Role == role {
		return x.Reservations[0].Role
	}
	return proto.String(role)
}

// ScalarQuantities returns the total of every scalar resource by name,
// over all reservations and other distinctions.
func (r Resources) ScalarQuantities() map[string]float64 {
	out := make(map[string]float64, len(r))
	for _, x := range r {
		if live(x) && *x.Type == mesos.Value_SCALAR {
			out[x.GetName()] = addScalar(out[x.GetName()], x.GetScalar().GetValue())
		}
	}
	return out
}

// ContainsQuantities reports whether r holds at least the quantity q[name]
// of every named resource, ignoring reservations and other metadata.
// Ranges count their elements ("[1-5]" is 5) and sets their items, as in
// Mesos' minimum-allocatable check.
func (r Resources) ContainsQuantities(q map[string]float64) bool {
	for name, want := range q {
		var have float64
		for _, x := range r {
			if x.GetName() != name || !wellFormed(x) {
				continue
			}
			switch x.GetType() {
			case mesos.Value_SCALAR:
				have = addScalar(have, x.GetScalar().GetValue())
			case mesos.Value_RANGES:
				for _, rg := range x.Ranges.GetRange() {
					have += float64(rg.GetEnd()-rg.GetBegin()) + 1
				}
			case mesos.Value_SET:
				have += float64(len(x.GetSet().GetItem()))
			}
		}
		if cmpScalar(have, want) < 0 {
			return false
		}
	}
	return true
}

// ---- normal form ----

// wellFormed is the cheap structural check applied to every operand
// entry: a name, a type, and exactly the matching, sane value.
func wellFormed(x *mesos.Resource) bool {
	if x == nil || x.Type == nil || x.GetName() == "" {
		return false
	}
	switch *x.Type {
	case mesos.Value_SCALAR:
		if x.Scalar == nil || x.Ranges != nil || x.Set != nil {
			return false
		}
		v := x.Scalar.GetValue()
		return v >= 0 && !math.IsInf(v, 1) // false for NaN too
	case mesos.Value_RANGES:
		if x.Ranges == nil || x.Scalar != nil || x.Set != nil {
			return false
		}
		for _, rg := range x.Ranges.Range {
			if rg == nil || rg.GetBegin() > rg.GetEnd() {
				return false
			}
		}
		return true
	case mesos.Value_SET:
		return x.Set != nil && x.Scalar == nil && x.Ranges == nil
	}
	return false
}

// live reports whether normal form keeps x: wellFormed and not empty, in
// one pass over the entry.
func live(x *mesos.Resource) bool {
	if x == nil || x.Type == nil || x.Name == nil || *x.Name == "" {
		return false
	}
	switch *x.Type {
	case mesos.Value_SCALAR:
		if x.Scalar == nil || x.Ranges != nil || x.Set != nil {
			return false
		}
		// v >= 0, not +Inf, not scalarIsZero(v); false for NaN too.
		v := x.Scalar.GetValue()
		return v*1000 >= 0.5 && !math.IsInf(v, 1)
	case mesos.Value_RANGES:
		if x.Ranges == nil || x.Scalar != nil || x.Set != nil || len(x.Ranges.Range) == 0 {
			return false
		}
		for _, rg := range x.Ranges.Range {
			if rg == nil || rg.GetBegin() > rg.GetEnd() {
				return false
			}
		}
		return true
	case mesos.Value_SET:
		return x.Set != nil && x.Scalar == nil && x.Ranges == nil && len(x.Set.Item) > 0
	}
	return false
}

// isNormal reports whether rs is already in normal form.
func isNormal(rs Resources) bool {
	for i, x := range rs {
		if x == nil || x.Type == nil || *x.Type != mesos.Value_RANGES {
			if !live(x) {
				return false
			}
		} else if x.Name == nil || *x.Name == "" || x.Ranges == nil || x.Scalar != nil || x.Set != nil ||
			len(x.Ranges.Range) == 0 || !rangesCoalesced(x.Ranges) {
			// rangesCoalesced also refuses nil and reversed ranges.
			return false
		}
		for _, y := range rs[:i] {
			if y.GetName() == x.GetName() && mergeable(y, x) {
				return false
			}
		}
	}
	return true
}

// norm returns rs itself when already normal, else its normal form.
func norm(rs Resources) Resources {
	if isNormal(rs) {
		return rs
	}
	out := make(Resources, 0, len(rs))
	for _, x := range rs {
		out = addInto(out, x)
	}
	return out
}

// addInto adds x to out, which the caller owns (its entries are shared
// and never modified).
func addInto(out Resources, x *mesos.Resource) Resources {
	return addWith(out, x, nil)
}

// addWith is addInto taking new scalar entries from block (nil: one
// allocation each).
func addWith(out Resources, x *mesos.Resource, block *scalarBlock) Resources {
	if !live(x) {
		return out
	}
	if x.Shared == nil {
		for i, y := range out {
			if y.GetName() == x.GetName() && mergeable(y, x) {
				out[i] = sum(y, x, block)
				return out
			}
		}
	}
	if *x.Type == mesos.Value_RANGES && !rangesCoalesced(x.Ranges) {
		var buf [16]span
		x = withSpans(x, coalesce(spansOf(buf[:0], x.Ranges)))
	}
	return append(out, x)
}

// subtractFrom takes x out of out, which the caller owns.
func subtractFrom(out Resources, x *mesos.Resource, block *scalarBlock) Resources {
	if !live(x) {
		return out
	}
	for i, y := range out {
		if y.GetName() == x.GetName() && subtractable(y, x) {
			if z := difference(y, x, block); z != nil {
				out[i] = z
			} else {
				out = slices.Delete(out, i, i+1)
			}
			return out
		}
	}
	return out
}

// Boxes that keep a new entry and its value in one allocation.
type scalarEntry struct {
	res mesos.Resource
	sc  mesos.Value_Scalar
	v   float64
}

type rangesEntry struct {
	res mesos.Resource
	rs  mesos.Value_Ranges
}

type setEntry struct {
	res mesos.Resource
	set mesos.Value_Set
}

// copyMeta copies every field of src but the value into dst, sharing the
// sub-messages.
func copyMeta(dst, src *mesos.Resource) {
	dst.Name = src.Name
	dst.Type = src.Type
	dst.Role = src.Role
	dst.Disk = src.Disk
	dst.Reservation = src.Reservation
	dst.Revocable = src.Revocable
	dst.Shared = src.Shared
	dst.AllocationInfo = src.AllocationInfo
	dst.ProviderId = src.ProviderId
	dst.Reservations = src.Reservations
}

// scalarBlock hands out the scalar entries of one Add or Subtract from a
// single allocation, made on first use with room for every scalar entry
// left in want (the operand entries not yet handled). Entries of one
// result then share a block, as those of Allocate do.
type scalarBlock struct {
	want  Resources
	boxes []scalarEntry
}

func (b *scalarBlock) take() *scalarEntry {
	if b == nil {
		return &scalarEntry{}
	}
	if len(b.boxes) == 0 {
		n := 0
		for _, x := range b.want {
			if x != nil && x.Type != nil && *x.Type == mesos.Value_SCALAR {
				n++
			}
		}
		b.boxes = make([]scalarEntry, max(n, 1))
	}
	e := &b.boxes[0]
	b.boxes = b.boxes[1:]
	return e
}

func withScalar(meta *mesos.Resource, v float64, block *scalarBlock) *mesos.Resource {
	e := block.take()
	e.v = v
	copyMeta(&e.res, meta)
	e.sc.Value = &e.v
	e.res.Scalar = &e.sc
	return &e.res
}

func withSpans(meta *mesos.Resource, s []span) *mesos.Resource {
	e := &rangesEntry{}
	copyMeta(&e.res, meta)
	newRanges(&e.rs, s)
	e.res.Ranges = &e.rs
	return &e.res
}

func withItems(meta *mesos.Resource, items []string) *mesos.Resource {
	e := &setEntry{}
	copyMeta(&e.res, meta)
	e.set.Item = items
	e.res.Set = &e.set
	return &e.res
}

// sum returns a new entry holding a + b; a supplies the metadata.
func sum(a, b *mesos.Resource, block *scalarBlock) *mesos.Resource {
	switch a.GetType() {
	case mesos.Value_SCALAR:
		return withScalar(a, addScalar(a.GetScalar().GetValue(), b.GetScalar().GetValue()), block)
	case mesos.Value_RANGES:
		var buf [32]span
		s := spansOf(spansOf(buf[:0], a.Ranges), b.Ranges)
		return withSpans(a, coalesce(s))
	default:
		return withItems(a, setUnion(a.GetSet().GetItem(), b.GetSet().GetItem()))
	}
}

// difference returns a new entry holding a - b, or nil when nothing (or
// less than nothing) is left.
func difference(a, b *mesos.Resource, block *scalarBlock) *mesos.Resource {
	switch a.GetType() {
	case mesos.Value_SCALAR:
		v := subScalar(a.GetScalar().GetValue(), b.GetScalar().GetValue())
		if cmpScalar(v, 0) <= 0 {
			return nil
		}
		return withScalar(a, v, block)
	case mesos.Value_RANGES:
		var lb, rb, ob [16]span
		left := coalesce(spansOf(lb[:0], a.Ranges))
		right := coalesce(spansOf(rb[:0], b.Ranges))
		s := subtractSpans(ob[:0], left, right)
		if len(s) == 0 {
			return nil
		}
		return withSpans(a, s)
	default:
		items := setDifference(a.GetSet().GetItem(), b.GetSet().GetItem())
		if len(items) == 0 {
			return nil
		}
		return withItems(a, items)
	}
}
