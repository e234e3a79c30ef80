package actors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/sirupsen/logrus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Errors returned by Call and Spawn.
var (
	// ErrNoProcess: the PID names no live local process.
	ErrNoProcess = errors.New("actors: no such local process")
	// ErrProcessGone: the process stopped before it ran the call.
	ErrProcessGone = errors.New("actors: process stopped before running the call")
	// ErrNameExists: Spawn was given an id already in use on this node.
	ErrNameExists = errors.New("actors: process id already in use")
	// ErrShutdown: the node has been shut down.
	ErrShutdown = errors.New("actors: node is shut down")
	// ErrNoRemoting: a Local node was asked to reach another node.
	ErrNoRemoting = errors.New("actors: node has no remoting (Config.Local)")
)

// Node is one process' actor system plus its single remoting endpoint (none
// for a Local node).
type Node struct {
	log         *logrus.Logger
	clock       Clock
	filters     *Filters
	tracer      atomic.Pointer[tracerBox]
	mailboxHook func(to PID, msg any) // tests only
	_           [64]byte
	ids         idGen // its counter is written on every send: a line of its own
	_           [64 - 16]byte

	sys  *actor.ActorSystem
	rem  *remote.Remote // nil for a Local node
	rcfg *remote.Config
	addr string // advertised host:port, == sys.Address()
	sub  *eventstream.Subscription

	procs    sync.Map // id -> *process
	outqs    sync.Map // peer address -> *outQueue
	batchMax int      // messages per batch token (and gRPC frame)
	pids     pidCache
	// inTargets caches the targets of received batches (see inTarget).
	inTargets [64]atomic.Pointer[pidEntry]
	streams   streamGens  // client streams per peer address (see closedStreamEnds)
	stopping  atomic.Bool // Shutdown began: Spawn and Flush refuse
	closed    atomic.Bool // Shutdown stopped the processes: sends are dropped
	stopOnce  sync.Once

	// onEvent calls running (evN), and whether Shutdown has ended them
	// (evClosed): Shutdown waits for the running ones, and none starts
	// after, so no event reaches the tracer once Shutdown returns.
	evMu     sync.Mutex
	evDone   sync.Cond // on evMu: evN fell to 0 with evClosed set
	evN      int
	evClosed bool

	stats nodeStats
}

type tracerBox struct{ t Tracer }

// Stats are a node's counters of messages it refused or lost.
type Stats struct {
	Oversized   uint64 // outgoing messages over MaxMessageSize, dropped
	Filtered    uint64 // messages dropped by test filters
	DeadLetters uint64 // messages to processes that do not exist (on this node)
	Rejected    uint64 // incoming envelopes dropped by the remoting guard (unknown or forbidden type, bad indexes), and protoactor's own control messages refused on the way out
	Unhandled   uint64 // messages no handler was installed for
	Panics      uint64 // handler (and callback) panics recovered
	RPCPanics   uint64 // panics recovered in gRPC handlers (malformed peer input)
	SendPanics  uint64 // sends (or links) that panicked inside protoactor; message dropped, traced as DeadLetter
}

type nodeStats struct {
	oversized, filtered, deadLetters, rejected, unhandled, panics, rpcPanics, sendPanics atomic.Uint64
}

// NewNode starts an actor system and, unless cfg.Local, its remoting
// endpoint. A bind failure (busy port, bad address) is an error, never a
// panic, and is found before protoactor's remoting is started at all.
//
// One remoting node per OS process: daemons create exactly one, drivers
// share Shared(), and mesos-local runs its master and agents on one node,
// as libprocess does. A second remoting node in the same process works but
// is a data race inside grpc's global logger (upstream protoactor's
// remote.Start calls grpclog.SetLoggerV2 on every start, while the grpc
// goroutines of every Remote that ran before read it), so NewNode logs a
// warning and tests must never do it under -race: they use Local nodes, or
// run the peer in a child process. Local nodes (cfg.Local) have no remoting
// and any number of them may live in one process.
func NewNode(cfg Config) (*Node, error) {
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("actors: bad port %d", cfg.Port)
	}
	if cfg.AdvertisePort < 0 || cfg.AdvertisePort > 65535 {
		return nil, fmt.Errorf("actors: bad advertise port %d", cfg.AdvertisePort)
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Clock == nil {
		cfg.Clock = RealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = logrus.StandardLogger()
	}
	n := &Node{
		log:         cfg.Logger,
		clock:       cfg.Clock,
		filters:     newFilters(),
		mailboxHook: cfg.mailboxHook,
	}
	n.ids.init()
	n.evDone.L = &n.evMu
	n.SetTracer(cfg.Tracer)
	if cfg.Local {
		n.startLocal()
		return n, nil
	}
	port, advertised, err := listenPlan(cfg, freePort)
	if err != nil {
		return nil, err
	}
	// Check the bind here: protoactor's Start panics when it cannot bind,
	// and it writes grpc's global logger before that, which races with the
	// grpc goroutines of any other node that ever ran in this process.
	if err := checkBind(cfg.Host, port); err != nil {
		return nil, err
	}
	if err := n.start(cfg, port, advertised); err != nil {
		return nil, err
	}
	return n, nil
}

