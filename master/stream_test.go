package master

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
)

// runningTask gives the cluster an agent and a framework with one
// RUNNING task "t1".
func runningTask(t *testing.T, c *cluster) (agentID, fid string) {
	t.Helper()
	a, agentID := c.addAgent("cpus:2;mem:1024;ports:[31000-32000]")
	s, fid := c.subscribe(frameworkInfo("framework-one"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	s.SendNow(c.pid, launch(fid, ids(o), nil, commandTask("t1", o, "cpus:1;mem:128")))
	actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "t1", mesos.TaskState_TASK_RUNNING, 1))
	actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
	c.settle()
	return agentID, fid
}

func TestStateSummary(t *testing.T) {
	c := newCluster(t, func(cfg *Config) { cfg.Cluster = "test-cluster" })
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	agentID, fid := runningTask(t, c)

	for _, path := range []string{"/master/state-summary", "/state-summary"} {
		st := getJSON(t, srv, path)
		hasKeys(t, path, st, "hostname", "cluster", "slaves", "frameworks")
		if st["hostname"] != "localhost" || st["cluster"] != "test-cluster" {
			t.Errorf("%s: top level %v", path, st)
		}
		slaves, fws := st["slaves"].([]any), st["frameworks"].([]any)
		if len(slaves) != 1 || len(fws) != 1 {
			t.Fatalf("%s: slaves %v frameworks %v", path, slaves, fws)
		}
		sl := slaves[0].(map[string]any)
		hasKeys(t, "slave", sl, "id", "pid", "hostname", "port", "registered_time", "resources", "used_resources",
			"offered_resources", "reserved_resources", "unreserved_resources", "attributes", "active", "version",
			"capabilities", "framework_ids", "TASK_STAGING", "TASK_STARTING", "TASK_RUNNING", "TASK_KILLING",
			"TASK_FINISHED", "TASK_KILLED", "TASK_FAILED", "TASK_LOST", "TASK_ERROR", "TASK_UNREACHABLE")
		if sl["id"] != agentID || sl["TASK_RUNNING"] != 1.0 || sl["TASK_STAGING"] != 0.0 || sl["active"] != true {
			t.Errorf("%s: slave %v", path, sl)
		}
		if ids := sl["framework_ids"].([]any); len(ids) != 1 || ids[0] != fid {
			t.Errorf("%s: framework_ids %v", path, ids)
		}
		if u := sl["used_resources"].(map[string]any); u["cpus"] != 1.0 || u["mem"] != 128.0 {
			t.Errorf("%s: used %v", path, u)
		}
		if r := sl["resources"].(map[string]any); r["cpus"] != 2.0 || r["ports"] != "[31000-32000]" {
			t.Errorf("%s: resources %v", path, r)
		}
		fw := fws[0].(map[string]any)
		hasKeys(t, "framework", fw, "id", "name", "pid", "used_resources", "offered_resources", "capabilities",
			"hostname", "webui_url", "active", "connected", "recovered", "slave_ids", "TASK_RUNNING", "TASK_FINISHED")
		if fw["id"] != fid || fw["name"] != "framework-one" || fw["TASK_RUNNING"] != 1.0 || fw["active"] != true {
			t.Errorf("%s: framework %v", path, fw)
		}
		if ids := fw["slave_ids"].([]any); len(ids) != 1 || ids[0] != agentID {
			t.Errorf("%s: slave_ids %v", path, ids)
		}
		if _, ok := fw["tasks"]; ok {
			t.Errorf("%s: a summary has no task lists: %v", path, fw)
		}
	}
	if code, _, _ := get(t, srv, http.MethodPost, "/master/state-summary"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /master/state-summary: %d", code)
	}
}

