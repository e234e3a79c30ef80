package actors

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func TestPIDText(t *testing.T) {
	good := []struct {
		in  string
		pid PID
	}{
		{"master@127.0.0.1:5050", PID{"master", "127.0.0.1:5050"}},
		{"slave(1)@10.0.0.2:5051", PID{"slave(1)", "10.0.0.2:5051"}},
		{"master/allocator@host.example:1", PID{"master/allocator", "host.example:1"}},
		{"scheduler-1@[::1]:40000", PID{"scheduler-1", "[::1]:40000"}},
		{"slave(1)@local-12", PID{"slave(1)", "local-12"}},
		{"master@local-build:5050", PID{"master", "local-build:5050"}},
	}
	for _, c := range good {
		p, err := ParsePID(c.in)
		if err != nil || p != c.pid {
			t.Errorf("ParsePID(%q) = %v, %v; want %v", c.in, p, err, c.pid)
		}
		if p.String() != c.in {
			t.Errorf("String() = %q, want %q", p.String(), c.in)
		}
	}
	bad := []string{"", "master", "@127.0.0.1:5050", "master@", "master@127.0.0.1",
		"master@127.0.0.1:", "master@127.0.0.1:x", "master@127.0.0.1:70000", "master@:5050",
		"ma ster@127.0.0.1:5050", "a@b@127.0.0.1:5050", "master@127.0.0.1:-1",
		"master@local-", "master@local-x", "master@local--1", "master@local-1:"}
	for _, s := range bad {
		if p, err := ParsePID(s); err == nil {
			t.Errorf("ParsePID(%q) = %v, want an error", s, p)
		}
	}
	if (PID{}).String() != "" || !(PID{}).IsZero() {
		t.Error("zero PID")
	}
	ap := toActorPID(PID{"a", "h:1"})
	if fromActorPID(ap) != (PID{"a", "h:1"}) || toActorPID(PID{}) != nil || !fromActorPID(nil).IsZero() {
		t.Error("conversion")
	}
}

// A busy or invalid address is an error found before protoactor's
// remote.Start runs (its grpclog.SetLoggerV2 would race with this binary's
// remoting node).
func TestBindFailureIsAnError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	started := remotingStarted.Load()
	for _, cfg := range []Config{
		{Host: "127.0.0.1", Port: port},
		{Host: "127.0.0.1", Port: port, AdvertiseHost: "127.0.0.1"},
		{Host: "256.0.0.1"},
		{Host: "no such host.invalid"},
	} {
		cfg.Logger = testLogger()
		if n, err := NewNode(cfg); err == nil {
			n.Shutdown()
			t.Fatalf("NewNode(%+v) succeeded", cfg)
		}
	}
	if _, err := NewNode(Config{Port: 70000, Logger: testLogger()}); err == nil {
		t.Fatal("port 70000 accepted")
	}
	if _, err := NewNode(Config{AdvertisePort: -1, Logger: testLogger()}); err == nil {
		t.Fatal("advertise port -1 accepted")
	}
	if got := remotingStarted.Load(); got != started {
		t.Fatalf("remote.Start ran %d times for failing configurations", got-started)
	}
}

