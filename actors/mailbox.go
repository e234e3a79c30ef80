package actors

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
)

// mailbox is every process' protoactor mailbox (actor.WithMailbox): the
// one queue its user messages go through, whoever posts them. A message
// sent within the node is posted by Node.send straight into it as a slot
// holding the message with its sender and ids (no wrapper object, no
// protoactor envelope), and is delivered to the process without
// protoactor's per-message context; what protoactor posts (messages from
// other nodes, the process' own Dispatch and Exited, system messages) goes
// through protoactor's invoker as with its default mailbox. Both share one
// FIFO, so a process sees the messages of any one sender in order, and
// Exited after a peer's last message.
//
// Senders append under a mutex into fixed-size chunks; the process reads
// what was queued without the lock, taking it once per run of queued
// messages, so sender and receiver meet once per batch, not once per
// message, and a burst grows the queue by whole chunks without copying.
// A message sent untraced gets its number under that same mutex, so a send
// takes two atomic instructions (lock, unlock). System messages go first,
// as in protoactor's default mailbox, checked between user messages.
type mailbox struct {
	// Under mu: written by senders (and by the process between batches).
	mu     sync.Mutex
	rd     *chunk // the chunk the process reads (nil until the first post)
	tail   *chunk // the chunk senders fill
	spare  *chunk // one emptied chunk kept for the next
	sys    []any
	nextID uint64 // message numbers [nextID, endID) are this mailbox's to give
	endID  uint64
	_      [64]byte // each group on lines of its own, wherever the mailbox lands

	// Written rarely (once per batch, or per system message).
	status atomic.Int32 // mbIdle or mbRunning
	sysN   atomic.Int32 // system messages posted and not yet run
	_      [64]byte

	// Set before the process runs; read by both.
	p          *process
	invoker    actor.MessageInvoker
	dispatcher actor.Dispatcher
	hook       actor.MailboxMiddleware // tests only; may be nil
	ids        *idGen                  // the node's (nil in tests of the bare mailbox)
	runFn      func()                  // process, made once: a method value per Schedule allocated
	_          [64]byte

	// The process' goroutine only: rd's slots [next, avail) are queued.
	next, avail int
	suspended   bool
	_           [64]byte
}

// slot is one queued user message. mid is non-zero for a message with ids
// (sent within the node, or from another node through inSerializer); it
// then carries sender and trace too, and goes to the process directly.
// Others go through protoactor's invoker.
type slot struct {
	msg    any
	sender *actor.PID
	mid    id
	trace  id
}

// chunk is a run of slots; n of them are written (under the mailbox's
// lock).
type chunk struct {
	slots [chunkSlots]slot
	n     int
	next  *chunk
}

const chunkSlots = 64

var chunks = sync.Pool{New: func() any { return new(chunk) }}

const (
	mbIdle int32 = iota
	mbRunning
)

func newMailbox(p *process, hook actor.MailboxMiddleware) *mailbox {
	m := &mailbox{p: p, hook: hook}
	m.runFn = m.process
	if p != nil {
		m.ids = &p.node.ids
	}
	return m
}

// idBlock is how many message numbers a mailbox takes from its node's
// counter at a time.
const idBlock = 256

// post queues a message sent within the node. A zero mid is given one
// here, under the lock senders take anyway (numbers from a block of the
// node's counter: unique on the node, one shared atomic per idBlock
// messages); a zero trace starts one named after the message.
func (m *mailbox) post(msg proto.Message, sender *actor.PID, mid, trace id) {
	m.mu.Lock()
	if mid.zero() {
		if m.nextID == m.endID {
			end := m.ids.n.Add(idBlock)
			m.nextID, m.endID = end-idBlock+1, end+1
		}
		mid = id{m.ids.node, m.nextID}
		m.nextID++
	}
	if trace.zero() {
		trace = mid
	}
	c := m.tail
	if c == nil || c.n == chunkSlots {
		c = m.grow()
	}
	s := &c.slots[c.n]
	s.msg, s.sender, s.mid, s.trace = msg, sender, mid, trace
	c.n++
	m.mu.Unlock()
	if m.hook != nil {
		m.hook.MessagePosted(msg)
	}
	m.schedule()
}

// push appends s; under mu.
func (m *mailbox) push(s slot) {
	c := m.tail
	if c == nil || c.n == chunkSlots {
		c = m.grow()
	}
	c.slots[c.n] = s
	c.n++
}

