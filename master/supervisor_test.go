package master

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/contender"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/mesos"
)

// startSupervised starts a supervised master on its own Local node, in
// group, announcing HTTP port port.
func startSupervised(t *testing.T, group *contender.Group, port int) *Supervisor {
	t.Helper()
	node := actortest.NewNode(t, actors.RealClock())
	cfg := DefaultConfig()
	cfg.IP, cfg.Port, cfg.Hostname = "127.0.0.1", port, "127.0.0.1"
	opts := SupervisorOptions{ContendRetry: 10 * time.Millisecond}
	if group != nil {
		opts.Contender, opts.Detector = group, group
	}
	s, err := NewSupervisor(node, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop) // before the node shuts down
	return s
}

func waitState(t *testing.T, s *Supervisor, want LeadershipState) {
	t.Helper()
	actortest.WaitUntil(t, fmt.Sprintf("the master %s", want), func() bool { return s.State() == want })
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, h http.Handler, path string) (int, string, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := noRedirects.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, resp.Header.Get("Location"), b.String()
}

// serveJSON is getJSON on h.
func serveJSON(t *testing.T, h http.Handler, path string) map[string]any {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	return getJSON(t, srv, path)
}

func TestStandaloneSupervisorLeadsAtOnce(t *testing.T) {
	s := startSupervised(t, nil, 5050)
	ctx, cancel := context.WithTimeout(context.Background(), actortest.DefaultTimeout)
	defer cancel()
	if err := s.Await(ctx, Leading); err != nil {
		t.Fatal(err)
	}
	m := s.Master()
	if m == nil || m.PID().IsZero() {
		t.Fatal("leading without a running master")
	}
	if got := s.Info().GetId(); got != m.Info().GetId() {
		t.Fatalf("master id %s, candidacy %s", m.Info().GetId(), got)
	}
	code, loc, _ := do(t, s.Handler(), "/master/redirect")
	if code != http.StatusTemporaryRedirect || loc != "//127.0.0.1:5050" {
		t.Fatalf("/master/redirect: %d %q, want 307 to //127.0.0.1:5050", code, loc)
	}
	if code, _, _ := do(t, s.Handler(), "/master/redirect/x"); code != http.StatusNotFound {
		t.Fatalf("/master/redirect/x: %d, want 404", code)
	}
	st := serveJSON(t, s.Handler(), "/master/state")
	if st["leader"] != m.Info().GetPid() || st["elected_time"] == nil || st["start_time"] == nil {
		t.Fatalf("leader's state: leader=%v elected_time=%v start_time=%v", st["leader"], st["elected_time"], st["start_time"])
	}
}

