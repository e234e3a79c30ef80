package actors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A connection to the peer ends mid-stream (as protoactor reports it: an
// EndpointTerminatedEvent, after which its writer stops and the next send
// connects anew). Every message then arrives with its own ids or becomes a
// dead letter with its own ids, never both, never with another message's;
// messages sent after the cut arrive.
func TestConnectionCutMidStream(t *testing.T) {
	n, p := sharedNode(t), sharedPeer(t)
	tr := &recordingTracer{}
	n.SetTracer(tr)
	t.Cleanup(func() { n.SetTracer(nil) })

	tok := uniqueID("cut")
	replies := make(chan string, 4096)
	a := spawn(t, n, tok, &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.StringValue) { replies <- m.Value })
	}})
	const total = 2000
	for i := 0; i < total; i++ {
		if i == total/2 {
			n.sys.EventStream.Publish(&remote.EndpointTerminatedEvent{Address: p.echo.Address})
		}
		n.Send(a, p.echo, wrapperspb.String(fmt.Sprintf("%s/%d", tok, i)))
	}

	index := func(v string) int {
		v = strings.TrimPrefix(v, "echo:")
		s, ok := strings.CutPrefix(v, tok+"/")
		if !ok {
			return -1
		}
		i, err := strconv.Atoi(s)
		if err != nil {
			return -1
		}
		return i
	}
	// Messages sent after the cut get through: protoactor connects anew on
	// a send (one every second until an answer, in case its writer saw a
	// late end of the old stream too).
	deadline := time.After(60 * time.Second)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	got := map[int]bool{}
	for k := total; ; {
		select {
		case v := <-replies:
			i := index(v)
			if i < 0 || got[i] {
				t.Fatalf("reply %q: unknown or twice", v)
			}
			got[i] = true
		case <-tick.C:
			n.Send(a, p.echo, wrapperspb.String(fmt.Sprintf("%s/%d", tok, k)))
			k++
			continue
		case <-deadline:
			t.Fatalf("no answer after the cut in 60 s (%d answers before)", len(got))
		}
		if len(got) > 0 && maxKey(got) >= total/2 {
			break
		}
	}
	for len(replies) > 0 {
		v := <-replies
		if i := index(v); i >= 0 {
			got[index(v)] = true
		}
	}

	// Ids: a message sent from outside a process starts its own trace, so
	// the echo's reply carries the trace id of the message it answers; a
	// dead letter carries its own message id.
	sent := map[int]Event{}
	for _, e := range tr.snapshot() {
		m, ok := e.Msg.(*wrapperspb.StringValue)
		if !ok {
			continue
		}
		i := index(m.Value)
		if i < 0 {
			continue
		}
		switch {
		case e.Kind == Sent && e.To == p.echo:
			sent[i] = e
		}
	}
	dead := 0
	for _, e := range tr.snapshot() {
		m, ok := e.Msg.(*wrapperspb.StringValue)
		if !ok {
			continue
		}
		i := index(m.Value)
		if i < 0 {
			continue
		}
		s, ok := sent[i]
		if !ok {
			t.Fatalf("no Sent event for %q", m.Value)
		}
		switch {
		case e.Kind == Received && e.To == a:
			if e.TraceID != s.TraceID || e.TraceID != s.MsgID {
				t.Fatalf("reply to %d has trace %s, its message was %s (trace %s)", i, e.TraceID, s.MsgID, s.TraceID)
			}
		case e.Kind == DeadLetter:
			dead++
			if got[i] {
				t.Fatalf("message %d answered and a dead letter", i)
			}
			if e.MsgID != s.MsgID || e.TraceID != s.TraceID {
				t.Fatalf("dead letter %d has ids %s/%s, sent as %s/%s", i, e.MsgID, e.TraceID, s.MsgID, s.TraceID)
			}
		}
	}
	t.Logf("%d answered, %d dead letters", len(got), dead)
}

func maxKey(m map[int]bool) int {
	k := -1
	for i := range m {
		k = max(k, i)
	}
	return k
}

