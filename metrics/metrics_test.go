package metrics

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestSnapshotUsesMesosNames(t *testing.T) {
	r := NewRegistry()
	runs := r.Counter("allocator/mesos/allocation_runs", "Allocation runs.")
	runs.Add(3)
	r.Gauge("master/elected", "Whether this master is elected.").Set(1)
	shares := r.GaugeVec("allocator/mesos/roles/{role}/shares/dominant", "Dominant share.")
	shares.WithLabelValues("eng/web").Set(0.25)
	shares.WithLabelValues("*").Set(0.5)
	r.GaugeFunc("master/uptime_secs", "Uptime.", func() float64 { return 42 })
	q := r.GaugeVec("allocator/mesos/quota/roles/{role}/resources/{resource}/guarantee", "Quota.")
	q.WithLabelValues("dev", "cpus").Set(2)

	snap, err := r.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"allocator/mesos/allocation_runs":                          3,
		"master/elected":                                           1,
		"allocator/mesos/roles/eng/web/shares/dominant":            0.25,
		"allocator/mesos/roles/*/shares/dominant":                  0.5,
		"master/uptime_secs":                                       42,
		"allocator/mesos/quota/roles/dev/resources/cpus/guarantee": 2,
	}
	for k, v := range want {
		if got, ok := snap[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v; snapshot %v", k, got, ok, v, Keys(snap))
		}
	}
	if len(snap) != len(want) {
		t.Errorf("snapshot has %d entries, want %d: %v", len(snap), len(want), Keys(snap))
	}
	// The same metrics in Prometheus' own terms.
	fams, _ := r.Prometheus().Gather()
	found := false
	for _, f := range fams {
		if f.GetName() == "allocator_mesos_roles_role_shares_dominant" {
			found = len(f.GetMetric()) == 2
		}
	}
	if !found {
		t.Error("the Prometheus family allocator_mesos_roles_role_shares_dominant is missing")
	}
}

func TestTimerStatistics(t *testing.T) {
	r := NewRegistry()
	tm := r.Timer("allocator/mesos/allocation_run_ms", "Allocation run time.", time.Hour)
	tm.Observe(5 * time.Millisecond)
	snap, _ := r.Snapshot()
	if snap["allocator/mesos/allocation_run_ms"] != 5 {
		t.Fatalf("last value: %v", snap)
	}
	if _, ok := snap["allocator/mesos/allocation_run_ms/count"]; ok {
		t.Fatalf("statistics with one value: %v", Keys(snap))
	}
	for _, ms := range []int{1, 2, 3, 4, 6, 7, 8, 9, 10} {
		tm.Observe(time.Duration(ms) * time.Millisecond)
	}
	snap, _ = r.Snapshot()
	want := map[string]float64{
		"allocator/mesos/allocation_run_ms":       10,
		"allocator/mesos/allocation_run_ms/count": 10,
		"allocator/mesos/allocation_run_ms/min":   1,
		"allocator/mesos/allocation_run_ms/max":   10,
		"allocator/mesos/allocation_run_ms/p50":   5.5,
		"allocator/mesos/allocation_run_ms/p90":   9.1,
	}
	for k, v := range want {
		if got := snap[k]; got < v-1e-9 || got > v+1e-9 {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	for _, k := range []string{"p95", "p99", "p999", "p9999"} {
		if _, ok := snap["allocator/mesos/allocation_run_ms/"+k]; !ok {
			t.Errorf("missing %s", k)
		}
	}
}

func TestTimerWindow(t *testing.T) {
	r := NewRegistry()
	tm := r.Timer("x/run_ms", "x", time.Minute)
	now := time.Unix(0, 0)
	tm.now = func() time.Time { return now }
	tm.Observe(time.Millisecond)
	tm.Observe(2 * time.Millisecond)
	now = now.Add(2 * time.Minute)
	tm.Observe(3 * time.Millisecond)
	if n, _, _, _, ok := tm.Stats(); ok || n != 1 {
		t.Fatalf("old values not dropped: %d %v", n, ok)
	}
}

type pull struct{ desc *prometheus.Desc }

func (p pull) Describe(ch chan<- *prometheus.Desc) { ch <- p.desc }
func (p pull) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(p.desc, prometheus.GaugeValue, 1, "r1")
}

func TestCustomCollectorAndHandler(t *testing.T) {
	r := NewRegistry()
	r.MustRegister(pull{r.Desc("allocator/mesos/offer_filters/roles/{role}/active", "Filters.")})
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()

	resp, err := http.Get(srv.URL + "?jsonp=cb")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if !strings.HasPrefix(body, "cb(") || !strings.Contains(body, `"allocator/mesos/offer_filters/roles/r1/active":1`) {
		t.Fatalf("jsonp body %q", body)
	}

	resp, _ = http.Get(srv.URL)
	var snap map[string]float64
	if err := json.Unmarshal([]byte(readAll(t, resp)), &snap); err != nil || snap["allocator/mesos/offer_filters/roles/r1/active"] != 1 {
		t.Fatalf("snapshot %v, %v", snap, err)
	}

	for _, c := range []struct {
		url    string
		method string
		code   int
	}{
		{"?timeout=5secs", "GET", 200},
		{"?timeout=bogus", "GET", 400},
		{"?jsonp=1bad", "GET", 400},
		{"", "POST", 405},
	} {
		req, _ := http.NewRequest(c.method, srv.URL+c.url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s %s: %d, want %d", c.method, c.url, resp.StatusCode, c.code)
		}
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}

func TestDuplicateDerivedNamePanics(t *testing.T) {
	r := NewRegistry()
	r.Counter("a/b", "x")
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a colliding name")
		}
	}()
	r.Counter("a_b", "y")
}
