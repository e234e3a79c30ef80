package tracing

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
)

// ringWithScenario is a recorder whose ring holds the launch scenario, as
// one process (mesos-local with everything in it) would record it.
func ringWithScenario(t *testing.T) *Recorder {
	t.Helper()
	s := launchScenario()
	sort.SliceStable(s.events, func(i, j int) bool { return s.events[i].at < s.events[j].at })
	now := simT0
	rec, err := New(Options{Process: "127.0.0.1:40001", RingSize: 1000, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	for i := range s.events {
		now = simT0.Add(s.events[i].at)
		rec.Trace(&s.events[i].ev)
	}
	return rec
}

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHTTPEvents(t *testing.T) {
	rec := ringWithScenario(t)
	srv := httptest.NewServer(Handler(rec))
	defer srv.Close()

	code, body := get(t, srv, "/trace?task=t1&limit=5")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var resp struct {
		Process string   `json:"process"`
		Stats   Stats    `json:"stats"`
		Events  []Record `json:"events"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if resp.Process != "127.0.0.1:40001" || resp.Stats.Events != 60 || resp.Stats.Ring != 1000 || len(resp.Events) != 5 {
		t.Fatalf("process %q, stats %+v, %d events", resp.Process, resp.Stats, len(resp.Events))
	}
	// The last five events of t1's flow: its acknowledgements.
	last := resp.Events[4]
	if last.Type != "mesos.internal.StatusUpdateAcknowledgementMessage" || last.Kind != Received || last.To != simExec1.String() || last.HopNs == nil {
		t.Fatalf("last event %+v", last)
	}
	// The whole flow includes the offer; the declined offer is not in it.
	_, body = get(t, srv, "/trace?task=t1")
	if !strings.Contains(body, "ResourceOffersMessage") || strings.Contains(body, "DECLINE") {
		t.Fatalf("flow of t1: %s", body)
	}
	_, body = get(t, srv, "/trace?type=DECLINE")
	if strings.Count(body, `"subtype":"DECLINE"`) != 2 {
		t.Fatalf("type filter: %s", body)
	}
	for _, bad := range []string{"/trace?limit=-1", "/trace?limit=x", "/trace?since=soon"} {
		if code, _ := get(t, srv, bad); code != 400 {
			t.Errorf("%s: %d", bad, code)
		}
	}
	if code, _ := get(t, srv, "/trace/nothing"); code != 404 {
		t.Errorf("unknown path: %d", code)
	}
	resp2, _ := http.Post(srv.URL+"/trace", "text/plain", nil)
	if resp2.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp2.StatusCode)
	}
	resp2.Body.Close()
}

func TestHTTPDiagramAndUI(t *testing.T) {
	rec := ringWithScenario(t)
	srv := httptest.NewServer(Handler(rec))
	defer srv.Close()
	code, body := get(t, srv, "/trace/diagram?task=t1&format=mermaid")
	if code != 200 || !strings.HasPrefix(body, "sequenceDiagram\n    title task t1\n") || !strings.Contains(body, "ExecutorRegisteredMessage") {
		t.Fatalf("%d %s", code, body)
	}
	if code, body := get(t, srv, "/trace/diagram?task=t1&format=svg"); code != 200 || !strings.HasPrefix(body, "<svg") {
		t.Fatalf("svg: %d %.100s", code, body)
	}
	if code, body := get(t, srv, "/trace/diagram?task=t1"); code != 200 || !strings.Contains(body, "<!DOCTYPE html>") {
		t.Fatalf("html: %d %.100s", code, body)
	}
	if code, _ := get(t, srv, "/trace/diagram"); code != 400 {
		t.Errorf("no flow: %d", code)
	}
	if code, _ := get(t, srv, "/trace/diagram?task=t1&format=png"); code != 400 {
		t.Errorf("bad format: %d", code)
	}
	code, body = get(t, srv, "/trace/ui")
	if code != 200 || !strings.Contains(body, "EventSource(\"stream") || !strings.Contains(body, "diagram?format=svg") {
		t.Fatalf("ui: %d", code)
	}
	// Self-contained: nothing fetched from elsewhere.
	for _, ext := range []string{"http://", "https://", "<script src", "<link"} {
		if strings.Contains(body, ext) {
			t.Errorf("the page refers to %q", ext)
		}
	}

	// Tracing off: the data paths say so, the page still loads.
	off := httptest.NewServer(Handler(nil))
	defer off.Close()
	if code, body := get(t, off, "/trace"); code != 404 || !strings.Contains(body, "tracing is off") {
		t.Errorf("off: %d %s", code, body)
	}
	if code, _ := get(t, off, "/trace/ui"); code != 200 {
		t.Errorf("off ui: %d", code)
	}
}

func TestHTTPStream(t *testing.T) {
	rec := ringWithScenario(t)
	srv := httptest.NewServer(Handler(rec))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/trace/stream?replay=8&type=StatusUpdateMessage")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := bufio.NewReader(resp.Body)
	next := func() string {
		for {
			l, err := lines.ReadString('\n')
			if err != nil {
				t.Fatalf("stream ended: %v", err)
			}
			if l = strings.TrimSpace(l); l != "" {
				return l
			}
		}
	}
	// Of the last eight events held, the two that match (the master's
	// update to the scheduler, sent and received), then the comment.
	var replayed []string
	for l := next(); !strings.HasPrefix(l, ":"); l = next() {
		replayed = append(replayed, l)
	}
	if len(replayed) != 2 || !strings.Contains(replayed[0], `"kind":"sent"`) || !strings.Contains(replayed[1], `"to":"`+simSched.String()+`"`) {
		t.Fatalf("replayed %v", replayed)
	}
	// A live event that matches, and one that does not.
	rec.Trace(&actors.Event{Kind: actors.Received, From: simAgent, To: simMaster, Type: "mesos.internal.PongSlaveMessage"})
	rec.Trace(event(actors.Received, "live-1", statusUpdate("t7", mesos.TaskState_TASK_RUNNING)))
	l := next()
	var r Record
	if !strings.HasPrefix(l, "data: ") || json.Unmarshal([]byte(strings.TrimPrefix(l, "data: ")), &r) != nil || r.MsgID != "live-1" || r.IDs.Task[0] != "t7" {
		t.Fatalf("live line %q", l)
	}
	// Closing the ring ends the stream (as a daemon's shutdown does).
	rec.Ring().Close()
	if _, err := io.ReadAll(lines); err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
}
