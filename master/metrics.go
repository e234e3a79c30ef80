package master

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gomesos/gomesos/messages/mesos"
)

// masterCollector publishes the master's own gauges under Mesos' names
// (master/...), computed on the master actor at every snapshot. The
// allocator publishes allocator/mesos/... itself.
type masterCollector struct {
	m     *Master
	descs map[string]*prometheus.Desc
}

// masterGauges are the master gauges published, by Mesos name.
var masterGauges = []string{
	"master/elected", "master/uptime_secs",
	"master/slaves_active", "master/slaves_inactive", "master/slaves_connected", "master/slaves_disconnected", "master/slaves_unreachable",
	"master/frameworks_active", "master/frameworks_inactive", "master/frameworks_connected", "master/frameworks_disconnected",
	"master/outstanding_offers", "master/dropped_messages",
	"master/cpus_total", "master/cpus_used", "master/cpus_percent",
	"master/mem_total", "master/mem_used", "master/mem_percent",
	"master/disk_total", "master/disk_used", "master/disk_percent",
	"master/gpus_total", "master/gpus_used", "master/gpus_percent",
	"master/tasks_staging", "master/tasks_starting", "master/tasks_running", "master/tasks_killing",
	"master/tasks_unreachable",
}

func (m *Master) registerMetrics() {
	c := &masterCollector{m: m, descs: map[string]*prometheus.Desc{}}
	for _, name := range masterGauges {
		c.descs[name] = m.metrics.Desc(name, "Mesos master metric "+name+".")
	}
	m.collector = c
	if err := m.metrics.Register(c); err != nil {
		m.log.Warnf("master metrics not registered: %v", err)
		m.collector = nil
	}
}

func (m *Master) unregisterMetrics() {
	if m.collector != nil {
		m.metrics.Unregister(m.collector)
	}
}

func (c *masterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *masterCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p := c.m.proc
	v, err := c.m.call(ctx, func() any { return p.core.gauges(p.now()) })
	if err != nil {
		return
	}
	for name, value := range v.(map[string]float64) {
		if d := c.descs[name]; d != nil {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, value)
		}
	}
}

// gauges computes the master gauges.
func (c *Core) gauges(now time.Time) map[string]float64 {
	g := map[string]float64{"master/uptime_secs": now.Sub(c.startTime).Seconds(), "master/dropped_messages": float64(c.dropped)}
	if c.elected {
		g["master/elected"] = 1
	} else {
		g["master/elected"] = 0
	}
	b := func(ok bool) float64 {
		if ok {
			return 1
		}
		return 0
	}
	for _, name := range []string{"slaves_active", "slaves_inactive", "slaves_connected", "slaves_disconnected",
		"frameworks_active", "frameworks_inactive", "frameworks_connected", "frameworks_disconnected",
		"tasks_staging", "tasks_starting", "tasks_running", "tasks_killing"} {
		g["master/"+name] = 0
	}
	total, used := map[string]float64{}, map[string]float64{}
	for _, a := range c.agents {
		g["master/slaves_active"] += b(a.active)
		g["master/slaves_inactive"] += b(!a.active)
		g["master/slaves_connected"] += b(a.connected)
		g["master/slaves_disconnected"] += b(!a.connected)
		for _, name := range []string{"cpus", "mem", "disk", "gpus"} {
			total[name] += a.total.NonRevocable().Scalar(name)
			used[name] += a.totalUsed().NonRevocable().Scalar(name)
		}
	}
	g["master/slaves_unreachable"] = float64(len(c.unreachable))
	for _, f := range c.frameworks {
		g["master/frameworks_active"] += b(f.active)
		g["master/frameworks_inactive"] += b(!f.active)
		g["master/frameworks_connected"] += b(f.connected)
		g["master/frameworks_disconnected"] += b(!f.connected)
		for _, t := range f.tasks {
			switch t.GetState() {
			case mesos.TaskState_TASK_STAGING:
				g["master/tasks_staging"]++
			case mesos.TaskState_TASK_STARTING:
				g["master/tasks_starting"]++
			case mesos.TaskState_TASK_RUNNING:
				g["master/tasks_running"]++
			case mesos.TaskState_TASK_KILLING:
				g["master/tasks_killing"]++
			}
		}
		g["master/tasks_unreachable"] += float64(len(f.unreachableTasks.order))
	}
	g["master/outstanding_offers"] = float64(len(c.offers))
	for _, name := range []string{"cpus", "mem", "disk", "gpus"} {
		g["master/"+name+"_total"] = total[name]
		g["master/"+name+"_used"] = used[name]
		g["master/"+name+"_percent"] = 0
		if total[name] > 0 {
			g["master/"+name+"_percent"] = used[name] / total[name]
		}
	}
	return g
}
