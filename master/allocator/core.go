package allocator

import (
	"container/heap"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/master/allocator/sorter"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// Core is the allocation policy without actors, timers or I/O: the state
// of agents, frameworks and roles, the sorters, the offer filters and
// quotas, and Allocate, which turns that state into offers. Time comes in
// as arguments. The allocator actor (Process) drives it; tests and
// benchmarks drive it directly.
type Core struct {
	opts Options
	rng  *rand.Rand

	names *sorter.Names
	total *sorter.Total // scalar quantities of all agents

	roleSorter       sorter.Sorter
	frameworkSorters map[string]sorter.Sorter // by role
	roleEntries      map[string]*roleEntry    // by role, for the role sorter's clients

	agents     map[string]*agentState
	agentList  []*agentState // every agent, for runs over all of them
	frameworks map[string]*frameworkState
	roles      *roleTree

	minAlloc []sorter.Vec // --min_allocatable_resources, as counts

	quotaRoles int        // roles with a non-default quota
	quotaRuns  uint64     // allocation runs with quota, numbering their scratch state
	expiries   expiryHeap // installed filters by expiry, earliest first
	nFilters   int        // filters held by all frameworks

	// epoch numbers the states of everything beyond single agents that
	// decides who may take what (frameworks, their roles, activity,
	// capabilities, offer filters and suppression, quota, weights); it
	// grows when they change. An agent is settled in the current epoch
	// when its last visit made no offer: every framework turned down what
	// it has free. Until the agent or the epoch changes, a run would
	// offer it to nobody again, and skips it.
	epoch uint64
	// skipSettled is whether runs skip settled agents: with DRF sorters
	// only (a random sorter draws for every agent it is consulted on).
	skipSettled bool

	// LastRun describes the last allocation run.
	LastRun RunStats

	cands              []*agentState // scratch
	grantBuf           []grantRec
	qAll, qRes, qUnres sorter.Vec          // scratchQuantities
	qOf                resources.Resources // the list they are of
}

// holdings are what frameworks hold on an agent: a short list (an agent
// serves a few frameworks at a time), cheaper than a map on the hot path.
type holdings []holding

type holding struct {
	fid string
	res resources.Resources
}

func (h holdings) get(fid string) (resources.Resources, bool) {
	for i := range h {
		if h[i].fid == fid {
			return h[i].res, true
		}
	}
	return nil, false
}

func (h *holdings) set(fid string, r resources.Resources) {
	for i := range *h {
		if (*h)[i].fid == fid {
			(*h)[i].res = r
			return
		}
	}
	*h = append(*h, holding{fid, r})
}

func (h *holdings) del(fid string) {
	for i := range *h {
		if (*h)[i].fid == fid {
			last := len(*h) - 1
			(*h)[i] = (*h)[last]
			(*h)[last] = holding{}
			*h = (*h)[:last]
			return
		}
	}
}

// roleEntry is what the role sorter carries for each of its roles, so
// that an allocation run finds it without a lookup.
type roleEntry struct {
	name string
	hier bool          // a hierarchical role ("eng/web")
	fs   sorter.Sorter // the role's framework sorter
	node *roleNode
	info *mesos.Resource_AllocationInfo // stamped on the role's offers; never modified
}

type agentState struct {
	id    string
	pos   int // in Core.agentList
	info  *mesos.SlaveInfo
	caps  map[mesos.SlaveInfo_Capability_Type]bool
	multi bool // MULTI_ROLE capable
	hier  bool // HIERARCHICAL_ROLE capable
	gpus  bool // has GPUs

	total  resources.Resources // no allocation info
	totalQ sorter.Vec          // its scalar quantities
	// plain agents hold only unreserved, non-revocable, non-shared
	// resources: what any role may be offered is simply what is free.
	plain bool

	available  resources.Resources // total − offered or allocated
	allocated  holdings            // by framework, with allocation info
	counts     sorter.Vec          // quantities of available (ranges and sets counted)
	scalars    sorter.Vec          // scalar quantities of available
	countsGood bool

	// wholeGiven is the last grant of everything that was free, whose
	// quantities wholeCounts and wholeScalars keep; wholeFree is what was
	// free then (wholeGiven without allocation info).
	wholeGiven, wholeFree     resources.Resources
	wholeCounts, wholeScalars sorter.Vec

	active bool

	settled uint64 // the epoch it was settled in (0: not settled)
}

// unsettle makes the next run visit a again.
func (a *agentState) unsettle() { a.settled = 0 }

// changed starts a new epoch: every agent is visited again.
func (c *Core) changed() { c.epoch++ }

type frameworkState struct {
	id         string
	info       *mesos.FrameworkInfo
	roles      []string
	suppressed map[string]bool
	active     bool

	multiRole, gpu, revocable, shared, refinement bool
	// minAlloc holds per-role minimum offers from offer_filters; a role
	// present with no alternatives accepts anything.
	minAlloc map[string][]sorter.Vec

	filters  map[filterKey][]offerFilter
	nFilters int

	tracked map[string]bool // roles whose framework sorter holds it

	runGrants int // grants in the current run (scratch)
}

type filterKey struct {
	role  string
	agent string
}

type offerFilter struct {
	refused resources.Resources // without allocation info
	counts  sorter.Vec          // its quantities, for a quick "does not contain"
	expires time.Time
}

// NewCore returns an empty core. Unknown sorter names fall back to DRF
// (Config validation rejects them earlier).
func NewCore(opts Options) *Core {
	seed := opts.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	c := &Core{
		opts:             opts,
		rng:              rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15+1)),
		names:            sorter.NewNames(),
		frameworkSorters: map[string]sorter.Sorter{},
		roleEntries:      map[string]*roleEntry{},
		agents:           map[string]*agentState{},
		frameworks:       map[string]*frameworkState{},
		roles:            newRoleTree(),
		epoch:            1,
		skipSettled:      opts.RoleSorter != sorter.KindRandom && opts.FrameworkSorter != sorter.KindRandom,
	}
	c.total = sorter.NewTotal(c.names)
	c.roleSorter = c.newSorter(opts.RoleSorter)
	for _, m := range opts.MinAllocatable {
		c.minAlloc = append(c.minAlloc, c.quantityVec(m))
	}
	return c
}

