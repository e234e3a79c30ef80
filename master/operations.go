package master

// RESERVE and UNRESERVE offer operations: Mesos' validation (with its
// messages), the resource conversions they make, and the agent's
// checkpointed resources.

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
)

// agentString is how Mesos names an agent in messages.
func agentString(a *agent) string {
	return fmt.Sprintf("%s at %s (%s)", a.id, a.pid, a.hostname())
}

func setString(items []string) string {
	s := slices.Clone(items)
	slices.Sort(s)
	return "{ " + strings.Join(s, ", ") + " }"
}

// validateReserve applies Mesos' checks of a framework's RESERVE
// (resources already validated, upgraded and stamped with the offer's
// allocation role).
func validateReserve(rs resources.Resources, f *framework, a *agent) error {
	if err := validateOperationResources(rs); err != nil {
		return fmt.Errorf("Invalid resources: %v", err)
	}
	if err := singleProvider(rs); err != nil {
		return fmt.Errorf("Invalid resources: %v", err)
	}
	roles := f.roles()
	for _, r := range rs {
		if !resources.IsDynamicallyReserved(r) {
			return fmt.Errorf("Resource %s is not dynamically reserved", resources.Format(r))
		}
		role := resources.ReservationRole(r)
		if !hasAgentCapability(a, mesos.SlaveInfo_Capability_HIERARCHICAL_ROLE) && strings.Contains(role, "/") {
			return fmt.Errorf("Resource %s with reservation for hierarchical role '%s' cannot be reserved on an agent without HIERARCHICAL_ROLE capability", resources.Format(r), role)
		}
		if !hasAgentCapability(a, mesos.SlaveInfo_Capability_RESERVATION_REFINEMENT) && len(r.GetReservations()) > 1 {
			return fmt.Errorf("Resource %s with reservation refinement cannot be reserved on an agent without RESERVATION_REFINEMENT capability", resources.Format(r))
		}
		if f.info.Principal != nil {
			ri := r.GetReservations()[len(r.GetReservations())-1]
			if ri.Principal == nil {
				return fmt.Errorf("A reserve operation was attempted by principal '%s', but there is a reserved resource in the request with no principal set", f.info.GetPrincipal())
			}
			if ri.GetPrincipal() != f.info.GetPrincipal() {
				return fmt.Errorf("A reserve operation was attempted by authenticated principal '%s', which does not match a reserved resource in the request with principal '%s'", f.info.GetPrincipal(), ri.GetPrincipal())
			}
		}
		if r.GetAllocationInfo().Role == nil {
			return fmt.Errorf("A reserve operation was attempted on unallocated resource %s, but frameworks can only perform reservations on allocated resources", resources.Format(r))
		}
		alloc := r.GetAllocationInfo().GetRole()
		if alloc != role {
			return fmt.Errorf("A reserve operation was attempted for a resource with role '%s', but the resource was allocated to role '%s'", role, alloc)
		}
		if !slices.Contains(roles, alloc) {
			return fmt.Errorf("A reserve operation was attempted for a resource allocated to role '%s', but the framework only has roles '%s'", alloc, setString(roles))
		}
		if !slices.Contains(roles, role) {
			return fmt.Errorf("A reserve operation was attempted for a resource with role '%s', but the framework can only reserve resources with roles '%s'", role, setString(roles))
		}
	}
	if err := singleAllocationRole(rs); err != nil {
		return fmt.Errorf("Invalid reservation resources: %v", err)
	}
	return nil
}

// validateUnreserve applies Mesos' checks of an UNRESERVE.
func validateUnreserve(rs resources.Resources) error {
	if err := validateOperationResources(rs); err != nil {
		return fmt.Errorf("Invalid resources: %v", err)
	}
	if err := singleProvider(rs); err != nil {
		return fmt.Errorf("Invalid resources: %v", err)
	}
	for _, r := range rs {
		if !resources.IsDynamicallyReserved(r) {
			return fmt.Errorf("Resource %s is not dynamically reserved", resources.Format(r))
		}
		if resources.IsPersistentVolume(r) {
			return fmt.Errorf("A dynamically reserved persistent volume %s cannot be unreserved directly. Please destroy the persistent volume first then unreserve the resource", resources.Format(r))
		}
	}
	return nil
}

// validateOperationResources is Mesos' resource::validate for operations.
func validateOperationResources(rs resources.Resources) error {
	if err := resources.Validate(rs); err != nil {
		return fmt.Errorf("Invalid resources: %v", err)
	}
	for _, r := range rs {
		if r.Disk != nil {
			d := r.GetDisk()
			switch {
			case d.Persistence != nil && r.Revocable != nil:
				return errors.New("Invalid DiskInfo: Persistent volumes cannot be created from revocable resources")
			case d.Persistence != nil && resources.IsUnreserved(r):
				return errors.New("Invalid DiskInfo: Persistent volumes cannot be created from unreserved resources")
			case d.Persistence == nil && d.Volume != nil:
				return errors.New("Invalid DiskInfo: Non-persistent volume not supported")
			case d.Persistence == nil && d.Source == nil:
				return errors.New("Invalid DiskInfo: DiskInfo is set but empty")
			}
		}
		if resources.IsDynamicallyReserved(r) && r.Revocable != nil {
			return fmt.Errorf("Invalid ReservationInfo: Dynamically reserved resource %s cannot be created from revocable resources", resources.Format(r))
		}
	}
	return nil
}

