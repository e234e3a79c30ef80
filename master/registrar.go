package master

// The registrar, core side: every change the master must not forget
// (admitting an agent, marking it unreachable, reachable or gone, removing
// it, weights, quota, the leading MasterInfo) is an operation on the
// registry, emitted as a RegistryApply effect. The core acts on the change
// only when the shell reports it stored (RegistryApplied); a failed store
// ends this master's leadership (Mesos aborts): the core drops every later
// event and emits LeadershipLost.

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
)

// RegistryApply asks the shell to store Op. Ops are numbered from 1 in the
// order they must be applied; the shell applies them in that order (many
// in one store if it likes) and answers with Core.RegistryApplied.
type RegistryApply struct {
	Seq uint64
	Op  RegistryOp
}

func (e RegistryApply) String() string { return fmt.Sprintf("registry: apply %d: %s", e.Seq, e.Op) }

// LeadershipLost says that a registry store failed: the core has stopped
// acting as the leader and drops every later event. The shell tells its
// owner (Config.OnLeadershipLost).
type LeadershipLost struct{ Err error }

func (e LeadershipLost) String() string { return fmt.Sprintf("leadership lost: %v", e.Err) }

// ErrNotLeading is returned by operator requests to a core that is not
// the recovered leader (RequestError kind Unavailable wraps it).
var ErrNotLeading = errors.New("master is not the leading, recovered master")

// RegistryOp is one change to the registry. Apply is deterministic and
// idempotent: applying an op twice leaves the registry as applying it once.
type RegistryOp interface {
	Apply(r *mesosinternal.Registry)
	String() string
}

// SetMaster records the leading master (the recovery write).
type SetMaster struct{ Info *mesos.MasterInfo }

// AdmitSlave adds a newly registered agent.
type AdmitSlave struct{ Info *mesos.SlaveInfo }

// UpdateSlave replaces an admitted agent's SlaveInfo.
type UpdateSlave struct{ Info *mesos.SlaveInfo }

// RemoveSlave forgets an admitted agent (it unregistered, or a new agent
// took its address).
type RemoveSlave struct{ ID string }

// MarkSlaveUnreachable moves an agent from the admitted to the unreachable
// list, at Time.
type MarkSlaveUnreachable struct {
	Info *mesos.SlaveInfo
	Time time.Time
}

// MarkSlaveReachable moves an agent from the unreachable to the admitted
// list (an agent found in neither is admitted).
type MarkSlaveReachable struct{ Info *mesos.SlaveInfo }

// MarkSlaveGone moves an agent to the gone list, at Time.
type MarkSlaveGone struct {
	ID   string
	Time time.Time
}

// Prune forgets unreachable and gone agents (registry_max_agent_age,
// registry_max_agent_count).
type Prune struct{ Unreachable, Gone []string }

// UpdateWeights sets the weights of the roles given.
type UpdateWeights struct{ Weights []*mesos.WeightInfo }

// UpdateQuota sets a role's quota; a nil Config removes it.
type UpdateQuota struct {
	Role   string
	Config *mesos.QuotaConfig
}

func (o SetMaster) String() string { return "set master " + o.Info.GetId() }
func (o AdmitSlave) String() string {
	return "admit agent " + o.Info.GetId().GetValue()
}
func (o UpdateSlave) String() string { return "update agent " + o.Info.GetId().GetValue() }
func (o RemoveSlave) String() string { return "remove agent " + o.ID }
func (o MarkSlaveUnreachable) String() string {
	return "mark agent " + o.Info.GetId().GetValue() + " unreachable"
}
func (o MarkSlaveReachable) String() string {
	return "mark agent " + o.Info.GetId().GetValue() + " reachable"
}
func (o MarkSlaveGone) String() string { return "mark agent " + o.ID + " gone" }
func (o Prune) String() string {
	return fmt.Sprintf("prune unreachable %v gone %v", o.Unreachable, o.Gone)
}
func (o UpdateWeights) String() string {
	parts := make([]string, len(o.Weights))
	for i, w := range o.Weights {
		parts[i] = fmt.Sprintf("%s=%g", w.GetRole(), w.GetWeight())
	}
	return "update weights " + strings.Join(parts, ",")
}
func (o UpdateQuota) String() string {
	if o.Config == nil {
		return "remove quota of " + o.Role
	}
	return "set quota of " + o.Role
}

