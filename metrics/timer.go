package metrics

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Timer records durations in milliseconds as libprocess' Timer does: the
// last value under its name, and statistics over the values of the last
// Window (at most Capacity of them) once there are two.
type Timer struct {
	// Window and Capacity bound the values statistics are computed over.
	Window   time.Duration
	Capacity int

	now func() time.Time

	mu     sync.Mutex
	last   float64
	has    bool
	values []timed

	lastDesc, minDesc, maxDesc, sumDesc *prometheus.Desc
}

type timed struct {
	at time.Time
	ms float64
}

// Timer registers a timer; name is the full Mesos name, with its "_ms"
// suffix (e.g. "allocator/mesos/allocation_run_ms"). window is how far
// back statistics reach (libprocess' allocator timers use an hour).
func (r *Registry) Timer(name, help string, window time.Duration) *Timer {
	t := &Timer{Window: window, Capacity: 1000, now: time.Now}
	t.lastDesc = r.Desc(name, help)
	t.minDesc = r.Desc(name+"/min", help+" (minimum)")
	t.maxDesc = r.Desc(name+"/max", help+" (maximum)")
	prom, _ := r.declare(name+"/stats", summary)
	t.sumDesc = prometheus.NewDesc(prom, help+" (count and percentiles)", nil, nil)
	// The summary renders as name/count and name/pNN: point its
	// template at the base name.
	r.mu.Lock()
	r.names[prom].parts = []string{name}
	r.mu.Unlock()
	r.MustRegister(t)
	return t
}

// Observe records one duration.
func (t *Timer) Observe(d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last, t.has = ms, true
	t.values = append(t.values, timed{now, ms})
	t.trim(now)
}

func (t *Timer) trim(now time.Time) {
	drop := 0
	for drop < len(t.values) && (t.Window > 0 && now.Sub(t.values[drop].at) > t.Window) {
		drop++
	}
	if over := len(t.values) - drop - t.Capacity; t.Capacity > 0 && over > 0 {
		drop += over
	}
	if drop > 0 {
		t.values = append(t.values[:0], t.values[drop:]...)
	}
}

// Stats returns the count and the values at the published percentiles
// (linear interpolation between neighbours, as libprocess computes
// them); ok is false below two values.
func (t *Timer) Stats() (count int, min, max float64, pct map[float64]float64, ok bool) {
	t.mu.Lock()
	t.trim(t.now())
	vals := make([]float64, len(t.values))
	for i, v := range t.values {
		vals[i] = v.ms
	}
	t.mu.Unlock()
	if len(vals) < 2 {
		return len(vals), 0, 0, nil, false
	}
	slices.Sort(vals)
	pct = map[float64]float64{}
	for q := range quantileNames {
		pct[q] = percentile(vals, q)
	}
	return len(vals), vals[0], vals[len(vals)-1], pct, true
}

func percentile(sorted []float64, p float64) float64 {
	if p <= 0 {
		return sorted[0]
	}
	if p >= 1 {
		return sorted[len(sorted)-1]
	}
	pos := p * float64(len(sorted)-1)
	i := int(pos)
	return sorted[i] + (sorted[i+1]-sorted[i])*(pos-float64(i))
}

// Describe implements prometheus.Collector.
func (t *Timer) Describe(ch chan<- *prometheus.Desc) {
	ch <- t.lastDesc
	ch <- t.minDesc
	ch <- t.maxDesc
	ch <- t.sumDesc
}

// Collect implements prometheus.Collector.
func (t *Timer) Collect(ch chan<- prometheus.Metric) {
	t.mu.Lock()
	last, has := t.last, t.has
	t.mu.Unlock()
	if !has {
		return
	}
	ch <- prometheus.MustNewConstMetric(t.lastDesc, prometheus.GaugeValue, last)
	count, min, max, pct, ok := t.Stats()
	if !ok {
		return
	}
	ch <- prometheus.MustNewConstMetric(t.minDesc, prometheus.GaugeValue, min)
	ch <- prometheus.MustNewConstMetric(t.maxDesc, prometheus.GaugeValue, max)
	var sum float64
	t.mu.Lock()
	for _, v := range t.values {
		sum += v.ms
	}
	t.mu.Unlock()
	ch <- prometheus.MustNewConstSummary(t.sumDesc, uint64(count), sum, pct)
}
