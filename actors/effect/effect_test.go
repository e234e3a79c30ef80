package effect

import (
	"reflect"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
)

// An outbox hands the effects of each event back in order, once.
func TestOutboxTakesEachEventsEffectsInOrder(t *testing.T) {
	var o Outbox
	peer := actors.PID{ID: "peer", Address: "127.0.0.1:1"}
	if got := o.Take(); got != nil {
		t.Fatalf("empty outbox took %v", got)
	}
	o.Link(peer)
	o.StartTimer("a", time.Second)
	o.CancelTimer("b")
	o.Unlink(peer)
	o.Add("own")
	o.Send(peer, nil)
	first := o.Take()
	want := []Effect{Link{peer}, StartTimer{"a", time.Second}, CancelTimer{"b"}, Unlink{peer}, "own", Send{To: peer}}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("took %v, want %v", first, want)
	}
	o.CancelTimer("c")
	if got := o.Take(); !reflect.DeepEqual(got, []Effect{CancelTimer{"c"}}) {
		t.Fatalf("second event took %v", got)
	}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("the first event's effects changed to %v", first)
	}
}

// BenchmarkOutboxEvent is an event of three effects.
func BenchmarkOutboxEvent(b *testing.B) {
	var o Outbox
	peer := actors.PID{ID: "peer", Address: "127.0.0.1:1"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		o.Send(peer, nil)
		o.StartTimer("t", time.Second)
		o.CancelTimer("u")
		if len(o.Take()) != 3 {
			b.Fatal("lost an effect")
		}
	}
}
