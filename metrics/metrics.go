// Package metrics keeps a process' metrics in a Prometheus client_golang
// registry and renders them the way Mesos' /metrics/snapshot does: one
// flat JSON object from metric name to number, with names such as
// "allocator/mesos/allocation_runs" or
// "allocator/mesos/roles/eng/shares/dominant".
//
// A metric is declared with its Mesos name; parts in braces are labels
// ("allocator/mesos/roles/{role}/shares/dominant" is a GaugeVec with the
// label "role"). The Prometheus name is derived from it
// ("allocator_mesos_roles_role_shares_dominant"), so the same registry
// can also be exposed in Prometheus' format: PrometheusHandler serves
// /metrics, every name prefixed "mesos_".
//
// Timers follow libprocess: a Timer named "x/run_ms" renders its last
// value as "x/run_ms" and, once it has two values, "x/run_ms/count",
// "/min", "/max", "/p50", "/p90", "/p95", "/p99", "/p999" and "/p9999"
// over a window of recent values.
//
// One Registry serves a whole process (libprocess has one metrics
// endpoint per process), so a master and its agents in mesos-local can
// share one.
package metrics

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	dto "github.com/prometheus/client_model/go"

	"github.com/gomesos/gomesos/internal/httpjson"
	"github.com/gomesos/gomesos/messages/protocol"
)

// Registry holds metrics under their Mesos names.
type Registry struct {
	prom *prometheus.Registry

	mu    sync.Mutex
	names map[string]*template // Prometheus family name → Mesos name

	systemOnce sync.Once
	system     *systemCollector
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{prom: prometheus.NewRegistry(), names: map[string]*template{}}
}

// Prometheus returns the underlying Prometheus registry.
func (r *Registry) Prometheus() *prometheus.Registry { return r.prom }

// template is a Mesos metric name with label placeholders.
type template struct {
	mesos  string
	parts  []string // literal text; label names at odd indices
	labels []string
	kind   kind
}

type kind uint8

const (
	plain kind = iota
	summary
)

var placeholder = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

func parseTemplate(name string) *template {
	t := &template{mesos: name}
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(name, -1) {
		t.parts = append(t.parts, name[last:m[0]], name[m[2]:m[3]])
		t.labels = append(t.labels, name[m[2]:m[3]])
		last = m[1]
	}
	t.parts = append(t.parts, name[last:])
	return t
}

// render fills the placeholders with label values.
func (t *template) render(labels map[string]string) string {
	var sb strings.Builder
	for i, p := range t.parts {
		if i%2 == 1 {
			sb.WriteString(labels[p])
		} else {
			sb.WriteString(p)
		}
	}
	return sb.String()
}

// PromName derives a valid Prometheus metric name from a Mesos name.
func PromName(mesosName string) string {
	name := placeholder.ReplaceAllString(mesosName, "$1")
	var sb strings.Builder
	for i, c := range name {
		ok := c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
		if ok {
			sb.WriteRune(c)
		} else {
			sb.WriteByte('_')
		}
	}
	return sb.String()
}

// declare records name's template and returns its Prometheus name and
// labels.
func (r *Registry) declare(name string, k kind) (string, []string) {
	t := parseTemplate(name)
	t.kind = k
	prom := PromName(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.names[prom]; ok && old.mesos != name {
		panic(fmt.Sprintf("metrics: %q and %q map to the same Prometheus name %q", old.mesos, name, prom))
	}
	r.names[prom] = t
	return prom, t.labels
}

// Desc declares a metric for a custom collector: the returned Desc has
// the derived Prometheus name and the template's labels as variable
// labels, in order.
func (r *Registry) Desc(name, help string) *prometheus.Desc {
	prom, labels := r.declare(name, plain)
	return prometheus.NewDesc(prom, help, labels, nil)
}

// Register adds a collector (whose Descs come from Desc).
func (r *Registry) Register(c prometheus.Collector) error { return r.prom.Register(c) }

// MustRegister is Register that panics on error.
func (r *Registry) MustRegister(c prometheus.Collector) { r.prom.MustRegister(c) }

// Unregister removes a collector.
func (r *Registry) Unregister(c prometheus.Collector) bool { return r.prom.Unregister(c) }

// Counter registers and returns a counter.
func (r *Registry) Counter(name, help string) prometheus.Counter {
	prom, _ := r.declare(name, plain)
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: prom, Help: help})
	r.prom.MustRegister(c)
	return c
}

