package actors

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// counter is a process counting Int64Values and answering BoolValue pings
// (after everything sent before them) with the count.
func spawnCounter(t *testing.T, n *Node) (PID, <-chan int) {
	counts := make(chan int, 16)
	count := 0
	pid := spawn(t, n, "counter", &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.Int64Value) { count++ })
		Install(c, func(PID, *wrapperspb.BoolValue) { counts <- count })
	}})
	return pid, counts
}

func TestFilterExpect(t *testing.T) {
	n := newTestNode(t)
	p, counts := spawnCounter(t, n)
	f := n.Filters().Expect(Match{Type: TypeOf[*wrapperspb.Int64Value](), To: p})
	select {
	case <-f.Done():
		t.Fatal("done early")
	default:
	}
	n.Send(PID{}, p, wrapperspb.Int64(42))
	m, err := f.Wait(deadline)
	if err != nil || m.(*wrapperspb.Int64Value).Value != 42 {
		t.Fatalf("Expect: %v, %v", m, err)
	}
	<-f.Done()
	n.Send(PID{}, p, wrapperspb.Bool(true))
	if c := recv(t, counts, "count"); c != 1 {
		t.Fatalf("message not delivered: count %d", c)
	}
	if n.Filters().active() {
		t.Fatal("satisfied expectation left registered")
	}
}

func TestFilterDropUntilCancel(t *testing.T) {
	n := newTestNode(t)
	p, counts := spawnCounter(t, n)
	cancel := n.Filters().Drop(Match{Type: TypeOf[*wrapperspb.Int64Value]()})
	for i := 0; i < 3; i++ {
		n.Send(PID{}, p, wrapperspb.Int64(int64(i)))
	}
	n.Send(PID{}, p, wrapperspb.Bool(true))
	if c := recv(t, counts, "count"); c != 0 {
		t.Fatalf("handler ran %d times for dropped messages", c)
	}
	cancel()
	cancel() // idempotent
	n.Send(PID{}, p, wrapperspb.Int64(9))
	n.Send(PID{}, p, wrapperspb.Bool(true))
	if c := recv(t, counts, "count"); c != 1 {
		t.Fatalf("count %d after cancel", c)
	}
	if n.Stats().Filtered != 3 {
		t.Fatalf("Filtered = %d", n.Stats().Filtered)
	}
}

func TestFilterDropOneAndMatchFields(t *testing.T) {
	n := newTestNode(t)
	p, counts := spawnCounter(t, n)
	other, otherCounts := spawnCounter(t, n)
	alice := PID{ID: "alice", Address: n.Address()}
	bob := PID{ID: "bob", Address: n.Address()}

	n.Filters().DropOne(Match{Type: TypeOf[*wrapperspb.Int64Value](), From: alice, To: p,
		Where: func(m proto.Message) bool { return m.(*wrapperspb.Int64Value).Value > 10 }})
	n.Send(bob, p, wrapperspb.Int64(100))       // wrong sender: delivered
	n.Send(alice, other, wrapperspb.Int64(100)) // wrong receiver: delivered
	n.Send(alice, p, wrapperspb.Int64(1))       // Where false: delivered
	n.Send(alice, p, wrapperspb.Int64(100))     // dropped
	n.Send(alice, p, wrapperspb.Int64(100))     // only one dropped: delivered
	n.Send(PID{}, p, wrapperspb.Bool(true))
	n.Send(PID{}, other, wrapperspb.Bool(true))
	if c := recv(t, counts, "count"); c != 3 {
		t.Fatalf("count %d, want 3", c)
	}
	if c := recv(t, otherCounts, "other count"); c != 1 {
		t.Fatalf("other count %d, want 1", c)
	}
}

// Expect + DropOne is DROP_PROTOBUF with its future.
func TestFilterExpectDropped(t *testing.T) {
	n := newTestNode(t)
	p, counts := spawnCounter(t, n)
	m := Match{Type: TypeOf[*wrapperspb.Int64Value]()}
	f := n.Filters().Expect(m)
	n.Filters().DropOne(m)
	n.Send(PID{}, p, wrapperspb.Int64(5))
	if got, err := f.Wait(deadline); err != nil || got.(*wrapperspb.Int64Value).Value != 5 {
		t.Fatalf("Expect: %v %v", got, err)
	}
	n.Send(PID{}, p, wrapperspb.Bool(true))
	if c := recv(t, counts, "count"); c != 0 {
		t.Fatalf("dropped message delivered: %d", c)
	}
}

func TestFilterFutureTimeoutAndCancel(t *testing.T) {
	n := newTestNode(t)
	f := n.Filters().Expect(Match{Type: "no.such.Type"})
	if _, err := f.Wait(time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Wait: %v", err)
	}
	f.Cancel()
	if _, err := f.Wait(deadline); !errors.Is(err, ErrCancelled) {
		t.Fatalf("Wait after Cancel: %v", err)
	}
	if n.Filters().active() {
		t.Fatal("cancelled expectation left registered")
	}
}
