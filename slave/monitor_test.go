package slave

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

func TestMonitorStatisticsAndContainers(t *testing.T) {
	h := newHarness(t, true)
	h.register()
	h.runTask(customTask("t1", "e1"))
	ex := <-h.cont.executors
	actortest.Must[*mesosinternal.RunTaskMessage](t, ex.Peer, nil)
	h.barrier()

	srv := httptest.NewServer(h.s.Handler())
	defer srv.Close()
	get := func(path string) []map[string]any {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s = %d", path, resp.StatusCode)
		}
		var body []map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return body
	}
	stats := get("/monitor/statistics")
	if len(stats) != 1 || stats[0]["executor_id"] != "e1" || stats[0]["framework_id"] != "fw-1" {
		t.Fatalf("/monitor/statistics = %v", stats)
	}
	if _, ok := stats[0]["statistics"].(map[string]any); !ok {
		t.Fatalf("/monitor/statistics has no statistics: %v", stats[0])
	}
	cs := get("/containers")
	if len(cs) != 1 || cs[0]["executor_id"] != "e1" || cs[0]["container_id"] == "" {
		t.Fatalf("/containers = %v", cs)
	}
	st := cs[0]["status"].(map[string]any)["container_id"].(map[string]any)
	if st["value"] != cs[0]["container_id"] {
		t.Fatalf("/containers status = %v", cs[0]["status"])
	}
}
