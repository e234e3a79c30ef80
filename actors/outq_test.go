package actors

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A connection to the peer ends mid-stream (as protoactor reports it: an
// EndpointTerminatedEvent, after which its writer stops and the next send
// connects anew). Every message then arrives with its own ids or becomes a
// dead letter with its own ids, never both, never with another message's;
// messages sent after the cut arrive.
func TestConnectionCutMidStream(t *testing.T) {
	n, p := sharedNode(t), sharedPeer(t)
	tr := &recordingTracer{}
	n.SetTracer(tr)
	t.Cleanup(func() { n.SetTracer(nil) })

	tok := uniqueID("cut")
	replies := make(chan string, 4096)
	a := spawn(t, n, tok, &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.StringValue) { replies <- m.Value })
	}})
	const total = 2000
	for i := 0; i < total; i++ {
		if i == total/2 {
			n.sys.EventStream.Publish(&remote.EndpointTerminatedEvent{Address: p.echo.Address})
		}
		n.Send(a, p.echo, wrapperspb.String(fmt.Sprintf("%s/%d", tok, i)))
	}

	index := func(v string) int {
		v = strings.TrimPrefix(v, "echo:")
		s, ok := strings.CutPrefix(v, tok+"/")
		if !ok {
			return -1
		}
		i, err := strconv.Atoi(s)
		if err != nil {
			return -1
		}
		return i
	}
	// Messages sent after the cut get through: protoactor connects anew on
	// a send (one every second until an answer, in case its writer saw a
	// late end of the old stream too).
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	got := map[int]bool{}
	for k := total; ; {
		select {
		case v := <-replies:
			i := index(v)
			if i < 0 || got[i] {
				t.Fatalf("reply %q: unknown or twice", v)
			}
			got[i] = true
		case <-tick.C:
			n.Send(a, p.echo, wrapperspb.String(fmt.Sprintf("%s/%d", tok, k)))
			k++
			continue
		case <-deadline:
			t.Fatalf("no answer after the cut in 60 s (%d answers before)", len(got))
		}
		if len(got) > 0 && maxKey(got) >= total/2 {
			break
		}
	}
	for len(replies) > 0 {
		v := <-replies
		if i := index(v); i >= 0 {
			got[index(v)] = true
		}
	}

	// Ids: a message sent from outside a process starts its own trace, so
	// the echo's reply carries the trace id of the message it answers; a
	// dead letter carries its own message id.
	sent := map[int]Event{}
	for _, e := range tr.snapshot() {
		m, ok := e.Msg.(*wrapperspb.StringValue)
		if !ok {
			continue
		}
		i := index(m.Value)
		if i < 0 {
			continue
		}
		switch {
		case e.Kind == Sent && e.To == p.echo:
			sent[i] = e
		}
	}
	dead := 0
	for _, e := range tr.snapshot() {
		m, ok := e.Msg.(*wrapperspb.StringValue)
		if !ok {
			continue
		}
		i := index(m.Value)
		if i < 0 {
			continue
		}
		s, ok := sent[i]
		if !ok {
			t.Fatalf("no Sent event for %q", m.Value)
		}
		switch {
		case e.Kind == Received && e.To == a:
			if e.TraceID != s.TraceID || e.TraceID != s.MsgID {
				t.Fatalf("reply to %d has trace %s, its message was %s (trace %s)", i, e.TraceID, s.MsgID, s.TraceID)
			}
		case e.Kind == DeadLetter:
			dead++
			if got[i] {
				t.Fatalf("message %d answered and a dead letter", i)
			}
			if e.MsgID != s.MsgID || e.TraceID != s.TraceID {
				t.Fatalf("dead letter %d has ids %s/%s, sent as %s/%s", i, e.MsgID, e.TraceID, s.MsgID, s.TraceID)
			}
		}
	}
	t.Logf("%d answered, %d dead letters", len(got), dead)
}

func maxKey(m map[int]bool) int {
	k := -1
	for i := range m {
		k = max(k, i)
	}
	return k
}
