package tracing

import (
	"container/heap"
	"sort"
	"time"
)

// Merge puts the records of one or more traces (one or more processes)
// into one causally consistent order, and returns them after a "merge"
// line that lists the processes and their clock corrections:
//
//   - within a process, events keep their sequence order;
//   - a message is received (or dropped) after it was sent, whatever the
//     clocks say: the send and its receive are paired by message id;
//   - between those constraints, events go by corrected time.
//
// Clocks are corrected per process (a "process" field; a file without
// one is its own process). The skew between two processes is estimated
// from the messages they exchanged, as NTP does: with d(A→B) the smallest
// receive-minus-send time of messages from A to B, B's clock is ahead of
// A's by (d(A→B) - d(B→A)) / 2 when both directions were seen; with one
// direction only, by as much as needed for no message to arrive before it
// left (nothing if none does). Processes are corrected relative to the
// one with the most events, along the best-evidenced links.
//
// Every message event gets SkewNs (its correction), and every received,
// dropped or dead-lettered message whose send is in the input gets HopNs,
// its transit time on corrected clocks (never negative). Start lines and
// earlier merge lines are replaced by the new merge line; lost lines are
// kept in place. Merge is idempotent: merging a merged trace again gives
// the same order and corrections.
func Merge(recs []Record) []Record {
	m := newMerger(recs)
	m.localOrder()
	m.pair()
	m.estimateSkew()
	order := m.causalOrder()
	out := make([]Record, 0, len(order)+1)
	out = append(out, m.header())
	for _, i := range order {
		r := m.recs[i]
		r.SkewNs = m.skew[m.dom[i]]
		r.HopNs = nil
		out = append(out, r)
	}
	// Hops, on the output (corrected) records.
	pos := make(map[int]int, len(order))
	for k, i := range order {
		pos[i] = k + 1
	}
	for i, s := range m.sendOf {
		if s < 0 {
			continue
		}
		recv, send := &out[pos[i]], &out[pos[s]]
		hop := int64(recv.At().Sub(send.At()))
		if hop < 0 {
			hop = 0
		}
		recv.HopNs = &hop
	}
	return out
}

type merger struct {
	first  time.Time // earliest time of any input line (start lines included)
	recs   []Record  // message events and lost lines only
	dom    []int     // domain of each record
	doms   []string  // domain names
	info   map[string]*ProcessInfo
	chains [][]int // per domain, record indexes in local order
	prev   []int   // local predecessor, -1 for none
	sendOf []int   // for receive-like records, the index of the send (-1)
	recvs  map[int][]int
	skew   []int64 // per domain: ns added to its times
}

func newMerger(in []Record) *merger {
	m := &merger{info: map[string]*ProcessInfo{}}
	domIdx := map[string]int{}
	for _, r := range in {
		if !r.Time.IsZero() && (m.first.IsZero() || r.Time.Before(m.first)) {
			m.first = r.Time
		}
		switch r.Kind {
		case Start:
			pi := m.processInfo(domainOf(&r))
			pi.Program, pi.OSPid = r.Program, r.OSPid
			continue
		case Merged:
			for _, p := range r.Processes {
				pi := m.processInfo(p.Process)
				if p.Program != "" {
					pi.Program, pi.OSPid = p.Program, p.OSPid
				}
			}
			continue
		}
		d := domainOf(&r)
		k, ok := domIdx[d]
		if !ok {
			k = len(m.doms)
			domIdx[d] = k
			m.doms = append(m.doms, d)
			m.processInfo(d)
		}
		m.recs = append(m.recs, r)
		m.dom = append(m.dom, k)
		if r.Kind.IsMessage() {
			m.info[d].Events++
		}
	}
	return m
}

func (m *merger) processInfo(name string) *ProcessInfo {
	pi, ok := m.info[name]
	if !ok {
		pi = &ProcessInfo{Process: name}
		m.info[name] = pi
	}
	return pi
}

func domainOf(r *Record) string {
	if r.Process != "" {
		return r.Process
	}
	return "file:" + r.file
}

