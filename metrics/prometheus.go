package metrics

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/internal/httpjson"
)

// PromPrefix starts every metric name /metrics exposes: Mesos' name with
// "/" as "_" after it ("master/tasks_running" is
// "mesos_master_tasks_running").
const PromPrefix = "mesos_"

// prefixed gathers a registry and renames every family PromPrefix+name.
type prefixed struct{ g prometheus.Gatherer }

func (p prefixed) Gather() ([]*dto.MetricFamily, error) {
	fams, err := p.g.Gather()
	for _, f := range fams {
		f.Name = proto.String(PromPrefix + f.GetName())
	}
	return fams, err
}

// PrometheusHandler serves every metric in Prometheus' text exposition
// format (or another format the scraper asks for), names prefixed with
// PromPrefix, with the same values /metrics/snapshot renders. Metrics
// with label placeholders keep them as labels:
// "allocator/mesos/roles/eng/shares/dominant" is
// mesos_allocator_mesos_roles_role_shares_dominant{role="eng"}.
func (r *Registry) PrometheusHandler() http.Handler {
	h := promhttp.HandlerFor(prefixed{r.prom}, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !httpjson.ReadOnly(w, req) {
			return
		}
		h.ServeHTTP(w, req)
	})
}

// MesosName maps a family name as PrometheusHandler exposes it and one
// metric's labels back to the Mesos name /metrics/snapshot uses. ok is
// false for names this registry did not declare.
func (r *Registry) MesosName(promName string, labels map[string]string) (string, bool) {
	name, ok := strings.CutPrefix(promName, PromPrefix)
	if !ok {
		return "", false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.names[name]
	if t == nil {
		return "", false
	}
	return t.render(labels), true
}

// ParsePrometheus reads a body PrometheusHandler wrote, with Prometheus'
// own text parser, and returns its values under their Mesos names
// (summaries as name/count and name/pNN, as the snapshot has them). A
// family without HELP text or one this registry did not declare is an
// error.
func (r *Registry) ParsePrometheus(body io.Reader) (map[string]float64, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for promName, f := range fams {
		if f.GetHelp() == "" {
			return nil, fmt.Errorf("%s has no HELP text", promName)
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			name, ok := r.MesosName(promName, labels)
			if !ok {
				return nil, fmt.Errorf("%s is not a declared metric", promName)
			}
			switch {
			case m.Counter != nil:
				out[name] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[name] = m.GetGauge().GetValue()
			case m.Untyped != nil:
				out[name] = m.GetUntyped().GetValue()
			case m.Summary != nil:
				out[name+"/count"] = float64(m.GetSummary().GetSampleCount())
				for _, q := range m.GetSummary().GetQuantile() {
					if s, ok := quantileNames[q.GetQuantile()]; ok {
						out[name+"/"+s] = q.GetValue()
					}
				}
			}
		}
	}
	return out, nil
}
