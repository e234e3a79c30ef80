package actors

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/runtime/protoiface"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// Between nodes, messages wait in a queue of their own per peer address
// (outQueue: records of message, target, sender and ids; no object per
// message), and protoactor's endpoint writer holds the queue's tokens
// (outBatch). A token takes messages until it holds Node.batchMax or the
// writer encodes it, as one envelope of type batchTypeName addressed to
// the peer's batch process (batchID). The receiving node's inSerializer
// decodes the records and its batch process posts each message, with its
// sender and ids, to its target.
//
// Order per sender and receiver holds on one connection: records leave the
// queue in the order they were queued, and a token posted after another is
// encoded after it. Across a replaced connection it may not: a batch the
// old writer already took can reach the peer after the new connection's
// first messages.
// Nothing queued before protoactor's own messages to the peer (Flush's
// probe, Terminated) is encoded after them: a message's token was posted
// no later than the message was queued.
//
// A message leaves the queue exactly once: into a batch, or, when the
// writer cannot send (its first connection failed: it dead-letters the
// token) or the connection ended (EndpointTerminatedEvent), to the dead
// letters with its own ids. Messages already taken into a batch whose
// stream then fails are lost, as protoactor loses its own.

// batchTypeName is the type name of a batch envelope; batchID is the id of
// the process that receives batches on every node.
const (
	batchTypeName = "gomesos.actors.Batch"
	batchID       = "$gomesos-batch"
)

// batchMaxRecords caps the messages of one token; a node's own cap
// (Node.batchMax) is its writer batch size, at most this.
const batchMaxRecords = 256

// batchType is batchTypeName's registered type (message Batch { repeated
// bytes records = 1; }), so that protoactor and the guard know the name.
var batchType protoreflect.MessageType

func init() {
	name, typ := "gomesos/actors/batch.proto", "Batch"
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name:    &name,
		Package: proto.String("gomesos.actors"),
		Syntax:  proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: &typ,
			Field: []*descriptorpb.FieldDescriptorProto{{
				Name:   proto.String("records"),
				Number: proto.Int32(1),
				Label:  descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum(),
				Type:   descriptorpb.FieldDescriptorProto_TYPE_BYTES.Enum(),
			}},
		}},
	}, protoregistry.GlobalFiles)
	if err != nil {
		panic(err)
	}
	batchType = dynamicpb.NewMessageType(fd.Messages().Get(0))
	if err := protoregistry.GlobalTypes.RegisterMessage(batchType); err != nil {
		panic(err)
	}
	emptyBatch = batchType.New()
}

// outRec is one queued message.
type outRec struct {
	msg    proto.Message // nil: refused at encoding (oversized)
	target *actor.PID
	sender *actor.PID
	mid    uint64 // on the sending node
	trace  id
}

// outQueue is the queue of messages to one peer address: the tokens
// posted to protoactor's writer and not yet encoded, in order. The last
// takes new messages until it holds Node.batchMax or is encoded. When the
// connection to the address ends with the queue empty, the node drops the
// queue (see failAddress); the next send to the address makes a new one.
type outQueue struct {
	n       *Node
	addr    string
	to      *actor.PID // the peer's batch process
	mu      sync.Mutex
	pending []*outBatch
	dropped bool // no longer the node's queue to addr: push refuses
}

func (n *Node) outQueue(addr string) *outQueue {
	if v, ok := n.outqs.Load(addr); ok {
		return v.(*outQueue)
	}
	v, _ := n.outqs.LoadOrStore(addr, &outQueue{n: n, addr: addr, to: actor.NewPID(addr, batchID)})
	return v.(*outQueue)
}

// recArrays recycles the records of encoded batches. A token's first
// record lives in the token itself; the second moves them to an array.
var recArrays = sync.Pool{New: func() any { return new([batchMaxRecords]outRec) }}

