package master

import (
	"context"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

// masterCollector publishes the master's own gauges under Mesos' names
// (master/...), computed on the master actor at every snapshot. The
// allocator publishes allocator/mesos/... itself.
type masterCollector struct {
	m     *Master
	descs map[string]*prometheus.Desc
}

// masterMetrics are the metrics the master publishes, by Mesos name, with
// their help text. Names with a {label} are families: the core fills in
// the label (master/task_lost/source_master/reason_slave_removed).
var masterMetrics = map[string]string{
	"master/elected":                     "1 if this master is the elected leader, 0 otherwise.",
	"master/uptime_secs":                 "Seconds since this master started.",
	"master/slaves_active":               "Registered agents that are active.",
	"master/slaves_inactive":             "Registered agents that are deactivated.",
	"master/slaves_connected":            "Registered agents that are connected.",
	"master/slaves_disconnected":         "Registered agents that are disconnected.",
	"master/slaves_unreachable":          "Agents marked unreachable.",
	"master/frameworks_active":           "Frameworks that are active.",
	"master/frameworks_inactive":         "Frameworks that are inactive.",
	"master/frameworks_connected":        "Frameworks that are connected.",
	"master/frameworks_disconnected":     "Frameworks that are disconnected.",
	"master/outstanding_offers":          "Offers sent and not yet accepted, declined or rescinded.",
	"master/dropped_messages":            "Messages dropped because this master is not the elected, recovered leader.",
	"master/tasks_staging":               "Tasks in TASK_STAGING.",
	"master/tasks_starting":              "Tasks in TASK_STARTING.",
	"master/tasks_running":               "Tasks in TASK_RUNNING.",
	"master/tasks_killing":               "Tasks in TASK_KILLING.",
	"master/tasks_unreachable":           "Tasks in TASK_UNREACHABLE.",
	"master/tasks_finished":              "Tasks that reached TASK_FINISHED since this master started.",
	"master/tasks_failed":                "Tasks that reached TASK_FAILED since this master started.",
	"master/tasks_killed":                "Tasks that reached TASK_KILLED since this master started.",
	"master/tasks_lost":                  "Tasks that reached TASK_LOST since this master started.",
	"master/tasks_error":                 "Tasks that reached TASK_ERROR (invalid tasks) since this master started.",
	"master/tasks_dropped":               "Tasks that reached TASK_DROPPED since this master started.",
	"master/tasks_gone":                  "Tasks that reached TASK_GONE since this master started.",
	"master/tasks_gone_by_operator":      "Tasks that reached TASK_GONE_BY_OPERATOR since this master started.",
	"master/task_lost/{source}/{reason}": "Tasks that reached TASK_LOST, by the source and reason of the update.",
	"master/slave_registrations":         "Agents that registered since this master started.",
	"master/slave_reregistrations":       "Agents that reregistered since this master started.",
	"master/slave_removals":              "Agents removed since this master started.",
	"master/slave_removals/{reason}":     "Agents removed, by reason (reason_unhealthy: health checks or the reregistration timeout; reason_registered: a new agent took its address; reason_unregistered: it unregistered).",
	"master/slave_unreachable_canceled":  "Scheduled markings as unreachable cancelled by a pong or a reregistration.",
	"master/recovery_slave_removals":     "Recovered agents marked unreachable for not reregistering in time.",
	"master/slave_unreachable_scheduled": "Agents scheduled to be marked unreachable.",
	"master/slave_unreachable_completed": "Agents marked unreachable.",
	"master/messages_{message}":          "Messages received from frameworks and agents, by kind (scheduler calls count as the message they replace).",
	"master/valid_status_updates":        "Status updates from agents that were applied to a known task.",
	"master/invalid_status_updates":      "Status updates from agents that were ignored.",
	"master/cpus_total":                  "CPUs of the registered agents.",
	"master/cpus_used":                   "CPUs used by tasks and executors.",
	"master/cpus_percent":                "Fraction of CPUs used.",
	"master/mem_total":                   "Memory of the registered agents, in MB.",
	"master/mem_used":                    "Memory used by tasks and executors, in MB.",
	"master/mem_percent":                 "Fraction of memory used.",
	"master/disk_total":                  "Disk of the registered agents, in MB.",
	"master/disk_used":                   "Disk used by tasks and executors, in MB.",
	"master/disk_percent":                "Fraction of disk used.",
	"master/gpus_total":                  "GPUs of the registered agents.",
	"master/gpus_used":                   "GPUs used by tasks and executors.",
	"master/gpus_percent":                "Fraction of GPUs used.",
	"registrar/queued_operations":        "Registry operations waiting to be stored or being stored.",
	"registrar/registry_size_bytes":      "Size of the registry as last stored or fetched, in bytes.",
	"registrar/state_fetch_ms":           "How long fetching the registry took when this master started, in ms.",
	"registrar/state_store_ms":           "How long the last registry store took, in ms.",
}

// masterCounters are the names published as counters; the rest are gauges.
var masterCounters = map[string]bool{
	"master/tasks_finished": true, "master/tasks_failed": true, "master/tasks_killed": true, "master/tasks_lost": true,
	"master/tasks_error": true, "master/tasks_dropped": true, "master/tasks_gone": true, "master/tasks_gone_by_operator": true,
	"master/task_lost/{source}/{reason}": true,
	"master/slave_registrations":         true, "master/slave_reregistrations": true, "master/slave_removals": true,
	"master/slave_removals/{reason}":     true,
	"master/slave_unreachable_scheduled": true, "master/slave_unreachable_completed": true,
	"master/messages_{message}": true, "master/dropped_messages": true,
	"master/valid_status_updates": true, "master/invalid_status_updates": true,
}

func (m *Master) registerMetrics() {
	m.metrics.System()
	c := &masterCollector{m: m, descs: map[string]*prometheus.Desc{}}
	for name, help := range masterMetrics {
		c.descs[name] = m.metrics.Desc(name, help)
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
	v, err := c.m.call(ctx, func() any {
		g := p.core.gauges(p.now())
		for name, value := range p.registryGauges() {
			g[name] = value
		}
		return g
	})
	if err != nil {
		return
	}
	for name, value := range v.(map[string]float64) {
		family, labels := familyOf(name)
		d := c.descs[family]
		if d == nil {
			continue
		}
		kind := prometheus.GaugeValue
		if masterCounters[family] {
			kind = prometheus.CounterValue
		}
		ch <- prometheus.MustNewConstMetric(d, kind, value, labels...)
	}
}

// familyOf maps a metric name the core publishes to its family in
// masterMetrics and the label values, in order.
func familyOf(name string) (string, []string) {
	if _, ok := masterMetrics[name]; ok {
		return name, nil
	}
	switch {
	case strings.HasPrefix(name, "master/task_lost/"):
		source, reason, _ := strings.Cut(strings.TrimPrefix(name, "master/task_lost/"), "/")
		return "master/task_lost/{source}/{reason}", []string{source, reason}
	case strings.HasPrefix(name, "master/slave_removals/"):
		return "master/slave_removals/{reason}", []string{strings.TrimPrefix(name, "master/slave_removals/")}
	case strings.HasPrefix(name, "master/messages_"):
		return "master/messages_{message}", []string{strings.TrimPrefix(name, "master/messages_")}
	}
	return "", nil
}

// counters are the master's event counts since it started: fields the
// core increments as events happen (Mesos' metrics reset on restart and
// failover too). The gauges read them through the snapshot path.
type counters struct {
	tasks           map[mesos.TaskState]uint64 // transitions into a terminal state
	taskLost        map[string]uint64          // "source_x/reason_y"
	registrations   uint64
	reregistrations uint64
	messages        map[string]uint64 // by Mesos' message name
	validUpdates    uint64
	invalidUpdates  uint64
}

// terminalNames are the counted terminal states and their metric names.
var terminalNames = map[mesos.TaskState]string{
	mesos.TaskState_TASK_FINISHED:         "master/tasks_finished",
	mesos.TaskState_TASK_FAILED:           "master/tasks_failed",
	mesos.TaskState_TASK_KILLED:           "master/tasks_killed",
	mesos.TaskState_TASK_LOST:             "master/tasks_lost",
	mesos.TaskState_TASK_ERROR:            "master/tasks_error",
	mesos.TaskState_TASK_DROPPED:          "master/tasks_dropped",
	mesos.TaskState_TASK_GONE:             "master/tasks_gone",
	mesos.TaskState_TASK_GONE_BY_OPERATOR: "master/tasks_gone_by_operator",
}

// taskTransition counts a task going from old to state (terminal states
// only, once per task).
func (s *counters) taskTransition(old, state mesos.TaskState, source mesos.TaskStatus_Source, reason mesos.TaskStatus_Reason) {
	if protocol.IsTerminal(old) || !protocol.IsTerminal(state) {
		return
	}
	s.taskEnded(state, source, reason)
}

// taskEnded counts a task that reached the terminal state (for tasks the
// master answers without ever adding them: invalid, dropped).
func (s *counters) taskEnded(state mesos.TaskState, source mesos.TaskStatus_Source, reason mesos.TaskStatus_Reason) {
	if s.tasks == nil {
		s.tasks = map[mesos.TaskState]uint64{}
	}
	s.tasks[state]++
	if state == mesos.TaskState_TASK_LOST {
		if s.taskLost == nil {
			s.taskLost = map[string]uint64{}
		}
		s.taskLost[strings.ToLower(source.String())+"/"+strings.ToLower(reason.String())]++
	}
}

// message counts a message the master received.
func (s *counters) message(msg any) {
	name := messageName(msg)
	if name == "" {
		return
	}
	if s.messages == nil {
		s.messages = map[string]uint64{}
	}
	s.messages[name]++
}

// messageName is Mesos' metric name of a received message (without
// "master/messages_"), or "" for messages Mesos does not count.
func messageName(msg any) string {
	switch m := msg.(type) {
	case *scheduler.Call:
		return callNames[m.GetType()]
	case *mesosinternal.RegisterFrameworkMessage:
		return "register_framework"
	case *mesosinternal.ReregisterFrameworkMessage:
		return "reregister_framework"
	case *mesosinternal.UnregisterFrameworkMessage:
		return "unregister_framework"
	case *mesosinternal.DeactivateFrameworkMessage:
		return "deactivate_framework"
	case *mesosinternal.LaunchTasksMessage:
		return "launch_tasks"
	case *mesosinternal.ReviveOffersMessage:
		return "revive_offers"
	case *mesosinternal.KillTaskMessage:
		return "kill_task"
	case *mesosinternal.StatusUpdateAcknowledgementMessage:
		return "status_update_acknowledgement"
	case *mesosinternal.FrameworkToExecutorMessage:
		return "framework_to_executor"
	case *mesosinternal.ReconcileTasksMessage:
		return "reconcile_tasks"
	case *mesosinternal.ResourceRequestMessage:
		return "resource_request"
	case *mesosinternal.RegisterSlaveMessage:
		return "register_slave"
	case *mesosinternal.ReregisterSlaveMessage:
		return "reregister_slave"
	case *mesosinternal.UnregisterSlaveMessage:
		return "unregister_slave"
	case *mesosinternal.StatusUpdateMessage:
		return "status_update"
	case *mesosinternal.ExitedExecutorMessage:
		return "exited_executor"
	case *mesosinternal.ExecutorToFrameworkMessage:
		return "executor_to_framework"
	}
	return ""
}

// callNames are the message names scheduler calls count as.
var callNames = map[scheduler.Call_Type]string{
	scheduler.Call_SUBSCRIBE:   "register_framework",
	scheduler.Call_TEARDOWN:    "unregister_framework",
	scheduler.Call_ACCEPT:      "launch_tasks",
	scheduler.Call_DECLINE:     "decline_offers",
	scheduler.Call_REVIVE:      "revive_offers",
	scheduler.Call_SUPPRESS:    "suppress_offers",
	scheduler.Call_KILL:        "kill_task",
	scheduler.Call_ACKNOWLEDGE: "status_update_acknowledgement",
	scheduler.Call_RECONCILE:   "reconcile_tasks",
	scheduler.Call_MESSAGE:     "framework_to_executor",
	scheduler.Call_REQUEST:     "resource_request",
	scheduler.Call_SHUTDOWN:    "shutdown_executor",
}

// publish adds the counters to g under their Mesos names.
func (s *counters) publish(g map[string]float64) {
	for state, name := range terminalNames {
		g[name] = float64(s.tasks[state])
	}
	for k, n := range s.taskLost {
		g["master/task_lost/"+k] = float64(n)
	}
	g["master/slave_registrations"] = float64(s.registrations)
	g["master/slave_reregistrations"] = float64(s.reregistrations)
	for name, n := range s.messages {
		g["master/messages_"+name] = float64(n)
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
	var live resources.Resources // reused for every agent
	for _, a := range c.agents {
		g["master/slaves_active"] += b(a.active)
		g["master/slaves_inactive"] += b(!a.active)
		g["master/slaves_connected"] += b(a.connected)
		g["master/slaves_disconnected"] += b(!a.connected)
		// the agent's non-revocable used resources gathered once per
		// scrape (Scalar sums them as adding them up first would)
		live = nonRevocableUsed(a, live[:0])
		t := a.total.NonRevocable()
		for _, name := range []string{"cpus", "mem", "disk", "gpus"} {
			total[name] += t.Scalar(name)
			used[name] += live.Scalar(name)
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
		g["master/tasks_unreachable"] += float64(f.unreachableTasks.len())
	}
	g["master/outstanding_offers"] = float64(len(c.offers))
	c.stats.publish(g)
	r := c.removals
	g["master/slave_removals"] = float64(r.Removals)
	g["master/slave_removals/reason_unhealthy"] = float64(r.ReasonUnhealthy)
	g["master/slave_removals/reason_unregistered"] = float64(r.ReasonUnregistered)
	g["master/slave_removals/reason_registered"] = float64(r.ReasonRegistered)
	g["master/slave_unreachable_scheduled"] = float64(r.UnreachableScheduled)
	g["master/slave_unreachable_completed"] = float64(r.UnreachableCompleted)
	g["master/slave_unreachable_canceled"] = float64(r.UnreachableCanceled)
	g["master/recovery_slave_removals"] = float64(r.RecoveryRemovals)
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

// nonRevocableUsed appends to buf the non-revocable resources of a's live
// tasks and of its executors.
func nonRevocableUsed(a *agent, buf resources.Resources) resources.Resources {
	for _, e := range a.tasks.list {
		if t := e.t; !protocol.IsTerminalOrUnreachable(t.GetState()) {
			for _, x := range t.GetResources() {
				if x.Revocable == nil {
					buf = append(buf, x)
				}
			}
		}
	}
	for _, byID := range a.executors {
		for _, e := range byID {
			for _, x := range e.GetResources() {
				if x.Revocable == nil {
					buf = append(buf, x)
				}
			}
		}
	}
	return buf
}
