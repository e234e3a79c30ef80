package master

// /master/state rendered straight to bytes, off the master actor: the same
// document as encoding/json makes of stateJSON, written from a snapshot
// (staterender_snap.go) by a few workers at once, agents and tasks field by
// field, resources through a memo of their renderings by content
// (staterender_memo.go).

import (
	"cmp"
	"errors"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gomesos/gomesos/internal/jsonmodel"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// stateRenderer renders snapshots, one at a time. Between renderings it
// keeps each task's and each agent's JSON, reused while what it was made
// from is the same (see staterender_snap.go for what may change), and
// its workers' memos.
type stateRenderer struct {
	memos  []*resMemo // one per worker
	gen    uint64     // renderings so far
	fws    map[*framework]*fwCache
	agents map[*agent]*agentEntry
	size   int // of the last document
}

// fwCache is what a renderer keeps of a framework.
type fwCache struct {
	tasks map[*mesos.Task]*taskEntry // of all its lists
	used  *usedEntry
	n     int // active tasks last time
}

// taskEntry is a task's JSON and what it was rendered from.
type taskEntry struct {
	gen       atomic.Uint64       // the last rendering that used it
	pos       atomic.Int32        // its place in its framework's tasks then; -1: none
	id, slave string              // the task's, as its fields, which never change
	rs        resources.Resources // the task's resources
	state     mesos.TaskState
	statuses  []*mesos.TaskStatus
	res       *listJSON // its resources rendered
	json      []byte
}

func (e *taskEntry) valid(ts *taskSnap) bool {
	return e.state == ts.state && slices.Equal(e.statuses, ts.statuses)
}

// agentEntry is an agent's JSON and what it was rendered from.
type agentEntry struct {
	gen  atomic.Uint64
	from agentSnap
	used []sliceID
	json []byte
}

func (e *agentEntry) valid(a *agentSnap) bool {
	f := &e.from
	return f.info == a.info && f.pid == a.pid && f.version == a.version &&
		sameSlice(f.capabilities, a.capabilities) && f.active == a.active &&
		f.registered.Equal(a.registered) && f.reregistered.Equal(a.reregistered) &&
		sameSlice(f.total, a.total) && slices.Equal(f.offered, a.offered) && sameLists(e.used, a.used)
}

// usedEntry is a framework's used resources and the lists they sum.
type usedEntry struct {
	lists []sliceID
	sum   *sumJSON
}

// sliceID is a slice's identity: where it starts and its length.
type sliceID struct {
	p unsafe.Pointer
	n int
}

func idOf[T any](s []T) sliceID { return sliceID{unsafe.Pointer(unsafe.SliceData(s)), len(s)} }

func sameSlice[T any](a, b []T) bool { return idOf(a) == idOf(b) }

// sameLists reports whether ids are the identities of parts' lists.
func sameLists(ids []sliceID, parts []sumPart) bool {
	if len(ids) != len(parts) {
		return false
	}
	for i, p := range parts {
		if ids[i] != idOf(p.rs) {
			return false
		}
	}
	return true
}

func listIDs(parts []sumPart) []sliceID {
	out := make([]sliceID, len(parts))
	for i, p := range parts {
		out[i] = idOf(p.rs)
	}
	return out
}

// Work is cut into chunks of this many agents or tasks.
const (
	agentChunk = 256
	taskChunk  = 1024
)

func newStateRenderer() *stateRenderer {
	n := min(max(runtime.GOMAXPROCS(0), 1), 8)
	r := &stateRenderer{
		fws:    map[*framework]*fwCache{},
		agents: map[*agent]*agentEntry{},
	}
	for i := 0; i < n; i++ {
		r.memos = append(r.memos, newResMemo())
	}
	return r
}

// renderCore snapshots c and renders it, all on the caller's goroutine
// (tests and benchmarks).
func (r *stateRenderer) renderCore(c *Core, start time.Time) ([]byte, error) {
	return r.render(c.stateSnapshot(start))
}

// render writes s as JSON, byte for byte what encoding/json makes of
// stateJSON at the time s was taken.
func (r *stateRenderer) render(s *stateSnap) ([]byte, error) {
	r.gen++
	gen := r.gen
	frameworks := make([]*frameworkSnap, 0, len(s.frameworks)+len(s.completed))
	for i := range s.frameworks {
		frameworks = append(frameworks, &s.frameworks[i])
	}
	slices.SortFunc(frameworks, func(a, b *frameworkSnap) int { return strings.Compare(a.id, b.id) })
	for i := range s.completed {
		frameworks = append(frameworks, &s.completed[i])
	}
	slices.SortFunc(s.agents, func(a, b agentSnap) int { return strings.Compare(a.id, b.id) })
	agentIndex := make(map[string]int32, len(s.agents))
	for i := range s.agents {
		agentIndex[s.agents[i].id] = int32(i)
	}

	// 1. Each framework: its tasks' renderings that are still good, its
	// tasks sorted, its live tasks (and by agent).
	type onAgent struct {
		agent int32
		ts    *taskSnap
	}
	type fwWork struct {
		cache   *fwCache
		stale   []*taskSnap // tasks to render
		live    []*taskSnap
		onAgent []onAgent
		fields  object
		err     error
	}
	work := make([]fwWork, len(frameworks))
	r.parallel(len(frameworks), func(m *resMemo, i int) {
		f, fw := frameworks[i], &work[i]
		fw.cache = r.fws[f.f]
		if fw.cache == nil {
			fw.cache = &fwCache{tasks: map[*mesos.Task]*taskEntry{}}
		}
		for _, ts := range [][]taskSnap{f.tasks, f.unreachable, f.completedTasks} {
			for j := range ts {
				fw.cache.find(&ts[j], gen)
			}
		}
		f.tasks = sortTasks(f.tasks, fw.cache.n)
		for j := range f.tasks {
			if e := f.tasks[j].e; e != nil {
				e.pos.Store(int32(j))
			}
			f.tasks[j].pos = int32(j)
		}
		for _, ts := range [][]taskSnap{f.unreachable, f.completedTasks} {
			for j := range ts {
				if ts[j].e != nil {
					ts[j].e.pos.Store(-1)
				}
				ts[j].pos = -1
			}
		}
		f.sortLists()
		for _, ts := range [][]taskSnap{f.tasks, f.unreachable, f.completedTasks} {
			for j := range ts {
				if ts[j].e == nil {
					fw.stale = append(fw.stale, &ts[j])
				}
			}
		}
		for j := range f.tasks {
			ts := &f.tasks[j]
			rs, slave := ts.fields()
			if !protocol.IsTerminalOrUnreachable(ts.state) && len(rs) > 0 {
				fw.live = append(fw.live, ts)
				if k, ok := agentIndex[slave]; ok {
					fw.onAgent = append(fw.onAgent, onAgent{k, ts})
				}
			}
		}
	})

	// 2. The tasks not rendered before or changed since, in chunks.
	var stale []*taskSnap
	for _, fw := range work {
		stale = append(stale, fw.stale...)
	}
	taskChunks := chunks(stale, taskChunk)
	errs := make([]error, len(taskChunks))
	r.parallel(len(taskChunks), func(m *resMemo, i int) {
		var w jsonWriter
		for _, ts := range taskChunks[i] {
			w.b = w.b[:0]
			res := writeTask(&w, m, ts)
			// the statuses copied: the snapshot's arena is not kept
			e := &taskEntry{
				id: ts.id, slave: ts.t.GetSlaveId().GetValue(), rs: ts.t.GetResources(),
				state: ts.state, statuses: slices.Clone(ts.statuses), res: res, json: slices.Clone(w.b),
			}
			e.gen.Store(gen)
			e.pos.Store(ts.pos)
			ts.e = e
		}
		errs[i] = w.err
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	// 3. Each framework's own keys, with what its live tasks and
	// executors use; the renderings of its tasks kept for the next time
	// (those used now).
	r.parallel(len(frameworks), func(m *resMemo, i int) {
		f, fw := frameworks[i], &work[i]
		fc := fw.cache
		for _, ts := range fw.stale {
			fc.tasks[ts.t] = ts.e
		}
		// entries of tasks no longer listed, if any
		if len(fc.tasks) != len(f.tasks)+len(f.unreachable)+len(f.completedTasks) {
			for t, e := range fc.tasks {
				if e.gen.Load() != gen {
					delete(fc.tasks, t)
				}
			}
		}
		fc.n = len(f.tasks)
		parts := make([]sumPart, 0, len(fw.live)+len(f.executors))
		for _, ts := range fw.live {
			parts = append(parts, sumPart{ts.e.res.key, ts.e.rs})
		}
		for _, e := range f.executors {
			if rs := e.info.GetResources(); len(rs) > 0 {
				parts = append(parts, m.part(rs))
			}
		}
		if fc.used == nil || !sameLists(fc.used.lists, parts) {
			sum, err := m.sum(parts)
			if err != nil {
				fw.err = err
				return
			}
			fc.used = &usedEntry{lists: listIDs(parts), sum: sum}
		}
		fw.fields = f.fields(fc.used.sum.sum)
	})
	fws := make(map[*framework]*fwCache, len(frameworks))
	for i, fw := range work {
		if fw.err != nil {
			return nil, fw.err
		}
		fws[frameworks[i].f] = fw.cache
	}
	r.fws = fws

	// 4. Each agent's live tasks (in framework and task id order), then
	// its executors.
	counts := make([]int, len(s.agents)+1)
	for _, fw := range work {
		for _, o := range fw.onAgent {
			counts[o.agent+1]++
		}
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	parts := make([]sumPart, counts[len(s.agents)])
	fill := slices.Clone(counts[:len(s.agents)])
	for _, fw := range work {
		for _, o := range fw.onAgent {
			parts[fill[o.agent]] = sumPart{o.ts.e.res.key, o.ts.e.rs}
			fill[o.agent]++
		}
	}
	for i := range s.agents {
		a := &s.agents[i]
		a.used = parts[counts[i]:counts[i+1]:counts[i+1]]
	}

	// 5. The agents not rendered before or changed since.
	agentChunks := chunks(s.agents, agentChunk)
	fresh := make([][]*agentEntry, len(agentChunks))
	errs = make([]error, len(agentChunks))
	r.parallel(len(agentChunks), func(m *resMemo, i int) {
		var w jsonWriter
		for j := range agentChunks[i] {
			a := &agentChunks[i][j]
			if len(a.executors) > 0 {
				slices.SortFunc(a.executors, func(x, y executorSnap) int {
					return cmp.Or(strings.Compare(x.owner, y.owner), strings.Compare(x.info.GetExecutorId().GetValue(), y.info.GetExecutorId().GetValue()))
				})
				for _, e := range a.executors {
					if rs := e.info.GetResources(); len(rs) > 0 {
						a.used = append(a.used, m.part(rs))
					}
				}
			}
			if e := r.agents[a.a]; e != nil && e.valid(a) {
				e.gen.Store(gen)
				continue
			}
			w.b = w.b[:0]
			writeAgent(&w, m, a)
			e := &agentEntry{from: *a, used: listIDs(a.used), json: slices.Clone(w.b)}
			e.from.used, e.from.executors = nil, nil
			e.gen.Store(gen)
			fresh[i] = append(fresh[i], e)
		}
		errs[i] = w.err
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	// 6. The agents' renderings kept for the next time.
	for _, es := range fresh {
		for _, e := range es {
			r.agents[e.from.a] = e
		}
	}
	for a, e := range r.agents {
		if e.gen.Load() != gen {
			delete(r.agents, a)
		}
	}

	// 7. The document around them.
	size := 1 << 16
	agentJSON := make([][]byte, len(s.agents))
	for i := range s.agents {
		agentJSON[i] = r.agents[s.agents[i].a].json
		size += len(agentJSON[i]) + 1
	}
	for _, f := range frameworks {
		for _, ts := range [][]taskSnap{f.tasks, f.unreachable, f.completedTasks} {
			for j := range ts {
				size += len(ts[j].e.json) + 1
			}
		}
	}
	tasks := func(ts []taskSnap) lazyJSON {
		return func(w *jsonWriter) {
			w.b = append(w.b, '[')
			for i := range ts {
				if i > 0 {
					w.b = append(w.b, ',')
				}
				w.b = append(w.b, ts[i].e.json...)
			}
			w.b = append(w.b, ']')
		}
	}
	m := s.top
	m["slaves"] = lazyJSON(func(w *jsonWriter) {
		w.b = append(w.b, '[')
		for i, b := range agentJSON {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = append(w.b, b...)
		}
		w.b = append(w.b, ']')
	})
	registered, completed := []any{}, []any{}
	for i, f := range frameworks {
		fm := work[i].fields
		fm["tasks"], fm["unreachable_tasks"], fm["completed_tasks"] = tasks(f.tasks), tasks(f.unreachable), tasks(f.completedTasks)
		if i < len(s.frameworks) {
			registered = append(registered, fm)
		} else {
			completed = append(completed, fm)
		}
	}
	m["frameworks"], m["completed_frameworks"] = registered, completed
	w := jsonWriter{b: make([]byte, 0, max(size, r.size+4096))}
	w.object(m)
	if w.err != nil {
		return nil, w.err
	}
	r.size = len(w.b)
	return w.b, nil
}

// sortTasks returns ts in task id order. Tasks that were in the list last
// time (of prev tasks) come in the order they had then; the others are
// sorted and merged in.
func sortTasks(ts []taskSnap, prev int) []taskSnap {
	byID := func(a, b taskSnap) int { return strings.Compare(a.id, b.id) }
	slots := make([]int32, prev)
	for i := range slots {
		slots[i] = -1
	}
	var added []taskSnap
	for j := range ts {
		if p := ts[j].pos; p >= 0 && int(p) < prev && slots[p] < 0 {
			slots[p] = int32(j)
		} else {
			added = append(added, ts[j])
		}
	}
	if len(added) == len(ts) {
		slices.SortFunc(ts, byID)
		return ts
	}
	slices.SortFunc(added, byID)
	out := make([]taskSnap, 0, len(ts))
	for _, j := range slots {
		if j < 0 {
			continue
		}
		for len(added) > 0 && added[0].id < ts[j].id {
			out = append(out, added[0])
			added = added[1:]
		}
		out = append(out, ts[j])
	}
	out = append(out, added...)
	if !slices.IsSortedFunc(out, byID) { // cannot happen; cheap to be sure
		slices.SortFunc(out, byID)
	}
	return out
}

// fields returns the task's resources and agent id, from its last
// rendering if there was one (they never change).
func (ts *taskSnap) fields() (resources.Resources, string) {
	if ts.old != nil {
		return ts.old.rs, ts.old.slave
	}
	return ts.t.GetResources(), ts.t.GetSlaveId().GetValue()
}

// chunks cuts xs into runs of n.
func chunks[T any](xs []T, n int) [][]T {
	var out [][]T
	for len(xs) > 0 {
		k := min(len(xs), n)
		out = append(out, xs[:k:k])
		xs = xs[k:]
	}
	return out
}

// find sets ts.e to the task's rendering if it is still good, and ts.id
// and ts.pos.
func (c *fwCache) find(ts *taskSnap, gen uint64) {
	e := c.tasks[ts.t]
	if e == nil {
		ts.id, ts.pos = ts.t.GetTaskId().GetValue(), -1
		return
	}
	ts.id, ts.pos, ts.old = e.id, e.pos.Load(), e
	if e.valid(ts) {
		e.gen.Store(gen)
		ts.e = e
	}
}

// parallel runs do(memo, i) for i in [0, n) on up to one goroutine per
// memo, each with its own memo.
func (r *stateRenderer) parallel(n int, do func(m *resMemo, i int)) {
	workers := min(len(r.memos), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			do(r.memos[0], i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func(m *resMemo) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				do(m, i)
			}
		}(r.memos[k])
	}
	wg.Wait()
}

// writeAgent writes a as encoding/json writes slaveJSON: its keys in
// order.
func writeAgent(w *jsonWriter, m *resMemo, a *agentSnap) {
	total, err := m.total(a.total)
	if err != nil {
		w.fail(err)
		return
	}
	used, err := m.sum(a.used)
	if err != nil {
		w.fail(err)
		return
	}
	usedJSON, usedFull := used.json, used.full
	var offers []sumPart
	for _, o := range a.offered {
		offers = append(offers, m.part(o.resources))
	}
	offered, err := m.sum(offers)
	if err != nil {
		w.fail(err)
		return
	}
	w.b = append(w.b, '{')
	w.key("active", true)
	w.b = strconv.AppendBool(w.b, a.active)
	w.key("attributes", false)
	if attrs := a.info.GetAttributes(); len(attrs) == 0 {
		w.b = append(w.b, "{}"...)
	} else {
		w.value(jsonmodel.Attributes(attrs))
	}
	w.key("capabilities", false)
	w.b = append(w.b, '[')
	for i, c := range a.capabilities {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(c.String())
	}
	w.b = append(w.b, ']')
	w.key("deactivated", false)
	w.b = append(w.b, "false"...)
	w.key("hostname", false)
	w.str(a.info.GetHostname())
	w.key("id", false)
	w.str(a.id)
	w.key("offered_resources", false)
	w.b = append(w.b, offered.json...)
	w.key("offered_resources_full", false)
	w.b = append(w.b, offered.full...)
	w.key("pid", false)
	w.str(a.pid.String())
	w.key("port", false)
	w.b = strconv.AppendInt(w.b, int64(a.info.GetPort()), 10)
	w.key("registered_time", false)
	w.float(seconds(a.registered))
	if !a.reregistered.IsZero() {
		w.key("reregistered_time", false)
		w.float(seconds(a.reregistered))
	}
	w.key("reserved_resources", false)
	w.b = append(w.b, total.reserved...)
	w.key("reserved_resources_full", false)
	w.b = append(w.b, total.reservedFull...)
	w.key("resources", false)
	w.b = append(w.b, total.resources...)
	w.key("unreserved_resources", false)
	w.b = append(w.b, total.unreserved...)
	w.key("unreserved_resources_full", false)
	w.b = append(w.b, total.unreservedFull...)
	w.key("used_resources", false)
	w.b = append(w.b, usedJSON...)
	w.key("used_resources_full", false)
	w.b = append(w.b, usedFull...)
	w.key("version", false)
	w.str(a.version)
	w.b = append(w.b, '}')
}

// writeTask writes ts as encoding/json writes newTaskDoc of the task,
// and returns the rendering of its resources.
func writeTask(w *jsonWriter, m *resMemo, ts *taskSnap) *listJSON {
	t := ts.t
	rs := t.GetResources()
	res, err := m.list(rs)
	if err != nil {
		w.fail(err)
		return &listJSON{}
	}
	w.b = append(w.b, '{')
	w.key("id", true)
	w.str(t.GetTaskId().GetValue())
	w.key("name", false)
	w.str(t.GetName())
	w.key("framework_id", false)
	w.str(t.GetFrameworkId().GetValue())
	w.key("executor_id", false)
	w.str(t.GetExecutorId().GetValue())
	w.key("slave_id", false)
	w.str(t.GetSlaveId().GetValue())
	w.key("state", false)
	w.str(ts.state.String())
	w.key("resources", false)
	w.b = append(w.b, res.json...)
	w.key("role", false)
	if len(rs) > 0 {
		w.str(rs[0].GetAllocationInfo().GetRole())
	} else {
		w.str("")
	}
	w.key("statuses", false)
	w.b = append(w.b, '[')
	first := true
	for _, st := range ts.statuses {
		if st == nil {
			continue
		}
		if !first {
			w.b = append(w.b, ',')
		}
		first = false
		w.b = append(w.b, '{')
		w.key("state", true)
		w.str(st.GetState().String())
		w.key("timestamp", false)
		w.float(st.GetTimestamp())
		if st.Labels != nil {
			w.key("labels", false)
			w.marshal(jsonmodel.Labels(st.GetLabels()))
		}
		if st.ContainerStatus != nil {
			w.key("container_status", false)
			w.marshal(jsonmodel.Proto(st.GetContainerStatus()))
		}
		if st.Healthy != nil {
			w.key("healthy", false)
			w.b = strconv.AppendBool(w.b, *st.Healthy)
		}
		w.b = append(w.b, '}')
	}
	w.b = append(w.b, ']')
	if len(t.GetLimits()) > 0 {
		lim := map[string]float64{}
		for k, v := range t.GetLimits() {
			lim[k] = v.GetValue()
		}
		w.key("limits", false)
		w.marshal(lim)
	}
	if t.User != nil {
		w.key("user", false)
		w.str(*t.User)
	}
	if t.Labels != nil {
		w.key("labels", false)
		w.marshal(jsonmodel.Labels(t.GetLabels()))
	}
	if t.Discovery != nil {
		w.key("discovery", false)
		w.marshal(jsonmodel.Proto(t.GetDiscovery()))
	}
	if t.Container != nil {
		w.key("container", false)
		w.marshal(jsonmodel.Proto(t.GetContainer()))
	}
	if t.HealthCheck != nil {
		w.key("health_check", false)
		w.marshal(jsonmodel.Proto(t.GetHealthCheck()))
	}
	w.b = append(w.b, '}')
	return res
}

// sortLists puts a framework snapshot's offers and executors in the order
// the document lists them.
func (f *frameworkSnap) sortLists() {
	slices.SortFunc(f.offers, func(a, b *offer) int { return strings.Compare(a.id, b.id) })
	slices.SortFunc(f.executors, func(a, b executorSnap) int {
		return cmp.Or(strings.Compare(a.owner, b.owner), strings.Compare(a.info.GetExecutorId().GetValue(), b.info.GetExecutorId().GetValue()))
	})
}

// offered sums the framework's offers.
func (f *frameworkSnap) offered() resources.Resources {
	var r resources.Resources
	for _, o := range f.offers {
		r = r.Add(o.resources)
	}
	return r
}
