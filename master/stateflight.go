package master

import (
	"context"
	"net/http"
	"sync"

	"github.com/gomesos/gomesos/internal/httpjson"
)

// stateFlight shares one rendering of /master/state among the requests
// that arrive while it is being built, as Mesos batches its state
// requests, so N clients polling at once cost one rendering. A rendering
// takes a snapshot on the master actor (milliseconds) and encodes it off
// the actor.
type stateFlight struct {
	m        *Master
	mu       sync.Mutex
	cur      *flight
	builds   int            // renderings started, for tests
	renderer *stateRenderer // used by one rendering at a time
	waiting  int            // callers waiting now, for tests
}

type flight struct {
	done chan struct{}
	body []byte
	err  error
}

// get returns the JSON of /master/state, rendered once for every caller
// waiting at the same time. The rendering does not depend on the first
// caller's context: another caller's is not cut short by it.
func (s *stateFlight) get(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	f := s.cur
	if f == nil {
		f = &flight{done: make(chan struct{})}
		s.cur = f
		s.builds++
		go s.render(f)
	}
	s.waiting++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.waiting--
		s.mu.Unlock()
	}()
	select {
	case <-f.done:
		return f.body, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *stateFlight) render(f *flight) {
	ctx, cancel := context.WithTimeout(context.Background(), snapshotTimeout)
	defer cancel()
	v, err := s.m.call(ctx, func() any { return s.m.proc.core.stateSnapshot(s.m.startTime) })
	var body []byte
	if err == nil {
		if s.renderer == nil {
			s.renderer = newStateRenderer()
		}
		body, err = s.renderer.render(v.(*stateSnap))
	}
	s.mu.Lock()
	s.cur = nil // later requests render afresh
	s.mu.Unlock()
	f.body, f.err = body, err
	close(f.done)
}

// serveState answers /master/state and its aliases.
func (s *stateFlight) serveState(w http.ResponseWriter, r *http.Request) {
	if _, ok := httpjson.Callback(w, r); !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout)
	defer cancel()
	body, err := s.get(ctx)
	if err != nil {
		http.Error(w, "Master is unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	httpjson.WriteBytes(w, r, body)
}