// The summary's sums and counts agree with /master/state at scale.
func TestSummaryAgreesWithState(t *testing.T) {
	s := buildScale(t, 30, 4, 3)
	sum := s.c.summary()
	st := s.c.stateJSON().(object)
	slaves := st["slaves"].([]any)
	if len(sum.Slaves) != len(slaves) || len(sum.Frameworks) != 4 {
		t.Fatalf("summary has %d agents and %d frameworks", len(sum.Slaves), len(sum.Frameworks))
	}
	for i, a := range sum.Slaves {
		full := slaves[i].(object)
		if !equalJSON(a.UsedResources, full["used_resources"].(object)) || !equalJSON(a.Resources, full["resources"].(object)) {
			t.Errorf("agent %s: summary used %v, state used %v", a.ID, a.UsedResources, full["used_resources"])
		}
		if a.Running != 3 || len(a.FrameworkIDs) != 1 {
			t.Errorf("agent %s: running %d frameworks %v", a.ID, a.Running, a.FrameworkIDs)
		}
	}
	fws := st["frameworks"].([]any)
	for i, f := range sum.Frameworks {
		full := fws[i].(object)
		if !equalJSON(f.UsedResources, full["used_resources"].(object)) {
			t.Errorf("framework %s: summary used %v, state used %v", f.ID, f.UsedResources, full["used_resources"])
		}
		if f.Running != len(full["tasks"].([]taskDoc)) {
			t.Errorf("framework %s: running %d, state lists %d tasks", f.ID, f.Running, len(full["tasks"].([]taskDoc)))
		}
	}
}

// sseEventRead is one event read from a stream.
type sseEventRead struct {
	name string
	data map[string]any
}

// readEvents parses a text/event-stream body into events until it ends.
func readEvents(t *testing.T, resp *http.Response) <-chan sseEventRead {
	out := make(chan sseEventRead, 100)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		var ev sseEventRead
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					out <- ev
				}
				ev = sseEventRead{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data); err != nil {
					t.Errorf("bad event data %q: %v", line, err)
				}
			}
		}
	}()
	return out
}

// next waits for the first event that ok accepts.
func next(t *testing.T, events <-chan sseEventRead, what string, ok func(sseEventRead) bool) sseEventRead {
	t.Helper()
	deadline := time.After(actortest.DefaultTimeout)
	for {
		select {
		case ev, open := <-events:
			if !open {
				t.Fatalf("stream ended waiting for %s", what)
			}
			if ok(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within %v", what, actortest.DefaultTimeout)
		}
	}
}

func openStream(t *testing.T, ctx context.Context, url string) (*http.Response, <-chan sseEventRead) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp, readEvents(t, resp)
}

func fastHub(c *cluster) *streamHub {
	h := newStreamHub(c.m)
	h.interval = 5 * time.Millisecond
	return h
}

func TestStreamSnapshotThenDeltas(t *testing.T) {
	c := newCluster(t, nil)
	hub := fastHub(c)
	srv := httptest.NewServer(http.HandlerFunc(hub.serveStream))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	a, agentID := c.addAgent("cpus:2;mem:1024")
	_, events := openStream(t, ctx, srv.URL+"?slaves=true")
	snap := next(t, events, "snapshot", func(e sseEventRead) bool { return e.name == "snapshot" })
	ov := snap.data["overview"].(map[string]any)
	if ov["activated_slaves"] != 1.0 || ov["id"] != c.m.Info().GetId() {
		t.Errorf("overview %v", ov)
	}
	if sl := snap.data["slaves"].([]any); len(sl) != 1 || sl[0].(map[string]any)["id"] != agentID {
		t.Errorf("snapshot slaves %v", snap.data["slaves"])
	}
	if total := ov["resources"].(map[string]any)["total"].(map[string]any); total["cpus"] != 2.0 || total["mem"] != 1024.0 {
		t.Errorf("overview resources %v", ov["resources"])
	}

	// A framework arrives, launches a task, the task runs: the stream says so.
	s, fid := c.subscribe(frameworkInfo("streamed"))
	next(t, events, "framework added", func(e sseEventRead) bool {
		if e.name != "delta" {
			return false
		}
		added := e.data["frameworks"].(map[string]any)["added"].([]any)
		return len(added) == 1 && added[0].(map[string]any)["id"] == fid
	})
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	s.SendNow(c.pid, launch(fid, ids(o), nil, commandTask("t1", o, "cpus:1;mem:128")))
	actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "t1", mesos.TaskState_TASK_RUNNING, 1))
	d := next(t, events, "task running", func(e sseEventRead) bool {
		if e.name != "delta" {
			return false
		}
		for _, x := range e.data["tasks"].([]any) {
			if tc := x.(map[string]any); tc["id"] == "t1" && tc["state"] == "TASK_RUNNING" {
				return true
			}
		}
		return false
	})
	if n := d.data["overview"].(map[string]any)["tasks"].(map[string]any)["TASK_RUNNING"]; n != 1.0 {
		t.Errorf("overview running %v", n)
	}
	if used := d.data["overview"].(map[string]any)["resources"].(map[string]any)["used"].(map[string]any); used["cpus"] != 1.0 {
		t.Errorf("overview used %v", used)
	}
	if d.data["slaves"] == nil {
		t.Errorf("a client with ?slaves=true gets the agent's new counts: %v", d.data)
	}

	// A client without ?slaves gets no agent summaries.
	_, plain := openStream(t, ctx, srv.URL)
	snap = next(t, plain, "snapshot", func(e sseEventRead) bool { return e.name == "snapshot" })
	if _, ok := snap.data["slaves"]; ok {
		t.Errorf("snapshot without ?slaves has slaves: %v", snap.data)
	}
	if fws := snap.data["frameworks"].([]any); len(fws) != 1 || fws[0].(map[string]any)["TASK_RUNNING"] != 1.0 {
		t.Errorf("snapshot frameworks %v", fws)
	}
}