// localOrder sorts each domain's records: by file, then by session within
// the file, then by sequence number (by line in merged files, which are
// already in order).
func (m *merger) localOrder() {
	m.chains = make([][]int, len(m.doms))
	for i := range m.recs {
		m.chains[m.dom[i]] = append(m.chains[m.dom[i]], i)
	}
	m.prev = make([]int, len(m.recs))
	for _, c := range m.chains {
		sort.SliceStable(c, func(a, b int) bool {
			ra, rb := &m.recs[c[a]], &m.recs[c[b]]
			if ra.fileIdx != rb.fileIdx {
				return ra.fileIdx < rb.fileIdx
			}
			if ra.session != rb.session {
				return ra.session < rb.session
			}
			if ra.merged != rb.merged || ra.merged {
				return ra.line < rb.line
			}
			if ra.Seq != rb.Seq {
				return ra.Seq < rb.Seq
			}
			return ra.line < rb.line
		})
		for k, i := range c {
			if k == 0 {
				m.prev[i] = -1
			} else {
				m.prev[i] = c[k-1]
			}
		}
	}
}

func receiveLike(k Kind) bool { return k == Received || k == Dropped || k == DeadLetter }

// pair finds each receive's send.
func (m *merger) pair() {
	sends := map[string]int{}
	for i := range m.recs {
		if r := &m.recs[i]; r.Kind == Sent && r.MsgID != "" {
			if _, dup := sends[r.MsgID]; !dup {
				sends[r.MsgID] = i
			}
		}
	}
	m.sendOf = make([]int, len(m.recs))
	m.recvs = map[int][]int{}
	for i := range m.recs {
		m.sendOf[i] = -1
		r := &m.recs[i]
		if !receiveLike(r.Kind) || r.MsgID == "" {
			continue
		}
		if s, ok := sends[r.MsgID]; ok {
			m.sendOf[i] = s
			m.recvs[s] = append(m.recvs[s], i)
		}
	}
}

// estimateSkew sets m.skew from the send/receive pairs between domains.
func (m *merger) estimateSkew() {
	n := len(m.doms)
	m.skew = make([]int64, n)
	if n < 2 {
		return
	}
	type link struct {
		min   int64
		count int
	}
	links := map[[2]int]*link{} // [from, to] domains
	for i, s := range m.sendOf {
		if s < 0 || m.dom[i] == m.dom[s] {
			continue
		}
		key := [2]int{m.dom[s], m.dom[i]}
		d := int64(m.recs[i].Time.Sub(m.recs[s].Time))
		if l, ok := links[key]; ok {
			l.count++
			if d < l.min {
				l.min = d
			}
		} else {
			links[key] = &link{min: d, count: 1}
		}
	}
	// theta(a, b): how far b's clock is ahead of a's.
	theta := func(a, b int) int64 {
		ab, ba := links[[2]int{a, b}], links[[2]int{b, a}]
		switch {
		case ab != nil && ba != nil:
			return (ab.min - ba.min) / 2
		case ab != nil:
			return min(0, ab.min)
		case ba != nil:
			return max(0, -ba.min)
		}
		return 0
	}
	weight := func(a, b int) int {
		ab, ba := links[[2]int{a, b}], links[[2]int{b, a}]
		w := 0
		if ab != nil {
			w += ab.count
		}
		if ba != nil {
			w += ba.count
		}
		if ab != nil && ba != nil {
			w += 1 << 30 // both directions beat any one-way evidence
		}
		return w
	}
	// Reference: the domain with the most events (then the first name).
	ref := 0
	for d := 1; d < n; d++ {
		cd, cr := m.info[m.doms[d]].Events, m.info[m.doms[ref]].Events
		if cd > cr || (cd == cr && m.doms[d] < m.doms[ref]) {
			ref = d
		}
	}
	// Prim's maximum spanning tree from the reference.
	off := make([]int64, n) // theta(ref, d)
	in := make([]bool, n)
	in[ref] = true
	for {
		best, bw, from := -1, 0, -1
		for a := 0; a < n; a++ {
			if !in[a] {
				continue
			}
			for b := 0; b < n; b++ {
				if in[b] {
					continue
				}
				w := weight(a, b)
				if w > bw || (w == bw && w > 0 && b < best) {
					best, bw, from = b, w, a
				}
			}
		}
		if best < 0 {
			break // the rest exchanged nothing with these: no correction
		}
		in[best] = true
		off[best] = off[from] + theta(from, best)
	}
	for d := range off {
		m.skew[d] = -off[d]
	}
}