// listenPlan decides the port to bind and the address to advertise.
func TestListenPlan(t *testing.T) {
	free := func(string) (int, error) { return 4242, nil }
	cases := []struct {
		cfg        Config
		port       int
		advertised string
	}{
		{Config{Host: "127.0.0.1"}, 0, ""},
		{Config{Host: "127.0.0.1", Port: 6000}, 6000, ""},
		{Config{Host: "127.0.0.1", AdvertiseHost: "127.0.0.1"}, 4242, "127.0.0.1:4242"},
		{Config{Host: "127.0.0.1", Port: 6000, AdvertiseHost: "10.0.0.1"}, 6000, "10.0.0.1:6000"},
		{Config{Host: "127.0.0.1", AdvertiseHost: "192.0.2.7", AdvertisePort: 5050}, 4242, "192.0.2.7:5050"},
		{Config{Host: "127.0.0.1", AdvertisePort: 5050}, 4242, "127.0.0.1:5050"},
		{Config{Host: "::1", Port: 6000, AdvertiseHost: "[::1]"}, 6000, "[::1]:6000"},
		{Config{Host: "0.0.0.0", Port: 6000}, 6000, net.JoinHostPort(defaultAdvertiseIP(), "6000")},
	}
	for _, c := range cases {
		port, adv, err := listenPlan(c.cfg, free)
		if err != nil || port != c.port || adv != c.advertised {
			t.Errorf("listenPlan(%+v) = %d, %q, %v; want %d, %q", c.cfg, port, adv, err, c.port, c.advertised)
		}
	}
	if _, _, err := listenPlan(Config{Host: "127.0.0.1", AdvertiseHost: "x"},
		func(string) (int, error) { return 0, errors.New("no") }); err == nil {
		t.Error("freePort's error lost")
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("LIBPROCESS_IP", "127.0.0.2")
	t.Setenv("LIBPROCESS_PORT", "5052")
	t.Setenv("LIBPROCESS_ADVERTISE_IP", "10.1.2.3")
	t.Setenv("LIBPROCESS_ADVERTISE_PORT", "")
	cfg, err := ConfigFromEnv()
	if err != nil || cfg.Host != "127.0.0.2" || cfg.Port != 5052 || cfg.AdvertiseHost != "10.1.2.3" || cfg.AdvertisePort != 0 {
		t.Fatalf("cfg %+v, %v", cfg, err)
	}
	for _, bad := range []string{"x", "-1", "65536", "50 50"} {
		t.Setenv("LIBPROCESS_PORT", bad)
		if _, err := ConfigFromEnv(); err == nil {
			t.Errorf("LIBPROCESS_PORT=%q accepted", bad)
		}
	}
}

func TestShared(t *testing.T) {
	n1, err1 := Shared()
	n2, err2 := Shared()
	if n1 != n2 || !errors.Is(err1, err2) {
		t.Fatalf("Shared not shared: %p %v / %p %v", n1, err1, n2, err2)
	}
	if !n1.Remoting() {
		t.Fatal("Shared is a Local node")
	}
	if _, err := ParsePID("x@" + n1.Address()); err != nil {
		t.Fatalf("address %q: %v", n1.Address(), err)
	}
}

// Local nodes: no remoting, unique pseudo addresses, everything else as
// usual; sends and links to any other address are dead letters.
func TestLocalNode(t *testing.T) {
	tr := &recordingTracer{}
	n1 := newTestNode(t, func(c *Config) { c.Tracer = tr })
	n2 := newTestNode(t)
	if n1.Remoting() || n1.rem != nil || n1.Address() == n2.Address() || !strings.HasPrefix(n1.Address(), "local-") {
		t.Fatalf("addresses %q %q", n1.Address(), n2.Address())
	}
	echo := spawnEcho(t, n1)
	if echo.Address != n1.Address() || !strings.HasSuffix(echo.String(), "@"+n1.Address()) {
		t.Fatalf("pid %v", echo)
	}
	if p, err := ParsePID(echo.String()); err != nil || p != echo {
		t.Fatalf("ParsePID(%q) = %v, %v", echo.String(), p, err)
	}
	roundTrip(t, n1, n1)

	// To another Local node or a remote address: dead letters, no panic.
	exited := make(chan PID, 4)
	far := []PID{{ID: "echo", Address: n2.Address()}, {ID: "master", Address: "127.0.0.1:5050"}}
	client, replies := spawnClient(t, n1, far[0])
	a := spawn(t, n1, "a", &proc{
		init:   func(c *Context) { c.Link(far[0]); c.Link(far[1]) },
		exited: func(_ *Context, p PID) { exited <- p },
	})
	got := map[PID]bool{recv(t, exited, "Exited"): true, recv(t, exited, "Exited"): true}
	if !got[far[0]] || !got[far[1]] {
		t.Fatalf("Exited for %v, want %v", got, far)
	}
	before := n1.Stats().DeadLetters
	n1.Send(PID{}, client, wrapperspb.Int64(1)) // client -> far[0]
	n1.Send(a, far[1], wrapperspb.String("lost"))
	barrier(t, n1, client)
	if got := n1.Stats().DeadLetters; got != before+2 { // counted as they are sent
		t.Fatalf("DeadLetters = %d, want %d", got, before+2)
	}
	var dead int
	for _, e := range tr.snapshot() {
		if e.Kind == DeadLetter && (e.To == far[0] && e.From == client || e.To == far[1] && e.From == a) && e.TraceID != "" {
			dead++
		}
	}
	if dead != 2 {
		t.Fatalf("%d DeadLetter events: %+v", dead, tr.snapshot())
	}
	select {
	case r := <-replies:
		t.Fatalf("reply %v", r)
	default:
	}
	if err := n1.Flush(t.Context(), far[1]); !errors.Is(err, ErrNoRemoting) {
		t.Fatalf("Flush to another node: %v", err)
	}
	if err := n1.Flush(t.Context(), echo); err != nil {
		t.Fatalf("Flush to a local process: %v", err)
	}
	roundTrip(t, n1, n1) // still serving
}

// Many Local nodes, created and used concurrently: no race, no listener.
func TestManyLocalNodes(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := NewNode(Config{Local: true, Logger: testLogger()})
			if err != nil {
				t.Error(err)
				return
			}
			defer n.Shutdown()
			got := make(chan string, 1)
			p, err := n.Spawn("p", &proc{init: func(c *Context) {
				Install(c, func(_ PID, m *wrapperspb.StringValue) { got <- m.Value })
			}})
			if err != nil {
				t.Error(err)
				return
			}
			n.Send(PID{}, p, wrapperspb.String(n.Address()))
			select {
			case v := <-got:
				if v != n.Address() {
					t.Errorf("got %q", v)
				}
			case <-time.After(deadline):
				t.Error("timed out")
			}
		}()
	}
	wg.Wait()
}

