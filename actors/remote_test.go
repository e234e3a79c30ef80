package actors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Cross-node tests: this binary's one remoting node (Shared) against peer
// child processes (see peer_test.go).

func TestRoundTripTwoNodes(t *testing.T) {
	n, p := sharedNode(t), sharedPeer(t)
	if n.Address() == p.addr {
		t.Fatal("same address")
	}
	if _, err := ParsePID("x@" + p.addr); err != nil {
		t.Fatalf("address %q: %v", p.addr, err)
	}

	// A client here kicks the peer's echo: the peer sees the client as the
	// sender, and the reply comes back from the echo.
	client, replies := spawnClient(t, n, p.echo)
	k := idSeq.Add(1)
	n.Send(PID{}, client, wrapperspb.Int64(k))
	p.waitLine(t, "ECHO", client, k)
	r := recv(t, replies, "echo reply")
	if r.from != p.echo || r.msg.(*wrapperspb.StringValue).Value != fmt.Sprint("echo:", k) {
		t.Fatalf("reply %v from %v", r.msg, r.from)
	}

	// The other way round: the peer's client to a process here.
	seen := make(chan PID, 4)
	b := spawn(t, n, "b", &proc{init: func(c *Context) {
		Install(c, func(from PID, m *wrapperspb.StringValue) {
			seen <- from
			c.Send(from, wrapperspb.String("pong:"+m.Value))
		})
	}})
	v := uniqueID("kick")
	p.do(t, "kick %s %s", b, v)
	if from := recv(t, seen, "kick at B"); from != p.client {
		t.Fatalf("B saw sender %v, want %v", from, p.client)
	}
	p.waitLine(t, "REPLY", b, "pong:"+v)

	// Node.Send with an explicit sender, both ways across the wire.
	v = uniqueID("send")
	n.Send(client, p.echo, wrapperspb.String(v))
	p.waitLine(t, "ECHO", client, v)
	if r := recv(t, replies, "echo reply"); r.from != p.echo || r.msg.(*wrapperspb.StringValue).Value != "echo:"+v {
		t.Fatalf("reply %v from %v", r.msg, r.from)
	}
	v = uniqueID("send")
	n.Send(p.client, b, wrapperspb.String(v))
	if from := recv(t, seen, "Node.Send at B"); from != p.client {
		t.Fatalf("Node.Send: B saw sender %v, want %v", from, p.client)
	}
	p.waitLine(t, "REPLY", b, "pong:"+v)
}

// The peer child advertises 127.0.0.1 with port 0: it must advertise the
// port it bound, and be reachable there (listenPlan's other cases are in
// TestListenPlan).
func TestAdvertisedAddress(t *testing.T) {
	n, p := sharedNode(t), sharedPeer(t)
	host, port, err := net.SplitHostPort(p.addr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("peer address %q", p.addr)
	}
	if h, _, err := net.SplitHostPort(n.Address()); err != nil || h != "127.0.0.1" {
		t.Fatalf("address %q", n.Address())
	}
	roundTripPeer(t, n, p)
}

// Exited across nodes: when the peer stops a process, when a peer process
// sends a last message and stops (the message comes first), and when the
// peer's OS process is killed. Each Exited comes once.
func TestLinkExitedAcrossNodes(t *testing.T) {
	n, q := sharedNode(t), newPeer(t)
	spawned := func(id string) PID {
		q.do(t, "spawn %s", id)
		f := q.waitFor(t, "SPAWNED "+id, func(f []string) bool { return f[0] == "SPAWNED" && len(f) == 3 && f[1] == id })
		pid, err := ParsePID(f[2])
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}
	x, y := spawned(uniqueID("x")), spawned(uniqueID("y"))
	events := make(chan string, 8)
	a := spawn(t, n, "a", &proc{
		init: func(c *Context) {
			c.Link(q.echo)
			c.Link(x)
			c.Link(y)
			Install(c, func(from PID, m *wrapperspb.StringValue) { events <- "msg:" + m.Value })
		},
		exited: func(_ *Context, pid PID) { events <- "exited:" + pid.String() },
	})
	barrier(t, n, a)
	roundTripPeer(t, n, q)

	q.do(t, "stop %s", x.ID)
	if got := recv(t, events, "Exited(x)"); got != "exited:"+x.String() {
		t.Fatalf("got %q, want Exited(x)", got)
	}
	q.do(t, "sendstop %s %s last", y.ID, a)
	if got := recv(t, events, "y's last message"); got != "msg:last" {
		t.Fatalf("got %q, want y's last message first", got)
	}
	if got := recv(t, events, "Exited(y)"); got != "exited:"+y.String() {
		t.Fatalf("got %q, want Exited(y)", got)
	}
	q.kill() // SIGKILL: the peer process died
	if got := recv(t, events, "Exited(echo)"); got != "exited:"+q.echo.String() {
		t.Fatalf("got %q, want Exited(echo)", got)
	}
	barrier(t, n, a)
	select {
	case e := <-events:
		t.Fatalf("extra event %q", e)
	default:
	}
}

