package slave

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gomesos/gomesos/internal/httpjson"
	"github.com/gomesos/gomesos/internal/jsonmodel"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
	"google.golang.org/protobuf/proto"
)

const snapshotTimeout = 10 * time.Second

type httpAPI struct {
	s         *Slave
	lastState atomic.Int64    // the length of the last /state answer
	resources *resourcesCache // used on the agent's actor only
}

// newHTTP serves the agent's endpoints: /state (and /state.json), /flags,
// /health, /monitor/statistics and /containers (monitor.go). They allow GET and HEAD (anything else gets 405 with
// "Allow: GET, HEAD"); JSON answers take ?jsonp=callback, checked and
// written by package httpjson exactly as the master's are. A trailing slash
// is ignored ("/state/" is /state), as libprocess trims it; other paths 404.
func newHTTP(s *Slave) http.Handler {
	h := &httpAPI{s: s, resources: newResourcesCache()}
	routes := map[string]http.HandlerFunc{
		"/state":      h.state,
		"/state.json": h.state,
		"/health":     h.health,
		"/flags":      h.flags,

		"/monitor/statistics":      h.monitorStatistics,
		"/monitor/statistics.json": h.monitorStatistics,
		"/containers":              h.containers,
	}
	for path, f := range filesRoutes(h) { // files.go
		routes[path] = f
	}
	routes["/metrics/snapshot"] = s.metrics.Handler().ServeHTTP
	routes["/metrics"] = s.metrics.PrometheusHandler().ServeHTTP
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, ok := routes[strings.TrimRight(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if !httpjson.ReadOnly(w, r) {
			return
		}
		route(w, r)
	})
}

func (h *httpAPI) health(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
}

func (h *httpAPI) flags(w http.ResponseWriter, r *http.Request) {
	httpjson.Write(w, r, map[string]any{"flags": h.s.flagValues()})
}

