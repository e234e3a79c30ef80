package actors

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/sirupsen/logrus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// guard hardens protoactor's gRPC server (the pinned version crashes the
// whole process on several peer inputs):
//
//   - every handler runs under recover, so a panic ends one stream or call
//     with codes.Internal instead of the process;
//   - ListProcesses and GetProcessDiagnostics (panic("implement me")
//     upstream) answer codes.Unimplemented;
//   - each received MessageBatch is sanitised before protoactor reads it:
//     envelopes with an unknown or forbidden type name, a bad serializer or
//     out-of-range indexes, and system messages without their PID, are
//     dropped and counted (Stats.Rejected); the rest of the batch and the
//     stream carry on. The envelopes kept are decoded by inSerializer
//     (wire.go), which takes the ids off.
//
// Garbage bytes for a known type make protoactor end the stream (a decode
// error, not a crash); the peer reconnects.
type guard struct{ n *Node }

const (
	methodReceive     = "/remote.Remoting/Receive"
	methodList        = "/remote.Remoting/ListProcesses"
	methodDiagnostics = "/remote.Remoting/GetProcessDiagnostics"
)

func (g *guard) peerField(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return p.Addr.String()
	}
	return "?"
}

func (g *guard) recovered(ctx context.Context, method string, r any) error {
	g.n.stats.rpcPanics.Add(1)
	g.n.log.WithFields(logrus.Fields{
		"peer":   g.peerField(ctx),
		"method": method,
		"panic":  r,
		"stack":  string(debug.Stack()),
	}).Error("actors: remoting handler panicked on peer input; stream closed, node keeps serving")
	return status.Error(codes.Internal, "internal error")
}

func (g *guard) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	switch info.FullMethod {
	case methodList, methodDiagnostics:
		return nil, status.Errorf(codes.Unimplemented, "%s is not implemented", info.FullMethod)
	}
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, g.recovered(ctx, info.FullMethod, r)
		}
	}()
	return handler(ctx, req)
}

func (g *guard) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = g.recovered(ss.Context(), info.FullMethod, r)
		}
	}()
	if info.FullMethod == methodReceive {
		ss = &saneStream{ServerStream: ss, g: g}
	}
	return handler(srv, ss)
}

type saneStream struct {
	grpc.ServerStream
	g *guard
	// peer is the id of the node at the other end, from the system id in
	// its ConnectRequest (0: not a node, or not said yet); tagged holds the
	// type names tagged with it (see tagName), so that they are made once
	// per connection and inSerializer's type cache finds them by address.
	peer   uint64
	tagged map[string]string
}

// maxTagged bounds a connection's tagged names (only registered types are
// tagged; past the bound a name is tagged anew in each batch).
const maxTagged = 1024

// tag returns name tagged with the connection's node.
func (s *saneStream) tag(name string) string {
	if t, ok := s.tagged[name]; ok {
		return t
	}
	t := tagName(name, s.peer)
	if s.tagged == nil {
		s.tagged = make(map[string]string)
	}
	if len(s.tagged) < maxTagged {
		s.tagged[name] = t
	}
	return t
}

func (s *saneStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if rm, ok := m.(*remote.RemoteMessage); ok {
		if c := rm.GetConnectRequest(); c != nil {
			if sc := c.GetServerConnection(); sc != nil {
				if p := parseSystemID(sc.SystemId); p != s.peer {
					s.peer, s.tagged = p, nil // names tagged for the old node go
				}
			}
		}
		if b := rm.GetMessageBatch(); b != nil {
			var tag func(string) string
			if s.peer != 0 {
				tag = s.tag
			}
			if dropped, why := s.g.sanitize(b, tag); dropped > 0 {
				s.g.n.stats.rejected.Add(uint64(dropped))
				s.g.n.log.WithFields(logrus.Fields{
					"peer":    s.g.peerField(s.Context()),
					"dropped": dropped,
					"reason":  why,
				}).Warn("actors: rejected malformed or forbidden messages from peer")
			}
		}
	}
	return nil
}

// forbidden are protoactor types a peer may not send: they would stop or
// poke our processes behind the API's back.
var forbidden = map[string]bool{
	"actor.Stop":       true,
	"actor.PoisonPill": true,
	"actor.Touch":      true,
}

// sanitize removes the envelopes protoactor would crash on or that are
// forbidden, in place. It returns how many it removed and the first reason.
// With a tag function (the connection's node is known), the type names of
// the envelopes it keeps are replaced by their tagged forms, which only
// inSerializer reads.
func (g *guard) sanitize(b *remote.MessageBatch, tag func(string) string) (dropped int, why string) {
	type typeInfo struct {
		bad  string // reason, "" if fine
		kind int    // 1: needs a PID check (Watch, Unwatch, Terminated)
	}
	types := make([]typeInfo, len(b.TypeNames))
	for i, name := range b.TypeNames {
		switch {
		case forbidden[name]:
			types[i].bad = "forbidden type " + name
		case name == "actor.Watch" || name == "actor.Unwatch" || name == "actor.Terminated":
			types[i].kind = 1
		default:
			if _, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name)); err != nil {
				types[i].bad = fmt.Sprintf("unknown type %q", name)
			}
		}
	}
	keep := b.Envelopes[:0]
	for _, e := range b.Envelopes {
		reason := ""
		switch {
		case e == nil:
			reason = "nil envelope"
		case e.TypeId < 0 || int(e.TypeId) >= len(types):
			reason = "type index out of range"
		case types[e.TypeId].bad != "":
			reason = types[e.TypeId].bad
		case e.SerializerId != 0:
			reason = "unsupported serializer"
		case e.Target < 0 || int(e.Target) >= len(b.Targets) || b.Targets[e.Target] == nil:
			reason = "target index out of range"
		case e.Sender < 0 || int(e.Sender) > len(b.Senders) || (e.Sender > 0 && b.Senders[e.Sender-1] == nil):
			reason = "sender index out of range"
		case types[e.TypeId].kind == 1 && !systemMessageOK(b.TypeNames[e.TypeId], e.MessageData):
			reason = "system message without its PID"
		}
		if reason != "" {
			if why == "" {
				why = reason
			}
			dropped++
			continue
		}
		if inSerializerID >= 0 {
			e.SerializerId = inSerializerID // ids off the front, no unknown field
		}
		keep = append(keep, e)
	}
	clear(b.Envelopes[len(keep):])
	b.Envelopes = keep
	if tag != nil && inSerializerID >= 0 {
		for i, name := range b.TypeNames {
			if types[i].bad == "" {
				b.TypeNames[i] = tag(name)
			}
		}
	}
	return dropped, why
}

func systemMessageOK(name string, data []byte) bool {
	switch name {
	case "actor.Watch":
		var m actor.Watch
		return proto.Unmarshal(data, &m) == nil && m.Watcher != nil
	case "actor.Unwatch":
		var m actor.Unwatch
		return proto.Unmarshal(data, &m) == nil && m.Watcher != nil
	case "actor.Terminated":
		var m actor.Terminated
		return proto.Unmarshal(data, &m) == nil && m.Who != nil
	}
	return true
}