func (c *Core) newSorter(kind string) sorter.Sorter {
	s, err := sorter.New(kind, sorter.Config{
		Total:   c.total,
		Exclude: c.opts.FairnessExcludeResourceNames,
		Rand:    rand.New(rand.NewPCG(c.rng.Uint64(), c.rng.Uint64())),
	})
	if err != nil {
		s = sorter.NewDRF(sorter.Config{Total: c.total, Exclude: c.opts.FairnessExcludeResourceNames})
	}
	return s
}

// Options returns the options the core runs with.
func (c *Core) Options() Options { return c.opts }

func (c *Core) quantityVec(q Quantities) sorter.Vec {
	var v sorter.Vec
	for name, x := range q {
		v = v.AddAt(c.names.ID(name), sorter.Fixed(x))
	}
	return v
}

// scalarVec returns the scalar quantities of r.
func (c *Core) scalarVec(r resources.Resources) sorter.Vec {
	var v sorter.Vec
	for _, x := range r {
		if x != nil && x.GetType() == mesos.Value_SCALAR && x.Scalar != nil {
			v = v.AddAt(c.names.ID(x.GetName()), sorter.Fixed(x.GetScalar().GetValue()))
		}
	}
	return v
}

// countVec returns the quantities of r with ranges and sets counted by
// their elements, as the minimum-offer check counts them.
func (c *Core) countVec(r resources.Resources) sorter.Vec {
	var v sorter.Vec
	for _, x := range r {
		if x == nil {
			continue
		}
		id := c.names.ID(x.GetName())
		switch x.GetType() {
		case mesos.Value_SCALAR:
			v = v.AddAt(id, sorter.Fixed(x.GetScalar().GetValue()))
		case mesos.Value_RANGES:
			var n int64
			for _, rg := range x.GetRanges().GetRange() {
				if rg.GetEnd() >= rg.GetBegin() {
					n += int64(rg.GetEnd()-rg.GetBegin()) + 1
				}
			}
			v = v.AddAt(id, n*sorter.Scale)
		case mesos.Value_SET:
			v = v.AddAt(id, int64(len(x.GetSet().GetItem()))*sorter.Scale)
		}
	}
	return v
}

// split returns the scalar quantities of r's reserved resources and of
// its unreserved non-revocable ones.
func (c *Core) split(r resources.Resources) (reserved, unreserved sorter.Vec) {
	for _, x := range r {
		if x == nil || x.GetType() != mesos.Value_SCALAR || x.Scalar == nil {
			continue
		}
		id, v := c.names.ID(x.GetName()), sorter.Fixed(x.GetScalar().GetValue())
		switch {
		case !resources.IsUnreserved(x):
			reserved = reserved.AddAt(id, v)
		case !resources.IsRevocable(x):
			unreserved = unreserved.AddAt(id, v)
		}
	}
	return reserved, unreserved
}

// scratchQuantities returns the scalar quantities of r (scalarVec) and
// those of its reserved and of its unreserved non-revocable parts (split)
// in one pass, in the core's scratch vectors: they are good until the
// next call and must not be kept or changed. The same list again (tasks
// launched alike share one, and end in turn) finds them still there.
func (c *Core) scratchQuantities(r resources.Resources) (all, reserved, unreserved sorter.Vec) {
	if len(r) > 0 && sameSlice(r, c.qOf) {
		return c.qAll, c.qRes, c.qUnres
	}
	all, reserved, unreserved = reuse(c.qAll), reuse(c.qRes), reuse(c.qUnres)
	for _, x := range r {
		if x == nil || x.GetType() != mesos.Value_SCALAR || x.Scalar == nil {
			continue
		}
		id, v := c.names.ID(x.GetName()), sorter.Fixed(x.GetScalar().GetValue())
		all = all.AddAt(id, v)
		switch {
		case !resources.IsUnreserved(x):
			reserved = reserved.AddAt(id, v)
		case !resources.IsRevocable(x):
			unreserved = unreserved.AddAt(id, v)
		}
	}
	c.qAll, c.qRes, c.qUnres, c.qOf = all, reserved, unreserved, r
	return all, reserved, unreserved
}

