package actors

import (
	"errors"
	"fmt"
	"google.golang.org/protobuf/types/dynamicpb"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Process is an actor written libprocess-style.
type Process interface {
	// Initialize installs handlers (Install) and starts timers.
	Initialize(ctx *Context)
}

// Exiter is implemented by processes that Link to peers.
type Exiter interface {
	// Exited is called once when a linked peer goes away (stopped, or its
	// node's connection broke). As in libprocess, it comes after every
	// message from that peer that had reached this process before the peer
	// went away.
	Exited(ctx *Context, pid PID)
}

// Finalizer is implemented by processes that clean up on stop.
type Finalizer interface {
	Finalize(ctx *Context)
}

// Panicker is implemented by processes that want to hear of their own
// panics: after a handler or callback panicked (recovered and logged; the
// process keeps serving), Panicked is called on the process' goroutine with
// what panicked and the value. A supervisor uses it to replace a process
// whose state may be broken. A panic inside Panicked is logged only.
type Panicker interface {
	Panicked(ctx *Context, what string, value any)
}

// Handler handles one message type. from is the sender's PID (zero if
// the message had none).
type Handler[M proto.Message] func(from PID, m M)

// Install registers h for messages of type M on the process of ctx. A
// message with no handler is logged and dropped; a handler that panics is
// recovered, logged, and the process keeps serving. Installing a second
// handler for the same type replaces the first.
func Install[M proto.Message](ctx *Context, h Handler[M]) {
	name := TypeOf[M]()
	p := ctx.p
	p.lastK, p.lastH = nil, nil
	p.handlers[name] = func(from PID, m proto.Message) {
		mm, ok := m.(M)
		if !ok { // another Go type with the same full name (dynamicpb...)
			p.entry().WithField("message", string(name)).Warnf("actors: message of Go type %T dropped: handler wants %T", m, mm)
			return
		}
		h(from, mm)
	}
}

// InstallFallback registers h for every message type that has no handler
// of its own (test peers that record whatever arrives use it). Installing
// it again replaces it; nil removes it.
func InstallFallback(ctx *Context, h Handler[proto.Message]) {
	ctx.p.fallback = h
	ctx.p.lastK, ctx.p.lastH = nil, nil
}

// TypeOf returns M's full name, for Match.Type. M must be a generated
// message pointer type such as *mesos.TaskInfo.
func TypeOf[M proto.Message]() protoreflect.FullName {
	var m M
	return m.ProtoReflect().Descriptor().FullName()
}

// Spawn starts p under the given id (unique per node). p.Initialize runs on
// the process' goroutine before any message is handled.
func (n *Node) Spawn(id string, p Process) (PID, error) {
	if n.stopping.Load() {
		return PID{}, ErrShutdown
	}
	if p == nil {
		return PID{}, errors.New("actors: Spawn of a nil Process")
	}
	if id == "" || strings.ContainsAny(id, "@ \t\r\n") || strings.HasPrefix(id, "$") {
		return PID{}, fmt.Errorf("actors: bad process id %q", id)
	}
	pr := &process{
		node:     n,
		impl:     p,
		self:     PID{ID: id, Address: n.addr},
		apid:     actor.NewPID(n.addr, id),
		handlers: make(map[protoreflect.FullName]func(PID, proto.Message)),
		links:    make(map[string]struct{}),
		done:     make(chan struct{}),
	}
	pr.ctx.p = pr
	if _, loaded := n.procs.LoadOrStore(id, pr); loaded {
		return PID{}, fmt.Errorf("%w: %q", ErrNameExists, id)
	}
	var hook actor.MailboxMiddleware
	if n.mailboxHook != nil {
		hook = &mailboxHook{to: pr.self, f: n.mailboxHook}
	}
	pr.mb = newMailbox(pr, hook)
	// No middleware: Receive and Node.send do its work, cheaper.
	props := actor.PropsFromProducer(
		func() actor.Actor { return pr }, // the same instance on a restart: state survives
		actor.WithMailbox(func() actor.Mailbox { return pr.mb }),
	)
	if _, err := n.sys.Root.SpawnNamed(props, id); err != nil {
		n.procs.CompareAndDelete(id, pr)
		if errors.Is(err, actor.ErrNameExists) {
			return PID{}, fmt.Errorf("%w: %q", ErrNameExists, id)
		}
		return PID{}, fmt.Errorf("actors: spawn %q: %w", id, err)
	}
	pr.ready.Store(true) // the mailbox has its handlers: sends may post to it
	return pr.self, nil
}

// process is the protoactor actor behind a Process. All fields but the
// atomics and the timer set are owned by the actor's goroutine.
type process struct {
	// Read by senders on every message: nothing here changes per message.
	node  *Node
	mb    *mailbox
	ready atomic.Bool // spawned: sends post to mb directly
	gone  atomic.Bool // stopping: Dispatch refuses, timers are void, sends go through protoactor
	_     [64 - 8 - 8 - 4 - 4]byte

	impl    Process
	self    PID
	apid    *actor.PID
	ctx     Context
	actx    actor.Context // set at Started; stable for the actor's life
	stopped bool          // Stopped ran: user messages are dropped, as protoactor does

	handlers  map[protoreflect.FullName]func(PID, proto.Message)
	fallback  Handler[proto.Message]
	lastK     unsafe.Pointer // the Go type handled last (typeKey) and its handler
	lastH     func(PID, proto.Message)
	links     map[string]struct{}
	warned    map[protoreflect.FullName]struct{}
	pids      map[PID]*pidEntry // send targets
	lastE     *pidEntry         // the last send target
	trace     id                // trace id of the message being handled
	inHandler bool              // a handler called by the mailbox with no guard of its own runs

	initialized, finalized bool
	done                   chan struct{}

	timersMu sync.Mutex
	timers   map[*delayTimer]struct{}
}

// dispatchMsg is the local, non-proto message carrying a function.
type dispatchMsg struct {
	f     func()
	trace id
	timer *delayTimer
}

// exitedMsg is the local message a process posts to its own user mailbox
// when a linked peer terminates. protoactor's Terminated is a system
// message, handled ahead of the user messages already queued; going through
// the user mailbox puts Exited after every message the peer sent before it
// went away (libprocess' order: a scheduler's last message before it stops,
// say TEARDOWN, is handled before its exit).
type exitedMsg struct {
	who *actor.PID
}

// mailboxHook is the MailboxMiddleware of Config.mailboxHook.
type mailboxHook struct {
	to PID
	f  func(PID, any)
}

func (h *mailboxHook) MailboxStarted()       {}
func (h *mailboxHook) MessagePosted(m any)   { h.f(h.to, m) }
func (h *mailboxHook) MessageReceived(m any) {}
func (h *mailboxHook) MailboxEmpty()         {}

func (p *process) entry() *logrus.Entry {
	return p.node.log.WithField("process", p.self.String())
}

// Receive implements actor.Actor.
func (p *process) Receive(c actor.Context) {
	msg := c.Message()
	if lm, ok := msg.(*localMsg); ok {
		sender := lm.sender
		if sender == nil {
			sender = c.Sender()
		}
		p.receiveLocal(lm.msg, sender, lm.mid, lm.trace, false)
		return
	}
	p.trace = id{}
	switch m := msg.(type) {
	case *dispatchMsg:
		p.runDispatch(m)
	case *actor.Started:
		p.actx = c
		if !p.initialized {
			p.initialized = true
			p.callback("Initialize", func() { p.impl.Initialize(&p.ctx) })
		}
	case *actor.Stopping:
		p.finalize()
	case *actor.Stopped:
		p.stopped = true
		p.finalize()
		p.node.procs.CompareAndDelete(p.self.ID, p)
		p.mb.drainDead()
		close(p.done)
	case *actor.Restarting:
		p.entry().Warn("actors: process restarted by protoactor (state kept)")
	case *actor.Terminated:
		p.onTerminated(m)
	case *exitedMsg:
		p.onExited(m)
	case *actor.DeadLetterResponse:
		p.entry().WithField("target", fromActorPID(m.Target).String()).Debug("actors: a message sent by this process reached no process")
	case *actor.ReceiveTimeout:
	case proto.Message:
		// From a peer node: the ids came in the message's bytes (none
		// from a raw protoactor peer).
		from := fromActorPID(c.Sender())
		if isInternal(m) {
			p.handle(from, m)
			return
		}
		mid, trace := takeIDs(m)
		p.trace = trace
		if p.node.admit(m, from, p.self, mid, trace) {
			p.handle(from, m)
		}
	default:
		p.entry().Debugf("actors: non-protobuf message %T dropped", m)
	}
}

// receiveLocal delivers a message sent within the node (from the mailbox's
// slot, or a localMsg that came through protoactor): filters and tracing,
// then the handler. protoactor's own messages sent as user messages get
// what Receive gives them. direct says the mailbox called it, and guards
// the handler (see mailbox.runGuarded).
func (p *process) receiveLocal(msg proto.Message, sender *actor.PID, mid, trace id, direct bool) {
	if p.stopped {
		p.deadAfterStop(msg, sender, mid, trace)
		return
	}
	p.trace = trace
	switch m := msg.(type) {
	case *actor.PoisonPill:
		p.poisonPill(sender)
		return
	case *actor.Terminated:
		p.onTerminated(m)
		return
	case *actor.DeadLetterResponse:
		p.entry().WithField("target", fromActorPID(m.Target).String()).Debug("actors: a message sent by this process reached no process")
		return
	case *actor.Touch, *actor.Touched, *actor.Watch, *actor.Unwatch, *actor.Stop: // the rest of isInternal
		p.handle(fromActorPID(sender), msg)
		return
	}
	from := fromActorPID(sender)
	if !p.node.quiet() && !p.node.admit(msg, from, p.self, mid, trace) {
		return
	}
	if !direct {
		p.handle(from, msg)
		return
	}
	if h := p.handler(from, msg); h != nil {
		p.inHandler = true
		h(from, msg)
		p.inHandler = false
	}
}

// deadAfterStop makes a message that was still in the mailbox when the
// process stopped a dead letter, as one sent a moment later is. The
// process' own messages (Dispatch, Exited) and protoactor's go quietly.
func (p *process) deadAfterStop(msg any, sender *actor.PID, mid, trace id) {
	switch m := msg.(type) {
	case *actor.MessageEnvelope:
		msg = m.Message
		if sender == nil {
			sender = m.Sender
		}
	case *localMsg:
		msg, mid, trace = m.msg, m.mid, m.trace
		if m.sender != nil {
			sender = m.sender
		}
	}
	pm, ok := msg.(proto.Message)
	if !ok || isInternal(pm) {
		return
	}
	p.node.sys.EventStream.Publish(&actor.DeadLetterEvent{
		PID:     p.apid,
		Message: &localMsg{msg: pm, sender: sender, mid: mid, trace: trace},
		Sender:  sender,
	})
}

// poisonPill refuses a PoisonPill: processes stop through Node.Stop and
// Terminate only.
func (p *process) poisonPill(from *actor.PID) {
	p.entry().WithField("from", fromActorPID(from).String()).Warn("actors: PoisonPill ignored")
}

// handle calls m's handler, recovering a panic.
func (p *process) handle(from PID, m proto.Message) {
	h := p.handler(from, m)
	if h == nil {
		return
	}
	defer p.recoverHandler(m)
	h(from, m)
}

// handler returns m's handler, or nil (the message logged as unhandled).
func (p *process) handler(from PID, m proto.Message) func(PID, proto.Message) {
	k := typeKey(m)
	if h := p.lastH; h != nil && k == p.lastK {
		return h
	}
	name := m.ProtoReflect().Descriptor().FullName()
	h, ok := p.handlers[name]
	if !ok {
		if p.fallback == nil {
			p.unhandled(name, from)
			return nil
		}
		h = p.fallback
	}
	if _, dyn := m.(*dynamicpb.Message); !dyn {
		// Every dynamic message has one Go type, whatever its name.
		p.lastK, p.lastH = k, h
	}
	return h
}

// typeKey identifies m's Go type without reflection: the type word of the
// interface value (one per concrete type implementing proto.Message).
func typeKey(m proto.Message) unsafe.Pointer {
	return (*[2]unsafe.Pointer)(unsafe.Pointer(&m))[0]
}

func (p *process) recoverHandler(m proto.Message) {
	if r := recover(); r != nil {
		p.handlerPanicked(m, r)
	}
}

// handlerPanicked reports a recovered panic of m's handler; the process
// keeps serving.
func (p *process) handlerPanicked(m proto.Message, r any) {
	name := m.ProtoReflect().Descriptor().FullName()
	p.node.stats.panics.Add(1)
	p.entry().WithFields(logrus.Fields{
		"message": string(name),
		"panic":   r,
		"stack":   string(debug.Stack()),
	}).Error("actors: handler panicked; message dropped, process keeps serving")
	p.panicked(string(name), r)
}

// panicked tells a Panicker about a recovered panic.
func (p *process) panicked(what string, r any) {
	pk, ok := p.impl.(Panicker)
	if !ok {
		return
	}
	defer func() {
		if r2 := recover(); r2 != nil {
			p.node.stats.panics.Add(1)
			p.entry().WithField("panic", r2).Error("actors: Panicked panicked")
		}
	}()
	pk.Panicked(&p.ctx, what, r)
}

func (p *process) unhandled(name protoreflect.FullName, from PID) {
	p.node.stats.unhandled.Add(1)
	e := p.entry().WithFields(logrus.Fields{"message": string(name), "from": from.String()})
	if p.warned == nil {
		p.warned = make(map[protoreflect.FullName]struct{})
	}
	if _, ok := p.warned[name]; ok {
		e.Debug("actors: no handler for message; dropped")
		return
	}
	p.warned[name] = struct{}{}
	e.Warn("actors: no handler for message; dropped (further ones logged at debug)")
}

// callback runs f, recovering and logging a panic.
func (p *process) callback(what string, f func()) {
	defer func() {
		if r := recover(); r != nil {
			p.node.stats.panics.Add(1)
			p.entry().WithFields(logrus.Fields{
				"callback": what,
				"panic":    r,
				"stack":    string(debug.Stack()),
			}).Error("actors: callback panicked; process keeps serving")
			p.panicked(what, r)
		}
	}()
	f()
}

func (p *process) runDispatch(m *dispatchMsg) {
	if p.gone.Load() {
		return
	}
	if m.timer != nil {
		if !m.timer.state.CompareAndSwap(timerPending, timerRan) {
			return // stopped after it fired
		}
		p.removeTimer(m.timer)
	}
	p.trace = m.trace
	p.callback("Dispatch", m.f)
}

// onTerminated queues the Exited of a linked peer behind the user messages
// already in the mailbox (see exitedMsg).
func (p *process) onTerminated(m *actor.Terminated) {
	if m.Who == nil {
		return
	}
	if _, ok := p.links[pidKey(m.Who)]; !ok {
		return // not linked, or already reported
	}
	p.postExited(m.Who)
}

func (p *process) postExited(who *actor.PID) {
	p.node.sys.Root.Send(p.apid, &exitedMsg{who: who}) // sys.Root: no middleware
}

// onExited reports a linked peer's exit, once, unless the process unlinked
// it in the meantime.
func (p *process) onExited(m *exitedMsg) {
	key := pidKey(m.who)
	if _, ok := p.links[key]; !ok || p.gone.Load() {
		return
	}
	delete(p.links, key)
	if ex, ok := p.impl.(Exiter); ok {
		who := fromActorPID(m.who)
		p.callback("Exited", func() { ex.Exited(&p.ctx, who) })
	}
}

func (p *process) finalize() {
	p.gone.Store(true)
	if p.finalized {
		return
	}
	p.finalized = true
	p.timersMu.Lock()
	ts := make([]*delayTimer, 0, len(p.timers))
	for t := range p.timers {
		ts = append(ts, t)
	}
	p.timersMu.Unlock()
	for _, t := range ts {
		t.Stop()
	}
	if f, ok := p.impl.(Finalizer); ok && p.initialized {
		p.callback("Finalize", func() { f.Finalize(&p.ctx) })
	}
}

func (p *process) addTimer(t *delayTimer) {
	p.timersMu.Lock()
	if p.timers == nil {
		p.timers = make(map[*delayTimer]struct{})
	}
	p.timers[t] = struct{}{}
	p.timersMu.Unlock()
}

func (p *process) removeTimer(t *delayTimer) {
	p.timersMu.Lock()
	delete(p.timers, t)
	p.timersMu.Unlock()
}

const (
	timerPending int32 = iota
	timerRan
	timerStopped
)

// delayTimer is the Timer of Context.Delay. Stopping it before f has run
// cancels f even if the clock timer already fired.
type delayTimer struct {
	p     *process
	inner Timer
	state atomic.Int32
}

func (t *delayTimer) Stop() bool {
	if !t.state.CompareAndSwap(timerPending, timerStopped) {
		return false
	}
	t.inner.Stop()
	t.p.removeTimer(t)
	return true
}

// Context is a process' handle on the runtime. Use it only on the process'
// own goroutine (inside Initialize, handlers, Delay and Dispatch callbacks).
type Context struct {
	p *process
}

// Self returns the process' PID.
func (c *Context) Self() PID { return c.p.self }

// Node returns the node the process runs on.
func (c *Context) Node() *Node { return c.p.node }

// Clock returns the node's clock.
func (c *Context) Clock() Clock { return c.p.node.clock }

// Log returns the node's logger with the process' PID as a field.
func (c *Context) Log() *logrus.Entry { return c.p.entry() }

// Send sends msg to `to` with Self as sender. The message carries the
// trace id of the message being handled. Like Node.Send, it never panics.
func (c *Context) Send(to PID, msg proto.Message) {
	if to.IsZero() || msg == nil {
		c.p.entry().WithField("message", typeName(msg)).Warn("actors: Send to the zero PID or of a nil message dropped")
		return
	}
	p := c.p
	e := p.target(to)
	if p.node.postLocal(p.apid, e, msg, p.trace) {
		return
	}
	p.node.sendGuarded(p.self, to, p.apid, e, msg, p.trace)
}

// target returns the entry to send to `to`, cached per process.
func (p *process) target(to PID) *pidEntry {
	if p.lastE != nil && equalPID(p.lastE.pid, to) {
		return p.lastE
	}
	e, ok := p.pids[to]
	if !ok {
		e = p.node.pids.get(to, p.node.isLocalAddr)
		if p.pids == nil || len(p.pids) >= processPIDCacheMax {
			p.pids = make(map[PID]*pidEntry)
		}
		p.pids[to] = e
	}
	p.lastE = e
	return e
}

// Link watches pid; Exited fires once when it goes away (at once if it
// does not exist or cannot be reached). Linking twice is harmless.
func (c *Context) Link(pid PID) {
	if pid.IsZero() {
		return
	}
	key := pid.Address + "/" + pid.ID
	if _, ok := c.p.links[key]; ok {
		return
	}
	c.p.links[key] = struct{}{}
	ap := toActorPID(pid)
	if pid.Address != c.p.self.Address && isLocalAddress(pid.Address) {
		c.p.postExited(ap) // another Local node: unreachable
		return
	}
	if !c.p.watch(ap, true) {
		c.p.postExited(ap) // the peer cannot be watched: treat it as gone
	}
}

// Unlink stops watching pid.
func (c *Context) Unlink(pid PID) {
	key := pid.Address + "/" + pid.ID
	if _, ok := c.p.links[key]; !ok {
		return
	}
	delete(c.p.links, key)
	if pid.Address == c.p.self.Address || !isLocalAddress(pid.Address) {
		c.p.watch(toActorPID(pid), false)
	}
}

// watch is Watch (or Unwatch) recovering a panic inside protoactor's
// remoting; it reports whether it did not panic.
func (p *process) watch(ap *actor.PID, on bool) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
			p.node.stats.sendPanics.Add(1)
			p.entry().WithFields(logrus.Fields{"peer": fromActorPID(ap).String(), "link": on, "panic": r}).
				Error("actors: link panicked inside protoactor")
		}
	}()
	if on {
		p.actx.Watch(ap)
	} else {
		p.actx.Unwatch(ap)
	}
	return true
}

// Delay runs f on this process' goroutine after d on the node's clock. It
// never runs once the process has stopped, or once the Timer is stopped.
// Messages f sends continue the current trace.
func (c *Context) Delay(d time.Duration, f func()) Timer {
	p := c.p
	t := &delayTimer{p: p}
	if p.gone.Load() {
		t.state.Store(timerStopped)
		t.inner = stoppedTimer{}
		return t
	}
	trace := p.trace
	p.addTimer(t)
	t.inner = p.node.clock.AfterFunc(d, func() {
		if t.state.Load() != timerPending || p.gone.Load() {
			return
		}
		p.node.dispatch(p, &dispatchMsg{f: f, trace: trace, timer: t})
	})
	return t
}

type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return false }

// Dispatch runs f on this process' goroutine later (after the current
// message). Safe to call from any goroutine.
func (c *Context) Dispatch(f func()) {
	if c.p.gone.Load() {
		return
	}
	c.p.node.dispatch(c.p, &dispatchMsg{f: f})
}

// Terminate stops this process after the current message.
func (c *Context) Terminate() {
	c.p.gone.Store(true)
	c.p.actx.Stop(c.p.apid)
}
