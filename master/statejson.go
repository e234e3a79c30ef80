package master

// The JSON models of /state, /frameworks, /slaves and /flags, shaped as
// Mesos renders them (src/master/readonly_handler.cpp, src/common/http.cpp):
// snake_case keys, resources as {"cpus": 1, "mem": 128, "disk": 0,
// "gpus": 0, "ports": "[31000-32000]"}, states as enum names. They are
// built on the master actor from its own state, as plain maps; /master/state
// itself is written from them straight to bytes (staterender.go).

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gomesos/gomesos/internal/jsonmodel"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

type object = map[string]any

func resJSON(r resources.Resources) object { return r.JSON() }

// resFullJSON renders resources as protobuf JSON, each encoded once
// (decoding it into maps to encode again cost seconds at 10,000 agents).
func resFullJSON(r resources.Resources) []json.RawMessage {
	out := []json.RawMessage{}
	for _, x := range r {
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(x)
		if err != nil {
			b = []byte("{}")
		}
		out = append(out, b)
	}
	return out
}

func commandJSON(c *mesos.CommandInfo) object {
	if c == nil {
		return object{"argv": []string{}, "uris": []any{}}
	}
	uris := []any{}
	for _, u := range c.GetUris() {
		uris = append(uris, object{"value": u.GetValue(), "executable": u.GetExecutable()})
	}
	argv := c.GetArguments()
	if argv == nil {
		argv = []string{}
	}
	out := object{"argv": argv, "uris": uris}
	if c.Shell != nil {
		out["shell"] = c.GetShell()
	}
	if c.Value != nil {
		out["value"] = c.GetValue()
	}
	if c.Environment != nil {
		out["environment"] = jsonmodel.Proto(c.GetEnvironment())
	}
	return out
}

func executorJSON(e *mesos.ExecutorInfo, agentID string) object {
	out := object{
		"executor_id":  e.GetExecutorId().GetValue(),
		"name":         e.GetName(),
		"framework_id": e.GetFrameworkId().GetValue(),
		"command":      commandJSON(e.GetCommand()),
		"resources":    resJSON(resources.Resources(e.GetResources())),
		"slave_id":     agentID,
	}
	if rs := e.GetResources(); len(rs) > 0 {
		out["role"] = rs[0].GetAllocationInfo().GetRole()
	}
	if e.Labels != nil {
		out["labels"] = jsonmodel.Labels(e.GetLabels())
	}
	if e.Type != nil {
		out["type"] = e.GetType().String()
	}
	return out
}

func offerJSON(o *offer) object {
	return object{
		"id":              o.id,
		"framework_id":    o.frameworkID,
		"allocation_info": object{"role": o.role},
		"slave_id":        o.agentID,
		"resources":       resJSON(o.resources),
	}
}

func frameworkCapabilities(info *mesos.FrameworkInfo) []any {
	out := []any{}
	for _, c := range info.GetCapabilities() {
		out = append(out, c.GetType().String())
	}
	return out
}

func (c *Core) frameworkJSON(f *framework) object {
	out := c.frameworkFields(f)
	tasks := []taskDoc{}
	for _, id := range sortedKeys(f.tasks) {
		tasks = append(tasks, newTaskDoc(f.tasks[id]))
	}
	unreachable := []taskDoc{}
	for _, t := range f.unreachableTasks.list() {
		unreachable = append(unreachable, newTaskDoc(t))
	}
	completed := []taskDoc{}
	for _, t := range f.completedTasks.list() {
		completed = append(completed, newTaskDoc(t))
	}
	out["tasks"], out["unreachable_tasks"], out["completed_tasks"] = tasks, unreachable, completed
	return out
}

// frameworkFields is frameworkJSON without its task lists.
func (c *Core) frameworkFields(f *framework) object {
	return c.frameworkFieldsUsing(f, frameworkUsed(f))
}

// frameworkFieldsUsing is frameworkFields with the framework's used
// resources (frameworkUsed) given.
func (c *Core) frameworkFieldsUsing(f *framework, used resources.Resources) object {
	s := snapFrameworkFields(f)
	s.sortLists()
	return s.fields(used)
}

