package master

// /master/stream: the cluster's changes as server-sent events
// (text/event-stream), so that a UI never polls the full state.
//
// One hub per Handler reads the core at most once per StreamInterval
// (less often when ticks take more than half of it: tickPace), and only while
// some client listens: a tick runs on the master actor
// (streamWatch), the rest (encoding, diffing, fan-out) off it. Events:
//
//	event: snapshot   {"overview": {...}, "frameworks": [summary...], "slaves": [summary...]}
//	                  (framework summaries here leave out slave_ids)
//	                  first, to every client (from the hub's cache)
//	event: delta      {"overview": {...}, "frameworks": {"added": [...], "updated": [...], "removed": [ids]},
//	                   "slaves": {...same...}, "tasks": [{framework_id, id, name, state, slave_id, timestamp}],
//	                   "tasks_omitted": n}   at most once per interval, only when something changed
//	event: dropped    {"message": "..."}   the client was too slow; the server closes the stream
//	event: unavailable {"message": "..."}  the master did not answer a tick
//	event: closing    {"message": "..."}   the master is shutting down (CloseStreams)
//	": heartbeat"     a comment line every StreamHeartbeat when nothing changed
//
// Agent summaries are large at 10,000 agents: they are sent only to
// clients that ask with ?slaves=true. Frameworks and summaries follow
// /master/state-summary's shapes. Each event has an "id:" that grows by
// one; a client that reconnects (EventSource does) gets a fresh snapshot.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Stream tuning. A client whose buffer of unsent events is full is
// dropped: it gets a "dropped" event and its stream ends.
const (
	StreamInterval       = time.Second
	StreamHeartbeat      = 15 * time.Second
	StreamClientBuffer   = 64
	streamMaxTaskChanges = 200
)

// streamClient is one listener.
type streamClient struct {
	slaves  bool
	events  chan []byte
	dropped chan struct{} // closed when the hub drops the client
	closing chan struct{} // closed when the server shuts down
	primed  bool          // has its snapshot
}

// streamHub fans the core's changes out to clients.
type streamHub struct {
	m        *Master
	interval time.Duration
	buffer   int

	mu      sync.Mutex
	clients map[*streamClient]struct{}
	running bool
	closed  bool          // CloseStreams was called
	done    chan struct{} // closed when the tick loop exits
	seq     uint64
	// The latest view, encoded, for new clients' snapshots.
	primed     bool
	overview   []byte
	agents     map[string][]byte
	frameworks map[string][]byte
	stats      streamStats
}

// streamStats is what the hub's ticks have cost (for measurements).
type streamStats struct {
	ticks             int
	onActor, offActor time.Duration // reading the core; encoding and fan-out
	maxOnActor        time.Duration
}

func newStreamHub(m *Master) *streamHub {
	return &streamHub{m: m, interval: StreamInterval, buffer: StreamClientBuffer, clients: map[*streamClient]struct{}{}}
}

// streamsHandler is the master's handler with a way to end its streams.
type streamsHandler struct {
	http.Handler
	hub *streamHub
}

// CloseStreams ends every /master/stream response with a "closing" event
// and refuses new ones (503). A daemon registers it with its HTTP server's
// RegisterOnShutdown: Shutdown otherwise waits for open streams.
func (s streamsHandler) CloseStreams() { s.hub.close() }

// close is CloseStreams.
func (h *streamHub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.clients {
		delete(h.clients, c)
		close(c.closing)
	}
}