// A message several flow-control windows long reaches the peer process
// whole, between small ones sent before and after it.
func TestMessageLargerThanWindow(t *testing.T) {
	n, p := sharedNode(t), sharedPeer(t)
	got := make(chan int64, 4)
	a := spawn(t, n, "a", &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.Int64Value) { got <- m.Value })
	}})
	big := 3*WindowSize + 7
	for _, size := range []int{1, big, 2} {
		n.Send(a, p.echo, wrapperspb.Bytes(make([]byte, size))) // the echo answers with the length
	}
	for _, want := range []int64{1, int64(big), 2} {
		if size := recv(t, got, "a length"); size != want {
			t.Fatalf("peer got %d bytes, want %d", size, want)
		}
	}
}

func TestOversizedMessageRefused(t *testing.T) {
	n, p := sharedNode(t), sharedPeer(t)
	got := make(chan int64, 4)
	a := spawn(t, n, "a", &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.Int64Value) { got <- m.Value })
	}})
	before := n.Stats().Oversized
	n.Send(a, p.echo, wrapperspb.Bytes(make([]byte, MaxMessageSize+1))) // the echo answers with the length
	n.Send(a, p.echo, wrapperspb.Bytes(make([]byte, 10)))
	if size := recv(t, got, "length of the small message"); size != 10 {
		t.Fatalf("peer got %d bytes", size)
	}
	if d := n.Stats().Oversized - before; d != 1 {
		t.Fatalf("Oversized +%d", d)
	}
	// Locally, size is not limited.
	l := newTestNode(t)
	b := spawn(t, l, "b", &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.BytesValue) { got <- int64(len(m.Value)) })
	}})
	l.Send(PID{}, b, wrapperspb.Bytes(make([]byte, MaxMessageSize+1)))
	if size := recv(t, got, "big local message"); size != MaxMessageSize+1 {
		t.Fatalf("got %d bytes", size)
	}
}

// Flush returns once what was sent before it is in the peer's mailboxes: a
// count taken on the peer right after (through another channel, its stdin)
// sees every message.
func TestFlush(t *testing.T) {
	n, p := sharedNode(t), sharedPeer(t)
	count := func() int {
		tok := uniqueID("count")
		p.do(t, "count %s", tok)
		f := p.waitFor(t, "COUNT "+tok, func(f []string) bool { return f[0] == "COUNT" && len(f) == 3 && f[1] == tok })
		c, err := strconv.Atoi(f[2])
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c0 := count()
	const msgs = 3000 // several gRPC batches
	sender := spawn(t, n, "sender", &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.Int64Value) {
			for i := int64(0); i < m.Value; i++ {
				c.Send(p.echo, wrapperspb.Int64(i))
			}
		})
	}})
	for i := 0; i < msgs/2; i++ {
		n.Send(PID{}, p.echo, wrapperspb.Int64(int64(i)))
	}
	n.Send(PID{}, sender, wrapperspb.Int64(msgs/2))
	barrier(t, n, sender) // its sends are done
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if err := n.Flush(ctx, p.echo); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if c := count(); c != c0+msgs {
		t.Fatalf("the peer counted %d messages after Flush, want %d", c-c0, msgs)
	}

	// Local PIDs: at once. A done context: its error.
	if err := n.Flush(ctx, sender); err != nil {
		t.Fatalf("Flush to a local process: %v", err)
	}
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if err := n.Flush(done, p.echo); !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush with a done context: %v", err)
	}
}