// ---- Frameworks ----

func hasCap(info *mesos.FrameworkInfo, t mesos.FrameworkInfo_Capability_Type) bool {
	for _, cp := range info.GetCapabilities() {
		if cp.GetType() == t {
			return true
		}
	}
	return false
}

// rolesOf returns the roles a framework subscribes with.
func rolesOf(info *mesos.FrameworkInfo) []string {
	if hasCap(info, mesos.FrameworkInfo_Capability_MULTI_ROLE) {
		return slices.Clone(info.GetRoles())
	}
	return []string{info.GetRole()}
}

func (c *Core) setInfo(f *frameworkState, info *mesos.FrameworkInfo) {
	f.info = info
	f.roles = rolesOf(info)
	f.multiRole = hasCap(info, mesos.FrameworkInfo_Capability_MULTI_ROLE)
	f.gpu = hasCap(info, mesos.FrameworkInfo_Capability_GPU_RESOURCES)
	f.revocable = hasCap(info, mesos.FrameworkInfo_Capability_REVOCABLE_RESOURCES)
	f.shared = hasCap(info, mesos.FrameworkInfo_Capability_SHARED_RESOURCES)
	f.refinement = hasCap(info, mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT)
	f.minAlloc = nil
	for role, of := range info.GetOfferFilters() {
		if of.GetMinAllocatableResources() == nil {
			continue
		}
		if f.minAlloc == nil {
			f.minAlloc = map[string][]sorter.Vec{}
		}
		alts := []sorter.Vec{}
		for _, q := range of.GetMinAllocatableResources().GetQuantities() {
			m := Quantities{}
			for name, s := range q.GetQuantities() {
				m[name] = s.GetValue()
			}
			alts = append(alts, c.quantityVec(m))
		}
		f.minAlloc[role] = alts
	}
}

// trackRole puts framework fid under role: in the role tree, and in the
// role's framework sorter (creating the role in the role sorter).
func (c *Core) trackRole(role, fid string) {
	n := c.roles.ensure(role)
	if n.frameworks[fid] {
		return
	}
	c.changed()
	n.frameworks[fid] = true
	s := c.frameworkSorters[role]
	if s == nil {
		s = c.newSorter(c.opts.FrameworkSorter)
		c.frameworkSorters[role] = s
		c.roleSorter.Add(role)
		e := &roleEntry{name: role, hier: strings.Contains(role, "/"), fs: s, node: n, info: &mesos.Resource_AllocationInfo{Role: proto.String(role)}}
		c.roleEntries[role] = e
		c.roleSorter.SetData(role, e)
	}
	s.Add(fid)
	if f := c.frameworks[fid]; f != nil {
		s.SetData(fid, f)
		f.tracked[role] = true
	}
}

// untrackRole takes framework fid out of role once it holds nothing there
// (or at once with force, what it holds leaving the sorters); the role
// leaves the role sorter with its last framework.
func (c *Core) untrackRole(role, fid string, force bool) {
	n := c.roles.get(role)
	s := c.frameworkSorters[role]
	if n == nil || !n.frameworks[fid] || s == nil {
		return
	}
	if q := s.Allocation(fid); !q.IsZero() {
		if !force {
			return
		}
		q = q.Clone()
		s.Unallocated(fid, q)
		c.roleSorter.Unallocated(role, q)
	}
	c.changed()
	delete(n.frameworks, fid)
	s.Remove(fid)
	if f := c.frameworks[fid]; f != nil {
		delete(f.tracked, role)
	}
	switch {
	case s.Count() == 0:
		delete(c.frameworkSorters, role)
		delete(c.roleEntries, role)
		c.roleSorter.Remove(role)
	case s.ActiveCount() == 0:
		c.roleSorter.Deactivate(role)
	}
	c.roles.tryRemove(role)
}

// syncActivation makes framework fid's state in role's sorter match its
// activity, roles and suppression, and the role's state in the role
// sorter match whether it has an active framework (a role nobody can take
// an offer in is skipped without changing anyone's order).
func (c *Core) syncActivation(fid, role string) {
	s := c.frameworkSorters[role]
	if s == nil || !s.Contains(fid) {
		return
	}
	c.changed()
	f := c.frameworks[fid]
	if f != nil && f.active && !f.suppressed[role] && slices.Contains(f.roles, role) {
		s.Activate(fid)
	} else {
		s.Deactivate(fid)
	}
	if s.ActiveCount() > 0 {
		c.roleSorter.Activate(role)
	} else {
		c.roleSorter.Deactivate(role)
	}
}

func (c *Core) syncAll(fid string) {
	if f := c.frameworks[fid]; f != nil {
		for role := range f.tracked {
			c.syncActivation(fid, role)
		}
	}
}