func (h *httpAPI) state(w http.ResponseWriter, r *http.Request) {
	if _, ok := httpjson.Callback(w, r); !ok {
		return // checked before the actor does any work
	}
	pid := h.s.PID()
	if pid.IsZero() {
		http.Error(w, "Agent has not started yet", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout)
	defer cancel()
	// Written to bytes on the actor (cheaper than the maps it would
	// otherwise build there for encoding/json), into a buffer the size of
	// the last answer and a bit.
	last := h.lastState.Load()
	buf := make([]byte, 0, last+last/8+1024)
	v, err := h.s.node.Call(ctx, pid, func() any {
		b, err := h.s.p.core.appendState(buf, h.s.flagValues(), h.resources)
		return rendered{b, err}
	})
	if err != nil {
		http.Error(w, "Agent is not available: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	out := v.(rendered)
	if out.err != nil {
		http.Error(w, "Failed to render JSON: "+out.err.Error(), http.StatusInternalServerError)
		return
	}
	h.lastState.Store(int64(len(out.body)))
	httpjson.WriteBytes(w, r, out.body)
}

// rendered is a document rendered on the actor.
type rendered struct {
	body []byte
	err  error
}

// flagValues are the flags shown by /flags and /state.
func (s *Slave) flagValues() map[string]string {
	if s.cfg.Flags != nil {
		// Every flag of the command line, given or not: Mesos leaves out
		// optional flags without a value, so flags given as "" are dropped.
		out := make(map[string]string, len(s.cfg.Flags))
		for k, v := range s.cfg.Flags {
			if v != "" {
				out[k] = v
			}
		}
		return out
	}
	c := s.cfg
	out := map[string]string{
		"work_dir":                        c.WorkDir,
		"port":                            itoa(c.Port),
		"default_role":                    c.DefaultRole,
		"isolation":                       c.Isolation,
		"launcher":                        c.Launcher,
		"launcher_dir":                    c.LauncherDir,
		"executor_registration_timeout":   protocol.FormatDuration(c.ExecutorRegistrationTimeout),
		"executor_reregistration_timeout": protocol.FormatDuration(c.ExecutorReregistrationTimeout),
		"recover":                         c.Recover,
		"strict":                          strconv.FormatBool(!c.NonStrict),
		"executor_shutdown_grace_period":  protocol.FormatDuration(c.ExecutorShutdownGracePeriod),
		"registration_backoff_factor":     protocol.FormatDuration(c.RegistrationBackoffFactor),
		"hostname":                        c.Hostname,
	}
	if c.Master != "" {
		out["master"] = c.Master
	}
	if c.Resources != "" {
		out["resources"] = c.Resources
	}
	if c.Attributes != "" {
		out["attributes"] = c.Attributes
	}
	if c.IP != "" {
		out["ip"] = c.IP
	}
	return out
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// Snapshot builds the agent's part of /state (all but "flags"); call it on
// the goroutine that drives the core.
func (c *Core) Snapshot() map[string]any {
	st := c.snapshotHeader()
	frameworks := []any{}
	for _, fid := range c.frameworkOrder {
		frameworks = append(frameworks, c.frameworkJSON(c.frameworks[fid]))
	}
	st["frameworks"] = frameworks
	completed := []any{}
	for _, f := range c.completedFrameworks {
		completed = append(completed, c.frameworkJSON(f))
	}
	st["completed_frameworks"] = completed
	return st
}

// snapshotHeader is Snapshot without the frameworks.
func (c *Core) snapshotHeader() map[string]any {
	st := map[string]any{
		"version":    MesosVersion,
		"start_time": float64(c.startTime.UnixNano()) / 1e9,
		"id":         c.info.GetId().GetValue(),
		"pid":        c.self.String(),
		"hostname":   c.info.GetHostname(),
		"capabilities": []string{
			"MULTI_ROLE", "HIERARCHICAL_ROLE", "RESERVATION_REFINEMENT",
		},
		"resources":            c.total.JSON(),
		"unreserved_resources": c.total.Unreserved().JSON(),
		"attributes":           jsonmodel.Attributes(c.info.GetAttributes()),
	}
	reserved := map[string]any{}
	for role, r := range c.total.Reservations() {
		reserved[role] = r.JSON()
	}
	st["reserved_resources"] = reserved
	if !c.leader().IsZero() {
		host := c.follower.Info().GetHostname()
		if host == "" {
			if h, _, err := net.SplitHostPort(c.leader().Address); err == nil {
				host = h
			}
		}
		st["master_hostname"] = host
	}
	return st
}

// frameworkRoles are a MULTI_ROLE framework's roles (multi true), as
// /state lists them.
func frameworkRoles(f *framework) (roles []string, multi bool) {
	if !protocol.HasCapability(f.info, mesos.FrameworkInfo_Capability_MULTI_ROLE) {
		return nil, false
	}
	roles = f.info.GetRoles()
	if roles == nil {
		roles = []string{}
	}
	return roles, true
}

func (c *Core) frameworkJSON(f *framework) map[string]any {
	out := map[string]any{
		"id":               f.id,
		"name":             f.info.GetName(),
		"user":             f.info.GetUser(),
		"failover_timeout": f.info.GetFailoverTimeout(),
		"checkpoint":       f.info.GetCheckpoint(),
		"hostname":         f.info.GetHostname(),
	}
	if f.info.Principal != nil {
		out["principal"] = f.info.GetPrincipal()
	}
	if roles, multi := frameworkRoles(f); multi {
		out["roles"] = roles
	} else {
		out["role"] = f.info.GetRole()
	}
	execs := []any{}
	for _, e := range f.executors {
		execs = append(execs, c.executorJSON(e))
	}
	out["executors"] = execs
	done := []any{}
	for _, e := range f.completedExecutors {
		done = append(done, c.executorJSON(e))
	}
	out["completed_executors"] = done
	return out
}

func (c *Core) executorJSON(e *executor) map[string]any {
	out := map[string]any{
		"id":        e.id,
		"name":      e.info.GetName(),
		"source":    e.info.GetSource(),
		"container": e.containerID,
		"directory": c.sandbox(e),
		"resources": e.allocated().JSON(),
	}
	if rs := e.info.GetResources(); len(rs) > 0 {
		out["role"] = rs[0].GetAllocationInfo().GetRole()
	}
	if e.info.Labels != nil {
		out["labels"] = protoJSON(e.info.GetLabels())["labels"]
	}
	if e.info.Type != nil {
		out["type"] = e.info.GetType().String()
	}
	tasks := []any{}
	for _, t := range e.launchedTasks() {
		tasks = append(tasks, jsonmodel.Task(t))
	}
	out["tasks"] = tasks
	queued := []any{}
	for _, t := range e.queued {
		queued = append(queued, taskInfoJSON(t))
	}
	out["queued_tasks"] = queued
	completed := []any{}
	for _, t := range e.completed {
		completed = append(completed, jsonmodel.Task(t))
	}
	for _, t := range e.terminatedTasks() {
		completed = append(completed, jsonmodel.Task(t))
	}
	out["completed_tasks"] = completed
	return out
}

func taskInfoJSON(t *mesos.TaskInfo) map[string]any {
	out := map[string]any{
		"id":        t.GetTaskId().GetValue(),
		"name":      t.GetName(),
		"slave_id":  t.GetSlaveId().GetValue(),
		"resources": resources.Resources(t.GetResources()).JSON(),
	}
	if rs := t.GetResources(); len(rs) > 0 {
		out["role"] = rs[0].GetAllocationInfo().GetRole()
	}
	if t.Command != nil {
		out["command"] = commandJSON(t.GetCommand())
	}
	if t.Executor != nil {
		out["executor_id"] = t.GetExecutor().GetExecutorId().GetValue()
	}
	if t.Discovery != nil {
		out["discovery"] = protoJSON(t.GetDiscovery())
	}
	return out
}

// commandJSON is protoJSON of a command, without protojson's round trip
// for one that has no URIs, environment or unknown fields (a queued
// command task's usually).
func commandJSON(c *mesos.CommandInfo) map[string]any {
	if len(c.GetUris()) > 0 || c.Environment != nil || len(c.ProtoReflect().GetUnknown()) > 0 {
		return protoJSON(c)
	}
	out := map[string]any{}
	if c.Value != nil {
		out["value"] = c.GetValue()
	}
	if c.User != nil {
		out["user"] = c.GetUser()
	}
	if c.Shell != nil {
		out["shell"] = c.GetShell()
	}
	if len(c.Arguments) > 0 {
		args := make([]any, len(c.Arguments))
		for i, a := range c.Arguments {
			args[i] = a
		}
		out["arguments"] = args
	}
	return out
}

// protoJSON renders a message with Mesos' field names.
func protoJSON(m proto.Message) map[string]any {
	if o, ok := jsonmodel.Proto(m).(map[string]any); ok {
		return o
	}
	return map[string]any{}
}
