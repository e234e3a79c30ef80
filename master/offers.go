package master

import (
	"net"
	"slices"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/mesosutil"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

// agentURL is the offer's url: the agent's HTTP endpoint, made once per
// agent PID and shared by its offers (no one changes a sent message).
func agentURL(a *agent) *mesos.URL {
	if a.url != nil && a.urlPID == a.pid && a.urlInfo == a.info {
		return a.url
	}
	a.url, a.urlPID, a.urlInfo = newAgentURL(a), a.pid, a.info
	return a.url
}

func newAgentURL(a *agent) *mesos.URL {
	ip, _, err := net.SplitHostPort(a.pid.Address)
	if err != nil {
		ip = a.pid.Address
	}
	return &mesos.URL{
		Scheme: proto.String("http"),
		Address: &mesos.Address{
			Hostname: proto.String(a.info.GetHostname()),
			Ip:       proto.String(ip),
			Port:     proto.Int32(a.info.GetPort()),
		},
		Path: proto.String("/" + a.pid.ID),
	}
}

// offer turns an allocation into offers: one per (role, agent), all in one
// ResourceOffersMessage. What cannot be offered goes back to the allocator.
func (c *Core) offer(fwID string, grants allocator.Offers) {
	f := c.frameworks[fwID]
	giveBack := func(agentID string, r resources.Resources) {
		c.out.Add(AllocRecoverResources{FrameworkID: fwID, AgentID: agentID, Resources: r})
	}
	if f == nil || !f.connected || !f.active {
		for _, byAgent := range grants {
			for agentID, r := range byAgent {
				giveBack(agentID, r)
			}
		}
		return
	}
	msg := &mesosinternal.ResourceOffersMessage{}
	for _, role := range sortedKeys(grants) {
		for _, agentID := range sortedKeys(grants[role]) {
			r := grants[role][agentID]
			a := c.agents[agentID]
			if a == nil || !a.active || !a.connected || !f.hasRole(role) {
				giveBack(agentID, r)
				continue
			}
			o := &offer{
				id:          c.ids.OfferID(),
				frameworkID: f.id,
				agentID:     agentID,
				role:        role,
				resources:   r,
			}
			// The ids, hostname and allocation info are shared with the
			// master's records: no one changes a sent message.
			po := &mesos.Offer{
				Id:          mesosutil.NewOfferID(o.id),
				FrameworkId: f.idMsg,
				SlaveId:     a.idMsg,
				Hostname:    a.info.Hostname,
				// No Resources: offerFor renders o.resources for each send.
				Attributes: a.info.GetAttributes(),
				Url:        agentURL(a),
				Domain:     a.info.GetDomain(),
			}
			if po.Hostname == nil {
				po.Hostname = proto.String("")
			}
			if f.multiRole() {
				po.AllocationInfo = f.allocationInfo(role)
			}
			for _, eid := range sortedKeys(f.executors[agentID]) {
				po.ExecutorIds = append(po.ExecutorIds, &mesos.ExecutorID{Value: proto.String(eid)})
			}
			c.offers[o.id] = o
			f.offers[o.id] = o
			a.offers[o.id] = o
			if c.cfg.OfferTimeout > 0 {
				o.timer = offerTimerPrefix + o.id // made once: removeOffer cancels it
				c.out.StartTimer(o.timer, c.cfg.OfferTimeout)
			}
			msg.Offers = append(msg.Offers, c.offerFor(f, o, po))
			msg.Pids = append(msg.Pids, a.pidText())
		}
	}
	if len(msg.Offers) == 0 {
		return
	}
	if c.logsAt(logrus.DebugLevel) {
		c.fwLog(f.id).Debugf("sending %d offers", len(msg.Offers))
	}
	c.send(f.pid, msg)
}

// offerFor completes out, the offer o as sent, the way framework f
// understands it: without allocation info unless it is MULTI_ROLE, and
// with legacy reservation fields unless it is RESERVATION_REFINEMENT
// capable. The resources are o's own entries copied (their values, which
// no one changes, shared) or, when nothing had to be converted, a copy.
func (c *Core) offerFor(f *framework, o *offer, out *mesos.Offer) *mesos.Offer {
	r := o.resources
	if !f.multiRole() && !f.capable(mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT) && resources.OneAllocation(r) {
		if down, ok := c.downgraded.of(r); ok {
			out.AllocationInfo = nil
			out.Resources = down
			return out
		}
	}
	if !f.multiRole() {
		out.AllocationInfo = nil
		r = r.Unallocate()
	}
	if !f.capable(mesos.FrameworkInfo_Capability_RESERVATION_REFINEMENT) {
		if down, err := r.Downgrade(); err == nil {
			r = down
		}
	}
	if sameList(r, o.resources) {
		r = r.Clone()
	}
	out.Resources = r
	return out
}

// sameList reports whether a and b are one list (the same entries, in
// place).
func sameList(a, b resources.Resources) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// offerTimedOut rescinds an offer that was neither accepted nor declined
// within offer_timeout.
func (c *Core) offerTimedOut(id string) {
	o := c.offers[id]
	if o == nil {
		return
	}
	c.fwLog(o.frameworkID).WithFields(logrus.Fields{"agent_id": o.agentID, "offer_id": o.id}).Info("offer timed out")
	c.rescindOffer(o)
}

// removeOffer forgets o; with rescind the framework is told.
func (c *Core) removeOffer(o *offer, rescind bool) {
	if c.cfg.OfferTimeout > 0 {
		key := o.timer
		if key == "" {
			key = offerTimerPrefix + o.id
		}
		c.out.CancelTimer(key)
	}
	delete(c.offers, o.id)
	f := c.frameworks[o.frameworkID]
	if f != nil {
		delete(f.offers, o.id)
	}
	if a := c.agents[o.agentID]; a != nil {
		delete(a.offers, o.id)
	}
	if rescind && f != nil && f.connected {
		c.send(f.pid, &mesosinternal.RescindResourceOfferMessage{OfferId: &mesos.OfferID{Value: proto.String(o.id)}})
	}
}

// rescindOffer withdraws o from its framework and returns its resources.
func (c *Core) rescindOffer(o *offer) {
	c.removeOffer(o, true)
	c.out.Add(AllocRecoverResources{FrameworkID: o.frameworkID, AgentID: o.agentID, Resources: o.resources})
}

// discardOffer drops o silently and returns its resources.
func (c *Core) discardOffer(o *offer) {
	c.removeOffer(o, false)
	c.out.Add(AllocRecoverResources{FrameworkID: o.frameworkID, AgentID: o.agentID, Resources: o.resources})
}

// decline handles DECLINE: valid offers of f go back with the filters.
func (c *Core) decline(f *framework, d *scheduler.Call_Decline) {
	filters := d.GetFilters()
	if filters == nil {
		filters = &mesos.Filters{}
	}
	for _, oid := range d.GetOfferIds() {
		o := c.offers[oid.GetValue()]
		if o == nil || o.frameworkID != f.id {
			c.fwLog(f.id).WithField("offer_id", oid.GetValue()).Debug("ignoring decline of an offer that is no longer valid")
			continue
		}
		c.removeOffer(o, false)
		c.out.Add(AllocRecoverResources{FrameworkID: o.frameworkID, AgentID: o.agentID, Resources: o.resources, Filters: filters})
	}
}

// revive handles REVIVE.
func (c *Core) revive(f *framework, r *scheduler.Call_Revive) {
	roles := r.GetRoles()
	if err := validateSuppressedRoles(f.roles(), roles); err != nil {
		c.fwLog(f.id).Warnf("dropping REVIVE call: %v", err)
		return
	}
	if len(roles) == 0 {
		f.suppressedRoles = nil
	} else {
		f.suppressedRoles = slices.DeleteFunc(f.suppressedRoles, func(s string) bool { return slices.Contains(roles, s) })
	}
	c.out.Add(AllocReviveOffers{FrameworkID: f.id, Roles: roles})
}

// suppress handles SUPPRESS.
func (c *Core) suppress(f *framework, s *scheduler.Call_Suppress) {
	roles := s.GetRoles()
	if err := validateSuppressedRoles(f.roles(), roles); err != nil {
		c.fwLog(f.id).Warnf("dropping SUPPRESS call: %v", err)
		return
	}
	if len(roles) == 0 {
		roles = f.roles()
	}
	for _, r := range roles {
		if !slices.Contains(f.suppressedRoles, r) {
			f.suppressedRoles = append(f.suppressedRoles, r)
		}
	}
	c.out.Add(AllocSuppressOffers{FrameworkID: f.id, Roles: roles})
}

// downgradeMemo holds offers' resources as frameworks with neither
// MULTI_ROLE nor RESERVATION_REFINEMENT see them, by content: agents alike
// are offered alike, and their offers share one list (no one changes a
// sent message: drivers copy what they hand to schedulers, unless the
// scheduler promised to change nothing, ShareMessages). At most
// downgradeMemoMax lists are kept.
type downgradeMemo struct {
	lists map[string]resources.Resources
	key   []byte // scratch
}

const downgradeMemoMax = 1024

// of returns r downgraded and without allocation info; false if r cannot
// be downgraded.
func (m *downgradeMemo) of(r resources.Resources) (resources.Resources, bool) {
	key, keyed := m.key[:0], false
	if knownFields(r) {
		key, keyed = appendListKey(key, r)
	}
	m.key = key
	if keyed {
		if down, ok := m.lists[string(key)]; ok {
			return down, true
		}
	}
	// Downgrade's entries are new: they lose their allocation info in
	// place (one copy where Unallocate and Downgrade make two).
	down, err := r.Downgrade()
	if err != nil {
		return nil, false
	}
	for _, x := range down {
		x.AllocationInfo = nil
	}
	if keyed {
		if m.lists == nil || len(m.lists) >= downgradeMemoMax {
			m.lists = map[string]resources.Resources{}
		}
		m.lists[string(key)] = down
	}
	return down, true
}

// knownFields reports whether rs's entries have no fields unknown to this
// master where appendResKey reads them field by field (those it keys by
// their encoding carry theirs in it).
func knownFields(rs resources.Resources) bool {
	for _, x := range rs {
		if x == nil {
			continue
		}
		if hasUnknown(x) || hasUnknown(x.Scalar) || hasUnknown(x.Ranges) || hasUnknown(x.Set) ||
			hasUnknown(x.AllocationInfo) || hasUnknown(x.Revocable) || hasUnknown(x.Shared) ||
			hasUnknown(x.ProviderId) {
			return false
		}
		for _, r := range x.GetRanges().GetRange() {
			if hasUnknown(r) {
				return false
			}
		}
		for _, r := range x.Reservations {
			if hasUnknown(r) {
				return false
			}
		}
	}
	return true
}