// localSeq numbers the Local nodes of the process.
var localSeq atomic.Uint64

// remotingStarted counts the remoting nodes this process ever started.
var remotingStarted atomic.Int32

// LocalAddressPrefix starts the pseudo address of a Local node
// ("local-<n>"), which no remoting node can have.
const LocalAddressPrefix = "local-"

func newSystem(log *logrus.Logger) *actor.ActorSystem {
	return actor.NewActorSystem(
		actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
			return slog.New(newSlogBridge(log))
		}),
	)
}

// startLocal makes a node without remoting: protoactor resolves PIDs of any
// other address to its dead-letter process.
func (n *Node) startLocal() {
	sys := newSystem(n.log)
	sys.ProcessRegistry.Address = LocalAddressPrefix + strconv.FormatUint(localSeq.Add(1), 10)
	n.sys = sys
	n.addr = sys.Address()
	n.sub = sys.EventStream.Subscribe(n.onEvent)
}

// listenPlan returns the port to bind (0: remoting picks one) and the
// address to advertise ("": the listener's address). Without an advertised
// address remoting advertises its listener's address; an advertised port of
// 0 stands for the port bound, which must then be known before remoting
// starts, so a free one is taken from the OS.
func listenPlan(cfg Config, freePort func(host string) (int, error)) (port int, advertised string, err error) {
	if cfg.AdvertiseHost != "" || cfg.AdvertisePort != 0 || isUnspecified(cfg.Host) {
		advHost := cfg.AdvertiseHost
		if advHost == "" {
			advHost = cfg.Host
			if isUnspecified(advHost) {
				advHost = defaultAdvertiseIP()
			}
		}
		advertised = net.JoinHostPort(strings.Trim(advHost, "[]"), strconv.Itoa(cfg.AdvertisePort))
	}
	port = cfg.Port
	if advertised != "" && port == 0 {
		p, err := freePort(cfg.Host)
		if err != nil {
			return 0, "", fmt.Errorf("actors: cannot listen on %s: %w", cfg.Host, err)
		}
		port = p
	}
	if advertised != "" && cfg.AdvertisePort == 0 {
		h, _, _ := net.SplitHostPort(advertised)
		advertised = net.JoinHostPort(h, strconv.Itoa(port))
	}
	return port, advertised, nil
}

// freePort asks the OS for a free TCP port on host.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(strings.Trim(host, "[]"), "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// checkBind reports whether host:port can be listened on now. (Another
// process may still take the port before remoting binds it; remoting's
// panic is then recovered into an error, at the price of the logger write.)
func checkBind(host string, port int) error {
	addr := net.JoinHostPort(strings.Trim(host, "[]"), strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("actors: cannot listen on %s: %w", addr, err)
	}
	return l.Close()
}