// subscribe adds a client and starts the tick loop if it is the first;
// nil once the streams are closed.
func (h *streamHub) subscribe(slaves bool) *streamClient {
	c := &streamClient{slaves: slaves, events: make(chan []byte, h.buffer), dropped: make(chan struct{}), closing: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	h.clients[c] = struct{}{}
	if !h.running {
		h.running = true
		h.done = make(chan struct{})
		h.primed = false
		go h.loop(h.done)
	} else if h.primed {
		h.prime(c)
	}
	return c
}

// unsubscribe removes a client; the loop stops after the last one.
func (h *streamHub) unsubscribe(c *streamClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
}

// loop ticks while there are clients. A fresh watch each run: a restarted
// loop rebuilds its cache from scratch.
func (h *streamHub) loop(done chan struct{}) {
	defer close(done)
	watch := newStreamWatch(streamMaxTaskChanges)
	pace := tickPace{interval: h.interval}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for range timer.C {
		h.mu.Lock()
		if len(h.clients) == 0 {
			h.running = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), snapshotTimeout)
		var spent time.Duration
		v, err := h.m.call(ctx, func() any {
			start := time.Now()
			defer func() { spent = time.Since(start) }()
			return watch.tick(h.m.proc.core)
		})
		cancel()
		wait := h.interval
		if err != nil {
			msg := mustJSON(map[string]string{"message": "the master did not answer: " + err.Error()})
			h.broadcast("unavailable", func(*streamClient) []byte { return msg })
		} else {
			start := time.Now()
			h.apply(v.(streamTick))
			off := time.Since(start)
			h.mu.Lock()
			h.stats.ticks++
			h.stats.onActor += spent
			h.stats.offActor += off
			h.stats.maxOnActor = max(h.stats.maxOnActor, spent)
			h.mu.Unlock()
			// spent is only read once the call has returned.
			wait = pace.next(spent)
		}
		timer.Reset(wait)
	}
}

// tickPace spaces the ticks: the actor spends about a third of its time
// on the stream at most, by the ticks' average time on it (each tick
// weighs a quarter), so that one slow tick (the first, or one starved on
// a busy machine) does not hold every page back for twice its time.
type tickPace struct {
	interval time.Duration
	avg      time.Duration
}

// next is the wait after a tick that took spent on the actor.
func (p *tickPace) next(spent time.Duration) time.Duration {
	p.avg = (3*p.avg + spent) / 4
	return max(p.interval, 2*p.avg)
}

// listDelta is what changed in one list of summaries.
type listDelta struct {
	Added   []json.RawMessage `json:"added"`
	Updated []json.RawMessage `json:"updated"`
	Removed []string          `json:"removed"`
}

func (d *listDelta) empty() bool { return len(d.Added)+len(d.Updated)+len(d.Removed) == 0 }

// diff folds changed entries into the cache and says what changed.
func diff[T any](cache map[string][]byte, changed []T, id func(*T) string, gone []string) listDelta {
	d := listDelta{Added: []json.RawMessage{}, Updated: []json.RawMessage{}, Removed: []string{}}
	for i := range changed {
		body := mustJSON(changed[i])
		key := id(&changed[i])
		old, ok := cache[key]
		switch {
		case !ok:
			d.Added = append(d.Added, body)
		case !bytes.Equal(old, body):
			d.Updated = append(d.Updated, body)
		default:
			continue
		}
		cache[key] = body
	}
	for _, key := range gone {
		if _, ok := cache[key]; ok {
			delete(cache, key)
			d.Removed = append(d.Removed, key)
		}
	}
	return d
}

