package master

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/gomesos/gomesos/internal/httpjson"
	"github.com/gomesos/gomesos/messages/mesos"
)

// Handler serves a supervised master's HTTP endpoints:
//
//	/master/redirect, /redirect    307 to the leading master's base URL
//	                               (//hostname:port, as Mesos), 503 with
//	                               "No leader elected" when none is known
//
// and, while this master leads, everything Master.Handler serves. While it
// does not lead (a standby, or contending), it serves on its own
// /master/state (and /state, /state.json, /state-json: this master, empty
// of agents and frameworks, not the leader: "leader" and "leader_info"
// name the leader when one is known, "elected_time" is absent),
// /master/flags, /master/health, /metrics, /metrics/snapshot (master/elected
// is 0) and /files (its log); every other path is the leader's: 307 to the
// same path and query at the leader, or 503 "No leader elected".
func (s *Supervisor) Handler() http.Handler {
	common := commonRoutes(s.metrics, s.cfg.LogFile)
	return supervisorHandler{s: s, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := s.view.Load()
		path := strings.TrimRight(r.URL.Path, "/")
		if path == "/redirect" || path == "/master/redirect" {
			redirect(w, r, v.leader, "")
			return
		}
		if strings.HasPrefix(path, "/redirect/") || strings.HasPrefix(path, "/master/redirect/") {
			http.NotFound(w, r) // no redirect loops
			return
		}
		if v.handler != nil {
			v.handler.ServeHTTP(w, r)
			return
		}
		if common(w, r, path) {
			return
		}
		switch routeKey(path) {
		case "/state", "/state.json", "/state-json":
			if _, ok := httpjson.Callback(w, r); ok && httpjson.ReadOnly(w, r) {
				httpjson.Write(w, r, s.standbyState(v))
			}
		case "/flags", "/flags.json":
			if _, ok := httpjson.Callback(w, r); ok && httpjson.ReadOnly(w, r) {
				httpjson.Write(w, r, object{"flags": (&Core{cfg: s.cfg}).flags()})
			}
		case "/health":
			if httpjson.ReadOnly(w, r) {
				w.WriteHeader(http.StatusOK)
			}
		default:
			redirect(w, r, v.leader, r.URL.RequestURI())
		}
	})}
}

// supervisorHandler is the supervisor's handler with a way to end the
// leading master's /master/stream responses (for a daemon's shutdown).
type supervisorHandler struct {
	http.Handler
	s *Supervisor
}

// CloseStreams ends the streams of the master leading now, if any.
func (h supervisorHandler) CloseStreams() {
	if v := h.s.view.Load(); v != nil {
		closeStreams(v.handler)
	}
}

// closeStreams ends the /master/stream responses of a master's handler.
func closeStreams(h http.Handler) {
	if c, ok := h.(interface{ CloseStreams() }); ok {
		c.CloseStreams()
	}
}

// redirect answers 307 to uri at the leader's base URL (uri "": the base
// itself), or 503 when no leader is known. The location is
// protocol-relative, as Mesos writes it, so the client keeps its scheme.
func redirect(w http.ResponseWriter, r *http.Request, leader *mesos.MasterInfo, uri string) {
	if leader == nil {
		http.Error(w, "No leader elected", http.StatusServiceUnavailable)
		return
	}
	http.Redirect(w, r, "//"+LeaderHostPort(leader)+uri, http.StatusTemporaryRedirect)
}

// LeaderHostPort is where a leader's HTTP endpoints are, as Mesos'
// redirects name it: its hostname (its address' IP when it has none) and
// its port.
func LeaderHostPort(info *mesos.MasterInfo) string {
	host := info.GetHostname()
	if host == "" {
		host = info.GetAddress().GetIp()
	}
	return net.JoinHostPort(host, strconv.Itoa(int(info.GetPort())))
}

// standbyState is a standby's /master/state: Mesos' shape, empty of
// agents and frameworks, the leader named when known.
func (s *Supervisor) standbyState(v *supervisorView) object {
	out := object{
		"version":                 Version,
		"git_sha":                 "",
		"build_date":              "",
		"build_time":              0,
		"build_user":              "",
		"start_time":              seconds(s.started),
		"id":                      v.self.GetId(),
		"pid":                     s.self.String(),
		"hostname":                s.cfg.Hostname,
		"capabilities":            []any{},
		"activated_slaves":        0,
		"deactivated_slaves":      0,
		"unreachable_slaves":      0,
		"flags":                   (&Core{cfg: s.cfg}).flags(),
		"slaves":                  []any{},
		"recovered_slaves":        []any{},
		"frameworks":              []any{},
		"completed_frameworks":    []any{},
		"orphan_tasks":            []any{},
		"unregistered_frameworks": []any{},
	}
	if v.self != nil {
		out["capabilities"] = masterCapabilities(v.self)
	}
	if v.leader != nil {
		out["leader"] = v.leader.GetPid()
		out["leader_info"] = masterInfoJSON(v.leader)
	}
	if s.cfg.Cluster != "" {
		out["cluster"] = s.cfg.Cluster
	}
	if d := s.cfg.Flags["log_dir"]; d != "" {
		out["log_dir"] = d
	}
	return out
}
