package actortest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
)

// short bounds waits that are meant to time out.
const short = 50 * time.Millisecond

func TestExpectTakesOldestMatchAndKeepsTheRest(t *testing.T) {
	node, _ := actortest.NewManualNode(t)
	p := actortest.NewPeer(t, node, actortest.UniqueID("peer"))
	from := actors.PID{ID: "tester", Address: node.Address()}
	node.Send(from, p.PID(), wrapperspb.String("a"))
	node.Send(from, p.PID(), wrapperspb.Int64(1))
	node.Send(from, p.PID(), wrapperspb.String("b"))
	node.Send(from, p.PID(), wrapperspb.Int64(2))

	// A later message of the type is taken first when the match says so.
	if m := actortest.Must(t, p, func(m *wrapperspb.StringValue) bool { return m.Value == "b" }); m.Value != "b" {
		t.Fatalf("got %q, want b", m.Value)
	}
	// The passed-over one is still there, oldest first per type.
	if m := actortest.Must[*wrapperspb.StringValue](t, p, nil); m.Value != "a" {
		t.Fatalf("got %q, want a", m.Value)
	}
	gotFrom, m := actortest.MustFrom[*wrapperspb.Int64Value](t, p, nil)
	if m.Value != 1 || gotFrom != from {
		t.Fatalf("got %d from %v, want 1 from %v", m.Value, gotFrom, from)
	}
	if len(p.Pending()) != 1 || p.Pending()[0].Msg.(*wrapperspb.Int64Value).Value != 2 {
		t.Fatalf("pending %v, want the Int64 2 only", p.Pending())
	}
	rec := p.Received()
	if len(rec) != 4 || rec[0].Msg.(*wrapperspb.StringValue).Value != "a" || rec[3].Msg.(*wrapperspb.Int64Value).Value != 2 {
		t.Fatalf("received %v, want all four in arrival order", rec)
	}
	if all := actortest.All[*wrapperspb.StringValue](p); len(all) != 2 {
		t.Fatalf("All = %v, want both strings", all)
	}
}

func TestExpectWaitsForALateMessage(t *testing.T) {
	node := actortest.NewNode(t, nil)
	p := actortest.NewPeer(t, node, actortest.UniqueID("peer"))
	got := make(chan error, 1)
	go func() {
		_, err := actortest.Expect(p, actortest.DefaultTimeout, func(m *wrapperspb.StringValue) bool { return m.Value == "late" })
		got <- err
	}()
	node.Send(actors.PID{}, p.PID(), wrapperspb.String("early"))
	node.Send(actors.PID{}, p.PID(), wrapperspb.String("late"))
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}

func TestExpectTimesOutNamingWhatIsPending(t *testing.T) {
	node := actortest.NewNode(t, nil)
	p := actortest.NewPeer(t, node, actortest.UniqueID("peer"))
	node.Send(actors.PID{}, p.PID(), wrapperspb.Int64(7))
	actortest.Settle(t, node, p.PID())
	_, err := actortest.Expect[*wrapperspb.StringValue](p, short, nil)
	if !errors.Is(err, actortest.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "google.protobuf.StringValue") || !strings.Contains(err.Error(), "google.protobuf.Int64Value") {
		t.Fatalf("error %q should name the wanted type and the pending one", err)
	}
}

func TestNoneAndDrain(t *testing.T) {
	node := actortest.NewNode(t, nil)
	p := actortest.NewPeer(t, node, actortest.UniqueID("peer"))
	for i := int64(0); i < 3; i++ {
		node.Send(actors.PID{}, p.PID(), wrapperspb.Int64(i))
	}
	actortest.Settle(t, node, p.PID())
	if err := actortest.None[*wrapperspb.StringValue](p, nil); err != nil {
		t.Fatal(err)
	}
	if err := actortest.None(p, func(m *wrapperspb.Int64Value) bool { return m.Value == 2 }); err == nil {
		t.Fatal("None missed a pending Int64 2")
	}
	if n := actortest.Drain[*wrapperspb.Int64Value](p); n != 3 {
		t.Fatalf("Drain = %d, want 3", n)
	}
	if err := actortest.None[*wrapperspb.Int64Value](p, nil); err != nil {
		t.Fatal(err)
	}
	if len(p.Received()) != 3 {
		t.Fatal("Drain must not forget what was received")
	}
}

