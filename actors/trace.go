package actors

import (
	"crypto/rand"
	"encoding/binary"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// EventKind says what happened to a message.
type EventKind int

const (
	Sent EventKind = iota
	Received
	Dropped    // by a test filter
	DeadLetter // no such process
)

func (k EventKind) String() string {
	switch k {
	case Sent:
		return "Sent"
	case Received:
		return "Received"
	case Dropped:
		return "Dropped"
	case DeadLetter:
		return "DeadLetter"
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// Event is what the tracing hook sees for every message.
//
// Sent is reported on the sending node, Received and Dropped on the
// receiving node before the handler runs. DeadLetter is reported by the node
// where the target was missing, with the message's ids.
type Event struct {
	Kind    EventKind
	Time    time.Time
	From    PID
	To      PID
	Type    protoreflect.FullName
	Size    int
	MsgID   string // unique per message; pairs a send with its receive
	TraceID string // causal flow id, carried across processes
	Msg     proto.Message
}

// Tracer receives events. It must not block.
type Tracer interface {
	Trace(e *Event)
}

// id names a message or a trace: the random id of the node that made it
// and a number from that node's counter. It is text ("<12 hex digits>-<n in
// base 36>") only when a tracer wants it.
type id struct{ node, n uint64 }

func (i id) zero() bool { return i.n == 0 }

// String renders the id; the zero id renders "".
func (i id) String() string {
	if i.zero() {
		return ""
	}
	var buf [32]byte
	b := strconv.AppendUint(buf[:0], i.node|1<<48, 16)[1:] // 12 digits, leading zeros kept
	b = append(b, '-')
	b = strconv.AppendUint(b, i.n, 36)
	return string(b)
}

// idGen makes ids unique across nodes: a random 48-bit node id and a counter.
type idGen struct {
	node uint64
	n    atomic.Uint64
}

func (g *idGen) init() {
	var b [8]byte
	_, _ = rand.Read(b[2:])
	g.node = binary.BigEndian.Uint64(b[:])
}

func (g *idGen) next() id { return id{g.node, g.n.Add(1)} }

// localMsg is how a message travels inside a node: the message with its
// ids beside it (no header map); process.Receive unwraps it. (Between
// nodes it travels as an outMsg: see wire.go.)
type localMsg struct {
	msg    proto.Message
	sender *actor.PID // on sends within a node; between nodes protoactor's envelope carries it
	mid    id
	trace  id
	slab   *msgSlab // nil if not from a slab
}

// take reads lm's fields and gives lm back: it must not be used after.
// Whoever fills a localMsg from a slab writes every field.
func (lm *localMsg) take() (proto.Message, *actor.PID, id, id) {
	msg, sender, mid, trace := lm.msg, lm.sender, lm.mid, lm.trace
	if s := lm.slab; s != nil {
		// No clearing: a write here would share cache lines with the
		// sender filling the next entries. A slab keeps at most slabSize
		// delivered messages alive until it is reused or collected.
		s.done()
	}
	return msg, sender, mid, trace
}

// msgSlab hands out the localMsgs of sends within a node with their
// message ids, slabSize at a time: a send costs one atomic add on the
// slab's counter and no allocation. Once every localMsg of a slab has
// been delivered (taken), the slab is reused; one that ends as a dead
// letter, or in the mailbox of a process that stopped, is never taken, so
// its slab is left to the garbage collector instead. (sync.Pool per
// message was tried first: its cross-P steals cost more than the
// allocation they saved, as sender and receiver run on different Ps.)
type msgSlab struct {
	next  atomic.Int64
	base  uint64   // message number of msgs[0]
	_     [48]byte // next (senders) and taken (receivers) on separate cache lines
	taken atomic.Int64
	_     [56]byte // msgs from offset 128: one 64-byte line per localMsg
	msgs  [slabSize]localMsg
}

const slabSize = 256

var slabs = sync.Pool{New: func() any { return new(msgSlab) }}

// done counts one localMsg of s as delivered; the last one recycles s.
func (s *msgSlab) done() {
	if s.taken.Add(1) == slabSize {
		slabs.Put(s)
	}
}

// newLocalMsg returns a fresh localMsg and its message id.
func (n *Node) newLocalMsg() (*localMsg, id) {
	lm, i := n.slab.next(&n.ids.n)
	return lm, id{n.ids.node, i}
}

// slabSource hands out localMsgs from its current slab.
type slabSource struct{ cur atomic.Pointer[msgSlab] }

// next returns a fresh localMsg and, if counter is not nil, a message
// number reserved from it.
func (src *slabSource) next(counter *atomic.Uint64) (*localMsg, uint64) {
	for {
		s := src.cur.Load()
		if s != nil {
			if i := s.next.Add(1) - 1; i < slabSize {
				lm := &s.msgs[i]
				lm.slab = s // on the line the sender fills anyway
				return lm, s.base + uint64(i)
			}
		}
		ns := slabs.Get().(*msgSlab)
		ns.base = 0
		if counter != nil {
			ns.base = counter.Add(slabSize) - slabSize + 1
		}
		ns.taken.Store(0)
		ns.next.Store(1)
		if src.cur.CompareAndSwap(s, ns) {
			lm := &ns.msgs[0]
			lm.slab = ns
			return lm, ns.base
		}
		slabs.Put(ns) // another sender installed a slab first: use that one
	}
}

// isInternal reports protoactor's own protobuf messages, which are neither
// traced nor filtered.
func isInternal(m proto.Message) bool {
	switch m.(type) {
	case *actor.Terminated, *actor.DeadLetterResponse, *actor.PoisonPill,
		*actor.Touch, *actor.Touched, *actor.Watch, *actor.Unwatch, *actor.Stop:
		return true
	}
	return false
}

func typeName(m proto.Message) string {
	if m == nil {
		return "<nil>"
	}
	return string(m.ProtoReflect().Descriptor().FullName())
}

// send stamps msg with a new message id and the trace id (a new trace if
// zero) and hands it to protoactor. sender may be nil. Messages to other
// nodes that are too large for the wire are refused here.
func (n *Node) send(sender, target *actor.PID, msg proto.Message, trace id) {
	local := n.isLocal(target)
	if local {
		lm, mid := n.newLocalMsg()
		if trace.zero() {
			trace = mid // a trace is named after its first message
		}
		lm.msg, lm.sender, lm.mid, lm.trace = msg, sender, mid, trace
		if tr := n.getTracer(); tr != nil {
			n.traceSent(tr, sender, target, msg, -1, mid, trace)
		}
		n.sys.Root.Send(target, lm)
		return
	}
	mid := n.ids.next()
	if trace.zero() {
		trace = mid
	}
	if n.rem == nil || isLocalAddress(target.Address) {
		// In-process. On a Local node a message to any other address
		// becomes a dead letter (with its ids); so does one to a Local
		// node's pseudo address, which remoting must not try to dial.
		if tr := n.getTracer(); tr != nil {
			n.traceSent(tr, sender, target, msg, -1, mid, trace)
		}
		lm := &localMsg{msg: msg, sender: sender, mid: mid, trace: trace}
		if n.rem != nil {
			n.sys.DeadLetter.SendUserMessage(target, lm)
			return
		}
		n.sys.Root.Send(target, lm) // resolves to protoactor's dead letters
		return
	}
	// To another node: refuse what would break the connection, and
	// protoactor's own control messages, which its remoting would act on.
	if isInternal(msg) {
		n.refuseProtoactorType(sender, target, msg)
		return
	}
	size := proto.Size(msg)
	if size > MaxMessageSize {
		n.refuseOversized(sender, target, msg, size)
		return
	}
	if tr := n.getTracer(); tr != nil {
		n.traceSent(tr, sender, target, msg, size, mid, trace)
	}
	lm := newOutMsg(msg, mid, trace)
	if sender == nil {
		n.sys.Root.Send(target, lm)
		return
	}
	n.sys.Root.Send(target, &actor.MessageEnvelope{Message: lm, Sender: sender})
}

func (n *Node) refuseProtoactorType(from, to *actor.PID, msg proto.Message) {
	n.stats.rejected.Add(1)
	n.log.WithFields(logrus.Fields{
		"from":    fromActorPID(from).String(),
		"to":      fromActorPID(to).String(),
		"message": typeName(msg),
	}).Error("actors: protoactor's own control messages cannot be sent to another node; dropped")
}

func (n *Node) traceSent(tr Tracer, from, to *actor.PID, msg proto.Message, size int, mid, trace id) {
	if size < 0 {
		size = proto.Size(msg)
	}
	tr.Trace(&Event{
		Kind:    Sent,
		Time:    n.clock.Now(),
		From:    fromActorPID(from),
		To:      fromActorPID(to),
		Type:    msg.ProtoReflect().Descriptor().FullName(),
		Size:    size,
		MsgID:   mid.String(),
		TraceID: trace.String(),
		Msg:     msg,
	})
}

func (n *Node) refuseOversized(from, to *actor.PID, msg proto.Message, size int) {
	n.stats.oversized.Add(1)
	n.log.WithFields(logrus.Fields{
		"from":    fromActorPID(from).String(),
		"to":      fromActorPID(to).String(),
		"message": typeName(msg),
		"size":    size,
		"limit":   MaxMessageSize,
	}).Error("actors: message too large for remoting; dropped")
}

// admit applies test filters and reports Received (or Dropped) before a
// process sees a message; it reports whether to deliver it. mid and trace
// are zero for a message from a peer that sent it without an Envelope.
func (n *Node) admit(msg proto.Message, from, to PID, mid, trace id) bool {
	tr := n.getTracer()
	filtering := n.filters.active()
	if tr == nil && !filtering {
		return true
	}
	name := msg.ProtoReflect().Descriptor().FullName()
	kind := Received
	if filtering && n.filters.apply(name, msg, from, to) {
		n.stats.filtered.Add(1)
		kind = Dropped
	}
	if tr != nil {
		tr.Trace(&Event{
			Kind:    kind,
			Time:    n.clock.Now(),
			From:    from,
			To:      to,
			Type:    name,
			Size:    proto.Size(msg),
			MsgID:   mid.String(),
			TraceID: trace.String(),
			Msg:     msg,
		})
	}
	return kind != Dropped
}

// A localMsg fills one cache line and a slab's entries start on a line
// boundary (a slab is page-aligned: large allocations are), so a delivery
// moves one line between the sender's core and the receiver's.
var _ [64 - unsafe.Sizeof(localMsg{})]struct{}
var _ [unsafe.Sizeof(localMsg{}) - 64]struct{}
var _ [unsafe.Offsetof(msgSlab{}.msgs) - 128]struct{}