// push queues a message, in the last token or a new one. It reports
// false, having done nothing, if the queue was dropped.
func (q *outQueue) push(r outRec) bool {
	q.mu.Lock()
	if q.dropped {
		q.mu.Unlock()
		return false
	}
	if k := len(q.pending); k > 0 && len(q.pending[k-1].recs) < max(q.n.batchMax, 1) {
		b := q.pending[k-1]
		if b.arr == nil {
			b.arr = recArrays.Get().(*[batchMaxRecords]outRec)
			b.recs = append(b.arr[:0], b.recs...)
			b.one[0] = outRec{}
		}
		b.recs = append(b.recs, r)
		q.mu.Unlock()
		return true
	}
	b := &outBatch{Message: emptyBatch, q: q}
	b.one[0] = r
	b.recs = b.one[:1:1]
	q.pending = append(q.pending, b)
	q.mu.Unlock()
	q.n.rem.SendMessage(q.to, nil, b, nil, -1)
	return true
}

// take closes token b to new messages and returns its records (nil if it
// was taken already) and the array holding them, if any. The one caller
// that gets them owns them from here on, wherever they live (b.one, or the
// array it gives back when done): before, the writer gave a token's array
// back to the pool even when fail had taken the records and was still
// reading them, and push then appended to it.
func (q *outQueue) take(b *outBatch) ([]outRec, *[batchMaxRecords]outRec) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if b.taken {
		return nil, nil
	}
	b.taken = true
	for i, x := range q.pending {
		if x == b {
			copy(q.pending[i:], q.pending[i+1:])
			q.pending[len(q.pending)-1] = nil
			q.pending = q.pending[:len(q.pending)-1]
			break
		}
	}
	recs, arr := b.recs, b.arr
	b.recs, b.arr = nil, nil
	return recs, arr
}

// giveBack returns an array taken with n records for reuse.
func giveBack(arr *[batchMaxRecords]outRec, n int) {
	if arr != nil {
		clear(arr[:n])
		recArrays.Put(arr)
	}
}

// release drops the records the writer took from the queue (if it took
// them: otherwise fail did, and they are fail's to drop).
func (b *outBatch) release() {
	if b.arr != nil {
		giveBack(b.arr, len(b.recs))
	} else if len(b.recs) > 0 {
		b.one[0] = outRec{}
	}
	b.recs, b.arr = nil, nil
}

// fail makes the messages of token b dead letters (its writer could not
// connect), or of every token not yet encoded if b is nil (the connection
// ended: their writer is gone).
func (q *outQueue) fail(b *outBatch) {
	dead := []*outBatch{b}
	if b == nil {
		q.mu.Lock()
		dead = append([]*outBatch(nil), q.pending...)
		q.mu.Unlock()
	}
	for _, t := range dead {
		recs, arr := q.take(t)
		for i := range recs {
			r := &recs[i]
			q.n.sys.EventStream.Publish(&actor.DeadLetterEvent{
				PID:     r.target,
				Message: &localMsg{msg: r.msg, sender: r.sender, mid: id{q.n.ids.node, r.mid}, trace: r.trace},
				Sender:  r.sender,
			})
		}
		if arr != nil {
			giveBack(arr, len(recs))
		} else if len(recs) > 0 {
			recs[0] = outRec{} // t.one: taken here, so the writer leaves it alone
		}
	}
}

// failAddress fails the queue to addr, if there is one, and drops it if
// it is then empty (a send may have queued a message since): a long-lived
// node must not keep a queue for every address a peer ever had. Tokens
// already taken from a dropped queue still encode; a send that loaded it
// before it was dropped finds it so and queues in a new one.
func (n *Node) failAddress(addr string) {
	v, ok := n.outqs.Load(addr)
	if !ok {
		return
	}
	q := v.(*outQueue)
	q.fail(nil)
	q.mu.Lock()
	if len(q.pending) == 0 && !q.dropped {
		q.dropped = true
		n.outqs.CompareAndDelete(addr, q)
	}
	q.mu.Unlock()
}

// emptyBatch stands in for a token's descriptor and other reflection.
var emptyBatch protoreflect.Message

// outBatch is the token of a queue in protoactor's writer queue; encoding
// it takes a batch from the queue (once) and writes it.
type outBatch struct {
	protoreflect.Message // an empty Batch: the descriptor; ProtoMethods and Interface are ours
	q                    *outQueue
	taken                bool     // under q.mu: recs taken for encoding or the dead letters
	recs                 []outRec // under q.mu until taken: one[:1] or arr[:k]; then the taker's
	one                  [1]outRec
	arr                  *[batchMaxRecords]outRec // as recs
	size0                [2]int
	sizes                []int // each record's encoded size, from the sizing
	done                 bool  // encoded (or failed)
}