// A batch decodes to its messages with their targets, senders and ids;
// records of protoactor's control types or unknown types are refused.
func TestBatchRoundTrip(t *testing.T) {
	n := newTestNode(t)
	q := &outQueue{n: n, addr: "peer:1"}
	s1 := actor.NewPID("here:1", "s1")
	t1, t2 := actor.NewPID("peer:1", "t1"), actor.NewPID("peer:1", "t2")
	trace := id{77, 5}
	recs := []outRec{
		{msg: wrapperspb.String("a"), target: t1, sender: s1, mid: 1, trace: id{n.ids.node, 1}},
		{msg: wrapperspb.String("b"), target: t1, sender: s1, mid: 2, trace: trace},
		{msg: wrapperspb.Int64(3), target: t2, mid: 3, trace: id{n.ids.node, 3}},
		{msg: wrapperspb.Bytes(make([]byte, MaxMessageSize+1)), target: t2, mid: 4, trace: id{n.ids.node, 4}},
		{msg: wrapperspb.String("e"), target: t1, sender: s1, mid: 5, trace: id{n.ids.node, 5}},
	}
	b := &outBatch{Message: emptyBatch, q: q, recs: recs}
	q.pending = []*outBatch{b}
	before := n.Stats().Oversized
	data, err := proto.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if d := n.Stats().Oversized - before; d != 1 {
		t.Fatalf("Oversized +%d", d)
	}
	in, err := decodeBatch(data, n.ids.node)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		target, sender string
		msg            proto.Message
		mid, trace     id
	}{
		{"t1", "s1", wrapperspb.String("a"), id{n.ids.node, 1}, id{n.ids.node, 1}},
		{"t1", "s1", wrapperspb.String("b"), id{n.ids.node, 2}, trace},
		{"t2", "", wrapperspb.Int64(3), id{n.ids.node, 3}, id{n.ids.node, 3}},
		{"t1", "s1", wrapperspb.String("e"), id{n.ids.node, 5}, id{n.ids.node, 5}},
	}
	if len(in.recs) != len(want) || in.rejected != 0 {
		t.Fatalf("decoded %d records (%d rejected), want %d", len(in.recs), in.rejected, len(want))
	}
	for i, w := range want {
		r := in.recs[i]
		sender := ""
		if r.sender != nil {
			sender = r.sender.Id
		}
		if string(r.target) != w.target || sender != w.sender || !proto.Equal(r.msg, w.msg) || r.mid != w.mid || r.trace != w.trace {
			t.Fatalf("record %d: %s %v %v %v %v, want %+v", i, r.target, r.sender, r.msg, r.mid, r.trace, w)
		}
	}

	// A peer's batch with forbidden and unknown types: those records go.
	var raw []byte
	rec := func(typ string, payload []byte) {
		var r []byte
		r = protowire.AppendTag(r, recTarget, protowire.BytesType)
		r = protowire.AppendString(r, "t1")
		r = protowire.AppendTag(r, recType, protowire.BytesType)
		r = protowire.AppendString(r, typ)
		r = protowire.AppendTag(r, recPayload, protowire.BytesType)
		r = protowire.AppendBytes(r, payload)
		raw = protowire.AppendTag(raw, 1, protowire.BytesType)
		raw = protowire.AppendBytes(raw, r)
	}
	stop, _ := proto.Marshal(&actor.Stop{})
	rec("actor.Stop", stop)
	rec("actor.Terminated", nil)
	rec("no.such.Type", nil)
	rec(string(TypeOf[*wrapperspb.StringValue]()), nil)
	in, err = decodeBatch(raw, n.ids.node)
	if err != nil {
		t.Fatal(err)
	}
	if in.rejected != 3 || len(in.recs) != 1 || !in.recs[0].mid.zero() {
		t.Fatalf("rejected %d, kept %d", in.rejected, len(in.recs))
	}
	if _, err := decodeBatch([]byte{0x0a, 0x05, 0x01}, 0); err == nil {
		t.Fatal("a truncated batch decoded")
	}
}