func TestSpawnErrors(t *testing.T) {
	n := newTestNode(t)
	if _, err := n.Spawn("dup", &proc{}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Spawn("dup", &proc{}); !errors.Is(err, ErrNameExists) {
		t.Fatalf("duplicate id: %v", err)
	}
	for _, id := range []string{"", "a@b", "$1", "a b"} {
		if _, err := n.Spawn(id, &proc{}); err == nil {
			t.Errorf("id %q accepted", id)
		}
	}
	if _, err := n.Spawn("eventstream", &proc{}); err == nil {
		t.Error("protoactor's own name accepted")
	}
}

func TestLinkExitedLocal(t *testing.T) {
	n := newTestNode(t)
	var exits atomic.Int32
	exited := make(chan PID, 4)
	b := spawn(t, n, "b", &proc{})
	missing := PID{ID: "nobody", Address: n.Address()}
	a := spawn(t, n, "a", &proc{
		init: func(c *Context) {
			c.Link(b)
			c.Link(b) // harmless
			c.Link(missing)
		},
		exited: func(_ *Context, pid PID) { exits.Add(1); exited <- pid },
	})
	if got := recv(t, exited, "Exited(missing)"); got != missing {
		t.Fatalf("Exited(%v), want %v", got, missing)
	}
	n.Stop(b)
	if got := recv(t, exited, "Exited(b)"); got != b {
		t.Fatalf("Exited(%v), want %v", got, b)
	}
	barrier(t, n, a)
	if exits.Load() != 2 {
		t.Fatalf("%d Exited calls, want 2", exits.Load())
	}
	// Unlink: no Exited.
	c := spawn(t, n, "c", &proc{})
	n.Dispatch(a, func() { a2 := n.procCtx(a); a2.Link(c); a2.Unlink(c) })
	barrier(t, n, a)
	n.Stop(c)
	barrier(t, n, a)
	if exits.Load() != 2 {
		t.Fatalf("Exited after Unlink")
	}
}

// procCtx returns a live process' Context (tests only, on its goroutine).
func (n *Node) procCtx(pid PID) *Context {
	p, _ := n.lookup(pid)
	return &p.ctx
}

func TestTerminateAndFinalize(t *testing.T) {
	n := newTestNode(t)
	finalized := make(chan struct{})
	exited := make(chan PID, 1)
	b := spawn(t, n, "b", &proc{
		init: func(c *Context) {
			Install(c, func(PID, *wrapperspb.BoolValue) { c.Terminate() })
		},
		final: func(*Context) { close(finalized) },
	})
	spawn(t, n, "a", &proc{init: func(c *Context) { c.Link(b) }, exited: func(_ *Context, p PID) { exited <- p }})
	n.Send(PID{}, b, wrapperspb.Bool(true))
	recv(t, finalized, "Finalize")
	recv(t, exited, "Exited")
	if n.Dispatch(b, func() {}) {
		t.Fatal("Dispatch to a terminated process accepted")
	}

	// Node.Stop waits for Finalize.
	var done atomic.Bool
	c := spawn(t, n, "c", &proc{final: func(*Context) { done.Store(true) }})
	barrier(t, n, c)
	n.Stop(c)
	if !done.Load() {
		t.Fatal("Stop returned before Finalize")
	}
}

func TestHandlerPanicKeepsState(t *testing.T) {
	n := newTestNode(t)
	out := make(chan int64, 4)
	count := int64(0)
	p := spawn(t, n, "p", &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.Int64Value) {
			if m.Value < 0 {
				panic("negative")
			}
			count++
			out <- count
		})
	}})
	n.Send(PID{}, p, wrapperspb.Int64(1))
	n.Send(PID{}, p, wrapperspb.Int64(-1))
	n.Send(PID{}, p, wrapperspb.Int64(1))
	if recv(t, out, "first") != 1 || recv(t, out, "second") != 2 {
		t.Fatal("state lost after panic")
	}
	if n.Stats().Panics != 1 {
		t.Fatalf("Panics = %d", n.Stats().Panics)
	}
	// Unknown types are dropped, the process keeps serving.
	n.Send(PID{}, p, wrapperspb.Bool(true))
	n.Send(PID{}, p, wrapperspb.Int64(1))
	if recv(t, out, "third") != 3 || n.Stats().Unhandled != 1 {
		t.Fatalf("after unknown message: unhandled=%d", n.Stats().Unhandled)
	}
}

