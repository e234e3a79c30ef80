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

// A list handed back with Reuse holds the next event's effects, and
// nothing of what it held; effects queued before it came back are kept.
func TestOutboxReusesAHandedBackList(t *testing.T) {
	var o Outbox
	peer := actors.PID{ID: "peer", Address: "127.0.0.1:1"}
	o.Link(peer)
	o.Unlink(peer)
	o.Send(peer, nil)
	first := o.Take()
	o.CancelTimer("kept")
	o.Reuse(first)
	o.StartTimer("a", time.Second)
	second := o.Take()
	if want := []Effect{CancelTimer{"kept"}, StartTimer{"a", time.Second}}; !reflect.DeepEqual(second, want) {
		t.Fatalf("took %v, want %v", second, want)
	}
	if &second[0] != &first[:1][0] {
		t.Fatal("the handed-back list was not reused")
	}
	if rest := second[len(second):cap(second)]; rest[0] != nil {
		t.Fatalf("the reused list still holds %v", rest[0])
	}
	o.Reuse(second)
	if got := o.Take(); got != nil {
		t.Fatalf("an event without effects took %v", got)
	}
	o.Link(peer)
	if got := o.Take(); &got[0] != &second[:1][0] {
		t.Fatal("an event without effects dropped the reused list")
	}
}

// BenchmarkOutboxEvent is an event of three effects, its list dropped
// (fresh) or handed back once used (reused).
func BenchmarkOutboxEvent(b *testing.B) {
	peer := actors.PID{ID: "peer", Address: "127.0.0.1:1"}
	for _, reuse := range []bool{false, true} {
		name := "fresh"
		if reuse {
			name = "reused"
		}
		b.Run(name, func(b *testing.B) {
			var o Outbox
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				o.Send(peer, nil)
				o.StartTimer("t", time.Second)
				o.CancelTimer("u")
				l := o.Take()
				if len(l) != 3 {
					b.Fatal("lost an effect")
				}
				if reuse {
					o.Reuse(l)
				}
			}
		})
	}
}
