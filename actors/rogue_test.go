package actors

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
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

// (a2) gomesos' own Envelope with an unknown, forbidden or undecodable
// payload is refused message by message (Stats.Rejected); a PoisonPill
// inside one stops nothing; the stream lives on.
func TestRogueEnvelopes(t *testing.T) {
	victim, peer := sharedNode(t), sharedPeer(t)
	echo := spawnEcho(t, victim)
	client, replies := spawnClient(t, victim, echo)
	rejected := victim.Stats().Rejected

	env := func(name string, payload []byte) []byte {
		return marshal(t, &Envelope{Node: 7, Msg: 1, Trace: 1, Type: fnv64(protoreflectName(name)), Payload: payload})
	}
	s := newRogue(t, victim.Address()).stream(t)
	err := s.Send(batchMsg(&remote.MessageBatch{
		TypeNames: []string{string(envelopeName)},
		Targets:   []*actor.PID{toActorPID(echo)},
		Senders:   []*actor.PID{toActorPID(client)},
		Envelopes: []*remote.MessageEnvelope{
			{Sender: 1, MessageData: env("rogue.Evil", []byte("evil"))},
			{Sender: 1, MessageData: env("actor.PoisonPill", marshal(t, &actor.PoisonPill{}))},
			{Sender: 1, MessageData: env(string(envelopeName), env("google.protobuf.StringValue", nil))},
			{Sender: 1, MessageData: env("google.protobuf.StringValue", []byte{0x0a, 0xff, 0x01})},
			{Sender: 1, MessageData: env("google.protobuf.StringValue", marshal(t, wrapperspb.String("after-rogues")))},
		},
	}))
	if err != nil {
		t.Fatal(err)
	}
	r := recv(t, replies, "reply to the good envelope")
	if r.msg.(*wrapperspb.StringValue).Value != "echo:after-rogues" {
		t.Fatalf("got %v", r.msg)
	}
	if got := victim.Stats().Rejected - rejected; got != 4 {
		t.Fatalf("Rejected +%d, want 4", got)
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
