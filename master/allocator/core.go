package allocator

import (
	"slices"
	"sort"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// Core is the allocation policy without actors, timers or I/O: the state
// of agents and frameworks, the sorters, the offer filters, and Allocate,
// which turns that state into offers. Time comes in as arguments. The
// allocator actor (Process) drives it; tests drive it directly.
//
// The policy: for every candidate agent, roles are visited in role-sorter
// order and, within a role, frameworks in that role's sorter order; the
// first active, non-suppressed framework that does not filter the agent
// and for which the agent's free resources are allocatable gets all of
// them that the role may use. Grants count at once, so the order for the
// next agent already reflects them.
type Core struct {
	opts Options

	agents     map[string]*agentState
	frameworks map[string]*frameworkState

	// roleSorter orders roles; frameworkSorters orders the frameworks
	// of each role. newSorter makes both kinds.
	roleSorter       Sorter
	frameworkSorters map[string]Sorter
	newSorter        func() Sorter

	// roleFrameworks tracks which frameworks are in each role's sorter.
	roleFrameworks map[string]map[string]bool
}

type agentState struct {
	id        string
	info      *mesos.SlaveInfo
	caps      map[mesos.SlaveInfo_Capability_Type]bool
	total     resources.Resources
	allocated map[string]resources.Resources // by framework, with allocation info
	used      resources.Resources            // sum of allocated, without allocation info
	active    bool
}

func (a *agentState) available() resources.Resources {
	return a.total.Subtract(a.used)
}

type frameworkState struct {
	id         string
	info       *mesos.FrameworkInfo
	roles      []string
	suppressed map[string]bool
	active     bool
	// filters by role, then agent.
	filters map[string]map[string][]offerFilter
}

type offerFilter struct {
	refused resources.Resources // without allocation info
	expires time.Time
}

func (f *frameworkState) capable(t mesos.FrameworkInfo_Capability_Type) bool {
	for _, c := range f.info.GetCapabilities() {
		if c.GetType() == t {
			return true
		}
	}
	return false
}

// NewCore returns an empty core using flat DRF sorters.
func NewCore(opts Options) *Core {
	return NewCoreWithSorter(opts, func() Sorter { return NewDRFSorter() })
}

// NewCoreWithSorter returns an empty core whose role and framework sorters
// come from newSorter.
func NewCoreWithSorter(opts Options, newSorter func() Sorter) *Core {
	return &Core{
		opts:             opts,
		agents:           map[string]*agentState{},
		frameworks:       map[string]*frameworkState{},
		roleSorter:       newSorter(),
		frameworkSorters: map[string]Sorter{},
		newSorter:        newSorter,
		roleFrameworks:   map[string]map[string]bool{},
	}
}

// Options returns the options the core runs with.
func (c *Core) Options() Options { return c.opts }

// SetOptions replaces the options.
func (c *Core) SetOptions(opts Options) { c.opts = opts }

// rolesOf returns the roles a framework subscribes with.
func rolesOf(info *mesos.FrameworkInfo) []string {
	for _, cp := range info.GetCapabilities() {
		if cp.GetType() == mesos.FrameworkInfo_Capability_MULTI_ROLE {
			return slices.Clone(info.GetRoles())
		}
	}
	return []string{info.GetRole()}
}

// trackRole puts framework id into role's sorters.
func (c *Core) trackRole(role, id string) {
	if c.roleFrameworks[role] == nil {
		c.roleFrameworks[role] = map[string]bool{}
		c.roleSorter.Add(role)
		s := c.newSorter()
		for aid, a := range c.agents {
			s.AddAgent(aid, a.total)
		}
		c.frameworkSorters[role] = s
	}
	if !c.roleFrameworks[role][id] {
		c.roleFrameworks[role][id] = true
		c.frameworkSorters[role].Add(id)
	}
}

// untrackRole removes framework id from role's sorters, and the role when
// no framework is left in it.
func (c *Core) untrackRole(role, id string) {
	fs, ok := c.roleFrameworks[role]
	if !ok || !fs[id] {
		return
	}
	delete(fs, id)
	c.frameworkSorters[role].Remove(id)
	if len(fs) == 0 {
		delete(c.roleFrameworks, role)
		delete(c.frameworkSorters, role)
		c.roleSorter.Remove(role)
	}
}

// track records an allocation of r (with allocation info) to framework id
// on agent aid in the sorters.
func (c *Core) track(id, aid string, r resources.Resources) {
	for role, part := range r.Allocations() {
		if role == "" {
			continue
		}
		c.trackRole(role, id)
		c.roleSorter.Allocated(role, aid, part)
		c.frameworkSorters[role].Allocated(id, aid, part)
		c.syncActivation(id, role)
	}
}

// untrack is the inverse of track.
func (c *Core) untrack(id, aid string, r resources.Resources) {
	for role, part := range r.Allocations() {
		if role == "" || !c.roleFrameworks[role][id] {
			continue
		}
		c.roleSorter.Unallocated(role, aid, part)
		c.frameworkSorters[role].Unallocated(id, aid, part)
	}
}

// syncActivation makes framework id's state in role's sorter match its
// activity, roles and suppression.
func (c *Core) syncActivation(id, role string) {
	s, ok := c.frameworkSorters[role]
	if !ok || !c.roleFrameworks[role][id] {
		return
	}
	f := c.frameworks[id]
	if f != nil && f.active && !f.suppressed[role] && slices.Contains(f.roles, role) {
		s.Activate(id)
	} else {
		s.Deactivate(id)
	}
}

func (c *Core) syncAllRoles(id string) {
	for role, fs := range c.roleFrameworks {
		if fs[id] {
			c.syncActivation(id, role)
		}
	}
}

// AddFramework adds a framework. used holds what it already uses, by
// agent; only agents the core knows are counted (the rest is counted when
// AddSlave reports it).
func (c *Core) AddFramework(id string, info *mesos.FrameworkInfo, used map[string]resources.Resources, active bool, opts FrameworkOptions) {
	if _, ok := c.frameworks[id]; ok {
		return
	}
	f := &frameworkState{id: id, info: info, roles: rolesOf(info), suppressed: map[string]bool{}, active: active, filters: map[string]map[string][]offerFilter{}}
	for _, r := range opts.SuppressedRoles {
		f.suppressed[r] = true
	}
	c.frameworks[id] = f
	for _, role := range f.roles {
		c.trackRole(role, id)
	}
	for aid, r := range used {
		a, ok := c.agents[aid]
		if !ok {
			continue
		}
		// The agent was added before the framework: AddSlave already
		// charged these resources to the agent but not to the sorters.
		if _, charged := a.allocated[id]; !charged {
			a.allocated[id] = r
			a.used = a.used.Add(r.Unallocate())
		}
		c.track(id, aid, r)
	}
	c.syncAllRoles(id)
}

// RemoveFramework forgets a framework and frees what it holds.
func (c *Core) RemoveFramework(id string) {
	if _, ok := c.frameworks[id]; !ok {
		return
	}
	for aid, a := range c.agents {
		if r, ok := a.allocated[id]; ok {
			c.untrack(id, aid, r)
			delete(a.allocated, id)
			a.used = a.used.Subtract(r.Unallocate())
		}
	}
	for role, fs := range c.roleFrameworks {
		if fs[id] {
			c.untrackRole(role, id)
		}
	}
	delete(c.frameworks, id)
}

// ActivateFramework makes a framework eligible for offers again.
func (c *Core) ActivateFramework(id string) {
	if f, ok := c.frameworks[id]; ok {
		f.active = true
		c.syncAllRoles(id)
	}
}

// DeactivateFramework stops offers to a framework and clears its filters.
func (c *Core) DeactivateFramework(id string) {
	if f, ok := c.frameworks[id]; ok {
		f.active = false
		f.filters = map[string]map[string][]offerFilter{}
		c.syncAllRoles(id)
	}
}

// UpdateFramework changes a framework's info and suppressed roles. Roles it
// left stay tracked while it still holds resources in them.
func (c *Core) UpdateFramework(id string, info *mesos.FrameworkInfo, opts FrameworkOptions) {
	f, ok := c.frameworks[id]
	if !ok {
		return
	}
	old := f.roles
	f.info = info
	f.roles = rolesOf(info)
	f.suppressed = map[string]bool{}
	for _, r := range opts.SuppressedRoles {
		f.suppressed[r] = true
	}
	for _, role := range f.roles {
		c.trackRole(role, id)
	}
	for _, role := range old {
		if slices.Contains(f.roles, role) {
			continue
		}
		delete(f.filters, role)
		if !c.holdsIn(id, role) {
			c.untrackRole(role, id)
		}
	}
	c.syncAllRoles(id)
}

// holdsIn reports whether framework id holds resources allocated to role.
func (c *Core) holdsIn(id, role string) bool {
	for _, a := range c.agents {
		if r, ok := a.allocated[id]; ok {
			if part, ok := r.Allocations()[role]; ok && !part.IsEmpty() {
				return true
			}
		}
	}
	return false
}

// AddSlave adds an agent. used holds what frameworks already use on it.
func (c *Core) AddSlave(id string, info *mesos.SlaveInfo, caps []mesos.SlaveInfo_Capability_Type, total resources.Resources, used map[string]resources.Resources) {
	if _, ok := c.agents[id]; ok {
		return
	}
	a := &agentState{id: id, info: info, caps: capSet(caps), total: total, allocated: map[string]resources.Resources{}, active: true}
	c.agents[id] = a
	c.roleSorter.AddAgent(id, total)
	for _, s := range c.frameworkSorters {
		s.AddAgent(id, total)
	}
	for fid, r := range used {
		if r.IsEmpty() {
			continue
		}
		a.allocated[fid] = r
		a.used = a.used.Add(r.Unallocate())
		if _, known := c.frameworks[fid]; known {
			c.track(fid, id, r)
		}
	}
}

func capSet(caps []mesos.SlaveInfo_Capability_Type) map[mesos.SlaveInfo_Capability_Type]bool {
	m := map[mesos.SlaveInfo_Capability_Type]bool{}
	for _, t := range caps {
		m[t] = true
	}
	return m
}

// RemoveSlave forgets an agent, what is allocated on it and the filters
// that name it.
func (c *Core) RemoveSlave(id string) {
	a, ok := c.agents[id]
	if !ok {
		return
	}
	for fid, r := range a.allocated {
		c.untrack(fid, id, r)
	}
	c.roleSorter.RemoveAgent(id)
	for _, s := range c.frameworkSorters {
		s.RemoveAgent(id)
	}
	for _, f := range c.frameworks {
		for _, byAgent := range f.filters {
			delete(byAgent, id)
		}
	}
	delete(c.agents, id)
}

// UpdateSlave changes an agent's info, capabilities and total.
func (c *Core) UpdateSlave(id string, info *mesos.SlaveInfo, caps []mesos.SlaveInfo_Capability_Type, total resources.Resources) {
	a, ok := c.agents[id]
	if !ok {
		return
	}
	if info != nil {
		a.info = info
	}
	if caps != nil {
		a.caps = capSet(caps)
	}
	if total != nil {
		a.total = total
		c.roleSorter.AddAgent(id, total)
		for _, s := range c.frameworkSorters {
			s.AddAgent(id, total)
		}
	}
}

// ActivateSlave includes an agent in allocation runs.
func (c *Core) ActivateSlave(id string) {
	if a, ok := c.agents[id]; ok {
		a.active = true
	}
}

// DeactivateSlave excludes an agent from allocation runs.
func (c *Core) DeactivateSlave(id string) {
	if a, ok := c.agents[id]; ok {
		a.active = false
	}
}

// RecoverResources returns res (with allocation info) that framework fid
// held on agent aid. With a non-nil filters, a refusal filter lasting
// RefuseTimeout(filters) from now is installed for the framework, the
// role of the resources and the agent.
func (c *Core) RecoverResources(now time.Time, fid, aid string, res resources.Resources, filters *mesos.Filters) {
	if res.IsEmpty() {
		return
	}
	a, agentKnown := c.agents[aid]
	if agentKnown {
		if held, ok := a.allocated[fid]; ok {
			// Only what is actually held can come back.
			back := res
			if !held.Contains(res) {
				back = held.Subtract(held.Subtract(res))
			}
			rest := held.Subtract(back)
			if rest.IsEmpty() {
				delete(a.allocated, fid)
			} else {
				a.allocated[fid] = rest
			}
			a.used = a.used.Subtract(back.Unallocate())
			if _, known := c.frameworks[fid]; known {
				c.untrack(fid, aid, back)
			}
		}
	}
	f, known := c.frameworks[fid]
	if !known {
		return
	}
	// Drop sorter membership in roles the framework left once it holds
	// nothing there any more.
	for role := range res.Allocations() {
		if role != "" && !slices.Contains(f.roles, role) && !c.holdsIn(fid, role) {
			c.untrackRole(role, fid)
		}
	}
	if !agentKnown {
		return
	}
	timeout := RefuseTimeout(filters, c.opts.AllocationInterval)
	if timeout <= 0 {
		return
	}
	for role, part := range res.Allocations() {
		if f.filters[role] == nil {
			f.filters[role] = map[string][]offerFilter{}
		}
		f.filters[role][aid] = append(f.filters[role][aid], offerFilter{refused: part.Unallocate(), expires: now.Add(timeout)})
	}
}

// SuppressOffers stops offers to framework fid for roles (all if empty).
func (c *Core) SuppressOffers(fid string, roles []string) {
	f, ok := c.frameworks[fid]
	if !ok {
		return
	}
	if len(roles) == 0 {
		roles = f.roles
	}
	for _, r := range roles {
		f.suppressed[r] = true
	}
	c.syncAllRoles(fid)
}

// ReviveOffers clears filters and suppression of framework fid for roles
// (all if empty).
func (c *Core) ReviveOffers(fid string, roles []string) {
	f, ok := c.frameworks[fid]
	if !ok {
		return
	}
	if len(roles) == 0 {
		roles = f.roles
	}
	for _, r := range roles {
		delete(f.suppressed, r)
		delete(f.filters, r)
	}
	c.syncAllRoles(fid)
}

// ActiveFilters counts the offer filters in force at now, for tests and
// metrics.
func (c *Core) ActiveFilters(now time.Time) int {
	n := 0
	for _, f := range c.frameworks {
		for _, byAgent := range f.filters {
			for _, fs := range byAgent {
				for _, x := range fs {
					if now.Before(x.expires) {
						n++
					}
				}
			}
		}
	}
	return n
}

// expireFilters drops filters that expired at or before now.
func (c *Core) expireFilters(now time.Time) {
	for _, f := range c.frameworks {
		for role, byAgent := range f.filters {
			for aid, fs := range byAgent {
				kept := fs[:0]
				for _, x := range fs {
					if now.Before(x.expires) {
						kept = append(kept, x)
					}
				}
				if len(kept) == 0 {
					delete(byAgent, aid)
				} else {
					byAgent[aid] = kept
				}
			}
			if len(byAgent) == 0 {
				delete(f.filters, role)
			}
		}
	}
}

// filtered reports whether framework f refuses offer (without allocation
// info) for role on agent aid.
func (f *frameworkState) filtered(role, aid string, offer resources.Resources) bool {
	for _, x := range f.filters[role][aid] {
		if x.refused.Contains(offer) {
			return true
		}
	}
	return false
}

// allocatable applies the minimum-offer-size rule.
func (c *Core) allocatable(r resources.Resources, role string, f *frameworkState) bool {
	if r.IsEmpty() {
		return false
	}
	mins := c.opts.MinAllocatable
	if of, ok := f.info.GetOfferFilters()[role]; ok && of.GetMinAllocatableResources() != nil {
		mins = nil
		for _, q := range of.GetMinAllocatableResources().GetQuantities() {
			m := Quantities{}
			for name, s := range q.GetQuantities() {
				m[name] = s.GetValue()
			}
			mins = append(mins, m)
		}
		if len(mins) == 0 {
			return true
		}
	}
	if len(mins) == 0 {
		return true
	}
	for _, m := range mins {
		if r.ContainsQuantities(m) {
			return true
		}
	}
	return false
}

// suitable applies the agent-level exclusions: MULTI_ROLE frameworks only
// on MULTI_ROLE agents, hierarchical roles only on HIERARCHICAL_ROLE
// agents, GPU agents only for GPU_RESOURCES frameworks.
func (c *Core) suitable(a *agentState, f *frameworkState, role string) bool {
	if f.capable(mesos.FrameworkInfo_Capability_MULTI_ROLE) && !a.caps[mesos.SlaveInfo_Capability_MULTI_ROLE] {
		return false
	}
	if slices.Contains([]byte(role), '/') && !a.caps[mesos.SlaveInfo_Capability_HIERARCHICAL_ROLE] {
		return false
	}
	if c.opts.FilterGPUResources && a.total.Scalar("gpus") > 0 && !f.capable(mesos.FrameworkInfo_Capability_GPU_RESOURCES) {
		return false
	}
	return true
}

// strip removes what framework f cannot receive.
func strip(r resources.Resources, f *frameworkState) resources.Resources {
	if !f.capable(mesos.FrameworkInfo_Capability_REVOCABLE_RESOURCES) {
		r = r.NonRevocable()
	}
	if !f.capable(mesos.FrameworkInfo_Capability_SHARED_RESOURCES) {
		r = r.NonShared()
	}
	return r
}

// Allocate runs one allocation over the candidate agents (all agents if
// candidates is nil) at now and returns the grants by framework. Grants are
// recorded as allocated: they come back through RecoverResources.
func (c *Core) Allocate(now time.Time, candidates []string) map[string]Offers {
	c.expireFilters(now)

	var ids []string
	if candidates == nil {
		for id := range c.agents {
			ids = append(ids, id)
		}
	} else {
		ids = slices.Clone(candidates)
	}
	sort.Strings(ids)
	ids = slices.Compact(ids)

	out := map[string]Offers{}
	for _, aid := range ids {
		a, ok := c.agents[aid]
		if !ok || !a.active {
			continue
		}
		for _, role := range c.roleSorter.Sort() {
			s := c.frameworkSorters[role]
			if s == nil || a.available().AllocatableTo(role).IsEmpty() {
				continue
			}
			for _, fid := range s.Sort() {
				f := c.frameworks[fid]
				if f == nil || !f.active || f.suppressed[role] || !slices.Contains(f.roles, role) {
					continue
				}
				if !c.suitable(a, f, role) {
					continue
				}
				avail := strip(a.available().AllocatableTo(role), f)
				if avail.IsEmpty() || !c.allocatable(avail, role, f) {
					continue
				}
				if f.filtered(role, aid, avail) {
					continue
				}
				granted := avail.Allocate(role)
				a.allocated[fid] = a.allocated[fid].Add(granted)
				a.used = a.used.Add(avail)
				c.roleSorter.Allocated(role, aid, granted)
				s.Allocated(fid, aid, granted)

				if out[fid] == nil {
					out[fid] = Offers{}
				}
				if out[fid][role] == nil {
					out[fid][role] = map[string]resources.Resources{}
				}
				out[fid][role][aid] = out[fid][role][aid].Add(granted)
			}
		}
	}
	return out
}

// Allocation returns what framework fid holds on agent aid.
func (c *Core) Allocation(fid, aid string) resources.Resources {
	if a, ok := c.agents[aid]; ok {
		return a.allocated[fid]
	}
	return nil
}

// Available returns the free resources of agent aid.
func (c *Core) Available(aid string) resources.Resources {
	if a, ok := c.agents[aid]; ok {
		return a.available()
	}
	return nil
}
