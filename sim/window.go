package sim

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
)

// The windowed engine (Options.Workers >= 1).
//
// A message takes at least Options.Latency, so what one host does in
// [t, t+Latency) reaches another host no sooner than t+Latency: the events
// of such a window can be handled host by host, each host's in (time,
// sequence) order, on any number of goroutines. A host is the nodes at one
// address (an agent and its executors), which share state outside the
// cores. What a host does to the rest of the simulation (messages, nodes
// added and removed, trace records, checks of what frameworks see) is
// logged in its lane and carried out when the window is merged: lane by
// lane, in the order the hosts' first events came off the queue, each
// lane's log in order. Sequence numbers are handed out at the merge, so
// the queue, and so the run, is the same for any number of workers.
//
// Under this engine each host draws from its own random source, seeded
// from the seed and its address; hooks (At) run alone, between windows;
// the check (Sim.Check) runs once a window. A window stops before a hook.
// Inside a window a node may not crash, restart or schedule a hook, and
// the network may have no type filters: the engine fails the run instead.
// Only the first node's host (the master in a cluster) may read Sim.Now
// in a window: the engine keeps it current for that host alone. The
// tracer and deferred calls (Sim.deferTo) run at the merge beside the
// queueing of the window's events, so they may not queue events.

// host is the nodes at one address.
type host struct {
	addr  string
	no    uint32     // 1 + its index in Sim.hostList
	first *Node      // the first node added that is not gone, when it was added
	rng   *rand.Rand // the windowed engine's source for the host
	lane  *lane      // its lane in window win
	win   uint64
}

// hostOf returns the host of addr, made on first use.
func (s *Sim) hostOf(addr string) *host {
	if h := s.hosts[addr]; h != nil {
		return h
	}
	if len(s.hostList)+1 >= 1<<hostBits {
		panic("sim: more hosts than a queue entry can number")
	}
	h := &host{addr: addr, no: uint32(len(s.hostList) + 1)}
	s.hostList = append(s.hostList, h)
	if s.opts.Workers > 0 {
		f := fnv.New64a()
		f.Write([]byte(addr))
		h.rng = rand.New(rand.NewPCG(s.opts.Seed, f.Sum64()))
	}
	s.hosts[addr] = h
	if s.clock == nil {
		s.clock = h
	}
	return h
}

// added notes node n, just registered: the host's first unless it has
// one that is not gone.
func (h *host) added(n *Node) {
	if h.first == nil || h.first.gone {
		h.first = n
	}
}

// lane is one host's share of a window.
type lane struct {
	s *Sim
	h *host
	q queue // the host's events due in the window
	// least is the host's first entry in the window: lanes are merged
	// in that order.
	least qent
	n     int       // entries dealt to it
	now   int64     // virtual nanoseconds since Epoch
	t     time.Time // now as a time
	end   int64     // the window is [start, end)
	seq   uint64
	log   []op
	recs  []Delivery // the records of opRecord
	free  []*event

	steps, sent uint64
	failed      bool // a panic stopped the lane in this window
	// running is set while the lane runs: its log and records are a
	// stretch of its goroutine's buffer only then.
	running bool
}

type opKind uint8

const (
	opPush    opKind = iota // queue ev
	opDeliver               // queue ev, a message, for the target's incarnation then
	opRecord                // record recs[i]
	opAdd                   // register n
	opRemove                // unregister n
	opCall                  // run fn
	opGone                  // tell peer that n was removed
)

// op is one thing a lane does to the rest of the simulation. Its event
// is taken from the lane's free list, so the merge queues it as it is.
type op struct {
	kind opKind
	i    int32
	e    *event
	h    *host // e's target's host
	n    *Node
	peer *Node
	fn   func()
}

// logBuf is the room for the logs and records of the lanes one goroutine
// runs in a window: each lane's are a stretch of it, so lanes keep no
// room of their own between windows.
type logBuf struct {
	log  []op
	recs []Delivery
}

