package slave

// /state written straight to bytes on the agent's actor: the same bytes
// as encoding/json of Snapshot() with "flags" (keys sorted at every
// level), without a map per framework, executor, task and status. Tasks
// and statuses with rarely set fields (labels, container, discovery,
// health) go through jsonmodel's maps.

import (
	"slices"

	"github.com/gomesos/gomesos/internal/jsonmodel"
	"github.com/gomesos/gomesos/internal/jsonwrite"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// stateWriter appends JSON and keeps the first error.
type stateWriter struct {
	b     []byte
	err   error
	cache *resourcesCache // nil: none
}

// resourcesCache keeps the rendered resources of tasks and queued task
// infos and the commands of the latter (which the agent never changes)
// from one /state to the next; an entry no render used is dropped after
// the next one. It belongs to the actor: only renders on the actor use
// it.
type resourcesCache struct {
	cur, prev map[resourcesKey][]byte
	// executors: an executor's resources with its tasks', by the
	// resources they sum (its own, then its queued and launched tasks').
	execCur, execPrev map[executorKey][]byte
	// commands of queued task infos
	cmdCur, cmdPrev map[*mesos.CommandInfo][]byte
}

// executorKey names the resources an executor with at most two tasks
// sums.
type executorKey [3]resourcesKey

func keyOf(rs []*mesos.Resource) resourcesKey {
	if len(rs) == 0 {
		return resourcesKey{}
	}
	return resourcesKey{rs[0], rs[len(rs)-1], len(rs)}
}

type resourcesKey struct {
	first, last *mesos.Resource
	n           int
}

func newResourcesCache() *resourcesCache {
	return &resourcesCache{cur: map[resourcesKey][]byte{}, execCur: map[executorKey][]byte{}, cmdCur: map[*mesos.CommandInfo][]byte{}}
}

// resources writes resources.Resources(rs).JSON() of a task.
func (w *stateWriter) resources(rs []*mesos.Resource) {
	if w.cache == nil || len(rs) == 0 {
		w.value(resources.Resources(rs).JSON())
		return
	}
	k := keyOf(rs)
	b, ok := w.cache.cur[k]
	if !ok {
		if b, ok = w.cache.prev[k]; !ok {
			var err error
			if b, err = jsonwrite.Marshal(resources.Resources(rs).JSON()); err != nil {
				if w.err == nil {
					w.err = err
				}
				return
			}
		}
		w.cache.cur[k] = b
	}
	w.b = append(w.b, b...)
}

// turn ends a render: what it did not use goes at the next turn.
func (rc *resourcesCache) turn() {
	rc.prev, rc.cur = rc.cur, make(map[resourcesKey][]byte, len(rc.cur))
	rc.execPrev, rc.execCur = rc.execCur, make(map[executorKey][]byte, len(rc.execCur))
	rc.cmdPrev, rc.cmdCur = rc.cmdCur, make(map[*mesos.CommandInfo][]byte, len(rc.cmdCur))
}

// command writes commandJSON(c) of a queued task.
func (w *stateWriter) command(c *mesos.CommandInfo) {
	if w.cache == nil {
		w.value(commandJSON(c))
		return
	}
	b, ok := w.cache.cmdCur[c]
	if !ok {
		if b, ok = w.cache.cmdPrev[c]; !ok {
			var err error
			if b, err = jsonwrite.Marshal(commandJSON(c)); err != nil {
				if w.err == nil {
					w.err = err
				}
				return
			}
		}
		w.cache.cmdCur[c] = b
	}
	w.b = append(w.b, b...)
}

// executorResources writes e.allocated().JSON().
func (w *stateWriter) executorResources(e *executor) {
	launched := e.launchedTasks()
	if w.cache == nil || len(e.queued)+len(launched) > 2 {
		w.value(e.allocated().JSON())
		return
	}
	k := executorKey{keyOf(e.info.GetResources())}
	i := 1
	for _, t := range e.queued {
		k[i] = keyOf(t.GetResources())
		i++
	}
	for _, t := range launched {
		k[i] = keyOf(t.GetResources())
		i++
	}
	b, ok := w.cache.execCur[k]
	if !ok {
		if b, ok = w.cache.execPrev[k]; !ok {
			var err error
			if b, err = jsonwrite.Marshal(e.allocated().JSON()); err != nil {
				if w.err == nil {
					w.err = err
				}
				return
			}
		}
		w.cache.execCur[k] = b
	}
	w.b = append(w.b, b...)
}

func (w *stateWriter) raw(s string) { w.b = append(w.b, s...) }
func (w *stateWriter) str(s string) { w.b = jsonwrite.AppendString(w.b, s) }

// key writes ,"k": (k needs no escaping), without the comma when first.
func (w *stateWriter) key(k string, first bool) {
	if !first {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *stateWriter) value(v any) {
	var err error
	w.b, err = jsonwrite.Append(w.b, v)
	if err != nil && w.err == nil {
		w.err = err
	}
}

func (w *stateWriter) float(f float64) {
	var err error
	w.b, err = jsonwrite.AppendFloat(w.b, f)
	if err != nil && w.err == nil {
		w.err = err
	}
}

func (w *stateWriter) bool(v bool) {
	if v {
		w.raw("true")
	} else {
		w.raw("false")
	}
}

// appendState renders /state: Snapshot() with "flags" added. cache, if
// not nil, keeps task resources rendered from one call to the next.
func (c *Core) appendState(b []byte, flags map[string]string, cache *resourcesCache) ([]byte, error) {
	top := c.snapshotHeader()
	top["flags"] = flags
	top["frameworks"] = stateList(func(w *stateWriter) {
		for i, fid := range c.frameworkOrder {
			if i > 0 {
				w.raw(",")
			}
			c.writeFramework(w, c.frameworks[fid])
		}
	})
	top["completed_frameworks"] = stateList(func(w *stateWriter) {
		for i, f := range c.completedFrameworks {
			if i > 0 {
				w.raw(",")
			}
			c.writeFramework(w, f)
		}
	})
	w := &stateWriter{b: b, cache: cache}
	if cache != nil {
		defer cache.turn()
	}
	// The header's keys, sorted, with the two lists written in place.
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.raw("{")
	for i, k := range keys {
		w.key(k, i == 0)
		if l, ok := top[k].(stateList); ok {
			w.raw("[")
			l(w)
			w.raw("]")
			continue
		}
		w.value(top[k])
	}
	w.raw("}")
	return w.b, w.err
}

// stateList writes the elements of a list in place.
type stateList func(w *stateWriter)

// writeFramework writes frameworkJSON(f).
func (c *Core) writeFramework(w *stateWriter, f *framework) {
	w.raw(`{"checkpoint":`)
	w.bool(f.info.GetCheckpoint())
	w.key("completed_executors", false)
	w.raw("[")
	for i, e := range f.completedExecutors {
		if i > 0 {
			w.raw(",")
		}
		c.writeExecutor(w, e)
	}
	w.raw("]")
	w.key("executors", false)
	w.raw("[")
	for i, e := range f.executors {
		if i > 0 {
			w.raw(",")
		}
		c.writeExecutor(w, e)
	}
	w.raw("]")
	w.key("failover_timeout", false)
	w.float(f.info.GetFailoverTimeout())
	w.key("hostname", false)
	w.str(f.info.GetHostname())
	w.key("id", false)
	w.str(f.id)
	w.key("name", false)
	w.str(f.info.GetName())
	if f.info.Principal != nil {
		w.key("principal", false)
		w.str(f.info.GetPrincipal())
	}
	if roles, multi := frameworkRoles(f); multi {
		w.key("roles", false)
		w.value(roles)
	} else {
		w.key("role", false)
		w.str(f.info.GetRole())
	}
	w.key("user", false)
	w.str(f.info.GetUser())
	w.raw("}")
}

// writeExecutor writes executorJSON(e).
func (c *Core) writeExecutor(w *stateWriter, e *executor) {
	w.raw(`{"completed_tasks":[`)
	n := 0
	for _, t := range e.completed {
		writeTask(w, t, n == 0)
		n++
	}
	for _, t := range e.terminatedTasks() {
		writeTask(w, t, n == 0)
		n++
	}
	w.raw("]")
	w.key("container", false)
	w.str(e.containerID)
	w.key("directory", false)
	w.str(c.sandbox(e))
	w.key("id", false)
	w.str(e.id)
	if e.info.Labels != nil {
		w.key("labels", false)
		w.value(protoJSON(e.info.GetLabels())["labels"])
	}
	w.key("name", false)
	w.str(e.info.GetName())
	w.key("queued_tasks", false)
	w.raw("[")
	for i, t := range e.queued {
		if i > 0 {
			w.raw(",")
		}
		w.taskInfo(t)
	}
	w.raw("]")
	w.key("resources", false)
	w.executorResources(e)
	if rs := e.info.GetResources(); len(rs) > 0 {
		w.key("role", false)
		w.str(rs[0].GetAllocationInfo().GetRole())
	}
	w.key("source", false)
	w.str(e.info.GetSource())
	w.key("tasks", false)
	w.raw("[")
	for i, t := range e.launchedTasks() {
		writeTask(w, t, i == 0)
	}
	w.raw("]")
	if e.info.Type != nil {
		w.key("type", false)
		w.str(e.info.GetType().String())
	}
	w.raw("}")
}

// writeTask writes jsonmodel.Task(t), after a comma unless first.
func writeTask(w *stateWriter, t *mesos.Task, first bool) {
	if !first {
		w.raw(",")
	}
	if t.Container != nil || t.Discovery != nil || t.HealthCheck != nil || t.Labels != nil || len(t.GetLimits()) > 0 {
		w.value(jsonmodel.Task(t))
		return
	}
	w.raw(`{"executor_id":`)
	w.str(t.GetExecutorId().GetValue())
	w.key("framework_id", false)
	w.str(t.GetFrameworkId().GetValue())
	w.key("id", false)
	w.str(t.GetTaskId().GetValue())
	w.key("name", false)
	w.str(t.GetName())
	w.key("resources", false)
	w.resources(t.GetResources())
	role := ""
	if rs := t.GetResources(); len(rs) > 0 {
		role = rs[0].GetAllocationInfo().GetRole()
	}
	w.key("role", false)
	w.str(role)
	w.key("slave_id", false)
	w.str(t.GetSlaveId().GetValue())
	w.key("state", false)
	w.str(t.GetState().String())
	w.key("statuses", false)
	w.raw("[")
	for i, s := range t.GetStatuses() {
		if i > 0 {
			w.raw(",")
		}
		if s == nil || s.Labels != nil || s.ContainerStatus != nil || s.Healthy != nil {
			w.value(jsonmodel.TaskStatus(s))
			continue
		}
		w.raw(`{"state":`)
		w.str(s.GetState().String())
		w.raw(`,"timestamp":`)
		w.float(s.GetTimestamp())
		w.raw("}")
	}
	w.raw("]")
	if t.User != nil {
		w.key("user", false)
		w.str(t.GetUser())
	}
	w.raw("}")
}

// taskInfo writes taskInfoJSON(t).
func (w *stateWriter) taskInfo(t *mesos.TaskInfo) {
	if t.Command != nil && (len(t.Command.GetUris()) > 0 || t.Command.Environment != nil) || t.Discovery != nil {
		w.value(taskInfoJSON(t))
		return
	}
	w.raw("{")
	first := true
	if t.Command != nil {
		w.key("command", first)
		w.command(t.GetCommand())
		first = false
	}
	if t.Executor != nil {
		w.key("executor_id", first)
		w.str(t.GetExecutor().GetExecutorId().GetValue())
		first = false
	}
	w.key("id", first)
	w.str(t.GetTaskId().GetValue())
	w.key("name", false)
	w.str(t.GetName())
	w.key("resources", false)
	w.resources(t.GetResources())
	if rs := t.GetResources(); len(rs) > 0 {
		w.key("role", false)
		w.str(rs[0].GetAllocationInfo().GetRole())
	}
	w.key("slave_id", false)
	w.str(t.GetSlaveId().GetValue())
	w.raw("}")
}
