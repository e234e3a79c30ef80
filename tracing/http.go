package tracing

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gomesos/gomesos/internal/httpjson"
)

//go:embed ui.html
var uiPage []byte

// Paths served by Handler, relative to where it is mounted.
const (
	PathEvents  = "/trace"
	PathStream  = "/trace/stream"
	PathDiagram = "/trace/diagram"
	PathUI      = "/trace/ui"
)

// DefaultLimit is the number of events /trace returns without ?limit.
const DefaultLimit = 1000

// heartbeat keeps idle event streams open through proxies.
const heartbeat = 15 * time.Second

// Handler serves rec's ring (rec may be nil, or have no ring: then every
// path answers 404 saying that tracing is off):
//
//	GET /trace?task=&framework=&agent=&offer=&type=&process=&since=&until=&limit=N
//	    the last N (default 1000) matching events, as JSON: {"process",
//	    "stats", "events": [records]}. task selects the task's whole flow
//	    (see SelectFlow); the other parameters filter as mesos-trace
//	    filter's flags do (comma-separated alternatives).
//	GET /trace/stream?replay=N&type=&task=&...
//	    server-sent events: each event's data is one record; "lost" events
//	    say how many records a slow client missed. replay=N first sends
//	    the last N held events.
//	GET /trace/diagram?task=ID&format=html|svg|mermaid (or framework=,
//	    agent=, offer=): the sequence diagram of a flow.
//	GET /trace/ui: a page that shows the live flow and draws the sequence
//	    diagram of a chosen task.
//
// Mount it on both "/trace" and "/trace/".
func Handler(rec *Recorder) http.Handler {
	return &handler{rec: rec}
}

type handler struct{ rec *Recorder }

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !httpjson.ReadOnly(w, r) {
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path == PathUI && r.URL.Path != PathUI {
		// The page's links are relative to /trace/ui.
		http.Redirect(w, r, "../ui", http.StatusMovedPermanently) // relative: works under any mount prefix
		return
	}
	if path == PathUI {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(uiPage)
		return
	}
	ring := h.rec.Ring()
	if ring == nil {
		http.Error(w, "message tracing is off in this process: start it with --trace_ring_size=N (N > 0) to keep recent events in memory", http.StatusNotFound)
		return
	}
	switch path {
	case PathEvents:
		h.events(w, r, ring)
	case PathStream:
		h.stream(w, r, ring)
	case PathDiagram:
		h.diagram(w, r, ring)
	default:
		http.NotFound(w, r)
	}
}

func list(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// filterFrom reads the filter parameters; first is the base of relative
// times.
func filterFrom(q url.Values, first time.Time) (*Filter, error) {
	f := &Filter{
		Task: list(q, "task"), Framework: list(q, "framework"), Agent: list(q, "agent"),
		Offer: list(q, "offer"), Type: list(q, "type"), Process: list(q, "process"),
	}
	var err error
	if f.Since, err = ParseTimeBound(q.Get("since"), first); err != nil {
		return nil, fmt.Errorf("since: %v", err)
	}
	if f.Until, err = ParseTimeBound(q.Get("until"), first); err != nil {
		return nil, fmt.Errorf("until: %v", err)
	}
	return f, nil
}

func (h *handler) events(w http.ResponseWriter, r *http.Request, ring *Ring) {
	q := r.URL.Query()
	limit := DefaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			http.Error(w, "limit: want a number ≥ 0", http.StatusBadRequest)
			return
		}
		limit = n
	}
	recs := Merge(ring.Records())
	f, err := filterFrom(q, FirstTime(recs))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.Flow = true
	var events []Record
	for _, rec := range f.Apply(recs) {
		if rec.Kind.IsMessage() || rec.Kind == Lost {
			events = append(events, rec)
		}
	}
	if len(events) > limit {
		events = events[len(events)-limit:]
	}
	stats, _ := json.Marshal(h.rec.Stats())
	b := []byte(`{"process":`)
	b = appendString(b, h.rec.Process())
	b = append(b, `,"stats":`...)
	b = append(b, stats...)
	b = append(b, `,"events":[`...)
	for i := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		b = AppendJSON(b, &events[i])
	}
	b = append(b, "]}\n"...)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (h *handler) stream(w http.ResponseWriter, r *http.Request, ring *Ring) {
	q := r.URL.Query()
	f, err := filterFrom(q, time.Time{})
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	replay := 0
	if s := q.Get("replay"); s != "" {
		if replay, err = strconv.Atoi(s); err != nil || replay < 0 {
			http.Error(w, "replay: want a number ≥ 0", http.StatusBadRequest)
			return
		}
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	sub, held, ok := ring.subscribe()
	if !ok {
		http.Error(w, "tracing has stopped", http.StatusServiceUnavailable)
		return
	}
	defer ring.unsubscribe(sub)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	var (
		rec Record
		buf []byte
	)
	send := func(e *entry) {
		e.fill(&rec, ring.process)
		if !f.matchStream(&rec) {
			return
		}
		buf = append(buf[:0], "data: "...)
		buf = AppendJSON(buf, &rec)
		buf = append(buf, "\n\n"...)
		_, _ = w.Write(buf)
	}
	if replay > 0 {
		if len(held) > replay {
			held = held[len(held)-replay:]
		}
		for _, e := range held {
			send(e)
		}
	}
	_, _ = w.Write([]byte(": gomesos trace stream of " + ring.process + "\n\n"))
	flusher.Flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case e := <-sub.ch:
			send(e)
			for more := true; more; {
				select {
				case e := <-sub.ch:
					send(e)
				default:
					more = false
				}
			}
			if d := ring.takeDropped(sub); d > 0 {
				fmt.Fprintf(w, "event: lost\ndata: {\"lost\":%d}\n\n", d)
			}
			flusher.Flush()
		case <-tick.C:
			_, _ = w.Write([]byte(": keepalive\n\n"))
			flusher.Flush()
		case <-r.Context().Done():
			return
		case <-ring.done:
			return
		}
	}
}

// matchStream applies a filter to one live record (no flows: the future
// is unknown).
func (f *Filter) matchStream(r *Record) bool {
	return f.matchTime(r) && f.matchProcess(r, nil) && matchType(f.Type, r) &&
		anyIn(f.Task, r.IDs.Task) && anyIn(f.Framework, r.IDs.Framework) &&
		anyIn(f.Agent, r.IDs.Agent) && anyIn(f.Offer, r.IDs.Offer)
}

func (h *handler) diagram(w http.ResponseWriter, r *http.Request, ring *Ring) {
	q := r.URL.Query()
	sel := Selector{Task: q.Get("task"), Framework: q.Get("framework"), Agent: q.Get("agent"), Offer: q.Get("offer")}
	if sel.IsZero() {
		http.Error(w, "name a flow: task=ID, framework=ID, agent=ID or offer=ID", http.StatusBadRequest)
		return
	}
	recs := SelectFlow(Merge(ring.Records()), sel)
	d := NewDiagram(sel.String(), Messages(recs))
	switch q.Get("format") {
	case "", "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(d.HTML()))
	case "svg":
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = w.Write([]byte(d.SVG()))
	case "mermaid":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(d.Mermaid()))
	default:
		http.Error(w, "format: want html, svg or mermaid", http.StatusBadRequest)
	}
}