// The fewest free ops (and records) a lane starts with, and the most a
// logBuf keeps room for between windows (the rare huge window's room is
// let go).
const (
	minLog  = 256
	keepLog = 1 << 18
)

// logBuf returns the i-th logBuf, and makes sure there are i+1.
func (s *Sim) logBuf(i int) *logBuf {
	for len(s.bufs) <= i {
		s.bufs = append(s.bufs, logBuf{})
	}
	return &s.bufs[i]
}

// run runs l with its log and records in b's room.
func (b *logBuf) run(l *lane) {
	l.log = room(&b.log)
	l.recs = room(&b.recs)
	l.running = true
	l.run()
	l.running = false
	b.log = took(b.log, l.log)
	b.recs = took(b.recs, l.recs)
}

// room is the unused end of *buf, at least minLog long: when less is
// left, *buf moves to an array twice as big (the lanes that used the old
// one keep it until the merge).
func room[T any](buf *[]T) []T {
	b := *buf
	if cap(b)-len(b) < minLog {
		b = make([]T, 0, max(2*cap(b), 4*minLog))
		*buf = b
	}
	return b[len(b):len(b):cap(b)]
}

// took is buf after a lane used part, which room gave it: part is
// buf's next stretch unless it outgrew it, and then part's array is the
// buffer from now on.
func took[T any](buf, part []T) []T {
	if len(part) == 0 {
		return buf
	}
	if len(buf) < cap(buf) && &buf[:len(buf)+1][len(buf)] == &part[0] {
		return buf[:len(buf)+len(part)]
	}
	return part
}

// reset empties b after a merge (which cleared what the lanes used).
func (b *logBuf) reset() {
	b.log, b.recs = b.log[:0], b.recs[:0]
	if cap(b.log) > keepLog {
		b.log = nil
	}
	if cap(b.recs) > keepLog {
		b.recs = nil
	}
}

func (l *lane) time() time.Time { return l.t }

// setNow sets the lane's time to now.
func (l *lane) setNow(now int64) {
	l.now, l.t = now, Epoch.Add(time.Duration(now))
}

// lane is n's lane in the running window, or nil outside one.
func (n *Node) lane() *lane {
	s := n.sim
	if !s.par {
		return nil
	}
	if n.host.win != s.win || !n.host.lane.running {
		// Only a host's own events run in its lane, and they touch no other.
		panic(engineFault(fmt.Sprintf("sim: windowed engine: %s touched from another host inside a window", n.Name)))
	}
	return n.host.lane
}

// pushIn queues ev from lane l: in the lane if it is the lane's and due
// in the window, else at the merge.
func (s *Sim) pushIn(l *lane, ev event) {
	e := takeEvent(&l.free)
	*e = ev
	if ev.to != nil && ev.to.host == l.h && ev.at < l.end {
		l.seq++
		e.seq = l.seq
		l.q.push(e, l.h)
		return
	}
	o := op{kind: opPush, e: e}
	if ev.to != nil {
		o.h = ev.to.host
	}
	l.log = append(l.log, o)
}

// deliverIn queues a message from lane l: it lands at or after the
// window's end, for whatever incarnation its target has at the merge.
func (s *Sim) deliverIn(l *lane, ev event) {
	e := takeEvent(&l.free)
	*e = ev
	l.log = append(l.log, op{kind: opDeliver, e: e, h: ev.to.host})
}