func (b *outBatch) String() string { return "outgoing batch to " + b.q.addr }

// ProtoReflect implements proto.Message.
func (b *outBatch) ProtoReflect() protoreflect.Message { return b }

// Interface implements protoreflect.Message.
func (b *outBatch) Interface() protoreflect.ProtoMessage { return b }

// ProtoMethods implements protoreflect.Message.
func (b *outBatch) ProtoMethods() *protoiface.Methods { return &batchMethods }

var batchMethods = protoiface.Methods{
	Flags:   protoiface.SupportMarshalDeterministic,
	Size:    batchSize,
	Marshal: batchMarshal,
}

// Record fields. Target, sender and type are written only when they differ
// from the previous record's.
const (
	recTarget    protowire.Number = 1 // string: the target's id on the receiving node
	recTargetReq protowire.Number = 2 // varint: the target's request id, if not 0
	recSender    protowire.Number = 3 // bytes: the sender as an actor.PID
	recNoSender  protowire.Number = 4 // varint 1: no sender from here on
	recType      protowire.Number = 5 // string: the message's type name
	recIDs       protowire.Number = 6 // bytes: the ids (see idsHead)
	recPayload   protowire.Number = 7 // bytes: the message
)

// recHead computes (or, with buf non-nil, appends) a record's fields
// other than its payload, given the previous record.
func recHead(buf []byte, r, prev *outRec, first bool, known uint64) (int, []byte) {
	n := 0
	if first || r.target.Id != prev.target.Id {
		n += protowire.SizeTag(recTarget) + protowire.SizeBytes(len(r.target.Id))
		if buf != nil {
			buf = protowire.AppendTag(buf, recTarget, protowire.BytesType)
			buf = protowire.AppendString(buf, r.target.Id)
		}
	}
	if r.target.RequestId != 0 {
		n += protowire.SizeTag(recTargetReq) + protowire.SizeVarint(uint64(r.target.RequestId))
		if buf != nil {
			buf = protowire.AppendTag(buf, recTargetReq, protowire.VarintType)
			buf = protowire.AppendVarint(buf, uint64(r.target.RequestId))
		}
	}
	if first || !samePID(r.sender, prev.sender) {
		if r.sender == nil {
			if !first {
				n += protowire.SizeTag(recNoSender) + 1
				if buf != nil {
					buf = protowire.AppendTag(buf, recNoSender, protowire.VarintType)
					buf = protowire.AppendVarint(buf, 1)
				}
			}
		} else {
			s := proto.Size(r.sender)
			n += protowire.SizeTag(recSender) + protowire.SizeBytes(s)
			if buf != nil {
				buf = protowire.AppendTag(buf, recSender, protowire.BytesType)
				buf = protowire.AppendVarint(buf, uint64(s))
				buf, _ = proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(buf, r.sender)
			}
		}
	}
	name := r.msg.ProtoReflect().Descriptor().FullName()
	if first || name != prev.msg.ProtoReflect().Descriptor().FullName() {
		n += protowire.SizeTag(recType) + protowire.SizeBytes(len(name))
		if buf != nil {
			buf = protowire.AppendTag(buf, recType, protowire.BytesType)
			buf = protowire.AppendString(buf, string(name))
		}
	}
	mid := id{known, r.mid}
	l := idsLen(mid, r.trace, known)
	n += protowire.SizeTag(recIDs) + protowire.SizeVarint(uint64(l)) + l
	if buf != nil {
		buf = protowire.AppendTag(buf, recIDs, protowire.BytesType)
		buf = protowire.AppendVarint(buf, uint64(l))
		buf = appendIDContent(buf, mid, r.trace, known)
	}
	return n, buf
}

func samePID(a, b *actor.PID) bool {
	if a == b {
		return true
	}
	return a != nil && b != nil && a.Id == b.Id && a.Address == b.Address && a.RequestId == b.RequestId
}

