package master

import (
	"net/http"
	"strings"
	"testing"

	"net/http/httptest"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// runTaskToEnd launches a task on the offer o and has the agent report it
// running, then in state end.
func runTaskToEnd(t *testing.T, c *cluster, a, s *actortest.Peer, agentID, fid, tid string, o *mesos.Offer, end mesos.TaskState, u byte) {
	t.Helper()
	s.SendNow(c.pid, launch(fid, ids(o), nil, commandTask(tid, o, "cpus:1;mem:128")))
	actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, tid, mesos.TaskState_TASK_RUNNING, u))
	actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, tid, end, u+1))
	actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
	c.settle()
}

func TestTaskAndAgentCounters(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	a, agentID := c.addAgent("cpus:4;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	runTaskToEnd(t, c, a, s, agentID, fid, "t1", o, mesos.TaskState_TASK_FINISHED, 1)

	// The offer is gone: a second launch on it loses its task.
	s.SendNow(c.pid, launch(fid, ids(o), nil, commandTask("t2", o, "cpus:1;mem:128")))
	if st := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_LOST {
		t.Fatalf("launch on a used offer: %v", st)
	}
	c.settle()

	snap := getJSON(t, srv, "/metrics/snapshot")
	want := map[string]float64{
		"master/tasks_finished": 1,
		"master/tasks_lost":     1,
		"master/tasks_failed":   0,
		"master/tasks_killed":   0,
		"master/tasks_error":    0,
		"master/tasks_dropped":  0,
		"master/task_lost/source_master/reason_invalid_offers": 1,
		"master/slave_registrations":                           1,
		"master/slave_reregistrations":                         0,
		"master/slave_removals":                                0,
		"master/messages_register_framework":                   1,
		"master/messages_register_slave":                       1,
		"master/messages_launch_tasks":                         2,
		"master/messages_status_update":                        2,
		"master/tasks_running":                                 0,
		"master/elected":                                       1,
	}
	for k, v := range want {
		if got, ok := snap[k].(float64); !ok || got != v {
			t.Errorf("%s = %v, want %v", k, snap[k], v)
		}
	}
	for _, k := range []string{"master/uptime_secs", "system/cpus_total", "system/load_1min", "system/mem_total_bytes", "system/mem_free_bytes"} {
		if _, ok := snap[k]; !ok {
			t.Errorf("snapshot lacks %s", k)
		}
	}

	// The agent unregisters: a removal with its reason.
	a.SendNow(c.pid, &mesosinternal.UnregisterSlaveMessage{SlaveId: slaveID(agentID)})
	c.settle()
	snap = getJSON(t, srv, "/metrics/snapshot")
	for k, v := range map[string]float64{"master/slave_removals": 1, "master/slave_removals/reason_unregistered": 1} {
		if got, ok := snap[k].(float64); !ok || got != v {
			t.Errorf("%s = %v, want %v", k, snap[k], v)
		}
	}
}

func TestInvalidTaskCountsAsError(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	_, _ = c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	s.SendNow(c.pid, launch(fid, ids(o), nil, commandTask("big", o, "cpus:64;mem:128")))
	if st := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil).GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_ERROR {
		t.Fatalf("oversized task: %v", st)
	}
	c.settle()
	if got := getJSON(t, srv, "/metrics/snapshot")["master/tasks_error"]; got != 1.0 {
		t.Fatalf("master/tasks_error = %v, want 1", got)
	}
}

// /metrics has every value of /metrics/snapshot under its Prometheus name,
// with HELP text, as Prometheus' own parser reads it.
func TestPrometheusEndpointMatchesSnapshot(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	a, agentID := c.addAgent("cpus:4;mem:1024")
	s, fid := c.subscribe(roleInfo("f", "web"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	runTaskToEnd(t, c, a, s, agentID, fid, "t1", o, mesos.TaskState_TASK_FAILED, 1)

	code, hdr, body := get(t, srv, http.MethodGet, "/metrics")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s\n%s", code, hdr.Get("Content-Type"), body)
	}
	for _, line := range []string{"# HELP mesos_master_tasks_failed ", "# TYPE mesos_master_tasks_failed counter", "mesos_master_tasks_failed 1",
		"# TYPE mesos_master_tasks_running gauge", `mesos_master_messages_message{message="register_framework"} 1`} {
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	prom, err := c.m.Metrics().ParsePrometheus(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	snap := getJSON(t, srv, "/metrics/snapshot")
	// Values that move on their own between the two requests.
	moving := func(name string) bool {
		return name == "master/uptime_secs" || strings.HasPrefix(name, "system/")
	}
	for name, v := range snap {
		got, ok := prom[name]
		switch {
		case !ok:
			t.Errorf("/metrics lacks %s", name)
		case !moving(name) && got != v.(float64):
			t.Errorf("%s: /metrics %v, snapshot %v", name, got, v)
		}
	}
	for name := range prom {
		if _, ok := snap[name]; !ok {
			t.Errorf("/metrics has %s, /metrics/snapshot does not", name)
		}
	}
	if len(prom) < 60 {
		t.Errorf("only %d metrics", len(prom))
	}
}

// The used and total gauges sum every agent's live tasks and totals.
func TestGaugesSumUsedResources(t *testing.T) {
	s := buildScale(t, 20, 3, 5)
	g := s.c.gauges(t0)
	for name, want := range map[string]float64{
		"master/cpus_total": 320, "master/cpus_used": 100, "master/cpus_percent": 100.0 / 320,
		"master/mem_used": 100 * 1024, "master/disk_used": 0, "master/gpus_used": 0,
	} {
		if g[name] != want {
			t.Errorf("%s = %v, want %v", name, g[name], want)
		}
	}
	task := s.tasks[0]
	s.c.Receive(t0, s.agentPIDs[0], scaleUpdate(s.agentPIDs[0], task[1], task[0], task[2], mesos.TaskState_TASK_FINISHED, 999))
	if got := s.c.gauges(t0)["master/cpus_used"]; got != 99 {
		t.Errorf("after a task finished cpus_used = %v, want 99", got)
	}
}
