// Package actortest is the shared test kit for code built on package
// actors: Local nodes on a manual clock, recording test peers that stand in
// for a master, an agent, a scheduler or an executor, typed waits for the
// messages they get (Expect), barriers that let queued work settle, and
// fixed ids.
//
// A Peer records every message that reaches it, of any type, in arrival
// order. Expect[T] takes the oldest recorded message of type T that the
// test has not taken yet and that its match accepts, waiting (on the wall
// clock, with a deadline) until one arrives. Messages are never lost
// between waits: what arrives before the test asks is kept.
//
//	node, clock := actortest.NewManualNode(t)
//	master := actortest.NewPeer(t, node, "master")
//	agent := startAgentUnderTest(node, master.PID())
//	reg := actortest.Must[*mesosinternal.RegisterSlaveMessage](t, master, nil)
//	master.Send(agent, &mesosinternal.SlaveRegisteredMessage{...})
//	clock.Advance(15 * time.Second)
//	actortest.Settle(t, node, agent)
package actortest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gomesos/gomesos/actors"
)

// DefaultTimeout bounds the waits of Must, MustFrom and MustExited, and of
// a Peer's waits unless SetTimeout changed it. It is a deadline for
// something that must happen, never a pause.
const DefaultTimeout = 10 * time.Second

// ErrTimeout is wrapped by the errors of waits that ran out of time.
var ErrTimeout = errors.New("actortest: timed out")

// LogEnv names the environment variable that, when set, sends the logs of
// nodes made by NewNode to stderr at debug level.
const LogEnv = "GOMESOS_TEST_LOG"

// Epoch is where NewManualNode's clock starts.
var Epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Logger returns a logger for tests: silent unless LogEnv is set. The level
// is debug either way, so that logging paths run.
func Logger() *logrus.Logger {
	l := logrus.New()
	l.SetLevel(logrus.DebugLevel)
	l.SetOutput(io.Discard)
	if os.Getenv(LogEnv) != "" {
		l.SetOutput(os.Stderr)
	}
	return l
}

// NewNode starts a Local node (no remoting; any number may run in one
// process, under -race too) with the given clock (nil: the wall clock)
// and Logger(). It shuts down when the test ends.
func NewNode(t testing.TB, clock actors.Clock) *actors.Node {
	t.Helper()
	n, err := actors.NewNode(actors.Config{Local: true, Clock: clock, Logger: Logger()})
	if err != nil {
		t.Fatalf("actortest: new node: %v", err)
	}
	t.Cleanup(n.Shutdown)
	return n
}

// NewManualNode is NewNode on a manual clock reading Epoch.
func NewManualNode(t testing.TB) (*actors.Node, *actors.ManualClock) {
	t.Helper()
	clock := actors.NewManualClock(Epoch)
	return NewNode(t, clock), clock
}

var idSeq atomic.Int64

// UniqueID returns prefix followed by a number unique in this test binary
// ("master-7"), for process ids that must not collide across tests.
func UniqueID(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, idSeq.Add(1))
}

// FixedUUID returns 16 bytes of b: a status update UUID that a test can
// write down.
func FixedUUID(b byte) []byte {
	u := make([]byte, 16)
	for i := range u {
		u[i] = b
	}
	return u
}

// Barrier returns once every process in pids has handled what was queued
// for it before the call (one round each, in order).
func Barrier(ctx context.Context, node *actors.Node, pids ...actors.PID) error {
	for _, pid := range pids {
		if _, err := node.Call(ctx, pid, func() any { return nil }); err != nil {
			return fmt.Errorf("actortest: barrier on %s: %w", pid, err)
		}
	}
	return nil
}

// SettleRounds is how many barrier rounds Settle runs: enough for a
// message to bounce between two processes and back twice.
const SettleRounds = 4

// Settle runs SettleRounds barrier rounds over pids (libprocess'
// Clock::settle for the processes named): work that they queue for each
// other while settling is handled too, a few hops deep. It fails the test
// if a process is gone or DefaultTimeout passes.
func Settle(t testing.TB, node *actors.Node, pids ...actors.PID) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
	defer cancel()
	for i := 0; i < SettleRounds; i++ {
		if err := Barrier(ctx, node, pids...); err != nil {
			t.Fatalf("settle: %v", err)
		}
	}
}

// Received is one message that reached a Peer.
type Received struct {
	From actors.PID
	Msg  proto.Message
}