func timeInfo(t time.Time) *mesos.TimeInfo {
	return &mesos.TimeInfo{Nanoseconds: proto.Int64(t.UnixNano())}
}

func slaves(r *mesosinternal.Registry) *mesosinternal.Registry_Slaves {
	if r.Slaves == nil {
		r.Slaves = &mesosinternal.Registry_Slaves{}
	}
	return r.Slaves
}

// admit puts info among the admitted agents, replacing one with its id.
// Ops replace the entries of a registry's lists, never change one in
// place: a registry copied with its lists (registryEncoder) shares them.
// The entry keeps info itself: an op's info is its own (the master makes
// a copy for it) and no one changes it.
func admit(r *mesosinternal.Registry, info *mesos.SlaveInfo) {
	s := slaves(r)
	id := info.GetId().GetValue()
	for i, x := range s.Slaves {
		if x.GetInfo().GetId().GetValue() == id {
			s.Slaves[i] = &mesosinternal.Registry_Slave{Info: info, DrainInfo: clone(x.DrainInfo), Deactivated: x.Deactivated}
			return
		}
	}
	appendAdmitted(r, info)
}

// appendAdmitted adds info, known not to be admitted, to the admitted
// agents.
func appendAdmitted(r *mesosinternal.Registry, info *mesos.SlaveInfo) {
	s := slaves(r)
	s.Slaves = append(s.Slaves, &mesosinternal.Registry_Slave{Info: info}) // kept, as admit does
}

func dropAdmitted(r *mesosinternal.Registry, id string) {
	if r.Slaves == nil {
		return
	}
	r.Slaves.Slaves = slices.DeleteFunc(r.Slaves.Slaves, func(x *mesosinternal.Registry_Slave) bool {
		return x.GetInfo().GetId().GetValue() == id
	})
}

func dropUnreachable(r *mesosinternal.Registry, ids ...string) {
	if r.Unreachable == nil {
		return
	}
	r.Unreachable.Slaves = slices.DeleteFunc(r.Unreachable.Slaves, func(x *mesosinternal.Registry_UnreachableSlave) bool {
		return slices.Contains(ids, x.GetId().GetValue())
	})
}

func dropGone(r *mesosinternal.Registry, ids ...string) {
	if r.Gone == nil {
		return
	}
	r.Gone.Slaves = slices.DeleteFunc(r.Gone.Slaves, func(x *mesosinternal.Registry_GoneSlave) bool {
		return slices.Contains(ids, x.GetId().GetValue())
	})
}

func (o SetMaster) Apply(r *mesosinternal.Registry) {
	r.Master = &mesosinternal.Registry_Master{Info: clone(o.Info)}
}

func (o AdmitSlave) Apply(r *mesosinternal.Registry) { admit(r, o.Info) }

func (o UpdateSlave) Apply(r *mesosinternal.Registry) { admit(r, o.Info) }

func (o RemoveSlave) Apply(r *mesosinternal.Registry) { dropAdmitted(r, o.ID) }

func (o MarkSlaveUnreachable) Apply(r *mesosinternal.Registry) {
	id := o.Info.GetId().GetValue()
	dropAdmitted(r, id)
	if r.Unreachable == nil {
		r.Unreachable = &mesosinternal.Registry_UnreachableSlaves{}
	}
	for _, x := range r.Unreachable.Slaves {
		if x.GetId().GetValue() == id {
			return
		}
	}
	r.Unreachable.Slaves = append(r.Unreachable.Slaves, &mesosinternal.Registry_UnreachableSlave{Id: slaveID(id), Timestamp: timeInfo(o.Time)})
}

func (o MarkSlaveReachable) Apply(r *mesosinternal.Registry) {
	dropUnreachable(r, o.Info.GetId().GetValue())
	admit(r, o.Info)
}

func (o MarkSlaveGone) Apply(r *mesosinternal.Registry) {
	dropAdmitted(r, o.ID)
	dropUnreachable(r, o.ID)
	if r.Gone == nil {
		r.Gone = &mesosinternal.Registry_GoneSlaves{}
	}
	for _, x := range r.Gone.Slaves {
		if x.GetId().GetValue() == o.ID {
			return
		}
	}
	r.Gone.Slaves = append(r.Gone.Slaves, &mesosinternal.Registry_GoneSlave{Id: slaveID(o.ID), Timestamp: timeInfo(o.Time)})
}