func msgSize(m proto.Message, flags protoiface.MarshalInputFlags) int {
	r := m.ProtoReflect()
	if pm := r.ProtoMethods(); pm != nil && pm.Size != nil {
		return pm.Size(protoiface.SizeInput{Message: r, Flags: flags}).Size
	}
	return proto.MarshalOptions{UseCachedSize: flags&protoiface.MarshalUseCachedSize != 0}.Size(m)
}

// prepare takes the batch from the queue (once) and sizes its records,
// refusing oversized messages.
func (b *outBatch) prepare(flags protoiface.MarshalInputFlags) {
	if b.sizes != nil || b.done {
		return
	}
	b.recs, b.arr = b.q.take(b)
	if len(b.recs) <= len(b.size0) {
		b.sizes = b.size0[:len(b.recs)]
	} else {
		b.sizes = make([]int, len(b.recs))
	}
	known := b.q.n.ids.node
	var prev *outRec
	for i := range b.recs {
		r := &b.recs[i]
		size := msgSize(r.msg, flags&^protoiface.MarshalUseCachedSize)
		if size > MaxMessageSize {
			b.q.n.refuseOversizedOut(r, size)
			r.msg = nil
			b.sizes[i] = -1
			continue
		}
		h, _ := recHead(nil, r, prev, prev == nil, known)
		b.sizes[i] = h + protowire.SizeTag(recPayload) + protowire.SizeBytes(size)
		prev = r
	}
}

func batchSize(in protoiface.SizeInput) protoiface.SizeOutput {
	b := in.Message.(*outBatch)
	b.prepare(in.Flags)
	total := 0
	for _, s := range b.sizes {
		if s >= 0 {
			total += protowire.SizeTag(1) + protowire.SizeBytes(s)
		}
	}
	return protoiface.SizeOutput{Size: total}
}

func batchMarshal(in protoiface.MarshalInput) (protoiface.MarshalOutput, error) {
	b := in.Message.(*outBatch)
	b.prepare(in.Flags &^ protoiface.MarshalUseCachedSize)
	buf := in.Buf
	known := b.q.n.ids.node
	var prev *outRec
	for i := range b.recs {
		r := &b.recs[i]
		if b.sizes[i] < 0 {
			continue
		}
		buf = protowire.AppendTag(buf, 1, protowire.BytesType)
		buf = protowire.AppendVarint(buf, uint64(b.sizes[i]))
		_, buf = recHead(buf, r, prev, prev == nil, known)
		prev = r
		buf = protowire.AppendTag(buf, recPayload, protowire.BytesType)
		mr := r.msg.ProtoReflect()
		size := msgSize(r.msg, protoiface.MarshalUseCachedSize)
		buf = protowire.AppendVarint(buf, uint64(size))
		if pm := mr.ProtoMethods(); pm != nil && pm.Marshal != nil {
			out, err := pm.Marshal(protoiface.MarshalInput{Message: mr, Buf: buf, Flags: in.Flags | protoiface.MarshalUseCachedSize})
			if err != nil {
				return protoiface.MarshalOutput{}, b.fail(err)
			}
			buf = out.Buf
			continue
		}
		var err error
		buf, err = proto.MarshalOptions{
			AllowPartial:  true,
			Deterministic: in.Flags&protoiface.MarshalDeterministic != 0,
			UseCachedSize: true,
		}.MarshalAppend(buf, r.msg)
		if err != nil {
			return protoiface.MarshalOutput{}, b.fail(err)
		}
	}
	b.release()
	b.sizes, b.done = nil, true
	return protoiface.MarshalOutput{Buf: buf}, nil
}

// fail reports a batch that could not be encoded: its messages are lost
// (protoactor's writer logs the error and drops the envelope).
func (b *outBatch) fail(err error) error {
	b.q.n.log.WithFields(logrus.Fields{"address": b.q.addr, "messages": len(b.recs)}).WithError(err).
		Error("actors: cannot encode a batch of messages; dropped")
	b.release()
	b.sizes, b.done = nil, true
	return fmt.Errorf("actors: batch to %s: %w", b.q.addr, err)
}

// inBatch is a received batch, decoded; the batch process posts it.
type inBatch struct {
	recs     []inRec
	one      [1]inRec
	rejected int // records of forbidden, internal or unknown types, or malformed
}