func (n *Node) start(cfg Config, port int, advertised string) error {
	sys := newSystem(n.log)
	sys.ID = systemID(n.ids.node) // peers learn the node of the ids from it (see wire.go)
	host := cfg.Host
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]" // remote formats host:port with Sprintf
	}
	rcfg := remote.Configure(host, port, n.remoteOptions(cfg, advertised)...)
	rem := remote.NewRemote(sys, rcfg)
	if prev := remotingStarted.Add(1) - 1; prev > 0 {
		n.log.WithField("earlier", prev).Warn("actors: more than one remoting node in this process: " +
			"a data race in grpc's global logger (upstream protoactor); use one node per process")
	}
	if err := startRemote(rem); err != nil {
		sys.Shutdown()
		return fmt.Errorf("actors: cannot listen on %s: %w", net.JoinHostPort(cfg.Host, strconv.Itoa(port)), err)
	}
	n.sys, n.rem, n.rcfg = sys, rem, rcfg
	n.addr = sys.Address()
	n.sub = sys.EventStream.Subscribe(n.onEvent)
	if _, ok := sys.ProcessRegistry.Add(&batchProcess{n}, batchID); !ok {
		n.log.Error("actors: cannot register the batch receiver; peers' messages to this node are lost")
	}
	if _, err := sys.Root.SpawnNamed(actor.PropsFromFunc(flushResponder), flushID); err != nil {
		n.log.WithError(err).Error("actors: cannot start the flush responder; peers' Flush to this node fails")
	}
	return nil
}

// startRemote starts remoting. protoactor's Start panics when it cannot
// bind; that becomes an error here.
func startRemote(rem *remote.Remote) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	rem.Start()
	return nil
}

// remoteOptions is the hardened remoting configuration (see the protoactor
// notes, §10/§11). WithServerOptions and WithDialOptions replace earlier
// values, so each is passed exactly once, with everything in it.
func (n *Node) remoteOptions(cfg Config, advertised string) []remote.ConfigOption {
	maxRecv := cfg.maxRecvMsgSize
	if maxRecv <= 0 {
		maxRecv = DefaultMaxRecvMsgSize
	}
	batch := cfg.writerBatchSize
	if batch <= 0 {
		batch = EndpointWriterBatchSize
	}
	// Our messages travel in batch tokens of up to batch messages each
	// (outq.go), one token per gRPC frame: a frame holds at most batch
	// messages, as protoactor's own batching would give.
	n.batchMax = min(batch, batchMaxRecords)
	g := &guard{n: n}
	opts := []remote.ConfigOption{
		// One connect attempt, as libprocess makes: a peer that cannot be
		// reached is an exited peer at once, and Mesos' protocols retry
		// above this layer. protoactor's default (5 attempts 2 s apart)
		// blocks the peer's writer for 10 s and logs every attempt.
		func(c *remote.Config) { c.MaxRetryCount = 1 },
		remote.WithEndpointWriterQueueSize(EndpointWriterQueueSize),
		remote.WithEndpointWriterBatchSize(1),
		remote.WithServerOptions(
			grpc.MaxRecvMsgSize(maxRecv),
			// Fixed windows: no bandwidth-delay pings (see WindowSize).
			grpc.StaticStreamWindowSize(WindowSize),
			grpc.StaticConnWindowSize(WindowSize),
			grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
				MinTime:             KeepaliveMinTime,
				PermitWithoutStream: true,
			}),
			grpc.KeepaliveParams(keepalive.ServerParameters{
				Time:    KeepaliveTime,
				Timeout: KeepaliveTimeout,
			}),
			grpc.ChainStreamInterceptor(g.stream),
			grpc.ChainUnaryInterceptor(g.unary),
		),
		remote.WithDialOptions(
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithStaticStreamWindowSize(WindowSize),
			grpc.WithStaticConnWindowSize(WindowSize),
			grpc.WithChainStreamInterceptor(n.closedStreamEnds),
			grpc.WithKeepaliveParams(keepalive.ClientParameters{
				Time:                KeepaliveTime,
				Timeout:             KeepaliveTimeout,
				PermitWithoutStream: true,
			}),
			// A peer that accepts the TCP connection but is too starved to
			// answer the HTTP/2 handshake is slow, not gone; one that
			// refuses the connection still fails at once.
			grpc.WithConnectParams(grpc.ConnectParams{
				Backoff:           backoff.DefaultConfig,
				MinConnectTimeout: ConnectTimeout,
			}),
		),
	}
	if advertised != "" {
		opts = append(opts, remote.WithAdvertisedHost(advertised))
	}
	return opts
}