// track records an allocation of r (with allocation info) to framework
// fid on an agent: in the sorters and the role tree.
func (c *Core) track(fid string, r resources.Resources) {
	for role, part := range r.Allocations() {
		if role == "" {
			continue
		}
		c.trackRole(role, fid)
		c.trackQ(role, fid, c.scalarVec(part))
		res, unres := c.split(part)
		c.roles.each(role, func(n *roleNode) {
			n.ooaReserved = n.ooaReserved.Add(res)
			n.ooaUnreserved = n.ooaUnreserved.Add(unres)
		})
		c.syncActivation(fid, role)
	}
}

func (c *Core) trackQ(role, fid string, q sorter.Vec) {
	c.roleSorter.Allocated(role, q)
	c.frameworkSorters[role].Allocated(fid, q)
}

// untrack is the inverse of track.
func (c *Core) untrack(fid string, r resources.Resources) {
	c.untrackOf(c.frameworks[fid], fid, r)
}

// untrackOf is untrack for a framework already looked up (nil if unknown).
func (c *Core) untrackOf(f *frameworkState, fid string, r resources.Resources) {
	if role, ok := singleRole(r); ok {
		c.untrackRole1(f, fid, role, r)
		return
	}
	for role, part := range r.Allocations() {
		c.untrackRole1(f, fid, role, part)
	}
}

func (c *Core) untrackRole1(f *frameworkState, fid, role string, part resources.Resources) {
	s := c.frameworkSorters[role]
	if role == "" || s == nil || !s.Contains(fid) {
		return
	}
	q, res, unres := c.scratchQuantities(part)
	s.Unallocated(fid, q)
	c.roleSorter.Unallocated(role, q)
	c.roles.each(role, func(n *roleNode) {
		n.ooaReserved = n.ooaReserved.SubClamp(res)
		n.ooaUnreserved = n.ooaUnreserved.SubClamp(unres)
	})
	if f != nil && !slices.Contains(f.roles, role) {
		c.untrackRole(role, fid, false)
	}
}

// singleRole returns the allocation role of r when all of r has the
// same one (the common case: one offer's resources).
func singleRole(r resources.Resources) (string, bool) {
	if len(r) == 0 || r[0] == nil {
		return "", false
	}
	role := r[0].GetAllocationInfo().GetRole()
	for _, x := range r[1:] {
		if x == nil || x.GetAllocationInfo().GetRole() != role {
			return "", false
		}
	}
	return role, true
}

// AddFramework adds a framework. used holds what it already uses, by
// agent; only agents the core knows are counted (the rest is counted when
// AddSlave reports it).
func (c *Core) AddFramework(id string, info *mesos.FrameworkInfo, used map[string]resources.Resources, active bool, opts FrameworkOptions) {
	if _, ok := c.frameworks[id]; ok {
		return
	}
	c.changed()
	f := &frameworkState{id: id, suppressed: map[string]bool{}, active: active, filters: map[filterKey][]offerFilter{}, tracked: map[string]bool{}}
	c.setInfo(f, info)
	for _, r := range opts.SuppressedRoles {
		f.suppressed[r] = true
	}
	c.frameworks[id] = f
	for _, role := range f.roles {
		c.trackRole(role, id)
	}
	for aid, r := range used {
		a, ok := c.agents[aid]
		if !ok || r.IsEmpty() {
			continue
		}
		if _, charged := a.allocated.get(id); !charged {
			// The agent was added first without this framework's usage.
			a.allocated.set(id, r)
			c.recomputeAvailable(a)
		}
		held, _ := a.allocated.get(id)
		c.track(id, held)
	}
	c.syncAll(id)
}

// RemoveFramework forgets a framework and frees what it holds.
func (c *Core) RemoveFramework(id string) {
	f, ok := c.frameworks[id]
	if !ok {
		return
	}
	c.changed()
	for _, a := range c.agentList {
		if r, ok := a.allocated.get(id); ok {
			c.untrack(id, r)
			a.allocated.del(id)
			c.giveBack(a, r, false)
		}
	}
	for role := range f.tracked {
		c.untrackRole(role, id, true)
	}
	c.clearFilters(f)
	delete(c.frameworks, id)
}

// ActivateFramework makes a framework eligible for offers again.
func (c *Core) ActivateFramework(id string) {
	if f, ok := c.frameworks[id]; ok {
		c.changed()
		f.active = true
		c.syncAll(id)
	}
}

// DeactivateFramework stops offers to a framework and clears its filters.
func (c *Core) DeactivateFramework(id string) {
	if f, ok := c.frameworks[id]; ok {
		c.changed()
		f.active = false
		c.clearFilters(f)
		c.syncAll(id)
	}
}

func (c *Core) clearFilters(f *frameworkState) {
	c.changed()
	if f.nFilters > 0 {
		f.filters = map[filterKey][]offerFilter{}
		c.nFilters -= f.nFilters
		f.nFilters = 0
		c.compactExpiries()
	}
}