type readyHeap struct {
	m     *merger
	items []int
}

func (h *readyHeap) Len() int { return len(h.items) }
func (h *readyHeap) Less(a, b int) bool {
	i, j := h.items[a], h.items[b]
	ti := h.m.recs[i].Time.UnixNano() + h.m.skew[h.m.dom[i]]
	tj := h.m.recs[j].Time.UnixNano() + h.m.skew[h.m.dom[j]]
	if ti != tj {
		return ti < tj
	}
	// Then by process name, then by input position.
	if h.m.dom[i] != h.m.dom[j] {
		return h.m.doms[h.m.dom[i]] < h.m.doms[h.m.dom[j]]
	}
	return i < j
}
func (h *readyHeap) Swap(a, b int) { h.items[a], h.items[b] = h.items[b], h.items[a] }
func (h *readyHeap) Push(x any)    { h.items = append(h.items, x.(int)) }
func (h *readyHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// causalOrder is a topological order of "local predecessor" and "send
// before receive" constraints, earliest corrected time first.
func (m *merger) causalOrder() []int {
	n := len(m.recs)
	pending := make([]int, n)
	next := make([]int, n)
	for i := range next {
		next[i] = -1
	}
	for i := 0; i < n; i++ {
		if p := m.prev[i]; p >= 0 {
			pending[i]++
			next[p] = i
		}
		if s := m.sendOf[i]; s >= 0 && s != i {
			pending[i]++
		}
	}
	h := &readyHeap{m: m}
	for i := 0; i < n; i++ {
		if pending[i] == 0 {
			h.items = append(h.items, i)
		}
	}
	heap.Init(h)
	done := make([]bool, n)
	order := make([]int, 0, n)
	release := func(i int) {
		pending[i]--
		if pending[i] == 0 {
			heap.Push(h, i)
		}
	}
	for len(order) < n {
		if h.Len() == 0 {
			// Contradictory input (a cycle of sends and receives): give up
			// the send constraint of the earliest blocked record whose
			// local predecessor is done.
			best := -1
			for i := 0; i < n; i++ {
				if done[i] || (m.prev[i] >= 0 && !done[m.prev[i]]) {
					continue
				}
				if best < 0 || m.recs[i].Time.Add(time.Duration(m.skew[m.dom[i]])).Before(m.recs[best].Time.Add(time.Duration(m.skew[m.dom[best]]))) {
					best = i
				}
			}
			pending[best] = 0
			heap.Push(h, best)
		}
		i := heap.Pop(h).(int)
		if done[i] {
			continue
		}
		done[i] = true
		order = append(order, i)
		if nx := next[i]; nx >= 0 && !done[nx] {
			release(nx)
		}
		for _, r := range m.recvs[i] {
			if r != i && !done[r] {
				release(r)
			}
		}
	}
	return order
}

func (m *merger) header() Record {
	h := Record{Kind: Merged, Format: Format, Time: m.first}
	if h.Time.IsZero() {
		h.Time = time.Unix(0, 0).UTC()
	}
	first := true
	for i := range m.recs {
		t := m.recs[i].Time.Add(time.Duration(m.skew[m.dom[i]]))
		if first || t.Before(h.Time) {
			h.Time, first = t, false
		}
	}
	names := make([]string, 0, len(m.info))
	for name := range m.info {
		names = append(names, name)
	}
	sort.Strings(names)
	dom := map[string]int{}
	for i, d := range m.doms {
		dom[d] = i
	}
	for _, name := range names {
		pi := *m.info[name]
		if d, ok := dom[name]; ok {
			pi.SkewNs = m.skew[d]
		}
		h.Processes = append(h.Processes, pi)
	}
	return h
}
