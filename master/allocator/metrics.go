package allocator

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gomesos/gomesos/master/allocator/sorter"
	"github.com/gomesos/gomesos/metrics"
)

// Stats is what the allocator's pull metrics show, computed on the actor.
type Stats struct {
	// Total and OfferedOrAllocated are scalar quantities of all agents.
	Total, OfferedOrAllocated Quantities
	// Shares are the roles' weighted dominant shares in the role sorter.
	Shares map[string]float64
	// Filters counts the active offer filters by role.
	Filters map[string]int
	// Quotas describe the roles with a non-default quota.
	Quotas map[string]QuotaStats
}

// QuotaStats is one role's quota and what counts against it.
type QuotaStats struct {
	Guarantees, Limits Quantities
	// Consumed is the role's reservations plus its unreserved offered or
	// allocated resources; OfferedOrAllocated is what it holds.
	Consumed, OfferedOrAllocated Quantities
}

// Stats computes the metrics' values at now.
func (c *Core) Stats(now time.Time) Stats {
	st := Stats{
		Total:              Quantities{},
		OfferedOrAllocated: Quantities{},
		Shares:             map[string]float64{},
		Filters:            map[string]int{},
		Quotas:             map[string]QuotaStats{},
	}
	var held sorter.Vec
	for _, a := range c.agentList {
		a.refreshCounts(c)
		held = held.Add(a.totalQ).Sub(a.scalars)
	}
	st.Total = Quantities(c.total.Quantities().Map(c.names))
	st.OfferedOrAllocated = Quantities(held.Map(c.names))
	for role := range c.frameworkSorters {
		st.Shares[role] = c.roleSorter.Share(role)
	}
	for role := range c.roles.roles {
		st.Filters[role] = 0
	}
	for _, f := range c.frameworks {
		for k, fs := range f.filters {
			for _, x := range fs {
				if now.Before(x.expires) {
					st.Filters[k.role]++
				}
			}
		}
	}
	for role, n := range c.roles.roles {
		if n.quota.IsDefault() {
			continue
		}
		q := QuotaStats{
			Guarantees:         n.quota.Guarantees,
			Limits:             n.quota.Limits,
			Consumed:           Quantities(n.consumed().Map(c.names)),
			OfferedOrAllocated: Quantities{},
		}
		alloc := c.roleSorter.Allocation(role)
		for name := range n.quota.Guarantees {
			q.OfferedOrAllocated[name] = sorter.Float(alloc.At(c.names.ID(name)))
		}
		for name := range n.quota.Limits {
			q.OfferedOrAllocated[name] = sorter.Float(alloc.At(c.names.ID(name)))
		}
		st.Quotas[role] = q
	}
	return st
}

// collector publishes Stats under Mesos' names, computed on the actor at
// every snapshot (libprocess pull gauges do the same).
type collector struct {
	p       *Process
	timeout time.Duration

	total, ooa, share, filters           *prometheus.Desc
	guarantee, limit, consumed, quotaOOA *prometheus.Desc
}

func newCollector(reg *metrics.Registry, p *Process) *collector {
	return &collector{
		p:         p,
		timeout:   5 * time.Second,
		total:     reg.Desc("allocator/mesos/resources/{resource}/total", "Total scalar resources of all agents."),
		ooa:       reg.Desc("allocator/mesos/resources/{resource}/offered_or_allocated", "Scalar resources offered or allocated."),
		share:     reg.Desc("allocator/mesos/roles/{role}/shares/dominant", "The role's weighted dominant share."),
		filters:   reg.Desc("allocator/mesos/offer_filters/roles/{role}/active", "Active offer filters of the role."),
		guarantee: reg.Desc("allocator/mesos/quota/roles/{role}/resources/{resource}/guarantee", "The role's quota guarantee."),
		limit:     reg.Desc("allocator/mesos/quota/roles/{role}/resources/{resource}/limit", "The role's quota limit."),
		consumed:  reg.Desc("allocator/mesos/quota/roles/{role}/resources/{resource}/consumed", "What counts against the role's quota."),
		quotaOOA:  reg.Desc("allocator/mesos/quota/roles/{role}/resources/{resource}/offered_or_allocated", "What the quota role holds."),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.total, c.ooa, c.share, c.filters, c.guarantee, c.limit, c.consumed, c.quotaOOA} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	done := make(chan Stats, 1)
	if !c.p.node.Dispatch(c.p.pid, func() { done <- c.p.core.Stats(c.p.ctx.Clock().Now()) }) {
		return
	}
	var st Stats
	select {
	case st = <-done:
	case <-time.After(c.timeout):
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, name := range []string{"cpus", "mem", "disk"} {
		gauge(c.total, st.Total[name], name)
		gauge(c.ooa, st.OfferedOrAllocated[name], name)
	}
	for role, v := range st.Shares {
		gauge(c.share, v, role)
	}
	for role, n := range st.Filters {
		gauge(c.filters, float64(n), role)
	}
	for role, q := range st.Quotas {
		for name, v := range q.Guarantees {
			gauge(c.guarantee, v, role, name)
		}
		for name, v := range q.Limits {
			gauge(c.limit, v, role, name)
		}
		for name, v := range q.Consumed {
			gauge(c.consumed, v, role, name)
		}
		for name, v := range q.OfferedOrAllocated {
			gauge(c.quotaOOA, v, role, name)
		}
	}
}
