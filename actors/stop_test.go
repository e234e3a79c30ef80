package actors

import (
	"sync/atomic"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// queuedAtStop is a node whose next process to be stopped is held in a
// Dispatch until the stop's system message is in its mailbox: whatever was
// queued behind the Dispatch is still queued when the process stops.
type queuedAtStop struct {
	n       *Node
	release atomic.Pointer[chan struct{}]
}

func newQueuedAtStop(t *testing.T) *queuedAtStop {
	q := &queuedAtStop{}
	q.n = newTestNode(t, func(c *Config) {
		c.mailboxHook = func(_ PID, msg any) {
			if _, ok := msg.(*actor.Stop); ok {
				if ch := q.release.Swap(nil); ch != nil {
					close(*ch)
				}
			}
		}
	})
	return q
}

// victim spawns a process, blocks it, and queues k messages sent within
// the node and raw protoactor ones behind the block (k in all).
func (q *queuedAtStop) victim(t *testing.T, k int) PID {
	pid := spawn(t, q.n, "victim", &proc{init: func(c *Context) {
		Install(c, func(PID, *wrapperspb.StringValue) { t.Error("a message was handled after its process stopped") })
	}})
	block, entered := make(chan struct{}), make(chan struct{})
	q.release.Store(&block)
	q.n.Dispatch(pid, func() { close(entered); <-block })
	recv(t, entered, "the process blocked")
	raw := k / 10
	for i := 0; i < k-raw; i++ {
		q.n.Send(PID{}, pid, wrapperspb.String("queued"))
	}
	apid := toActorPID(pid)
	for i := 0; i < raw; i++ {
		q.n.sys.Root.Send(apid, wrapperspb.String("queued"))
	}
	return pid
}

// Messages still queued when a process stops are dead letters by the time
// Stop returns.
func TestStopCountsQueuedMessagesBeforeReturning(t *testing.T) {
	for _, k := range []int{1, 2000} {
		q := newQueuedAtStop(t)
		pid := q.victim(t, k)
		before := q.n.Stats().DeadLetters
		q.n.Stop(pid)
		if got := q.n.Stats().DeadLetters - before; got != uint64(k) {
			t.Errorf("%d queued: Stop returned with %d dead letters counted", k, got)
		}
	}
}

// At Shutdown, the queued messages are traced as dead letters before it
// returns, and the tracer is not called after (as far as this test runs).
func TestShutdownTracesQueuedMessagesBeforeReturning(t *testing.T) {
	const k = 2000
	q := newQueuedAtStop(t)
	var traced, late atomic.Int64
	var returned atomic.Bool
	q.n.SetTracer(tracerFunc(func(e *Event) {
		if returned.Load() {
			late.Add(1)
		}
		if e.Kind == DeadLetter {
			traced.Add(1)
		}
	}))
	q.victim(t, k)
	q.n.Shutdown()
	returned.Store(true)
	if got := traced.Load(); got != k {
		t.Errorf("Shutdown returned with %d of %d queued messages traced as dead letters", got, k)
	}
	if got := q.n.Stats().DeadLetters; got != k {
		t.Errorf("DeadLetters = %d after Shutdown, want %d", got, k)
	}
	t.Cleanup(func() {
		if n := late.Load(); n > 0 {
			t.Errorf("tracer called %d times after Shutdown returned", n)
		}
	})
}

// An event that reaches the node's subscriber after Shutdown (its publisher
// took the subscription before Shutdown removed it) is neither counted nor
// traced.
func TestEventAfterShutdownIgnored(t *testing.T) {
	n := newTestNode(t)
	var traced atomic.Int64
	n.SetTracer(tracerFunc(func(*Event) { traced.Add(1) }))
	pid := spawn(t, n, "gone", &proc{})
	n.Shutdown()
	n.onEvent(&actor.DeadLetterEvent{PID: toActorPID(pid), Message: wrapperspb.String("late")})
	if got := n.Stats().DeadLetters; got != 0 {
		t.Errorf("DeadLetters = %d, want 0", got)
	}
	if got := traced.Load(); got != 0 {
		t.Errorf("tracer called %d times after Shutdown", got)
	}
}

// tracerFunc is a Tracer made of a function.
type tracerFunc func(*Event)

func (f tracerFunc) Trace(e *Event) { f(e) }

// Sends after Shutdown are dropped: not delivered, traced or counted,
// whether to a process that was on the node or to another node.
func TestSendAfterShutdownDropped(t *testing.T) {
	n := newTestNode(t)
	tr := &recordingTracer{}
	n.SetTracer(tr)
	var got atomic.Int64
	pid := spawn(t, n, "done", &proc{init: func(c *Context) {
		Install(c, func(PID, *wrapperspb.StringValue) { got.Add(1) })
	}})
	n.Shutdown()
	before := n.Stats()
	n.Send(PID{}, pid, wrapperspb.String("late"))
	n.Send(pid, PID{ID: "elsewhere", Address: "127.0.0.1:1"}, wrapperspb.String("late"))
	if ev := tr.snapshot(); len(ev) > 0 {
		t.Errorf("tracer called after Shutdown: %+v", ev[0])
	}
	if after := n.Stats(); after != before {
		t.Errorf("stats changed after Shutdown: %+v, then %+v", before, after)
	}
	if got.Load() != 0 {
		t.Error("a message was handled after Shutdown")
	}
}

// What a process' Finalize sends while Shutdown stops the processes is
// still sent: traced, and handled or turned a dead letter (its target is
// stopping too) before Shutdown returns.
func TestFinalizerSendsAtShutdown(t *testing.T) {
	n := newTestNode(t)
	tr := &recordingTracer{}
	n.SetTracer(tr)
	b := spawn(t, n, "b", &proc{init: func(c *Context) {
		Install(c, func(PID, *wrapperspb.StringValue) {})
	}})
	a := spawn(t, n, "a", &proc{final: func(c *Context) { c.Send(b, wrapperspb.String("bye")) }})
	n.Shutdown()
	var sent, ended int
	for _, e := range tr.snapshot() {
		if m, ok := e.Msg.(*wrapperspb.StringValue); !ok || m.Value != "bye" {
			continue
		}
		switch {
		case e.Kind == Sent && e.From == a && e.To == b:
			sent++
		case e.Kind == Received || e.Kind == DeadLetter:
			ended++
		}
	}
	if sent != 1 || ended != 1 {
		t.Errorf("the finalizer's message: %d Sent, %d Received or DeadLetter; want 1 and 1", sent, ended)
	}
}