func TestStreamRejectsBadParameters(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	if code, _, body := get(t, srv, http.MethodGet, "/master/stream?slaves=maybe"); code != 400 || !strings.Contains(body, "slaves") {
		t.Errorf("bad slaves: %d %q", code, body)
	}
	if code, _, _ := get(t, srv, http.MethodPost, "/master/stream"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", code)
	}
}

// A client that cannot keep up is dropped with a message, not buffered
// without bound.
func TestStreamDropsSlowClients(t *testing.T) {
	c := newCluster(t, nil)
	hub := fastHub(c)

	// At the hub: a client that never reads fills its buffer and is dropped.
	hub.buffer = 2
	slow := hub.subscribe(false)
	// Each new agent changes the overview: a delta at the next tick.
	for i := 0; ; i++ {
		if i == 50 {
			t.Fatal("a client that never reads was not dropped")
		}
		dropped := func() bool {
			select {
			case <-slow.dropped:
				return true
			default:
				return false
			}
		}
		before := len(hub.agentsSeen())
		c.addAgent("cpus:1;mem:128")
		// The hub stops with its last client: once dropped, it sees no more.
		actortest.WaitUntil(t, "the hub saw the agent", func() bool { return dropped() || len(hub.agentsSeen()) > before })
		if dropped() {
			break
		}
	}
	hub.unsubscribe(slow)

	// Over HTTP: a dropped client is told why and its stream ends.
	srv := httptest.NewServer(http.HandlerFunc(hub.serveStream))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, events := openStream(t, ctx, srv.URL)
	next(t, events, "snapshot", func(e sseEventRead) bool { return e.name == "snapshot" })
	hub.mu.Lock()
	if len(hub.clients) != 1 {
		t.Fatalf("%d clients", len(hub.clients))
	}
	for cl := range hub.clients {
		hub.drop(cl) // as deliver does when the client's buffer is full
	}
	hub.mu.Unlock()
	ev := next(t, events, "dropped", func(e sseEventRead) bool { return e.name == "dropped" })
	if !strings.Contains(ev.data["message"].(string), "dropped") {
		t.Errorf("dropped event %v", ev.data)
	}
	for range events { // the server ends the stream
	}
}

// Clients that go away leave no goroutine behind: the hub's loop stops
// with its last client.
func TestStreamLeavesNoGoroutines(t *testing.T) {
	c := newCluster(t, nil)
	hub := fastHub(c)
	srv := httptest.NewServer(http.HandlerFunc(hub.serveStream))
	defer srv.Close()
	c.addAgent("cpus:1;mem:128")
	before := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	for i := 0; i < 5; i++ {
		_, events := openStream(t, ctx, srv.URL)
		next(t, events, "snapshot", func(e sseEventRead) bool { return e.name == "snapshot" })
	}
	hub.mu.Lock()
	running, done := hub.running, hub.done
	hub.mu.Unlock()
	if !running {
		t.Fatal("the hub does not run while clients listen")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(actortest.DefaultTimeout):
		t.Fatal("the hub's loop did not stop after its last client left")
	}
	srv.CloseClientConnections()
	actortest.WaitUntil(t, "goroutines back to where they were", func() bool {
		return runtime.NumGoroutine() <= before
	})
}