// closedStreamEnds makes a client stream end as a finished stream
// (io.EOF) rather than a failed one when this node closed it, or when a
// newer stream to the same address replaced it. protoactor's writer
// closes its connection when it stops (on an EndpointTerminatedEvent), and
// the writer's reading goroutine publishes an EndpointTerminatedEvent for
// the address whenever its stream fails or brings a DisconnectRequest:
// one published late, once the next writer had connected, stopped that
// writer (protoactor's endpoint manager goes by address), whose close did
// the same, so a cut connection could go on ending its successors, their
// pending messages turned dead letters. Canceled comes only from our
// side: the stream's context is Background.
func (n *Node) closedStreamEnds(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	addr := cc.Target()
	latest, gen := n.streams.next(addr)
	s, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		n.streams.done(addr, latest)
		return nil, err
	}
	return &closedStream{ClientStream: s, gens: &n.streams, addr: addr, latest: latest, gen: gen}, nil
}

// streamGens numbers a node's client streams per peer address. An
// address' entry lives while a stream to it may still ask whether it was
// replaced, then goes: peers come and go, at new addresses.
type streamGens struct {
	mu sync.Mutex
	m  map[string]*streamGen
}

type streamGen struct {
	latest atomic.Uint64 // the newest stream's number
	live   int           // under streamGens.mu: streams that may still ask
}

// next numbers a new stream to addr; it returns the address' entry, which
// holds the newest stream's number. done gives it back.
func (g *streamGens) next(addr string) (*streamGen, uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e := g.m[addr]
	if e == nil {
		if g.m == nil {
			g.m = make(map[string]*streamGen)
		}
		e = new(streamGen)
		g.m[addr] = e
	}
	e.live++
	return e, e.latest.Add(1)
}

// done says a stream numbered by e will not ask again.
func (g *streamGens) done(addr string, e *streamGen) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e.live--; e.live == 0 && g.m[addr] == e {
		delete(g.m, addr)
	}
}

// len is the number of addresses with an entry.
func (g *streamGens) len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.m)
}

// closedStream is a client stream counted in its address' entry until it
// will not ask again: its reader has seen its end or, protoactor's
// handshake having failed (its request not sent, or answered with anything
// but a ConnectResponse), protoactor dropped it unread. (Not on its
// context's end: grpc's Context commits the stream, which stops
// transparent retries.)
type closedStream struct {
	grpc.ClientStream
	gens   *streamGens
	addr   string
	latest *streamGen // the address' entry (nil: not counted)
	gen    uint64

	reading  atomic.Bool // the handshake succeeded: a reader will see the end
	released atomic.Bool // given back to gens
}

// replaced says a newer stream to the same address was opened.
func (s *closedStream) replaced() bool { return s.latest != nil && s.latest.latest.Load() != s.gen }

func (s *closedStream) RecvMsg(m any) error {
	for {
		err := s.ClientStream.RecvMsg(m)
		switch {
		case err == nil && s.replaced() && isDisconnect(m):
			continue // for a connection already replaced
		case err != nil && (status.Code(err) == codes.Canceled || s.replaced()):
			err = io.EOF
		}
		switch {
		case err != nil: // the end: gRPC returns nothing after it
			s.release()
		case s.reading.Load(): // a message for the reader
		case isConnectResponse(m):
			s.reading.Store(true)
		default: // the handshake failed
			s.release()
		}
		return err
	}
}

func (s *closedStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err != nil && !s.reading.Load() { // the handshake's request
		s.release()
	}
	return err
}

// release gives the stream back, once.
func (s *closedStream) release() {
	if s.latest != nil && s.released.CompareAndSwap(false, true) {
		s.gens.done(s.addr, s.latest)
	}
}

func isConnectResponse(m any) bool {
	rm, ok := m.(*remote.RemoteMessage)
	return ok && rm.GetConnectResponse() != nil
}

func isDisconnect(m any) bool {
	rm, ok := m.(*remote.RemoteMessage)
	return ok && rm.GetDisconnectRequest() != nil
}

func isUnspecified(host string) bool {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	ip := net.ParseIP(h)
	return ip != nil && ip.IsUnspecified()
}

// defaultAdvertiseIP is what libprocess advertises when bound to a
// wildcard: the host name's address.
func defaultAdvertiseIP() string {
	name, err := os.Hostname()
	if err == nil {
		if ips, err := net.LookupIP(name); err == nil {
			for _, ip := range ips {
				if ip.To4() != nil && !ip.IsLoopback() {
					return ip.String()
				}
			}
		}
	}
	return "127.0.0.1"
}

var shared struct {
	once sync.Once
	node *Node
	err  error
}

