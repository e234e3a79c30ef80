package slave

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

func TestFilesEndpoints(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "mesos-agent.log")
	if err := os.WriteFile(logFile, []byte("agent log line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, true, func(c *Config) { c.LogFile = logFile })
	h.register()
	h.runTask(customTask("t1", "e1"))
	ex := <-h.cont.executors
	actortest.Must[*mesosinternal.RunTaskMessage](t, ex.Peer, nil)
	st := h.barrier()
	dir := st["frameworks"].([]any)[0].(map[string]any)["executors"].([]any)[0].(map[string]any)["directory"].(string)
	if err := os.MkdirAll(dir, 0o755); err != nil { // the fake containerizer makes none
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stdout"), []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "passwd")); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.s.Handler())
	defer srv.Close()
	get := func(method, p string, q url.Values) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+p+"?"+q.Encode(), nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	virtual := ExecutorVirtualPath("fw-1", "e1")
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}

	code, body := get("GET", "/files/browse", q("path", virtual))
	var entries []map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &entries) != nil {
		t.Fatalf("browse: %d %s", code, body)
	}
	found := false
	for _, e := range entries {
		if e["path"] == virtual+"/stdout" && e["size"] == 10.0 && strings.HasPrefix(e["mode"].(string), "-rw") {
			found = true
		}
	}
	if !found {
		t.Errorf("browse lacks stdout: %s", body)
	}
	for _, tc := range []struct {
		q    url.Values
		data string
		off  float64
	}{
		{q("path", virtual+"/stdout", "offset", "-1"), "", 10},
		{q("path", virtual+"/stdout"), "", 10},
		{q("path", virtual+"/stdout", "offset", "0", "length", "4"), "0123", 0},
		{q("path", virtual+"/stdout", "offset", "8"), "89", 8},
		{q("path", virtual+"/stdout", "offset", "20", "length", "5"), "", 10},
		{q("path", dir+"/stdout", "offset", "3", "length", "2"), "34", 3},
		{q("path", LogVirtualPath, "offset", "0"), "agent log line\n", 0},
	} {
		code, body := get("GET", "/files/read", tc.q)
		var got struct {
			Data   string  `json:"data"`
			Offset float64 `json:"offset"`
		}
		if code != 200 || json.Unmarshal([]byte(body), &got) != nil || got.Data != tc.data || got.Offset != tc.off {
			t.Errorf("read %v: %d %s; want data %q offset %v", tc.q, code, body, tc.data, tc.off)
		}
	}
	code, body = get("GET", "/files/download", q("path", virtual+"/stdout"))
	if code != 200 || body != "0123456789" {
		t.Errorf("download: %d %q", code, body)
	}
	code, body = get("GET", "/files/debug", nil)
	if code != 200 || !strings.Contains(body, virtual) || !strings.Contains(body, LogVirtualPath) {
		t.Errorf("debug: %d %s", code, body)
	}

	for _, tc := range []struct {
		method, path string
		q            url.Values
		code         int
	}{
		{"GET", "/files/read", q("path", virtual+"/passwd", "offset", "0"), 403},
		{"GET", "/files/download", q("path", virtual+"/passwd"), 403},
		{"GET", "/files/browse", q("path", virtual+"/../../../.."), 403},
		{"GET", "/files/read", q("path", "/etc/passwd", "offset", "0"), 404},
		{"GET", "/files/download", q("path", "/etc/passwd"), 404},
		{"GET", "/files/browse", q("path", "/"), 404},
		{"GET", "/files/browse", nil, 400},
		{"GET", "/files/read", q("path", virtual+"/stdout", "offset", "x"), 400},
		{"GET", "/files/read", q("path", virtual+"/stdout", "offset", "0", "length", "-5"), 400},
		{"GET", "/files/read", q("path", virtual, "offset", "0"), 400},
		{"GET", "/files/download", q("path", virtual), 400},
		{"POST", "/files/read", q("path", virtual+"/stdout"), 405},
		{"DELETE", "/files/browse", q("path", virtual), 405},
	} {
		code, body := get(tc.method, tc.path, tc.q)
		if code != tc.code || strings.TrimSpace(body) == "" {
			t.Errorf("%s %s %v: %d %q; want %d with a message", tc.method, tc.path, tc.q, code, body, tc.code)
		}
		if strings.Contains(body, "root:") {
			t.Errorf("%s %s %v leaked /etc/passwd", tc.method, tc.path, tc.q)
		}
	}
}
