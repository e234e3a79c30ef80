package master

// Validation rules for what frameworks send: identifiers, roles,
// FrameworkInfo, offers and tasks. Everything here is pure: it reads its
// arguments and returns an error whose text is what the framework is told.

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
)

// maxIDLength is NAME_MAX: identifiers become directory names on agents.
const maxIDLength = 255

// ValidateID checks an identifier chosen by a framework (task, executor,
// framework ids): non-empty, at most 255 bytes, not "." or "..", and free of
// control characters and path separators.
func ValidateID(id string) error {
	if id == "" {
		return errors.New("ID must not be empty")
	}
	if len(id) > maxIDLength {
		return fmt.Errorf("ID must not be greater than %d characters", maxIDLength)
	}
	if id == "." || id == ".." {
		return fmt.Errorf("'%s' is disallowed", id)
	}
	for _, c := range []byte(id) {
		if c < 0x20 || c == 0x7f || c == '/' || c == '\\' {
			return fmt.Errorf("'%s' contains invalid characters", id)
		}
	}
	return nil
}

// validateFrameworkRoles applies the role rules of FrameworkInfo.
func validateFrameworkRoles(info *mesos.FrameworkInfo) error {
	multiRole := protocol.HasCapability(info, mesos.FrameworkInfo_Capability_MULTI_ROLE)
	if multiRole {
		if info.Role != nil {
			return errors.New("'FrameworkInfo.role' must not be set when the framework is MULTI_ROLE capable")
		}
		seen := map[string]bool{}
		var dups []string
		for _, r := range info.GetRoles() {
			if seen[r] && !slices.Contains(dups, r) {
				dups = append(dups, r)
			}
			seen[r] = true
		}
		if len(dups) > 0 {
			sort.Strings(dups)
			return fmt.Errorf("'FrameworkInfo.roles' contains duplicate items: { %s }", strings.Join(dups, ", "))
		}
		for _, r := range info.GetRoles() {
			if err := protocol.ValidateRole(r); err != nil {
				return fmt.Errorf("'FrameworkInfo.roles' contains invalid role: %v", err)
			}
		}
		return nil
	}
	if len(info.GetRoles()) > 0 {
		return errors.New("'FrameworkInfo.roles' must not be set when the framework is not MULTI_ROLE capable")
	}
	if err := protocol.ValidateRole(info.GetRole()); err != nil {
		return fmt.Errorf("'FrameworkInfo.role' is not a valid role: %v", err)
	}
	return nil
}

// validateFailoverTimeout checks that failover_timeout is representable as a
// time.Duration (Mesos refuses 1e17 seconds, for instance).
func validateFailoverTimeout(info *mesos.FrameworkInfo) error {
	t := info.GetFailoverTimeout()
	if math.IsNaN(t) || math.IsInf(t, 0) || t*float64(time.Second) >= math.MaxInt64 || t*float64(time.Second) <= math.MinInt64 {
		return fmt.Errorf("The framework failover_timeout (%v) is invalid", t)
	}
	return nil
}

// failoverTimeout converts a validated failover_timeout; negative values
// count as zero.
func failoverTimeout(info *mesos.FrameworkInfo) time.Duration {
	t := info.GetFailoverTimeout()
	if !(t > 0) {
		return 0
	}
	return time.Duration(t * float64(time.Second))
}

// validateOfferFilters checks FrameworkInfo.offer_filters.
func validateOfferFilters(info *mesos.FrameworkInfo) error {
	for role, f := range info.GetOfferFilters() {
		for _, q := range f.GetMinAllocatableResources().GetQuantities() {
			for name, s := range q.GetQuantities() {
				v := s.GetValue()
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					return fmt.Errorf("Invalid quantity %v of '%s' in offer filters of role '%s'", v, name, role)
				}
			}
		}
	}
	return nil
}

// frameworkPolicy is what the master's flags add to FrameworkInfo checks.
type frameworkPolicy struct {
	roles           []string // whitelist; nil means any
	rootSubmissions bool
	isCompleted     func(id string) bool
}

// validateFrameworkInfo applies every check a SUBSCRIBE must pass before the
// master looks at who is subscribing.
func validateFrameworkInfo(info *mesos.FrameworkInfo, policy frameworkPolicy) error {
	if info == nil {
		return errors.New("Expecting 'framework_info' to be present")
	}
	if err := validateFrameworkRoles(info); err != nil {
		return err
	}
	if id := info.GetId().GetValue(); id != "" {
		if err := ValidateID(id); err != nil {
			return err
		}
	}
	if err := validateOfferFilters(info); err != nil {
		return err
	}
	if err := validateFailoverTimeout(info); err != nil {
		return err
	}
	if policy.roles != nil {
		var bad []string
		for _, r := range protocol.FrameworkRoles(info) {
			if r != "*" && !slices.Contains(policy.roles, r) && !slices.Contains(bad, r) {
				bad = append(bad, r)
			}
		}
		if len(bad) > 0 {
			sort.Strings(bad)
			return fmt.Errorf("Roles { %s } are not present in the master's --roles", strings.Join(bad, ", "))
		}
	}
	if info.GetUser() == "root" && !policy.rootSubmissions {
		return errors.New("User 'root' is not allowed to run frameworks without --root_submissions set")
	}
	if id := info.GetId().GetValue(); id != "" && policy.isCompleted != nil && policy.isCompleted(id) {
		return errors.New("Framework has been removed")
	}
	return nil
}

// validateFrameworkUpdate checks a resubscription against the stored info
// after immutable fields were carried over.
func validateFrameworkUpdate(old, updated *mesos.FrameworkInfo) error {
	if (old.Principal == nil) != (updated.Principal == nil) || old.GetPrincipal() != updated.GetPrincipal() {
		return errors.New("Changing framework's principal is not allowed.")
	}
	return nil
}

// validateSuppressedRoles checks that suppressed roles are framework roles.
func validateSuppressedRoles(roles, suppressed []string) error {
	var bad []string
	for _, r := range suppressed {
		if !slices.Contains(roles, r) && !slices.Contains(bad, r) {
			bad = append(bad, r)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("Suppressed roles { %s } are not contained in the set of roles", strings.Join(bad, ", "))
	}
	return nil
}

// errf is fmt.Errorf, for the short error texts of call validation.
func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }
