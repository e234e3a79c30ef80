package master

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

func get(t *testing.T, srv *httptest.Server, method, path string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func getJSON(t *testing.T, srv *httptest.Server, path string) map[string]any {
	t.Helper()
	code, _, body := get(t, srv, http.MethodGet, path)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
	return m
}

func hasKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	var missing []string
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		var have []string
		for k := range m {
			have = append(have, k)
		}
		sort.Strings(have)
		t.Errorf("%s lacks %v (has %v)", what, missing, have)
	}
}

func TestStateJSON(t *testing.T) {
	c := newCluster(t, func(cfg *Config) {
		cfg.Cluster = "test-cluster"
		cfg.Flags = map[string]string{"work_dir": "/var/lib/mesos"}
	})
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()

	a, agentID := c.addAgent("cpus:2;mem:1024;ports:[31000-32000]")
	info := frameworkInfo("framework-one")
	info.Principal = proto.String("p1")
	s, fid := c.subscribe(info)
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	task := commandTask("t1", o, "cpus:1;mem:128")
	task.Labels = &mesos.Labels{Labels: []*mesos.Label{{Key: proto.String("k"), Value: proto.String("v")}}}
	s.SendNow(c.pid, launch(fid, ids(o), nil, task))
	actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "t1", mesos.TaskState_TASK_RUNNING, 1))
	actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
	c.settle()

	for _, path := range []string{"/master/state", "/state", "/master/state.json"} {
		st := getJSON(t, srv, path)
		hasKeys(t, path, st, "version", "git_sha", "build_date", "start_time", "elected_time", "id", "pid", "hostname",
			"activated_slaves", "deactivated_slaves", "unreachable_slaves", "leader", "leader_info", "cluster", "flags",
			"slaves", "frameworks", "completed_frameworks", "orphan_tasks", "unregistered_frameworks")
		if st["version"] != "1.11.0" || st["id"] != c.m.Info().GetId() || st["pid"] != c.pid.String() ||
			st["leader"] != c.pid.String() || st["cluster"] != "test-cluster" || st["activated_slaves"] != 1.0 {
			t.Errorf("%s: top level %v", path, st)
		}
		if f := st["flags"].(map[string]any); f["work_dir"] != "/var/lib/mesos" || f["allocation_interval"] != "1secs" {
			t.Errorf("%s: flags %v", path, f)
		}
	}
	st := getJSON(t, srv, "/master/state")

	slaves := st["slaves"].([]any)
	if len(slaves) != 1 {
		t.Fatalf("slaves %v", slaves)
	}
	sl := slaves[0].(map[string]any)
	hasKeys(t, "slave", sl, "id", "pid", "hostname", "port", "resources", "used_resources", "offered_resources",
		"unreserved_resources", "reserved_resources", "attributes", "active", "version", "capabilities", "registered_time")
	if sl["id"] != agentID || sl["pid"] != a.PID().String() || sl["active"] != true || sl["port"] != 5051.0 {
		t.Errorf("slave %v", sl)
	}
	wantRes := map[string]any{"cpus": 2.0, "mem": 1024.0, "disk": 0.0, "gpus": 0.0, "ports": "[31000-32000]"}
	if got := sl["resources"].(map[string]any); !equalJSON(got, wantRes) {
		t.Errorf("slave resources %v, want %v", got, wantRes)
	}
	if got := sl["used_resources"].(map[string]any); got["cpus"] != 1.0 || got["mem"] != 128.0 {
		t.Errorf("used %v", got)
	}

	fws := st["frameworks"].([]any)
	if len(fws) != 1 {
		t.Fatalf("frameworks %v", fws)
	}
	fw := fws[0].(map[string]any)
	hasKeys(t, "framework", fw, "id", "name", "pid", "user", "role", "roles", "principal", "hostname", "webui_url",
		"failover_timeout", "checkpoint", "active", "connected", "recovered", "registered_time", "unregistered_time",
		"capabilities", "resources", "used_resources", "offered_resources", "tasks", "unreachable_tasks",
		"completed_tasks", "offers", "executors")
	if fw["id"] != fid || fw["name"] != "framework-one" || fw["pid"] != s.PID().String() || fw["role"] != "*" ||
		fw["principal"] != "p1" || fw["active"] != true || fw["connected"] != true || fw["recovered"] != false {
		t.Errorf("framework %v", fw)
	}
	tasks := fw["tasks"].([]any)
	if len(tasks) != 1 {
		t.Fatalf("tasks %v", tasks)
	}
	tk := tasks[0].(map[string]any)
	hasKeys(t, "task", tk, "id", "name", "framework_id", "executor_id", "slave_id", "state", "resources", "statuses", "labels", "role")
	if tk["id"] != "t1" || tk["state"] != "TASK_RUNNING" || tk["slave_id"] != agentID || tk["framework_id"] != fid || tk["role"] != "*" {
		t.Errorf("task %v", tk)
	}
	statuses := tk["statuses"].([]any)
	if len(statuses) != 1 || statuses[0].(map[string]any)["state"] != "TASK_RUNNING" {
		t.Errorf("statuses %v", statuses)
	}
	if _, ok := statuses[0].(map[string]any)["timestamp"]; !ok {
		t.Errorf("status without timestamp: %v", statuses[0])
	}
	if labels := tk["labels"].([]any); len(labels) != 1 || labels[0].(map[string]any)["key"] != "k" {
		t.Errorf("labels %v", labels)
	}

	// Other endpoints.
	if f := getJSON(t, srv, "/master/frameworks"); len(f["frameworks"].([]any)) != 1 {
		t.Errorf("/master/frameworks %v", f)
	}
	if sl := getJSON(t, srv, "/master/slaves"); len(sl["slaves"].([]any)) != 1 {
		t.Errorf("/master/slaves %v", sl)
	}
	for _, path := range []string{"/master/flags", "/flags"} {
		if f := getJSON(t, srv, path); f["flags"].(map[string]any)["port"] != "5050" {
			t.Errorf("%s %v", path, f)
		}
	}
}

