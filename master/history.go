package master

// The master's allocation over the last hour, for the UI's plots: one
// sample every HistoryInterval, taken on the master actor by a keyed
// timer (historyTimerKey, the shell's own: the core never sees it) from
// an incremental tally of the cluster (a streamWatch of its own, as
// /master/stream keeps), kept in a ring of HistorySamples and served by
// /master/allocation-history from a copy published under a mutex, so a
// reader never waits for the actor.

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gomesos/gomesos/internal/httpjson"
)

// History tuning: a sample every HistoryInterval, HistorySamples of them
// (an hour). The first sample is taken historyFirst after the master
// starts, so a page opened soon after has a point from before it.
const (
	HistoryInterval = 15 * time.Second
	HistorySamples  = 240
	historyFirst    = time.Second
	historyTimerKey = "ui/history"
)

// HistorySample is the cluster at one time: scalar resources (cpus,
// gpus, mem, disk) of the registered agents, used by tasks and executors
// and offered; task counts by state; offers, active frameworks and agents.
type HistorySample struct {
	Time              float64            `json:"time"` // seconds since the epoch
	Total             map[string]float64 `json:"total"`
	Used              map[string]float64 `json:"used"`
	Offered           map[string]float64 `json:"offered"`
	Tasks             TaskCounts         `json:"tasks"`
	OutstandingOffers int                `json:"outstanding_offers"`
	ActiveFrameworks  int                `json:"active_frameworks"`
	ActivatedSlaves   int                `json:"activated_slaves"`
}

// sampleOf is what an overview shows of the cluster at now.
func sampleOf(now time.Time, ov *Overview) HistorySample {
	return HistorySample{
		Time: seconds(now), Total: ov.Resources.Total, Used: ov.Resources.Used, Offered: ov.Resources.Offered,
		Tasks: ov.Tasks, OutstandingOffers: ov.OutstandingOffers, ActiveFrameworks: ov.ActiveFrameworks,
		ActivatedSlaves: ov.ActivatedSlaves,
	}
}

// allocHistory is a bounded ring of samples, oldest first. The master
// actor adds; HTTP handlers read. Samples are never changed once added.
type allocHistory struct {
	mu      sync.Mutex
	samples []HistorySample // ring of at most max
	next    int             // where the next sample goes once full
	max     int
}

func newAllocHistory(max int) *allocHistory {
	return &allocHistory{max: max, samples: make([]HistorySample, 0, max)}
}

// add records s, dropping the oldest sample when full. A sample older
// than the newest (a clock that went back) is dropped: the list stays
// ordered by time.
func (h *allocHistory) add(s HistorySample) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := len(h.samples); n > 0 && s.Time < h.newest().Time {
		return
	}
	if len(h.samples) < h.max {
		h.samples = append(h.samples, s)
		return
	}
	h.samples[h.next] = s
	h.next = (h.next + 1) % h.max
}

// newest is the last sample added; h.mu is held and there is one.
func (h *allocHistory) newest() HistorySample {
	if len(h.samples) < h.max {
		return h.samples[len(h.samples)-1]
	}
	return h.samples[(h.next+h.max-1)%h.max]
}

// since returns the samples taken at or after t (seconds), oldest first.
func (h *allocHistory) since(t float64) []HistorySample {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]HistorySample, 0, len(h.samples))
	for i := range h.samples {
		s := h.samples[(h.next+i)%len(h.samples)]
		if s.Time >= t {
			out = append(out, s)
		}
	}
	return out
}

// historySampler takes the samples on the master actor.
type historySampler struct {
	watch    *streamWatch
	history  *allocHistory
	interval time.Duration
}

func newHistorySampler(h *allocHistory, interval time.Duration) *historySampler {
	w := newStreamWatch(0)
	w.overview = true
	return &historySampler{watch: w, history: h, interval: interval}
}

// sample reads c at now into the history, if c leads.
func (s *historySampler) sample(now time.Time, c *Core) {
	if !c.acting() {
		return
	}
	tick := s.watch.tick(c)
	s.history.add(sampleOf(now, &tick.overview))
}

// serveAllocationHistory answers /master/allocation-history: the samples
// of the last hour, oldest first, or those since ?since=<seconds since
// the epoch>.
//
//	{"interval_secs": 15, "capacity": 240, "samples": [HistorySample...]}
func (m *Master) serveAllocationHistory(w http.ResponseWriter, r *http.Request) {
	since := 0.0
	if v := r.URL.Query().Get("since"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f != f || f < 0 {
			http.Error(w, fmt.Sprintf("Failed to parse since: '%s' is not a non-negative number of seconds since the epoch", v), http.StatusBadRequest)
			return
		}
		since = f
	}
	if _, ok := httpjson.Callback(w, r); !ok {
		return
	}
	httpjson.Write(w, r, map[string]any{
		"interval_secs": m.historyInterval.Seconds(),
		"capacity":      m.history.max,
		"samples":       m.history.since(since),
	})
}