// Two peers play ping-pong through a hook; Send goes out as the peer.
func TestHandleAnswersAsThePeer(t *testing.T) {
	node := actortest.NewNode(t, nil)
	a := actortest.NewPeer(t, node, actortest.UniqueID("a"))
	b := actortest.NewPeer(t, node, actortest.UniqueID("b"))
	actortest.Handle(b, func(c *actors.Context, from actors.PID, m *wrapperspb.Int64Value) {
		c.Send(from, wrapperspb.String("pong"))
	})
	a.Send(b.PID(), wrapperspb.Int64(1))
	from, m := actortest.MustFrom[*wrapperspb.StringValue](t, a, nil)
	if from != b.PID() || m.Value != "pong" {
		t.Fatalf("got %q from %v, want pong from %v", m.Value, from, b.PID())
	}
	bFrom, _ := actortest.MustFrom[*wrapperspb.Int64Value](t, b, nil)
	if bFrom != a.PID() {
		t.Fatalf("b saw the ping from %v, want %v", bFrom, a.PID())
	}
	// Without the hook, b only records.
	actortest.Handle[*wrapperspb.Int64Value](b, nil)
	a.Send(b.PID(), wrapperspb.Int64(2))
	actortest.Must(t, b, func(m *wrapperspb.Int64Value) bool { return m.Value == 2 })
	actortest.Settle(t, node, b.PID(), a.PID())
	if err := actortest.None[*wrapperspb.StringValue](a, nil); err != nil {
		t.Fatal(err)
	}
}

// Settle lets a message cross the named processes before the test looks.
func TestSettleCoversHops(t *testing.T) {
	node, _ := actortest.NewManualNode(t)
	a := actortest.NewPeer(t, node, actortest.UniqueID("a"))
	b := actortest.NewPeer(t, node, actortest.UniqueID("b"))
	actortest.Handle(a, func(c *actors.Context, _ actors.PID, m *wrapperspb.StringValue) { c.Send(b.PID(), m) })
	node.Send(actors.PID{}, a.PID(), wrapperspb.String("hop"))
	actortest.Settle(t, node, a.PID(), b.PID())
	if err := actortest.None[*wrapperspb.StringValue](b, nil); err == nil {
		t.Fatal("the forwarded message had not reached b after Settle")
	}
}

func TestLinkSeesExit(t *testing.T) {
	node := actortest.NewNode(t, nil)
	watcher := actortest.NewPeer(t, node, actortest.UniqueID("watcher"))
	other := actortest.NewPeer(t, node, actortest.UniqueID("other"))
	watcher.Link(other.PID())
	actortest.Settle(t, node, watcher.PID())
	if err := watcher.ExpectExited(other.PID(), short); !errors.Is(err, actortest.ErrTimeout) {
		t.Fatalf("exit seen before the peer stopped: %v", err)
	}
	other.Stop()
	watcher.MustExited(t, other.PID())
}

func TestBarrierOnAGoneProcessFails(t *testing.T) {
	node := actortest.NewNode(t, nil)
	p := actortest.NewPeer(t, node, actortest.UniqueID("peer"))
	p.Stop()
	if err := actortest.Barrier(t.Context(), node, p.PID()); err == nil {
		t.Fatal("barrier on a stopped process succeeded")
	}
}

func TestFixedUUIDAndUniqueID(t *testing.T) {
	u := actortest.FixedUUID(7)
	if len(u) != 16 || u[0] != 7 || u[15] != 7 {
		t.Fatalf("FixedUUID(7) = %x", u)
	}
	if actortest.UniqueID("x") == actortest.UniqueID("x") {
		t.Fatal("UniqueID repeated itself")
	}
}