func equalJSON(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestHTTPSurface(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()

	if code, _, body := get(t, srv, http.MethodGet, "/health"); code != 200 || body != "" {
		t.Errorf("/health %d %q", code, body)
	}
	if code, _, _ := get(t, srv, http.MethodGet, "/master/health"); code != 200 {
		t.Errorf("/master/health %d", code)
	}

	code, _, body := get(t, srv, http.MethodGet, "/master/info")
	if code != 200 {
		t.Fatalf("/master/info %d", code)
	}
	var info mesos.MasterInfo
	if err := protojson.Unmarshal([]byte(body), &info); err != nil {
		t.Fatalf("/master/info: %v\n%s", err, body)
	}
	if !proto.Equal(&info, c.m.Info()) || !strings.Contains(body, `"hostname"`) || !strings.Contains(body, `"pid"`) {
		t.Errorf("/master/info %s", body)
	}

	code, hdr, body := get(t, srv, http.MethodGet, "/master/state?jsonp=cb")
	if code != 200 || !strings.HasPrefix(body, "cb({") || !strings.HasSuffix(body, "});") || hdr.Get("Content-Type") != "text/javascript" {
		t.Errorf("jsonp: %d %q %q", code, hdr.Get("Content-Type"), body[:min(40, len(body))])
	}
	if code, _, _ := get(t, srv, http.MethodGet, "/master/state?jsonp=alert(1)"); code != http.StatusBadRequest {
		t.Errorf("bad jsonp name: %d", code)
	}
	if code, _, _ := get(t, srv, http.MethodGet, "/nope"); code != http.StatusNotFound {
		t.Errorf("/nope %d", code)
	}
	if code, _, _ := get(t, srv, http.MethodGet, "/info"); code != http.StatusNotFound {
		t.Errorf("/info %d", code)
	}
	for _, path := range []string{"/master/state", "/state", "/master/flags", "/master/info", "/health"} {
		code, hdr, body = get(t, srv, http.MethodPost, path)
		if code != http.StatusMethodNotAllowed || hdr.Get("Allow") != "GET, HEAD" ||
			strings.TrimSpace(body) != "405 Method Not Allowed. Expecting one of { 'GET', 'HEAD' }, but received 'POST'." {
			t.Errorf("POST %s: %d %q %q", path, code, hdr.Get("Allow"), body)
		}
	}
	if code, _, body := get(t, srv, http.MethodHead, "/master/state"); code != 200 || body != "" {
		t.Errorf("HEAD: %d %q", code, body)
	}
}

func TestHTTPAfterStop(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	c.m.Stop()
	if code, _, _ := get(t, srv, http.MethodGet, "/master/state"); code != http.StatusServiceUnavailable {
		t.Errorf("state after stop: %d", code)
	}
	if code, _, _ := get(t, srv, http.MethodGet, "/master/info"); code != 200 {
		t.Errorf("info after stop: %d", code)
	}
}

// jsonpPaths are the master's JSON endpoints that take ?jsonp=.
var jsonpPaths = []string{
	"/master/state", "/state", "/master/state.json", "/state.json", "/master/state-json",
	"/master/flags", "/flags", "/master/flags.json", "/master/frameworks", "/master/slaves",
	"/master/slaves.json", "/master/roles", "/master/weights", "/master/quota", "/master/info",
}

func TestJSONPCallbacks(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()

	for _, path := range jsonpPaths {
		for _, cb := range []string{"cb", "angular.callbacks._0", "jQuery1_2", "$"} {
			code, hdr, body := get(t, srv, http.MethodGet, path+"?jsonp="+url.QueryEscape(cb))
			if code != 200 || hdr.Get("Content-Type") != "text/javascript" ||
				!strings.HasPrefix(body, cb+"(") || !strings.HasSuffix(body, ");") {
				t.Errorf("%s?jsonp=%s: %d %q %q", path, cb, code, hdr.Get("Content-Type"), body[:min(60, len(body))])
				continue
			}
			var v any // /weights is an array
			if err := json.Unmarshal([]byte(body[len(cb)+1:len(body)-2]), &v); err != nil {
				t.Errorf("%s?jsonp=%s: not JSON inside: %v", path, cb, err)
			}
		}
		for _, cb := range []string{"<script>", "alert(1)", "a b", "1abc", "a[0]", "a;b", "a..b", "x</script>"} {
			code, hdr, body := get(t, srv, http.MethodGet, path+"?jsonp="+url.QueryEscape(cb))
			if code != http.StatusBadRequest || strings.TrimSpace(body) != "Invalid 'jsonp' callback name" ||
				hdr.Get("Content-Type") == "text/javascript" {
				t.Errorf("%s?jsonp=%q: %d %q %q", path, cb, code, hdr.Get("Content-Type"), body)
			}
		}
		code, hdr, body := get(t, srv, http.MethodGet, path)
		if code != 200 || hdr.Get("Content-Type") != "application/json" || !json.Valid([]byte(body)) {
			t.Errorf("%s: %d %q", path, code, hdr.Get("Content-Type"))
		}
	}
}

func TestTrailingSlash(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()

	// libprocess trims trailing slashes before it looks the endpoint up,
	// so Mesos serves these.
	for _, path := range []string{"/master/state/", "/state/", "/master/state//", "/master/flags/", "/master/health/", "/metrics/snapshot/"} {
		if code, _, _ := get(t, srv, http.MethodGet, path); code != 200 {
			t.Errorf("%s: %d", path, code)
		}
	}
	for _, path := range []string{"/master/", "/", "/master/nope/", "/info/", "/master/statex"} {
		if code, _, _ := get(t, srv, http.MethodGet, path); code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, code)
		}
	}
}