// UpdateFramework changes a framework's info and suppressed roles. Roles it
// left lose their filters and stay tracked while it holds resources there.
func (c *Core) UpdateFramework(id string, info *mesos.FrameworkInfo, opts FrameworkOptions) {
	f, ok := c.frameworks[id]
	if !ok {
		return
	}
	c.changed()
	old, oldSuppressed := f.roles, f.suppressed
	c.setInfo(f, info)
	f.suppressed = map[string]bool{}
	for _, r := range opts.SuppressedRoles {
		f.suppressed[r] = true
	}
	// Roles no longer suppressed are revived: their filters go.
	for r := range oldSuppressed {
		if !f.suppressed[r] && slices.Contains(f.roles, r) {
			c.dropRoleFilters(f, r)
		}
	}
	for _, role := range f.roles {
		c.trackRole(role, id)
	}
	for _, role := range old {
		if slices.Contains(f.roles, role) {
			continue
		}
		c.dropRoleFilters(f, role)
		c.syncActivation(id, role)
		c.untrackRole(role, id, false)
	}
	c.syncAll(id)
}

func (c *Core) dropRoleFilters(f *frameworkState, role string) {
	c.changed()
	for k, fs := range f.filters {
		if k.role == role {
			f.nFilters -= len(fs)
			c.nFilters -= len(fs)
			delete(f.filters, k)
		}
	}
	c.compactExpiries()
}

// ---- Agents ----

func capSet(caps []mesos.SlaveInfo_Capability_Type) map[mesos.SlaveInfo_Capability_Type]bool {
	m := map[mesos.SlaveInfo_Capability_Type]bool{}
	for _, t := range caps {
		m[t] = true
	}
	return m
}

func (a *agentState) setCaps(caps []mesos.SlaveInfo_Capability_Type) {
	a.unsettle()
	a.caps = capSet(caps)
	a.multi = a.caps[mesos.SlaveInfo_Capability_MULTI_ROLE]
	a.hier = a.caps[mesos.SlaveInfo_Capability_HIERARCHICAL_ROLE]
}

func isPlain(r resources.Resources) bool {
	for _, x := range r {
		if x == nil {
			continue
		}
		if !resources.IsUnreserved(x) || x.Revocable != nil || x.Shared != nil || x.Disk != nil || x.ProviderId != nil {
			return false
		}
	}
	return true
}

// setTotal installs a new total for a, keeping the pool and the role
// tree's reservations in step.
func (c *Core) setTotal(a *agentState, total resources.Resources) {
	if a.total != nil {
		c.total.Sub(a.totalQ)
		c.trackReservations(a.total, -1)
	}
	a.total = total
	a.totalQ = c.scalarVec(total)
	a.plain = isPlain(total)
	a.gpus = total.Scalar("gpus") > 0
	c.total.Add(a.totalQ)
	c.trackReservations(total, +1)
	c.recomputeAvailable(a)
}

// trackReservations adds (sign +1) or removes (-1) the reservations of a
// total to the role tree.
func (c *Core) trackReservations(total resources.Resources, sign int64) {
	for role, part := range total.Reservations() {
		q := c.scalarVec(part)
		if sign < 0 {
			if c.roles.get(role) == nil {
				continue
			}
			c.roles.each(role, func(n *roleNode) { n.reserved = n.reserved.SubClamp(q) })
			c.roles.tryRemove(role)
		} else {
			c.roles.each(role, func(n *roleNode) { n.reserved = n.reserved.Add(q) })
		}
	}
}

// recomputeAvailable sets a's available to total minus what is held.
func (c *Core) recomputeAvailable(a *agentState) {
	avail := a.total
	for _, h := range a.allocated {
		avail = avail.Subtract(h.res.Unallocate())
	}
	a.available = avail
	a.countsGood = false
	a.wholeGiven, a.wholeFree = nil, nil
	a.unsettle()
}

// giveBack returns r (with allocation info) to a's free resources. It
// returns r's unallocated form: always with wantFree, else when it made
// one (nil otherwise).
func (c *Core) giveBack(a *agentState, r resources.Resources, wantFree bool) resources.Resources {
	a.unsettle()
	if len(a.available) == 0 && a.wholeGiven != nil && sameSlice(r, a.wholeGiven) {
		// Everything that was given away whole comes back: what was free
		// then is free again.
		a.available = a.wholeFree
		a.counts, a.wholeCounts = a.wholeCounts, a.counts
		a.scalars, a.wholeScalars = a.wholeScalars, a.scalars
		a.countsGood, a.wholeGiven, a.wholeFree = true, nil, nil
		return a.available
	}
	a.countsGood, a.wholeGiven, a.wholeFree = false, nil, nil
	_, one := singleRole(r)
	if !wantFree && one && len(a.available) > 0 {
		// Merged into what is free without an unallocated copy first.
		a.available = a.available.AddUnallocated(r)
		return nil
	}
	var free resources.Resources
	if one {
		free = allocateTo(r, nil) // entries of one role stay distinct
	} else {
		free = r.Unallocate()
	}
	if len(a.available) == 0 {
		a.available = free
	} else {
		a.available = a.available.Add(free)
	}
	return free
}