// Peer is a recording test process. Create it with Spawn or NewPeer.
// Its methods are safe for concurrent use.
type Peer struct {
	node *actors.Node
	pid  actors.PID

	mu      sync.Mutex
	timeout time.Duration
	log     []Received
	taken   []bool
	exited  []actors.PID
	changed chan struct{} // closed and replaced whenever log or exited grows
	hooks   map[protoreflect.FullName]func(*actors.Context, actors.PID, proto.Message)

	ctx *actors.Context // the peer's own goroutine only
}

// Spawn starts a Peer on node under id. The caller stops it (Stop) or
// shuts the node down.
func Spawn(node *actors.Node, id string) (*Peer, error) {
	p := &Peer{
		node:    node,
		timeout: DefaultTimeout,
		changed: make(chan struct{}),
		hooks:   make(map[protoreflect.FullName]func(*actors.Context, actors.PID, proto.Message)),
	}
	pid, err := node.Spawn(id, p)
	if err != nil {
		return nil, err
	}
	p.pid = pid
	return p, nil
}

// NewPeer is Spawn that fails the test on error and stops the peer when
// the test ends.
func NewPeer(t testing.TB, node *actors.Node, id string) *Peer {
	t.Helper()
	p, err := Spawn(node, id)
	if err != nil {
		t.Fatalf("actortest: spawn peer %q: %v", id, err)
	}
	t.Cleanup(p.Stop)
	return p
}

// Initialize implements actors.Process.
func (p *Peer) Initialize(ctx *actors.Context) {
	p.ctx = ctx
	actors.InstallFallback(ctx, p.receive)
}

// Exited implements actors.Exiter: it records the peer that went away.
func (p *Peer) Exited(_ *actors.Context, pid actors.PID) {
	p.mu.Lock()
	p.exited = append(p.exited, pid)
	p.notifyLocked()
	p.mu.Unlock()
}

func (p *Peer) receive(from actors.PID, m proto.Message) {
	name := m.ProtoReflect().Descriptor().FullName()
	p.mu.Lock()
	p.log = append(p.log, Received{From: from, Msg: m})
	p.taken = append(p.taken, false)
	hook := p.hooks[name]
	p.notifyLocked()
	p.mu.Unlock()
	if hook != nil {
		hook(p.ctx, from, m)
	}
}

func (p *Peer) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// PID returns the peer's PID.
func (p *Peer) PID() actors.PID { return p.pid }

// Node returns the node the peer runs on.
func (p *Peer) Node() *actors.Node { return p.node }

// SetTimeout changes the deadline of Must, MustFrom and MustExited for
// this peer.
func (p *Peer) SetTimeout(d time.Duration) {
	p.mu.Lock()
	p.timeout = d
	p.mu.Unlock()
}

func (p *Peer) getTimeout() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.timeout
}

// Send sends msg to `to` as this peer, from the peer's own goroutine: it
// comes after anything the peer's hooks sent for messages that arrived
// earlier. Once the peer has stopped, the message still goes, with the
// peer's PID as sender.
func (p *Peer) Send(to actors.PID, msg proto.Message) {
	if !p.node.Dispatch(p.pid, func() { p.ctx.Send(to, msg) }) {
		p.node.Send(p.pid, to, msg)
	}
}

// Link makes the peer watch pid; MustExited and ExpectExited see it go.
func (p *Peer) Link(pid actors.PID) {
	p.node.Dispatch(p.pid, func() { p.ctx.Link(pid) })
}

// Stop stops the peer (processes linked to it see it exit). Idempotent.
func (p *Peer) Stop() { p.node.Stop(p.pid) }

// Handle makes the peer run f, on its own goroutine, for every message of
// type T that arrives from now on, after recording it (the message is
// still there for Expect). f may answer with c.Send, which continues the
// message's trace. A nil f removes the hook.
func Handle[T proto.Message](p *Peer, f func(c *actors.Context, from actors.PID, m T)) {
	name := actors.TypeOf[T]()
	p.mu.Lock()
	defer p.mu.Unlock()
	if f == nil {
		delete(p.hooks, name)
		return
	}
	p.hooks[name] = func(c *actors.Context, from actors.PID, m proto.Message) {
		if mm, ok := m.(T); ok {
			f(c, from, mm)
		}
	}
}

// Received returns every message the peer has got so far, in arrival
// order, taken by Expect or not.
func (p *Peer) Received() []Received {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Received(nil), p.log...)
}

// Pending returns the messages Expect has not taken yet, in arrival order.
func (p *Peer) Pending() []Received {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Received
	for i, r := range p.log {
		if !p.taken[i] {
			out = append(out, r)
		}
	}
	return out
}

