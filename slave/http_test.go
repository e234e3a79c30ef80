package slave

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gomesos/gomesos/messages/mesosinternal"
)

func TestHTTPEndpoints(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	h.runTask(customTask("t1", "e1"))
	ex := <-h.cont.executors
	next[*mesosinternal.RunTaskMessage](t, ex.events, nil)
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