// grow links a new tail chunk, the tail being full or absent; under mu.
func (m *mailbox) grow() *chunk {
	c := m.tail
	nc := m.spare
	if nc != nil {
		m.spare = nil
	} else {
		nc = chunks.Get().(*chunk)
	}
	if c == nil {
		m.rd = nc
	} else {
		c.next = nc
	}
	m.tail = nc
	return nc
}

// PostUserMessage implements actor.Mailbox (as protoactor's default
// mailbox: a batch's messages are posted one by one, then the batch).
func (m *mailbox) PostUserMessage(msg any) {
	if b, ok := msg.(actor.MessageBatch); ok {
		for _, x := range b.GetMessages() {
			m.PostUserMessage(x)
		}
	}
	if env, ok := msg.(*actor.MessageEnvelope); ok {
		if b, ok := env.Message.(actor.MessageBatch); ok {
			for _, x := range b.GetMessages() {
				m.PostUserMessage(x)
			}
		}
	}
	s := slot{msg: msg}
	var opened *localMsg
	switch x := msg.(type) {
	case *localMsg: // from another node (inSerializer), or sent here through protoactor
		if !x.mid.zero() {
			s, opened = slot{msg: x.msg, sender: x.sender, mid: x.mid, trace: x.trace}, x
		}
	case *actor.MessageEnvelope:
		if lm, ok := x.Message.(*localMsg); ok && x.Header == nil && !lm.mid.zero() {
			s, opened = slot{msg: lm.msg, sender: x.Sender, mid: lm.mid, trace: lm.trace}, lm
		}
	}
	m.mu.Lock()
	m.push(s)
	m.mu.Unlock()
	if m.hook != nil {
		m.hook.MessagePosted(msg)
	}
	if opened != nil && opened.pooled {
		*opened = localMsg{}
		inMsgs.Put(opened)
	}
	m.schedule()
}

// PostSystemMessage implements actor.Mailbox.
func (m *mailbox) PostSystemMessage(msg any) {
	m.mu.Lock()
	m.sys = append(m.sys, msg)
	m.sysN.Add(1)
	m.mu.Unlock()
	if m.hook != nil {
		m.hook.MessagePosted(msg)
	}
	m.schedule()
}

// RegisterHandlers implements actor.Mailbox.
func (m *mailbox) RegisterHandlers(invoker actor.MessageInvoker, dispatcher actor.Dispatcher) {
	m.invoker, m.dispatcher = invoker, dispatcher
}

// Start implements actor.Mailbox.
func (m *mailbox) Start() {
	if m.hook != nil {
		m.hook.MailboxStarted()
	}
}

// UserMessageCount implements actor.Mailbox (protoactor's metrics, which
// gomesos does not enable): the slots written in the chunks not yet
// recycled, which counts the read part of the first chunk too.
func (m *mailbox) UserMessageCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for c := m.rd; c != nil; c = c.next {
		n += c.n
	}
	return n
}

// schedule starts the process' goroutine unless it runs. (A sender that
// sees it running is covered: the goroutine looks for work under the lock
// after it says it is idle.)
func (m *mailbox) schedule() {
	if m.status.Load() == mbIdle {
		m.start()
	}
}

// start is schedule's slow path, kept out of line so that schedule, on
// every send, is inlined.
//
//go:noinline
func (m *mailbox) start() {
	if m.status.CompareAndSwap(mbIdle, mbRunning) {
		m.dispatcher.Schedule(m.runFn)
	}
}

// process runs the mailbox until it finds no work. It says it is idle
// under the lock that senders queue under, having looked for work there
// while it still owns the reading state (next, suspended): a message
// queued before sees it running and is found, one queued after sees it
// idle and schedules it again; no other goroutine reads that state.
func (m *mailbox) process() {
	reserveStack(0)
	for {
		m.run()
		m.mu.Lock()
		if !m.hasWork() {
			suspended := m.suspended
			m.status.Store(mbIdle)
			m.mu.Unlock()
			if m.hook != nil && !suspended {
				m.hook.MailboxEmpty()
			}
			return
		}
		m.mu.Unlock()
	}
}

// stackReserve is the stack a mailbox's goroutine takes as it starts.
// Each run of a mailbox is a new goroutine, with a small stack (2 KB in the
// benchmarks), and a handler that sends to another node goes deeper than
// that: the runtime grew the stack in the middle of the send, copying
// every frame on the way (about 5 % of a round trip's CPU between two
// nodes). Taking the room while the goroutine is one frame deep costs a
// copy of that frame only.
const stackReserve = 6 << 10

