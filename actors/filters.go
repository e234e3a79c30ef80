package actors

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ErrTimeout is returned by Future.Wait when the message did not arrive in time.
var ErrTimeout = errors.New("actors: timed out waiting for the message")

// ErrCancelled is returned by Future.Wait after Future.Cancel.
var ErrCancelled = errors.New("actors: expectation cancelled")

// Filters lets tests see, wait for and drop messages (libprocess'
// FUTURE_PROTOBUF / DROP_PROTOBUF). Filters apply where the receiver lives,
// before the handler runs. Safe for concurrent use.
//
// Expectations see every matching message, dropped or not (so Expect plus
// DropOne is DROP_PROTOBUF's future); then the oldest matching Drop or
// DropOne decides whether the message is dropped.
type Filters struct {
	mu      sync.Mutex
	count   atomic.Int32 // len(expects)+len(drops): the fast path reads only this
	expects []*filter
	drops   []*filter
}

type filter struct {
	m    Match
	once bool        // DropOne or Expect: consumed by one message
	used atomic.Bool // claimed by a message
	fut  *Future     // Expect only
}

func newFilters() *Filters { return &Filters{} }

// Match selects messages. Zero fields match anything.
type Match struct {
	Type protoreflect.FullName // e.g. "mesos.internal.RunTaskMessage"
	From PID
	To   PID
	// Where, if set, must also return true. It runs on the receiving
	// process' goroutine and must not block.
	Where func(proto.Message) bool
}

func (m *Match) matches(name protoreflect.FullName, msg proto.Message, from, to PID) bool {
	if m.Type != "" && m.Type != name {
		return false
	}
	if !m.From.IsZero() && m.From != from {
		return false
	}
	if !m.To.IsZero() && m.To != to {
		return false
	}
	return m.Where == nil || m.Where(msg)
}

func (f *Filters) active() bool { return f.count.Load() != 0 }

func (f *Filters) add(list *[]*filter, e *filter) {
	f.mu.Lock()
	*list = append(*list, e)
	f.count.Add(1)
	f.mu.Unlock()
}

func (f *Filters) remove(list *[]*filter, e *filter) {
	f.mu.Lock()
	if i := slices.Index(*list, e); i >= 0 {
		*list = slices.Delete(*list, i, i+1)
		f.count.Add(-1)
	}
	f.mu.Unlock()
}

// apply reports whether the message must be dropped, completing the
// expectations it satisfies.
func (f *Filters) apply(name protoreflect.FullName, msg proto.Message, from, to PID) bool {
	f.mu.Lock()
	expects := slices.Clone(f.expects)
	drops := slices.Clone(f.drops)
	f.mu.Unlock()

	for _, e := range expects {
		if e.used.Load() || !e.m.matches(name, msg, from, to) {
			continue
		}
		if e.used.CompareAndSwap(false, true) {
			f.remove(&f.expects, e)
			e.fut.complete(proto.Clone(msg)) // the handler may mutate msg
		}
	}
	for _, d := range drops {
		if d.used.Load() || !d.m.matches(name, msg, from, to) {
			continue
		}
		if !d.once {
			return true
		}
		if d.used.CompareAndSwap(false, true) {
			f.remove(&f.drops, d)
			return true
		}
	}
	return false
}

// Drop drops every matching message until the returned cancel is called.
func (f *Filters) Drop(m Match) (cancel func()) {
	e := &filter{m: m}
	f.add(&f.drops, e)
	var once sync.Once
	return func() {
		once.Do(func() {
			e.used.Store(true)
			f.remove(&f.drops, e)
		})
	}
}

// DropOne drops the next matching message only.
func (f *Filters) DropOne(m Match) {
	f.add(&f.drops, &filter{m: m, once: true})
}

// Expect returns a future that completes with the next matching message
// (the message is still delivered).
func (f *Filters) Expect(m Match) *Future {
	fut := &Future{done: make(chan struct{})}
	e := &filter{m: m, once: true, fut: fut}
	fut.cancel = func() {
		if e.used.CompareAndSwap(false, true) {
			f.remove(&f.expects, e)
			fut.err = ErrCancelled
			close(fut.done)
		}
	}
	f.add(&f.expects, e)
	return fut
}

// Future is the result of Expect.
type Future struct {
	done   chan struct{}
	msg    proto.Message
	err    error
	cancel func()
}

func (f *Future) complete(m proto.Message) {
	f.msg = m
	close(f.done)
}

// Wait blocks until the message arrives or timeout passes.
func (f *Future) Wait(timeout time.Duration) (proto.Message, error) {
	select {
	case <-f.done:
		return f.msg, f.err
	default:
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-f.done:
		return f.msg, f.err
	case <-t.C:
		return nil, ErrTimeout
	}
}

// Done is closed when the message has arrived (or the future is cancelled).
func (f *Future) Done() <-chan struct{} { return f.done }

// Cancel withdraws the expectation if it is still pending; Wait then
// returns ErrCancelled.
func (f *Future) Cancel() { f.cancel() }