func singleProvider(rs resources.Resources) error {
	var first *mesos.ResourceProviderID
	for i, r := range rs {
		if i == 0 {
			first = r.ProviderId
			continue
		}
		if (first == nil) != (r.ProviderId == nil) || first != nil && first.GetValue() != r.GetProviderId().GetValue() {
			return errors.New("The resources have multiple resource providers")
		}
	}
	return nil
}

// operationResources returns an operation's resources validated and
// upgraded to the post-refinement format, stamped with the offer's
// allocation role where they carry none (as Mesos' accept does).
func operationResources(rs []*mesos.Resource, role string) (resources.Resources, error) {
	if err := resources.Validate(rs); err != nil {
		return nil, err
	}
	out := resources.Resources(rs).Clone().Upgrade().Clone()
	stampRole(out, &mesos.Resource_AllocationInfo{Role: proto.String(role)})
	return out, nil
}

// reserveConversions and unreserveConversions are the resource
// conversions of the operations (Mesos' getResourceConversions).
func reserveConversions(rs resources.Resources) []allocator.Conversion {
	return []allocator.Conversion{{Consumed: rs.PopReservation(), Converted: rs}}
}

func unreserveConversions(rs resources.Resources) []allocator.Conversion {
	out := make([]allocator.Conversion, 0, len(rs))
	for _, r := range rs {
		one := resources.Resources{r}
		out = append(out, allocator.Conversion{Consumed: one, Converted: one.PopReservation()})
	}
	return out
}

// applyConversions applies conversions to r, all or nothing.
func applyConversions(r resources.Resources, cs []allocator.Conversion) (resources.Resources, error) {
	for _, c := range cs {
		if !r.Contains(c.Consumed) {
			return nil, fmt.Errorf("%s does not contain %s", r, c.Consumed)
		}
		r = r.Subtract(c.Consumed).Add(c.Converted)
	}
	return r, nil
}

// checkpointed returns the resources an agent must checkpoint: dynamic
// reservations and persistent volumes.
func checkpointed(total resources.Resources) resources.Resources {
	return total.Filter(func(r *mesos.Resource) bool {
		return resources.IsDynamicallyReserved(r) || resources.IsPersistentVolume(r)
	})
}

// applyCheckpointed puts checkpointed resources (dynamic reservations)
// back onto an agent's reported total, as Mesos does when an agent
// (re)registers: each must be carved out of what the agent has.
func applyCheckpointed(total, cp resources.Resources) (resources.Resources, error) {
	for _, r := range cp {
		one := resources.Resources{r}
		stripped := one
		for resources.IsDynamicallyReserved(stripped[0]) {
			stripped = stripped.PopReservation()
			if len(stripped) == 0 {
				break
			}
		}
		if len(stripped) == 0 || !total.Contains(stripped) {
			return nil, fmt.Errorf("agent's resources %s do not contain checkpointed %s", total, one)
		}
		total = total.Subtract(stripped).Add(one)
	}
	return total, nil
}

// applyToAgent updates an agent's total after an operation and sends it
// its checkpointed resources (Mesos' CheckpointResourcesMessage, for
// agents without the RESOURCE_PROVIDER capability).
func (c *Core) applyToAgent(a *agent, cs []allocator.Conversion) {
	total := a.total
	for _, cv := range cs {
		total = total.Subtract(cv.Consumed.Unallocate()).Add(cv.Converted.Unallocate())
	}
	a.total = total
	a.checkpointed = checkpointed(total)
	msg := &mesosinternal.CheckpointResourcesMessage{Resources: a.checkpointed.Clone()}
	if !hasAgentCapability(a, mesos.SlaveInfo_Capability_RESERVATION_REFINEMENT) {
		down, err := a.checkpointed.Downgrade()
		if err != nil {
			c.agentLog(a.id).Warnf("not sending checkpointed resources with refined reservations to an agent without RESERVATION_REFINEMENT: %v", err)
			return
		}
		msg.Resources = down.Clone()
	}
	c.send(a.pid, msg)
}

// operationFeedbackError is the FrameworkErrorMessage Mesos sends a driver-based
// framework that asks for operation feedback.
const operationFeedbackError = "The 'id' field was set in an offer operation, but operation feedback is not supported for the SchedulerDriver API; please use the HTTP scheduler API for this feature"