// sameSlice reports whether a and b are the same list (same entries, in
// place), which makes comparing them needless.
func sameSlice(a, b resources.Resources) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// refreshCounts recomputes the quantities of a's available resources,
// reusing their storage.
func (a *agentState) refreshCounts(c *Core) {
	if a.countsGood {
		return
	}
	counts, scalars := reuse(a.counts), reuse(a.scalars)
	for _, x := range a.available {
		if x == nil {
			continue
		}
		id := c.names.ID(x.GetName())
		switch x.GetType() {
		case mesos.Value_SCALAR:
			v := sorter.Fixed(x.GetScalar().GetValue())
			counts = counts.AddAt(id, v)
			scalars = scalars.AddAt(id, v)
		case mesos.Value_RANGES:
			var n int64
			for _, rg := range x.GetRanges().GetRange() {
				if rg.GetEnd() >= rg.GetBegin() {
					n += int64(rg.GetEnd()-rg.GetBegin()) + 1
				}
			}
			counts = counts.AddAt(id, n*sorter.Scale)
		case mesos.Value_SET:
			counts = counts.AddAt(id, int64(len(x.GetSet().GetItem()))*sorter.Scale)
		}
	}
	a.counts, a.scalars, a.countsGood = counts, scalars, true
}

// reuse empties v, keeping its storage (zeroed, as Vec growth expects).
func reuse(v sorter.Vec) sorter.Vec {
	clear(v[:cap(v)])
	return v[:0]
}

// AddSlave adds an agent. used holds what frameworks already use on it.
func (c *Core) AddSlave(id string, info *mesos.SlaveInfo, caps []mesos.SlaveInfo_Capability_Type, total resources.Resources, used map[string]resources.Resources) {
	if _, ok := c.agents[id]; ok {
		return
	}
	a := &agentState{id: id, info: info, active: true, pos: len(c.agentList)}
	a.setCaps(caps)
	for _, fid := range slices.Sorted(maps.Keys(used)) {
		if r := used[fid]; !r.IsEmpty() {
			a.allocated.set(fid, r)
		}
	}
	c.agents[id] = a
	c.agentList = append(c.agentList, a)
	c.setTotal(a, total)
	for _, h := range a.allocated {
		if _, known := c.frameworks[h.fid]; known {
			c.track(h.fid, h.res)
		}
	}
}

// RemoveSlave forgets an agent, what is allocated on it and the filters
// that name it.
func (c *Core) RemoveSlave(id string) {
	a, ok := c.agents[id]
	if !ok {
		return
	}
	for _, h := range a.allocated {
		if _, known := c.frameworks[h.fid]; known {
			c.untrack(h.fid, h.res)
		}
	}
	c.total.Sub(a.totalQ)
	c.trackReservations(a.total, -1)
	c.removeAgentFilters(id)
	last := c.agentList[len(c.agentList)-1]
	c.agentList[a.pos] = last
	last.pos = a.pos
	c.agentList = c.agentList[:len(c.agentList)-1]
	delete(c.agents, id)
}

// UpdateSlave changes an agent's info, capabilities and total. It reports
// whether anything changed (Mesos then runs an allocation for the agent).
func (c *Core) UpdateSlave(id string, info *mesos.SlaveInfo, caps []mesos.SlaveInfo_Capability_Type, total resources.Resources) bool {
	a, ok := c.agents[id]
	if !ok {
		return false
	}
	changed := false
	if info != nil && !proto.Equal(info, a.info) {
		if !proto.Equal(&mesos.SlaveInfo{Attributes: info.GetAttributes()}, &mesos.SlaveInfo{Attributes: a.info.GetAttributes()}) {
			c.removeAgentFilters(id)
		}
		changed = true
		a.info = info
		a.unsettle()
	}
	if caps != nil {
		a.setCaps(caps)
		changed = true
	}
	if total != nil && !total.Equal(a.total) {
		c.setTotal(a, total)
		changed = true
	}
	return changed
}

func (c *Core) removeAgentFilters(id string) {
	if a := c.agents[id]; a != nil {
		a.unsettle()
	}
	for _, f := range c.frameworks {
		if f.nFilters == 0 {
			continue
		}
		for k, fs := range f.filters {
			if k.agent == id {
				f.nFilters -= len(fs)
				c.nFilters -= len(fs)
				delete(f.filters, k)
			}
		}
	}
	c.compactExpiries()
}

// ActivateSlave includes an agent in allocation runs.
func (c *Core) ActivateSlave(id string) {
	if a, ok := c.agents[id]; ok {
		a.active = true
		a.unsettle()
	}
}

// DeactivateSlave excludes an agent from allocation runs.
func (c *Core) DeactivateSlave(id string) {
	if a, ok := c.agents[id]; ok {
		a.active = false
	}
}

// ---- Resources ----

