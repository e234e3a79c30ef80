package master

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
)

// snapshotTimeout bounds how long an endpoint waits for the master actor.
const snapshotTimeout = 10 * time.Second

// Handler serves the master's HTTP endpoints:
//
//	/master/state, /state          the cluster as Mesos renders it
//	/master/frameworks, /frameworks  frameworks only
//	/master/slaves, /slaves        agents only
//	/master/health, /health        200 with an empty body
//	/master/info                   MasterInfo (protojson, proto field names)
//	/master/flags, /flags          {"flags": {...}}
//
// JSON endpoints accept ?jsonp=callback. Only GET and HEAD are allowed;
// anything else gets 405, unknown paths 404. Every answer is computed from
// a snapshot taken on the master actor; the actor is never blocked by a
// slow client.
func (m *Master) Handler() http.Handler {
	js := func(build func(p *process) any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { m.serveJSON(w, r, build) }
	}
	routes := map[string]http.HandlerFunc{
		"/state":       js((*process).stateJSON),
		"/frameworks":  js((*process).frameworksJSON),
		"/slaves":      js((*process).slavesJSON),
		"/flags":       js((*process).flagsJSON),
		"/health":      m.serveHealth,
		"/info":        m.serveInfo,
		"/state.json":  js((*process).stateJSON),
		"/state-json":  js((*process).stateJSON),
		"/flags.json":  js((*process).flagsJSON),
		"/slaves.json": js((*process).slavesJSON),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if len(path) > 1 {
			path = strings.TrimSuffix(path, "/")
		}
		var h http.HandlerFunc
		if rest, ok := strings.CutPrefix(path, "/master"); ok && strings.HasPrefix(rest, "/") {
			h = routes[rest]
		} else if path != "/info" { // /info only exists under /master
			h = routes[path]
		}
		if h == nil {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, fmt.Sprintf("Expecting 'GET', received '%s'", r.Method), http.StatusMethodNotAllowed)
			return
		}
		h(w, r)
	})
}

// snapshot runs build on the master actor.
func (m *Master) snapshot(r *http.Request, build func(p *process) any) (any, error) {
	ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout)
	defer cancel()
	return m.call(ctx, func() any { return build(m.proc) })
}

var jsonpName = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$.]*$`)

func (m *Master) serveJSON(w http.ResponseWriter, r *http.Request, build func(p *process) any) {
	callback := r.URL.Query().Get("jsonp")
	if callback != "" && !jsonpName.MatchString(callback) {
		http.Error(w, "Invalid 'jsonp' callback name", http.StatusBadRequest)
		return
	}
	v, err := m.snapshot(r, build)
	if err != nil {
		http.Error(w, "Master is unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "Failed to render JSON: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, r, callback, body)
}

func writeJSON(w http.ResponseWriter, r *http.Request, callback string, body []byte) {
	if callback != "" {
		w.Header().Set("Content-Type", "text/javascript")
		body = []byte(callback + "(" + string(body) + ");")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

func (m *Master) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
}

func (m *Master) serveInfo(w http.ResponseWriter, r *http.Request) {
	callback := r.URL.Query().Get("jsonp")
	if callback != "" && !jsonpName.MatchString(callback) {
		http.Error(w, "Invalid 'jsonp' callback name", http.StatusBadRequest)
		return
	}
	body, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m.info)
	if err != nil {
		http.Error(w, "Failed to render MasterInfo: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, r, callback, body)
}