// fields is a framework's object without its task lists, used being what
// its live tasks and executors use; f's offers and executors are sorted.
func (f *frameworkSnap) fields(used resources.Resources) object {
	offered := f.offered()
	offers := []any{}
	for _, o := range f.offers {
		offers = append(offers, offerJSON(o))
	}
	executors := []any{}
	for _, e := range f.executors {
		executors = append(executors, executorJSON(e.info, e.owner))
	}
	out := object{
		"id":                f.id,
		"name":              f.info.GetName(),
		"used_resources":    resJSON(used),
		"offered_resources": resJSON(offered),
		"capabilities":      frameworkCapabilities(f.info),
		"hostname":          f.info.GetHostname(),
		"webui_url":         f.info.GetWebuiUrl(),
		"active":            f.active,
		"connected":         f.connected,
		"recovered":         f.recovered,
		"user":              f.info.GetUser(),
		"failover_timeout":  f.info.GetFailoverTimeout(),
		"checkpoint":        f.info.GetCheckpoint(),
		"registered_time":   seconds(f.registered),
		"unregistered_time": seconds(f.unregister),
		"principal":         f.info.GetPrincipal(),
		"resources":         resJSON(used.Add(offered)),
		"roles":             protocol.FrameworkRoles(f.info),
		"offers":            offers,
		"executors":         executors,
		"offer_constraints": object{},
	}
	if !f.pid.IsZero() {
		out["pid"] = f.pid.String()
	}
	if !protocol.HasCapability(f.info, mesos.FrameworkInfo_Capability_MULTI_ROLE) {
		out["role"] = f.info.GetRole()
	}
	if !f.reregistered.Equal(f.registered) {
		out["reregistered_time"] = seconds(f.reregistered)
	}
	if f.info.Labels != nil {
		out["labels"] = jsonmodel.Labels(f.info.GetLabels())
	}
	return out
}

func (c *Core) slaveJSON(a *agent) object {
	used, offered := agentUsed(a), a.offeredResources()
	reserved, reservedFull := object{}, object{}
	for role, r := range a.total.Reservations() {
		reserved[role] = resJSON(r)
		reservedFull[role] = resFullJSON(r)
	}
	caps := []any{}
	for _, capa := range a.capabilities {
		caps = append(caps, capa.String())
	}
	out := object{
		"id":                        a.id,
		"hostname":                  a.info.GetHostname(),
		"port":                      a.info.GetPort(),
		"attributes":                jsonmodel.Attributes(a.info.GetAttributes()),
		"pid":                       a.pid.String(),
		"registered_time":           seconds(a.registeredTime),
		"resources":                 resJSON(a.total),
		"used_resources":            resJSON(used),
		"offered_resources":         resJSON(offered),
		"reserved_resources":        reserved,
		"unreserved_resources":      resJSON(a.total.Unreserved()),
		"active":                    a.active,
		"deactivated":               false,
		"version":                   a.version,
		"capabilities":              caps,
		"reserved_resources_full":   reservedFull,
		"unreserved_resources_full": resFullJSON(a.total.Unreserved()),
		"used_resources_full":       resFullJSON(used),
		"offered_resources_full":    resFullJSON(offered),
	}
	if !a.reregisteredTime.IsZero() {
		out["reregistered_time"] = seconds(a.reregisteredTime)
	}
	return out
}

func (c *Core) slavesList() []any {
	out := []any{}
	for _, id := range sortedKeys(c.agents) {
		out = append(out, c.slaveJSON(c.agents[id]))
	}
	return out
}

func (c *Core) frameworksList() (registered, completed []any) {
	registered, completed = []any{}, []any{}
	for _, id := range sortedKeys(c.frameworks) {
		registered = append(registered, c.frameworkJSON(c.frameworks[id]))
	}
	for _, f := range c.completed {
		completed = append(completed, c.frameworkJSON(f))
	}
	return registered, completed
}

// stateJSON is /master/state, as maps (stateCache.render writes the same
// document faster).
func (c *Core) stateJSON() any {
	out := c.stateTop()
	registered, completed := c.frameworksList()
	out["slaves"] = c.slavesList()
	out["frameworks"], out["completed_frameworks"] = registered, completed
	return out
}