func TestLeaderInfo(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()

	info := c.m.Info()
	st := getJSON(t, srv, "/master/state")
	want := map[string]any{
		"id": info.GetId(), "pid": info.GetPid(), "port": 5050.0, "hostname": "localhost",
	}
	if got := st["leader_info"].(map[string]any); !equalJSON(got, want) {
		t.Errorf("leader_info %v, want %v", got, want)
	}
	if _, ok := st["domain"]; ok {
		t.Errorf("domain without one: %v", st["domain"])
	}
	if caps, ok := st["capabilities"].([]any); !ok || len(caps) != len(info.GetCapabilities()) {
		t.Errorf("capabilities %v", st["capabilities"])
	}

	// With a domain and capabilities, as Mesos renders them.
	info.Domain = &mesos.DomainInfo{FaultDomain: &mesos.DomainInfo_FaultDomain{
		Region: &mesos.DomainInfo_FaultDomain_RegionInfo{Name: proto.String("eu")},
		Zone:   &mesos.DomainInfo_FaultDomain_ZoneInfo{Name: proto.String("eu-1a")},
	}}
	info.Capabilities = []*mesos.MasterInfo_Capability{{Type: mesos.MasterInfo_Capability_AGENT_UPDATE.Enum()}}
	got := masterInfoJSON(info)
	want["domain"] = map[string]any{"fault_domain": map[string]any{
		"region": map[string]any{"name": "eu"}, "zone": map[string]any{"name": "eu-1a"}}}
	if !equalJSON(roundTrip(t, got), want) {
		t.Errorf("masterInfoJSON %v, want %v", got, want)
	}
	if caps := masterCapabilities(info); len(caps) != 1 || caps[0] != "AGENT_UPDATE" {
		t.Errorf("masterCapabilities %v", caps)
	}
	if d := domainJSON(&mesos.DomainInfo{}); len(d) != 0 {
		t.Errorf("empty domain %v", d)
	}
}