func TestDispatchAndCall(t *testing.T) {
	n := newTestNode(t)
	state := 0
	p := spawn(t, n, "p", &proc{})
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	ran := make(chan struct{})
	if !n.Dispatch(p, func() { state = 41; close(ran) }) {
		t.Fatal("Dispatch refused")
	}
	recv(t, ran, "dispatch")
	v, err := n.Call(ctx, p, func() any { state++; return state })
	if err != nil || v.(int) != 42 {
		t.Fatalf("Call = %v, %v", v, err)
	}
	if _, err := n.Call(ctx, p, func() any { panic("boom") }); err == nil {
		t.Fatal("panicking Call returned no error")
	}
	missing := PID{ID: "missing", Address: n.Address()}
	if n.Dispatch(missing, func() {}) {
		t.Fatal("Dispatch to a missing process accepted")
	}
	if _, err := n.Call(ctx, missing, func() any { return nil }); !errors.Is(err, ErrNoProcess) {
		t.Fatalf("Call missing: %v", err)
	}
	if n.Dispatch(PID{ID: p.ID, Address: "10.0.0.1:1"}, func() {}) {
		t.Fatal("Dispatch to a remote PID accepted")
	}
	// A Call queued behind a Terminate returns ErrProcessGone.
	q := spawn(t, n, "q", &proc{init: func(c *Context) {
		Install(c, func(PID, *wrapperspb.BoolValue) { c.Terminate() })
	}})
	block := make(chan struct{})
	n.Dispatch(q, func() { <-block })
	n.Send(PID{}, q, wrapperspb.Bool(true))
	errc := make(chan error, 1)
	go func() {
		_, err := n.Call(ctx, q, func() any { return nil })
		errc <- err
	}()
	close(block)
	if err := recv(t, errc, "Call on a stopping process"); err != nil && !errors.Is(err, ErrProcessGone) && !errors.Is(err, ErrNoProcess) {
		t.Fatalf("Call on a stopping process: %v", err)
	}
}

