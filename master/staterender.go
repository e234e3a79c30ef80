package master

// /master/state rendered straight to bytes: the same document as
// stateJSON, with tasks written field by field and each agent's unchanging
// parts (its info, total and reservations) and each task's resources kept
// encoded between requests. Runs on the master actor only.

import (
	"sort"
	"strconv"
	"time"
	"unsafe"

	"github.com/gomesos/gomesos/internal/jsonmodel"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// stateCache is what /master/state keeps encoded between requests. An
// entry is keyed by the identity of what it renders (the agent's info and
// total, the task's resources slice): the core replaces these when they
// change rather than editing them in place. Entries not used by a
// rendering are dropped at its end.
type stateCache struct {
	gen    uint64
	agents map[*agent]*agentCache
	tasks  map[*mesos.Task]*taskResCache
	fws    map[*framework]*usedCache
	size   int // of the last rendering
	empty  any // noResources, encoded once
}

type agentCache struct {
	gen      uint64
	info     *mesos.SlaveInfo
	total    unsafe.Pointer
	totalLen int
	static   object // the keys that depend on info and total only

	usedKey  []sliceID // live tasks' and executors' resources slices
	used     any
	usedFull rawJSON
}

// usedCache is a framework's used resources, kept while its live tasks
// and executors are the same.
type usedCache struct {
	gen  uint64
	key  []sliceID
	used resources.Resources
}

type taskResCache struct {
	gen  uint64
	res  unsafe.Pointer
	n    int
	json rawJSON
}

func newStateCache() *stateCache {
	return &stateCache{agents: map[*agent]*agentCache{}, tasks: map[*mesos.Task]*taskResCache{}, fws: map[*framework]*usedCache{}}
}

// render returns /master/state as JSON, byte for byte what encoding/json
// makes of c.stateJSON(); start, if set, is the process' start time (a
// supervised master's core starts when elected).
func (s *stateCache) render(c *Core, start time.Time) ([]byte, error) {
	s.gen++
	m := c.stateTop()
	if !start.IsZero() {
		m["start_time"] = seconds(start)
	}
	slaves := []any{}
	for _, id := range sortedKeys(c.agents) {
		slaves = append(slaves, s.slave(c.agents[id]))
	}
	m["slaves"] = slaves
	registered, completed := []any{}, []any{}
	for _, id := range sortedKeys(c.frameworks) {
		registered = append(registered, s.framework(c, c.frameworks[id]))
	}
	for _, f := range c.completed {
		completed = append(completed, s.framework(c, f))
	}
	m["frameworks"], m["completed_frameworks"] = registered, completed
	w := jsonWriter{b: make([]byte, 0, s.size+s.size/8+4096)}
	w.object(m)
	s.size = len(w.b)
	for a, e := range s.agents {
		if e.gen != s.gen {
			delete(s.agents, a)
		}
	}
	for t, e := range s.tasks {
		if e.gen != s.gen {
			delete(s.tasks, t)
		}
	}
	for f, e := range s.fws {
		if e.gen != s.gen {
			delete(s.fws, f)
		}
	}
	return w.b, w.err
}

func (s *stateCache) slave(a *agent) object {
	e := s.agents[a]
	total := unsafe.Pointer(unsafe.SliceData(a.total))
	if e == nil || e.info != a.info || e.total != total || e.totalLen != len(a.total) {
		e = &agentCache{info: a.info, total: total, totalLen: len(a.total)}
		reserved, reservedFull := object{}, object{}
		for role, r := range a.total.Reservations() {
			reserved[role] = resJSON(r)
			reservedFull[role] = compactFull(r)
		}
		unreserved := a.total.Unreserved()
		e.static = object{
			"hostname":                  a.info.GetHostname(),
			"port":                      a.info.GetPort(),
			"attributes":                mustRaw(jsonmodel.Attributes(a.info.GetAttributes())),
			"resources":                 mustRaw(resJSON(a.total)),
			"reserved_resources":        mustRaw(reserved),
			"unreserved_resources":      mustRaw(resJSON(unreserved)),
			"reserved_resources_full":   mustRaw(reservedFull),
			"unreserved_resources_full": compactFull(unreserved),
		}
		s.agents[a] = e
	}
	e.gen = s.gen
	out := make(object, 24)
	for k, v := range e.static {
		out[k] = v
	}
	key := usedKey(a)
	if e.used == nil || !sameSlices(key, e.usedKey) {
		used := agentUsed(a)
		e.usedKey, e.used, e.usedFull = key, mustRaw(resJSON(used)), compactFull(used)
	}
	offered := a.offeredResources()
	caps := []any{}
	for _, capa := range a.capabilities {
		caps = append(caps, capa.String())
	}
	out["id"] = a.id
	out["pid"] = a.pid.String()
	out["registered_time"] = seconds(a.registeredTime)
	out["used_resources"] = e.used
	if len(offered) == 0 {
		out["offered_resources"], out["offered_resources_full"] = s.noResources(), rawJSON("[]")
	} else {
		out["offered_resources"], out["offered_resources_full"] = s.resources(offered), compactFull(offered)
	}
	out["active"] = a.active
	out["deactivated"] = false
	out["version"] = a.version
	out["capabilities"] = caps
	out["used_resources_full"] = e.usedFull
	if !a.reregisteredTime.IsZero() {
		out["reregistered_time"] = seconds(a.reregisteredTime)
	}
	return out
}

// usedKey identifies what agentUsed sums: the resources slices of the
// agent's live tasks and of its executors, in address order.
func usedKey(a *agent) []sliceID {
	var key []sliceID
	for _, byID := range a.tasks {
		for _, t := range byID {
			if rs := t.GetResources(); !protocol.IsTerminalOrUnreachable(t.GetState()) && len(rs) > 0 {
				key = append(key, sliceID{unsafe.Pointer(unsafe.SliceData(rs)), len(rs)})
			}
		}
	}
	for _, byID := range a.executors {
		for _, e := range byID {
			if rs := e.GetResources(); len(rs) > 0 {
				key = append(key, sliceID{unsafe.Pointer(unsafe.SliceData(rs)), len(rs)})
			}
		}
	}
	sortSliceIDs(key)
	return key
}

func sortSliceIDs(key []sliceID) {
	sort.Slice(key, func(i, j int) bool {
		if key[i].p != key[j].p {
			return uintptr(key[i].p) < uintptr(key[j].p)
		}
		return key[i].n < key[j].n
	})
}

// sliceID is a slice's identity: where it starts and its length.
type sliceID struct {
	p unsafe.Pointer
	n int
}

func sameSlices(a, b []sliceID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (s *stateCache) resources(r resources.Resources) any { return mustRaw(resJSON(r)) }

// noResources is resJSON of no resources, encoded once.
func (s *stateCache) noResources() any {
	if s.empty == nil {
		s.empty = s.resources(nil)
	}
	return s.empty
}

// compactFull is resFullJSON encoded and compacted.
func compactFull(r resources.Resources) rawJSON {
	w := jsonWriter{}
	w.b = append(w.b, '[')
	for i, x := range resFullJSON(r) {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, compactJSON(x)...)
	}
	w.b = append(w.b, ']')
	return rawJSON(w.b)
}

// mustRaw encodes v; a value that cannot be encoded (a NaN) is left for
// encoding/json to report.
func mustRaw(v any) any {
	b, err := encodeRaw(v)
	if err != nil {
		return v
	}
	return b
}

func (s *stateCache) framework(c *Core, f *framework) any {
	key := frameworkUsedKey(f)
	e := s.fws[f]
	if e == nil || !sameSlices(key, e.key) {
		e = &usedCache{key: key, used: frameworkUsed(f)}
		s.fws[f] = e
	}
	e.gen = s.gen
	m := c.frameworkFieldsUsing(f, e.used)
	m["tasks"] = lazyJSON(func(w *jsonWriter) {
		w.b = append(w.b, '[')
		for i, id := range sortedKeys(f.tasks) {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			s.task(w, f.tasks[id])
		}
		w.b = append(w.b, ']')
	})
	list := func(ts []*mesos.Task) lazyJSON {
		return func(w *jsonWriter) {
			w.b = append(w.b, '[')
			for i, t := range ts {
				if i > 0 {
					w.b = append(w.b, ',')
				}
				s.task(w, t)
			}
			w.b = append(w.b, ']')
		}
	}
	m["unreachable_tasks"], m["completed_tasks"] = list(f.unreachableTasks.list()), list(f.completedTasks.list())
	return m
}

// frameworkUsedKey identifies what frameworkUsed sums, as usedKey does.
func frameworkUsedKey(f *framework) []sliceID {
	key := make([]sliceID, 0, len(f.tasks))
	for _, t := range f.tasks {
		if rs := t.GetResources(); !protocol.IsTerminalOrUnreachable(t.GetState()) && len(rs) > 0 {
			key = append(key, sliceID{unsafe.Pointer(unsafe.SliceData(rs)), len(rs)})
		}
	}
	for _, byID := range f.executors {
		for _, e := range byID {
			if rs := e.GetResources(); len(rs) > 0 {
				key = append(key, sliceID{unsafe.Pointer(unsafe.SliceData(rs)), len(rs)})
			}
		}
	}
	sortSliceIDs(key)
	return key
}

// task writes t as encoding/json writes newTaskDoc(t).
func (s *stateCache) task(w *jsonWriter, t *mesos.Task) {
	start := len(w.b)
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
	w.str(t.GetState().String())
	w.key("resources", false)
	rs := t.GetResources()
	e := s.tasks[t]
	if e == nil || e.res != unsafe.Pointer(unsafe.SliceData(rs)) || e.n != len(rs) {
		e = &taskResCache{res: unsafe.Pointer(unsafe.SliceData(rs)), n: len(rs)}
		rw := jsonWriter{}
		rw.value(resources.Resources(rs).JSON())
		if rw.err != nil {
			w.b = w.b[:start]
			s.taskFallback(w, t)
			return
		}
		e.json = rw.b
		s.tasks[t] = e
	}
	e.gen = s.gen
	w.b = append(w.b, e.json...)
	w.key("role", false)
	if len(rs) > 0 {
		w.str(rs[0].GetAllocationInfo().GetRole())
	} else {
		w.str("")
	}
	w.key("statuses", false)
	w.b = append(w.b, '[')
	first := true
	for _, st := range t.GetStatuses() {
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
}

// taskFallback writes the task through encoding/json, errors included.
func (s *stateCache) taskFallback(w *jsonWriter, t *mesos.Task) {
	w.marshal(newTaskDoc(t))
}