// Shared returns the process-wide remoting node, created on first use from
// ConfigFromEnv. Drivers use it so that several drivers share one endpoint
// (one remoting node per process: see NewNode). If creating it failed,
// every call returns the same error.
func Shared() (*Node, error) {
	shared.once.Do(func() {
		cfg, err := ConfigFromEnv()
		if err != nil {
			shared.err = err
			return
		}
		shared.node, shared.err = NewNode(cfg)
	})
	return shared.node, shared.err
}

// Address returns the advertised host:port of the node, or the pseudo
// address "local-<n>" of a Local node.
func (n *Node) Address() string { return n.addr }

// Remoting reports whether the node has a remoting endpoint (it is not a
// Local node).
func (n *Node) Remoting() bool { return n.rem != nil }

// Clock returns the node's clock.
func (n *Node) Clock() Clock { return n.clock }

// Filters returns the node's test filters (they apply to messages this
// node receives).
func (n *Node) Filters() *Filters { return n.filters }

// Log returns the node's logger.
func (n *Node) Log() *logrus.Logger { return n.log }

// SetTracer replaces the tracer (nil: none). Safe at any time.
func (n *Node) SetTracer(t Tracer) {
	if t == nil {
		n.tracer.Store(nil)
		return
	}
	n.tracer.Store(&tracerBox{t})
}

func (n *Node) getTracer() Tracer {
	if b := n.tracer.Load(); b != nil {
		return b.t
	}
	return nil
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	s := &n.stats
	return Stats{
		Oversized:   s.oversized.Load(),
		Filtered:    s.filtered.Load(),
		DeadLetters: s.deadLetters.Load(),
		Rejected:    s.rejected.Load(),
		Unhandled:   s.unhandled.Load(),
		Panics:      s.panics.Load(),
		RPCPanics:   s.rpcPanics.Load(),
		SendPanics:  s.sendPanics.Load(),
	}
}

// Shutdown stops every process (running their finalizers), then the
// remoting endpoint: peers see the node's processes exit (links to them
// fire Exited). Idempotent. Do not call it from a process of this node (it
// waits for that process to stop). Messages sent while the processes stop
// (a Finalize's, or Send's from other goroutines) go as usual; once every
// process has stopped (or Shutdown gave up waiting for it), Send and
// Context.Send drop messages without delivering, tracing or counting them
// (a send already under way then finishes as usual). Messages still queued
// to the processes are dead letters, counted and traced before it returns;
// no dead letter is counted or traced after (unless it gave up waiting:
// 10 s for processes and tracer).
func (n *Node) Shutdown() {
	n.stopOnce.Do(func() {
		n.stopping.Store(true)
		var procs []*process
		n.procs.Range(func(_, v any) bool {
			p := v.(*process)
			n.sys.Root.Stop(p.apid)
			procs = append(procs, p)
			return true
		})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, p := range procs {
			select {
			case <-p.done:
			case <-ctx.Done():
				n.log.WithField("process", p.self.String()).Error("actors: Shutdown gave up waiting for a process to stop")
			}
		}
		n.closed.Store(true)
		if n.rem != nil {
			n.stopRemoting()
		}
		n.sys.EventStream.Unsubscribe(n.sub)
		n.closeEvents(ctx)
		n.sys.Shutdown()
	})
}

// stopRemoting closes the remoting endpoint without protoactor's graceful
// Remote.Shutdown(true), which writes the endpoint manager's fields
// (stopped, connections, the reader's suspended flag) with no
// synchronisation while the endpoint goroutines read them: a data race
// under -race whenever a peer connection ended before or ends during the
// shutdown. Instead: stop the gRPC server (incoming streams end; peers see
// the node go, as on a crash), then stop the endpoint supervisor, whose
// endpoint writers close the outgoing connections. Both are synchronised
// (grpc's own locking, actor messages). Peers get no DisconnectRequest;
// they notice the end of their streams instead.
func (n *Node) stopRemoting() {
	n.rem.Shutdown(false) // only grpc.Server.Stop
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = n.sys.Root.StopFuture(n.sys.NewLocalPID(endpointSupervisorID)).Wait()
	}()
	select {
	case <-done:
	case <-time.After(500 * time.Millisecond):
		// An endpoint writer retrying a peer that has gone (protoactor
		// sleeps 2 s between attempts, up to 5, in its Started handler)
		// holds the stop; it has no connection open, so do not wait for it.
		// (protoactor recreates an endpoint when a peer's last Terminated
		// messages arrive after its connection ended.)
		n.log.Debug("actors: Shutdown stopped waiting for protoactor's endpoint writers")
	}
}