// reserveStack makes the runtime give the calling goroutine stackReserve
// bytes of stack to spare (i is 0: an index the compiler cannot drop).
//
//go:noinline
func reserveStack(i int) byte {
	var b [stackReserve]byte
	b[i] = 1
	return b[i/2]
}

// hasWork says whether a system message or, unless suspended, a user
// message waits; under mu, by the running goroutine.
func (m *mailbox) hasWork() bool {
	return len(m.sys) > 0 || (!m.suspended && m.rd != nil && (m.next < m.rd.n || m.rd.next != nil))
}

// run handles system messages first, then user messages, until none is
// left (or the mailbox is suspended).
func (m *mailbox) run() {
	for !m.runGuarded() {
	}
}

// runGuarded is run under one deferred recover for all the messages it
// handles: a handler of a message sent within the node is called with no
// guard of its own, and if it panics the panic is recovered and reported
// here (process.handlerPanicked) and runGuarded returns false for run to go
// on with the next message. Any other panic that escapes (other handlers
// recover their own) is protoactor's failure, as in its default mailbox.
func (m *mailbox) runGuarded() (ended bool) {
	var cur any
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if m.p != nil && m.p.inHandler {
			m.p.inHandler = false
			m.p.handlerPanicked(cur.(proto.Message), r)
			if m.hook != nil {
				m.hook.MessageReceived(cur)
			}
			return
		}
		m.invoker.EscalateFailure(r, cur)
		ended = true
	}()
	i, t := 0, m.dispatcher.Throughput()
	for {
		if i > t {
			i = 0
			runtime.Gosched()
		}
		i++
		if m.sysN.Load() > 0 {
			m.mu.Lock()
			cur = m.sys[0]
			m.sys[0] = nil
			m.sys = m.sys[1:]
			if len(m.sys) == 0 {
				m.sys = nil
			}
			m.mu.Unlock()
			m.sysN.Add(-1)
			switch cur.(type) {
			case *actor.SuspendMailbox:
				m.suspended = true
			case *actor.ResumeMailbox:
				m.suspended = false
			default:
				m.invoker.InvokeSystemMessage(cur)
			}
			if m.hook != nil {
				m.hook.MessageReceived(cur)
			}
			continue
		}
		if m.suspended {
			return true
		}
		if m.next == m.avail && !m.refill() {
			return true
		}
		s := &m.rd.slots[m.next]
		m.next++
		msg, sender, mid, trace := s.msg, s.sender, s.mid, s.trace
		s.msg, s.sender = nil, nil // the buffer keeps neither alive (the ids hold no pointer)
		cur = msg
		switch {
		case !mid.zero():
			m.p.receiveLocal(msg.(proto.Message), sender, mid, trace, true)
		case m.p != nil && m.p.stopped: // protoactor would drop it unseen
			m.p.deadAfterStop(msg, nil, id{}, id{})
		default:
			m.invoker.InvokeUserMessage(msg)
		}
		if m.hook != nil {
			m.hook.MessageReceived(msg)
		}
	}
}

// drainDead makes every user message still queued a dead letter
// (process.deadAfterStop); the process' goroutine calls it as the process
// stops, so that they are counted and traced before Stop returns.
func (m *mailbox) drainDead() {
	for m.next < m.avail || m.refill() {
		s := &m.rd.slots[m.next]
		m.next++
		msg, sender, mid, trace := s.msg, s.sender, s.mid, s.trace
		s.msg, s.sender = nil, nil
		m.p.deadAfterStop(msg, sender, mid, trace)
		if m.hook != nil {
			m.hook.MessageReceived(msg)
		}
	}
}

// refill learns how many more user messages are queued in the chunk being
// read, moving to the next chunk when it is read out; false if none is.
func (m *mailbox) refill() bool {
	var free *chunk
	m.mu.Lock()
	for {
		c := m.rd
		if c == nil {
			break
		}
		if m.next < c.n {
			m.avail = c.n
			break
		}
		if c.next == nil { // read out, and senders fill it: start it over
			c.n, m.next, m.avail = 0, 0, 0
			break
		}
		m.rd, m.next, m.avail = c.next, 0, 0
		c.n, c.next = 0, nil // its slots were cleared as they were read
		if m.spare == nil {
			m.spare = c
		} else {
			free = c
		}
	}
	ok := m.next < m.avail
	m.mu.Unlock()
	if free != nil {
		chunks.Put(free)
	}
	return ok
}