type inRec struct {
	target []byte // the target's id on this node (in the batch's bytes)
	req    uint32 // the target's request id, if any
	sender *actor.PID
	msg    proto.Message
	mid    id
	trace  id
}

// inBatches recycles decoded batches: the batch process is done with one
// when its SendUserMessage returns (one that ends as a dead letter is left
// to the garbage collector).
var inBatches = sync.Pool{New: func() any { return new(inBatch) }}

// maxPooledRecs bounds the records array a recycled batch keeps.
const maxPooledRecs = batchMaxRecords

func (b *inBatch) recycle() {
	clear(b.recs)
	if cap(b.recs) > maxPooledRecs {
		b.recs = nil
	}
	b.one[0] = inRec{}
	b.rejected = 0
	inBatches.Put(b)
}

// decodeBatch decodes a batch's records, sent over a connection from node
// peer (0: unknown). A malformed batch is an error (protoactor then ends
// the stream, as for any undecodable envelope); a record of a type that
// may not come from another node is dropped and counted.
func decodeBatch(b []byte, peer uint64) (*inBatch, error) {
	out := inBatches.Get().(*inBatch)
	if out.recs == nil {
		out.recs = out.one[:0]
	} else {
		out.recs = out.recs[:0]
	}
	var (
		target    []byte
		hasTarget bool
		sender    *actor.PID
		mt        protoreflect.MessageType
		tname     string
	)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || num != 1 || typ != protowire.BytesType {
			return nil, fmt.Errorf("actors: malformed batch")
		}
		rec, l := protowire.ConsumeBytes(b[n:])
		if l < 0 {
			return nil, fmt.Errorf("actors: malformed batch")
		}
		b = b[n+l:]
		var (
			payload []byte
			ids     []byte
			hasIDs  bool
			req     uint64
		)
		for len(rec) > 0 {
			num, typ, n := protowire.ConsumeTag(rec)
			if n < 0 {
				return nil, fmt.Errorf("actors: malformed batch record")
			}
			rec = rec[n:]
			var v []byte
			var x uint64
			switch typ {
			case protowire.BytesType:
				v, n = protowire.ConsumeBytes(rec)
			case protowire.VarintType:
				x, n = protowire.ConsumeVarint(rec)
			default:
				n = -1
			}
			if n < 0 {
				return nil, fmt.Errorf("actors: malformed batch record")
			}
			rec = rec[n:]
			switch {
			case num == recTarget && typ == protowire.BytesType:
				target, hasTarget = v, true
			case num == recTargetReq && typ == protowire.VarintType:
				req = x
			case num == recSender && typ == protowire.BytesType:
				s, err := decodeSender(v)
				if err != nil {
					return nil, err
				}
				sender = s
			case num == recNoSender && typ == protowire.VarintType:
				sender = nil
			case num == recType && typ == protowire.BytesType:
				if string(v) != tname {
					mt, tname = batchRecType(v)
				}
			case num == recIDs && typ == protowire.BytesType:
				ids, hasIDs = v, true
			case num == recPayload && typ == protowire.BytesType:
				payload = v
			}
		}
		if !hasTarget || mt == nil {
			out.rejected++
			continue
		}
		m := mt.New().Interface()
		if isInternal(m) {
			out.rejected++
			continue
		}
		if err := proto.Unmarshal(payload, m); err != nil {
			return nil, err
		}
		r := inRec{target: target, req: uint32(req), sender: sender, msg: m}
		if hasIDs {
			r.mid, r.trace = parseIDs(ids, peer)
		}
		out.recs = append(out.recs, r)
	}
	return out, nil
}

// batchProcess is a node's receiver of batches (registered as batchID):
// it posts each message to its target, as protoactor's endpoint reader
// posts a message of its own envelope.
type batchProcess struct{ n *Node }

