package resources

import (
	"slices"
	"strings"

	"github.com/gomesos/gomesos/messages/mesos"
)

// reservation is one level of a resource's reservation stack, read either
// from Resource.reservations or, for resources in the legacy format, from
// Resource.role and Resource.reservation.
type reservation struct {
	typ       mesos.Resource_ReservationInfo_Type
	role      string
	principal *string
	labels    *mesos.Labels
}

// legacyReserved reports whether r is in the pre-refinement format and
// reserved through its deprecated role field.
func legacyReserved(r *mesos.Resource) bool {
	return len(r.Reservations) == 0 && r.Role != nil && *r.Role != "*"
}

// stackLen is the number of reservations in r's (upgraded) stack.
func stackLen(r *mesos.Resource) int {
	if n := len(r.Reservations); n > 0 {
		return n
	}
	if legacyReserved(r) {
		return 1
	}
	return 0
}

// stackAt returns level i of r's (upgraded) reservation stack.
func stackAt(r *mesos.Resource, i int) reservation {
	if len(r.Reservations) > 0 {
		ri := r.Reservations[i]
		return reservation{ri.GetType(), ri.GetRole(), ri.Principal, ri.Labels}
	}
	out := reservation{typ: mesos.Resource_ReservationInfo_STATIC, role: r.GetRole()}
	if rv := r.Reservation; rv != nil {
		out.typ = mesos.Resource_ReservationInfo_DYNAMIC
		out.principal, out.labels = rv.Principal, rv.Labels
	}
	return out
}

// ReservationRole returns the role r is reserved to (the last entry of
// its reservation stack), or "" when r is unreserved.
func ReservationRole(r *mesos.Resource) string {
	n := stackLen(r)
	if n == 0 {
		return ""
	}
	return stackAt(r, n-1).role
}

// IsUnreserved reports whether r carries no reservation.
func IsUnreserved(r *mesos.Resource) bool { return stackLen(r) == 0 }

// IsDynamicallyReserved reports whether r's current reservation is DYNAMIC.
func IsDynamicallyReserved(r *mesos.Resource) bool {
	n := stackLen(r)
	return n > 0 && stackAt(r, n-1).typ == mesos.Resource_ReservationInfo_DYNAMIC
}

// IsPersistentVolume reports whether r is a disk with a persistence id.
func IsPersistentVolume(r *mesos.Resource) bool {
	return r.Disk != nil && r.Disk.Persistence != nil
}

// IsRevocable reports whether r is revocable.
func IsRevocable(r *mesos.Resource) bool { return r.Revocable != nil }

// IsShared reports whether r is a shared resource.
func IsShared(r *mesos.Resource) bool { return r.Shared != nil }

// IsStrictSubrole reports whether child is a descendant of parent in the
// role hierarchy ("eng/web" is a strict subrole of "eng").
func IsStrictSubrole(child, parent string) bool {
	return len(child) > len(parent) && child[len(parent)] == '/' &&
		strings.HasPrefix(child, parent)
}

func sameOptString(a, b *string) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	return a == nil || *a == *b
}

func sameReservation(a, b reservation) bool {
	if a.typ != b.typ || a.role != b.role || !sameOptString(a.principal, b.principal) {
		return false
	}
	if (a.labels == nil) != (b.labels == nil) {
		return false
	}
	return a.labels == nil || sameLabels(a.labels, b.labels)
}

func sameStack(a, b *mesos.Resource) bool {
	n := stackLen(a)
	if n != stackLen(b) {
		return false
	}
	if n == 0 {
		return true
	}
	// Fast path: both in the new format and sharing the same stack.
	if len(a.Reservations) == n && len(b.Reservations) == n && &a.Reservations[0] == &b.Reservations[0] {
		return true
	}
	for i := 0; i < n; i++ {
		if !sameReservation(stackAt(a, i), stackAt(b, i)) {
			return false
		}
	}
	return true
}

// sameLabels compares two label lists ignoring order, as Mesos does.
func sameLabels(a, b *mesos.Labels) bool {
	la, lb := a.GetLabels(), b.GetLabels()
	if len(la) != len(lb) {
		return false
	}
	for _, x := range la {
		found := false
		for _, y := range lb {
			if x.GetKey() == y.GetKey() && x.GetValue() == y.GetValue() {
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

func sameAllocation(a, b *mesos.Resource_AllocationInfo) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	return a == b || sameOptString(a.Role, b.Role)
}

func sameProvider(a, b *mesos.ResourceProviderID) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	return a == b || a.GetValue() == b.GetValue()
}

// sameDisk compares disk infos the way Mesos does: the source and the
// persistence id count, the volume (how a task mounts it) does not.
func sameDisk(a, b *mesos.Resource_DiskInfo) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	if a == b {
		return true
	}
	if (a.Persistence == nil) != (b.Persistence == nil) {
		return false
	}
	if a.Persistence != nil && a.Persistence.GetId() != b.Persistence.GetId() {
		return false
	}
	return sameSource(a.Source, b.Source)
}

func sameSource(a, b *mesos.Resource_DiskInfo_Source) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	if a == b {
		return true
	}
	if a.GetType() != b.GetType() ||
		!sameOptString(a.Vendor, b.Vendor) ||
		!sameOptString(a.Id, b.Id) ||
		!sameOptString(a.Profile, b.Profile) {
		return false
	}
	if (a.Path == nil) != (b.Path == nil) || (a.Path != nil && !sameOptString(a.Path.Root, b.Path.Root)) {
		return false
	}
	if (a.Mount == nil) != (b.Mount == nil) || (a.Mount != nil && !sameOptString(a.Mount.Root, b.Mount.Root)) {
		return false
	}
	if (a.Metadata == nil) != (b.Metadata == nil) || (a.Metadata != nil && !sameLabels(a.Metadata, b.Metadata)) {
		return false
	}
	return true
}

