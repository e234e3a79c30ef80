package resources

import (
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
)

// CloneResource returns a deep copy of x, as proto.Clone does. The
// common entries (a name, a type, a scalar or ranges value, a legacy role,
// allocation info, nothing else and no unknown fields) are copied field by
// field, several times faster than the reflective copy; the rest go
// through proto.Clone. Each part is an allocation of its own (a scalar
// with its value), so that a shallow copy of the entry that keeps some
// parts keeps no more than those.
func CloneResource(x *mesos.Resource) *mesos.Resource {
	if x == nil {
		return nil
	}
	if !Plain(x) {
		return proto.Clone(x).(*mesos.Resource)
	}
	y := &mesos.Resource{Name: copyString(x.Name), Role: copyString(x.Role)}
	if x.Type != nil {
		y.Type = x.Type.Enum()
	}
	if x.Scalar != nil {
		b := &scalarCopy{}
		y.Scalar = &b.sc
		if x.Scalar.Value != nil {
			b.v = *x.Scalar.Value
			b.sc.Value = &b.v
		}
	}
	if x.Ranges != nil {
		y.Ranges = &mesos.Value_Ranges{}
		CopyRanges(y.Ranges, x.Ranges)
	}
	if x.AllocationInfo != nil {
		y.AllocationInfo = &mesos.Resource_AllocationInfo{Role: copyString(x.AllocationInfo.Role)}
	}
	return y
}

func copyString(s *string) *string {
	if s == nil {
		return nil
	}
	return proto.String(*s)
}

// scalarCopy holds a copied scalar and its value in one allocation.
type scalarCopy struct {
	sc mesos.Value_Scalar
	v  float64
}

type rangeCopy struct {
	r          mesos.Value_Range
	begin, end uint64
}

// CopyRanges sets dst's ranges to copies of src's, all of them with their
// bounds in one allocation.
func CopyRanges(dst, src *mesos.Value_Ranges) {
	n := len(src.Range)
	if n == 0 {
		return
	}
	boxes := make([]rangeCopy, n)
	dst.Range = make([]*mesos.Value_Range, n)
	for i, rg := range src.Range {
		rb := &boxes[i]
		if rg.Begin != nil {
			rb.begin, rb.r.Begin = *rg.Begin, &rb.begin
		}
		if rg.End != nil {
			rb.end, rb.r.End = *rg.End, &rb.end
		}
		dst.Range[i] = &rb.r
	}
}

// Plain reports whether x holds only what CloneResource copies field by
// field: name, type, role, allocation info, and a scalar or ranges value,
// with no unknown fields.
func Plain(x *mesos.Resource) bool {
	if x.Set != nil || x.Disk != nil || x.Reservation != nil || x.Revocable != nil ||
		x.Shared != nil || x.ProviderId != nil || x.Reservations != nil ||
		len(x.ProtoReflect().GetUnknown()) > 0 {
		return false
	}
	if x.Scalar != nil && len(x.Scalar.ProtoReflect().GetUnknown()) > 0 {
		return false
	}
	if x.AllocationInfo != nil && len(x.AllocationInfo.ProtoReflect().GetUnknown()) > 0 {
		return false
	}
	if x.Ranges != nil {
		if len(x.Ranges.ProtoReflect().GetUnknown()) > 0 {
			return false
		}
		for _, rg := range x.Ranges.Range {
			if rg == nil || len(rg.ProtoReflect().GetUnknown()) > 0 {
				return false
			}
		}
	}
	return true
}

// WithAllocation returns a copy of x with allocation info info, sharing
// x's value and other parts (which no one changes); an entry with unknown
// fields is copied whole.
func WithAllocation(x *mesos.Resource, info *mesos.Resource_AllocationInfo) *mesos.Resource {
	var y *mesos.Resource
	if len(x.ProtoReflect().GetUnknown()) > 0 {
		y = proto.Clone(x).(*mesos.Resource)
	} else {
		y = &mesos.Resource{}
		copyMeta(y, x)
		y.Scalar, y.Ranges, y.Set = x.Scalar, x.Ranges, x.Set
	}
	y.AllocationInfo = info
	return y
}