// A stream this node closed ends quietly: protoactor's reading goroutine
// then publishes no late EndpointTerminatedEvent that would stop the next
// connection's writer. A stream the peer or the network ended still fails.
func TestClosedStreamEnds(t *testing.T) {
	for _, c := range []struct {
		err  error
		want error
	}{
		{status.Error(codes.Canceled, "grpc: the client connection is closing"), io.EOF},
		{io.EOF, io.EOF},
		{nil, nil},
	} {
		if got := (&closedStream{ClientStream: canceledStream{c.err}}).RecvMsg(nil); got != c.want {
			t.Fatalf("RecvMsg after %v = %v, want %v", c.err, got, c.want)
		}
	}
	lost := status.Error(codes.Unavailable, "transport is closing")
	if got := (&closedStream{ClientStream: canceledStream{lost}}).RecvMsg(nil); status.Code(got) != codes.Unavailable {
		t.Fatalf("RecvMsg after a lost connection = %v, want Unavailable", got)
	}
}

// A stream that a newer connection to the same address replaced ends
// quietly, however it ends, and a DisconnectRequest on it is not reported:
// protoactor's reading goroutine would publish a late
// EndpointTerminatedEvent for the address, and protoactor and this node
// would end the newer connection for it (its writer stopped, its queued
// messages dead letters). The newest stream still reports its end. (As
// gRPC's, a stream returns nothing after its end.)
func TestReplacedStreamEndsQuietly(t *testing.T) {
	n := newTestNode(t)
	cc, other := testClientConn(t, "peer:1"), testClientConn(t, "peer:2")
	lost := status.Error(codes.Unavailable, "transport is closing")
	msg := &remote.RemoteMessage{}

	first := &scriptedStream{}
	s1 := openStream(t, n, cc, first)
	openStream(t, n, other, &scriptedStream{}) // another address replaces nothing
	first.script(nil, lost)
	if err := s1.RecvMsg(msg); err != nil || msg.GetConnectResponse() == nil {
		t.Fatalf("the handshake's answer = %v, %v", err, msg)
	}
	if err := s1.RecvMsg(msg); status.Code(err) != codes.Unavailable {
		t.Fatalf("the newest stream's loss = %v, want Unavailable", err)
	}

	a, b, newest := &scriptedStream{}, &scriptedStream{}, &scriptedStream{}
	sa, sb := openStream(t, n, cc, a), openStream(t, n, cc, b)
	sn := openStream(t, n, cc, newest)
	a.script(lost)
	if err := sa.RecvMsg(msg); err != io.EOF {
		t.Fatalf("a replaced stream's loss = %v, want io.EOF", err)
	}
	b.script(nil, errDisconnect, lost) // a late ConnectResponse, a DisconnectRequest, the end
	if err := sb.RecvMsg(msg); err != nil || msg.GetConnectResponse() == nil {
		t.Fatalf("a replaced stream's ConnectResponse = %v, %v (it is the writer's)", err, msg)
	}
	if err := sb.RecvMsg(msg); err != io.EOF {
		t.Fatalf("a replaced stream's DisconnectRequest = %v, want io.EOF", err)
	}
	newest.script(errDisconnect)
	if err := sn.RecvMsg(msg); err != nil || msg.GetDisconnectRequest() == nil {
		t.Fatalf("the newest stream's DisconnectRequest = %v, %v, want it reported", err, msg)
	}
}