func (o Prune) Apply(r *mesosinternal.Registry) {
	dropUnreachable(r, o.Unreachable...)
	dropGone(r, o.Gone...)
}

func (o UpdateWeights) Apply(r *mesosinternal.Registry) {
	for _, w := range o.Weights {
		found := false
		for i, x := range r.Weights {
			if x.GetInfo().GetRole() == w.GetRole() {
				r.Weights[i] = &mesosinternal.Registry_Weight{Info: clone(w)}
				found = true
			}
		}
		if !found {
			r.Weights = append(r.Weights, &mesosinternal.Registry_Weight{Info: clone(w)})
		}
	}
}

// quotaV2 is the minimum capability a registry with quota_configs needs.
const quotaV2 = "QUOTA_V2"

func (o UpdateQuota) Apply(r *mesosinternal.Registry) {
	r.Quotas = slices.DeleteFunc(r.Quotas, func(q *mesosinternal.Registry_Quota) bool { return q.GetInfo().GetRole() == o.Role })
	r.QuotaConfigs = slices.DeleteFunc(r.QuotaConfigs, func(q *mesos.QuotaConfig) bool { return q.GetRole() == o.Role })
	if o.Config != nil {
		r.QuotaConfigs = append(r.QuotaConfigs, clone(o.Config))
	}
	has := slices.ContainsFunc(r.MinimumCapabilities, func(m *mesosinternal.Registry_MinimumCapability) bool { return m.GetCapability() == quotaV2 })
	switch {
	case len(r.QuotaConfigs) > 0 && !has:
		r.MinimumCapabilities = append(r.MinimumCapabilities, &mesosinternal.Registry_MinimumCapability{Capability: proto.String(quotaV2)})
	case len(r.QuotaConfigs) == 0 && has:
		r.MinimumCapabilities = slices.DeleteFunc(r.MinimumCapabilities, func(m *mesosinternal.Registry_MinimumCapability) bool { return m.GetCapability() == quotaV2 })
	}
}

// ApplyRegistryOps applies ops to r in order (what a shell stores).
func ApplyRegistryOps(r *mesosinternal.Registry, ops ...RegistryOp) {
	for _, op := range ops {
		op.Apply(r)
	}
}

// ---- The core's side ----

// Why an agent's registry operation is in flight; while one is, the
// agent's (re)registrations are dropped (it retries), as Mesos does.
const (
	busyReregistering = "reregistration"
	busyUnreachable   = "marking unreachable"
	busyGone          = "marking gone"
	busyRemoving      = "removal"
)

// registrar is the core's bookkeeping of registry operations.
type registrar struct {
	last    uint64      // seq of the last op emitted
	waiting []waitingOp // ops not yet applied, in order
	failed  error       // a store failed: the core no longer acts
	// busy: agent id → the operation in flight for it.
	busy map[string]string
	// admitting: PIDs whose registration, or reregistration as an
	// agent not registered here, is being written.
	admitting map[string]bool
}

type waitingOp struct {
	seq  uint64
	then func()
}

// Timer key of the registry's garbage collection of unreachable and gone
// agents (registry_gc_interval).
const (
	registryTimerPrefix = "registry/"
	registryGCTimerKey  = registryTimerPrefix + "gc"
)

// persist emits op and runs then (if any) once it is stored.
func (c *Core) persist(op RegistryOp, then func()) {
	c.registrar.last++
	c.out.Add(RegistryApply{Seq: c.registrar.last, Op: op})
	if then != nil {
		c.registrar.waiting = append(c.registrar.waiting, waitingOp{seq: c.registrar.last, then: then})
	}
}

// RegistryApplied reports that every registry op up to seq is stored (err
// nil), or that storing failed: then this master stops acting as the
// leader, at once and for good (LeadershipLost).
func (c *Core) RegistryApplied(now time.Time, seq uint64, err error) []effect.Effect {
	c.at = now
	if c.registrar.failed != nil {
		return nil
	}
	if err != nil {
		c.fail(err)
		return c.out.Take()
	}
	for len(c.registrar.waiting) > 0 && c.registrar.waiting[0].seq <= seq && c.registrar.failed == nil {
		w := c.registrar.waiting[0]
		c.registrar.waiting = c.registrar.waiting[1:]
		w.then()
	}
	return c.out.Take()
}