// UpdateAllocation applies conversions to what framework fid was offered
// (offered, with allocation info) on agent aid: its allocation, the
// sorters, the role tree and the agent's total follow. Offers it does not
// hold are ignored.
func (c *Core) UpdateAllocation(fid, aid string, offered resources.Resources, conversions []Conversion) {
	a, ok := c.agents[aid]
	f := c.frameworks[fid]
	if !ok || f == nil || len(conversions) == 0 {
		return
	}
	held, _ := a.allocated.get(fid)
	if !held.Contains(offered) {
		return
	}
	updated := offered
	total := a.total
	for _, cv := range conversions {
		if !updated.Contains(cv.Consumed) {
			return
		}
		updated = updated.Subtract(cv.Consumed).Add(cv.Converted)
		total = total.Subtract(cv.Consumed.Unallocate()).Add(cv.Converted.Unallocate())
	}
	if rest := held.Subtract(offered).Add(updated); rest.IsEmpty() {
		a.allocated.del(fid)
	} else {
		a.allocated.set(fid, rest)
	}
	after := updated.Allocations()
	for role, part := range offered.Allocations() {
		s := c.frameworkSorters[role]
		if role == "" || s == nil || !s.Contains(fid) {
			continue
		}
		oldQ, newQ := c.scalarVec(part), c.scalarVec(after[role])
		s.Update(fid, oldQ, newQ)
		c.roleSorter.Update(role, oldQ, newQ)
		oldRes, oldUnres := c.split(part)
		newRes, newUnres := c.split(after[role])
		c.roles.each(role, func(n *roleNode) {
			n.ooaReserved = n.ooaReserved.SubClamp(oldRes).Add(newRes)
			n.ooaUnreserved = n.ooaUnreserved.SubClamp(oldUnres).Add(newUnres)
		})
	}
	c.setTotal(a, total)
}