// sameMetadata compares everything but the value.
func sameMetadata(a, b *mesos.Resource) bool {
	if a == b {
		return true
	}
	if plainMeta(a) && plainMeta(b) {
		// The common case: nothing but a name, a type and allocation info.
		return a.GetName() == b.GetName() && a.GetType() == b.GetType() &&
			sameAllocation(a.AllocationInfo, b.AllocationInfo)
	}
	return sameMetadataFull(a, b)
}

// plainMeta reports whether x is unreserved (at most the legacy role "*")
// with no disk, revocability, provider or sharing.
func plainMeta(x *mesos.Resource) bool {
	return x.Reservations == nil && x.Reservation == nil && x.Disk == nil && x.Revocable == nil &&
		x.ProviderId == nil && x.Shared == nil && (x.Role == nil || *x.Role == "*")
}

// sameMetadataFull is sameMetadata for any entries.
func sameMetadataFull(a, b *mesos.Resource) bool {
	return a.GetName() == b.GetName() &&
		a.GetType() == b.GetType() &&
		sameAllocation(a.AllocationInfo, b.AllocationInfo) &&
		sameStack(a, b) &&
		sameDisk(a.Disk, b.Disk) &&
		(a.Revocable == nil) == (b.Revocable == nil) &&
		sameProvider(a.ProviderId, b.ProviderId) &&
		(a.Shared == nil) == (b.Shared == nil)
}

// sameValue compares the values of two resources of the same type.
func sameValue(a, b *mesos.Resource) bool {
	switch a.GetType() {
	case mesos.Value_SCALAR:
		return cmpScalar(a.GetScalar().GetValue(), b.GetScalar().GetValue()) == 0
	case mesos.Value_RANGES:
		var ba, bb [8]span
		sa := coalesce(spansOf(ba[:0], a.Ranges))
		sb := coalesce(spansOf(bb[:0], b.Ranges))
		return slices.Equal(sa, sb)
	case mesos.Value_SET:
		return setEqual(a.GetSet().GetItem(), b.GetSet().GetItem())
	}
	return false
}

// sameResource is Mesos' Resource equality.
func sameResource(a, b *mesos.Resource) bool {
	return sameMetadata(a, b) && sameValue(a, b)
}

// mergeable reports whether a and b may be folded into one entry. Shared
// resources never merge here: equal copies are kept as separate entries
// and their number is the share count.
func mergeable(a, b *mesos.Resource) bool {
	if a.Shared != nil || b.Shared != nil {
		return false
	}
	if !sameMetadata(a, b) {
		return false
	}
	if d := a.Disk; d != nil {
		if src := d.Source; src != nil {
			switch src.GetType() {
			case mesos.Resource_DiskInfo_Source_MOUNT, mesos.Resource_DiskInfo_Source_BLOCK:
				return false // exclusive disks stay whole
			case mesos.Resource_DiskInfo_Source_RAW:
				if src.Id != nil {
					return false
				}
			}
		}
		if d.Persistence != nil {
			return false
		}
	}
	return true
}

// subtractable reports whether b may be taken out of a.
func subtractable(a, b *mesos.Resource) bool {
	if (a.Shared == nil) != (b.Shared == nil) {
		return false
	}
	if a.Shared != nil {
		return sameResource(a, b)
	}
	if !sameMetadata(a, b) {
		return false
	}
	if d := a.Disk; d != nil {
		whole := d.Persistence != nil
		if src := d.Source; src != nil {
			switch src.GetType() {
			case mesos.Resource_DiskInfo_Source_MOUNT, mesos.Resource_DiskInfo_Source_BLOCK:
				whole = true
			case mesos.Resource_DiskInfo_Source_RAW:
				whole = whole || src.Id != nil
			}
		}
		if whole && !sameValue(a, b) {
			return false
		}
	}
	return true
}

// containsOne reports whether a holds all of b.
func containsOne(a, b *mesos.Resource) bool {
	return subtractable(a, b) && containsValue(a, b)
}

// containsValue reports whether a's value holds b's (of the same type).
func containsValue(a, b *mesos.Resource) bool {
	switch a.GetType() {
	case mesos.Value_SCALAR:
		return cmpScalar(b.GetScalar().GetValue(), a.GetScalar().GetValue()) <= 0
	case mesos.Value_RANGES:
		return spansContain(a.Ranges, b.Ranges)
	case mesos.Value_SET:
		return setContains(a.GetSet().GetItem(), b.GetSet().GetItem())
	}
	return false
}