// agentsSeen is the hub's cache of agent summaries, copied.
func (h *streamHub) agentsSeen() map[string][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string][]byte{}
	for k, v := range h.agents {
		out[k] = v
	}
	return out
}

// A shutting-down server ends its streams at once instead of waiting for
// them, and refuses new ones.
func TestStreamCloseStreams(t *testing.T) {
	c := newCluster(t, nil)
	h := c.m.Handler()
	srv := httptest.NewServer(h)
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, events := openStream(t, ctx, srv.URL+"/master/stream")
	next(t, events, "snapshot", func(e sseEventRead) bool { return e.name == "snapshot" })
	closer, ok := h.(interface{ CloseStreams() })
	if !ok {
		t.Fatalf("the master's handler %T has no CloseStreams", h)
	}
	closer.CloseStreams()
	next(t, events, "closing", func(e sseEventRead) bool { return e.name == "closing" })
	for range events { // the stream ends
	}
	if code, _, _ := get(t, srv, http.MethodGet, "/master/stream"); code != http.StatusServiceUnavailable {
		t.Errorf("a stream after CloseStreams: %d", code)
	}
}

// /master/frameworks and /master/slaves narrow to one with Mesos'
// framework_id and slave_id, as the UI's detail pages ask.
func TestFrameworksAndSlavesByID(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	agentID, fid := runningTask(t, c)
	c.addAgent("cpus:1;mem:128")
	if all := getJSON(t, srv, "/master/slaves"); len(all["slaves"].([]any)) != 2 {
		t.Fatalf("slaves %v", all)
	}
	one := getJSON(t, srv, "/master/slaves?slave_id="+agentID)["slaves"].([]any)
	if len(one) != 1 || one[0].(map[string]any)["id"] != agentID {
		t.Errorf("slave_id=%s: %v", agentID, one)
	}
	if none := getJSON(t, srv, "/master/slaves?slave_id=nope")["slaves"].([]any); len(none) != 0 {
		t.Errorf("unknown slave_id: %v", none)
	}
	fws := getJSON(t, srv, "/master/frameworks?framework_id="+fid)["frameworks"].([]any)
	if len(fws) != 1 || len(fws[0].(map[string]any)["tasks"].([]any)) != 1 {
		t.Errorf("framework_id=%s: %v", fid, fws)
	}
	if none := getJSON(t, srv, "/master/frameworks?framework_id=nope")["frameworks"].([]any); len(none) != 0 {
		t.Errorf("unknown framework_id: %v", none)
	}
}

// Requests for /master/state that arrive together share one rendering.
func TestStateRenderedOnceForConcurrentRequests(t *testing.T) {
	c := newCluster(t, nil)
	runningTask(t, c)
	state := &stateFlight{m: c.m}
	srv := httptest.NewServer(http.HandlerFunc(state.serveState))
	defer srv.Close()

	// Hold the master actor so that the requests pile up behind it.
	entered, release := make(chan struct{}), make(chan struct{})
	go c.node.Call(context.Background(), c.pid, func() any { close(entered); <-release; return nil })
	<-entered
	bodies := make(chan string, 3)
	for i := 0; i < 3; i++ {
		go func() {
			code, _, body := get(t, srv, http.MethodGet, "/")
			if code != 200 {
				t.Errorf("GET: %d %s", code, body)
			}
			bodies <- body
		}()
	}
	actortest.WaitUntil(t, "three requests waiting", func() bool {
		state.mu.Lock()
		defer state.mu.Unlock()
		return state.waiting == 3
	})
	close(release)
	first := <-bodies
	for i := 0; i < 2; i++ {
		if b := <-bodies; b != first {
			t.Errorf("bodies differ")
		}
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(first), &st); err != nil || len(st["frameworks"].([]any)) != 1 {
		t.Errorf("state %v %v", err, st)
	}
	state.mu.Lock()
	builds := state.builds
	state.mu.Unlock()
	if builds != 1 {
		t.Errorf("%d renderings for three requests at once, want 1", builds)
	}
	// A later request renders afresh.
	get(t, srv, http.MethodGet, "/")
	state.mu.Lock()
	defer state.mu.Unlock()
	if state.builds != 2 {
		t.Errorf("%d renderings after a later request, want 2", state.builds)
	}
}