// endpointSupervisorID is the name protoactor's remoting spawns its
// endpoint supervisor under (remote/endpoint_manager.go at the pinned
// commit); TestShutdownClosesConnections notices if it changes.
const endpointSupervisorID = "EndpointSupervisor"

func (n *Node) isLocalAddr(addr string) bool { return addr == n.addr || addr == "nonhost" }

// Send delivers msg to `to` as if sent by `from` (which may be zero). For
// use outside any process: tests, HTTP handlers, drivers' public methods.
// It starts a new trace. It never panics: a panic inside protoactor (its
// remoting can panic when it fails to create the connection to a peer) is
// recovered, logged, counted in Stats.SendPanics and traced as DeadLetter.
// On a Local node, a message to any other address is a dead letter.
func (n *Node) Send(from, to PID, msg proto.Message) {
	if to.IsZero() || msg == nil {
		n.log.WithField("message", typeName(msg)).Warn("actors: Send to the zero PID or of a nil message dropped")
		return
	}
	var sender *actor.PID
	if !from.IsZero() {
		sender = n.pids.get(from, n.isLocalAddr).ap
	}
	e := n.pids.get(to, n.isLocalAddr)
	if n.postLocal(sender, e, msg, id{}) {
		return
	}
	n.sendGuarded(from, to, sender, e, msg, id{})
}

// sendGuarded is send under recoverSend: every path but postLocal's can
// end in protoactor. It drops the message once Shutdown has stopped the
// processes (postLocal finds no live process then).
func (n *Node) sendGuarded(from, to PID, sender *actor.PID, e *pidEntry, msg proto.Message, trace id) {
	if n.closed.Load() {
		return
	}
	defer n.recoverSend(from, to, msg, trace)
	n.send(sender, e, msg, trace)
}

// postLocal is send's fast path, for a message to a live process of this
// node while no tracer is set: straight into its mailbox, with no deferred
// recover (nothing on the way runs protoactor's code or a tracer's). It
// reports false, having done nothing, for any other message.
func (n *Node) postLocal(sender *actor.PID, to *pidEntry, msg proto.Message, trace id) bool {
	if !to.local || n.tracer.Load() != nil {
		return false
	}
	p := n.liveProcess(to)
	if p == nil {
		return false
	}
	p.mb.post(msg, sender, id{}, trace) // the mailbox numbers it
	return true
}

// liveProcess returns the process of a local entry if it is spawned and
// not stopping (nil otherwise), caching it in the entry.
func (n *Node) liveProcess(e *pidEntry) *process {
	p := e.proc.Load()
	if p != nil && !p.gone.Load() {
		return p
	}
	v, ok := n.procs.Load(e.pid.ID)
	if !ok {
		return nil
	}
	p = v.(*process)
	if !p.ready.Load() || p.gone.Load() {
		return nil
	}
	e.proc.Store(p)
	return p
}

// Stop terminates a local process and waits until it has finalized. Do not
// call it from the process itself (use Context.Terminate).
func (n *Node) Stop(pid PID) {
	if pid.Address != n.addr {
		n.log.WithField("pid", pid.String()).Warn("actors: Stop of a process that is not local ignored")
		return
	}
	p, ok := n.lookup(pid)
	if !ok {
		return
	}
	n.sys.Root.Stop(p.apid)
	<-p.done // closed once Stopped ran, after Finalize
}

// recoverSend, deferred by every send, turns a panic inside protoactor into
// a dropped message.
func (n *Node) recoverSend(from, to PID, msg proto.Message, trace id) {
	r := recover()
	if r == nil {
		return
	}
	n.stats.sendPanics.Add(1)
	n.log.WithFields(logrus.Fields{
		"from":    from.String(),
		"to":      to.String(),
		"message": typeName(msg),
		"panic":   r,
		"stack":   string(debug.Stack()),
	}).Error("actors: send panicked inside protoactor; message dropped")
	if tr := n.getTracer(); tr != nil && msg != nil {
		tr.Trace(&Event{
			Kind:    DeadLetter,
			Time:    n.clock.Now(),
			From:    from,
			To:      to,
			Type:    msg.ProtoReflect().Descriptor().FullName(),
			Size:    proto.Size(msg),
			TraceID: trace.String(),
			Msg:     msg,
		})
	}
}