// Three masters in one election: one leads, the others are standbys that
// redirect; the leader's session expires: its master is stopped, another
// leads, and the deposed one contends again as a standby, in the same
// process.
func TestSupervisorStepsDownAndContendsAgain(t *testing.T) {
	g := contender.NewGroup()
	a := startSupervised(t, g, 5051)
	waitState(t, a, Leading)
	b := startSupervised(t, g, 5052)
	c := startSupervised(t, g, 5053)
	waitState(t, b, Standby)
	waitState(t, c, Standby)
	actortest.WaitUntil(t, "b to know the leader", func() bool { return b.Leader().GetId() == a.Info().GetId() })
	if b.Master() != nil || c.Master() != nil {
		t.Fatal("a standby runs a master")
	}

	// A standby: not the leader in its state, redirects to the leader.
	h := b.Handler()
	st := serveJSON(t, h, "/master/state")
	if st["leader"] != a.Info().GetPid() || st["elected_time"] != nil || st["pid"] == st["leader"] {
		t.Fatalf("standby's state: leader=%v elected_time=%v pid=%v", st["leader"], st["elected_time"], st["pid"])
	}
	if li, _ := st["leader_info"].(map[string]any); li["id"] != a.Info().GetId() || li["port"] != float64(5051) {
		t.Fatalf("standby's leader_info: %v", st["leader_info"])
	}
	for path, want := range map[string]string{
		"/master/redirect":                  "//127.0.0.1:5051",
		"/redirect":                         "//127.0.0.1:5051",
		"/master/tasks?limit=1":             "//127.0.0.1:5051/master/tasks?limit=1",
		"/master/frameworks":                "//127.0.0.1:5051/master/frameworks",
		"/master/info":                      "//127.0.0.1:5051/master/info",
		"/allocator/explain?framework_id=x": "//127.0.0.1:5051/allocator/explain?framework_id=x",
	} {
		if code, loc, _ := do(t, h, path); code != http.StatusTemporaryRedirect || loc != want {
			t.Errorf("standby %s: %d %q, want 307 to %s", path, code, loc, want)
		}
	}
	if code, _, _ := do(t, h, "/master/health"); code != http.StatusOK {
		t.Errorf("standby /master/health: %d", code)
	}
	if snap := serveJSON(t, h, "/metrics/snapshot"); snap["master/elected"] != float64(0) {
		t.Errorf("standby master/elected = %v", snap["master/elected"])
	}
	if snap := serveJSON(t, a.Handler(), "/metrics/snapshot"); snap["master/elected"] != float64(1) {
		t.Errorf("leader master/elected = %v", snap["master/elected"])
	}

	// A UI following the leader's stream.
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel() // before srv.Close, which waits for the stream
	_, events := openStream(t, ctx, srv.URL+"/master/stream")
	nextEvent := next
	nextEvent(t, events, "the leader's snapshot", func(e sseEventRead) bool { return e.name == "snapshot" })

	// The leader's session expires.
	old := a.Master()
	oldID := a.Info().GetId()
	g.ExpireLeader()
	actortest.WaitUntil(t, "another master to lead", func() bool {
		return b.State() == Leading || c.State() == Leading
	})
	next := b
	if c.State() == Leading {
		next = c
	}
	waitState(t, a, Standby)
	if a.Master() != nil {
		t.Fatal("the deposed master still runs a master")
	}
	// Its stream ends, so that the UI reconnects (to the new leader).
	nextEvent(t, events, "the deposed master's closing event", func(e sseEventRead) bool { return e.name == "closing" })
	if _, err := old.call(t.Context(), func() any { return nil }); err == nil {
		t.Fatal("the deposed master's actor still answers")
	}
	if a.Info().GetId() == oldID {
		t.Fatal("the deposed master contends again with its old id")
	}
	snap := serveJSON(t, a.Handler(), "/metrics/snapshot")
	if snap["master/elected"] != float64(0) || snap["master/slaves_active"] != nil || snap["allocator/mesos/allocation_runs"] != nil {
		t.Fatalf("the deposed master still publishes a master's metrics: elected=%v slaves_active=%v allocation_runs=%v",
			snap["master/elected"], snap["master/slaves_active"], snap["allocator/mesos/allocation_runs"])
	}
	if n := len(g.Members()); n != 3 {
		t.Fatalf("%d members, want 3 (the deposed one back as a standby)", n)
	}
	actortest.WaitUntil(t, "the deposed master to know the new leader", func() bool {
		return a.Leader().GetId() == next.Info().GetId()
	})
	if code, loc, _ := do(t, a.Handler(), "/master/redirect"); code != http.StatusTemporaryRedirect || loc != "//"+LeaderHostPort(next.Info()) {
		t.Fatalf("deposed /master/redirect: %d %q", code, loc)
	}
}

// blockingContender never makes a candidacy: Contend waits for its ctx.
type blockingContender struct{}

