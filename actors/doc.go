// Package actors is gomesos' libprocess: processes with PIDs ("id@host:port"),
// typed protobuf message handlers, links, timers on an injectable clock, and
// test filters that wait for or drop messages, all over one protoactor-go
// actor system and one gRPC remoting endpoint per OS process (a Node).
//
// It is the only package that imports protoactor. Remoting is upstream
// protoactor's remote package at the commit pinned in go.mod, used as is
// (no copy, no patch). This package hardens it from the outside:
// panic-recovering and batch-sanitising gRPC interceptors (guard.go),
// keepalive, small per-peer queues, a per-message size limit, sends and
// links that never panic into the caller, a bind check before remoting
// starts, and its own shutdown sequence. It keeps a process' state across
// handler panics, and stamps every message with a message id and a causal
// trace id that a Tracer can observe on both ends.
//
// A process is written libprocess-style: a Process installs handlers in
// Initialize with Install, replies with Context.Send, and runs deferred work
// with Context.Delay and Context.Dispatch. Everything a process does runs on
// its own goroutine, one message at a time. As in libprocess, Exited for a
// linked peer comes after every message that peer sent before it went away.
//
// # Message ids
//
// Every message carries a message id and a trace id (a message sent while
// handling another continues its trace; one sent from outside any process
// starts a new trace named after it). An id is two numbers, the random
// 48-bit id of the node that made it and a counter; it becomes text
// ("<12 hex digits>-<base 36>") only when a Tracer is set. Every process
// has gomesos' own protoactor mailbox (mailbox.go). Within a node a message
// and its ids go straight into the target's mailbox: one slot of a chunked
// queue, no wrapper object, no allocation, and no protoactor context per
// message; a message to a process that is not (or no longer) live goes
// through protoactor in a small wrapper, to its mailbox or its dead
// letters. Between nodes messages wait in a queue per peer address
// (outq.go: records of message, target, sender and ids in reused slices,
// no object per message), and protoactor's endpoint writer holds one
// token per up to 256 queued messages; encoding the token writes its
// messages as one envelope of type gomesos.actors.Batch to the peer's
// batch process, each message encoded once, with its ids (the message
// id's number and, only when it differs, the trace id) and with target,
// sender and type name written only when they change. The sending node's
// id goes once per connection, as the actor system id in protoactor's
// ConnectRequest, and the receiving guard hands it on. The size limit is
// checked as a batch is encoded (or before a message is queued, when a
// tracer wants its size anyway): an oversized message is dropped alone.
// The receiving serializer decodes a batch, refusing records of
// protoactor's control types; the batch process posts each message with
// its ids into its mailbox as a local one goes. Messages whose token the
// writer cannot send (no connection), or whose connection ended before
// they were encoded, become dead letters with their own ids. A message
// from a raw protoactor peer still arrives under its own type name, with
// the ids (field 19999, a number protobuf keeps for itself) ahead of its
// fields or among its unknown fields (a raw peer cannot read batches).
// protoactor's own control messages (Terminated, Watch, PoisonPill, ...)
// are refused on the way out (Stats.Rejected). There is no protoactor
// middleware: Node.send and the mailbox do the stamping, filtering and
// tracing themselves.
//
// # Timers: one idiom
//
// A process never keeps a Timer handle in its state. Its pure core names
// each timer by a key ("ping/<agent-id>", "offer/<offer-id>", "register")
// and returns effect.StartTimer (which re-arms a pending timer of the same
// key) and effect.CancelTimer; the shell applies them with effect.Timers
// (package actors/effect), which runs Context.Delay underneath and calls the
// core's Timer(now, key) on the process' goroutine. A timer that was
// cancelled or re-armed never fires, even if its Delay had already gone
// off, so a core needs no generation counters. Transcript tests and the
// simulator apply the same effects on a virtual clock.
//
// # One remoting node per process
//
// A daemon creates exactly one node; drivers share Shared(); mesos-local
// runs its master and agents on one node. protoactor's remote.Start calls
// grpclog.SetLoggerV2 on every start, which is a data race with the grpc
// goroutines of every Remote that ran before in the process. So a second
// remoting node in one process works, but it is a data race (NewNode logs a
// warning), and tests must not create one under -race. Instead:
//
//   - Local nodes (Config.Local) have an actor system and no remoting: no
//     listener, no gRPC. Their address is a pseudo address "local-<n>"
//     (PIDs render "id@local-3", and ParsePID accepts them); messages and
//     links to any other address are dead letters (Exited at once for a
//     link). Everything else works as on a remoting node, and any number of
//     Local nodes may run in one process, under -race too. Unit tests that
//     need processes on one node use them.
//   - Tests that need two remoting nodes run the second in a child process
//     (see this package's peer_test.go).
//
// Node.Flush waits until what this node sent to a peer node has reached
// that node's mailboxes (drivers call it before stopping, so a last message
// is not lost when the process exits right away).
//
// # Upstream limitations that remain
//
//   - No backpressure: the send queue to each peer grows without bound
//     while the peer is slow or unreachable (EndpointWriterQueueSize is only
//     its initial capacity), and Send never blocks.
//   - A batch's byte size is not capped: up to EndpointWriterBatchSize
//     messages of up to MaxMessageSize each go in one gRPC frame, so big
//     messages in a burst can exceed the receiver's DefaultMaxRecvMsgSize;
//     the stream then breaks and that batch is lost.
//   - At-most-once delivery: messages in flight on a broken connection are
//     lost; messages queued during an outage may arrive late, after a
//     reconnect. Links are not re-established after a connection loss
//     (Exited fires once; link again). Flush cannot tell whether messages
//     were lost on a connection that broke before its probe.
//   - Connecting to a peer is tried once (protoactor's endpoint writer
//     would retry 5 times 2 s apart, sleeping in its Started handler): a
//     refused connection is an exited peer at once, and a peer that accepts
//     but does not finish the handshake gets ConnectTimeout. A silent
//     partition is detected only by gRPC keepalive, after KeepaliveTime
//     plus KeepaliveTimeout (70 s). The timeout is long on purpose: a peer
//     starved of CPU or stopped for seconds answers its pings late and
//     keeps its links; a peer that dies closes its sockets and is seen at
//     once.
//   - protoactor panics when creating an endpoint fails (upstream PR #1233):
//     Send and Link recover it (Stats.SendPanics); that address's endpoint
//     then stays broken inside protoactor, so later sends to it fail the
//     same way. It needs protoactor's endpoint supervisor to be gone, as
//     around Shutdown.
//   - Remote.Shutdown(true) writes the endpoint manager's fields with no
//     synchronisation (a race with the endpoint goroutines); Shutdown does
//     not call it: it stops the gRPC server and the endpoint supervisor, so
//     peers see the connection end as on a crash (no DisconnectRequest).
//   - Replies dial back: every node must advertise an address its peers can
//     reach. Sender PIDs are self-declared: there is no authentication
//     beyond what TLS options would give.
//   - The wire format changed upstream after the pinned commit, and the
//     ids field is gomesos' own: every binary of a cluster must be built
//     from the same tree.
package actors
