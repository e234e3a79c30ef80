package tracing

import (
	"sync"
)

// Ring keeps the most recent events in memory and fans them out to live
// subscribers (the /trace/stream clients). Adding holds a mutex for a few
// nanoseconds and never waits for a subscriber: one that falls behind
// loses events, counted in its stream.
type Ring struct {
	process string

	mu     sync.Mutex
	buf    []*entry
	next   int
	full   bool
	subs   map[*subscriber]struct{}
	closed bool
	done   chan struct{}
}

type subscriber struct {
	ch      chan *entry
	dropped uint64 // under Ring.mu
}

// subscriberQueue is the number of events a stream client may lag behind.
const subscriberQueue = 1024

// NewRing returns a ring of n events.
func NewRing(n int) *Ring {
	if n < 1 {
		n = 1
	}
	return &Ring{buf: make([]*entry, n), subs: map[*subscriber]struct{}{}, done: make(chan struct{})}
}

// Cap returns the number of events the ring holds.
func (r *Ring) Cap() int { return len(r.buf) }

func (r *Ring) add(e *entry) {
	r.mu.Lock()
	r.buf[r.next] = e
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
	for s := range r.subs {
		select {
		case s.ch <- e:
		default:
			s.dropped++
		}
	}
	r.mu.Unlock()
}

// entries returns the events held, oldest first.
func (r *Ring) entries() []*entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.entriesLocked()
}

func (r *Ring) entriesLocked() []*entry {
	var out []*entry
	if r.full {
		out = make([]*entry, 0, len(r.buf))
		out = append(out, r.buf[r.next:]...)
	} else {
		out = make([]*entry, 0, r.next)
	}
	return append(out, r.buf[:r.next]...)
}

// Records returns the events held as records, oldest first.
func (r *Ring) Records() []Record {
	es := r.entries()
	out := make([]Record, len(es))
	for i, e := range es {
		e.fill(&out[i], r.process)
	}
	return out
}

// subscribe returns a live subscription and the events already held
// (none of which the subscription will repeat).
func (r *Ring) subscribe() (*subscriber, []*entry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, nil, false
	}
	s := &subscriber{ch: make(chan *entry, subscriberQueue)}
	r.subs[s] = struct{}{}
	return s, r.entriesLocked(), true
}

func (r *Ring) unsubscribe(s *subscriber) {
	r.mu.Lock()
	delete(r.subs, s)
	r.mu.Unlock()
}

// takeDropped returns and resets the count of events s lost.
func (r *Ring) takeDropped(s *subscriber) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	d := s.dropped
	s.dropped = 0
	return d
}

// Close ends every live stream. Idempotent.
func (r *Ring) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		close(r.done)
	}
}