func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestFlagsOmitUnset(t *testing.T) {
	// What the binaries pass: every flag, given or not (flagutil.Values).
	dump := map[string]string{
		"offer_timeout": "0ns", "cluster": "", "hostname": "", "weights": "", "roles": "",
		"fair_sharing_excluded_resource_names": "", "work_dir": "", "ip": "127.0.0.1",
		"port": "5050", "allocation_interval": "1secs",
	}
	c := newCluster(t, func(cfg *Config) { cfg.Flags = dump })
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	for _, path := range []string{"/master/flags", "/master/state"} {
		f := getJSON(t, srv, path)["flags"].(map[string]any)
		for _, k := range []string{"offer_timeout", "cluster", "hostname", "weights", "roles", "fair_sharing_excluded_resource_names", "work_dir"} {
			if v, ok := f[k]; ok {
				t.Errorf("%s: unset flag %s = %q", path, k, v)
			}
		}
		for k, v := range map[string]string{"ip": "127.0.0.1", "port": "5050", "allocation_interval": "1secs", "max_agent_ping_timeouts": "5"} {
			if f[k] != v {
				t.Errorf("%s: %s = %v, want %q", path, k, f[k], v)
			}
		}
	}

	// Given, they are shown as given.
	c2 := newCluster(t, func(cfg *Config) {
		cfg.OfferTimeout = 30 * time.Second
		cfg.Cluster = "prod"
		cfg.Flags = map[string]string{"offer_timeout": "30secs", "cluster": "prod", "hostname": "m1"}
	})
	srv2 := httptest.NewServer(c2.m.Handler())
	defer srv2.Close()
	f := getJSON(t, srv2, "/master/flags")["flags"].(map[string]any)
	if f["offer_timeout"] != "30secs" || f["cluster"] != "prod" || f["hostname"] != "m1" {
		t.Errorf("given flags %v", f)
	}
}
