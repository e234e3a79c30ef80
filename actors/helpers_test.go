package actors

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// deadline bounds every wait in these tests.
const deadline = 10 * time.Second

func testLogger() *logrus.Logger {
	l := logrus.New()
	l.SetLevel(logrus.DebugLevel) // exercise the logging paths
	l.SetOutput(io.Discard)
	if os.Getenv("ACTORS_TEST_LOG") != "" {
		l.SetOutput(os.Stderr)
	}
	return l
}

func TestMain(m *testing.M) {
	if kind := os.Getenv(benchPeerEnv); kind != "" {
		if err := runBenchPeer(kind); err != nil {
			fmt.Fprintln(os.Stderr, "bench peer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(peerEnv) != "" { // a peer child: serve, run no test
		if err := runPeer(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "actors peer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// The one remoting node of this binary is Shared(): make it listen on
	// loopback, log like the test nodes, and create it before any test (a
	// test's t.Setenv must not configure it).
	for _, v := range []string{"LIBPROCESS_IP", "LIBPROCESS_PORT", "LIBPROCESS_ADVERTISE_IP", "LIBPROCESS_ADVERTISE_PORT"} {
		os.Unsetenv(v)
	}
	std := logrus.StandardLogger()
	std.SetLevel(logrus.DebugLevel)
	std.SetOutput(io.Discard)
	if os.Getenv("ACTORS_TEST_LOG") != "" {
		std.SetOutput(os.Stderr)
	}
	n, err := Shared()
	if err != nil {
		fmt.Fprintln(os.Stderr, "actors tests: Shared:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := stopSharedPeer(); err != nil {
		fmt.Fprintln(os.Stderr, "actors tests: shared peer:", err)
		code = 1
	}
	n.Shutdown()
	os.Exit(code)
}

// newTestNode makes a Local node: any number of them may run in this
// process, under -race too.
func newTestNode(t testing.TB, mod ...func(*Config)) *Node {
	t.Helper()
	cfg := Config{Local: true, Logger: testLogger()}
	for _, m := range mod {
		m(&cfg)
	}
	n, err := NewNode(cfg)
	if err != nil {
		t.Fatalf("NewNode: %v", err)
	}
	t.Cleanup(n.Shutdown)
	return n
}

// sharedNode is this binary's one remoting node (Shared()). Tests that use
// it restore what they change (tracer, filters) and count Stats as deltas.
func sharedNode(t testing.TB) *Node {
	t.Helper()
	n, err := Shared()
	if err != nil {
		t.Fatalf("Shared: %v", err)
	}
	return n
}

// newRemotingNode makes a further remoting node, for benchmarks only: two
// remoting nodes in one process race in grpc's global logger (upstream
// protoactor), which -race reports. Benchmarks do not run under -race
// (they skip there).
func newRemotingNode(b *testing.B, mod ...func(*Config)) *Node {
	b.Helper()
	if raceEnabled {
		b.Skip("a second remoting node in one process races in grpc's global logger (upstream protoactor)")
	}
	cfg := Config{Host: "127.0.0.1", Logger: testLogger()}
	for _, m := range mod {
		m(&cfg)
	}
	n, err := NewNode(cfg)
	if err != nil {
		b.Fatalf("NewNode: %v", err)
	}
	b.Cleanup(n.Shutdown)
	return n
}

var idSeq atomic.Int64

func uniqueID(prefix string) string { return fmt.Sprintf("%s-%d", prefix, idSeq.Add(1)) }

// proc is a Process assembled from funcs.
type proc struct {
	init   func(*Context)
	exited func(*Context, PID)
	final  func(*Context)
	ctx    *Context
}

func (p *proc) Initialize(c *Context) {
	p.ctx = c
	if p.init != nil {
		p.init(c)
	}
}

func (p *proc) Exited(c *Context, pid PID) {
	if p.exited != nil {
		p.exited(c, pid)
	}
}

func (p *proc) Finalize(c *Context) {
	if p.final != nil {
		p.final(c)
	}
}

func spawn(t testing.TB, n *Node, id string, p Process) PID {
	t.Helper()
	pid, err := n.Spawn(uniqueID(id), p)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	if n.Remoting() {
		// The shared node outlives the test: stop its processes (without
		// waiting, in case the test left one blocked).
		t.Cleanup(func() { n.sys.Root.Stop(toActorPID(pid)) })
	}
	return pid
}

// spawnEcho starts a process answering StringValue v with "echo:"+v.
func spawnEcho(t testing.TB, n *Node) PID {
	return spawn(t, n, "echo", &proc{init: func(c *Context) {
		Install(c, func(from PID, m *wrapperspb.StringValue) {
			c.Send(from, wrapperspb.String("echo:"+m.Value))
		})
	}})
}

type reply struct {
	from PID
	msg  proto.Message
}

// spawnClient starts a process that forwards every StringValue it receives
// to the returned channel, and that sends a StringValue to `to` on each
// Int64Value kick.
func spawnClient(t testing.TB, n *Node, to PID) (PID, <-chan reply) {
	ch := make(chan reply, 16)
	pid := spawn(t, n, "client", &proc{init: func(c *Context) {
		Install(c, func(from PID, m *wrapperspb.StringValue) { ch <- reply{from, m} })
		Install(c, func(_ PID, m *wrapperspb.Int64Value) {
			c.Send(to, wrapperspb.String(fmt.Sprint(m.Value)))
		})
	}})
	return pid, ch
}

func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(deadline):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// roundTrip checks that a client on `from` gets an answer from an echo
// process on `to`.
func roundTrip(t testing.TB, from, to *Node) {
	t.Helper()
	echo := spawnEcho(t, to)
	client, ch := spawnClient(t, from, echo)
	from.Send(PID{}, client, wrapperspb.Int64(7))
	r := recv(t, ch, "echo reply")
	if r.from != echo {
		t.Fatalf("reply from %v, want %v", r.from, echo)
	}
	if got := r.msg.(*wrapperspb.StringValue).Value; got != "echo:7" {
		t.Fatalf("reply %q", got)
	}
}

// barrier waits until pid has handled everything queued before it.
func barrier(t testing.TB, n *Node, pid PID) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	if _, err := n.Call(ctx, pid, func() any { return nil }); err != nil {
		t.Fatalf("barrier: %v", err)
	}
}

type recordingTracer struct {
	mu     sync.Mutex
	events []Event
}

func (r *recordingTracer) Trace(e *Event) {
	r.mu.Lock()
	r.events = append(r.events, *e)
	r.mu.Unlock()
}

func (r *recordingTracer) snapshot() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}