// The watch keeps its tallies from what changed: after every step of a
// random run (status updates, launches, offers, agents and frameworks
// coming and going) the summaries it has sent add up to what
// /master/state-summary says, and its overview to a fresh watch's.
func TestStreamWatchAgreesWithSummary(t *testing.T) {
	// The j-th task of every agent holds port 31000+j, so a framework's
	// tasks on different agents share ports.
	s := buildScaleWith(t, 12, 3, 4, func(j int) string { return fmt.Sprintf("cpus:1;mem:1024;ports:[%d-%d]", 31000+j, 31000+j) })
	c := s.c
	w := newStreamWatch(1 << 20)
	agents, fws := map[string][]byte{}, map[string][]byte{}
	r := rand.New(rand.NewSource(7))
	n := uint64(1 << 20)
	states := []mesos.TaskState{mesos.TaskState_TASK_STARTING, mesos.TaskState_TASK_RUNNING, mesos.TaskState_TASK_KILLING,
		mesos.TaskState_TASK_FINISHED, mesos.TaskState_TASK_FAILED, mesos.TaskState_TASK_LOST}
	check := func(step int, what string) {
		t.Helper()
		tk := w.tick(c)
		diff(agents, tk.agents, func(a *AgentSummary) string { return a.ID }, tk.agentsGone)
		diff(fws, tk.frameworks, func(f *streamFramework) string { return f.ID }, tk.frameworksGone)
		want := c.summary()
		if len(agents) != len(want.Slaves) || len(fws) != len(want.Frameworks) {
			t.Fatalf("step %d (%s): %d agents and %d frameworks streamed, summary has %d and %d", step, what, len(agents), len(fws), len(want.Slaves), len(want.Frameworks))
		}
		for _, a := range want.Slaves {
			if got, wantJSON := string(agents[a.ID]), string(mustJSON(a)); got != wantJSON {
				t.Fatalf("step %d (%s): agent %s streamed as\n%s\nsummary:\n%s", step, what, a.ID, got, wantJSON)
			}
		}
		for _, f := range want.Frameworks {
			if got, wantJSON := string(fws[f.ID]), string(mustJSON(streamFramework{FrameworkSummary: f, Offers: len(c.frameworks[f.ID].offers)})); got != wantJSON {
				t.Fatalf("step %d (%s): framework %s streamed as\n%s\nsummary:\n%s", step, what, f.ID, got, wantJSON)
			}
		}
		fresh := newStreamWatch(0).tick(c).overview
		if got, wantJSON := string(mustJSON(tk.overview)), string(mustJSON(fresh)); got != wantJSON {
			t.Fatalf("step %d (%s): overview\n%s\nfrom scratch:\n%s", step, what, got, wantJSON)
		}
	}
	check(0, "first tick")
	agentPID := map[string]actors.PID{}
	for i, aid := range s.agents {
		agentPID[aid] = s.agentPIDs[i]
	}
	fwPID := map[string]actors.PID{}
	for i, fid := range s.frameworks {
		fwPID[fid] = s.fwPIDs[i]
	}
	live := func() (fid string, task *mesos.Task) {
		var all []*mesos.Task
		for _, id := range sortedKeys(c.frameworks) {
			for _, tid := range sortedKeys(c.frameworks[id].tasks) {
				all = append(all, c.frameworks[id].tasks[tid])
			}
		}
		if len(all) == 0 {
			return "", nil
		}
		task = all[r.Intn(len(all))]
		return task.GetFrameworkId().GetValue(), task
	}
	newAgents := 0
	for step := 1; step <= 400; step++ {
		var what string
		switch k := r.Intn(20); {
		case k < 12:
			fid, task := live()
			if task == nil {
				continue
			}
			aid := task.GetSlaveId().GetValue()
			n++
			st := states[r.Intn(len(states))]
			what = "task " + task.GetTaskId().GetValue() + " " + st.String()
			scaleStored(c, c.Receive(t0, agentPID[aid], scaleUpdate(agentPID[aid], aid, fid, task.GetTaskId().GetValue(), st, n)))
		case k < 15:
			aids := sortedKeys(c.agents)
			fids := sortedKeys(c.frameworks)
			if len(aids) == 0 || len(fids) == 0 {
				continue
			}
			aid, fid := aids[r.Intn(len(aids))], fids[r.Intn(len(fids))]
			what = "offer " + aid + " to " + fid
			var offer *mesos.Offer
			for _, e := range scaleStored(c, c.Offer(t0, fid, allocator.Offers{"*": {aid: resources.MustParse("cpus:1;mem:512").Allocate("*")}})) {
				if send, ok := e.(effect.Send); ok {
					if o, ok := send.Msg.(*mesosinternal.ResourceOffersMessage); ok {
						offer = o.GetOffers()[0]
					}
				}
			}
			if offer != nil && r.Intn(2) == 0 {
				n++
				what += " and launch"
				task := commandTask(fmt.Sprintf("new-%d", n), offer, "cpus:1;mem:512")
				scaleStored(c, c.Receive(t0, fwPID[fid], launch(fid, ids(offer), nil, task)))
			}
		case k < 17:
			newAgents++
			pid := actors.PID{ID: fmt.Sprintf("slave(new-%d)", newAgents), Address: "127.0.9.1:5051"}
			ai := agentInfo(scaleAgentResources)
			ai.Hostname = proto.String(fmt.Sprintf("new-%d", newAgents))
			what = "agent " + pid.ID + " registers"
			for _, e := range scaleStored(c, c.Receive(t0, pid, &mesosinternal.RegisterSlaveMessage{Slave: ai, Version: proto.String("1.11.0")})) {
				if send, ok := e.(effect.Send); ok {
					if m, ok := send.Msg.(*mesosinternal.SlaveRegisteredMessage); ok {
						agentPID[m.GetSlaveId().GetValue()] = pid
					}
				}
			}
		case k < 19:
			aids := sortedKeys(c.agents)
			if len(aids) == 0 {
				continue
			}
			aid := aids[r.Intn(len(aids))]
			what = "agent " + aid + " leaves"
			scaleStored(c, c.Receive(t0, agentPID[aid], &mesosinternal.UnregisterSlaveMessage{SlaveId: slaveID(aid)}))
		default:
			fids := sortedKeys(c.frameworks)
			if len(fids) <= 1 {
				continue
			}
			fid := fids[r.Intn(len(fids))]
			what = "framework " + fid + " leaves"
			scaleStored(c, c.Receive(t0, fwPID[fid], &mesosinternal.UnregisterFrameworkMessage{FrameworkId: frameworkID(fid)}))
		}
		if r.Intn(3) > 0 {
			check(step, what)
		}
	}
}

