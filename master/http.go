package master

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gomesos/gomesos/internal/files"
	"github.com/gomesos/gomesos/internal/httpjson"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/metrics"
)

// snapshotTimeout bounds how long an endpoint waits for the master actor.
const snapshotTimeout = 10 * time.Second

// Handler serves the master's HTTP endpoints:
//
//	/master/state, /state          the cluster as Mesos renders it
//	/master/frameworks, /frameworks  frameworks only
//	/master/slaves, /slaves        agents only
//	/master/roles, /roles          roles: weight, quota, resources, frameworks
//	/master/weights, /weights      GET the weights, PUT new ones
//	/master/quota, /quota          GET quotas, POST one, DELETE /quota/<role>
//	/master/health, /health        200 with an empty body
//	/master/info                   MasterInfo (protojson, proto field names)
//	/master/flags, /flags          {"flags": {...}}
//	/master/tasks, /tasks          tasks, paged: limit, offset, order, framework_id, task_id
//	/master/state-summary, /state-summary  agents and frameworks without their tasks (summary.go)
//	/master/offers, /offers        outstanding offers, paged: limit, offset, framework_id, slave_id (summary.go)
//	/master/stream, /stream        changes as server-sent events (stream.go)
//	/master/allocation-history     the last hour's allocation, a sample every 15 s; ?since=<secs> (history.go)
//	/metrics/snapshot              every metric, flat, under Mesos' names
//	/metrics                       the same values for Prometheus (text exposition format)
//	/allocator/explain?framework_id=ID  why the framework is or is not offered each agent (JSON)
//	/files/browse, /files/read, /files/download, /files/debug  the master's log as /master/log (--log_dir)
//
// JSON endpoints accept ?jsonp=callback (see package httpjson: a callback
// that is not a dotted identifier gets 400). Read-only endpoints allow GET
// and HEAD; /weights and /quota their methods; anything else gets 405
// (with an Allow header), unknown paths 404. A trailing slash is ignored
// ("/master/state/" is /master/state), as libprocess trims it before
// looking up the endpoint. Every answer is computed on the master actor
// but /master/state's, which is encoded off it from a snapshot taken on it
// (stateflight.go, staterender*.go); the actor is never blocked by a slow
// client. The handler also has
// CloseStreams (see stream.go), for the HTTP server's shutdown.
func (m *Master) Handler() http.Handler {
	js := func(build func(c *Core) any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { m.serveJSON(w, r, build) }
	}
	type route struct {
		methods []string // nil: GET and HEAD
		h       http.HandlerFunc
	}
	ro := func(h http.HandlerFunc) route { return route{h: h} }
	hub := newStreamHub(m)
	state := &stateFlight{m: m}
	routes := map[string]route{
		"/state":             ro(state.serveState),
		"/frameworks":        ro(m.serveFrameworks),
		"/slaves":            ro(m.serveSlaves),
		"/roles":             ro(js((*Core).rolesJSON)),
		"/tasks":             ro(m.serveTasks),
		"/state-summary":     ro(js(func(c *Core) any { return c.summary() })),
		"/stream":            ro(hub.serveStream),
		"/tasks.json":        ro(m.serveTasks),
		"/offers":            ro(m.serveOffers),
		"/allocator/explain": ro(m.serveExplain),
		"/flags":             ro(js((*Core).flagsJSON)),
		"/health":            ro(m.serveHealth),
		"/info":              ro(m.serveInfo),
		"/state.json":        ro(state.serveState),
		"/state-json":        ro(state.serveState),
		"/flags.json":        ro(js((*Core).flagsJSON)),
		"/slaves.json":       ro(m.serveSlaves),
		"/roles.json":        ro(js((*Core).rolesJSON)),
		"/weights":           {methods: []string{"GET", "PUT"}, h: m.serveWeights},
		"/quota":             {methods: []string{"GET", "POST", "DELETE"}, h: m.serveQuota},

		"/allocation-history": ro(m.serveAllocationHistory),
	}
	common := commonRoutes(m.metrics, m.cfg.LogFile)
	return streamsHandler{hub: hub, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimRight(r.URL.Path, "/")
		if common(w, r, path) {
			return
		}
		rt, ok := routes[routeKey(path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if rt.methods == nil {
			if !httpjson.ReadOnly(w, r) {
				return
			}
		} else if !slices.Contains(rt.methods, r.Method) {
			httpjson.MethodNotAllowed(w, r, rt.methods...)
			return
		}
		rt.h(w, r)
	})}
}

