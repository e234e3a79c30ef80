package actors

import (
	"crypto/rand"
	"encoding/binary"
	"strconv"
	"sync/atomic"
	"time"

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

// localMsg carries a message sent within the node with its ids when it
// cannot go straight into the target's mailbox (see Node.send): the target
// is not (or no longer) a live process of this node, or lives on another
// Local node. It goes through protoactor, which delivers it to the
// mailbox or to its dead letters. (Between nodes messages travel in
// batches: see outq.go.)
type localMsg struct {
	msg    proto.Message
	sender *actor.PID // nil for none (or, from another node, protoactor's envelope carries it)
	mid    id
	trace  id
	pooled bool // from inMsgs: given back once the mailbox has copied it
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
// zero) and delivers it: into a live local mailbox, through protoactor, or
// into the peer's queue (outq.go). sender may be nil. Messages to other
// nodes that are too large for the wire are refused here or as their
// batch is encoded.
func (n *Node) send(sender *actor.PID, to *pidEntry, msg proto.Message, trace id) {
	target := to.ap
	mid := n.ids.next()
	if trace.zero() {
		trace = mid // a trace is named after its first message
	}
	if to.local {
		if tr := n.getTracer(); tr != nil {
			n.traceSent(tr, sender, target, msg, -1, mid, trace)
		}
		if p := n.liveProcess(to); p != nil {
			p.mb.post(msg, sender, mid, trace)
			return
		}
		// Not a live process here: protoactor finds its mailbox if it is
		// stopping, or makes it a dead letter.
		n.sys.Root.Send(target, &localMsg{msg: msg, sender: sender, mid: mid, trace: trace})
		return
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
	// The size limit: checked here when a tracer wants the size anyway,
	// else by the encoding on protoactor's endpoint writer (outMarshal),
	// which sizes the message once, as raw protoactor does.
	if tr := n.getTracer(); tr != nil {
		size := proto.Size(msg)
		if size > MaxMessageSize {
			n.refuseOversized(sender, target, msg, size)
			return
		}
		n.traceSent(tr, sender, target, msg, size, mid, trace)
	}
	// Into the peer's queue, which protoactor's endpoint writer drains in
	// batches (outq.go); a queue dropped meanwhile gives way to a new one.
	r := outRec{msg: msg, target: target, sender: sender, mid: mid.n, trace: trace}
	for !n.outQueue(target.Address).push(r) {
	}
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

// refuseOversizedOut is refuseOversized on protoactor's endpoint writer,
// which knows neither sender nor target: it returns the error the writer
// logs as it drops the message.
func (n *Node) refuseOversizedOut(r *outRec, size int) {
	n.stats.oversized.Add(1)
	n.log.WithFields(logrus.Fields{
		"from":       fromActorPID(r.sender).String(),
		"to":         fromActorPID(r.target).String(),
		"message":    typeName(r.msg),
		"message_id": id{n.ids.node, r.mid}.String(),
		"trace_id":   r.trace.String(),
		"size":       size,
		"limit":      MaxMessageSize,
	}).Error("actors: message too large for remoting; dropped")
}

// quiet reports that no tracer and no test filter is set: admit would
// deliver without looking.
func (n *Node) quiet() bool { return n.tracer.Load() == nil && !n.filters.active() }

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