// addIn adds a node inside a window, on the host whose lane is running
// (a node adds nodes at its own address); it is registered at the merge.
func (s *Sim) addIn(name string, pid actors.PID, core effect.Core, custom func(*Node, effect.Effect)) (*Node, error) {
	h := s.hosts[pid.Address]
	if h == nil || h.win != s.win || !h.lane.running {
		return nil, fmt.Errorf("sim: node %s added inside a window on a host whose lane is not running", name)
	}
	if _, dup := s.byPID[pid]; dup {
		return nil, fmt.Errorf("sim: a node with pid %s exists", pid)
	}
	if s.byName[name] != nil {
		return nil, fmt.Errorf("sim: a node named %q exists", name)
	}
	n := &Node{Name: name, PID: pid, Core: core, Custom: custom, sim: s, up: true, index: -1, host: h}
	h.lane.log = append(h.lane.log, op{kind: opAdd, n: n})
	return n, nil
}

// removeIn removes n inside a window: at once for its host (n's peers
// there hear it exited now), at the merge for the rest.
func (s *Sim) removeIn(n *Node) {
	l := n.lane()
	if n.gone {
		return
	}
	n.gone = true
	if n.up {
		n.up = false
		n.inc++
		n.incAt = math.MaxUint32 // it is gone for good
		for _, p := range n.links {
			w := s.byPID[p]
			if w == nil {
				continue
			}
			if w.host != l.h {
				l.log = append(l.log, op{kind: opGone, n: n, peer: w})
				continue
			}
			delete(w.lastTo, n)
			if w.up && w.linked(n.PID) {
				w.unlink(n.PID)
				s.pushIn(l, event{at: l.now, kind: evExited, to: w, inc: w.inc, from: n.PID})
			}
		}
		n.armed, n.few, n.links, n.isLinked = nil, nil, nil, nil
	}
	l.log = append(l.log, op{kind: opRemove, n: n})
}

// peerGone tells w, at the merge (time at), that n was removed.
func (s *Sim) peerGone(w, n *Node, at int64) {
	delete(w.lastTo, n)
	if w.up && w.linked(n.PID) {
		w.unlink(n.PID)
		s.push(event{at: at, kind: evExited, to: w, inc: w.inc, from: n.PID})
	}
}

// deferTo runs fn when the window is merged, in the order of n's lane, if
// a window is running; it reports whether it did (else run fn now). fn
// runs beside the queueing of the window's events: it may not queue any.
func (s *Sim) deferTo(n *Node, fn func()) bool {
	if !s.par || n == nil {
		return false
	}
	l := n.lane()
	l.log = append(l.log, op{kind: opCall, fn: fn})
	return true
}

// ran reports whether n handled an event in the last step (serial
// engine) or window.
func (s *Sim) ran(n *Node) bool {
	if s.opts.Workers > 0 {
		return n.ranWin == s.win
	}
	return s.last == n
}

// crossed reports whether the last step or window took Steps past a
// multiple of every.
func (s *Sim) crossed(every uint64) bool { return s.steps/every != s.prevSteps/every }

// minParallel is the fewest events a window hands to more than one
// goroutine: fewer are not worth the handover (Sim.parFrom, which tests
// lower).
const minParallel = 64

// splitPer times Sim.parFrom is the fewest ops a merge splits between
// two goroutines (a quarter of that measured slower on a loaded machine).
const splitPer = 16

// spinFor is how long the windowed engine's goroutines wait busily: a
// helper for more work before it exits, the main goroutine for the
// helpers to finish before it blocks. Most of the serial parts between
// shared windows are shorter, and waking a parked thread takes tens of
// microseconds.
const spinFor = 100 * time.Microsecond

// helper is a goroutine that takes a share of the windows' work. Between
// jobs it spins for spinFor, then exits; the next job starts another.
type helper struct {
	state atomic.Int32 // helperGone, helperIdle or helperBusy
	job   atomic.Pointer[crew]
}

const (
	helperGone = iota // no goroutine
	helperIdle        // spinning, waiting for a job
	helperBusy        // given a job
)

// crew is one job shared by helpers.
type crew struct {
	fn   func()
	left atomic.Int32  // helpers not done
	done chan struct{} // closed when left reaches 0
}