// flushID names the responder every remoting node runs for Flush. '.' never
// occurs in protoactor's generated ids, and Spawn refuses ids starting
// with '$'.
const flushID = "$gomesos.flush"

// flushResponder answers a Flush probe with the probe itself.
func flushResponder(c actor.Context) {
	if m, ok := c.Message().(*actor.PID); ok && c.Sender() != nil {
		c.Respond(m)
	}
}

// DefaultFlushTimeout bounds Flush when its context has no deadline.
const DefaultFlushTimeout = 30 * time.Second

// Flush returns once every message this node sent to the node of `to`
// before the call (with Send or Context.Send, from any goroutine or process)
// has been handed to that node's mailboxes: protoactor's remoting delivers
// in order per pair of nodes, so Flush sends a probe after them to a
// responder on the peer node and waits for its answer. It returns nil at
// once if `to` is on this node. Drivers call it before stopping, so that a
// last message is not lost when the process exits right after.
//
// It does not cover Link (remote watches take another path), and it cannot
// tell whether messages were lost on a connection that broke before the
// probe: only that the probe, sent after them, arrived. It returns
// ErrNoRemoting on a Local node, ErrShutdown after Shutdown, an error if
// the peer is unreachable (or runs no gomesos node), or ctx's error;
// without a ctx deadline it gives up after DefaultFlushTimeout.
func (n *Node) Flush(ctx context.Context, to PID) error {
	if to.Address == n.addr || to.Address == "nonhost" {
		return nil
	}
	if n.rem == nil {
		return fmt.Errorf("%w: cannot flush to %s", ErrNoRemoting, to.Address)
	}
	if to.Address == "" || isLocalAddress(to.Address) {
		return fmt.Errorf("actors: flush to %q: not a remoting address", to.Address)
	}
	if n.stopping.Load() {
		return ErrShutdown
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	timeout := DefaultFlushTimeout
	if dl, ok := ctx.Deadline(); ok {
		if timeout = time.Until(dl); timeout <= 0 {
			return context.DeadlineExceeded
		}
	}
	probe := &actor.PID{Address: n.addr, Id: "flush-" + n.ids.next().String()}
	fut, err := n.requestFuture(actor.NewPID(to.Address, flushID), probe, timeout)
	if err != nil {
		return fmt.Errorf("actors: flush to %s: %w", to.Address, err)
	}
	type result struct {
		v   any
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := fut.Result()
		done <- result{v, err}
	}()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case r := <-done:
		switch {
		case r.err == nil:
			if p, ok := r.v.(*actor.PID); ok && p.Id == probe.Id {
				return nil
			}
			return fmt.Errorf("actors: flush to %s: unexpected answer %T", to.Address, r.v)
		case errors.Is(r.err, actor.ErrTimeout):
			if err := ctx.Err(); err != nil {
				return err
			}
			return fmt.Errorf("actors: flush to %s: no answer in %v", to.Address, timeout)
		case errors.Is(r.err, actor.ErrDeadLetter):
			return fmt.Errorf("actors: flush to %s: peer unreachable or not a gomesos node", to.Address)
		default:
			return fmt.Errorf("actors: flush to %s: %w", to.Address, r.err)
		}
	}
}

// requestFuture is RequestFuture on sys.Root (no middleware: the probe is
// not a traced message) that never panics.
func (n *Node) requestFuture(target *actor.PID, msg proto.Message, timeout time.Duration) (fut *actor.Future, err error) {
	defer func() {
		if r := recover(); r != nil {
			n.stats.sendPanics.Add(1)
			n.log.WithFields(logrus.Fields{"to": target.Address, "panic": r}).Error("actors: send panicked inside protoactor")
			fut, err = nil, fmt.Errorf("send panicked: %v", r)
		}
	}()
	return n.sys.Root.RequestFuture(target, msg, timeout), nil
}

func (n *Node) lookup(pid PID) (*process, bool) {
	if pid.Address != n.addr {
		return nil, false
	}
	v, ok := n.procs.Load(pid.ID)
	if !ok {
		return nil, false
	}
	return v.(*process), true
}

