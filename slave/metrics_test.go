package slave

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

func TestAgentMetrics(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	h.runTask(customTask("t1", "e1"))
	ex := <-h.cont.executors
	actortest.Must[*mesosinternal.RunTaskMessage](t, ex.Peer, nil)
	actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil) // TASK_RUNNING
	ex.sendStatus("t1", mesos.TaskState_TASK_FINISHED, "finished-t1")
	// The agent acknowledges the executor once it has applied the update.
	actortest.Must(t, ex.Peer, func(m *mesosinternal.StatusUpdateAcknowledgementMessage) bool {
		return string(m.GetUuid()) == "finished-t1"
	})
	h.barrier()

	srv := httptest.NewServer(h.s.Handler())
	defer srv.Close()
	body := func(path string) string {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return string(b)
	}
	var snap map[string]float64
	if err := json.Unmarshal([]byte(body("/metrics/snapshot")), &snap); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]float64{
		"slave/registered": 1, "slave/tasks_finished": 1, "slave/tasks_running": 0, "slave/tasks_failed": 0,
		"slave/valid_status_updates": 2, "slave/invalid_status_updates": 0,
		"slave/executors_running": 1, "slave/frameworks_active": 1, "slave/cpus_total": 2, "slave/mem_total": 1024,
	} {
		if got, ok := snap[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	for _, k := range []string{"slave/uptime_secs", "system/cpus_total", "system/mem_total_bytes"} {
		if _, ok := snap[k]; !ok {
			t.Errorf("snapshot lacks %s", k)
		}
	}

	// /metrics says the same in Prometheus' format.
	prom, err := h.s.Metrics().ParsePrometheus(strings.NewReader(body("/metrics")))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range snap {
		got, ok := prom[name]
		moving := name == "slave/uptime_secs" || strings.HasPrefix(name, "system/")
		if !ok || !moving && got != v {
			t.Errorf("%s: /metrics %v (present %v), snapshot %v", name, got, ok, v)
		}
	}
	if len(prom) != len(snap) {
		t.Errorf("/metrics has %d metrics, the snapshot %d", len(prom), len(snap))
	}
}

func TestAgentCountsContainerLaunchErrors(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	effs := r.c.Receive(r.now, coreMaster, runTaskMsg("t1", "e1"))
	effs = r.c.SandboxPrepared(r.now, effs[0].(PrepareSandbox), nil)
	l := effs[0].(LaunchContainer)
	if got := r.c.metrics(r.now)["slave/container_launch_errors"]; got != 0 {
		t.Fatalf("before the launch: %v", got)
	}
	r.c.ContainerLaunched(r.now, l.ContainerID, errors.New("fork failed"))
	m := r.c.metrics(r.now)
	if m["slave/container_launch_errors"] != 1 || m["slave/registered"] != 1 {
		t.Fatalf("after a failed launch: errors %v, registered %v", m["slave/container_launch_errors"], m["slave/registered"])
	}
}
