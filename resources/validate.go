package resources

import (
	"errors"
	"fmt"
	"github.com/gomesos/gomesos/messages/protocol"
	"math"
	"slices"

	"github.com/gomesos/gomesos/messages/mesos"
)

// Validate checks every resource against Mesos' well-formedness rules
// (see ValidateResource). The error names the first offending resource.
func Validate(rs []*mesos.Resource) error {
	for i, x := range rs {
		if err := ValidateResource(x); err != nil {
			return fmt.Errorf("resource #%d '%s' is invalid: %w", i, formatResource(x), err)
		}
	}
	return nil
}

// ValidateResource checks one resource as Mesos' Resources::validate does:
// a name; a type of SCALAR, RANGES or SET with exactly the matching value;
// scalars finite, not negative and not so small they round to zero; ranges
// with begin <= end and no overlaps; sets with non-empty, distinct items;
// disk info only on "disk" and consistent with its source; valid roles and
// a consistent reservation stack (static only at the bottom, each
// refinement a strict subrole of the one below, legacy role/reservation
// fields agreeing with it); sharing only for persistent volumes.
func ValidateResource(x *mesos.Resource) error {
	if x == nil {
		return errors.New("resource is nil")
	}
	if x.GetName() == "" {
		return errors.New("empty resource name")
	}
	if x.Type == nil {
		return errors.New("resource type is not set")
	}
	if _, ok := mesos.Value_Type_name[int32(*x.Type)]; !ok {
		return fmt.Errorf("invalid resource type %d", int32(*x.Type))
	}
	if err := validateValue(x); err != nil {
		return err
	}
	if err := validateDisk(x); err != nil {
		return err
	}
	if err := validateReservations(x); err != nil {
		return err
	}
	if x.Shared != nil {
		if x.GetName() != "disk" {
			return fmt.Errorf("resource %s cannot be shared", x.GetName())
		}
		if x.Disk == nil || x.Disk.Persistence == nil {
			return errors.New("only persistent volumes can be shared")
		}
	}
	return nil
}

func validateValue(x *mesos.Resource) error {
	switch *x.Type {
	case mesos.Value_SCALAR:
		if x.Scalar == nil || x.Ranges != nil || x.Set != nil {
			return errors.New("invalid scalar resource: it must carry a scalar value and nothing else")
		}
		v := x.Scalar.GetValue()
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Errorf("invalid scalar resource: value %v is not finite", v)
		case v < 0:
			return fmt.Errorf("invalid scalar resource: value %v is negative", v)
		case v != 0 && cmpScalar(v, 0) <= 0:
			return fmt.Errorf("invalid scalar resource: value %v rounds to 0 at 0.001 resolution", v)
		}
	case mesos.Value_RANGES:
		if x.Ranges == nil || x.Scalar != nil || x.Set != nil {
			return errors.New("invalid ranges resource: it must carry a ranges value and nothing else")
		}
		s := make([]span, 0, len(x.Ranges.Range))
		for _, rg := range x.Ranges.Range {
			if rg == nil || rg.Begin == nil || rg.End == nil {
				return errors.New("invalid ranges resource: a range lacks begin or end")
			}
			if *rg.Begin > *rg.End {
				return fmt.Errorf("invalid ranges resource: range [%d-%d] has begin > end", *rg.Begin, *rg.End)
			}
			s = append(s, span{*rg.Begin, *rg.End})
		}
		slices.SortFunc(s, cmpSpan)
		for i := 1; i < len(s); i++ {
			if s[i].b <= s[i-1].e {
				return fmt.Errorf("invalid ranges resource: ranges [%d-%d] and [%d-%d] overlap",
					s[i-1].b, s[i-1].e, s[i].b, s[i].e)
			}
		}
	case mesos.Value_SET:
		if x.Set == nil || x.Scalar != nil || x.Ranges != nil {
			return errors.New("invalid set resource: it must carry a set value and nothing else")
		}
		items := x.Set.Item
		for i, it := range items {
			if it == "" {
				return errors.New("invalid set resource: empty item")
			}
			if slices.Contains(items[i+1:], it) {
				return fmt.Errorf("invalid set resource: duplicated item %q", it)
			}
		}
	default:
		return fmt.Errorf("unsupported resource type %s", x.Type.String())
	}
	return nil
}