func TestTracingAcrossNodes(t *testing.T) {
	n, p := sharedNode(t), sharedPeer(t)
	tr := &recordingTracer{}
	n.SetTracer(tr)
	t.Cleanup(func() { n.SetTracer(nil) })
	tok := uniqueID("trace")
	p.do(t, "trace on %s", tok)
	p.waitLine(t, "TRACE", "on", tok)
	t.Cleanup(func() { p.do(t, "trace off %s", tok) })

	client, replies := spawnClient(t, n, p.echo)
	n.Send(PID{}, client, wrapperspb.Int64(idSeq.Add(1)))
	recv(t, replies, "reply")

	strType := TypeOf[*wrapperspb.StringValue]()
	find := func(events []Event, kind EventKind, from, to PID) Event {
		t.Helper()
		for _, e := range events {
			if e.Kind == kind && e.Type == strType && e.From == from && e.To == to {
				return e
			}
		}
		t.Fatalf("no %v event %v -> %v in %+v", kind, from, to, events)
		return Event{}
	}
	// The peer's events: EVENT kind from to type msgid traceid.
	peerEvent := func(kind EventKind, from, to PID) (mid, trace string) {
		t.Helper()
		f := p.waitFor(t, fmt.Sprintf("%v event %v -> %v", kind, from, to), func(f []string) bool {
			return f[0] == "EVENT" && len(f) == 7 && f[1] == kind.String() && f[2] == from.String() &&
				f[3] == to.String() && f[4] == string(strType)
		})
		return f[5], f[6]
	}
	ev := tr.snapshot()
	pingSent := find(ev, Sent, client, p.echo)
	replyRecv := find(ev, Received, p.echo, client)
	pingRecvMID, pingRecvTrace := peerEvent(Received, client, p.echo)
	replySentMID, replySentTrace := peerEvent(Sent, p.echo, client)

	if pingSent.MsgID == "" || pingSent.MsgID != pingRecvMID || replySentMID != replyRecv.MsgID {
		t.Fatalf("MsgIDs do not pair: %q/%q %q/%q", pingSent.MsgID, pingRecvMID, replySentMID, replyRecv.MsgID)
	}
	if pingSent.MsgID == replySentMID {
		t.Fatal("two messages share a MsgID")
	}
	trace := pingSent.TraceID
	if trace == "" || pingRecvTrace != trace || replySentTrace != trace || replyRecv.TraceID != trace {
		t.Fatalf("trace not carried: %q %q %q %q", trace, pingRecvTrace, replySentTrace, replyRecv.TraceID)
	}
	// The kick from outside any process started that trace.
	var kick *Event
	for _, e := range ev {
		if e.Kind == Sent && e.Type == TypeOf[*wrapperspb.Int64Value]() && e.To == client {
			kick = &e
		}
	}
	if kick == nil || kick.TraceID != trace || !kick.From.IsZero() {
		t.Fatalf("kick %+v", kick)
	}
	if pingSent.Size != proto.Size(wrapperspb.String(pingSent.Msg.(*wrapperspb.StringValue).Value)) ||
		replyRecv.Msg == nil || pingSent.Time.IsZero() {
		t.Fatalf("event fields: %+v", pingSent)
	}

	// A new message from outside starts a new trace.
	n.Send(PID{}, client, wrapperspb.Int64(idSeq.Add(1)))
	recv(t, replies, "reply")
	var traces []string
	for _, e := range tr.snapshot() {
		if e.Kind == Sent && e.Type == TypeOf[*wrapperspb.Int64Value]() && e.To == client {
			traces = append(traces, e.TraceID)
		}
	}
	if len(traces) != 2 || traces[0] == traces[1] {
		t.Fatalf("outside sends share a trace: %v", traces)
	}
}

// Filters apply where the receiver lives, to messages from other nodes too.
func TestFilterRemoteSender(t *testing.T) {
	n, p := sharedNode(t), sharedPeer(t)
	echo := spawnEcho(t, n)
	f := n.Filters().Expect(Match{Type: TypeOf[*wrapperspb.StringValue](), From: p.client, To: echo})
	t.Cleanup(f.Cancel)
	v := uniqueID("filtered")
	p.do(t, "kick %s %s", echo, v)
	if m, err := f.Wait(deadline); err != nil || m.(*wrapperspb.StringValue).Value != v {
		t.Fatalf("Expect: %v %v", m, err)
	}
	p.waitLine(t, "REPLY", echo, "echo:"+v)
}

