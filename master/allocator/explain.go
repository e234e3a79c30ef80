package allocator

// Explain answers "why is this framework not being offered resources?"
// from the core's own state, without changing it: for each of the
// framework's roles its place in the DRF order, and for each agent and
// role the reasons that keep an offer from being made now, or that one
// would be made at the next allocation.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// ErrUnknownFramework is Explain's error for a framework the allocator
// does not know.
var ErrUnknownFramework = errors.New("framework is not known to the allocator")

// Reason codes of an Explanation.
const (
	ReasonFrameworkInactive  = "framework_inactive"      // deactivated or disconnected: no offers at all
	ReasonSuppressed         = "suppressed"              // the framework suppressed offers for the role
	ReasonAgentDeactivated   = "agent_deactivated"       // the agent is deactivated (disconnected or draining)
	ReasonMissingCapability  = "missing_capability"      // the agent or the framework lacks a capability the other needs
	ReasonNothingAvailable   = "nothing_available"       // everything on the agent is offered or allocated
	ReasonReservedForOther   = "reserved_for_other_role" // what is free is reserved for other roles
	ReasonBelowMinAllocation = "below_min_allocatable"   // what is free is less than the minimum offer
	ReasonQuotaLimit         = "quota_limit_reached"     // the role's quota limit leaves no room
	ReasonDeclineFilter      = "decline_filter"          // an active refusal filter covers what is free
)

// Verdicts of an agent and role.
const (
	VerdictWouldBeOffered = "would_be_offered" // nothing blocks: the next allocation offers what is free
	VerdictNotOffered     = "not_offered"      // at least one reason blocks
)

// Explanation says why a framework is or is not being offered resources.
type Explanation struct {
	FrameworkID string           `json:"framework_id"`
	Active      bool             `json:"active"`
	Roles       []RoleStanding   `json:"roles"`
	Agents      []AgentExplained `json:"agents"`
	Reasons     []Reason         `json:"reasons"` // that apply to every agent
	Time        float64          `json:"time"`    // when it was computed (seconds since the epoch)
}

// RoleStanding is one of the framework's roles in the DRF order.
type RoleStanding struct {
	Role           string      `json:"role"`
	Suppressed     bool        `json:"suppressed"`
	Share          float64     `json:"share"`           // the role's dominant share
	Position       int         `json:"drf_position"`    // 1-based place in the role order; 0: not in it
	Ahead          []RoleShare `json:"roles_ahead"`     // roles before it in the order, with their shares
	FrameworkShare float64     `json:"framework_share"` // the framework's share within the role
	QuotaLimited   bool        `json:"quota_limited"`   // the role has a quota limit
}

// RoleShare is a role and its dominant share.
type RoleShare struct {
	Role  string  `json:"role"`
	Share float64 `json:"share"`
}

// AgentExplained is one agent for the framework.
type AgentExplained struct {
	AgentID  string         `json:"agent_id"`
	Hostname string         `json:"hostname"`
	Active   bool           `json:"active"`
	Holding  map[string]any `json:"holding"` // what the framework has there now (offered or in use)
	Roles    []AgentRole    `json:"roles"`
}

// AgentRole is the verdict for one agent and one of the framework's roles.
type AgentRole struct {
	Role      string         `json:"role"`
	Verdict   string         `json:"verdict"`
	Available map[string]any `json:"available"` // what the role could be offered there now
	Reasons   []Reason       `json:"reasons"`
}

// Reason is one cause, with its details where it has some.
type Reason struct {
	Code      string         `json:"code"`
	Message   string         `json:"message"`
	Until     float64        `json:"until,omitempty"`     // a filter's expiry (seconds since the epoch)
	Resources map[string]any `json:"resources,omitempty"` // a filter's refused resources
	Roles     []string       `json:"roles,omitempty"`     // reservations' roles, suppressed roles
}

// Explain computes the Explanation for framework fid at now. It reads
// the core's state and changes none of it.
func (c *Core) Explain(now time.Time, fid string) (Explanation, error) {
	f := c.frameworks[fid]
	if f == nil {
		return Explanation{}, fmt.Errorf("%w: %s", ErrUnknownFramework, fid)
	}
	ex := Explanation{FrameworkID: fid, Active: f.active, Roles: []RoleStanding{}, Agents: []AgentExplained{}, Reasons: []Reason{},
		Time: float64(now.UnixNano()) / 1e9}
	if !f.active {
		ex.Reasons = append(ex.Reasons, Reason{Code: ReasonFrameworkInactive, Message: "the framework is inactive (deactivated or disconnected): it is offered nothing"})
	}
	var suppressed []string
	for _, role := range f.roles {
		if f.suppressed[role] {
			suppressed = append(suppressed, role)
		}
	}
	if len(suppressed) > 0 {
		ex.Reasons = append(ex.Reasons, Reason{Code: ReasonSuppressed, Message: "the framework suppressed offers for these roles", Roles: suppressed})
	}

	// The random sorter draws its order from the core's random source:
	// asking it would change the next allocation, so only DRF is shown.
	var order []string
	if c.opts.RoleSorter != "random" {
		order = c.roleSorter.Sort()
	}
	for _, role := range f.roles {
		st := RoleStanding{Role: role, Suppressed: f.suppressed[role], Share: c.RoleShare(role), FrameworkShare: c.FrameworkShare(role, fid), Ahead: []RoleShare{}}
		if n := c.roles.get(role); n != nil {
			st.QuotaLimited = !n.limits.empty()
		}
		for i, r := range order {
			if r == role {
				st.Position = i + 1
				break
			}
			st.Ahead = append(st.Ahead, RoleShare{Role: r, Share: c.RoleShare(r)})
		}
		ex.Roles = append(ex.Roles, st)
	}

	ids := make([]string, 0, len(c.agents))
	for id := range c.agents {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := c.agents[id]
		ae := AgentExplained{AgentID: id, Hostname: a.info.GetHostname(), Active: a.active, Holding: map[string]any{}, Roles: []AgentRole{}}
		if held, ok := a.allocated.get(fid); ok {
			ae.Holding = held.JSON()
		}
		for _, role := range f.roles {
			ae.Roles = append(ae.Roles, c.explainAgentRole(now, f, a, role))
		}
		ex.Agents = append(ex.Agents, ae)
	}
	return ex, nil
}

