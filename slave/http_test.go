package slave

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

func TestHTTPEndpoints(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	h.runTask(customTask("t1", "e1"))
	ex := <-h.cont.executors
	actortest.Must[*mesosinternal.RunTaskMessage](t, ex.Peer, nil)
	h.barrier()

	srv := httptest.NewServer(h.s.Handler())
	defer srv.Close()

	get := func(path string) (int, map[string]any) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if code, _ := get("/health"); code != http.StatusOK {
		t.Fatalf("/health = %d", code)
	}
	code, flags := get("/flags")
	if code != http.StatusOK || flags["flags"].(map[string]any)["work_dir"] != h.s.cfg.WorkDir {
		t.Fatalf("/flags = %d %v", code, flags)
	}
	code, st := get("/state")
	if code != http.StatusOK {
		t.Fatalf("/state = %d", code)
	}
	if st["id"] != agentID || st["pid"] != h.agent.String() || st["hostname"] != "agent.test" {
		t.Fatalf("/state header = %v %v %v", st["id"], st["pid"], st["hostname"])
	}
	res := st["resources"].(map[string]any)
	if res["cpus"] != 2.0 || res["mem"] != 1024.0 || res["ports"] != "[31000-31100]" {
		t.Fatalf("resources = %v", res)
	}
	if attrs := st["attributes"].(map[string]any); attrs["rack"] != "r1" || attrs["u"] != 2.0 {
		t.Fatalf("attributes = %v", attrs)
	}
	fw := st["frameworks"].([]any)[0].(map[string]any)
	if fw["id"] != "fw-1" || fw["name"] != "fw" || fw["user"] != "nobody" {
		t.Fatalf("framework = %v", fw)
	}
	e := fw["executors"].([]any)[0].(map[string]any)
	tasks := e["tasks"].([]any)
	if e["id"] != "e1" || len(tasks) != 1 {
		t.Fatalf("executor = %v", e)
	}
	task := tasks[0].(map[string]any)
	if task["id"] != "t1" || task["framework_id"] != "fw-1" || task["executor_id"] != "e1" || task["slave_id"] != agentID {
		t.Fatalf("task = %v", task)
	}
	if task["state"] != "TASK_STAGING" && task["state"] != "TASK_RUNNING" {
		t.Fatalf("task state = %v", task["state"])
	}
	resp, _ := http.Post(srv.URL+"/state", "text/plain", nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /state = %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func do(t *testing.T, srv *httptest.Server, method, path string) (int, http.Header, string) {
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

// The agent checks ?jsonp= callbacks as the master does (package httpjson):
// a good name wraps the JSON, anything else is 400 and is never echoed.
func TestHTTPJSONP(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	srv := httptest.NewServer(h.s.Handler())
	defer srv.Close()

	for _, path := range []string{"/state", "/state.json", "/flags"} {
		for _, cb := range []string{"cb", "angular.callbacks._0", "jQuery1_2", "$"} {
			code, hdr, body := do(t, srv, http.MethodGet, path+"?jsonp="+url.QueryEscape(cb))
			if code != 200 || hdr.Get("Content-Type") != "text/javascript" ||
				!strings.HasPrefix(body, cb+"({") || !strings.HasSuffix(body, "});") {
				t.Errorf("%s?jsonp=%s: %d %q %q", path, cb, code, hdr.Get("Content-Type"), body[:min(60, len(body))])
				continue
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(body[len(cb)+1:len(body)-2]), &v); err != nil {
				t.Errorf("%s?jsonp=%s: not JSON inside: %v", path, cb, err)
			}
		}
		for _, cb := range []string{"<script>", "alert(1)", "a b", "1abc", "a[0]", "a;b", "a..b", "x</script>"} {
			code, hdr, body := do(t, srv, http.MethodGet, path+"?jsonp="+url.QueryEscape(cb))
			if code != http.StatusBadRequest || strings.TrimSpace(body) != "Invalid 'jsonp' callback name" ||
				hdr.Get("Content-Type") == "text/javascript" {
				t.Errorf("%s?jsonp=%q: %d %q %q", path, cb, code, hdr.Get("Content-Type"), body)
			}
		}
		code, hdr, body := do(t, srv, http.MethodGet, path)
		if code != 200 || hdr.Get("Content-Type") != "application/json" || !json.Valid([]byte(body)) {
			t.Errorf("%s: %d %q", path, code, hdr.Get("Content-Type"))
		}
	}
}

func TestHTTPMethodsAndPaths(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	srv := httptest.NewServer(h.s.Handler())
	defer srv.Close()

	for _, path := range []string{"/state", "/state.json", "/flags", "/health", "/metrics/snapshot", "/metrics", "/files/debug"} {
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
			code, hdr, body := do(t, srv, m, path)
			want := "405 Method Not Allowed. Expecting one of { 'GET', 'HEAD' }, but received '" + m + "'."
			if code != http.StatusMethodNotAllowed || hdr.Get("Allow") != "GET, HEAD" || strings.TrimSpace(body) != want {
				t.Errorf("%s %s: %d %q %q", m, path, code, hdr.Get("Allow"), body)
			}
		}
		if code, _, body := do(t, srv, http.MethodHead, path); code != 200 || body != "" {
			t.Errorf("HEAD %s: %d %q", path, code, body)
		}
		// libprocess trims trailing slashes: Mesos serves "/state/".
		if code, _, _ := do(t, srv, http.MethodGet, path+"/"); code != 200 {
			t.Errorf("GET %s/: %d", path, code)
		}
	}
	for _, path := range []string{"/", "/nope", "/state/x", "/statex", "/metricsx", "/files", "/files/nope"} {
		if code, _, _ := do(t, srv, http.MethodGet, path); code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
	}
}

// The binaries pass every flag, given or not; unset optional ones ("")
// are left out, as Mesos does.
func TestFlagsOmitUnset(t *testing.T) {
	h := newHarness(t, true, func(cfg *Config) {
		cfg.Flags = map[string]string{"work_dir": "/w", "master": "", "attributes": "", "hostname": "", "port": "5051"}
	})
	h.register()
	srv := httptest.NewServer(h.s.Handler())
	defer srv.Close()
	for _, path := range []string{"/flags", "/state"} {
		code, _, body := do(t, srv, http.MethodGet, path)
		var v struct{ Flags map[string]string }
		if err := json.Unmarshal([]byte(body), &v); code != 200 || err != nil {
			t.Fatalf("%s: %d %v", path, code, err)
		}
		want := map[string]string{"work_dir": "/w", "port": "5051"}
		if len(v.Flags) != len(want) || v.Flags["work_dir"] != "/w" || v.Flags["port"] != "5051" {
			t.Errorf("%s flags %v, want %v", path, v.Flags, want)
		}
	}
}