// together runs mine on this goroutine and theirs on n helpers, and
// returns when all are done.
func (s *Sim) together(mine, theirs func(), n int) {
	if n <= 0 {
		mine()
		return
	}
	for len(s.helpers) < n {
		s.helpers = append(s.helpers, &helper{})
	}
	c := &crew{fn: theirs, done: make(chan struct{})}
	c.left.Store(int32(n))
	for _, h := range s.helpers[:n] {
		if h.state.CompareAndSwap(helperIdle, helperBusy) {
			h.job.Store(c)
			continue
		}
		h.state.Store(helperBusy)
		go h.loop(c)
	}
	mine()
	start := time.Now()
	for c.left.Load() > 0 {
		if time.Since(start) > spinFor {
			<-c.done
			break
		}
	}
}

// loop runs jobs, starting with c, until none comes for spinFor.
func (h *helper) loop(c *crew) {
	for c != nil {
		c.fn()
		// Idle before done: once the job's crew is done the next job
		// may come, and it must find this goroutine idle.
		h.state.Store(helperIdle)
		if c.left.Add(-1) == 0 {
			close(c.done)
		}
		c = h.await()
	}
}

// await returns the next job, or nil if none came for spinFor (then the
// helper is gone).
func (h *helper) await() *crew {
	start := time.Now()
	for {
		if c := h.job.Swap(nil); c != nil {
			return c
		}
		// If the exit loses to a job being given, the job is on its way.
		if time.Since(start) > spinFor && h.state.CompareAndSwap(helperIdle, helperGone) {
			return nil
		}
	}
}

// window handles the events of one window, no later than limit, and runs
// the check.
func (s *Sim) window(least qent, limit int64) bool {
	if len(s.Net.filters) > 0 {
		s.fail(errors.New("sim: the windowed engine cannot order type filters (their counts are shared)"))
		return false
	}
	if s.opts.Latency <= 0 {
		s.fail(errors.New("sim: the windowed engine needs a network latency above zero (a window is one latency wide)"))
		return false
	}
	now := int64(s.now.Sub(Epoch))
	start := max(least.at, now)
	end := start + int64(s.opts.Latency)
	if limit < math.MaxInt64 && end > limit+1 {
		end = limit + 1
	}
	// The window takes the entries before bound: those before end, or,
	// when a hook comes first, those before the hook (which runs alone,
	// next).
	bound := qent{at: end}
	if hooks := s.cal.hooks; len(hooks) > 0 && hooks[0].before(bound) {
		bound = hooks[0]
		end = bound.at
	}
	s.win++
	lanes := s.lanes[:0]
	took := s.cal.take(bound, s.took[:0])
	for _, x := range took {
		h := s.hostList[x.host()-1]
		if h.win != s.win {
			var l *lane
			if len(lanes) < cap(lanes) {
				l = lanes[:len(lanes)+1][len(lanes)]
			}
			if l == nil {
				l = &lane{s: s}
			}
			lanes = append(lanes, l)
			l.h, l.seq, l.least = h, s.seq, x
			l.n = 0
			l.setNow(now)
			h.win, h.lane = s.win, l
		} else if x.before(h.lane.least) {
			h.lane.least = x
		}
		h.lane.n++
	}
	// Each lane's entries go to a stretch of one array, with room for a
	// few it queues for itself (more move it to an array of its own).
	need := len(took) + laneRoom*len(lanes)
	if cap(s.laneQ) < need {
		s.laneQ = make([]qent, need+need/4)
	}
	off := 0
	for _, l := range lanes {
		l.q = s.laneQ[off : off : off+l.n+laneRoom]
		off += l.n + laneRoom
	}
	for _, x := range took {
		l := s.hostList[x.host()-1].lane
		l.q = append(l.q, x) // ordered in lane.run
	}
	events := len(took)
	clear(took)
	s.took = took[:0]
	// The lanes in the order of their hosts' first events.
	slices.SortFunc(lanes, func(a, b *lane) int {
		if a.least.before(b.least) {
			return -1
		}
		return 1
	})
	s.lanes = lanes
	for _, l := range lanes {
		l.end = end
		l.stock()
	}

	s.par = true
	shared := false
	workers := s.opts.Workers
	if workers == 1 || len(lanes) < 2 || events < s.parFrom {
		b := s.logBuf(0)
		for _, l := range lanes {
			b.run(l)
		}
	} else {
		// The clock's lane (the master's) is the busiest: it goes first,
		// in lane 0's turn, and lane 0 in its.
		first := 0
		for i, l := range lanes {
			if l.h == s.clock {
				first = i
			}
		}
		helpers := min(workers, len(lanes)) - 1
		s.logBuf(helpers)
		var next atomic.Int64
		var slot atomic.Int32
		work := func() {
			b := &s.bufs[slot.Add(1)-1]
			for {
				i := int(next.Add(1)) - 1
				switch {
				case i >= len(lanes):
					return
				case i == 0:
					i = first
				case i == first:
					i = 0
				}
				b.run(lanes[i])
			}
		}
		s.together(work, work, helpers)
		s.shared++
		shared = true
	}
	s.par = false
	ops := 0
	for _, l := range lanes {
		ops += len(l.log)
	}

	s.merge(lanes, shared && ops >= splitPer*s.parFrom)
	if s.err == nil && s.Check != nil {
		if err := s.Check(s); err != nil {
			s.fail(err)
		}
	}
	return s.err == nil
}