// fail ends this master's leadership.
func (c *Core) fail(err error) {
	c.log.WithError(err).Error("registry operation failed: this master stops acting as the leader")
	c.registrar.failed = err
	c.registrar.waiting = nil
	c.elected = false
	c.out.Take() // nothing decided in this event goes out
	c.out.Add(LeadershipLost{Err: err})
}

// acting reports whether the core is the recovered leader still in
// charge.
func (c *Core) acting() bool { return c.elected && c.recovered && c.registrar.failed == nil }

// Recovered reports whether the core recovered its registry and acts as
// the leader.
func (c *Core) Recovered() bool { return c.acting() }

// LostLeadership returns the store error that ended this master's
// leadership, or nil.
func (c *Core) LostLeadership() error { return c.registrar.failed }

// registryBusy returns the operation in flight for agent id, or "".
func (c *Core) registryBusy(id string) string { return c.registrar.busy[id] }

func (c *Core) setBusy(id, what string) { c.registrar.busy[id] = what }

func (c *Core) clearBusy(id string) { delete(c.registrar.busy, id) }

// ---- Recovery ----

// Recover starts a master elected at now from what its registry holds
// (an empty Registry for a new cluster): admitted agents are recovered
// (they have agent_reregister_timeout to reregister), unreachable and gone
// agents remembered, weights and quota restored. Then the master writes
// its own MasterInfo; messages are dropped until that write is applied.
// --weights are used (and written) only when the registry holds none. An
// error means the registry cannot be used by this master; nothing changed.
func (c *Core) Recover(now time.Time, reg *mesosinternal.Registry) ([]effect.Effect, error) {
	c.at = now
	if reg == nil {
		reg = &mesosinternal.Registry{}
	}
	for _, mc := range reg.GetMinimumCapabilities() {
		if mc.GetCapability() != quotaV2 {
			return nil, fmt.Errorf("master: the registry requires capability '%s', which this master lacks", mc.GetCapability())
		}
	}
	weights := map[string]float64{}
	for _, w := range reg.GetWeights() {
		if w.GetInfo().GetRole() != "" {
			weights[w.GetInfo().GetRole()] = w.GetInfo().GetWeight()
		}
	}
	quotas := map[string]allocator.Quota{}
	for _, q := range reg.GetQuotas() {
		g := allocator.Quantities{}
		for _, r := range q.GetInfo().GetGuarantee() {
			g[r.GetName()] += r.GetScalar().GetValue()
		}
		quotas[q.GetInfo().GetRole()] = allocator.Quota{Guarantees: g, Limits: g}
	}
	for _, q := range reg.GetQuotaConfigs() {
		quotas[q.GetRole()] = allocator.Quota{Guarantees: scalars(q.GetGuarantees()), Limits: scalars(q.GetLimits())}
	}

	c.startTime = now
	c.elected, c.recovered = true, false
	c.electedTime = now
	var flagWeights []*mesos.WeightInfo
	if len(weights) > 0 {
		if len(c.weights) > 0 {
			c.log.Warn("ignoring --weights: weights were recovered from the registry")
		}
		c.weights = weights
	} else {
		for _, role := range sortedKeys(c.weights) {
			flagWeights = append(flagWeights, &mesos.WeightInfo{Role: proto.String(role), Weight: proto.Float64(c.weights[role])})
		}
	}
	c.quotas = quotas
	if len(c.weights) > 0 {
		w := make(map[string]float64, len(c.weights))
		for role, v := range c.weights {
			w[role] = v
		}
		c.out.Add(AllocUpdateWeights{Weights: w})
	}
	for _, role := range sortedKeys(c.quotas) {
		c.out.Add(AllocUpdateQuota{Role: role, Quota: c.quotas[role]})
	}

	recovered := RecoveredAgents{Unreachable: map[string]time.Time{}, Gone: map[string]time.Time{}}
	for _, s := range reg.GetSlaves().GetSlaves() {
		recovered.Admitted = append(recovered.Admitted, s.GetInfo())
	}
	for _, u := range reg.GetUnreachable().GetSlaves() {
		recovered.Unreachable[u.GetId().GetValue()] = time.Unix(0, u.GetTimestamp().GetNanoseconds()).UTC()
	}
	for _, g := range reg.GetGone().GetSlaves() {
		recovered.Gone[g.GetId().GetValue()] = time.Unix(0, g.GetTimestamp().GetNanoseconds()).UTC()
	}
	c.recoverAgents(recovered)

	if len(flagWeights) > 0 {
		c.persist(UpdateWeights{Weights: flagWeights}, nil)
	}
	c.persist(SetMaster{Info: clone(c.info)}, func() {
		c.recovered = true
		c.log.WithField("agents", len(c.recoveredAgents)).Info("recovered the registry; this master is the leader")
		if len(c.recoveredAgents) > 0 {
			c.log.Infof("waiting %s for %d recovered agents to reregister",
				protocol.FormatDuration(c.cfg.AgentReregisterTimeout), len(c.recoveredAgents))
			c.out.StartTimer(recoveryTimerKey, c.cfg.AgentReregisterTimeout)
		}
		c.registryGC()
	})
	return c.out.Take(), nil
}

