package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
)

// Epoch is the virtual time a simulation starts at.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Options configure a simulation.
type Options struct {
	Seed    uint64
	Latency time.Duration // one-way delay of every message before faults
	// NoClone delivers the sent message itself instead of a copy. Safe only
	// when no core keeps or changes a message it sent or received.
	NoClone bool
	// History is how many recent deliveries a failure report shows (default 50).
	History int
	// Workers picks the engine. 0: one event at a time, in (time,
	// sequence) order. N >= 1: the windowed engine (window.go), which
	// handles the events of a Latency-wide window host by host on N
	// goroutines; its run is the same for every N, and differs from the
	// serial engine's.
	Workers int
}

// Node is one process in the simulation.
type Node struct {
	Name string
	PID  actors.PID
	Core effect.Core
	// Custom applies the effects of the core's own kinds; nil rejects them.
	Custom func(n *Node, e effect.Effect)

	sim  *Sim
	up   bool
	gone bool   // removed
	inc  uint32 // incarnation: bumped by a crash
	// gen is the last timer generation handed out: 32 bits, next to
	// agentNo, keep Node in its 208 B size class (a node arms far fewer
	// than 2^32 timers).
	gen uint32
	// agentNo is a Cluster's: 1 + the index of the agent whose machine
	// the node runs on (the agent, or one of its executors); 0 elsewhere.
	agentNo int32
	host    *host // the nodes at its address
	// The pending timers: key -> generation, in few while they are few
	// (most nodes have a couple), else in armed. Only one of them holds
	// any.
	armed map[string]uint64
	few   []armedTimer
	links []actors.PID // peers this node watches, in link order
	// isLinked is the same peers, for lookups, once they are many (most
	// nodes watch a few).
	isLinked map[actors.PID]bool
	// lastTo is when the latest delayed in-order message to each peer
	// lands: later ones land no earlier (a connection keeps order).
	lastTo map[*Node]int64
	// peer and peer2 are the nodes n last sent to or linked, the latest
	// first: most nodes talk to one peer (an executor to its agent, a
	// framework to the master) or two (an agent to its master and an
	// executor), and a look here is cheaper than one in Sim.byPID.
	peer, peer2 *Node
	index       int32 // position in sim.nodes
	// incAt is Sim.incs when inc last changed outside a window (MaxUint32
	// once removed): a message queued at a merge is for the incarnation
	// its target had then.
	incAt  uint32
	ranWin uint64
}

// newInc starts n's next incarnation, outside a window.
func (n *Node) newInc() {
	n.inc++
	n.sim.incs++
	n.incAt = n.sim.incs
}

// Up reports whether the node is running.
func (n *Node) Up() bool { return n.up }

// Now is the virtual time.
func (n *Node) Now() time.Time {
	if l := n.lane(); l != nil {
		return l.time()
	}
	return n.sim.now
}

// Post runs fn on the node after d, as an event of its own (a container
// operation finishing); the effects fn returns are applied for the node.
// Work posted before a crash is lost with it.
func (n *Node) Post(d time.Duration, fn func(now time.Time) []effect.Effect) {
	if n.sim.par {
		n.sim.pushIn(n.lane(), event{at: n.lane().now + int64(d), kind: evCall, to: n, inc: n.inc, fn: fn})
		return
	}
	n.sim.push(event{at: n.sim.at(d), kind: evCall, to: n, inc: n.inc, fn: fn})
}

// Rand is the random source for custom effect hooks: the simulation's
// one source, or under the windowed engine the node's host's own.
func (n *Node) Rand() *rand.Rand {
	if n.host.rng != nil {
		return n.host.rng
	}
	return n.sim.rng
}

type armedTimer struct {
	key string
	gen uint64
}

// manyTimers is the most pending timers a node looks through without a map.
const manyTimers = 8

// arm makes gen the pending generation of timer key.
func (n *Node) arm(key string, gen uint64) {
	if len(n.armed) > 0 {
		n.armed[key] = gen
		return
	}
	for i := range n.few {
		if n.few[i].key == key {
			n.few[i].gen = gen
			return
		}
	}
	if len(n.few) < manyTimers {
		if n.few == nil {
			n.few = make([]armedTimer, 0, 4) // not 1, 2, 4: one allocation
		}
		n.few = append(n.few, armedTimer{key, gen})
		return
	}
	if n.armed == nil {
		n.armed = make(map[string]uint64, 2*manyTimers)
	}
	for _, t := range n.few {
		n.armed[t.key] = t.gen
	}
	n.armed[key] = gen
	n.few = nil
}