// All returns every message of type T the peer has got so far, in
// arrival order, taken or not.
func All[T proto.Message](p *Peer) []T {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []T
	for _, r := range p.log {
		if m, ok := r.Msg.(T); ok {
			out = append(out, m)
		}
	}
	return out
}

// ExpectFrom waits up to timeout for a message of type T that the test
// has not taken yet and that match accepts (nil: any), takes the oldest
// such one and returns it with its sender. Messages it passes over stay
// for later waits. On timeout the error wraps ErrTimeout and lists the
// messages still pending.
func ExpectFrom[T proto.Message](p *Peer, timeout time.Duration, match func(from actors.PID, m T) bool) (actors.PID, T, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		p.mu.Lock()
		for i, r := range p.log {
			if p.taken[i] {
				continue
			}
			if m, ok := r.Msg.(T); ok && (match == nil || match(r.From, m)) {
				p.taken[i] = true
				p.mu.Unlock()
				return r.From, m, nil
			}
		}
		changed := p.changed
		p.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(timeout)
		}
		select {
		case <-changed:
		case <-timer.C:
			var zero T
			return actors.PID{}, zero, fmt.Errorf("%w: %s got no matching %s within %v; pending: %s",
				ErrTimeout, p.pid, actors.TypeOf[T](), timeout, p.pendingSummary())
		}
	}
}

// Expect is ExpectFrom for a match that looks at the message only.
func Expect[T proto.Message](p *Peer, timeout time.Duration, match func(T) bool) (T, error) {
	var m func(actors.PID, T) bool
	if match != nil {
		m = func(_ actors.PID, msg T) bool { return match(msg) }
	}
	_, msg, err := ExpectFrom(p, timeout, m)
	return msg, err
}

// Must is Expect with the peer's timeout that fails the test instead of
// returning an error. Call it from the test's goroutine.
func Must[T proto.Message](t testing.TB, p *Peer, match func(T) bool) T {
	t.Helper()
	m, err := Expect(p, p.getTimeout(), match)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// MustFrom is ExpectFrom with the peer's timeout that fails the test
// instead of returning an error.
func MustFrom[T proto.Message](t testing.TB, p *Peer, match func(from actors.PID, m T) bool) (actors.PID, T) {
	t.Helper()
	from, m, err := ExpectFrom(p, p.getTimeout(), match)
	if err != nil {
		t.Fatal(err)
	}
	return from, m
}

// None reports an error if a message of type T that match accepts (nil:
// any) is pending. It does not wait: settle the senders first.
func None[T proto.Message](p *Peer, match func(T) bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, r := range p.log {
		if p.taken[i] {
			continue
		}
		if m, ok := r.Msg.(T); ok && (match == nil || match(m)) {
			return fmt.Errorf("actortest: %s got an unexpected %s from %s: %v", p.pid, actors.TypeOf[T](), r.From, m)
		}
	}
	return nil
}

// Drain takes every pending message of type T and returns how many there
// were.
func Drain[T proto.Message](p *Peer) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for i, r := range p.log {
		if _, ok := r.Msg.(T); ok && !p.taken[i] {
			p.taken[i] = true
			n++
		}
	}
	return n
}

// ExpectExited waits up to timeout until a process the peer linked to
// (Link) has gone away.
func (p *Peer) ExpectExited(pid actors.PID, timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		for _, e := range p.exited {
			if e == pid {
				p.mu.Unlock()
				return nil
			}
		}
		changed := p.changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-timer.C:
			return fmt.Errorf("%w: %s saw no exit of %s within %v", ErrTimeout, p.pid, pid, timeout)
		}
	}
}

// MustExited is ExpectExited with the peer's timeout that fails the test.
func (p *Peer) MustExited(t testing.TB, pid actors.PID) {
	t.Helper()
	if err := p.ExpectExited(pid, p.getTimeout()); err != nil {
		t.Fatal(err)
	}
}

// pendingSummary names the pending messages, for timeout errors.
func (p *Peer) pendingSummary() string {
	pend := p.Pending()
	if len(pend) == 0 {
		return "none"
	}
	const max = 10
	var b strings.Builder
	for i, r := range pend {
		if i == max {
			fmt.Fprintf(&b, ", ... (%d more)", len(pend)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s from %s", r.Msg.ProtoReflect().Descriptor().FullName(), r.From)
	}
	return b.String()
}