// stateTop is /master/state without its agents and frameworks.
func (c *Core) stateTop() object {
	active, inactive := 0, 0
	for _, a := range c.agents {
		if a.active {
			active++
		} else {
			inactive++
		}
	}
	out := object{
		"version":                 Version,
		"git_sha":                 "",
		"build_date":              "",
		"build_time":              0,
		"build_user":              "",
		"start_time":              seconds(c.startTime),
		"id":                      c.info.GetId(),
		"pid":                     c.info.GetPid(),
		"hostname":                c.info.GetHostname(),
		"capabilities":            masterCapabilities(c.info),
		"activated_slaves":        active,
		"deactivated_slaves":      inactive,
		"unreachable_slaves":      len(c.unreachable),
		"flags":                   c.flags(),
		"recovered_slaves":        []any{},
		"orphan_tasks":            []any{},
		"unregistered_frameworks": []any{},
	}
	if c.elected {
		out["elected_time"] = seconds(c.electedTime)
		out["leader"] = c.info.GetPid()
		out["leader_info"] = masterInfoJSON(c.info)
	}
	if c.info.Domain != nil {
		out["domain"] = domainJSON(c.info.GetDomain())
	}
	if c.cfg.Cluster != "" {
		out["cluster"] = c.cfg.Cluster
	}
	if d := c.cfg.Flags["log_dir"]; d != "" {
		out["log_dir"] = d
	}
	return out
}

// masterInfoJSON renders a MasterInfo as Mesos does under "leader_info"
// (src/common/http.cpp, json(ObjectWriter*, const MasterInfo&)): id, pid,
// port and hostname, and the domain when there is one. Mesos leaves out ip,
// version, address and capabilities there; /master/info has them all.
func masterInfoJSON(info *mesos.MasterInfo) object {
	out := object{
		"id":       info.GetId(),
		"pid":      info.GetPid(),
		"port":     info.GetPort(),
		"hostname": info.GetHostname(),
	}
	if info.Domain != nil {
		out["domain"] = domainJSON(info.GetDomain())
	}
	return out
}

// domainJSON renders a DomainInfo as Mesos does:
// {"fault_domain": {"region": {"name": ..}, "zone": {"name": ..}}}, the
// fault domain only when set.
func domainJSON(d *mesos.DomainInfo) object {
	out := object{}
	if fd := d.GetFaultDomain(); fd != nil {
		out["fault_domain"] = object{
			"region": object{"name": fd.GetRegion().GetName()},
			"zone":   object{"name": fd.GetZone().GetName()},
		}
	}
	return out
}

// masterCapabilities are MasterInfo's capabilities by name, as the
// top-level "capabilities" of /master/state.
func masterCapabilities(info *mesos.MasterInfo) []any {
	out := []any{}
	for _, c := range info.GetCapabilities() {
		out = append(out, c.GetType().String())
	}
	return out
}

// frameworksJSON is /master/frameworks: every framework, or only id
// (Mesos' ?framework_id=) when it is not "".
func (c *Core) frameworksJSON(id string) any {
	if id == "" {
		registered, completed := c.frameworksList()
		return object{"frameworks": registered, "completed_frameworks": completed, "unregistered_frameworks": []any{}}
	}
	registered, completed := []any{}, []any{}
	if f := c.frameworks[id]; f != nil {
		registered = append(registered, c.frameworkJSON(f))
	}
	for _, f := range c.completed {
		if f.id == id {
			completed = append(completed, c.frameworkJSON(f))
		}
	}
	return object{"frameworks": registered, "completed_frameworks": completed, "unregistered_frameworks": []any{}}
}

// slavesJSON is /master/slaves: every agent, or only id (Mesos'
// ?slave_id=) when it is not "".
func (c *Core) slavesJSON(id string) any {
	if id == "" {
		return object{"slaves": c.slavesList(), "recovered_slaves": []any{}}
	}
	slaves := []any{}
	if a := c.agents[id]; a != nil {
		slaves = append(slaves, c.slaveJSON(a))
	}
	return object{"slaves": slaves, "recovered_slaves": []any{}}
}

// serveFrameworks and serveSlaves answer /master/frameworks and
// /master/slaves, with Mesos' optional framework_id and slave_id.
func (m *Master) serveFrameworks(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("framework_id")
	m.serveJSON(w, r, func(c *Core) any { return c.frameworksJSON(id) })
}

func (m *Master) serveSlaves(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("slave_id")
	m.serveJSON(w, r, func(c *Core) any { return c.slavesJSON(id) })
}

