package actors

import (
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"
)

// starveFor is how long the peer is stopped: longer than the idle time
// before a keepalive ping plus the 3 s ping timeout this layer once had, so
// a ping goes unanswered for longer than that old timeout.
const starveFor = KeepaliveTime + 6*time.Second

// A peer whose process is stopped (as a CPU-starved one is, only longer)
// keeps its links: no Exited while it is stopped, and messages flow both
// ways once it runs again, including one sent while it was stopped.
func TestStarvedPeerKeepsLinks(t *testing.T) {
	if testing.Short() {
		t.Skip("stops a peer for", starveFor)
	}
	n, q := sharedNode(t), newPeer(t)
	events := make(chan string, 16)
	a := spawn(t, n, "a", &proc{
		init: func(c *Context) {
			c.Link(q.echo)
			Install(c, func(_ PID, m *wrapperspb.StringValue) { events <- "msg:" + m.Value })
		},
		exited: func(_ *Context, pid PID) { events <- "exited:" + pid.String() },
	})
	barrier(t, n, a)
	// Both connections up: a to the peer's echo, the echo's answer back.
	n.Send(a, q.echo, wrapperspb.String("before"))
	if got := recv(t, events, "the echo's answer"); got != "msg:echo:before" {
		t.Fatalf("got %q, want the echo's answer", got)
	}

	pid := q.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Errorf("SIGCONT: %v", err)
			}
		}
	}
	defer resume()
	n.Send(a, q.echo, wrapperspb.String("during"))
	select {
	case e := <-events:
		t.Fatalf("while the peer was stopped: %q", e)
	case <-time.After(starveFor): // the stall itself, not a wait for anything
	}
	resume()

	if got := recv(t, events, "the answer to the message sent during the stop"); got != "msg:echo:during" {
		t.Fatalf("got %q, want the answer to the message sent during the stop", got)
	}
	q.do(t, "kick %s after", a)
	if got := recv(t, events, "the peer's message after the stop"); got != "msg:after" {
		t.Fatalf("got %q, want the peer's message after the stop", got)
	}
	barrier(t, n, a)
	select {
	case e := <-events:
		t.Fatalf("extra event %q", e)
	default:
	}
}
