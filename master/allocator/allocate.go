package allocator

import (
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/master/allocator/sorter"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// run is the state of one allocation run.
type run struct {
	c      *Core
	grants []grantRec

	quota     bool // some role has a non-default quota
	gen       uint64
	required  sorter.Vec // headroom the unmet guarantees need
	headroom  sorter.Vec // unreserved non-revocable resources not held
	heldBack  sorter.Vec // what stage 2 held back for guarantees
	heldAgent int
	scratch   sorter.Vec
}

// Allocate runs one allocation over the candidate agents (all agents if
// candidates is nil) at now and returns the grants by framework. Grants are
// recorded as offered: they come back through RecoverResources.
//
// As in Mesos' hierarchical allocator: agents are visited in random
// order; the first stage serves roles with unmet quota guarantees, the
// second everybody, holding back what unmet guarantees need. For each
// agent, roles are taken in role-sorter order and, in each role,
// frameworks in that role's sorter order (one snapshot of each order per
// agent); a framework gets what is left on the agent that it may have,
// unless that is too small, it filters it, or it cannot use the agent.
// Grants count at once, so the next agent sees the new shares.
func (c *Core) Allocate(now time.Time, candidates []string) map[string]Offers {
	c.expireFilters(now)

	agents := c.cands[:0]
	if candidates == nil {
		for _, a := range c.agentList {
			if a.active {
				agents = append(agents, a)
			}
		}
	} else {
		seen := make(map[*agentState]bool, len(candidates))
		for _, id := range candidates {
			if a := c.agents[id]; a != nil && a.active && !seen[a] {
				seen[a] = true
				agents = append(agents, a)
			}
		}
	}
	c.shuffle(agents)

	r := &run{c: c, grants: c.grantBuf[:0]}
	if c.quotaRoles > 0 {
		r.prepareQuota()
		for _, a := range agents {
			r.quotaStage(a)
		}
		c.shuffle(agents)
	}
	// Without quota, what an agent is offered does not depend on the rest
	// of the cluster: an agent settled this epoch would be turned down
	// again by everyone (see Core.epoch).
	skip := c.skipSettled && c.quotaRoles == 0
	skipped := 0
	for _, a := range agents {
		if skip && a.settled == c.epoch {
			skipped++
			continue
		}
		before := len(r.grants)
		r.generalStage(a)
		if skip && len(r.grants) == before {
			a.settled = c.epoch
		}
	}
	c.LastRun = RunStats{Agents: len(agents), Offers: len(r.grants), HeldBackAgents: r.heldAgent, Skipped: skipped}
	if !r.heldBack.IsZero() {
		c.LastRun.HeldBack = Quantities(r.heldBack.Map(c.names))
	}
	clear(agents)
	c.cands = agents[:0]
	out := r.offers()
	clear(r.grants)
	c.grantBuf = r.grants[:0]
	return out
}

// RunStats describes the last allocation run.
type RunStats struct {
	Agents, Offers int
	// Skipped counts the agents the run did not visit: settled ones,
	// which nobody would take anything from.
	Skipped int
	// HeldBack is what the second stage kept from roles for unmet quota
	// guarantees, on HeldBackAgents agents.
	HeldBack       Quantities
	HeldBackAgents int
}

// grantRec is one grant of a run.
type grantRec struct {
	f   *frameworkState
	e   *roleEntry
	a   *agentState
	res resources.Resources
}

// offers turns the run's grants into the per-framework result, with maps
// sized once.
func (r *run) offers() map[string]Offers {
	out := map[string]Offers{}
	for _, g := range r.grants {
		byRole := out[g.f.id]
		if byRole == nil {
			byRole = make(Offers, 1)
			out[g.f.id] = byRole
		}
		byAgent := byRole[g.e.name]
		if byAgent == nil {
			byAgent = make(map[string]resources.Resources, g.f.runGrants)
			byRole[g.e.name] = byAgent
		}
		if prev, ok := byAgent[g.a.id]; ok {
			byAgent[g.a.id] = prev.Add(g.res)
		} else {
			byAgent[g.a.id] = g.res
		}
	}
	for _, g := range r.grants {
		g.f.runGrants = 0
	}
	return out
}

func (c *Core) shuffle(agents []*agentState) {
	c.rng.Shuffle(len(agents), func(i, j int) { agents[i], agents[j] = agents[j], agents[i] })
}

// prepareQuota computes the quota consumed by every top-level quota role,
// the headroom unmet guarantees require and the headroom available.
func (r *run) prepareQuota() {
	c := r.c
	r.quota = true
	c.quotaRuns++
	r.gen = c.quotaRuns
	var reserved, ooaReserved sorter.Vec
	for _, n := range c.roles.topLevel() {
		reserved = reserved.Add(n.reserved)
		ooaReserved = ooaReserved.Add(n.ooaReserved)
		if n.quota.IsDefault() {
			continue
		}
		consumed := n.consumed()
		n.cycleConsumed, n.cycleGen = consumed, r.gen
		r.required = r.required.Add(n.guarantees.Clone().SubClamp(consumed))
	}
	r.headroom = c.total.Quantities().Clone().SubClamp(c.roleSorter.TotalAllocation())
	r.headroom = r.headroom.SubClamp(reserved.SubClamp(ooaReserved))
	for _, a := range c.agentList {
		if !a.plain {
			r.headroom = r.headroom.SubClamp(c.scalarVec(a.available.Revocable()))
		}
	}
}

// consumed returns what counts against n's quota during this run (nil
// for roles without quota).
func (r *run) consumed(n *roleNode) sorter.Vec {
	if n != nil && n.cycleGen == r.gen {
		return n.cycleConsumed
	}
	return nil
}

// consume adds q to n's consumed quota for the rest of the run.
func (r *run) consume(n *roleNode, q sorter.Vec) {
	if n != nil && n.cycleGen == r.gen {
		n.cycleConsumed = n.cycleConsumed.Add(q)
	}
}

func (r *run) surplusHeadroom() sorter.Vec {
	return r.headroom.Clone().SubClamp(r.required)
}

// mayAllocate is the quantity-only check of what a role with quota
// limits or under headroom hold-back could be offered on a plain agent
// (all of whose scalars are unreserved and divisible): non-scalar
// resources plus the scalars cut to the role's room and to the surplus
// headroom. It allocates nothing, so that roles with nothing to gain are
// skipped cheaply.
func (r *run) mayAllocate(a *agentState, f *frameworkState, role string, n *roleNode, limited bool) bool {
	counts := append(r.scratch[:0], a.counts...)
	consumed := r.consumed(n)
	for i, v := range a.scalars {
		if v <= 0 {
			continue
		}
		keep := v
		if limited {
			if l, ok := n.limits.limited(i); ok {
				keep = min(keep, max(0, l-consumed.At(i)))
			}
		}
		if !r.required.IsZero() {
			keep = min(keep, max(0, r.headroom.At(i)-r.required.At(i)))
		}
		counts[i] -= v - keep
	}
	r.scratch = counts
	return r.c.allocatable(counts, role, f)
}

// available returns what role may be offered on a (unreserved resources
// and the role's and its ancestors' reservations) and its counts.
func (r *run) available(a *agentState, role string) (resources.Resources, sorter.Vec) {
	if a.plain {
		a.refreshCounts(r.c)
		return a.available, a.counts
	}
	avail := a.available.AllocatableTo(role)
	return avail, r.c.countVec(avail)
}

// empty reports whether nothing is left on a.
func (a *agentState) empty() bool {
	if len(a.available) == 0 {
		return true
	}
	if !a.countsGood {
		return a.available.IsEmpty()
	}
	return a.counts.IsZero()
}

// quotaStage is the first stage for one agent: roles with unmet quota
// guarantees get unreserved scalars towards them (and, with them, their
// reservations, non-scalar and revocable resources, and more scalars up
// to their limits and the surplus headroom).
func (r *run) quotaStage(a *agentState) {
	c := r.c
	if a.empty() {
		return
	}
	c.roleSorter.Each(func(role string, data any) bool {
		if a.empty() {
			return false // nothing left on this agent
		}
		e := data.(*roleEntry)
		n := e.node
		if n.guarantees.IsZero() || len(n.frameworks) == 0 {
			return true
		}
		consumed := r.consumed(n)
		if consumed.Contains(n.guarantees) {
			return true // guarantees met
		}
		unsatisfied := n.guarantees.Clone().SubClamp(consumed)
		e.fs.Each(func(_ string, fdata any) bool {
			if unsatisfied.IsZero() {
				return false
			}
			f := fdata.(*frameworkState)
			avail, counts := r.available(a, role)
			if len(avail) == 0 || counts.IsZero() {
				return false
			}
			if !c.allocatable(counts, role, f) || !c.capable(f, a) {
				return true
			}
			avail = strip(avail, f)
			quotaRes, other := partition(avail, func(x *mesos.Resource) bool {
				return x.GetType() == mesos.Value_SCALAR && resources.IsUnreserved(x) && x.Revocable == nil
			})
			guarantees := c.shrink(quotaRes, unsatisfied, nil)
			if guarantees.IsEmpty() {
				return true
			}
			toOffer := guarantees.Add(other.Filter(func(x *mesos.Resource) bool {
				return resources.ReservationRole(x) == role && !resources.IsUnreserved(x) ||
					x.GetType() != mesos.Value_SCALAR || x.Revocable != nil
			}))
			guaranteesQ := c.scalarVec(guarantees)
			additional := quotaRes.Subtract(guarantees)
			if !n.limits.empty() {
				room := n.limits.minus(r.consumed(n)).minus(guaranteesQ)
				additional = c.shrink(additional, nil, &room)
			}
			if !r.required.IsZero() && !additional.IsEmpty() {
				additional = c.shrink(additional, r.surplusHeadroom(), nil)
			}
			toOffer = toOffer.Add(additional)
			if !c.allocatable(c.countVec(toOffer), role, f) || c.filtered(f, e, a, toOffer, nil) {
				return true
			}
			r.grant(a, f, e, toOffer, false, nil)
			inc := guaranteesQ.Add(c.scalarVec(additional))
			unsatisfied = unsatisfied.SubClamp(inc)
			r.consume(n, inc)
			r.required = r.required.SubClamp(guaranteesQ)
			r.headroom = r.headroom.SubClamp(inc)
			return true
		})
		return true
	})
}

// generalStage is the second stage for one agent: every role, in order,
// and its frameworks, in order, are offered what is left, with
// unreserved scalars cut to quota limits and to the surplus headroom.
func (r *run) generalStage(a *agentState) {
	c := r.c
	if len(a.available) == 0 {
		return
	}
	a.refreshCounts(c)
	if a.empty() {
		return
	}
	c.roleSorter.Each(func(_ string, data any) bool {
		if a.empty() {
			return false
		}
		e := data.(*roleEntry)
		e.fs.Each(func(_ string, fdata any) bool {
			return r.offerGeneral(a, fdata.(*frameworkState), e)
		})
		return !a.empty()
	})
}

// offerGeneral tries framework f in role on agent a; it returns false
// when nothing is left for the role there.
func (r *run) offerGeneral(a *agentState, f *frameworkState, e *roleEntry) bool {
	c := r.c
	role, n := e.name, e.node
	avail, counts := r.available(a, role)
	if len(avail) == 0 || counts.IsZero() {
		return false
	}
	if !c.allocatable(counts, role, f) || !c.capable(f, a) {
		return true
	}
	toOffer, offerCounts, whole := avail, counts, a.plain
	if !a.plain {
		if stripped := strip(avail, f); len(stripped) != len(avail) {
			toOffer, offerCounts = stripped, c.countVec(stripped)
		}
	}
	var additionalQ sorter.Vec
	limited := r.quota && n != nil && !n.limits.empty()
	if (limited || r.quota && !r.required.IsZero()) && a.plain && !r.mayAllocate(a, f, role, n, limited) {
		return true
	}
	if limited || r.quota && !r.required.IsZero() {
		// Reservations, non-scalar and revocable resources always go;
		// unreserved scalars are cut to the role's limit and to the
		// headroom that unmet guarantees leave.
		additional, other := partition(toOffer, func(x *mesos.Resource) bool {
			return x.GetType() == mesos.Value_SCALAR && resources.IsUnreserved(x) && x.Revocable == nil
		})
		if limited {
			room := n.limits.minus(r.consumed(n))
			additional = c.shrink(additional, nil, &room)
		}
		if !r.required.IsZero() && !additional.IsEmpty() {
			shrunk := c.shrink(additional, r.surplusHeadroom(), nil)
			if held := c.scalarVec(additional.Subtract(shrunk)); !held.IsZero() {
				r.heldBack = r.heldBack.Add(held)
				r.heldAgent++
			}
			additional = shrunk
		}
		additionalQ = c.scalarVec(additional)
		toOffer = other.Add(additional)
		offerCounts = c.countVec(toOffer)
		whole = false
	} else if r.quota {
		_, unreserved := c.split(toOffer)
		additionalQ = unreserved
	}
	if !c.allocatable(offerCounts, role, f) || c.filtered(f, e, a, toOffer, offerCounts) {
		return true
	}
	var q sorter.Vec
	if whole {
		q = a.scalars
	}
	r.grant(a, f, e, toOffer, whole, q)
	if r.quota {
		r.consume(n, additionalQ)
		r.headroom = r.headroom.SubClamp(additionalQ)
	}
	return true
}

// grant offers toOffer (no allocation info) on a to framework f in the
// role of e. whole says toOffer is all of a's available resources, whose
// scalar quantities are q.
func (r *run) grant(a *agentState, f *frameworkState, e *roleEntry, toOffer resources.Resources, whole bool, q sorter.Vec) {
	c := r.c
	n := e.node
	granted := allocateTo(toOffer, e.info)
	a.unsettle()
	if held, ok := a.allocated.get(f.id); ok {
		a.allocated.set(f.id, held.Add(granted))
	} else {
		a.allocated = append(a.allocated, holding{f.id, granted})
	}
	if whole {
		// Keep what was given away whole and its quantities: if it comes
		// back as it went (a decline, a rescind), they are still right.
		if a.countsGood {
			a.wholeGiven, a.wholeFree = granted, a.available
			a.counts, a.wholeCounts = a.wholeCounts, a.counts
			a.scalars, a.wholeScalars = a.wholeScalars, a.scalars
		}
		a.available = nil
	} else {
		a.available = a.available.Subtract(toOffer)
		a.wholeGiven, a.wholeFree = nil, nil
		q = c.scalarVec(toOffer)
	}
	a.countsGood = false

	c.roleSorter.Allocated(e.name, q)
	e.fs.Allocated(f.id, q)
	var res, unres sorter.Vec
	if a.plain {
		unres = q
	} else {
		res, unres = c.split(toOffer)
	}
	for ; n != nil && n != c.roles.root; n = n.parent {
		n.ooaReserved = n.ooaReserved.Add(res)
		n.ooaUnreserved = n.ooaUnreserved.Add(unres)
	}

	r.grants = append(r.grants, grantRec{f, e, a, granted})
	f.runGrants++
}

// allocateTo returns r with allocation info set on every entry (cleared
// with nil): new entries sharing r's values (which nobody modifies in
// place), built in one allocation. r is normalised and of one allocation
// role, so the result is normalised too.
func allocateTo(r resources.Resources, info *mesos.Resource_AllocationInfo) resources.Resources {
	var boxes []mesos.Resource
	var out resources.Resources
	switch {
	case len(r) <= 2:
		// A task's cpus and mem: list and entries in one small allocation.
		b := new(box2)
		boxes, out = b.res[:len(r)], b.list[:len(r):len(r)]
	case len(r) <= 4:
		// cpus, mem, disk, ports: list and entries in one allocation.
		b := new(box4)
		boxes, out = b.res[:len(r)], b.list[:len(r):len(r)]
	default:
		boxes, out = make([]mesos.Resource, len(r)), make(resources.Resources, len(r))
	}
	for i, x := range r {
		y := &boxes[i]
		y.Name, y.Type = x.Name, x.Type
		y.Scalar, y.Ranges, y.Set = x.Scalar, x.Ranges, x.Set
		y.Role, y.Disk, y.Reservation = x.Role, x.Disk, x.Reservation
		y.Revocable, y.Shared, y.ProviderId = x.Revocable, x.Shared, x.ProviderId
		y.Reservations = x.Reservations
		y.AllocationInfo = info
		out[i] = y
	}
	return out
}

type box4 struct {
	list [4]*mesos.Resource
	res  [4]mesos.Resource
}

type box2 struct {
	list [2]*mesos.Resource
	res  [2]mesos.Resource
}

// allocatable applies the minimum-offer rule to an offer's counts: the
// framework's per-role offer_filters if it set them (no alternatives:
// anything goes), else --min_allocatable_resources.
func (c *Core) allocatable(counts sorter.Vec, role string, f *frameworkState) bool {
	if counts.IsZero() {
		return false
	}
	mins := c.minAlloc
	if alts, ok := f.minAlloc[role]; ok {
		mins = alts
	}
	if len(mins) == 0 {
		return true
	}
	for _, m := range mins {
		if counts.Contains(m) {
			return true
		}
	}
	return false
}

// capable applies the agent-level capability rules: GPU agents only for
// GPU_RESOURCES frameworks (with --filter_gpu_resources).
func (c *Core) capable(f *frameworkState, a *agentState) bool {
	return !(c.opts.FilterGPUResources && a.gpus && !f.gpu)
}

// filtered reports whether f refuses toOffer (no allocation info) for
// role on a: the implicit filters (MULTI_ROLE frameworks only on
// MULTI_ROLE agents, hierarchical roles only on HIERARCHICAL_ROLE
// agents), then its refusal filters, which match when the refused
// resources contain the offer.
func (c *Core) filtered(f *frameworkState, e *roleEntry, a *agentState, toOffer resources.Resources, counts sorter.Vec) bool {
	if f.multiRole && !a.multi {
		return true
	}
	if !a.hier && e.hier {
		return true
	}
	if f.nFilters == 0 {
		return false
	}
	for _, x := range f.filters[filterKey{e.name, a.id}] {
		switch {
		case sameSlice(x.refused, toOffer):
			return true
		case counts != nil && !x.counts.Contains(counts):
			// The offer has more of something than was refused.
		case x.refused.Contains(toOffer):
			return true
		}
	}
	return false
}

// strip removes what framework f cannot receive: shared resources without
// SHARED_RESOURCES, revocable ones without REVOCABLE_RESOURCES, refined
// reservations without RESERVATION_REFINEMENT.
func strip(r resources.Resources, f *frameworkState) resources.Resources {
	if f.shared && f.revocable && f.refinement {
		return r
	}
	return r.Filter(func(x *mesos.Resource) bool {
		if !f.shared && x.Shared != nil {
			return false
		}
		if !f.revocable && x.Revocable != nil {
			return false
		}
		if !f.refinement && len(x.GetReservations()) > 1 {
			return false
		}
		return true
	})
}

func partition(r resources.Resources, in func(*mesos.Resource) bool) (yes, no resources.Resources) {
	for _, x := range r {
		if in(x) {
			yes = append(yes, x)
		} else {
			no = append(no, x)
		}
	}
	return yes, no
}

// shrink cuts scalar resources down to a target: with limits nil, to
// target (absent names mean zero, Mesos' ResourceQuantities); with limits,
// to them (unlimited names are kept whole, Mesos' ResourceLimits).
// Indivisible disks that do not fit are dropped.
func (c *Core) shrink(r resources.Resources, target sorter.Vec, limits *limitVec) resources.Resources {
	var left sorter.Vec
	if limits != nil {
		left = limits.val.Clone()
	} else {
		left = target.Clone()
	}
	var out resources.Resources
	for _, x := range r {
		if x.GetType() != mesos.Value_SCALAR || x.Scalar == nil {
			continue
		}
		id := c.names.ID(x.GetName())
		if limits != nil {
			if _, has := limits.limited(id); !has {
				out = append(out, x)
				continue
			}
		}
		room := left.At(id)
		v := sorter.Fixed(x.GetScalar().GetValue())
		if room <= 0 {
			continue
		}
		if v <= room {
			out = append(out, x)
			left[id] -= v
			continue
		}
		if x.Disk != nil && (x.Disk.Persistence != nil || x.GetDisk().GetSource().GetType() == mesos.Resource_DiskInfo_Source_MOUNT) {
			continue
		}
		y := proto.Clone(x).(*mesos.Resource)
		y.Scalar = &mesos.Value_Scalar{Value: proto.Float64(sorter.Float(room))}
		out = append(out, y)
		left[id] = 0
	}
	return resources.Resources(out)
}