func (p *batchProcess) SendUserMessage(_ *actor.PID, msg any) {
	if env, ok := msg.(*actor.MessageEnvelope); ok {
		msg = env.Message
	}
	b, ok := msg.(*inBatch)
	if !ok {
		return
	}
	n := p.n
	if b.rejected > 0 {
		n.stats.rejected.Add(uint64(b.rejected))
		n.log.WithField("dropped", b.rejected).Warn("actors: rejected forbidden or unknown messages in a batch from peer")
	}
	for i := range b.recs {
		r := &b.recs[i]
		e := n.inTarget(r.target)
		to := e.ap
		if r.req != 0 {
			to = &actor.PID{Address: n.addr, Id: e.pid.ID, RequestId: r.req}
		} else if !r.mid.zero() {
			// To a live process: into its mailbox as a message sent on
			// this node goes, with its ids.
			if proc := n.liveProcess(e); proc != nil {
				proc.mb.post(r.msg, r.sender, r.mid, r.trace)
				continue
			}
		}
		if r.mid.zero() {
			if r.sender != nil {
				n.sys.Root.Send(to, &actor.MessageEnvelope{Message: r.msg, Sender: r.sender})
			} else {
				n.sys.Root.Send(to, r.msg)
			}
			continue
		}
		lm := inMsgs.Get().(*localMsg)
		*lm = localMsg{msg: r.msg, sender: r.sender, mid: r.mid, trace: r.trace, pooled: true}
		n.sys.Root.Send(to, lm)
	}
	b.recycle()
}

// inTarget returns the entry of this node's process id, from the node's
// cache of received targets (direct-mapped by the id's bytes, entries
// never change) or made once: a batch names its first message's target,
// and consecutive batches mostly name the same ones.
func (n *Node) inTarget(idb []byte) *pidEntry {
	h := uint32(2166136261)
	for _, c := range idb {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &n.inTargets[h%uint32(len(n.inTargets))]
	if e := slot.Load(); e != nil && e.pid.ID == string(idb) {
		return e
	}
	e := n.pids.get(PID{ID: string(idb), Address: n.addr}, n.isLocalAddr)
	slot.Store(e)
	return e
}

func (p *batchProcess) SendSystemMessage(*actor.PID, any) {}

func (p *batchProcess) Stop(*actor.PID) {}

// senderCache remembers decoded senders by their encoding (direct-mapped,
// entries never change): a batch names its first message's sender, and
// consecutive batches mostly name the same one. Received sender PIDs are
// never modified, so one may be shared.
var senderCache [64]atomic.Pointer[senderEntry]

type senderEntry struct {
	raw string
	pid *actor.PID
}

func decodeSender(v []byte) (*actor.PID, error) {
	h := uint32(2166136261)
	for _, c := range v {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &senderCache[h%uint32(len(senderCache))]
	if e := slot.Load(); e != nil && e.raw == string(v) {
		return e.pid, nil
	}
	pid := new(actor.PID)
	if err := proto.Unmarshal(v, pid); err != nil {
		return nil, fmt.Errorf("actors: malformed sender in batch: %w", err)
	}
	slot.Store(&senderEntry{raw: string(v), pid: pid})
	return pid, nil
}

// recTypes maps the type names of batch records to their types (nil: a
// type that may not come from another node, or unknown). Copied on write;
// bounded.
var (
	recTypes   atomic.Pointer[map[string]knownRecType]
	recTypesMu sync.Mutex
)

type knownRecType struct {
	name string
	mt   protoreflect.MessageType
}

const maxRecTypes = 4096

func batchRecType(v []byte) (protoreflect.MessageType, string) {
	if m := recTypes.Load(); m != nil {
		if t, ok := (*m)[string(v)]; ok {
			return t.mt, t.name
		}
	}
	name := string(v)
	var mt protoreflect.MessageType
	if !forbidden[name] {
		mt, _ = protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
	}
	if mt == nil {
		return nil, name // not cached: a peer could fill the map with garbage names
	}
	recTypesMu.Lock()
	defer recTypesMu.Unlock()
	old := recTypes.Load()
	if old != nil && len(*old) >= maxRecTypes {
		return mt, name
	}
	m := make(map[string]knownRecType, 1+func() int {
		if old == nil {
			return 0
		}
		return len(*old)
	}())
	if old != nil {
		for k, x := range *old {
			m[k] = x
		}
	}
	m[name] = knownRecType{name, mt}
	recTypes.Store(&m)
	return mt, name
}