// /master/offers lists the outstanding offers a page at a time, of one
// framework or agent when asked, with their number; bad parameters get
// 400.
func TestOffersPage(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	c.addAgent("cpus:2;mem:1024")
	_, agent2 := c.addAgent("cpus:1;mem:512")
	s, fid := c.subscribe(frameworkInfo("offered"))
	n := 0
	for n < 2 {
		n += len(actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers())
	}
	c.settle()
	all := getJSON(t, srv, "/master/offers")
	if all["total"] != float64(2) || len(all["offers"].([]any)) != 2 {
		t.Fatalf("/master/offers: %v", all)
	}
	first := all["offers"].([]any)[0].(map[string]any)
	if first["framework_id"] != fid || first["resources"].(map[string]any)["cpus"] == nil {
		t.Errorf("first offer: %v", first)
	}
	page := getJSON(t, srv, "/master/offers?limit=1&offset=1")
	if page["total"] != float64(2) || len(page["offers"].([]any)) != 1 || page["offers"].([]any)[0].(map[string]any)["id"] == first["id"] {
		t.Errorf("second page: %v", page)
	}
	one := getJSON(t, srv, "/master/offers?slave_id="+agent2)["offers"].([]any)
	if len(one) != 1 || one[0].(map[string]any)["slave_id"] != agent2 {
		t.Errorf("slave_id=%s: %v", agent2, one)
	}
	if none := getJSON(t, srv, "/master/offers?framework_id=nope"); none["total"] != float64(0) {
		t.Errorf("unknown framework: %v", none)
	}
	resp, err := http.Get(srv.URL + "/master/offers?limit=-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("limit=-1: %d, want 400", resp.StatusCode)
	}
}

