package master

import (
	"context"
	"net/http"
	"sync"

	"github.com/gomesos/gomesos/internal/httpjson"
)

// stateFlight shares one rendering of /master/state among the requests
// that arrive while it is being built, as Mesos batches its state
// requests: at 10,000 agents a rendering costs seconds of CPU, a third of
// them on the master actor, so N clients polling at once cost one.
type stateFlight struct {
	m       *Master
	mu      sync.Mutex
	cur     *flight
	builds  int         // renderings started, for tests
	cache   *stateCache // used on the master actor only
	waiting int         // callers waiting now, for tests
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
	type rendered struct {
		body []byte
		err  error
	}
	v, err := s.m.call(ctx, func() any {
		if s.cache == nil {
			s.cache = newStateCache()
		}
		body, err := s.cache.render(s.m.proc.core, s.m.startTime)
		return rendered{body, err}
	})
	var body []byte
	if err == nil {
		r := v.(rendered)
		body, err = r.body, r.err
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