func (blockingContender) Contend(ctx context.Context, _ *mesos.MasterInfo) (contender.Candidacy, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A master that knows no leader answers 503 where it would redirect.
func TestStandbyWithoutLeaderAnswers503(t *testing.T) {
	node := actortest.NewNode(t, actors.RealClock())
	cfg := DefaultConfig()
	cfg.IP, cfg.Port, cfg.Hostname = "127.0.0.1", 5055, "127.0.0.1"
	s, err := NewSupervisor(node, cfg, SupervisorOptions{Contender: blockingContender{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	for _, path := range []string{"/master/redirect", "/master/tasks", "/master/frameworks"} {
		if code, _, body := do(t, s.Handler(), path); code != http.StatusServiceUnavailable || !strings.Contains(body, "No leader elected") {
			t.Errorf("%s without a leader: %d %q, want 503 No leader elected", path, code, body)
		}
	}
	st := serveJSON(t, s.Handler(), "/master/state")
	if _, ok := st["leader"]; ok {
		t.Errorf("state without a leader names one: %v", st["leader"])
	}
	if s.State() != Contending {
		t.Errorf("state %s, want contending", s.State())
	}
}

// A panic in the master actor: the supervisor stops that master, drops it
// and leads again with a fresh one (standalone), without the process
// exiting.
func TestSupervisorReplacesAPanickedMaster(t *testing.T) {
	s := startSupervised(t, nil, 5056)
	waitState(t, s, Leading)
	old := s.Master()
	node := old.node
	node.Dispatch(old.PID(), func() { panic("broken invariant") })
	actortest.WaitUntil(t, "a fresh master to lead", func() bool {
		m := s.Master()
		return m != nil && m != old && s.State() == Leading
	})
	if s.Master().Info().GetId() == old.Info().GetId() {
		t.Fatal("the replacement master kept the panicked one's id")
	}
	old.mu.Lock()
	stopped := old.stopped
	old.mu.Unlock()
	if !stopped {
		t.Fatal("the panicked master was not stopped")
	}
}

// The pure core: stale terms change nothing, a step-down comes before its
// withdrawal, and a failed contend is retried on its timer.
func TestLeadershipCore(t *testing.T) {
	now := actortest.Epoch
	l := NewLeadership(time.Second)
	want := func(got []effect.Effect, w ...effect.Effect) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Fatalf("effects %v, want %v", got, w)
		}
	}
	want(l.Start(now), Contend{Term: 1})
	want(l.Contended(now, 1, errors.New("no zookeeper")), effect.StartTimer{Key: ContendRetryTimer, After: time.Second})
	want(l.Timer(now, ContendRetryTimer), Contend{Term: 2})
	want(l.Contended(now, 1, nil), Withdraw{Term: 1}) // stale
	want(l.Contended(now, 2, nil))
	want(l.Elected(now, 1)) // stale
	want(l.Elected(now, 2), Lead{Term: 2})
	if l.State() != Leading || !l.ElectedAt().Equal(now) {
		t.Fatalf("state %s elected at %v", l.State(), l.ElectedAt())
	}
	lost := errors.New("session expired")
	want(l.Lost(now, 1, lost)) // stale
	want(l.Lost(now, 2, lost), StepDown{Term: 2, Reason: lost}, Withdraw{Term: 2}, Contend{Term: 3})
	want(l.Failed(now, 2, lost)) // stale
	want(l.Contended(now, 3, nil))
	want(l.Lost(now, 3, lost), Withdraw{Term: 3}, Contend{Term: 4}) // a standby
	want(l.Contended(now, 4, nil))
	want(l.Elected(now, 4), Lead{Term: 4})
	want(l.Failed(now, 4, lost), StepDown{Term: 4, Reason: lost}, Withdraw{Term: 4}, Contend{Term: 5})
	want(l.Stop(now, nil), effect.CancelTimer{Key: ContendRetryTimer})
	want(l.Contended(now, 5, nil), Withdraw{Term: 5})
}

// In an election, a master whose actor panicked gives up its candidacy:
// another master leads and the panicked one is back as a standby.
func TestPanickedLeaderBecomesAStandby(t *testing.T) {
	g := contender.NewGroup()
	a := startSupervised(t, g, 5061)
	waitState(t, a, Leading)
	b := startSupervised(t, g, 5062)
	waitState(t, b, Standby)
	old := a.Master()
	old.node.Dispatch(old.PID(), func() { panic("broken invariant") })
	waitState(t, b, Leading)
	waitState(t, a, Standby)
	if a.Master() != nil {
		t.Fatal("the panicked master's supervisor still runs a master")
	}
	if _, err := old.call(t.Context(), func() any { return nil }); err == nil {
		t.Fatal("the panicked master's actor still answers")
	}
}

// A standby redirects an operator's POST with 307, which keeps the method
// and body (Mesos' leader-only endpoints).
func TestStandbyRedirectsWrites(t *testing.T) {
	g := contender.NewGroup()
	a := startSupervised(t, g, 5071)
	waitState(t, a, Leading)
	b := startSupervised(t, g, 5072)
	waitState(t, b, Standby)
	actortest.WaitUntil(t, "b to know the leader", func() bool { return b.Leader() != nil })
	srv := httptest.NewServer(b.Handler())
	defer srv.Close()
	resp, err := noRedirects.Post(srv.URL+"/master/quota", "application/json", strings.NewReader(`{"role":"r"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != "//127.0.0.1:5071/master/quota" {
		t.Fatalf("POST /master/quota at a standby: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// failingStore refuses every Store while fail is set.
type failingStore struct {
	inner registry.Store
	fail  *atomic.Bool
}

func (f failingStore) Fetch(ctx context.Context) ([]byte, registry.Version, error) {
	return f.inner.Fetch(ctx)
}

func (f failingStore) Store(ctx context.Context, data []byte, v registry.Version) (registry.Version, error) {
	if f.fail.Load() {
		return registry.Absent, errors.New("injected store failure")
	}
	return f.inner.Store(ctx, data, v)
}

// A registry write that fails ends the master's leadership: the supervisor
// stops it and leads again with a fresh master that recovers from the
// registry.
func TestRegistryFailureReplacesTheMaster(t *testing.T) {
	node := actortest.NewNode(t, actors.RealClock())
	cfg := DefaultConfig()
	cfg.IP, cfg.Port, cfg.Hostname = "127.0.0.1", 5081, "127.0.0.1"
	mem := registry.NewMemory()
	var fail atomic.Bool
	s, err := NewSupervisor(node, cfg, SupervisorOptions{Registry: func(c contender.Candidacy) registry.Store {
		return failingStore{mem.Fenced(c.Held), &fail}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	waitState(t, s, Leading)
	old := s.Master()

	fail.Store(true)
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/master/weights", strings.NewReader(`[{"role":"r","weight":2}]`))
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Fatal("PUT /master/weights succeeded with a failing registry")
	}
	fail.Store(false)
	actortest.WaitUntil(t, "a fresh master to lead", func() bool {
		m := s.Master()
		return m != nil && m != old && s.State() == Leading
	})
	old.mu.Lock()
	stopped := old.stopped
	old.mu.Unlock()
	if !stopped {
		t.Fatal("the master whose registry write failed was not stopped")
	}
	if got := s.Master().Info().GetId(); got == old.Info().GetId() {
		t.Fatal("the replacement kept the old master's id")
	}
}
