package actors

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	// SIGSTOP reaches each thread in its own time: wait until all stopped.
	waitStopped(t, pid)
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

// waitStopped waits until every thread of process pid is stopped.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
		stopped := len(tasks) > 0
		for _, p := range tasks {
			b, err := os.ReadFile(p)
			s := string(b)
			i := strings.LastIndexByte(s, ')')
			if err != nil || i < 0 || i+2 >= len(s) || (s[i+2] != 'T' && s[i+2] != 't') {
				stopped = false
				break
			}
		}
		if stopped {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("process %d did not stop", pid)
		}
		time.Sleep(time.Millisecond) // polling /proc: no event to wait on
	}
}