// apply turns a tick into events: the first primes the cache and sends
// snapshots; later ones send a delta when something changed.
func (h *streamHub) apply(t streamTick) {
	overview := mustJSON(t.overview)
	h.mu.Lock()
	if !h.primed {
		h.agents, h.frameworks = map[string][]byte{}, map[string][]byte{}
	}
	agents := diff(h.agents, t.agents, func(a *AgentSummary) string { return a.ID }, t.agentsGone)
	fws := diff(h.frameworks, t.frameworks, func(f *streamFramework) string { return f.ID }, t.frameworksGone)
	changed := !bytes.Equal(overview, h.overview) || !agents.empty() || !fws.empty() || len(t.tasks) > 0
	h.overview = overview
	wasPrimed := h.primed
	h.primed = true
	if !wasPrimed {
		for c := range h.clients {
			h.prime(c)
		}
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	if !changed {
		return
	}
	type delta struct {
		Overview     json.RawMessage `json:"overview"`
		Frameworks   listDelta       `json:"frameworks"`
		Slaves       *listDelta      `json:"slaves,omitempty"`
		Tasks        []TaskChange    `json:"tasks"`
		TasksOmitted int             `json:"tasks_omitted"`
	}
	d := delta{Overview: overview, Frameworks: fws, Tasks: t.tasks, TasksOmitted: t.tasksOmitted}
	if d.Tasks == nil {
		d.Tasks = []TaskChange{}
	}
	without := mustJSON(d)
	with := without
	if !agents.empty() {
		d.Slaves = &agents
		with = mustJSON(d)
	}
	h.broadcast("delta", func(c *streamClient) []byte {
		if !c.primed {
			return nil
		}
		if c.slaves {
			return with
		}
		return without
	})
}

// prime sends c its snapshot from the cache; h.mu is held.
func (h *streamHub) prime(c *streamClient) {
	if c.primed {
		return
	}
	c.primed = true
	var b bytes.Buffer
	b.WriteString(`{"overview":`)
	b.Write(h.overview)
	writeList := func(name string, m map[string][]byte) {
		b.WriteString(`,"` + name + `":[`)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(m[k])
		}
		b.WriteByte(']')
	}
	writeList("frameworks", h.frameworks)
	if c.slaves {
		writeList("slaves", h.agents)
	}
	b.WriteByte('}')
	h.seq++
	h.deliver(c, sseEvent("snapshot", h.seq, b.Bytes()))
}

// broadcast sends each client the event name with data(client) (none
// when nil), under one new id.
func (h *streamHub) broadcast(name string, data func(*streamClient) []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	for c := range h.clients {
		if d := data(c); d != nil {
			h.deliver(c, sseEvent(name, h.seq, d))
		}
	}
}

// deliver queues an event for c, or drops c when its buffer is full;
// h.mu is held.
func (h *streamHub) deliver(c *streamClient, ev []byte) {
	select {
	case c.events <- ev:
	default:
		h.drop(c)
	}
}

// drop ends c's stream with a "dropped" event; h.mu is held.
func (h *streamHub) drop(c *streamClient) {
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.dropped)
	}
}

// sseEvent renders one event; data is one line of JSON.
func sseEvent(name string, id uint64, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("event: ")
	b.WriteString(name)
	b.WriteByte('\n')
	if id > 0 {
		b.WriteString("id: ")
		b.WriteString(strconv.FormatUint(id, 10))
		b.WriteByte('\n')
	}
	b.WriteString("data: ")
	b.Write(data)
	b.WriteString("\n\n")
	return b.Bytes()
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain values go in: a failure is a bug, said in the stream.
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	return b
}

// serveStream answers /master/stream.
func (h *streamHub) serveStream(w http.ResponseWriter, r *http.Request) {
	slaves := false
	if v := r.URL.Query().Get("slaves"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			http.Error(w, "Failed to parse slaves: '"+v+"' is not a boolean", http.StatusBadRequest)
			return
		}
		slaves = b
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "Streaming is not supported by this connection", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	if r.Method == http.MethodHead {
		hdr.Set("Content-Type", "text/event-stream")
		return
	}
	c := h.subscribe(slaves)
	if c == nil {
		http.Error(w, "The master is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.unsubscribe(c)
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// Reconnect after 2 s (EventSource's retry field).
	if _, err := w.Write([]byte("retry: 2000\n\n")); err != nil {
		return
	}
	flusher.Flush()
	heartbeat := time.NewTicker(StreamHeartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.closing:
			w.Write(sseEvent("closing", 0, mustJSON(map[string]string{"message": "the master is shutting down"})))
			flusher.Flush()
			return
		case <-c.dropped:
			w.Write(sseEvent("dropped", 0, mustJSON(map[string]string{
				"message": "this client did not read the stream fast enough and was dropped; reconnect to get a fresh snapshot",
			})))
			flusher.Flush()
			return
		case ev := <-c.events:
			if _, err := w.Write(ev); err != nil {
				return
			}
			// Write whatever else is queued before flushing once.
			for more := true; more; {
				select {
				case ev := <-c.events:
					if _, err := w.Write(ev); err != nil {
						return
					}
				default:
					more = false
				}
			}
			flusher.Flush()
		case <-heartbeat.C:
			if _, err := w.Write([]byte(": heartbeat\n\n")); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}
