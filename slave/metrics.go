package slave

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
)

// agentMetrics are the slave/* metrics the agent publishes, with their
// help text.
var agentMetrics = map[string]string{
	"slave/registered":              "1 if the agent is registered with a master, 0 otherwise.",
	"slave/uptime_secs":             "Seconds since the agent started.",
	"slave/frameworks_active":       "Frameworks with tasks or executors on this agent.",
	"slave/tasks_staging":           "Tasks in TASK_STAGING (including tasks queued for their executor).",
	"slave/tasks_starting":          "Tasks in TASK_STARTING.",
	"slave/tasks_running":           "Tasks in TASK_RUNNING.",
	"slave/tasks_killing":           "Tasks in TASK_KILLING.",
	"slave/tasks_finished":          "Tasks that reached TASK_FINISHED since the agent started.",
	"slave/tasks_failed":            "Tasks that reached TASK_FAILED since the agent started.",
	"slave/tasks_killed":            "Tasks that reached TASK_KILLED since the agent started.",
	"slave/tasks_lost":              "Tasks that reached TASK_LOST since the agent started.",
	"slave/tasks_error":             "Tasks that reached TASK_ERROR since the agent started.",
	"slave/tasks_dropped":           "Tasks that reached TASK_DROPPED since the agent started.",
	"slave/tasks_gone":              "Tasks that reached TASK_GONE since the agent started.",
	"slave/executors_registering":   "Executors launched that have not registered yet.",
	"slave/executors_running":       "Executors registered and running.",
	"slave/executors_terminating":   "Executors being shut down.",
	"slave/container_launch_errors": "Containers whose launch failed since the agent started.",
	"slave/valid_status_updates":    "Status updates from executors applied to a task.",
	"slave/invalid_status_updates":  "Status updates from executors that were refused (unknown or already terminal task).",
	"slave/cpus_total":              "CPUs of this agent.",
	"slave/cpus_used":               "CPUs allocated to executors and their tasks.",
	"slave/cpus_percent":            "Fraction of CPUs allocated.",
	"slave/mem_total":               "Memory of this agent, in MB.",
	"slave/mem_used":                "Memory allocated to executors and their tasks, in MB.",
	"slave/mem_percent":             "Fraction of memory allocated.",
	"slave/disk_total":              "Disk of this agent, in MB.",
	"slave/disk_used":               "Disk allocated to executors and their tasks, in MB.",
	"slave/disk_percent":            "Fraction of disk allocated.",
	"slave/gpus_total":              "GPUs of this agent.",
	"slave/gpus_used":               "GPUs allocated to executors and their tasks.",
	"slave/gpus_percent":            "Fraction of GPUs allocated.",
}

// agentTerminal are the counted terminal task states and their names.
var agentTerminal = map[mesos.TaskState]string{
	mesos.TaskState_TASK_FINISHED: "slave/tasks_finished",
	mesos.TaskState_TASK_FAILED:   "slave/tasks_failed",
	mesos.TaskState_TASK_KILLED:   "slave/tasks_killed",
	mesos.TaskState_TASK_LOST:     "slave/tasks_lost",
	mesos.TaskState_TASK_ERROR:    "slave/tasks_error",
	mesos.TaskState_TASK_DROPPED:  "slave/tasks_dropped",
	mesos.TaskState_TASK_GONE:     "slave/tasks_gone",
}

// agentCounters are the agent's event counts since it started, fields
// the core increments.
type agentCounters struct {
	terminal       map[mesos.TaskState]uint64
	validUpdates   uint64
	invalidUpdates uint64
	launchErrors   uint64
}

// containerLaunched counts a container launch that failed.
func (s *agentCounters) containerLaunched(err error) {
	if err != nil {
		s.launchErrors++
	}
}

// taskUpdated counts a status update applied to a task in state.
func (s *agentCounters) taskUpdated(state mesos.TaskState) {
	s.validUpdates++
	if !protocol.IsTerminal(state) {
		return
	}
	if s.terminal == nil {
		s.terminal = map[mesos.TaskState]uint64{}
	}
	s.terminal[state]++
}