// RecoverResources returns res (with allocation info) that framework fid
// held on agent aid. With a non-nil filters, a refusal filter lasting
// RefuseTimeout(filters) from now is installed for the framework, the
// role of the resources and the agent.
func (c *Core) RecoverResources(now time.Time, fid, aid string, res resources.Resources, filters *mesos.Filters) {
	if res.IsEmpty() {
		return
	}
	// The unallocated form of what came back, shared by the agent's free
	// resources and the filter when both are this whole offer: a filter
	// check then finds the refused list is the offered one.
	var freed resources.Resources
	a, agentKnown := c.agents[aid]
	f, known := c.frameworks[fid]
	if agentKnown {
		if held, ok := a.allocated.get(fid); ok {
			// Only what is actually held can come back.
			back := res
			var rest resources.Resources
			if !sameSlice(held, res) { // else a whole offer comes back as it was made
				var all bool
				if rest, all = held.SubtractContained(res); !all {
					back = held.Subtract(held.Subtract(res))
					rest = held.Subtract(back)
				}
			}
			if rest.IsEmpty() {
				a.allocated.del(fid)
			} else {
				a.allocated.set(fid, rest)
			}
			whole := sameSlice(back, res)
			free := c.giveBack(a, back, filters != nil && whole)
			if whole { // else the filter refuses all of res, not just back
				freed = free
			}
			if known {
				c.untrackOf(f, fid, back)
			}
		}
	}
	if !known || !agentKnown {
		return
	}
	timeout := RefuseTimeout(filters, c.opts.AllocationInterval)
	if timeout <= 0 {
		return
	}
	expires := now.Add(timeout)
	install := func(role string, refused resources.Resources) {
		k := filterKey{role, aid}
		var counts sorter.Vec
		if a.countsGood && sameSlice(refused, a.available) {
			counts = slices.Clone(a.counts) // countVec(refused), already counted
		} else {
			counts = c.countVec(refused)
		}
		f.filters[k] = append(f.filters[k], offerFilter{refused: refused, counts: counts, expires: expires})
		f.nFilters++
		c.nFilters++
		c.expiries.push(expiry{expires, fid, k})
	}
	if role, ok := singleRole(res); ok {
		if freed == nil {
			freed = res.Unallocate()
		}
		install(role, freed)
	} else {
		for role, part := range res.Allocations() {
			install(role, part.Unallocate())
		}
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
	c.changed()
	for _, r := range roles {
		f.suppressed[r] = true
	}
	c.syncAll(fid)
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
	c.changed()
	for _, r := range roles {
		delete(f.suppressed, r)
		c.dropRoleFilters(f, r)
	}
	c.syncAll(fid)
}

// ---- Roles ----

// UpdateQuota sets role's quota; the default quota removes it.
func (c *Core) UpdateQuota(role string, q Quota) {
	c.changed()
	n := c.roles.ensure(role)
	if !n.quota.IsDefault() {
		c.quotaRoles--
	}
	n.quota = q
	n.guarantees = c.quantityVec(q.Guarantees)
	n.limits = limitVec{}
	if len(q.Limits) > 0 {
		for name, v := range q.Limits {
			id := c.names.ID(name)
			n.limits.val = n.limits.val.AddAt(id, sorter.Fixed(v))
			for len(n.limits.has) <= id {
				n.limits.has = append(n.limits.has, false)
			}
			n.limits.has[id] = true
		}
	}
	if !q.IsDefault() {
		c.quotaRoles++
	}
	c.roles.tryRemove(role)
}

// UpdateWeights sets role weights.
func (c *Core) UpdateWeights(weights map[string]float64) {
	c.changed()
	for role, w := range weights {
		if w <= 0 {
			continue
		}
		c.roles.ensure(role).weight = w
		c.roleSorter.UpdateWeight(role, w)
		c.roles.tryRemove(role)
	}
}

// ---- Queries, for tests, metrics and the master ----

// Allocation returns what framework fid holds on agent aid.
func (c *Core) Allocation(fid, aid string) resources.Resources {
	if a, ok := c.agents[aid]; ok {
		r, _ := a.allocated.get(fid)
		return r
	}
	return nil
}

// Available returns the free resources of agent aid.
func (c *Core) Available(aid string) resources.Resources {
	if a, ok := c.agents[aid]; ok {
		return a.available
	}
	return nil
}

// Total returns the total resources of agent aid.
func (c *Core) Total(aid string) resources.Resources {
	if a, ok := c.agents[aid]; ok {
		return a.total
	}
	return nil
}

// Agents returns the ids of the known agents.
func (c *Core) Agents() []string {
	out := make([]string, 0, len(c.agentList))
	for _, a := range c.agentList {
		out = append(out, a.id)
	}
	slices.Sort(out)
	return out
}

// ActiveFilters counts the offer filters in force at now.
func (c *Core) ActiveFilters(now time.Time) int {
	n := 0
	for _, f := range c.frameworks {
		for _, fs := range f.filters {
			for _, x := range fs {
				if now.Before(x.expires) {
					n++
				}
			}
		}
	}
	return n
}

// RoleShare returns role's weighted dominant share in the role sorter.
func (c *Core) RoleShare(role string) float64 { return c.roleSorter.Share(role) }

// FrameworkShare returns framework fid's share within role.
func (c *Core) FrameworkShare(role, fid string) float64 {
	if s := c.frameworkSorters[role]; s != nil {
		return s.Share(fid)
	}
	return 0
}

// RoleOrder returns the roles in the role sorter's current order.
func (c *Core) RoleOrder() []string { return c.roleSorter.Sort() }

// expireFilters drops filters that expired at or before now, visiting
// only the framework, role and agent of each expired one.
func (c *Core) expireFilters(now time.Time) {
	for len(c.expiries) > 0 && !now.Before(c.expiries[0].expires) {
		e := c.expiries.pop()
		f := c.frameworks[e.fid]
		if f == nil {
			continue // removed since
		}
		fs := f.filters[e.key]
		kept := fs[:0]
		for _, x := range fs {
			if now.Before(x.expires) {
				kept = append(kept, x)
			}
		}
		if len(kept) == len(fs) {
			continue // cleared since, or already expired with another
		}
		if a := c.agents[e.key.agent]; a != nil {
			a.unsettle()
		}
		f.nFilters -= len(fs) - len(kept)
		c.nFilters -= len(fs) - len(kept)
		if len(kept) == 0 {
			delete(f.filters, e.key)
		} else {
			clear(fs[len(kept):])
			f.filters[e.key] = kept
		}
	}
}

// expiry is when a filter of framework fid for key expires. Filters may
// go before (cleared, revived, their agent or framework removed): their
// expiries then find nothing to drop, or only filters already due, which
// is harmless when fid names a framework added again since.
type expiry struct {
	expires time.Time
	fid     string
	key     filterKey
}

// compactExpiries rebuilds the expiry heap from the filters in force when
// most of its entries are for filters dropped before they came due, so
// that declining with a long filter and reviving does not grow it.
func (c *Core) compactExpiries() {
	const slack = 1024
	if len(c.expiries) <= 2*c.nFilters+slack {
		return
	}
	h := make(expiryHeap, 0, c.nFilters)
	for id, f := range c.frameworks {
		for k, fs := range f.filters {
			for _, x := range fs {
				h = append(h, expiry{x.expires, id, k})
			}
		}
	}
	heap.Init(&h)
	c.expiries = h
}

// expiryHeap is a min-heap of expiries (container/heap).
type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires.Before(h[j].expires) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = expiry{}
	*h = old[:len(old)-1]
	return x
}

// push is heap.Push(h, e) and pop is heap.Pop(h) (the same steps, so the
// same order) without boxing e in an interface.
func (h *expiryHeap) push(e expiry) {
	*h = append(*h, e)
	q := *h
	for j := len(q) - 1; ; {
		i := (j - 1) / 2 // parent
		if i == j || !q.Less(j, i) {
			break
		}
		q.Swap(i, j)
		j = i
	}
}

func (h *expiryHeap) pop() expiry {
	q := *h
	n := len(q) - 1
	q.Swap(0, n)
	for i := 0; ; {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 {
			break
		}
		j := j1 // left child
		if j2 := j1 + 1; j2 < n && q.Less(j2, j1) {
			j = j2
		}
		if !q.Less(j, i) {
			break
		}
		q.Swap(i, j)
		i = j
	}
	x := q[n]
	q[n] = expiry{}
	*h = q[:n]
	return x
}