// explainAgentRole follows the checks an allocation run makes for f in
// role on a, and collects every one that fails.
func (c *Core) explainAgentRole(now time.Time, f *frameworkState, a *agentState, role string) AgentRole {
	avail := a.available
	if !a.plain {
		avail = a.available.AllocatableTo(role)
	}
	out := AgentRole{Role: role, Available: avail.JSON(), Reasons: []Reason{}}
	add := func(r Reason) { out.Reasons = append(out.Reasons, r) }
	if !f.active {
		add(Reason{Code: ReasonFrameworkInactive, Message: "the framework is inactive"})
	}
	if f.suppressed[role] {
		add(Reason{Code: ReasonSuppressed, Message: fmt.Sprintf("the framework suppressed offers for role '%s'", role), Roles: []string{role}})
	}
	if !a.active {
		add(Reason{Code: ReasonAgentDeactivated, Message: "the agent is deactivated (disconnected or draining); unreachable agents are not listed at all"})
	}
	if !c.capable(f, a) {
		add(Reason{Code: ReasonMissingCapability, Message: "the agent has GPUs and the framework lacks the GPU_RESOURCES capability (--filter_gpu_resources)"})
	}
	if f.multiRole && !a.multi {
		add(Reason{Code: ReasonMissingCapability, Message: "the framework is MULTI_ROLE and the agent lacks the MULTI_ROLE capability"})
	}
	if e := c.roleEntries[role]; (e != nil && e.hier || e == nil && isHierarchical(role)) && !a.hier {
		add(Reason{Code: ReasonMissingCapability, Message: fmt.Sprintf("role '%s' is hierarchical and the agent lacks the HIERARCHICAL_ROLE capability", role)})
	}

	avail = strip(avail, f)
	counts := c.countVec(avail)
	switch {
	case a.available.IsEmpty():
		add(Reason{Code: ReasonNothingAvailable, Message: "everything on the agent is offered or allocated"})
	case counts.IsZero():
		add(Reason{Code: ReasonReservedForOther, Message: "what is free on the agent is reserved for other roles (or is of a kind the framework cannot take)",
			Roles: reservationRoles(a.available)})
	case !c.allocatable(counts, role, f):
		add(Reason{Code: ReasonBelowMinAllocation, Message: "what is free is below the minimum offer (--min_allocatable_resources or the framework's offer_filters)"})
	default:
		toOffer := avail
		if n := c.roles.get(role); n != nil && !n.limits.empty() {
			unres, other := partition(avail, func(x *mesos.Resource) bool {
				return x.GetType() == mesos.Value_SCALAR && resources.IsUnreserved(x) && x.Revocable == nil
			})
			room := n.limits.minus(n.consumed())
			toOffer = other.Add(c.shrink(unres, nil, &room))
			if !c.allocatable(c.countVec(toOffer), role, f) {
				add(Reason{Code: ReasonQuotaLimit, Message: fmt.Sprintf("role '%s' has reached its quota limit", role)})
				break
			}
		}
		for _, x := range f.filters[filterKey{role, a.id}] {
			if !now.Before(x.expires) {
				continue
			}
			if x.refused.Contains(toOffer) {
				add(Reason{Code: ReasonDeclineFilter, Message: "the framework declined these resources with a filter that has not expired",
					Until: float64(x.expires.UnixNano()) / 1e9, Resources: x.refused.JSON()})
			}
		}
	}
	out.Verdict = VerdictWouldBeOffered
	if len(out.Reasons) > 0 {
		out.Verdict = VerdictNotOffered
	}
	return out
}

func isHierarchical(role string) bool {
	for i := range role {
		if role[i] == '/' {
			return true
		}
	}
	return false
}

// reservationRoles lists the roles r's reservations are for.
func reservationRoles(r resources.Resources) []string {
	var out []string
	for role := range r.Reservations() {
		out = append(out, role)
	}
	sort.Strings(out)
	return out
}

// Explain computes the core's Explanation for framework fid on the
// allocator actor, at the node clock's time.
func (p *Process) Explain(ctx context.Context, fid string) (Explanation, error) {
	type result struct {
		ex  Explanation
		err error
	}
	ch := make(chan result, 1)
	if !p.node.Dispatch(p.pid, func() {
		ex, err := p.core.Explain(p.node.Clock().Now(), fid)
		ch <- result{ex, err}
	}) {
		return Explanation{}, actors.ErrNoProcess
	}
	select {
	case r := <-ch:
		return r.ex, r.err
	case <-ctx.Done():
		return Explanation{}, ctx.Err()
	}
}