func TestPerPeerMemoryBounded(t *testing.T) {
	n := sharedNode(t)
	if n.rcfg.EndpointWriterQueueSize != EndpointWriterQueueSize || EndpointWriterQueueSize != 4096 {
		t.Fatalf("EndpointWriterQueueSize = %d", n.rcfg.EndpointWriterQueueSize)
	}
	// One batch token per frame, EndpointWriterBatchSize messages a token:
	// a frame holds no more messages than protoactor's batching gave.
	if n.rcfg.EndpointWriterBatchSize != 1 || n.batchMax != EndpointWriterBatchSize {
		t.Fatalf("writer batch %d tokens, token cap %d", n.rcfg.EndpointWriterBatchSize, n.batchMax)
	}
	// One call each: 7 server options, 6 dial options (creds, the two
	// fixed windows, closed streams end, keepalive, connect timeout).
	if len(n.rcfg.ServerOptions) != 7 || len(n.rcfg.DialOptions) != 6 {
		t.Fatalf("server options %d, dial options %d", len(n.rcfg.ServerOptions), len(n.rcfg.DialOptions))
	}
}

func TestTypeOf(t *testing.T) {
	if TypeOf[*wrapperspb.StringValue]() != "google.protobuf.StringValue" {
		t.Fatal(TypeOf[*wrapperspb.StringValue]())
	}
	var m proto.Message = wrapperspb.Int64(1)
	if m.ProtoReflect().Descriptor().FullName() != TypeOf[*wrapperspb.Int64Value]() {
		t.Fatal("mismatch")
	}
	_ = strconv.Itoa
}

// Exited comes through the user mailbox, after the messages the peer sent
// before it went away (protoactor's Terminated is a system message, handled
// ahead of queued user messages). Deterministic: A is kept busy until B's
// Terminated is in A's mailbox behind B's last message.
func TestExitedAfterMessages(t *testing.T) {
	terminated := make(chan PID, 4)
	n := newTestNode(t, func(c *Config) {
		c.mailboxHook = func(to PID, msg any) {
			if _, ok := msg.(*actor.Terminated); ok && strings.HasPrefix(to.ID, "watcher-") {
				terminated <- to
			}
		}
	})
	events := make(chan string, 8)
	peerProc := func() *proc {
		return &proc{init: func(c *Context) {
			// Answer the sender, then stop: the TEARDOWN-then-stop of a driver.
			Install(c, func(from PID, m *wrapperspb.StringValue) {
				c.Send(from, wrapperspb.String("last:"+m.Value))
				c.Terminate()
			})
		}}
	}
	watcher := func(peer PID) PID {
		w := spawn(t, n, "watcher", &proc{
			init: func(c *Context) {
				c.Link(peer)
				Install(c, func(_ PID, m *wrapperspb.StringValue) { events <- m.Value })
			},
			exited: func(_ *Context, p PID) { events <- "exited:" + p.ID },
		})
		barrier(t, n, w) // linked
		return w
	}

	// block keeps a process busy until the returned channel is closed.
	block := func(p PID) chan struct{} {
		entered, unblock := make(chan struct{}), make(chan struct{})
		n.Dispatch(p, func() { close(entered); <-unblock })
		recv(t, entered, "the process blocked")
		return unblock
	}

	b := spawn(t, n, "b", peerProc())
	a := watcher(b)
	unblock := block(a)
	n.Send(a, b, wrapperspb.String("teardown"))
	if got := recv(t, terminated, "Terminated posted to A"); got != a {
		t.Fatalf("Terminated posted to %v", got)
	}
	close(unblock)
	if got := recv(t, events, "A's first event"); got != "last:teardown" {
		t.Fatalf("A saw %q first, want B's last message", got)
	}
	if got := recv(t, events, "A's second event"); got != "exited:"+b.ID {
		t.Fatalf("A saw %q second, want Exited", got)
	}

	// Unlinking after the peer went away but before Exited ran: no Exited.
	c := spawn(t, n, "c", peerProc())
	w := watcher(c)
	unblock = block(w)
	n.Send(w, c, wrapperspb.String("bye"))
	recv(t, terminated, "Terminated posted to W")
	n.Dispatch(w, func() { n.procCtx(w).Unlink(c) }) // queued before the Exited
	close(unblock)
	if got := recv(t, events, "W's message"); got != "last:bye" {
		t.Fatalf("W saw %q", got)
	}
	barrier(t, n, w)
	barrier(t, n, w) // the Exited, if any, was queued behind the first barrier
	select {
	case e := <-events:
		t.Fatalf("event after Unlink: %q", e)
	default:
	}
}

