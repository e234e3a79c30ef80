package actors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// rogue is a raw gRPC peer speaking protoactor's remoting protocol.
type rogue struct {
	conn   *grpc.ClientConn
	client remote.RemotingClient
	ctx    context.Context
	cancel func()
}

func newRogue(t *testing.T, addr string) *rogue {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	r := &rogue{conn: conn, client: remote.NewRemotingClient(conn), ctx: ctx, cancel: cancel}
	t.Cleanup(func() { cancel(); conn.Close() })
	return r
}

func (r *rogue) stream(t *testing.T) remote.Remoting_ReceiveClient {
	t.Helper()
	s, err := r.client.Receive(r.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func batchMsg(b *remote.MessageBatch) *remote.RemoteMessage {
	return &remote.RemoteMessage{MessageType: &remote.RemoteMessage_MessageBatch{MessageBatch: b}}
}

func marshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// expectStreamError waits for the server to end the stream with an error.
func expectStreamError(t *testing.T, s remote.Remoting_ReceiveClient, want codes.Code) {
	t.Helper()
	for {
		_, err := s.Recv()
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) || status.Code(err) != want {
			t.Fatalf("stream ended with %v, want code %v", err, want)
		}
		return
	}
}

// The rogue tests attack this binary's remoting node (Shared) with a raw
// gRPC client, with a client process on the victim itself as the sender
// the echo answers; after each attack a normal round trip with a peer child
// process shows the node still serves.

// (a) An unknown type name is dropped by the guard; the rest of the batch
// and the stream live on.
func TestRogueUnknownTypeName(t *testing.T) {
	victim, peer := sharedNode(t), sharedPeer(t)
	echo := spawnEcho(t, victim)
	client, replies := spawnClient(t, victim, echo)
	rejected := victim.Stats().Rejected

	s := newRogue(t, victim.Address()).stream(t)
	err := s.Send(batchMsg(&remote.MessageBatch{
		TypeNames: []string{"rogue.Evil", "google.protobuf.StringValue"},
		Targets:   []*actor.PID{toActorPID(echo)},
		Senders:   []*actor.PID{toActorPID(client)},
		Envelopes: []*remote.MessageEnvelope{
			{TypeId: 0, Target: 0, MessageData: []byte("evil")},
			{TypeId: 1, Target: 0, Sender: 1, MessageData: marshal(t, wrapperspb.String("after-evil"))},
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := recv(t, replies, "reply to the message after the rogue one")
	if r.msg.(*wrapperspb.StringValue).Value != "echo:after-evil" {
		t.Fatalf("got %v", r.msg)
	}
	if got := victim.Stats().Rejected - rejected; got != 1 {
		t.Fatalf("Rejected +%d", got)
	}
	// The same stream still works.
	if err := s.Send(batchMsg(&remote.MessageBatch{
		TypeNames: []string{"google.protobuf.StringValue"},
		Targets:   []*actor.PID{toActorPID(echo)},
		Senders:   []*actor.PID{toActorPID(client)},
		Envelopes: []*remote.MessageEnvelope{{Sender: 1, MessageData: marshal(t, wrapperspb.String("again"))}},
	})); err != nil {
		t.Fatal(err)
	}
	recv(t, replies, "second reply on the rogue stream")
	roundTripPeer(t, victim, peer)
}

// (a2) The ids field (wire.go) as a peer may garble it: malformed ids, the
// field with another wire type, twice, or beside other unknown fields. Each
// message is delivered all the same, with zero ids unless the first field
// is well formed, and the handler sees no trace of the field.
func TestRogueIDFields(t *testing.T) {
	victim, peer := sharedNode(t), sharedPeer(t)
	tr := &recordingTracer{}
	victim.SetTracer(tr)
	t.Cleanup(func() { victim.SetTracer(nil) })
	echo := spawn(t, victim, "echo", &proc{init: func(c *Context) {
		Install(c, func(from PID, m *wrapperspb.StringValue) {
			c.Send(from, wrapperspb.String(fmt.Sprintf("echo:%s:%d", m.Value, len(m.ProtoReflect().GetUnknown()))))
		})
	}})
	client, replies := spawnClient(t, victim, echo)
	good := id{0xabc, 7}
	field := func(content ...byte) []byte {
		b := protowire.AppendTag(nil, idsField, protowire.BytesType)
		return protowire.AppendBytes(b, content)
	}
	other := protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 5)
	cases := []struct {
		value, unknown string // unknown: bytes of other fields the handler sees (a 3-byte tag for idsField)
		tail           []byte
		mid            id
		head           []byte // before the message's own fields, where a node puts the ids
	}{
		{"good", "0", appendIDs(nil, good, good, 0), good, nil},
		{"truncated", "0", field(0xff, 0xff), id{}, nil},
		{"extra-bytes", "0", field(1<<idsFlagBits|idsHasNode, 1, 9), id{}, nil},
		{"zero-id", "0", field(idsHasNode, 1), id{}, nil},
		{"no-node", "0", field(1 << idsFlagBits), id{}, nil}, // this peer's node is not known
		{"varint-typed", "4", protowire.AppendVarint(protowire.AppendTag(nil, idsField, protowire.VarintType), 3), id{}, nil},
		{"twice", "8", append(appendIDs(nil, good, good, 0), field(1, 2, 0, 2)...), good, nil},
		{"after-other", "3", append(append([]byte{}, other...), appendIDs(nil, good, good, 0)...), good, nil},
		{"leading", "0", nil, good, appendIDs(nil, good, good, 0)},
		{"leading-extra-bytes", "0", nil, id{}, field(1<<idsFlagBits|idsHasNode, 1, 9)},
		{"leading-zero-id", "0", nil, id{}, field(idsHasNode, 1)},
		{"leading-no-node", "0", nil, id{}, field(1 << idsFlagBits)},
		{"leading-and-trailing", "8", field(1, 2, 0, 2), good, appendIDs(nil, good, good, 0)},
		{"leading-varint-typed", "4", nil, id{}, protowire.AppendVarint(protowire.AppendTag(nil, idsField, protowire.VarintType), 3)},
	}
	var envs []*remote.MessageEnvelope
	for _, c := range cases {
		data := append(append(append([]byte{}, c.head...), marshal(t, wrapperspb.String(c.value))...), c.tail...)
		envs = append(envs, &remote.MessageEnvelope{Sender: 1, MessageData: data})
	}
	s := newRogue(t, victim.Address()).stream(t)
	if err := s.Send(batchMsg(&remote.MessageBatch{
		TypeNames: []string{"google.protobuf.StringValue"},
		Targets:   []*actor.PID{toActorPID(echo)},
		Senders:   []*actor.PID{toActorPID(client)},
		Envelopes: envs,
	})); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		r := recv(t, replies, "reply to "+c.value)
		if got, want := r.msg.(*wrapperspb.StringValue).Value, "echo:"+c.value+":"+c.unknown; got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	for _, c := range cases {
		var got *Event
		for _, e := range tr.snapshot() {
			if e.Kind == Received && e.To == echo && e.Msg.(*wrapperspb.StringValue).GetValue() == c.value {
				got = &e
			}
		}
		if got == nil || got.MsgID != c.mid.String() {
			t.Fatalf("%s: received event %+v, want message id %q", c.value, got, c.mid.String())
		}
	}
	roundTripPeer(t, victim, peer)
}

// (a3) A peer that names itself a node in its ConnectRequest sends ids
// without their node: the receiver takes the node from the connection,
// and a trace id of a third node keeps its own. A message that names its
// node keeps that one.
func TestRogueNodeFromConnection(t *testing.T) {
	victim, peer := sharedNode(t), sharedPeer(t)
	tr := &recordingTracer{}
	victim.SetTracer(tr)
	t.Cleanup(func() { victim.SetTracer(nil) })
	echo := spawnEcho(t, victim)
	client, replies := spawnClient(t, victim, echo)
	const node = 0xabc
	cases := []struct {
		value      string
		ids        []byte
		mid, trace id
	}{
		{"own", appendIDs(nil, id{node, 7}, id{node, 7}, node), id{node, 7}, id{node, 7}},
		{"own-trace", appendIDs(nil, id{node, 8}, id{node, 3}, node), id{node, 8}, id{node, 3}},
		{"third-trace", appendIDs(nil, id{node, 9}, id{0xdef, 2}, node), id{node, 9}, id{0xdef, 2}},
		{"named", appendIDs(nil, id{0x123, 4}, id{0x123, 4}, 0), id{0x123, 4}, id{0x123, 4}},
	}
	if n := len(cases[0].ids); n != 5 {
		t.Fatalf("ids of a message that starts its trace take %d bytes, want 5", n)
	}
	var envs []*remote.MessageEnvelope
	for _, c := range cases {
		envs = append(envs, &remote.MessageEnvelope{Sender: 1, MessageData: append(c.ids, marshal(t, wrapperspb.String(c.value))...)})
	}
	s := newRogue(t, victim.Address()).stream(t)
	connect := &remote.RemoteMessage{MessageType: &remote.RemoteMessage_ConnectRequest{ConnectRequest: &remote.ConnectRequest{
		ConnectionType: &remote.ConnectRequest_ServerConnection{ServerConnection: &remote.ServerConnection{
			SystemId: systemID(node), Address: "127.0.0.1:1",
		}},
	}}}
	if err := s.Send(connect); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(batchMsg(&remote.MessageBatch{
		TypeNames: []string{"google.protobuf.StringValue"},
		Targets:   []*actor.PID{toActorPID(echo)},
		Senders:   []*actor.PID{toActorPID(client)},
		Envelopes: envs,
	})); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		recv(t, replies, "reply to "+c.value)
	}
	for _, c := range cases {
		var got *Event
		for _, e := range tr.snapshot() {
			if e.Kind == Received && e.To == echo && e.Msg.(*wrapperspb.StringValue).GetValue() == c.value {
				got = &e
			}
		}
		if got == nil || got.MsgID != c.mid.String() || got.TraceID != c.trace.String() {
			t.Fatalf("%s: received event %+v, want ids %q %q", c.value, got, c.mid, c.trace)
		}
	}
	roundTripPeer(t, victim, peer)
}

// (b) Garbage bytes for a known type end that stream with an error; the
// node keeps serving.
func TestRogueGarbageBytes(t *testing.T) {
	victim, peer := sharedNode(t), sharedPeer(t)
	echo := spawnEcho(t, victim)
	s := newRogue(t, victim.Address()).stream(t)
	if err := s.Send(batchMsg(&remote.MessageBatch{
		TypeNames: []string{"google.protobuf.StringValue"},
		Targets:   []*actor.PID{toActorPID(echo)},
		Envelopes: []*remote.MessageEnvelope{{MessageData: []byte{0x0a, 0xff, 0x01}}},
	})); err != nil {
		t.Fatal(err)
	}
	expectStreamError(t, s, codes.Unknown)
	roundTripPeer(t, victim, peer)
}

// Malformed batches that crash upstream protoactor (index out of range,
// nil PIDs in system messages) or would stop a process behind our back.
func TestRogueMalformedBatches(t *testing.T) {
	victim, peer := sharedNode(t), sharedPeer(t)
	echo := spawnEcho(t, victim)
	client, replies := spawnClient(t, victim, echo)
	target := []*actor.PID{toActorPID(echo)}
	rpcPanics := victim.Stats().RPCPanics
	cases := map[string]*remote.MessageBatch{
		"type index": {TypeNames: []string{"google.protobuf.StringValue"}, Targets: target,
			Envelopes: []*remote.MessageEnvelope{{TypeId: 3}}},
		"target index": {TypeNames: []string{"google.protobuf.StringValue"}, Targets: target,
			Envelopes: []*remote.MessageEnvelope{{Target: 7}}},
		"no targets": {TypeNames: []string{"google.protobuf.StringValue"},
			Envelopes: []*remote.MessageEnvelope{{}}},
		"sender index": {TypeNames: []string{"google.protobuf.StringValue"}, Targets: target,
			Envelopes: []*remote.MessageEnvelope{{Sender: 2}}},
		"json serializer": {TypeNames: []string{"google.protobuf.StringValue"}, Targets: target,
			Envelopes: []*remote.MessageEnvelope{{SerializerId: 1, MessageData: []byte("{")}}},
		"bad serializer": {TypeNames: []string{"google.protobuf.StringValue"}, Targets: target,
			Envelopes: []*remote.MessageEnvelope{{SerializerId: 9}}},
		"stop": {TypeNames: []string{"actor.Stop"}, Targets: target,
			Envelopes: []*remote.MessageEnvelope{{MessageData: marshal(t, &actor.Stop{})}}},
		"poison": {TypeNames: []string{"actor.PoisonPill"}, Targets: target,
			Envelopes: []*remote.MessageEnvelope{{MessageData: marshal(t, &actor.PoisonPill{})}}},
		"terminated without who": {TypeNames: []string{"actor.Terminated"}, Targets: target,
			Envelopes: []*remote.MessageEnvelope{{MessageData: marshal(t, &actor.Terminated{})}}},
		"watch without watcher": {TypeNames: []string{"actor.Watch"}, Targets: target,
			Envelopes: []*remote.MessageEnvelope{{MessageData: marshal(t, &actor.Watch{})}}},
	}
	r := newRogue(t, victim.Address())
	rejected := victim.Stats().Rejected
	for name, b := range cases {
		s := r.stream(t)
		if err := s.Send(batchMsg(b)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// The stream and the echo process live on: a valid message sent
		// after the rogue batch on the same stream is answered.
		if err := s.Send(batchMsg(&remote.MessageBatch{
			TypeNames: []string{"google.protobuf.StringValue"},
			Targets:   target,
			Senders:   []*actor.PID{toActorPID(client)},
			Envelopes: []*remote.MessageEnvelope{{Sender: 1, MessageData: marshal(t, wrapperspb.String(name))}},
		})); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r := recv(t, replies, name+": echo after rogue batch"); r.msg.(*wrapperspb.StringValue).Value != "echo:"+name {
			t.Fatalf("%s: got %v", name, r.msg)
		}
		if got := victim.Stats().Rejected; got != rejected+1 {
			t.Fatalf("%s: Rejected = %d, want %d", name, got, rejected+1)
		}
		rejected++
		_ = s.CloseSend()
	}
	if d := victim.Stats().RPCPanics - rpcPanics; d != 0 {
		t.Fatalf("RPCPanics +%d", d)
	}
	roundTripPeer(t, victim, peer)
}

// (c) A batch over the receive limit ends that stream (ResourceExhausted);
// the node keeps serving. The victim is a peer child with a 1 MiB limit.
func TestRogueOversizedBatch(t *testing.T) {
	n := sharedNode(t)
	victim := newPeer(t, peerMaxRecvEnv+"=1048576")
	s := newRogue(t, victim.addr).stream(t)
	if err := s.Send(batchMsg(&remote.MessageBatch{
		TypeNames: []string{"google.protobuf.BytesValue"},
		Targets:   []*actor.PID{toActorPID(victim.echo)},
		Envelopes: []*remote.MessageEnvelope{{MessageData: marshal(t, wrapperspb.Bytes(make([]byte, 2<<20)))}},
	})); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	expectStreamError(t, s, codes.ResourceExhausted)
	roundTripPeer(t, n, victim)
}

// (d) The unimplemented RPCs answer Unimplemented instead of panicking.
func TestRogueUnimplementedRPCs(t *testing.T) {
	victim, peer := sharedNode(t), sharedPeer(t)
	r := newRogue(t, victim.Address())
	if _, err := r.client.ListProcesses(r.ctx, &remote.ListProcessesRequest{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("ListProcesses: %v", err)
	}
	if _, err := r.client.GetProcessDiagnostics(r.ctx, &remote.GetProcessDiagnosticsRequest{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("GetProcessDiagnostics: %v", err)
	}
	roundTripPeer(t, victim, peer)
}

// The recovering interceptors turn a handler panic into codes.Internal.
func TestGuardRecoversPanics(t *testing.T) {
	n := newTestNode(t)
	g := &guard{n: n}
	_, err := g.unary(context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/x/Y"},
		func(context.Context, any) (any, error) { panic("boom") })
	if status.Code(err) != codes.Internal {
		t.Fatalf("unary: %v", err)
	}
	err = g.stream(nil, fakeStream{}, &grpc.StreamServerInfo{FullMethod: methodReceive},
		func(any, grpc.ServerStream) error { panic("boom") })
	if status.Code(err) != codes.Internal {
		t.Fatalf("stream: %v", err)
	}
	if n.Stats().RPCPanics != 2 {
		t.Fatalf("RPCPanics = %d", n.Stats().RPCPanics)
	}
}

type fakeStream struct{ grpc.ServerStream }

func (fakeStream) Context() context.Context { return context.Background() }

func protoreflectName(s string) protoreflect.FullName { return protoreflect.FullName(s) }