// flagsJSON is /master/flags.
func (c *Core) flagsJSON() any { return object{"flags": c.flags()} }

// flags renders the configuration as Mesos' flags (strings), overlaid with
// Config.Flags as the command line gave them. Like Mesos, it leaves out
// optional flags that are unset.
func (c *Core) flags() map[string]string {
	cfg := c.cfg
	out := map[string]string{
		"hostname":                            cfg.Hostname,
		"ip":                                  cfg.IP,
		"port":                                strconv.Itoa(cfg.Port),
		"allocation_interval":                 protocol.FormatDuration(cfg.AllocationInterval),
		"agent_ping_timeout":                  protocol.FormatDuration(cfg.AgentPingTimeout),
		"max_agent_ping_timeouts":             strconv.Itoa(cfg.MaxAgentPingTimeouts),
		"agent_reregister_timeout":            protocol.FormatDuration(cfg.AgentReregisterTimeout),
		"min_allocatable_resources":           cfg.MinAllocatableResources,
		"max_completed_frameworks":            strconv.Itoa(cfg.MaxCompletedFrameworks),
		"max_completed_tasks_per_framework":   strconv.Itoa(cfg.MaxCompletedTasksPerFramework),
		"max_unreachable_tasks_per_framework": strconv.Itoa(cfg.MaxUnreachableTasksPerFramework),
		"root_submissions":                    strconv.FormatBool(cfg.RootSubmissions),
		"allocator":                           "HierarchicalDRF",
		"framework_sorter":                    orDefault(cfg.FrameworkSorter, "drf"),
		"role_sorter":                         orDefault(cfg.RoleSorter, "drf"),
		"filter_gpu_resources":                strconv.FormatBool(cfg.FilterGPUResources),
		"registry":                            "in_memory",
	}
	if cfg.Weights != "" {
		out["weights"] = cfg.Weights
	}
	if len(cfg.FairSharingExcludedResourceNames) > 0 {
		out["fair_sharing_excluded_resource_names"] = strings.Join(cfg.FairSharingExcludedResourceNames, ",")
	}
	if cfg.OfferTimeout > 0 {
		out["offer_timeout"] = protocol.FormatDuration(cfg.OfferTimeout)
	}
	if cfg.Cluster != "" {
		out["cluster"] = cfg.Cluster
	}
	if cfg.Roles != nil {
		out["roles"] = strings.Join(cfg.Roles, ",")
	}
	// Config.Flags holds every flag of the command line, given or not, as
	// text (flagutil.Values): an unset --offer_timeout reads "0ns", an unset
	// --cluster "". Mesos leaves optional flags that have no value out, so
	// flags given as "" are dropped, and so are the optional flags above
	// when the Config has them unset.
	unset := map[string]bool{
		"offer_timeout":                        cfg.OfferTimeout <= 0,
		"weights":                              cfg.Weights == "",
		"cluster":                              cfg.Cluster == "",
		"roles":                                cfg.Roles == nil,
		"fair_sharing_excluded_resource_names": len(cfg.FairSharingExcludedResourceNames) == 0,
	}
	for k, v := range cfg.Flags {
		if v == "" || unset[k] {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// tasksQuery is what /tasks was asked for.
type tasksQuery struct {
	limit, offset int
	descending    bool
	frameworkID   string
	taskID        string
}

// defaultTasksLimit is /tasks' page size when no limit is given (Mesos').
const defaultTasksLimit = 100

// parseTasksQuery reads /tasks' parameters: limit (default 100), offset
// (default 0), order (asc or desc, default desc), framework_id, task_id.
// parsePage reads a page's limit and offset, each a non-negative integer
// when given; what is not given keeps its default.
func parsePage(q url.Values, limit, offset *int) error {
	for _, p := range []struct {
		name string
		into *int
	}{{"limit", limit}, {"offset", offset}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("Failed to parse %s: '%s' is not a non-negative integer", p.name, v)
		}
		*p.into = n
	}
	return nil
}

func parseTasksQuery(q url.Values) (tasksQuery, error) {
	out := tasksQuery{limit: defaultTasksLimit, descending: true, frameworkID: q.Get("framework_id"), taskID: q.Get("task_id")}
	if err := parsePage(q, &out.limit, &out.offset); err != nil {
		return out, err
	}
	switch q.Get("order") {
	case "", "desc":
	case "asc":
		out.descending = false
	default:
		return out, fmt.Errorf("Failed to parse order: '%s' is not 'asc' or 'desc'", q.Get("order"))
	}
	return out, nil
}

// tasksJSON is /tasks: the tasks of every framework, registered or
// completed (active, unreachable and completed tasks), filtered by
// framework and task id, ordered by the time of their first status update
// (tasks without one, still staging, count as the newest; ties by task
// id, then by where they are listed: framework, then active, unreachable,
// completed; descending is ascending reversed), then paged. Only the first offset+limit tasks in that order
// are kept while looking (a bounded heap), so a page costs a pass over the
// tasks, not a sort of them all.
func (c *Core) tasksJSON(q tasksQuery) any {
	keep := q.offset + q.limit
	if keep < 0 { // overflow: keep everything
		keep = math.MaxInt
	}
	sel := taskSelection{descending: q.descending, keep: keep}
	group := 0
	add := func(f *framework) {
		if q.frameworkID != "" && f.id != q.frameworkID {
			return
		}
		visit := func(t *mesos.Task) {
			if q.taskID != "" && t.GetTaskId().GetValue() != q.taskID {
				return
			}
			sel.offer(t, group)
		}
		for _, t := range f.tasks {
			visit(t)
		}
		group++
		for _, t := range f.unreachableTasks.byID {
			visit(t)
		}
		group++
		for _, t := range f.completedTasks.byID {
			visit(t)
		}
		group++
	}
	for _, id := range sortedKeys(c.frameworks) {
		add(c.frameworks[id])
	}
	for _, f := range c.completed {
		add(f)
	}
	tasks := []taskDoc{}
	for i, e := range sel.sorted() {
		if i >= q.offset {
			tasks = append(tasks, newTaskDoc(e.t))
		}
	}
	return object{"tasks": tasks}
}

// pagedTask is a task as /tasks orders it.
type pagedTask struct {
	t     *mesos.Task
	at    float64 // first status' time; +Inf without one
	id    string
	group int // where it is listed: framework and list, in listing order
}

// taskSelection keeps the first keep tasks in /tasks' order among those
// offered: a heap whose root is the last of them, so a task that comes
// later than all the kept ones costs one comparison.
type taskSelection struct {
	descending bool
	keep       int
	heap       []pagedTask
}

// before says whether a comes before b in the requested order: descending
// is ascending reversed, ties on time and id included (those keep the
// listing order ascending).
func (s *taskSelection) before(a, b *pagedTask) bool {
	if a.at != b.at {
		return a.at < b.at != s.descending
	}
	if a.id != b.id {
		return a.id < b.id != s.descending
	}
	return a.group < b.group != s.descending
}

func (s *taskSelection) offer(t *mesos.Task, group int) {
	if s.keep <= 0 {
		return
	}
	e := pagedTask{t: t, at: math.Inf(1), group: group}
	if ss := t.GetStatuses(); len(ss) > 0 {
		e.at = ss[0].GetTimestamp()
	}
	h := s.heap
	if len(h) == s.keep && e.at != h[0].at && e.at < h[0].at == s.descending {
		return // later than every kept task by its time alone: its id is not read
	}
	e.id = t.GetTaskId().GetValue()
	if len(h) < s.keep {
		// Sift up: the root is the entry that comes last.
		h = append(h, e)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if !s.before(&h[p], &h[i]) {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		s.heap = h
		return
	}
	if !s.before(&e, &h[0]) {
		return
	}
	h[0] = e
	for i := 0; ; {
		l, r, last := 2*i+1, 2*i+2, i
		if l < len(h) && s.before(&h[last], &h[l]) {
			last = l
		}
		if r < len(h) && s.before(&h[last], &h[r]) {
			last = r
		}
		if last == i {
			break
		}
		h[i], h[last] = h[last], h[i]
		i = last
	}
}

// sorted returns the kept tasks in order.
func (s *taskSelection) sorted() []pagedTask {
	slices.SortFunc(s.heap, func(a, b pagedTask) int {
		if s.before(&a, &b) {
			return -1
		}
		if s.before(&b, &a) {
			return 1
		}
		return 0
	})
	return s.heap
}