// panicProcess is a protoactor Process that panics on every use, as
// upstream remoting does when it fails to create a peer's endpoint.
type panicProcess struct{}

func (panicProcess) SendUserMessage(*actor.PID, any)   { panic("endpoint: nil") }
func (panicProcess) SendSystemMessage(*actor.PID, any) { panic("endpoint: nil") }
func (panicProcess) Stop(*actor.PID)                   { panic("endpoint: nil") }

// Node.Send, Context.Send and Link never panic into the caller.
func TestSendNeverPanics(t *testing.T) {
	tr := &recordingTracer{}
	n := newTestNode(t, func(c *Config) { c.Tracer = tr })
	const bad = "10.9.9.9:1"
	n.sys.ProcessRegistry.RegisterAddressResolver(func(p *actor.PID) (actor.Process, bool) {
		return panicProcess{}, p.Address == bad
	})
	target := PID{ID: "x", Address: bad}
	exited := make(chan PID, 1)
	p, counts := spawnCounter(t, n)
	q := spawn(t, n, "q", &proc{
		init: func(c *Context) {
			Install(c, func(PID, *wrapperspb.Int64Value) {
				c.Send(target, wrapperspb.String("from a process"))
				c.Send(p, wrapperspb.Int64(1)) // the handler carries on
			})
		},
		exited: func(_ *Context, pid PID) { exited <- pid },
	})
	n.Send(PID{}, target, wrapperspb.String("from outside"))
	n.Send(q, target, wrapperspb.String("from outside, with a sender"))
	n.Send(PID{}, q, wrapperspb.Int64(1))
	barrier(t, n, q)
	n.Send(PID{}, p, wrapperspb.Bool(true))
	if c := recv(t, counts, "count"); c != 1 {
		t.Fatalf("count %d", c)
	}
	n.Dispatch(q, func() { n.procCtx(q).Link(target) })
	if got := recv(t, exited, "Exited of an unwatchable peer"); got != target {
		t.Fatalf("Exited(%v)", got)
	}
	if got := n.Stats().SendPanics; got != 4 {
		t.Fatalf("SendPanics = %d, want 4", got)
	}
	dead := 0
	for _, e := range tr.snapshot() {
		if e.Kind == DeadLetter && e.To == target {
			dead++
		}
	}
	if dead != 3 {
		t.Fatalf("%d DeadLetter events, want 3: %+v", dead, tr.snapshot())
	}
}

// A typed handler wins over the fallback; the fallback gets every other
// type, and the unhandled counter does not move.
func TestInstallFallback(t *testing.T) {
	n := newTestNode(t)
	typed, other := make(chan string, 1), make(chan proto.Message, 1)
	pid := spawn(t, n, "fallback", &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.StringValue) { typed <- m.Value })
		InstallFallback(c, func(_ PID, m proto.Message) { other <- m })
	}})
	n.Send(PID{}, pid, wrapperspb.String("s"))
	n.Send(PID{}, pid, wrapperspb.Int64(3))
	if got := recv(t, typed, "typed message"); got != "s" {
		t.Fatalf("typed handler got %q", got)
	}
	if got := recv(t, other, "fallback message"); got.(*wrapperspb.Int64Value).GetValue() != 3 {
		t.Fatalf("fallback got %v", got)
	}
	if s := n.Stats(); s.Unhandled != 0 {
		t.Fatalf("Unhandled = %d, want 0", s.Unhandled)
	}
}