func scalars(m map[string]*mesos.Value_Scalar) allocator.Quantities {
	q := allocator.Quantities{}
	for k, v := range m {
		q[k] = v.GetValue()
	}
	return q
}

// quotaConfig is role's quota as the registry stores it.
func quotaConfig(role string, q allocator.Quota) *mesos.QuotaConfig {
	cfg := &mesos.QuotaConfig{Role: proto.String(role), Guarantees: map[string]*mesos.Value_Scalar{}, Limits: map[string]*mesos.Value_Scalar{}}
	for name, v := range q.Guarantees {
		cfg.Guarantees[name] = &mesos.Value_Scalar{Value: proto.Float64(v)}
	}
	for name, v := range q.Limits {
		cfg.Limits[name] = &mesos.Value_Scalar{Value: proto.Float64(v)}
	}
	return cfg
}

// ---- Garbage collection of unreachable and gone agents ----

// registryGC is the registry/gc timer (registry_gc_interval): prune, and
// run again.
func (c *Core) registryGC() {
	c.pruneRegistry()
	c.out.StartTimer(registryGCTimerKey, c.cfg.RegistryGCInterval)
}

// pruneRegistry forgets the unreachable and gone agents beyond
// registry_max_agent_count (oldest first) or older than
// registry_max_agent_age, in the registry and then here; their
// unreachable tasks are forgotten with them.
func (c *Core) pruneRegistry() {
	pick := func(times map[string]time.Time) []string {
		ids := sortedKeys(times)
		sort.SliceStable(ids, func(i, j int) bool { return times[ids[i]].Before(times[ids[j]]) })
		var out []string
		for i, id := range ids {
			if len(ids)-i > c.cfg.RegistryMaxAgentCount || c.now().Sub(times[id]) > c.cfg.RegistryMaxAgentAge {
				out = append(out, id)
			}
		}
		return out
	}
	unreachable := map[string]time.Time{}
	for id, u := range c.unreachable {
		if c.registryBusy(id) == "" {
			unreachable[id] = u.time
		}
	}
	gone := map[string]time.Time{}
	for id, at := range c.gone {
		if c.registryBusy(id) == "" {
			gone[id] = at
		}
	}
	op := Prune{Unreachable: pick(unreachable), Gone: pick(gone)}
	if len(op.Unreachable) == 0 && len(op.Gone) == 0 {
		return
	}
	for _, id := range append(append([]string{}, op.Unreachable...), op.Gone...) {
		c.setBusy(id, busyRemoving)
	}
	c.persist(op, func() {
		for _, id := range op.Unreachable {
			c.clearBusy(id)
			if c.agents[id] != nil || c.unreachable[id] == nil {
				continue
			}
			c.agentLog(id).Info("pruning unreachable agent from the registry")
			delete(c.unreachable, id)
			delete(c.removed, id)
			c.forgetUnreachableTasks(id)
		}
		for _, id := range op.Gone {
			c.clearBusy(id)
			c.agentLog(id).Info("pruning gone agent from the registry")
			delete(c.gone, id)
			delete(c.removed, id)
		}
	})
}
