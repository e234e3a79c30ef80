package sim

import (
	"math/rand/v2"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
)

// Rule is a fault rule for the messages from one node to another. From and
// To are node names; "" matches any node. The probabilities are per message.
type Rule struct {
	From, To string
	Drop     float64       // lose the message
	Dup      float64       // deliver it twice
	Reorder  float64       // let it overtake or fall behind others of the pair
	Delay    time.Duration // add up to this much delay (order is kept)
}

// Filter drops messages of a type between two nodes, as Mesos tests do with
// DROP_PROTOBUF. Type is the message's short name (StatusUpdateMessage);
// From, To and Type may be "" for any.
type Filter struct {
	From, To, Type string
	Count          int // how many more to drop; negative: all
}

type partition struct {
	a, b  map[actors.PID]bool
	until time.Time
}

// Network carries the messages of a simulation.
type Network struct {
	s       *Sim
	rules   []Rule
	filters []*Filter
	parts   []*partition
	// ReorderWindow bounds the extra delay of a reordered message (default 50ms).
	ReorderWindow time.Duration
}

func newNetwork(s *Sim) *Network {
	return &Network{s: s, ReorderWindow: 50 * time.Millisecond}
}

// AddRule adds a fault rule; the first rule that matches a pair applies.
func (nw *Network) AddRule(r Rule) { nw.rules = append(nw.rules, r) }

// ClearRules removes every fault rule.
func (nw *Network) ClearRules() { nw.rules = nil }

// AddFilter adds a type filter.
func (nw *Network) AddFilter(f Filter) { nw.filters = append(nw.filters, &f) }

// ClearFilters removes every type filter.
func (nw *Network) ClearFilters() { nw.filters = nil }

// Partition cuts every node of a off from every node of b until heal has
// passed (forever when heal <= 0 until Heal is called). Links across the cut
// break at once.
func (nw *Network) Partition(a, b []*Node, heal time.Duration) {
	p := &partition{a: map[actors.PID]bool{}, b: map[actors.PID]bool{}}
	for _, n := range a {
		p.a[n.PID] = true
	}
	for _, n := range b {
		p.b[n.PID] = true
	}
	nw.parts = append(nw.parts, p)
	for _, x := range a {
		for _, y := range b {
			nw.s.linkBroken(x, y)
		}
	}
	if heal > 0 {
		p.until = nw.s.now.Add(heal)
		nw.s.At(p.until, func() { nw.heal(p) })
	}
}

func (nw *Network) heal(p *partition) {
	for i, q := range nw.parts {
		if q == p {
			nw.parts = append(nw.parts[:i], nw.parts[i+1:]...)
			return
		}
	}
}

// Heal removes every partition.
func (nw *Network) Heal() { nw.parts = nil }

// Partitioned reports whether any partition is in force.
func (nw *Network) Partitioned() bool { return len(nw.parts) > 0 }

func (nw *Network) cut(x, y actors.PID) bool {
	if len(nw.parts) == 0 {
		return false // most runs: read no PID
	}
	for _, p := range nw.parts {
		if (p.a[x] && p.b[y]) || (p.b[x] && p.a[y]) {
			return true
		}
	}
	return false
}

func (nw *Network) cutAtDelivery(from, to actors.PID) string {
	if nw.cut(from, to) {
		return "partitioned"
	}
	return ""
}

func matches(pattern, name string) bool { return pattern == "" || pattern == name }

func (nw *Network) filtered(from, to *Node, msg proto.Message) bool {
	if len(nw.filters) == 0 {
		return false
	}
	typ := TypeName(msg)
	for _, f := range nw.filters {
		if f.Count != 0 && matches(f.From, from.Name) && matches(f.To, to.Name) && matches(f.Type, typ) {
			if f.Count > 0 {
				f.Count--
			}
			return true
		}
	}
	return false
}

func (nw *Network) rule(from, to *Node) *Rule {
	for i := range nw.rules {
		r := &nw.rules[i]
		if matches(r.From, from.Name) && matches(r.To, to.Name) {
			return r
		}
	}
	return nil
}

func chance(rng *rand.Rand, p float64) bool { return p > 0 && rng.Float64() < p }

// route sends msg from n to target through the faults in force, in lane
// l under the windowed engine (nil: serially). The faults draw from n's
// random source.
func (nw *Network) route(l *lane, n, target *Node, msg proto.Message) {
	s := nw.s
	var now time.Time
	var at int64
	if l != nil {
		now, at = l.time(), l.now
	} else {
		now, at = s.now, s.at(0)
	}
	if nw.filtered(n, target, msg) {
		s.record(l, Delivery{At: now, From: n.PID, To: target.PID, to: target, Msg: msg, Dropped: "filtered"})
		return
	}
	if nw.cut(n.PID, target.PID) {
		s.record(l, Delivery{At: now, From: n.PID, To: target.PID, to: target, Msg: msg, Dropped: "partitioned"})
		return
	}
	at += int64(s.opts.Latency)
	base := at
	var r *Rule
	if len(nw.rules) > 0 && n.PID.Address != target.PID.Address {
		// Peers on one host (an agent and its executors) talk over
		// loopback: the fault rules are for the network between hosts.
		r = nw.rule(n, target)
	}
	copies := 1
	reorder := false
	if r != nil {
		rng := n.Rand()
		if chance(rng, r.Drop) {
			s.record(l, Delivery{At: now, From: n.PID, To: target.PID, to: target, Msg: msg, Dropped: "fault"})
			return
		}
		if r.Delay > 0 {
			at += rng.Int64N(int64(r.Delay) + 1)
		}
		if chance(rng, r.Dup) {
			copies = 2
		}
		reorder = chance(rng, r.Reorder)
	}
	if reorder {
		at += n.Rand().Int64N(int64(nw.ReorderWindow) + 1)
	} else {
		if last := n.lastTo[target]; last > at {
			at = last
		}
		// Only a message that lands after base can hold back a later
		// one: those that land at base are overtaken by none (base
		// never goes back). Not noting them keeps a fault-free run
		// from keeping a map per sender.
		if at > base {
			if n.lastTo == nil {
				n.lastTo = map[*Node]int64{}
			}
			n.lastTo[target] = at
		}
	}
	for i := 0; i < copies; i++ {
		m := msg
		if i > 0 && !s.opts.NoClone {
			m = proto.Clone(msg)
		}
		if l != nil {
			s.deliverIn(l, event{at: at, kind: evDeliver, to: target, from: n.PID, msg: m})
			continue
		}
		s.push(event{at: at, kind: evDeliver, to: target, inc: target.inc, from: n.PID, msg: m})
	}
}
