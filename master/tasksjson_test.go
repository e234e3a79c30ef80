package master

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

func taskIDs(t *testing.T, srv *httptest.Server, path string) string {
	t.Helper()
	var out []string
	for _, x := range getJSON(t, srv, path)["tasks"].([]any) {
		out = append(out, x.(map[string]any)["id"].(string))
	}
	return strings.Join(out, ",")
}

func TestTasksEndpoint(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	a, agentID := c.addAgent("cpus:4;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	s.SendNow(c.pid, launch(fid, ids(o), nil, commandTask("a", o, "cpus:1;mem:128"), commandTask("b", o, "cpus:1;mem:128"), commandTask("c", o, "cpus:1;mem:128")))
	for range 3 {
		actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	}
	// Each task's first status has its own time: a, then b; c stays staging.
	for i, tid := range []string{"a", "b"} {
		u := agentUpdate(a, agentID, fid, tid, mesos.TaskState_TASK_RUNNING, byte(i+1))
		u.Update.Status.Timestamp = new(float64(10 + i))
		a.SendNow(c.pid, u)
		actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
	}
	c.settle()

	for path, want := range map[string]string{
		"/tasks":                                    "c,b,a",
		"/master/tasks?order=asc":                   "a,b,c",
		"/tasks?order=desc&limit=2":                 "c,b",
		"/tasks?order=asc&offset=1&limit=1":         "b",
		"/tasks?offset=5":                           "",
		"/tasks?task_id=b":                          "b",
		"/tasks?framework_id=" + fid + "&order=asc": "a,b,c",
		"/tasks?framework_id=nope":                  "",
	} {
		if got := taskIDs(t, srv, path); got != want {
			t.Errorf("GET %s: tasks %q, want %q", path, got, want)
		}
	}
	task := getJSON(t, srv, "/tasks?task_id=a")["tasks"].([]any)[0].(map[string]any)
	hasKeys(t, "task", task, "id", "name", "framework_id", "slave_id", "state", "resources", "statuses")
	if task["state"] != "TASK_RUNNING" {
		t.Errorf("task a: %v", task["state"])
	}

	for _, path := range []string{"/tasks?limit=x", "/tasks?limit=-1", "/tasks?offset=1.5", "/tasks?order=up"} {
		if code, _, body := get(t, srv, http.MethodGet, path); code != http.StatusBadRequest || body == "" {
			t.Errorf("GET %s: %d %q, want 400 with a message", path, code, body)
		}
	}
	if code, _, _ := get(t, srv, http.MethodPost, "/tasks"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /tasks: %d, want 405", code)
	}
}

func TestAllocatorExplainEndpoint(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	_, agentID := c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(roleInfo("f", "web"))
	actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil)

	ex := getJSON(t, srv, "/allocator/explain?framework_id="+fid)
	if ex["framework_id"] != fid || ex["active"] != true {
		t.Fatalf("explain %v", ex)
	}
	agent := ex["agents"].([]any)[0].(map[string]any)
	role := agent["roles"].([]any)[0].(map[string]any)
	reasons := role["reasons"].([]any)
	if agent["agent_id"] != agentID || role["role"] != "web" || role["verdict"] != "not_offered" ||
		len(reasons) != 1 || reasons[0].(map[string]any)["code"] != "nothing_available" {
		t.Errorf("agent %v", agent)
	}
	if agent["holding"].(map[string]any)["cpus"] != 2.0 {
		t.Errorf("holding %v", agent["holding"])
	}
	if code, _, body := get(t, srv, http.MethodGet, "/master/allocator/explain?framework_id=nope"); code != http.StatusNotFound || !strings.Contains(body, "nope") {
		t.Errorf("unknown framework: %d %q", code, body)
	}
	if code, _, body := get(t, srv, http.MethodGet, "/allocator/explain"); code != http.StatusBadRequest || body == "" {
		t.Errorf("no framework_id: %d %q", code, body)
	}
	if code, _, _ := get(t, srv, http.MethodPost, "/allocator/explain?framework_id="+fid); code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", code)
	}
}

func TestMasterLogFiles(t *testing.T) {
	logFile := t.TempDir() + "/mesos-master.log"
	if err := os.WriteFile(logFile, []byte("master log line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, func(cfg *Config) { cfg.LogFile = logFile })
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	got := getJSON(t, srv, "/files/read?path=/master/log&offset=0")
	if got["data"] != "master log line\n" || got["offset"] != 0.0 {
		t.Errorf("read: %v", got)
	}
	if got := getJSON(t, srv, "/files/read?path=/master/log"); got["offset"] != 16.0 {
		t.Errorf("size: %v", got)
	}
	for path, want := range map[string]int{
		"/files/read?path=/etc/passwd":      http.StatusNotFound,
		"/files/read?path=/master/log/../x": http.StatusForbidden,
		"/files/download?path=/master/log":  http.StatusOK,
		"/files/nope":                       http.StatusNotFound,
	} {
		if code, _, body := get(t, srv, http.MethodGet, path); code != want || body == "" {
			t.Errorf("GET %s: %d %q, want %d", path, code, body, want)
		}
	}
	if code, _, _ := get(t, srv, http.MethodPost, "/files/read?path=/master/log"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /files/read: %d", code)
	}
}