// stock hands the lane free events for what it will queue, about one for
// each it will handle: a lane's first events would find its free list
// empty, and the events it frees return to the simulation's at the merge.
func (l *lane) stock() {
	s := l.s
	k := max(len(s.free)-len(l.q)-8, 0)
	l.free = append(l.free, s.free[k:]...)
	clear(s.free[k:])
	s.free = s.free[:k]
}

// run handles the lane's events in (time, sequence) order, until one
// panics: then it drops the rest, as the serial engine would stop.
func (l *lane) run() {
	s := l.s
	clock := l.h == s.clock
	l.failed = false
	l.q.order()
	for len(l.q) > 0 {
		if l.failed {
			for len(l.q) > 0 {
				e := l.q.pop()
				*e = event{}
				l.free = append(l.free, e)
			}
			break
		}
		e := l.q.pop()
		if e.at > l.now {
			l.setNow(e.at)
		}
		if clock {
			s.now = l.time()
		}
		l.steps++
		e.to.ranWin = s.win
		s.handle(l, e)
		*e = event{}
		l.free = append(l.free, e)
	}
}

// merge carries out the lanes' logs and moves the clock to the latest
// event handled. The log is two streams that share no state: what goes
// to the queue (events, and peers told of a removed node), and the rest
// (records for the tracer, nodes added and removed, deferred calls). Each
// is carried out lane by lane in order; with split, the queue's on a
// goroutine of its own.
func (s *Sim) merge(lanes []*lane, split bool) {
	s.prevSteps = s.steps
	s.last = nil
	latest := int64(s.now.Sub(Epoch))
	for _, l := range lanes {
		latest = max(latest, l.now)
		s.steps += l.steps
		s.sent += l.sent
		l.steps, l.sent = 0, 0
	}
	s.now = Epoch.Add(time.Duration(latest))
	if split {
		s.together(func() { s.mergeRest(lanes) }, func() { s.mergeQueue(lanes, latest) }, 1)
	} else {
		s.mergeQueue(lanes, latest)
		s.mergeRest(lanes)
	}
	for _, l := range lanes {
		clear(l.log)
		l.log, l.recs = nil, nil // their room is a logBuf's
		l.q = nil                // a stretch of Sim.laneQ, or its own
		l.h.lane = nil
		l.h = nil
	}
	for i := range s.bufs {
		s.bufs[i].reset()
	}
	if s.parErr != nil {
		err := s.parErr
		s.parErr = nil
		s.fail(err)
	}
}

