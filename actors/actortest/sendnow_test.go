package actortest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
)

// SendNow goes out as the peer, in the order the test calls it across
// peers, and one Settle on the receiver is enough to see it.
func TestSendNowKeepsTheTestsOrderAcrossPeers(t *testing.T) {
	node, _ := actortest.NewManualNode(t)
	a := actortest.NewPeer(t, node, actortest.UniqueID("a"))
	b := actortest.NewPeer(t, node, actortest.UniqueID("b"))
	to := actortest.NewPeer(t, node, actortest.UniqueID("to"))
	for i := int64(0); i < 50; i++ {
		from := a
		if i%2 == 1 {
			from = b
		}
		from.SendNow(to.PID(), wrapperspb.Int64(i))
	}
	actortest.Settle(t, node, to.PID())
	got := to.Received()
	if len(got) != 50 {
		t.Fatalf("received %d messages after Settle, want 50", len(got))
	}
	for i, r := range got {
		want := a.PID()
		if i%2 == 1 {
			want = b.PID()
		}
		if v := r.Msg.(*wrapperspb.Int64Value).Value; v != int64(i) || r.From != want {
			t.Fatalf("message %d is %d from %v, want %d from %v", i, v, r.From, i, want)
		}
	}
}

func TestMustNoneFailsOnAPendingMatch(t *testing.T) {
	node := actortest.NewNode(t, nil)
	p := actortest.NewPeer(t, node, actortest.UniqueID("peer"))
	node.Send(actors.PID{}, p.PID(), wrapperspb.Int64(1))
	actortest.Settle(t, node, p.PID())
	actortest.MustNone[*wrapperspb.StringValue](t, p, nil)
	actortest.MustNone(t, p, func(m *wrapperspb.Int64Value) bool { return m.Value == 2 })

	ft := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() { // Fatal ends the goroutine it runs on
		defer close(done)
		actortest.MustNone[*wrapperspb.Int64Value](ft, p, nil)
	}()
	<-done
	if ft.fatal == nil {
		t.Fatal("MustNone passed with an Int64 pending")
	}
	if !strings.Contains(fmt.Sprint(ft.fatal...), "google.protobuf.Int64Value") {
		t.Fatalf("MustNone failed with %q, want it to name the Int64", fmt.Sprint(ft.fatal...))
	}
}

// fatalTB records a Fatal instead of failing the test.
type fatalTB struct {
	testing.TB
	fatal []any
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatal(args ...any) {
	f.fatal = args
	runtime.Goexit()
}
