package actors

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Between nodes a message goes as itself, under its own type name, with
// its ids written ahead of its own fields as one extra field (idsField,
// never used by a real message): protoactor's serializer encodes it once,
// straight into the batch's buffer. The receiving node's inSerializer takes
// the field off the front and decodes the rest once into the message's
// own type. (An ids field anywhere else lands in the unknown fields, and
// process.Receive takes it out with takeIDs.)
//
// The sending node's id is not in the field: a node's actor system id
// (protoactor's, sent once at the start of each connection) names it (see
// systemID), the receiving guard reads it there and hands it to
// inSerializer with each batch's type names (see tagName).

// idsField is the field number that carries the ids: one of the numbers
// (19000-19999) that protobuf keeps for itself and protoc refuses in a
// .proto file, so no message has a field of its own there; its tag is
// 3 bytes.
const idsField protowire.Number = 19999

// The ids field's content is varints: first the message id's number
// shifted left by two, with bit 1 set if the message id's node follows
// (else it is the connection's node) and bit 0 set if the trace id follows
// (else the trace is the message id); then that node; then the trace id's
// node (0: the message id's) and number.
const (
	idsHasTrace = 1 << iota
	idsHasNode
	idsFlagBits = iota
)

// idsHead is the first varint of the field; known is the node the
// receiver knows from the connection (0: none).
func idsHead(mid, trace id, known uint64) uint64 {
	h := mid.n << idsFlagBits
	if mid.node != known || known == 0 {
		h |= idsHasNode
	}
	if trace != mid {
		h |= idsHasTrace
	}
	return h
}

// traceNode is what the wire carries for the trace's node: 0 when the
// trace started on the node of the message id (the usual case, one byte).
func traceNode(mid, trace id) uint64 {
	if trace.node == mid.node {
		return 0
	}
	return trace.node
}

func idsLen(mid, trace id, known uint64) int {
	h := idsHead(mid, trace, known)
	n := protowire.SizeVarint(h)
	if h&idsHasNode != 0 {
		n += protowire.SizeVarint(mid.node)
	}
	if h&idsHasTrace != 0 {
		n += protowire.SizeVarint(traceNode(mid, trace)) + protowire.SizeVarint(trace.n)
	}
	return n
}

func idsSize(mid, trace id, known uint64) int {
	n := idsLen(mid, trace, known)
	return protowire.SizeTag(idsField) + protowire.SizeVarint(uint64(n)) + n
}

// appendIDs appends the ids field for a receiver that knows the node
// `known` from the connection (0: none; the field then names the node).
func appendIDs(b []byte, mid, trace id, known uint64) []byte {
	b = protowire.AppendTag(b, idsField, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(idsLen(mid, trace, known)))
	return appendIDContent(b, mid, trace, known)
}

// appendIDContent appends the ids field's content.
func appendIDContent(b []byte, mid, trace id, known uint64) []byte {
	h := idsHead(mid, trace, known)
	b = protowire.AppendVarint(b, h)
	if h&idsHasNode != 0 {
		b = protowire.AppendVarint(b, mid.node)
	}
	if h&idsHasTrace != 0 {
		b = protowire.AppendVarint(b, traceNode(mid, trace))
		b = protowire.AppendVarint(b, trace.n)
	}
	return b
}

// systemIDPrefix starts the actor system id of a node: the prefix and its
// node id in hex. Its endpoint writers send it to every node they connect
// to, in protoactor's ConnectRequest.
const systemIDPrefix = "gomesos-node-"

func systemID(node uint64) string { return systemIDPrefix + strconv.FormatUint(node, 16) }

// parseSystemID returns the node id in a system id; 0 if it is not a node's.
func parseSystemID(s string) uint64 {
	hex, ok := strings.CutPrefix(s, systemIDPrefix)
	if !ok {
		return 0
	}
	node, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		return 0
	}
	return node
}

// tagPrefix starts a type name the guard tagged with the connection's node
// id (8 bytes, big-endian) for inSerializer. No registered type name
// starts with a control character.
const tagPrefix = '\x01'

const tagLen = 1 + 8

// tagName returns name tagged with node.
func tagName(name string, node uint64) string {
	b := make([]byte, tagLen, tagLen+len(name))
	b[0] = tagPrefix
	binary.BigEndian.PutUint64(b[1:], node)
	return string(append(b, name...))
}

// untagName returns a tagged name's node and plain name (node 0 and the
// name itself if it is not tagged).
func untagName(s string) (node uint64, name string) {
	if len(s) < tagLen || s[0] != tagPrefix {
		return 0, s
	}
	for i := 1; i < tagLen; i++ {
		node = node<<8 | uint64(s[i])
	}
	return node, s[tagLen:]
}

// inSerializer decodes the messages a node receives (the guard points every
// received envelope of protoactor's protobuf serializer at it): as
// protoactor's, plus a leading ids field taken off before decoding. A
// message that had one arrives as a localMsg with its ids, which the
// mailbox opens; others (protoactor's own types included, never wrapped)
// arrive as themselves; a batch (outq.go) arrives as an inBatch. On the way
// out protoactor's protobuf serializer does the work: an outBatch is its
// own encoding.
type inSerializer struct{}

// inMsgs recycles the localMsgs of received messages: the mailbox copies
// one into its slot and gives it back on the same goroutine that took it
// (protoactor's endpoint reader decodes a message and posts it before the
// next), so taking and giving back stay on one P. One that ends as a dead
// letter is left to the garbage collector.
var inMsgs = sync.Pool{New: func() any { return new(localMsg) }}

// inSerializerID is inSerializer's index among protoactor's serializers
// (-1: registration failed; envelopes then keep protoactor's serializer,
// and process.Receive takes the ids out of the unknown fields).
var inSerializerID int32 = -1

