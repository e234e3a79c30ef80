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
