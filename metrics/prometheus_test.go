package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestPrometheusMatchesSnapshot(t *testing.T) {
	r := NewRegistry()
	r.Counter("master/tasks_finished", "Finished tasks.").Add(4)
	r.Gauge("master/elected", "Whether this master is elected.").Set(1)
	r.GaugeVec("allocator/mesos/roles/{role}/shares/dominant", "Dominant share.").WithLabelValues("eng").Set(0.25)
	tm := r.Timer("allocator/mesos/allocation_run_ms", "Allocation run time.", time.Hour)
	tm.Observe(2 * time.Millisecond)
	tm.Observe(4 * time.Millisecond)

	rec := httptest.NewRecorder()
	r.PrometheusHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	for _, want := range []string{
		"# HELP mesos_master_tasks_finished Finished tasks.",
		"mesos_master_tasks_finished 4",
		`mesos_allocator_mesos_roles_role_shares_dominant{role="eng"} 0.25`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
	snap, _ := r.Snapshot()
	got, err := r.ParsePrometheus(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range snap {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("%s: /metrics has %v (present %v), snapshot %v", name, g, ok, v)
		}
	}
	for name := range got {
		if _, ok := snap[name]; !ok {
			t.Errorf("/metrics has %s, the snapshot does not", name)
		}
	}
}

func TestPrometheusRejectsWrites(t *testing.T) {
	rec := httptest.NewRecorder()
	NewRegistry().PrometheusHandler().ServeHTTP(rec, httptest.NewRequest("POST", "/metrics", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /metrics: %d, want 405", rec.Code)
	}
}