// Gauge registers and returns a gauge.
func (r *Registry) Gauge(name, help string) prometheus.Gauge {
	prom, _ := r.declare(name, plain)
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: prom, Help: help})
	r.prom.MustRegister(g)
	return g
}

// GaugeFunc registers a gauge whose value f computes at every snapshot
// (f runs on the snapshot's goroutine) and returns it, for Unregister.
func (r *Registry) GaugeFunc(name, help string, f func() float64) prometheus.GaugeFunc {
	prom, _ := r.declare(name, plain)
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: prom, Help: help}, f)
	r.prom.MustRegister(g)
	return g
}

// CounterVec registers a counter family over name's labels.
func (r *Registry) CounterVec(name, help string) *prometheus.CounterVec {
	prom, labels := r.declare(name, plain)
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: prom, Help: help}, labels)
	r.prom.MustRegister(v)
	return v
}

// GaugeVec registers a gauge family over name's labels.
func (r *Registry) GaugeVec(name, help string) *prometheus.GaugeVec {
	prom, labels := r.declare(name, plain)
	v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: prom, Help: help}, labels)
	r.prom.MustRegister(v)
	return v
}

// Snapshot gathers every metric under its Mesos name.
func (r *Registry) Snapshot() (map[string]float64, error) {
	families, err := r.prom.Gather()
	out := map[string]float64{}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, fam := range families {
		t := r.names[fam.GetName()]
		if t == nil {
			t = &template{mesos: fam.GetName(), parts: []string{fam.GetName()}}
		}
		for _, m := range fam.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			name := t.render(labels)
			switch fam.GetType() {
			case dto.MetricType_COUNTER:
				out[name] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[name] = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				out[name] = m.GetUntyped().GetValue()
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				out[name+"/count"] = float64(s.GetSampleCount())
				for _, q := range s.GetQuantile() {
					if suffix, ok := quantileNames[q.GetQuantile()]; ok {
						out[name+"/"+suffix] = q.GetValue()
					}
				}
			case dto.MetricType_HISTOGRAM:
				out[name+"/count"] = float64(m.GetHistogram().GetSampleCount())
				out[name+"/sum"] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out, err
}

// Handler serves the snapshot as /metrics/snapshot does: a flat JSON
// object, keys sorted, with ?jsonp=callback and the optional ?timeout=
// (a Mesos duration such as "5secs"; it is validated, and collectors
// bound their own waits).
func (r *Registry) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !httpjson.ReadOnly(w, req) {
			return
		}
		if t := req.URL.Query().Get("timeout"); t != "" {
			if _, err := protocol.ParseDuration(t); err != nil {
				http.Error(w, fmt.Sprintf("Invalid timeout '%s': %v", t, err), http.StatusBadRequest)
				return
			}
		}
		if _, ok := httpjson.Callback(w, req); !ok {
			return
		}
		snap, _ := r.Snapshot() // a failing collector leaves its metrics out
		httpjson.Write(w, req, snap)
	})
}

// quantileNames are the percentiles libprocess publishes.
var quantileNames = map[float64]string{
	0.5: "p50", 0.9: "p90", 0.95: "p95", 0.99: "p99", 0.999: "p999", 0.9999: "p9999",
}

// Keys returns a snapshot's names, sorted (for tests and tools).
func Keys(snap map[string]float64) []string {
	out := make([]string, 0, len(snap))
	for k := range snap {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
