package actors

import (
	"fmt"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Messages sent within the node (posted straight into the mailbox) and what
// goes through protoactor (Dispatch) share one queue: a process sees them
// in the order they were posted, across chunk boundaries.
func TestMailboxOneQueueForEveryPath(t *testing.T) {
	n := newTestNode(t)
	got := make(chan string, 1024)
	pid := spawn(t, n, "sink", &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.StringValue) { got <- m.Value })
	}})
	const total = 3*chunkSlots + 5
	for i := 0; i < total; i++ {
		v := fmt.Sprint(i)
		if i%3 == 0 {
			n.Dispatch(pid, func() { got <- v })
			continue
		}
		n.Send(PID{}, pid, wrapperspb.String(v))
	}
	for i := 0; i < total; i++ {
		if v := recv(t, got, "message"); v != fmt.Sprint(i) {
			t.Fatalf("got %s, want %d", v, i)
		}
	}
}

// A process stopped and spawned again under the same id gets the messages
// sent to its PID afterwards, from senders that sent to the first one;
// while none is there they are dead letters.
func TestMailboxFollowsRespawn(t *testing.T) {
	n := newTestNode(t)
	id := uniqueID("again")
	sinkProc := func(tag string, got chan<- string) Process {
		return &proc{init: func(c *Context) {
			Install(c, func(_ PID, m *wrapperspb.StringValue) { got <- tag + ":" + m.Value })
		}}
	}
	got := make(chan string, 8)
	pid, err := n.Spawn(id, sinkProc("first", got))
	if err != nil {
		t.Fatal(err)
	}
	sender := spawn(t, n, "sender", &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.BytesValue) { c.Send(pid, wrapperspb.String(string(m.Value))) })
	}})
	n.Send(PID{}, sender, wrapperspb.Bytes([]byte("a")))
	if v := recv(t, got, "first message"); v != "first:a" {
		t.Fatalf("got %q", v)
	}
	n.Stop(pid)
	dead := n.Stats().DeadLetters
	n.Send(PID{}, sender, wrapperspb.Bytes([]byte("b")))
	barrier(t, n, sender)
	if d := n.Stats().DeadLetters - dead; d != 1 {
		t.Fatalf("dead letters +%d while no process is there, want 1", d)
	}
	if _, err := n.Spawn(id, sinkProc("second", got)); err != nil {
		t.Fatal(err)
	}
	n.Send(PID{}, sender, wrapperspb.Bytes([]byte("c")))
	if v := recv(t, got, "message to the new process"); v != "second:c" {
		t.Fatalf("got %q", v)
	}
}

// recordingInvoker is a protoactor MessageInvoker that records what the
// mailbox hands it.
type recordingInvoker struct{ got []string }

func (r *recordingInvoker) InvokeSystemMessage(m any) { r.got = append(r.got, fmt.Sprint("sys:", m)) }
func (r *recordingInvoker) InvokeUserMessage(m any)   { r.got = append(r.got, fmt.Sprint(m)) }
func (r *recordingInvoker) EscalateFailure(reason, _ any) {
	r.got = append(r.got, fmt.Sprint("failure:", reason))
}

// As protoactor's default mailbox: system messages go ahead of queued user
// messages, and a suspended mailbox runs system messages only until it is
// resumed.
func TestMailboxSystemFirstAndSuspend(t *testing.T) {
	m := newMailbox(nil, nil)
	inv := &recordingInvoker{}
	m.RegisterHandlers(inv, actor.NewSynchronizedDispatcher(300)) // runs on the posting goroutine
	m.PostSystemMessage(&actor.SuspendMailbox{})
	m.PostUserMessage("u1")
	m.PostUserMessage("u2")
	m.PostSystemMessage("s1")
	if want := "[sys:s1]"; fmt.Sprint(inv.got) != want {
		t.Fatalf("suspended: ran %v, want %s", inv.got, want)
	}
	m.PostSystemMessage(&actor.ResumeMailbox{})
	if want := "[sys:s1 u1 u2]"; fmt.Sprint(inv.got) != want {
		t.Fatalf("resumed: ran %v, want %s", inv.got, want)
	}
	for i := 0; i < 2*chunkSlots+1; i++ {
		m.PostUserMessage(i)
	}
	if n := len(inv.got); n != 3+2*chunkSlots+1 {
		t.Fatalf("ran %d messages", n)
	}
	if n := m.UserMessageCount(); n > chunkSlots {
		t.Fatalf("%d slots held after the queue emptied", n)
	}
}