// Over the cap, a delta carries the changes of the newest tasks (those
// the home and tasks pages show, /tasks' order) and counts the rest.
func TestStreamReportsNewestTasksFirst(t *testing.T) {
	s := buildScale(t, 5, 1, 4) // 20 tasks, task i first reported at 1e9+i
	w := newStreamWatch(3)
	w.tick(s.c)
	for k := range s.tasks {
		fid, aid, tid := s.tasks[k][0], s.tasks[k][1], s.tasks[k][2]
		from := s.agentPIDs[k/4]
		scaleStored(s.c, s.c.Receive(t0, from, scaleUpdate(from, aid, fid, tid, mesos.TaskState_TASK_KILLING, uint64(1000+k))))
	}
	tk := w.tick(s.c)
	var got []string
	for _, ch := range tk.tasks {
		got = append(got, ch.ID+" "+ch.State)
	}
	want := []string{s.tasks[19][2] + " TASK_KILLING", s.tasks[18][2] + " TASK_KILLING", s.tasks[17][2] + " TASK_KILLING"}
	if strings.Join(got, ",") != strings.Join(want, ",") || tk.tasksOmitted != 17 {
		t.Fatalf("changes %v (%d omitted), want %v (17 omitted)", got, tk.tasksOmitted, want)
	}
}

// A task changed without the journal (some other way) is still counted
// within fullScanEvery ticks: each framework is looked over in turn.
func TestStreamWatchSafetyNetLooksOverEachFramework(t *testing.T) {
	s := buildScale(t, 6, 3, 2)
	w := newStreamWatch(1 << 20)
	w.tick(s.c)
	var changed []*mesos.Task
	for _, fid := range s.frameworks {
		for _, task := range s.c.frameworks[fid].tasks {
			task.State = mesos.TaskState_TASK_KILLING.Enum() // not journaled
			changed = append(changed, task)
			break
		}
	}
	seen, ticks := 0, 0
	for range fullScanEvery {
		if n := len(w.tick(s.c).tasks); n > 0 {
			seen += n
			ticks++
		}
	}
	if seen != len(changed) || ticks != len(changed) {
		t.Errorf("%d changes reported on %d of %d ticks, want %d, one framework's a tick", seen, ticks, fullScanEvery, len(changed))
	}
	fresh := newStreamWatch(0).tick(s.c).overview
	if got, want := w.tick(s.c).overview.Tasks, fresh.Tasks; got != want {
		t.Errorf("task counts %+v, from scratch %+v", got, want)
	}
}

// One slow tick delays the next by less than twice its time; ticks that
// stay slow space out until the actor spends about a third of its time
// on them.
func TestTickPace(t *testing.T) {
	p := tickPace{interval: time.Second}
	if got := p.next(100 * time.Millisecond); got != time.Second {
		t.Errorf("after a fast tick: wait %v, want the interval", got)
	}
	if got := p.next(3300 * time.Millisecond); got >= 2*time.Second {
		t.Errorf("after one 3.3 s tick: wait %v, want under 2 s", got)
	}
	for range 20 {
		p.next(100 * time.Millisecond)
	}
	if got := p.next(100 * time.Millisecond); got != time.Second {
		t.Errorf("fast again: wait %v, want the interval", got)
	}
	var got time.Duration
	for range 40 {
		got = p.next(2 * time.Second)
	}
	if got < 3900*time.Millisecond || got > 4*time.Second {
		t.Errorf("ticks of 2 s: wait %v, want about 4 s", got)
	}
}