// Shutdown of a remoting node (in a peer child, race-instrumented like this
// binary): the child exits cleanly and this node sees its processes go.
func TestShutdownClosesConnections(t *testing.T) {
	n, q := sharedNode(t), newPeer(t)
	if _, ok := n.sys.ProcessRegistry.GetLocal(endpointSupervisorID); !ok {
		t.Fatalf("protoactor's endpoint supervisor is not named %q any more", endpointSupervisorID)
	}
	exited := make(chan PID, 2)
	a := spawn(t, n, "a", &proc{
		init:   func(c *Context) { c.Link(q.echo) },
		exited: func(_ *Context, p PID) { exited <- p },
	})
	barrier(t, n, a)
	roundTripPeer(t, n, q)
	if err := q.quit(); err != nil {
		t.Fatal(err)
	}
	if got := recv(t, exited, "Exited after the peer's Shutdown"); got != q.echo {
		t.Fatalf("Exited(%v)", got)
	}
}

// A remoting node never dials a Local node's pseudo address: messages to it
// are dead letters at once, links fire Exited, Flush refuses.
func TestRemotingNodeToLocalAddress(t *testing.T) {
	n := sharedNode(t)
	tr := &recordingTracer{}
	n.SetTracer(tr)
	t.Cleanup(func() { n.SetTracer(nil) })
	far := PID{ID: "p", Address: "local-999999"}
	exited := make(chan PID, 1)
	a := spawn(t, n, "a", &proc{
		init:   func(c *Context) { c.Link(far) },
		exited: func(_ *Context, p PID) { exited <- p },
	})
	if got := recv(t, exited, "Exited"); got != far {
		t.Fatalf("Exited(%v)", got)
	}
	before := n.Stats().DeadLetters
	n.Send(a, far, wrapperspb.String("lost"))
	if d := n.Stats().DeadLetters - before; d != 1 {
		t.Fatalf("DeadLetters +%d", d)
	}
	var dead bool
	for _, e := range tr.snapshot() {
		dead = dead || e.Kind == DeadLetter && e.To == far && e.From == a && e.MsgID != ""
	}
	if !dead {
		t.Fatalf("no DeadLetter event: %+v", tr.snapshot())
	}
	if err := n.Flush(t.Context(), far); err == nil {
		t.Fatal("Flush to a Local node's address succeeded")
	}
	if err := n.Flush(t.Context(), PID{ID: "x"}); err == nil {
		t.Fatal("Flush to a PID without an address succeeded")
	}
}

// More round trips with a peer process than a mailbox keeps slots for:
// each reply goes back to its own sender.
func TestManyRoundTripsWithPeer(t *testing.T) {
	n, p := sharedNode(t), sharedPeer(t)
	const rounds = 3 * chunkSlots * 4
	client, replies := spawnClient(t, n, p.echo)
	kicker := PID{ID: uniqueID("kicker"), Address: n.Address()} // senders left in reused queue slots
	for i := 0; i < rounds; i++ {
		n.Send(kicker, client, wrapperspb.Int64(int64(i)))
	}
	for i := 0; i < rounds; i++ {
		r := recv(t, replies, "reply")
		if r.from != p.echo || r.msg.(*wrapperspb.StringValue).Value != fmt.Sprintf("echo:%d", i) {
			t.Fatalf("reply %d: %v from %v", i, r.msg, r.from)
		}
	}
}

// protoactor's own types would be acted on by the peer's remoting (a
// Terminated fires its watches): they do not leave the node.
func TestProtoactorTypesStayHome(t *testing.T) {
	n, p := sharedNode(t), sharedPeer(t)
	rejected := n.Stats().Rejected
	n.Send(PID{}, p.echo, &actor.Terminated{Who: toActorPID(p.echo)})
	if got := n.Stats().Rejected - rejected; got != 1 {
		t.Fatalf("Rejected +%d, want 1", got)
	}
	roundTripPeer(t, n, p)
}
