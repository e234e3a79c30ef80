package actors

import (
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestTracingDroppedAndDeadLetter(t *testing.T) {
	tr := &recordingTracer{}
	n := newTestNode(t, func(c *Config) { c.Tracer = tr })
	p, counts := spawnCounter(t, n)
	n.Filters().DropOne(Match{Type: TypeOf[*wrapperspb.Int64Value]()})
	n.Send(PID{}, p, wrapperspb.Int64(1))
	n.Send(PID{}, p, wrapperspb.Bool(true))
	recv(t, counts, "count")
	missing := PID{ID: "missing", Address: n.Address()}
	n.Send(p, missing, wrapperspb.String("lost"))
	var dropped, dead bool
	for _, e := range tr.snapshot() {
		switch {
		case e.Kind == Dropped && e.Type == TypeOf[*wrapperspb.Int64Value]() && e.To == p && e.MsgID != "":
			dropped = true
		case e.Kind == DeadLetter && e.To == missing && e.From == p && e.Type == TypeOf[*wrapperspb.StringValue]():
			dead = true
		}
	}
	if !dropped || !dead {
		t.Fatalf("dropped %v, dead letter %v: %+v", dropped, dead, tr.snapshot())
	}
	if n.Stats().DeadLetters != 1 {
		t.Fatalf("DeadLetters = %d", n.Stats().DeadLetters)
	}
	n.SetTracer(nil)
	n.Send(PID{}, p, wrapperspb.Bool(true))
	recv(t, counts, "count")
}

func TestEventKindString(t *testing.T) {
	for k, s := range map[EventKind]string{Sent: "Sent", Received: "Received", Dropped: "Dropped", DeadLetter: "DeadLetter", 9: "EventKind(9)"} {
		if k.String() != s {
			t.Errorf("%d: %q", k, k.String())
		}
	}
}

// Messages sent untraced get their numbers from their mailbox's block of
// the node's counter: each starts a trace of its own, on every mailbox.
// Handlers hold the messages until a tracer is set, then forward them:
// the Sent events carry the trace ids the untraced sends were given.
func TestUntracedSendsStartDistinctTraces(t *testing.T) {
	n := newTestNode(t)
	sink := spawn(t, n, "sink", &proc{})
	gate := make(chan struct{})
	fwd := func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.Int64Value) {
			<-gate
			c.Send(sink, m)
		})
	}
	a := spawn(t, n, "a", &proc{init: fwd})
	b := spawn(t, n, "b", &proc{init: fwd})
	const each = 2*idBlock + 3 // past a block on each mailbox
	for i := 0; i < each; i++ {
		n.Send(PID{}, a, wrapperspb.Int64(int64(i)))
		n.Send(PID{}, b, wrapperspb.Int64(int64(i)))
	}
	tr := &recordingTracer{}
	n.SetTracer(tr)
	close(gate)
	barrier(t, n, a)
	barrier(t, n, b)
	seen := map[string]bool{}
	sent := 0
	for _, e := range tr.snapshot() {
		if e.Kind != Sent || e.To != sink {
			continue
		}
		sent++
		if e.TraceID == "" || seen[e.TraceID] {
			t.Fatalf("trace id %q empty or given twice", e.TraceID)
		}
		seen[e.TraceID] = true
	}
	if sent != 2*each {
		t.Fatalf("%d forwards traced, want %d", sent, 2*each)
	}
}