// mergeQueue queues the lanes' events and takes back their free ones; at
// is the time after the window.
func (s *Sim) mergeQueue(lanes []*lane, at int64) {
	for _, l := range lanes {
		for i := range l.log {
			o := &l.log[i]
			switch o.kind {
			case opDeliver:
				o.e.gen = uint64(s.incs) + 1
				fallthrough
			case opPush:
				s.seq++
				o.e.seq = s.seq
				s.queue(o.e, o.h)
			case opGone:
				s.peerGone(o.peer, o.n, at)
			}
		}
		s.free = append(s.free, l.free...)
		clear(l.free)
		l.free = l.free[:0]
	}
}

// mergeRest notes the lanes' records, adds and removes their nodes and
// runs their deferred calls.
func (s *Sim) mergeRest(lanes []*lane) {
	for _, l := range lanes {
		for i := range l.log {
			o := &l.log[i]
			switch o.kind {
			case opRecord:
				d := &l.recs[o.i]
				now := s.now
				s.now = d.At // what a tracer reads as the time
				s.record(nil, *d)
				s.now = now
				*d = Delivery{}
			case opAdd:
				n := o.n
				if _, dup := s.byPID[n.PID]; dup || s.byName[n.Name] != nil {
					s.fail(fmt.Errorf("sim: node %s added twice inside a window", n.Name))
					continue
				}
				n.index = int32(len(s.nodes))
				s.nodes = append(s.nodes, n)
				s.byPID[n.PID] = n
				s.byName[n.Name] = n
				n.host.added(n)
			case opRemove:
				s.unregister(o.n)
			case opCall:
				o.fn()
			}
		}
	}
}

// unregister takes a removed node out of the lookups and of Nodes.
func (s *Sim) unregister(n *Node) {
	if s.byPID[n.PID] != n || n.index < 0 {
		return
	}
	delete(s.byPID, n.PID)
	delete(s.byName, n.Name)
	last := s.nodes[len(s.nodes)-1]
	s.nodes[n.index] = last
	last.index = n.index
	s.nodes[len(s.nodes)-1] = nil
	s.nodes = s.nodes[:len(s.nodes)-1]
}

// calendar is the windowed engine's queue. A window takes every entry
// of its span at once and its lanes order their own, so the queue need
// not order them: node entries go to buckets one Latency wide in a ring
// (one append), those past the ring's reach to a heap, far, until the
// ring comes near them. Hooks, which end windows, keep a heap of their
// own.
type calendar struct {
	width int64 // a bucket's span, in nanoseconds
	// cur is the number of the first bucket that may hold entries:
	// bucket b is ring[b&ringMask] for b in [cur, cur+ringSize), and
	// bucket cur also holds any entry due before it.
	cur    int64
	ring   [][]qent
	inRing int
	far    queue
	hooks  queue
	// spare is emptied buckets' arrays, for reuse: spare[i] holds those
	// of capacity minBucket<<i.
	spare  [][][]qent
	spared int // the capacity of the spare arrays
	// least is the least node entry, when leastOK.
	least   qent
	leastOK bool
}

// ringSize is the buckets in the ring: 16 s at 1 ms, past a cluster's
// task times and status update retries (its minute-long timers wait in
// far).
const (
	ringSize = 1 << 14
	ringMask = ringSize - 1
)

func newCalendar(width time.Duration) *calendar {
	return &calendar{width: max(int64(width), 1)}
}

func (c *calendar) bucket(at int64) int64 { return at / c.width }

// push queues x.
func (c *calendar) push(x qent) {
	if x.host() == 0 {
		c.hooks.pushEnt(x)
		return
	}
	if c.leastOK && x.before(c.least) {
		c.least = x
	}
	b := max(c.bucket(x.at), c.cur)
	if b >= c.cur+ringSize {
		c.far.pushEnt(x)
		return
	}
	c.add(b, x)
}