func validateDisk(x *mesos.Resource) error {
	d := x.Disk
	if d == nil {
		return nil
	}
	if x.GetName() != "disk" {
		return fmt.Errorf("DiskInfo should not be set for %s resource", x.GetName())
	}
	src := d.Source
	if src == nil {
		return nil
	}
	switch src.GetType() {
	case mesos.Resource_DiskInfo_Source_PATH, mesos.Resource_DiskInfo_Source_MOUNT:
	case mesos.Resource_DiskInfo_Source_BLOCK, mesos.Resource_DiskInfo_Source_RAW:
		if src.Mount != nil {
			return fmt.Errorf("mount should not be set for %s disk source", src.GetType())
		}
		if src.Path != nil {
			return fmt.Errorf("path should not be set for %s disk source", src.GetType())
		}
	default:
		return fmt.Errorf("unsupported DiskInfo.Source.Type %s", src.GetType())
	}
	return nil
}

func validateReservations(x *mesos.Resource) error {
	if len(x.Reservations) == 0 {
		// Pre-refinement format: the deprecated role (default "*") and
		// reservation fields alone.
		if err := ValidateRole(x.GetRole()); err != nil {
			return err
		}
		if rv := x.Reservation; rv != nil {
			if rv.Type != nil {
				return errors.New("'Resource.ReservationInfo.type' must not be set for the 'Resource.reservation' field")
			}
			if rv.Role != nil {
				return errors.New("'Resource.ReservationInfo.role' must not be set for the 'Resource.reservation' field")
			}
			if x.GetRole() == "*" {
				return errors.New("invalid reservation: role \"*\" cannot be dynamically reserved")
			}
		}
		return nil
	}

	for i, ri := range x.Reservations {
		if ri == nil {
			return fmt.Errorf("invalid reservation: entry %d is nil", i)
		}
		if ri.Type == nil {
			return errors.New("invalid reservation: 'Resource.ReservationInfo.type' field must be set")
		}
		if ri.Role == nil {
			return errors.New("invalid reservation: 'Resource.ReservationInfo.role' field must be set")
		}
		if err := ValidateRole(*ri.Role); err != nil {
			return err
		}
		if *ri.Role == "*" {
			return errors.New("invalid reservation: role \"*\" cannot be reserved")
		}
		if *ri.Type != mesos.Resource_ReservationInfo_STATIC && *ri.Type != mesos.Resource_ReservationInfo_DYNAMIC {
			return fmt.Errorf("unsupported 'Resource.ReservationInfo.Type' %s", ri.Type.String())
		}
		if i == 0 {
			continue
		}
		if *ri.Type == mesos.Resource_ReservationInfo_STATIC {
			return errors.New("invalid refined reservation: a refined reservation cannot be STATIC")
		}
		if parent := x.Reservations[i-1].GetRole(); !IsStrictSubrole(*ri.Role, parent) {
			return fmt.Errorf("invalid refined reservation: role '%s' is not a refinement of '%s'", *ri.Role, parent)
		}
	}

	if len(x.Reservations) > 1 {
		if x.Role != nil {
			return errors.New("invalid resource format: 'Resource.role' must not be set if there is more than one reservation in 'Resource.reservations'")
		}
		if x.Reservation != nil {
			return errors.New("invalid resource format: 'Resource.reservation' must not be set if there is more than one reservation in 'Resource.reservations'")
		}
		return nil
	}

	// One reservation: the legacy fields may be present but must agree.
	ri := x.Reservations[0]
	if x.Role != nil && *x.Role != ri.GetRole() {
		return fmt.Errorf("invalid resource format: 'Resource.role' field with '%s' does not match the role '%s' in 'Resource.reservations'",
			*x.Role, ri.GetRole())
	}
	switch ri.GetType() {
	case mesos.Resource_ReservationInfo_STATIC:
		if x.Reservation != nil {
			return errors.New("invalid resource format: 'Resource.reservation' must not be set if the single reservation in 'Resource.reservations' is STATIC")
		}
	case mesos.Resource_ReservationInfo_DYNAMIC:
		if (x.Role != nil) != (x.Reservation != nil) {
			return errors.New("invalid resource format: 'Resource.role' and 'Resource.reservation' must either be both set or both not set if the single reservation in 'Resource.reservations' is DYNAMIC")
		}
		if rv := x.Reservation; rv != nil {
			if rv.GetPrincipal() != ri.GetPrincipal() {
				return fmt.Errorf("invalid resource format: 'Resource.reservation.principal' field with '%s' does not match the principal '%s' in 'Resource.reservations'",
					rv.GetPrincipal(), ri.GetPrincipal())
			}
			if !sameLabels(rv.Labels, ri.Labels) {
				return errors.New("invalid resource format: 'Resource.reservation.labels' does not match the labels in 'Resource.reservations'")
			}
		}
	}
	return nil
}

// ValidateRole checks a role name with Mesos' rules (protocol.ValidateRole).
func ValidateRole(role string) error { return protocol.ValidateRole(role) }
