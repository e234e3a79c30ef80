package master

// Allocator calls as effects: the core says which allocator method to call
// with what, in order, and whoever runs the core applies them to an
// allocator (allocator.Process in the daemon, a synchronous adapter over
// allocator.Core in the simulator).

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// AllocatorCall is an effect that calls one allocator.Allocator method.
type AllocatorCall interface {
	// Apply makes the call on a.
	Apply(a allocator.Allocator)
	String() string
}

// ApplyAllocatorCall applies e to a if it is an AllocatorCall and reports
// whether it was one.
func ApplyAllocatorCall(a allocator.Allocator, e effect.Effect) bool {
	call, ok := e.(AllocatorCall)
	if ok {
		call.Apply(a)
	}
	return ok
}

// AllocAddFramework calls AddFramework.
type AllocAddFramework struct {
	FrameworkID string
	Info        *mesos.FrameworkInfo
	Used        map[string]resources.Resources
	Active      bool
	Options     allocator.FrameworkOptions
}

// AllocRemoveFramework calls RemoveFramework.
type AllocRemoveFramework struct{ FrameworkID string }

// AllocActivateFramework calls ActivateFramework.
type AllocActivateFramework struct{ FrameworkID string }

// AllocDeactivateFramework calls DeactivateFramework.
type AllocDeactivateFramework struct{ FrameworkID string }

// AllocUpdateFramework calls UpdateFramework.
type AllocUpdateFramework struct {
	FrameworkID string
	Info        *mesos.FrameworkInfo
	Options     allocator.FrameworkOptions
}

// AllocAddSlave calls AddSlave.
type AllocAddSlave struct {
	AgentID      string
	Info         *mesos.SlaveInfo
	Capabilities []mesos.SlaveInfo_Capability_Type
	Total        resources.Resources
	Used         map[string]resources.Resources
}

// AllocRemoveSlave calls RemoveSlave.
type AllocRemoveSlave struct{ AgentID string }

// AllocUpdateSlave calls UpdateSlave.
type AllocUpdateSlave struct {
	AgentID      string
	Info         *mesos.SlaveInfo
	Capabilities []mesos.SlaveInfo_Capability_Type
	Total        resources.Resources
}

// AllocActivateSlave calls ActivateSlave.
type AllocActivateSlave struct{ AgentID string }

// AllocDeactivateSlave calls DeactivateSlave.
type AllocDeactivateSlave struct{ AgentID string }

// AllocUpdateAllocation calls UpdateAllocation.
type AllocUpdateAllocation struct {
	FrameworkID, AgentID string
	Offered              resources.Resources
	Conversions          []allocator.Conversion
}

// AllocRecoverResources calls RecoverResources; a nil Filters installs no
// refusal filter.
type AllocRecoverResources struct {
	FrameworkID, AgentID string
	Resources            resources.Resources
	Filters              *mesos.Filters
}

// AllocSuppressOffers calls SuppressOffers.
type AllocSuppressOffers struct {
	FrameworkID string
	Roles       []string
}

// AllocReviveOffers calls ReviveOffers.
type AllocReviveOffers struct {
	FrameworkID string
	Roles       []string
}

// AllocUpdateQuota calls UpdateQuota.
type AllocUpdateQuota struct {
	Role  string
	Quota allocator.Quota
}

// AllocUpdateWeights calls UpdateWeights.
type AllocUpdateWeights struct{ Weights map[string]float64 }

func (e AllocAddFramework) Apply(a allocator.Allocator) {
	a.AddFramework(e.FrameworkID, e.Info, e.Used, e.Active, e.Options)
}
func (e AllocRemoveFramework) Apply(a allocator.Allocator)   { a.RemoveFramework(e.FrameworkID) }
func (e AllocActivateFramework) Apply(a allocator.Allocator) { a.ActivateFramework(e.FrameworkID) }
func (e AllocDeactivateFramework) Apply(a allocator.Allocator) {
	a.DeactivateFramework(e.FrameworkID)
}
func (e AllocUpdateFramework) Apply(a allocator.Allocator) {
	a.UpdateFramework(e.FrameworkID, e.Info, e.Options)
}
func (e AllocAddSlave) Apply(a allocator.Allocator) {
	a.AddSlave(e.AgentID, e.Info, e.Capabilities, e.Total, e.Used)
}
func (e AllocRemoveSlave) Apply(a allocator.Allocator) { a.RemoveSlave(e.AgentID) }
func (e AllocUpdateSlave) Apply(a allocator.Allocator) {
	a.UpdateSlave(e.AgentID, e.Info, e.Capabilities, e.Total)
}
func (e AllocActivateSlave) Apply(a allocator.Allocator)   { a.ActivateSlave(e.AgentID) }
func (e AllocDeactivateSlave) Apply(a allocator.Allocator) { a.DeactivateSlave(e.AgentID) }
func (e AllocUpdateAllocation) Apply(a allocator.Allocator) {
	a.UpdateAllocation(e.FrameworkID, e.AgentID, e.Offered, e.Conversions)
}
func (e AllocRecoverResources) Apply(a allocator.Allocator) {
	a.RecoverResources(e.FrameworkID, e.AgentID, e.Resources, e.Filters)
}
func (e AllocSuppressOffers) Apply(a allocator.Allocator) { a.SuppressOffers(e.FrameworkID, e.Roles) }
func (e AllocReviveOffers) Apply(a allocator.Allocator)   { a.ReviveOffers(e.FrameworkID, e.Roles) }
func (e AllocUpdateQuota) Apply(a allocator.Allocator)    { a.UpdateQuota(e.Role, e.Quota) }
func (e AllocUpdateWeights) Apply(a allocator.Allocator)  { a.UpdateWeights(e.Weights) }