func (c *calendar) add(b int64, x qent) {
	if c.ring == nil {
		c.ring = make([][]qent, ringSize)
	}
	k := &c.ring[b&ringMask]
	if len(*k) == cap(*k) {
		old := *k
		*k = c.array(max(2*cap(old), minBucket))
		*k = append(*k, old...)
		c.free(old)
	}
	*k = append(*k, x)
	c.inRing++
}

// minBucket is the capacity of a bucket's first array; a full one moves
// to one twice as big.
const minBucket = 2

// laneRoom is the room a lane's stretch of Sim.laneQ has for the events
// it queues for itself in the window.
const laneRoom = 2

// array returns an empty array of capacity n, a power of two times
// minBucket, a spare one if there is one.
func (c *calendar) array(n int) []qent {
	i := bits.Len(uint(n/minBucket)) - 1
	for len(c.spare) <= i {
		c.spare = append(c.spare, nil)
	}
	if m := len(c.spare[i]); m > 0 {
		c.spared -= n
		k := c.spare[i][m-1]
		c.spare[i][m-1] = nil
		c.spare[i] = c.spare[i][:m-1]
		return k
	}
	return make([]qent, 0, n)
}

// free keeps k's array, emptied, for reuse, unless the spare ones
// would hold room for more than an eighth of the entries queued (and a
// little): then the collector has it.
func (c *calendar) free(k []qent) {
	if cap(k) == 0 || c.spared+cap(k) > c.inRing/8+minSpare {
		return
	}
	i := bits.Len(uint(cap(k)/minBucket)) - 1
	c.spare[i] = append(c.spare[i], k[:0])
	c.spared += cap(k)
}

// minSpare is the room the spare arrays may hold however few entries
// are queued.
const minSpare = 1 << 14

// first is the least entry, a hook's or a node's.
func (c *calendar) first() (qent, bool) {
	x, ok := c.nodeFirst()
	if len(c.hooks) > 0 && (!ok || c.hooks[0].before(x)) {
		return c.hooks[0], true
	}
	return x, ok
}

// nodeFirst is the least node entry: it moves cur to the first bucket
// that holds any, and brings far's entries within the ring's new reach.
func (c *calendar) nodeFirst() (qent, bool) {
	if c.leastOK {
		return c.least, true
	}
	if c.inRing == 0 {
		if len(c.far) == 0 {
			return qent{}, false
		}
		c.cur = max(c.cur, c.bucket(c.far[0].at))
	} else {
		for len(c.ring[c.cur&ringMask]) == 0 {
			c.cur++
		}
	}
	for len(c.far) > 0 && c.bucket(c.far[0].at) < c.cur+ringSize {
		x := c.far.popEnt()
		c.add(max(c.bucket(x.at), c.cur), x)
	}
	k := c.ring[c.cur&ringMask]
	least := k[0]
	for _, x := range k[1:] {
		if x.before(least) {
			least = x
		}
	}
	c.least, c.leastOK = least, true
	return least, true
}

// take appends every node entry before bound to out, in no order.
func (c *calendar) take(bound qent, out []qent) []qent {
	c.leastOK = false
	if c.inRing > 0 {
		// Bucket cur holds the entries due before it too.
		last := min(max(c.bucket(bound.at), c.cur), c.cur+ringSize-1)
		for b := c.cur; b <= last; b++ {
			k := c.ring[b&ringMask]
			j := 0
			for _, x := range k {
				if x.before(bound) {
					out = append(out, x)
				} else {
					k[j] = x
					j++
				}
			}
			clear(k[j:])
			c.inRing -= len(k) - j
			if j == 0 {
				c.free(k)
				k = nil
			}
			c.ring[b&ringMask] = k[:j]
		}
	}
	for len(c.far) > 0 && c.far[0].before(bound) {
		out = append(out, c.far.popEnt())
	}
	return out
}