// fire disarms timer key if gen is its pending generation, and reports
// whether it was.
func (n *Node) fire(key string, gen uint64) bool {
	if len(n.armed) > 0 {
		if g, ok := n.armed[key]; !ok || g != gen {
			return false
		}
		delete(n.armed, key)
		return true
	}
	for i := range n.few {
		if n.few[i].key == key {
			if n.few[i].gen != gen {
				return false
			}
			last := len(n.few) - 1
			n.few[i] = n.few[last]
			n.few[last] = armedTimer{}
			n.few = n.few[:last]
			return true
		}
	}
	return false
}

// disarm drops the pending timer key.
func (n *Node) disarm(key string) {
	if len(n.armed) > 0 {
		delete(n.armed, key)
		return
	}
	for i := range n.few {
		if n.few[i].key == key {
			last := len(n.few) - 1
			n.few[i] = n.few[last]
			n.few[last] = armedTimer{}
			n.few = n.few[:last]
			return
		}
	}
}

// manyLinks is the most links a node looks through without a map: an
// agent watches its master and each of its executors (17 for 16 tasks).
const manyLinks = 32

func (n *Node) linked(p actors.PID) bool {
	if n.isLinked != nil {
		return n.isLinked[p]
	}
	for _, l := range n.links {
		if l == p {
			return true
		}
	}
	return false
}

func (n *Node) addLink(p actors.PID) {
	n.links = append(n.links, p)
	if n.isLinked == nil && len(n.links) > manyLinks {
		n.isLinked = make(map[actors.PID]bool, len(n.links))
		for _, l := range n.links {
			n.isLinked[l] = true
		}
	} else if n.isLinked != nil {
		n.isLinked[p] = true
	}
}

func (n *Node) unlink(p actors.PID) {
	if !n.linked(p) {
		return
	}
	delete(n.isLinked, p)
	for i, l := range n.links {
		if l == p {
			n.links = append(n.links[:i], n.links[i+1:]...)
			return
		}
	}
}

type evKind uint8

const (
	evDeliver evKind = iota
	evTimer
	evExited
	evCall
	evHook
)

// event is one queued event; a simulation holds one or more for each
// running task, so it is kept to 112 bytes.
type event struct {
	at   int64 // virtual nanoseconds since Epoch
	seq  uint64
	kind evKind
	inc  uint32 // the target's incarnation when the event was made
	to   *Node
	from actors.PID
	msg  proto.Message
	key  string
	// gen is a timer's generation; for a message queued at a merge, 1 +
	// Sim.incs then, which stands for the target's incarnation.
	gen uint64
	fn  func(now time.Time) []effect.Effect // a call's, or a hook's (its result ignored)
}

// queue is a 4-ary min-heap of events by (at, seq). Its entries carry the
// keys and the target's host, so ordering them and sorting them into
// lanes read no event and no node.
type queue []qent

type qent struct {
	at int64
	// key is seq<<hostBits | host.no (0 for a hook): seqs differ, so it
	// orders as seq does.
	key uint64
	e   *event
}

// hostBits is the bits of a queue entry's key that number its host.
const hostBits = 24

func (a qent) before(b qent) bool { return a.at < b.at || (a.at == b.at && a.key < b.key) }

// host is the entry's host number (host.no), 0 for a hook.
func (a qent) host() uint32 { return uint32(a.key & (1<<hostBits - 1)) }

// entry is e's queue entry, its target on host h (nil for a hook).
func entry(e *event, h *host) qent {
	x := qent{at: e.at, key: e.seq << hostBits, e: e}
	if h != nil {
		x.key |= uint64(h.no)
	}
	return x
}

// push queues e, whose target is on host h.
func (q *queue) push(e *event, h *host) { q.pushEnt(entry(e, h)) }