// commonRoutes serves what a master answers whether it leads or not: the
// metrics (/metrics/snapshot, and /metrics for Prometheus) and its log
// through /files. The returned func reports whether it answered path.
func commonRoutes(reg *metrics.Registry, logFile string) func(w http.ResponseWriter, r *http.Request, path string) bool {
	snapshot, prom := reg.Handler(), reg.PrometheusHandler()
	fileRoutes := files.Routes(logAttached(logFile))
	return func(w http.ResponseWriter, r *http.Request, path string) bool {
		switch path {
		case "/metrics/snapshot":
			snapshot.ServeHTTP(w, r)
			return true
		case "/metrics":
			prom.ServeHTTP(w, r)
			return true
		}
		if h, ok := fileRoutes[path]; ok {
			if httpjson.ReadOnly(w, r) {
				h(w, r)
			}
			return true
		}
		return false
	}
}

// routeKey is the route a request path (trailing slash trimmed) names:
// the path without its /master prefix ("/master/state" and "/state" are
// "/state"), "/quota" for DELETE /quota/<role>, "" for /info without the
// prefix (it only exists under /master).
func routeKey(path string) string {
	key := path
	if rest, ok := strings.CutPrefix(path, "/master"); ok && strings.HasPrefix(rest, "/") {
		key = rest
	} else if path == "/info" {
		key = ""
	}
	if strings.HasPrefix(key, "/quota/") {
		key = "/quota"
	}
	return key
}

// snapshot runs build on the master actor.
func (m *Master) snapshot(r *http.Request, build func(c *Core) any) (any, error) {
	ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout)
	defer cancel()
	return m.call(ctx, func() any { return build(m.proc.core) })
}

func (m *Master) serveJSON(w http.ResponseWriter, r *http.Request, build func(c *Core) any) {
	if _, ok := httpjson.Callback(w, r); !ok {
		return // checked before the actor does any work
	}
	v, err := m.snapshot(r, build)
	if err != nil {
		http.Error(w, "Master is unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	httpjson.Write(w, r, v)
}

// serveHealth answers 200 while the master serves (Mesos' /health).
func (m *Master) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
}

func (m *Master) serveInfo(w http.ResponseWriter, r *http.Request) {
	if _, ok := httpjson.Callback(w, r); !ok {
		return
	}
	body, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m.info)
	if err != nil {
		http.Error(w, "Failed to render MasterInfo: "+err.Error(), http.StatusInternalServerError)
		return
	}
	httpjson.WriteBytes(w, r, body)
}

// serveTasks answers /tasks; bad parameters get 400 before the actor does
// any work.
func (m *Master) serveTasks(w http.ResponseWriter, r *http.Request) {
	q, err := parseTasksQuery(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	m.serveJSON(w, r, func(c *Core) any { return c.tasksJSON(q) })
}

// serveOffers answers /master/offers; bad parameters get 400.
func (m *Master) serveOffers(w http.ResponseWriter, r *http.Request) {
	q, err := parseOffersQuery(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	m.serveJSON(w, r, func(c *Core) any { return c.offersPage(q) })
}

// serveExplain answers /allocator/explain?framework_id=ID from the
// allocator actor: 400 without framework_id, 404 for a framework the
// allocator does not know.
func (m *Master) serveExplain(w http.ResponseWriter, r *http.Request) {
	fid := r.URL.Query().Get("framework_id")
	if fid == "" {
		http.Error(w, "Missing 'framework_id' query parameter", http.StatusBadRequest)
		return
	}
	if _, ok := httpjson.Callback(w, r); !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout)
	defer cancel()
	ex, err := m.alloc.Explain(ctx, fid)
	switch {
	case errors.Is(err, allocator.ErrUnknownFramework):
		http.Error(w, "Framework '"+fid+"' is not known to the allocator", http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, "Allocator is unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	httpjson.Write(w, r, ex)
}

// LogVirtualPath is where /files finds the master's log.
const LogVirtualPath = "/master/log"

// logAttached are the paths /files serves: the master's log, if it has
// one.
func logAttached(logFile string) files.Attached {
	return func(*http.Request) (map[string]string, error) {
		out := map[string]string{}
		if logFile != "" {
			out[LogVirtualPath] = logFile
		}
		return out, nil
	}
}