// A node forgets the streams of an address once every stream to it has
// ended (peers that restart come back at new addresses), and numbering
// starts afresh correctly: an entry stays while an older stream may still
// end, and a stream protoactor dropped after a failed handshake goes.
func TestStreamEntriesGo(t *testing.T) {
	n := newTestNode(t)
	cc := testClientConn(t, "peer:1")
	lost := status.Error(codes.Unavailable, "transport is closing")
	msg := &remote.RemoteMessage{}
	end := func(s grpc.ClientStream, ss *scriptedStream, want error) {
		t.Helper()
		ss.script(lost)
		if err := s.RecvMsg(msg); !errors.Is(err, want) && status.Code(err) != status.Code(want) {
			t.Fatalf("end = %v, want %v", err, want)
		}
	}
	entries := func(want int) {
		t.Helper()
		if got := n.streams.len(); got != want {
			t.Fatalf("%d addresses with streams, want %d", got, want)
		}
	}

	for round := 0; round < 2; round++ { // the second after the entry went
		old, mid := &scriptedStream{}, &scriptedStream{}
		sOld, sMid := openStream(t, n, cc, old), openStream(t, n, cc, mid)
		end(sMid, mid, lost) // the newest: reported
		entries(1)           // sOld has not ended
		last := &scriptedStream{}
		sLast := openStream(t, n, cc, last)
		end(sOld, old, io.EOF) // replaced
		entries(1)
		end(sLast, last, lost)
		entries(0)
	}

	// A stream that failed to open counts for nothing.
	_, err := n.closedStreamEnds(context.Background(), &grpc.StreamDesc{}, cc, methodReceive,
		func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, ...grpc.CallOption) (grpc.ClientStream, error) {
			return nil, lost
		})
	if err != lost {
		t.Fatalf("open = %v", err)
	}
	entries(0)

	// Protoactor drops a stream whose handshake failed without reading its
	// end: its request not sent, or answered with something else than a
	// ConnectResponse. One that was answered waits for its reader, which
	// replacement still silences.
	unsent := &scriptedStream{sendErr: io.EOF}
	if err := openStream(t, n, cc, unsent).SendMsg(&remote.RemoteMessage{}); err != io.EOF {
		t.Fatalf("send = %v", err)
	}
	entries(0)
	refused := &scriptedStream{}
	refused.script(errDisconnect)
	if err := openStream(t, n, cc, refused).RecvMsg(msg); err != nil || msg.GetDisconnectRequest() == nil {
		t.Fatalf("the handshake's answer = %v, %v", err, msg)
	}
	entries(0)
	read := &scriptedStream{}
	sRead := openStream(t, n, cc, read)
	read.script(nil)
	if err := sRead.RecvMsg(msg); err != nil {
		t.Fatal(err)
	}
	if err := sRead.SendMsg(&remote.RemoteMessage{}); err != nil {
		t.Fatal(err)
	}
	read.sendErr = io.EOF // the reader sees the end, not the writer
	if err := sRead.SendMsg(&remote.RemoteMessage{}); err != io.EOF {
		t.Fatal(err)
	}
	entries(1)
	newer := &scriptedStream{}
	sNewer := openStream(t, n, cc, newer)
	end(sRead, read, io.EOF)
	end(sNewer, newer, lost)
	entries(0)
}

func testClientConn(t *testing.T, target string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// openStream opens s through the node's stream interceptor.
func openStream(t *testing.T, n *Node, cc *grpc.ClientConn, s *scriptedStream) grpc.ClientStream {
	t.Helper()
	cs, err := n.closedStreamEnds(context.Background(), &grpc.StreamDesc{}, cc, methodReceive,
		func(context.Context, *grpc.StreamDesc, *grpc.ClientConn, string, ...grpc.CallOption) (grpc.ClientStream, error) {
			return s, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// errDisconnect scripts a DisconnectRequest.
var errDisconnect = errors.New("disconnect request")

// scriptedStream answers RecvMsg with its scripted errors in turn (nil: a
// ConnectResponse; errDisconnect: a DisconnectRequest).
type scriptedStream struct {
	canceledStream
	errs    []error
	sendErr error // what SendMsg returns
}

func (s *scriptedStream) SendMsg(any) error { return s.sendErr }

func (s *scriptedStream) script(errs ...error) { s.errs = errs }

func (s *scriptedStream) RecvMsg(m any) error {
	if len(s.errs) == 0 {
		return io.EOF
	}
	err := s.errs[0]
	s.errs = s.errs[1:]
	if rm, ok := m.(*remote.RemoteMessage); ok && (err == nil || err == errDisconnect) {
		rm.MessageType = &remote.RemoteMessage_ConnectResponse{ConnectResponse: &remote.ConnectResponse{}}
		if err == errDisconnect {
			rm.MessageType = &remote.RemoteMessage_DisconnectRequest{DisconnectRequest: &remote.DisconnectRequest{}}
			err = nil
		}
	}
	return err
}

type canceledStream struct{ err error }

func (s canceledStream) Header() (metadata.MD, error) { return nil, nil }
func (s canceledStream) Trailer() metadata.MD         { return nil }
func (s canceledStream) CloseSend() error             { return nil }
func (s canceledStream) Context() context.Context     { return context.Background() }
func (s canceledStream) SendMsg(any) error            { return nil }
func (s canceledStream) RecvMsg(any) error            { return s.err }