// metrics computes the agent's metrics at now; call it on the goroutine
// that drives the core.
func (c *Core) metrics(now time.Time) map[string]float64 {
	g := map[string]float64{"slave/uptime_secs": now.Sub(c.startTime).Seconds()}
	for name := range agentMetrics {
		if name != "slave/uptime_secs" {
			g[name] = 0
		}
	}
	if c.state == running {
		g["slave/registered"] = 1
	}
	usedBy := map[string]float64{}
	for _, fid := range c.frameworkOrder {
		f := c.frameworks[fid]
		if f == nil {
			continue
		}
		if len(f.executors) > 0 || len(f.pending) > 0 {
			g["slave/frameworks_active"]++
		}
		g["slave/tasks_staging"] += float64(len(f.pending))
		for _, e := range f.executors {
			if e == nil {
				continue
			}
			switch e.state {
			case executorRegistering:
				g["slave/executors_registering"]++
			case executorRunning:
				g["slave/executors_running"]++
			case executorTerminating:
				g["slave/executors_terminating"]++
			}
			g["slave/tasks_staging"] += float64(len(e.queued))
			for _, t := range e.launchedTasks() {
				switch t.GetState() {
				case mesos.TaskState_TASK_STAGING:
					g["slave/tasks_staging"]++
				case mesos.TaskState_TASK_STARTING:
					g["slave/tasks_starting"]++
				case mesos.TaskState_TASK_RUNNING:
					g["slave/tasks_running"]++
				case mesos.TaskState_TASK_KILLING:
					g["slave/tasks_killing"]++
				}
			}
			if e.state != executorTerminated {
				alloc := e.allocated()
				for _, name := range []string{"cpus", "mem", "disk", "gpus"} {
					usedBy[name] += alloc.Scalar(name)
				}
			}
		}
	}
	for state, name := range agentTerminal {
		g[name] = float64(c.stats.terminal[state])
	}
	g["slave/valid_status_updates"] = float64(c.stats.validUpdates)
	g["slave/invalid_status_updates"] = float64(c.stats.invalidUpdates)
	g["slave/container_launch_errors"] = float64(c.stats.launchErrors)
	for _, name := range []string{"cpus", "mem", "disk", "gpus"} {
		total := c.total.Scalar(name)
		g["slave/"+name+"_total"] = total
		g["slave/"+name+"_used"] = usedBy[name]
		if total > 0 {
			g["slave/"+name+"_percent"] = usedBy[name] / total
		}
	}
	return g
}

// agentCollector publishes the agent's metrics, computed on the agent
// actor at every snapshot.
type agentCollector struct {
	s     *Slave
	descs map[string]*prometheus.Desc
}

func (s *Slave) registerMetrics() {
	s.metrics.System()
	c := &agentCollector{s: s, descs: map[string]*prometheus.Desc{}}
	for name, help := range agentMetrics {
		c.descs[name] = s.metrics.Desc(name, help)
	}
	if err := s.metrics.Register(c); err != nil {
		s.node.Log().WithError(err).Warn("agent metrics not registered")
		return
	}
	s.collector = c
}

func (s *Slave) unregisterMetrics() {
	if s.collector != nil {
		s.metrics.Unregister(s.collector)
	}
}

func (c *agentCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *agentCollector) Collect(ch chan<- prometheus.Metric) {
	pid := c.s.PID()
	if pid.IsZero() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p := c.s.p
	v, err := c.s.node.Call(ctx, pid, func() any { return p.core.metrics(p.now()) })
	if err != nil {
		return
	}
	for name, value := range v.(map[string]float64) {
		d := c.descs[name]
		if d == nil {
			continue
		}
		kind := prometheus.GaugeValue
		if _, counted := agentCounterNames[name]; counted {
			kind = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(d, kind, value)
	}
}

// agentCounterNames are the names published as counters.
var agentCounterNames = func() map[string]bool {
	out := map[string]bool{"slave/valid_status_updates": true, "slave/invalid_status_updates": true, "slave/container_launch_errors": true}
	for _, name := range agentTerminal {
		out[name] = true
	}
	return out
}()