func (e AllocAddFramework) String() string {
	return fmt.Sprintf("allocator: add framework %s (roles %v, active %t, suppressed %v, used %s)",
		e.FrameworkID, protocol.FrameworkRoles(e.Info), e.Active, e.Options.SuppressedRoles, usedString(e.Used))
}
func (e AllocRemoveFramework) String() string { return "allocator: remove framework " + e.FrameworkID }
func (e AllocActivateFramework) String() string {
	return "allocator: activate framework " + e.FrameworkID
}
func (e AllocDeactivateFramework) String() string {
	return "allocator: deactivate framework " + e.FrameworkID
}
func (e AllocUpdateFramework) String() string {
	return fmt.Sprintf("allocator: update framework %s (roles %v, suppressed %v)", e.FrameworkID, protocol.FrameworkRoles(e.Info), e.Options.SuppressedRoles)
}
func (e AllocAddSlave) String() string {
	return fmt.Sprintf("allocator: add agent %s with %s (used %s)", e.AgentID, e.Total, usedString(e.Used))
}
func (e AllocRemoveSlave) String() string { return "allocator: remove agent " + e.AgentID }
func (e AllocUpdateSlave) String() string {
	return fmt.Sprintf("allocator: update agent %s to %s", e.AgentID, e.Total)
}
func (e AllocActivateSlave) String() string   { return "allocator: activate agent " + e.AgentID }
func (e AllocDeactivateSlave) String() string { return "allocator: deactivate agent " + e.AgentID }
func (e AllocUpdateAllocation) String() string {
	parts := make([]string, len(e.Conversions))
	for i, cv := range e.Conversions {
		parts[i] = fmt.Sprintf("%s -> %s", cv.Consumed, cv.Converted)
	}
	return fmt.Sprintf("allocator: update allocation of framework %s on agent %s: %s", e.FrameworkID, e.AgentID, strings.Join(parts, ", "))
}
func (e AllocRecoverResources) String() string {
	s := fmt.Sprintf("allocator: recover %s of framework %s on agent %s", e.Resources, e.FrameworkID, e.AgentID)
	if e.Filters != nil {
		s += fmt.Sprintf(" (refuse %gs)", e.Filters.GetRefuseSeconds())
	}
	return s
}
func (e AllocSuppressOffers) String() string {
	return fmt.Sprintf("allocator: suppress offers of framework %s for roles %v", e.FrameworkID, e.Roles)
}
func (e AllocReviveOffers) String() string {
	return fmt.Sprintf("allocator: revive offers of framework %s for roles %v", e.FrameworkID, e.Roles)
}
func (e AllocUpdateQuota) String() string {
	return fmt.Sprintf("allocator: update quota of role %s: guarantees %s, limits %s", e.Role, e.Quota.Guarantees, e.Quota.Limits)
}
func (e AllocUpdateWeights) String() string {
	roles := make([]string, 0, len(e.Weights))
	for r := range e.Weights {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	parts := make([]string, len(roles))
	for i, r := range roles {
		parts[i] = fmt.Sprintf("%s=%g", r, e.Weights[r])
	}
	return "allocator: update weights " + strings.Join(parts, ",")
}

// usedString renders resources by agent or framework id, in id order.
func usedString(used map[string]resources.Resources) string {
	if len(used) == 0 {
		return "{}"
	}
	parts := make([]string, 0, len(used))
	for _, id := range sortedKeys(used) {
		parts = append(parts, id+": "+used[id].String())
	}
	return "{" + strings.Join(parts, "; ") + "}"
}