func (q *queue) pushEnt(x qent) {
	h := append(*q, x)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !x.before(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
	*q = h
}

func (q *queue) pop() *event { return q.popEnt().e }

func (q *queue) popEnt() qent {
	top := (*q)[0]
	q.drop()
	return top
}

// drop takes the least entry off.
func (q *queue) drop() {
	h := *q
	n := len(h) - 1
	x := h[n]
	h[n] = qent{}
	h = h[:n]
	if n > 0 {
		i := 0
		for {
			c := 4*i + 1
			if c >= n {
				break
			}
			m := c
			for j := c + 1; j < c+4 && j < n; j++ {
				if h[j].before(h[m]) {
					m = j
				}
			}
			if !h[m].before(x) {
				break
			}
			h[i] = h[m]
			i = m
		}
		h[i] = x
	}
	*q = h
}

// down moves the entry at i down to its place below i (drop does the
// same for the last entry put at 0, inline).
func (q queue) down(i int) {
	n := len(q)
	x := q[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < c+4 && j < n; j++ {
			if q[j].before(q[m]) {
				m = j
			}
		}
		if !q[m].before(x) {
			break
		}
		q[i] = q[m]
		i = m
	}
	q[i] = x
}

// order makes a heap of entries in any order.
func (q queue) order() {
	for i := (len(q) - 2) / 4; i >= 0; i-- {
		q.down(i)
	}
}

// Delivery is one message that reached a node (or was lost on the way).
type Delivery struct {
	At      time.Time
	From    actors.PID
	To      actors.PID
	Msg     proto.Message
	Dropped string // why the message was lost; "" when delivered

	to *Node // To's node; nil when there is none
}

// Tracer sees every message the network handles, in order.
type Tracer func(s *Sim, d Delivery)

// Violation is the error a failed check stops the run with.
type Violation struct {
	Seed   uint64
	At     time.Duration // virtual time since Epoch
	Err    error
	Recent []string // the last deliveries before it, oldest first
}

func (v *Violation) Error() string {
	var sb strings.Builder
	var p *Panic
	if errors.As(v.Err, &p) {
		fmt.Fprintf(&sb, "sim: seed=%d at %v: %v\n", v.Seed, v.At, v.Err)
	} else {
		fmt.Fprintf(&sb, "sim: seed=%d at %v: invariant violated: %v\n", v.Seed, v.At, v.Err)
	}
	sb.WriteString("last messages:\n")
	for _, r := range v.Recent {
		sb.WriteString("  ")
		sb.WriteString(r)
		sb.WriteByte('\n')
	}
	if p != nil {
		sb.WriteString("stack of the panic, from the panic to the handler:\n")
		sb.WriteString(p.frames())
	}
	return sb.String()
}

func (v *Violation) Unwrap() error { return v.Err }

// Panic is a panic inside a node's core or a hook, which ends the run as
// a violation.
type Panic struct {
	Node  string // "" for a hook
	Value any
	Stack []byte // the panicking goroutine's stack
}

// Error names the node and the value, not the stack: under the windowed
// engine the least error text of a window is kept, and it must not
// depend on goroutines.
func (p *Panic) Error() string {
	if p.Node == "" {
		return fmt.Sprintf("panic in a hook: %v", p.Value)
	}
	return fmt.Sprintf("panic in %s: %v", p.Node, p.Value)
}

// frames is the part of the stack between the panic and Sim.handle, with
// argument values and code offsets left out: it is the same whichever
// goroutine the panic ran on.
func (p *Panic) frames() string {
	lines := strings.Split(strings.TrimRight(string(p.Stack), "\n"), "\n")
	from, to := 0, len(lines)
	for i, ln := range lines {
		if strings.HasPrefix(ln, "panic(") {
			from = i + 2 // past the panic's own file line
		}
		if strings.Contains(ln, "/sim.(*Sim).handle(") {
			to = i
			break
		}
	}
	if from > to {
		from = 0
	}
	var sb strings.Builder
	for _, ln := range lines[from:to] {
		if strings.HasPrefix(ln, "\t") {
			if k := strings.LastIndex(ln, " +0x"); k > 0 {
				ln = ln[:k]
			}
		} else if k := strings.LastIndexByte(ln, '('); k > 0 && strings.HasSuffix(ln, ")") {
			ln = ln[:k] + "(...)"
		}
		sb.WriteString(ln)
		sb.WriteByte('\n')
	}
	return sb.String()
}

// engineFault is the windowed engine's own panic: a node touched from a
// lane that is not its host's. It fails the run as the simulator's error.
type engineFault string

// Sim is one simulation. It is not safe for concurrent use.
type Sim struct {
	opts   Options
	now    time.Time
	seq    uint64
	q      queue     // the serial engine's
	cal    *calendar // the windowed engine's
	took   []qent    // a window's entries, being dealt to lanes
	laneQ  []qent    // the lanes' queues, a stretch each
	free   []*event  // handled events, for reuse
	rng    *rand.Rand
	nodes  []*Node
	byPID  map[actors.PID]*Node
	byName map[string]*Node
	hosts  map[string]*host
	// hostList is the hosts in the order made (host.no).
	hostList []*host
	Net      *Network

	// Check runs after every step; an error stops the run as a Violation.
	Check func(s *Sim) error
	// Trace, when set, sees every message handled.
	Trace Tracer

	last   *Node // the node the last step ran on (nil for hooks)
	ring   []Delivery
	ringAt int
	err    error
	steps  uint64
	sent   uint64
	// incs counts the incarnations started outside windows (Node.incAt).
	incs uint32
	// prevSteps is Steps before the last step or window.
	prevSteps uint64

	// The windowed engine's state (window.go).
	clock   *host // the first node's host: it keeps now current in a window
	win     uint64
	par     bool // a window's hosts are being handled
	lanes   []*lane
	shared  uint64 // windows handed to more than one goroutine
	parFrom int    // fewest events of a shared window
	parMu   sync.Mutex
	parErr  error // the least failure reported during the window
	helpers []*helper
	bufs    []logBuf // one for each goroutine that runs lanes
}

// New returns an empty simulation at Epoch.
func New(opts Options) *Sim {
	if opts.History <= 0 {
		opts.History = 50
	}
	s := &Sim{
		opts:    opts,
		now:     Epoch,
		rng:     rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		byPID:   map[actors.PID]*Node{},
		byName:  map[string]*Node{},
		hosts:   map[string]*host{},
		parFrom: minParallel,
	}
	if opts.Workers > 0 {
		s.cal = newCalendar(opts.Latency)
	}
	s.Net = newNetwork(s)
	return s
}

// Reserve sizes the node tables for about nodes nodes and hosts hosts,
// so that they do not grow entry by entry; call it before adding any.
func (s *Sim) Reserve(nodes, hosts int) {
	if len(s.nodes) > 0 || len(s.hosts) > 0 || nodes <= 0 {
		return
	}
	s.nodes = make([]*Node, 0, nodes)
	s.byPID = make(map[actors.PID]*Node, nodes)
	s.byName = make(map[string]*Node, nodes)
	s.hosts = make(map[string]*host, hosts)
	s.hostList = make([]*host, 0, hosts)
}

// Seed is the seed of the run.
func (s *Sim) Seed() uint64 { return s.opts.Seed }

// Rand is the one random source of the run.
func (s *Sim) Rand() *rand.Rand { return s.rng }

// Now is the virtual time.
func (s *Sim) Now() time.Time { return s.now }

// Elapsed is the virtual time since Epoch.
func (s *Sim) Elapsed() time.Duration { return s.now.Sub(Epoch) }

// Steps counts the events handled so far.
func (s *Sim) Steps() uint64 { return s.steps }

// Sent counts the messages sent so far.
func (s *Sim) Sent() uint64 { return s.sent }

// LastNode is the node the last step ran on (nil for a scheduled hook).
func (s *Sim) LastNode() *Node { return s.last }

// Err is the violation that stopped the run, if any.
func (s *Sim) Err() error { return s.err }

// Add registers a running node. Its core gets no event until a message, a
// posted call or Start reaches it.
func (s *Sim) Add(name string, pid actors.PID, core effect.Core, custom func(*Node, effect.Effect)) (*Node, error) {
	if s.par {
		return s.addIn(name, pid, core, custom)
	}
	if _, dup := s.byPID[pid]; dup {
		return nil, fmt.Errorf("sim: a node with pid %s exists", pid)
	}
	if s.byName[name] != nil {
		return nil, fmt.Errorf("sim: a node named %q exists", name)
	}
	n := &Node{Name: name, PID: pid, Core: core, Custom: custom, sim: s, up: true, index: int32(len(s.nodes)), host: s.hostOf(pid.Address)}
	s.nodes = append(s.nodes, n)
	s.byPID[pid] = n
	s.byName[name] = n
	n.host.added(n)
	return n, nil
}

// Node returns the node of pid, or nil.
func (s *Sim) Node(pid actors.PID) *Node { return s.byPID[pid] }

// Named returns the node called name, or nil.
func (s *Sim) Named(name string) *Node { return s.byName[name] }

// Nodes lists the nodes in the order they were added.
func (s *Sim) Nodes() []*Node { return s.nodes }

// Name is the name of pid's node, or the PID's text when it is not a node.
func (s *Sim) Name(pid actors.PID) string {
	if n := s.byPID[pid]; n != nil {
		return n.Name
	}
	return pid.String()
}

// Start runs fn on n now, as Post does with no delay: the way to give a core
// its first event (a detected master, a driver's start).
func (s *Sim) Start(n *Node, fn func(now time.Time) []effect.Effect) { n.Post(0, fn) }

// Crash stops n: its pending timers, posted work and in-flight messages to it
// are lost, and every node linked to it gets Exited.
func (s *Sim) Crash(n *Node) {
	if s.par {
		s.fail(fmt.Errorf("sim: %s crashed inside a window: the windowed engine cannot order that", n.Name))
		return
	}
	if !n.up {
		return
	}
	n.up = false
	n.newInc()
	n.armed, n.few = nil, nil
	n.links, n.isLinked = nil, nil
	for _, w := range s.nodes {
		s.tellExited(w, n.PID)
	}
}

// tellExited tells w, if it is up and watches gone, that gone exited: the
// link goes, and w gets Exited now.
func (s *Sim) tellExited(w *Node, gone actors.PID) {
	if w.up && w.linked(gone) {
		w.unlink(gone)
		s.push(event{at: s.at(0), kind: evExited, to: w, inc: w.inc, from: gone})
	}
}

// Remove takes n out of the simulation for good (an executor that
// exited): its pending events are lost, and any node linked to it gets
// Exited. The last node takes n's place in Nodes. Unlike Crash it looks
// only at the nodes n itself links to, so it suits a node that only its
// own peers link to (an executor and its agent).
func (s *Sim) Remove(n *Node) {
	if s.par {
		s.removeIn(n)
		return
	}
	if n.gone {
		return // removed before: it has left byPID
	}
	n.gone = true
	if n.up {
		n.up = false
		n.newInc()
		for _, p := range n.links {
			if w := s.peerOf(n, p); w != nil {
				delete(w.lastTo, n) // its peers send to it no more
				s.tellExited(w, n.PID)
			}
		}
		n.armed, n.few, n.links, n.isLinked = nil, nil, nil, nil
	}
	delete(s.byPID, n.PID)
	delete(s.byName, n.Name)
	last := s.nodes[len(s.nodes)-1]
	s.nodes[n.index] = last
	last.index = n.index
	s.nodes[len(s.nodes)-1] = nil
	s.nodes = s.nodes[:len(s.nodes)-1]
}

// Restart brings n back with a fresh core (what the process recovered from
// disk, or a new one); it starts with no timers and no links.
func (s *Sim) Restart(n *Node, core effect.Core) {
	if s.par {
		s.fail(fmt.Errorf("sim: %s restarted inside a window: the windowed engine cannot order that", n.Name))
		return
	}
	if n.up {
		s.Crash(n)
	}
	n.Core = core
	n.up = true
}

// At runs fn at virtual time t (at once if t has passed), outside any node:
// faults and scenario steps are scheduled this way.
func (s *Sim) At(t time.Time, fn func()) {
	if s.par {
		s.fail(errors.New("sim: a hook scheduled inside a window: the windowed engine cannot order that"))
		return
	}
	if t.Before(s.now) {
		t = s.now
	}
	s.push(event{at: int64(t.Sub(Epoch)), kind: evHook, fn: func(time.Time) []effect.Effect { fn(); return nil }})
}

// Deliver hands msg to n from from now, as if it came over the network with
// no faults: the way a test injects a message.
func (s *Sim) Deliver(from actors.PID, n *Node, msg proto.Message) {
	s.push(event{at: s.at(0), kind: evDeliver, to: n, inc: n.inc, from: from, msg: msg})
}

// at is the queue time d from now.
func (s *Sim) at(d time.Duration) int64 { return int64(s.now.Sub(Epoch) + d) }

// push queues a copy of ev in an event taken from the free list: a
// simulation queues millions of events and each is done with once handled.
func (s *Sim) push(ev event) {
	e := takeEvent(&s.free)
	*e = ev
	s.seq++
	e.seq = s.seq
	var h *host
	if e.to != nil {
		h = e.to.host
	}
	s.queue(e, h)
}

// queue queues e, whose target is on host h (nil for a hook), with its
// seq set.
func (s *Sim) queue(e *event, h *host) {
	x := entry(e, h)
	if s.cal != nil {
		s.cal.push(x)
		return
	}
	s.q.pushEnt(x)
}

// first is the least queued entry; ok is false when none is queued.
func (s *Sim) first() (x qent, ok bool) {
	if s.cal != nil {
		return s.cal.first()
	}
	if len(s.q) == 0 {
		return qent{}, false
	}
	return s.q[0], true
}

// takeEvent pops an event from a free list, or makes one.
func takeEvent(free *[]*event) *event {
	f := *free
	n := len(f)
	if n == 0 {
		return new(event)
	}
	e := f[n-1]
	f[n-1] = nil
	*free = f[:n-1]
	return e
}

// Pending reports whether events are queued.
func (s *Sim) Pending() bool {
	_, ok := s.first()
	return ok
}

// Next is the time of the next event; ok is false when none is queued.
func (s *Sim) Next() (t time.Time, ok bool) {
	x, ok := s.first()
	if !ok {
		return time.Time{}, false
	}
	return Epoch.Add(time.Duration(x.at)), true
}

// Step handles the next event and runs the check. It reports false when the
// queue is empty or the run has stopped on a violation.
func (s *Sim) Step() bool { return s.step(math.MaxInt64) }

// step is Step with nothing handled after limit.
func (s *Sim) step(limit int64) bool {
	if s.err != nil {
		return false
	}
	if s.cal == nil { // inline, for the serial engine
		if len(s.q) == 0 {
			return false
		}
		return s.stepFrom(s.q[0], limit)
	}
	x, ok := s.cal.first()
	if !ok {
		return false
	}
	return s.stepFrom(x, limit)
}

// stepFrom is step with x the least queued entry.
func (s *Sim) stepFrom(x qent, limit int64) bool {
	var e *event
	if s.cal != nil {
		if x.host() != 0 { // not a hook
			return s.window(x, limit)
		}
		s.win++ // a hook: no node ran
		e = s.cal.hooks.pop()
	} else {
		e = s.q.pop()
	}
	if at := Epoch.Add(time.Duration(e.at)); at.After(s.now) {
		s.now = at
	}
	s.prevSteps = s.steps
	s.steps++
	s.last = e.to
	s.handle(nil, e)
	*e = event{}
	s.free = append(s.free, e)
	if s.err == nil && s.Check != nil {
		if err := s.Check(s); err != nil {
			s.fail(err)
		}
	}
	return s.err == nil
}

// Fail stops the run with err as a Violation (a check outside Check).
func (s *Sim) Fail(err error) { s.fail(err) }

// Fail is Sim.Fail for a failure in n's own event: under the windowed
// engine it also stops n's lane, as a panic does (the serial engine
// handles nothing after a failed step either).
func (n *Node) Fail(err error) {
	if l := n.lane(); l != nil {
		l.failed = true
	}
	n.sim.fail(err)
}

func (s *Sim) fail(err error) {
	if s.par {
		// Which node fails first depends on the workers: keep the least.
		s.parMu.Lock()
		if s.parErr == nil || err.Error() < s.parErr.Error() {
			s.parErr = err
		}
		s.parMu.Unlock()
		return
	}
	var v *Violation
	if errors.As(err, &v) {
		s.err = v
		return
	}
	s.err = &Violation{Seed: s.opts.Seed, At: s.Elapsed(), Err: err, Recent: s.Recent()}
}

// RunFor handles every event up to now+d and leaves the clock at now+d
// (unless a violation stops it first).
func (s *Sim) RunFor(d time.Duration) error {
	return s.RunUntil(s.now.Add(d))
}

// RunUntil handles every event up to t and leaves the clock at t.
func (s *Sim) RunUntil(t time.Time) error {
	limit := int64(t.Sub(Epoch))
	for s.err == nil {
		var x qent
		if s.cal == nil { // inline, for the serial engine
			if len(s.q) == 0 {
				break
			}
			x = s.q[0]
		} else if y, ok := s.cal.first(); ok {
			x = y
		} else {
			break
		}
		if x.at > limit {
			break
		}
		s.stepFrom(x, limit)
	}
	if s.err == nil && t.After(s.now) {
		s.now = t
	}
	return s.err
}

// Settle handles the events due now (messages in flight with no latency and
// whatever they cause), without moving the clock.
func (s *Sim) Settle() error { return s.RunUntil(s.now) }

// RunWhile steps while cond holds and events remain, up to maxSteps (0: no
// limit).
func (s *Sim) RunWhile(cond func() bool, maxSteps uint64) error {
	start := s.steps
	for s.err == nil && cond() && (maxSteps == 0 || s.steps-start < maxSteps) {
		if !s.Step() {
			break
		}
	}
	return s.err
}

// handle handles e, in lane l under the windowed engine (nil: serially).
// A panic stops the run as a violation.
func (s *Sim) handle(l *lane, e *event) {
	defer func() {
		if r := recover(); r != nil {
			if l != nil {
				l.failed = true // the lane stops: its host's state is suspect
			}
			if f, ok := r.(engineFault); ok {
				s.fail(errors.New(string(f)))
				return
			}
			p := &Panic{Value: r, Stack: debug.Stack()}
			if e.to != nil {
				p.Node = e.to.Name
			}
			s.fail(p)
		}
	}()
	var now time.Time
	if l != nil {
		now = l.time()
	} else {
		now = s.now
	}
	switch e.kind {
	case evHook:
		e.fn(now)
		return
	case evDeliver:
		n := e.to
		if !n.up || n.inc != e.inc && e.gen == 0 || e.gen > 0 && n.incAt >= uint32(e.gen) {
			s.record(l, Delivery{At: now, From: e.from, To: n.PID, to: n, Msg: e.msg, Dropped: "target down"})
			return
		}
		if why := s.Net.cutAtDelivery(e.from, n.PID); why != "" {
			s.record(l, Delivery{At: now, From: e.from, To: n.PID, to: n, Msg: e.msg, Dropped: why})
			return
		}
		s.record(l, Delivery{At: now, From: e.from, To: n.PID, to: n, Msg: e.msg})
		s.apply(l, n, n.Core.Receive(now, e.from, e.msg))
	case evTimer:
		n := e.to
		if !n.up || n.inc != e.inc || !n.fire(e.key, e.gen) {
			return
		}
		s.apply(l, n, n.Core.Timer(now, e.key))
	case evExited:
		n := e.to
		if !n.up || n.inc != e.inc {
			return
		}
		s.apply(l, n, n.Core.Exited(now, e.from))
	case evCall:
		n := e.to
		if !n.up || n.inc != e.inc {
			return
		}
		s.apply(l, n, e.fn(now))
	}
}

// apply carries out a node's effects in order.
func (s *Sim) apply(l *lane, n *Node, effs []effect.Effect) {
	for _, ef := range effs {
		if !n.up {
			return // a custom effect crashed the node
		}
		switch ef := ef.(type) {
		case effect.Send:
			s.send(l, n, ef.To, ef.Msg)
		case effect.Link:
			s.link(l, n, ef.PID)
		case effect.Unlink:
			n.unlink(ef.PID)
		case effect.StartTimer:
			n.gen++
			n.arm(ef.Key, uint64(n.gen))
			ev := event{kind: evTimer, to: n, inc: n.inc, key: ef.Key, gen: uint64(n.gen)}
			if l != nil {
				ev.at = l.now + int64(ef.After)
				s.pushIn(l, ev)
			} else {
				ev.at = s.at(ef.After)
				s.push(ev)
			}
		case effect.CancelTimer:
			n.disarm(ef.Key)
		default:
			if n.Custom == nil {
				n.Fail(fmt.Errorf("%s returned an effect the simulator cannot apply: %T", n.Name, ef))
				return
			}
			n.Custom(n, ef)
		}
	}
}

// link watches peer for n; a peer that is down or cut off is reported
// exited at once, as libprocess does when the connection cannot be made.
func (s *Sim) link(l *lane, n *Node, peer actors.PID) {
	if n.linked(peer) {
		return
	}
	p := s.peerOf(n, peer)
	if p == nil || !p.up || s.Net.cut(n.PID, peer) {
		if l != nil {
			s.pushIn(l, event{at: l.now, kind: evExited, to: n, inc: n.inc, from: peer})
			return
		}
		s.push(event{at: s.at(0), kind: evExited, to: n, inc: n.inc, from: peer})
		return
	}
	n.addLink(peer)
}

// peerOf is the node of pid, or nil, for n to send to or link: one of
// n's last two peers if it is that one, else its host's first node if it
// is that one, else Sim.byPID's; it becomes n's latest peer. A node
// leaves byPID only once removed (gone), so a peer that is not gone is
// byPID's node of its PID. (In a window, gone is set in the removed
// node's lane; nodes send to a removed one, an executor, from its host.)
func (s *Sim) peerOf(n *Node, pid actors.PID) *Node {
	if p := n.peer; p != nil && p.PID == pid && !p.gone {
		return p
	}
	if p := n.peer2; p != nil && p.PID == pid && !p.gone {
		n.peer, n.peer2 = p, n.peer
		return p
	}
	return s.newPeer(n, pid)
}

// newPeer is peerOf for a pid not among n's last two peers. (Not inlined:
// peerOf is.)
//
//go:noinline
func (s *Sim) newPeer(n *Node, pid actors.PID) *Node {
	var p *Node
	if pid.Address != n.PID.Address {
		// Most peers elsewhere are their host's first node (an agent,
		// a framework, the master), and Sim.hosts is a smaller map.
		if h := s.hosts[pid.Address]; h != nil {
			if f := h.first; f != nil && f.PID.ID == pid.ID && !f.gone {
				p = f
			}
		}
	}
	if p == nil {
		p = s.byPID[pid]
	}
	if p != nil {
		n.peer, n.peer2 = p, n.peer
	}
	return p
}

// linkBroken tells a and b that the connection between them went away.
func (s *Sim) linkBroken(a, b *Node) {
	s.tellExited(a, b.PID)
	s.tellExited(b, a.PID)
}

func (s *Sim) send(l *lane, n *Node, to actors.PID, msg proto.Message) {
	if l != nil {
		l.sent++
	} else {
		s.sent++
	}
	if !s.opts.NoClone {
		msg = proto.Clone(msg)
	}
	target := s.peerOf(n, to)
	if target == nil {
		var now time.Time
		if l != nil {
			now = l.time()
		} else {
			now = s.now
		}
		s.record(l, Delivery{At: now, From: n.PID, To: to, Msg: msg, Dropped: "no such node"})
		return
	}
	s.Net.route(l, n, target, msg)
}

// record notes d for the trace and the failure report; a lane's records
// are noted when its window is merged.
func (s *Sim) record(l *lane, d Delivery) {
	if l != nil {
		l.log = append(l.log, op{kind: opRecord, i: int32(len(l.recs))})
		l.recs = append(l.recs, d)
		return
	}
	if s.Trace != nil {
		s.Trace(s, d)
	}
	if len(s.ring) < s.opts.History {
		s.ring = append(s.ring, d)
		return
	}
	s.ring[s.ringAt] = d
	s.ringAt = (s.ringAt + 1) % len(s.ring)
}

// Recent renders the last deliveries, oldest first, for a failure report.
func (s *Sim) Recent() []string {
	out := make([]string, 0, len(s.ring))
	for i := range s.ring {
		d := s.ring[(s.ringAt+i)%len(s.ring)]
		out = append(out, fmt.Sprintf("%v %s", d.At.Sub(Epoch), s.Line(d)))
	}
	return out
}

// Line renders one delivery in the transcript format:
// "from -> to: Type {key fields}", with the reason when it was lost.
func (s *Sim) Line(d Delivery) string {
	line := s.Name(d.From) + " -> " + s.Name(d.To) + ": " + Summary(d.Msg)
	if d.Dropped != "" {
		line += " (dropped: " + d.Dropped + ")"
	}
	return line
}
