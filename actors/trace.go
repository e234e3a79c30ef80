package actors

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
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
// where the target was missing; protoactor drops the envelope headers there,
// so its MsgID and TraceID are empty.
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

// idsHeader is the envelope header of a message sent to another node:
// "<message id> <trace id>". One entry, not two: protobuf-go encodes map
// fields by reflection, and each entry costs ~8 allocations per hop.
const idsHeader = "gm-ids"

func parseIDs(v string) (mid, trace string) {
	mid, trace, _ = strings.Cut(v, " ")
	return mid, trace
}

// idGen makes ids unique across nodes: a random per-node prefix and a counter.
type idGen struct {
	prefix string
	n      atomic.Uint64
}

func newIDGen() idGen {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return idGen{prefix: hex.EncodeToString(b[:]) + "-"}
}

func (g *idGen) next() string { return g.format(g.num()) }

// num reserves an id without formatting it (local messages format theirs
// only if a tracer wants it).
func (g *idGen) num() uint64 { return g.n.Add(1) }

func (g *idGen) format(n uint64) string {
	var buf [32]byte
	out := append(buf[:0], g.prefix...)
	out = strconv.AppendUint(out, n, 36)
	return string(out)
}

// traceRef is a trace id: a string received from elsewhere, or a number of
// this node's id generator, formatted only when needed (remote sends and
// tracing), so starting a trace for a local message allocates nothing.
type traceRef struct {
	s string
	n uint64
}

func (t traceRef) zero() bool { return t.s == "" && t.n == 0 }

func (n *Node) traceString(t traceRef) string {
	if t.s != "" || t.n == 0 {
		return t.s
	}
	return n.ids.format(t.n)
}

// localMsg carries a message between processes of one node with its ids:
// they travel beside the message instead of in a header map, which would
// cost ~350 bytes per local message. Remote messages carry the ids in
// envelope headers. The receiver middleware unwraps it.
type localMsg struct {
	msg   proto.Message
	mid   uint64
	trace traceRef
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

// senderMiddleware stamps every protobuf message sent by a process (or by
// Node.Send) with a message id and a trace id, refuses messages too large for
// the wire, and reports Sent.
func (n *Node) senderMiddleware(next actor.SenderFunc) actor.SenderFunc {
	return func(c actor.SenderContext, target *actor.PID, env *actor.MessageEnvelope) {
		msg, ok := env.Message.(proto.Message)
		if !ok || target == nil {
			next(c, target, env)
			return
		}
		var trace traceRef
		if p, ok := c.Actor().(*process); ok {
			trace = p.trace
		}
		if trace.zero() {
			trace.n = n.ids.num()
		}
		if local := n.isLocal(target); local || n.rem == nil || isLocalAddress(target.Address) {
			// In-process. On a Local node a message to any other address
			// becomes a dead letter (with its ids); so does one to a Local
			// node's pseudo address, which remoting must not try to dial.
			lm := &localMsg{msg: msg, mid: n.ids.num(), trace: trace}
			if tr := n.getTracer(); tr != nil {
				n.traceSent(tr, env.Sender, target, msg, -1, n.ids.format(lm.mid), n.traceString(trace))
			}
			env.Message = lm
			if !local && n.rem != nil {
				n.sys.DeadLetter.SendUserMessage(target, env)
				return
			}
			next(c, target, env)
			return
		}
		// To another node: refuse what would break the connection, and
		// put the ids in the envelope headers, which travel on the wire.
		size := proto.Size(msg)
		if size > MaxMessageSize {
			n.refuseOversized(env.Sender, target, msg, size)
			return
		}
		ids, midLen := n.remoteIDs(trace)
		if env.Header == nil {
			env.Header = map[string]string{idsHeader: ids}
		} else {
			env.SetHeader(idsHeader, ids)
		}
		if tr := n.getTracer(); tr != nil {
			n.traceSent(tr, env.Sender, target, msg, size, ids[:midLen], ids[midLen+1:])
		}
		next(c, target, env)
	}
}

// remoteIDs formats the idsHeader value of a new message and returns the
// length of its message id part.
func (n *Node) remoteIDs(trace traceRef) (string, int) {
	var buf [96]byte
	ids := append(buf[:0], n.ids.prefix...)
	ids = strconv.AppendUint(ids, n.ids.num(), 36)
	midLen := len(ids)
	ids = append(ids, ' ')
	if trace.s != "" {
		ids = append(ids, trace.s...)
	} else {
		ids = append(ids, n.ids.prefix...)
		ids = strconv.AppendUint(ids, trace.n, 36)
	}
	return string(ids), midLen
}

func (n *Node) traceSent(tr Tracer, from, to *actor.PID, msg proto.Message, size int, mid, trace string) {
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
		MsgID:   mid,
		TraceID: trace,
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

func (n *Node) traceReceived(tr Tracer, kind EventKind, env *actor.MessageEnvelope, lm *localMsg,
	msg proto.Message, name protoreflect.FullName, from, to PID, trace traceRef) {
	mid := ""
	if lm != nil {
		mid = n.ids.format(lm.mid)
	} else {
		mid, _ = parseIDs(env.GetHeader(idsHeader))
	}
	tr.Trace(&Event{
		Kind:    kind,
		Time:    n.clock.Now(),
		From:    from,
		To:      to,
		Type:    name,
		Size:    proto.Size(msg),
		MsgID:   mid,
		TraceID: n.traceString(trace),
		Msg:     msg,
	})
}

// receiverMiddleware applies test filters and reports Received (or Dropped)
// before the process sees a message.
func (n *Node) receiverMiddleware(next actor.ReceiverFunc) actor.ReceiverFunc {
	return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
		var (
			msg   proto.Message
			lm    *localMsg
			trace traceRef
		)
		switch m := env.Message.(type) {
		case *localMsg:
			lm, msg, trace = m, m.msg, m.trace
			env.Message = msg
		case proto.Message:
			_, ts := parseIDs(env.GetHeader(idsHeader))
			msg, trace = m, traceRef{s: ts}
		default:
			next(c, env) // lifecycle and dispatch messages
			return
		}
		deliver := func() {
			if p, ok := c.Actor().(*process); ok {
				p.inTrace = trace // becomes p.trace in Receive
			}
			next(c, env)
		}
		if _, ok := msg.(*actor.PoisonPill); ok {
			// Processes stop through Node.Stop and Terminate only.
			n.log.WithFields(map[string]any{
				"process": fromActorPID(c.Self()).String(),
				"from":    fromActorPID(env.Sender).String(),
			}).Warn("actors: PoisonPill ignored")
			return
		}
		if isInternal(msg) {
			deliver()
			return
		}
		tr := n.getTracer()
		if tr == nil && !n.filters.active() {
			deliver()
			return
		}
		from, to := fromActorPID(env.Sender), fromActorPID(c.Self())
		name := msg.ProtoReflect().Descriptor().FullName()
		kind := Received
		if n.filters.active() && n.filters.apply(name, msg, from, to) {
			n.stats.filtered.Add(1)
			kind = Dropped
		}
		if tr != nil {
			n.traceReceived(tr, kind, env, lm, msg, name, from, to, trace)
		}
		if kind == Dropped {
			return
		}
		deliver()
	}
}