// Many senders, more messages than a mailbox keeps slots for, many times
// over: every message arrives once, in order per sender, with its own
// sender and a trace of its own (queue buffers are swapped and reused
// under -race here).
func TestManySendsFromManySenders(t *testing.T) {
	n := newTestNode(t)
	const senders, each = 4, 3 * chunkSlots * 4
	type got struct {
		from PID
		v    int64
	}
	ch := make(chan got, senders*each)
	sink := spawn(t, n, "sink", &proc{init: func(c *Context) {
		Install(c, func(from PID, m *wrapperspb.Int64Value) { ch <- got{from, m.Value} })
	}})
	from := make([]PID, senders)
	for s := range from {
		from[s] = PID{ID: uniqueID("sender"), Address: n.Address()}
	}
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				sender := from[s]
				if i%2 == 1 {
					sender = PID{} // alternate: no sender
				}
				n.Send(sender, sink, wrapperspb.Int64(int64(s*each+i)))
			}
		}()
	}
	wg.Wait()
	next := make([]int64, senders)
	for k := 0; k < senders*each; k++ {
		g := recv(t, ch, "message")
		s, i := g.v/each, g.v%each
		if i != next[s] {
			t.Fatalf("sender %d: got message %d, want %d", s, i, next[s])
		}
		next[s]++
		want := from[s]
		if i%2 == 1 {
			want = PID{}
		}
		if g.from != want {
			t.Fatalf("message %d of sender %d from %v, want %v", i, s, g.from, want)
		}
	}
}

// panicky is a process that hears of its own panics.
type panicky struct {
	proc
	heard chan string
}

func (p *panicky) Panicked(_ *Context, what string, v any) { p.heard <- what + ": " + v.(string) }

func TestPanickerHearsHandlerAndCallbackPanics(t *testing.T) {
	n := newTestNode(t)
	p := &panicky{heard: make(chan string, 4)}
	p.init = func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.Int64Value) { panic("negative") })
	}
	pid := spawn(t, n, "p", p)
	n.Send(PID{}, pid, wrapperspb.Int64(-1))
	if got := recv(t, p.heard, "handler panic"); got != "google.protobuf.Int64Value: negative" {
		t.Fatalf("Panicked(%q)", got)
	}
	n.Dispatch(pid, func() { panic("later") })
	if got := recv(t, p.heard, "callback panic"); got != "Dispatch: later" {
		t.Fatalf("Panicked(%q)", got)
	}
}

// deadTracer hands DeadLetter events to a channel.
type deadTracer chan Event

func (d deadTracer) Trace(e *Event) {
	if e.Kind == DeadLetter {
		d <- *e
	}
}

// A message still queued when its process stops is a dead letter, as one
// sent a moment after: counted, and traced with its ids.
func TestQueuedMessageOfStoppedProcessIsDeadLetter(t *testing.T) {
	n := newTestNode(t)
	dead := make(deadTracer, 4)
	n.SetTracer(dead)
	block := make(chan struct{})
	victim := spawn(t, n, "victim", &proc{init: func(c *Context) {
		Install(c, func(PID, *wrapperspb.StringValue) {})
	}})
	n.Dispatch(victim, func() {
		<-block
		n.procCtx(victim).Terminate() // runs before the queued message
	})
	before := n.Stats().DeadLetters
	n.Send(PID{}, victim, wrapperspb.String("queued"))
	close(block)
	e := recv(t, dead, "DeadLetter of the queued message")
	if e.To != victim || e.MsgID == "" || e.TraceID == "" || e.Msg.(*wrapperspb.StringValue).GetValue() != "queued" {
		t.Fatalf("DeadLetter %+v", e)
	}
	if got := n.Stats().DeadLetters; got != before+1 {
		t.Fatalf("DeadLetters = %d, want %d", got, before+1)
	}
}