func init() {
	remote.RegisterSerializer(inSerializer{})
	// protoactor has no getter: find the index this one got.
	for i := int32(0); i < 16; i++ {
		if v, err := deserializeProbe(i); err == nil && v == probeAnswer {
			inSerializerID = i
			return
		}
	}
}

const probeType = "\x00gomesos.actors.probe"

var probeAnswer = new(int)

func deserializeProbe(i int32) (v any, err error) {
	defer func() {
		if recover() != nil {
			v, err = nil, errors.New("no such serializer")
		}
	}()
	return remote.Deserialize(nil, probeType, i)
}

func (inSerializer) Serialize(msg any) ([]byte, error) {
	m, ok := msg.(proto.Message)
	if !ok {
		return nil, errors.New("actors: not a protobuf message")
	}
	return proto.Marshal(m)
}

func (inSerializer) GetTypeName(msg any) (string, error) {
	m, ok := msg.(proto.Message)
	if !ok {
		return "", errors.New("actors: not a protobuf message")
	}
	return string(proto.MessageName(m)), nil
}

func (inSerializer) Deserialize(typeName string, b []byte) (any, error) {
	if typeName == probeType {
		return probeAnswer, nil
	}
	peer, typeName := untagName(typeName)
	mt, err := findType(typeName)
	if err != nil {
		return nil, err
	}
	if typeName == batchTypeName {
		return decodeBatch(b, peer)
	}
	mid, trace, rest, had := leadingIDs(b, peer)
	m := mt.New().Interface()
	if err := proto.Unmarshal(rest, m); err != nil {
		return nil, err
	}
	if !had || mid.zero() || isInternal(m) {
		return m, nil
	}
	lm := inMsgs.Get().(*localMsg)
	*lm = localMsg{msg: m, mid: mid, trace: trace, pooled: true}
	return lm, nil
}

// typeCache remembers types found by findType by where their name's bytes
// live: the envelopes of a received batch share the batch's type name
// strings (protoactor indexes them), so after the first message of each
// type a batch's types are found by comparing a pointer, not by hashing
// the name. Direct-mapped; an entry keeps its string alive, so an address
// in the cache is never reused for other bytes.
var typeCache [16]atomic.Pointer[typeEntry]

type typeEntry struct {
	name string
	mt   protoreflect.MessageType
}

func findType(name string) (protoreflect.MessageType, error) {
	p := unsafe.StringData(name)
	slot := &typeCache[(uintptr(unsafe.Pointer(p))>>4)%uintptr(len(typeCache))]
	if e := slot.Load(); e != nil && unsafe.StringData(e.name) == p && len(e.name) == len(name) {
		return e.mt, nil
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
	if err != nil {
		return nil, err
	}
	slot.Store(&typeEntry{name: name, mt: mt})
	return mt, nil
}

// leadingIDs takes a leading ids field off b, sent over a connection from
// node peer (0: unknown): the ids (zero if the field is malformed; it is
// removed all the same) and the rest. had is false if b does not start
// with the field.
func leadingIDs(b []byte, peer uint64) (mid, trace id, rest []byte, had bool) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 || num != idsField || typ != protowire.BytesType {
		return id{}, id{}, b, false
	}
	v, l := protowire.ConsumeBytes(b[n:])
	if l < 0 {
		return id{}, id{}, b, false // truncated: the decoder reports it
	}
	mid, trace = parseIDs(v, peer)
	return mid, trace, b[n+l:], true
}

// takeIDs removes the ids field from a message received from another node
// and returns the ids; zero ids if it has none (a raw protoactor peer), a
// malformed one (which is removed all the same) or one without its node
// (the connection's node is not known here).
func takeIDs(m proto.Message) (mid, trace id) {
	r := m.ProtoReflect()
	u := r.GetUnknown()
	for off := 0; off < len(u); {
		num, typ, n := protowire.ConsumeTag(u[off:])
		if n < 0 {
			return id{}, id{}
		}
		if num != idsField || typ != protowire.BytesType {
			l := protowire.ConsumeFieldValue(num, typ, u[off+n:])
			if l < 0 {
				return id{}, id{}
			}
			off += n + l
			continue
		}
		v, l := protowire.ConsumeBytes(u[off+n:])
		if l < 0 {
			return id{}, id{}
		}
		if end := off + n + l; off == 0 && end == len(u) {
			r.SetUnknown(nil)
		} else {
			rest := make([]byte, 0, len(u)-(end-off))
			r.SetUnknown(append(append(rest, u[:off]...), u[end:]...))
		}
		return parseIDs(v, 0)
	}
	return id{}, id{}
}

// parseIDs reads the ids field's content (see idsHead), sent over a
// connection from node peer (0: unknown).
func parseIDs(v []byte, peer uint64) (mid, trace id) {
	next := func() (uint64, bool) {
		x, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return 0, false
		}
		v = v[n:]
		return x, true
	}
	h, ok := next()
	if !ok {
		return id{}, id{}
	}
	mid = id{peer, h >> idsFlagBits}
	if h&idsHasNode != 0 {
		if mid.node, ok = next(); !ok {
			return id{}, id{}
		}
	}
	trace = mid
	if h&idsHasTrace != 0 {
		if trace.node, ok = next(); !ok {
			return id{}, id{}
		}
		if trace.n, ok = next(); !ok {
			return id{}, id{}
		}
		if trace.node == 0 {
			trace.node = mid.node
		}
	}
	if len(v) != 0 || mid.zero() || mid.node == 0 || trace.zero() {
		return id{}, id{}
	}
	return mid, trace
}