// Dispatch runs f on the goroutine of the local process pid (libprocess'
// dispatch). Blocking work done elsewhere returns its result this way. It
// returns false if pid is not a live local process.
func (n *Node) Dispatch(pid PID, f func()) bool {
	p, ok := n.lookup(pid)
	if !ok || p.gone.Load() {
		return false
	}
	n.dispatch(p, &dispatchMsg{f: f})
	return true
}

func (n *Node) dispatch(p *process, m *dispatchMsg) {
	n.sys.Root.Send(p.apid, m) // sys.Root: no middleware for local func messages
}

type callResult struct {
	v   any
	err error
}

// Call runs f on pid's goroutine and waits for its result, or ctx's end.
// A panic in f is returned as an error.
func (n *Node) Call(ctx context.Context, pid PID, f func() any) (any, error) {
	p, ok := n.lookup(pid)
	if !ok || p.gone.Load() {
		return nil, ErrNoProcess
	}
	res := make(chan callResult, 1)
	n.dispatch(p, &dispatchMsg{f: func() {
		defer func() {
			if r := recover(); r != nil {
				n.stats.panics.Add(1)
				n.log.WithFields(logrus.Fields{"process": p.self.String(), "panic": r}).Error("actors: Call function panicked")
				res <- callResult{err: fmt.Errorf("actors: call panicked: %v", r)}
			}
		}()
		res <- callResult{v: f()}
	}})
	select {
	case r := <-res:
		return r.v, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.done:
		select {
		case r := <-res:
			return r.v, r.err
		default:
			return nil, ErrProcessGone
		}
	}
}

// closeEvents makes later onEvent calls return at once and waits, until
// ctx ends, for those under way (a publisher may have taken the
// subscription before Unsubscribe, or a tracer may be slow).
func (n *Node) closeEvents(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() {
		n.evMu.Lock()
		n.evDone.Broadcast()
		n.evMu.Unlock()
	})
	defer stop()
	n.evMu.Lock()
	n.evClosed = true
	for n.evN > 0 && ctx.Err() == nil {
		n.evDone.Wait()
	}
	left := n.evN
	n.evMu.Unlock()
	if left > 0 {
		n.log.WithField("events", left).Error("actors: Shutdown gave up waiting for the tracer")
	}
}

// onEvent watches the actor system's event stream, until Shutdown.
func (n *Node) onEvent(ev any) {
	n.evMu.Lock()
	if n.evClosed {
		n.evMu.Unlock()
		return
	}
	n.evN++
	n.evMu.Unlock()
	defer func() {
		n.evMu.Lock()
		n.evN--
		if n.evN == 0 && n.evClosed {
			n.evDone.Broadcast()
		}
		n.evMu.Unlock()
	}()
	n.handleEvent(ev)
}

func (n *Node) handleEvent(ev any) {
	switch e := ev.(type) {
	case *actor.DeadLetterEvent:
		var mid, trace id
		m, sender := e.Message, e.Sender
		switch lm := m.(type) {
		case *outBatch: // its writer could not connect: the queue's messages are dead letters
			lm.q.fail(lm)
			return
		case *localMsg:
			m, mid, trace = lm.msg, lm.mid, lm.trace
			if lm.sender != nil {
				sender = lm.sender
			}
		}
		msg, ok := m.(proto.Message)
		if !ok || isInternal(msg) || (e.PID != nil && e.PID.Id == flushID) {
			return
		}
		if mid.zero() { // from a peer node, for a process that is not here
			mid, trace = takeIDs(msg)
		}
		n.stats.deadLetters.Add(1)
		if tr := n.getTracer(); tr != nil {
			tr.Trace(&Event{
				Kind:    DeadLetter,
				Time:    n.clock.Now(),
				From:    fromActorPID(sender),
				To:      fromActorPID(e.PID),
				Type:    msg.ProtoReflect().Descriptor().FullName(),
				Size:    proto.Size(msg),
				MsgID:   mid.String(),
				TraceID: trace.String(),
				Msg:     msg,
			})
		}
	case *remote.EndpointTerminatedEvent:
		n.log.WithField("address", e.Address).Debug("actors: connection to peer node ended")
		n.failAddress(e.Address)
	case *remote.EndpointConnectedEvent:
		n.log.WithField("address", e.Address).Debug("actors: connected to peer node")
	}
}
