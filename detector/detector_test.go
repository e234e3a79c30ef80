package detector

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func info(id, pid string) *mesos.MasterInfo {
	return &mesos.MasterInfo{
		Id:   proto.String(id),
		Ip:   proto.Uint32(16777343),
		Port: proto.Uint32(5050),
		Pid:  proto.String(pid),
	}
}

func TestNewSpecs(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "master")
	if err := os.WriteFile(pidFile, []byte("master@127.0.0.1:5050\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop")
	if err := os.WriteFile(loop, []byte("file://"+loop), 0o644); err != nil {
		t.Fatal(err)
	}
	zkFile := filepath.Join(dir, "zk")
	if err := os.WriteFile(zkFile, []byte("zk://127.0.0.1:2181/mesos\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		spec    string
		kind    string // "http", "standalone" or "" for an error
		errText string
	}{
		{"127.0.0.1:5050", "http", ""},
		{"localhost:5050", "http", ""},
		{" http://127.0.0.1:5050/ ", "http", ""},
		{"[::1]:5050", "http", ""},
		{"master@127.0.0.1:5050", "standalone", ""},
		{"file://" + pidFile, "standalone", ""},
		{"", "", "empty master address"},
		{"zk://127.0.0.1:2181/mesos", "zk", ""},
		{"file://" + zkFile, "zk", ""},
		{"zk://u:p@127.0.0.1:2181,127.0.0.2:2181/mesos/a", "zk", ""},
		{"zk://127.0.0.1:2181", "", "missing the znode path"},
		{"zk://127.0.0.1/mesos", "", "missing port"},
		{"zk://127.0.0.1:2181/", "", "must not be the root"},
		{"zk:///mesos", "", "no servers"},
		{"127.0.0.1", "", "missing port"},
		{"127.0.0.1:0", "", "bad port"},
		{"127.0.0.1:99999", "", "bad port"},
		{"127.0.0.1:http", "", "bad port"},
		{":5050", "", "empty host"},
		{"master@", "", "not a valid PID"},
		{"@127.0.0.1:5050", "", "not a valid PID"},
		{"https://127.0.0.1:5050", "", "unsupported scheme"},
		{"http://127.0.0.1:5050/master", "", "a path (/master) is not supported"},
		{"127.0.0.1:5050/master/info", "", "a path (/master/info) is not supported"},
		{"file://" + filepath.Join(dir, "missing"), "", "no such file"},
		{"file://" + empty, "", "is empty"},
		{"file://" + loop, "", "too many levels"},
		{"file://", "", "empty file path"},
		{"local", "", "not supported"},
	}
	for _, tc := range tests {
		d, err := New(tc.spec)
		if tc.kind == "" {
			if err == nil {
				t.Errorf("New(%q) = %T, want error containing %q", tc.spec, d, tc.errText)
			} else if !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("New(%q) error %q, want it to contain %q", tc.spec, err, tc.errText)
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%q): %v", tc.spec, err)
			continue
		}
		switch d.(type) {
		case *httpDetector:
			if tc.kind != "http" {
				t.Errorf("New(%q) = HTTP detector, want %s", tc.spec, tc.kind)
			}
		case *Standalone:
			if tc.kind != "standalone" {
				t.Errorf("New(%q) = standalone detector, want %s", tc.spec, tc.kind)
			}
		case *ZooKeeper:
			if tc.kind != "zk" {
				t.Errorf("New(%q) = ZooKeeper detector, want %s", tc.spec, tc.kind)
			}
			d.(*ZooKeeper).Close()
		default:
			t.Errorf("New(%q) = %T", tc.spec, d)
		}
	}
}

func TestFixedPID(t *testing.T) {
	d, err := New("master@127.0.0.1:5050")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := d.Detect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := LeaderPID(got)
	if err != nil {
		t.Fatal(err)
	}
	if pid.String() != "master@127.0.0.1:5050" {
		t.Fatalf("leader pid = %s", pid)
	}
	if got.GetPort() != 5050 || got.GetIp() != 16777343 || got.GetHostname() != "127.0.0.1" {
		t.Fatalf("leader info = %v", got)
	}
	// Asking again with the same leader blocks until ctx ends.
	short, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := d.Detect(short, got); !errors.Is(err, context.Canceled) {
		t.Fatalf("Detect(same) = %v, want context.Canceled", err)
	}
}

func TestLeaderPID(t *testing.T) {
	if _, err := LeaderPID(nil); err == nil {
		t.Error("LeaderPID(nil) succeeded")
	}
	if _, err := LeaderPID(info("a", "")); err == nil {
		t.Error("LeaderPID(no pid) succeeded")
	}
	if _, err := LeaderPID(info("a", "garbage")); err == nil {
		t.Error("LeaderPID(garbage) succeeded")
	}
	pid, err := LeaderPID(info("a", "master@10.0.0.1:7000"))
	if err != nil || pid.ID != "master" || pid.Address != "10.0.0.1:7000" {
		t.Errorf("LeaderPID = %v, %v", pid, err)
	}
}

func TestSame(t *testing.T) {
	a := info("id1", "master@127.0.0.1:1")
	tests := []struct {
		x, y *mesos.MasterInfo
		want bool
	}{
		{nil, nil, true},
		{a, nil, false},
		{nil, a, false},
		{a, info("id1", "master@127.0.0.1:1"), true},
		{a, info("id2", "master@127.0.0.1:1"), false},
		{a, info("", "master@127.0.0.1:1"), true},
		{a, info("id1", "master@127.0.0.1:2"), false},
	}
	for i, tc := range tests {
		if got := Same(tc.x, tc.y); got != tc.want {
			t.Errorf("case %d: Same = %v, want %v", i, got, tc.want)
		}
	}
}

func TestStandaloneAppoint(t *testing.T) {
	s := NewStandalone(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	m1 := info("1", "master@127.0.0.1:1")
	m2 := info("2", "master@127.0.0.1:2")

	results := make(chan *mesos.MasterInfo, 1)
	go func() {
		got, err := s.Detect(ctx, nil)
		if err != nil {
			t.Error(err)
		}
		results <- got
	}()
	s.Appoint(m1)
	if got := <-results; got.GetPid() != m1.GetPid() {
		t.Fatalf("first leader = %v", got)
	}

	// Re-appointing the same master is no change.
	go func() {
		got, err := s.Detect(ctx, m1)
		if err != nil {
			t.Error(err)
		}
		results <- got
	}()
	s.Appoint(info("1", "master@127.0.0.1:1"))
	s.Appoint(m2)
	if got := <-results; got.GetPid() != m2.GetPid() {
		t.Fatalf("second leader = %v", got)
	}

	// Removing the leader reports nil.
	go func() {
		got, err := s.Detect(ctx, m2)
		if err != nil {
			t.Error(err)
		}
		results <- got
	}()
	s.Appoint(nil)
	if got := <-results; got != nil {
		t.Fatalf("after removal = %v, want nil", got)
	}
	if s.Leader() != nil {
		t.Fatal("Leader() not nil")
	}

	// Returned infos are copies.
	s.Appoint(m1)
	got, _ := s.Detect(ctx, nil)
	got.Pid = proto.String("changed@127.0.0.1:9")
	if s.Leader().GetPid() != m1.GetPid() {
		t.Fatal("Detect returned the detector's own MasterInfo")
	}
}

func TestStandaloneContext(t *testing.T) {
	s := NewStandalone(info("1", "master@127.0.0.1:1"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := s.Detect(ctx, s.Leader())
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Detect = %v, want context.Canceled", err)
	}
}

// fakeMaster serves /master/info with a settable answer.
type fakeMaster struct {
	mu     sync.Mutex
	info   *mesos.MasterInfo
	status int
	body   string
	polls  chan struct{}
}

func (f *fakeMaster) set(info *mesos.MasterInfo, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.info, f.status, f.body = info, status, body
}

func (f *fakeMaster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/master/info" {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	info, status, body := f.info, f.status, f.body
	f.mu.Unlock()
	defer func() {
		select {
		case f.polls <- struct{}{}:
		default:
		}
	}()
	if status != 0 {
		http.Error(w, "unavailable", status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if body != "" {
		_, _ = w.Write([]byte(body))
		return
	}
	data, _ := protojson.MarshalOptions{UseProtoNames: true}.Marshal(info)
	_, _ = w.Write(data)
}

func newFake(t *testing.T) (*fakeMaster, *httptest.Server, *httpDetector) {
	t.Helper()
	f := &fakeMaster{polls: make(chan struct{}, 1)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	log, _ := recordingLogger()
	d, err := NewWithLogger(srv.Listener.Addr().String(), log)
	if err != nil {
		t.Fatal(err)
	}
	hd := d.(*httpDetector)
	hd.interval = time.Millisecond
	return f, srv, hd
}

func TestHTTPDetect(t *testing.T) {
	f, _, d := newFake(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	m1 := info("1", "master@127.0.0.1:7001")
	f.set(m1, 0, "")
	got, err := d.Detect(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetPid() != m1.GetPid() || got.GetId() != "1" || got.GetPort() != 5050 {
		t.Fatalf("detected %v", got)
	}

	// Unknown fields from a newer master are ignored.
	f.set(nil, 0, `{"id":"2","ip":1,"port":5050,"pid":"master@127.0.0.1:7002","future_field":{"x":1}}`)
	got, err = d.Detect(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetPid() != "master@127.0.0.1:7002" {
		t.Fatalf("detected %v", got)
	}

	// A restarted master at the same pid has a new id: a change.
	f.set(info("3", "master@127.0.0.1:7002"), 0, "")
	got, err = d.Detect(ctx, got)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetId() != "3" {
		t.Fatalf("detected %v", got)
	}
}

func TestHTTPLeaderLost(t *testing.T) {
	f, srv, d := newFake(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	m1 := info("1", "master@127.0.0.1:7001")
	f.set(m1, 0, "")
	got, err := d.Detect(ctx, nil)
	if err != nil || got == nil {
		t.Fatalf("Detect = %v, %v", got, err)
	}

	// A failed poll after a leader was known reports no leader.
	f.set(nil, http.StatusServiceUnavailable, "")
	got, err = d.Detect(ctx, got)
	if err != nil || got != nil {
		t.Fatalf("Detect after failure = %v, %v; want nil, nil", got, err)
	}

	// With no leader known, failures keep it polling until one answers.
	select {
	case <-f.polls:
	default:
	}
	results := make(chan *mesos.MasterInfo, 1)
	go func() {
		got, err := d.Detect(ctx, nil)
		if err != nil {
			t.Error(err)
		}
		results <- got
	}()
	<-f.polls // at least one failed poll happened
	f.set(nil, 0, `not json`)
	<-f.polls
	f.set(nil, 0, `{"id":"x","ip":1,"port":1}`) // no pid
	<-f.polls
	f.set(m1, 0, "")
	if got := <-results; got.GetPid() != m1.GetPid() {
		t.Fatalf("Detect = %v", got)
	}

	// The server going away is a failed poll too.
	srv.Close()
	got, err = d.Detect(ctx, m1)
	if err != nil || got != nil {
		t.Fatalf("Detect after close = %v, %v; want nil, nil", got, err)
	}
}

func TestHTTPContext(t *testing.T) {
	f, _, d := newFake(t)
	m1 := info("1", "master@127.0.0.1:7001")
	f.set(m1, 0, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := d.Detect(ctx, m1)
		done <- err
	}()
	<-f.polls
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Detect = %v, want context.Canceled", err)
	}
}

// recorder is a logrus hook that hands every entry to the test.
type recorder struct{ entries chan *logrus.Entry }

func (r *recorder) Levels() []logrus.Level { return logrus.AllLevels }

func (r *recorder) Fire(e *logrus.Entry) error {
	select {
	case r.entries <- e:
	default: // the test reads only the first few
	}
	return nil
}

func recordingLogger() (*logrus.Logger, *recorder) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	log.SetLevel(logrus.DebugLevel)
	rec := &recorder{entries: make(chan *logrus.Entry, 64)}
	log.AddHook(rec)
	return log, rec
}

func (r *recorder) next(t *testing.T) *logrus.Entry {
	t.Helper()
	select {
	case e := <-r.entries:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no log entry")
		return nil
	}
}

func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case e := <-r.entries:
		t.Fatalf("unexpected log entry %s %q", e.Level, e.Message)
	default:
	}
}

// The first failed poll warns at once, later ones at most every
// WarnInterval; a master found after failures is an info line; a leader
// that stops answering is "lost".
func TestHTTPWarnThrottle(t *testing.T) {
	log, rec := recordingLogger()
	d := newHTTP("127.0.0.1:5050", log)
	start := time.Unix(1000, 0)
	clock := start
	d.now = func() time.Time { return clock }
	at := func(s float64) { clock = start.Add(time.Duration(s * float64(time.Second))) }
	refused := &url.Error{Op: "Get", URL: d.url, Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}

	at(0)
	d.failed(refused)
	e := rec.next(t)
	if want := "No master found at http://127.0.0.1:5050/master/info yet (connection refused); retrying"; e.Level != logrus.WarnLevel || e.Message != want {
		t.Fatalf("first failure: %s %q, want warning %q", e.Level, e.Message, want)
	}
	for _, s := range []float64{1, 5, 9.999} {
		at(s)
		d.failed(refused)
	}
	rec.none(t)
	at(10)
	d.failed(refused)
	e = rec.next(t)
	if want := "Still no master at http://127.0.0.1:5050/master/info after 10s (connection refused); retrying"; e.Level != logrus.WarnLevel || e.Message != want {
		t.Fatalf("after 10s: %s %q, want warning %q", e.Level, e.Message, want)
	}
	if e.Data["failures"] != 5 {
		t.Fatalf("fields %v", e.Data)
	}
	at(19)
	d.failed(refused)
	rec.none(t)
	at(20)
	d.failed(notMaster("404 Not Found"))
	e = rec.next(t)
	if !strings.Contains(e.Message, "http://127.0.0.1:5050/master/info does not look like a gomesos/Mesos master (404 Not Found)") {
		t.Fatalf("not a master: %q", e.Message)
	}

	at(21)
	d.answered(info("1", "master@127.0.0.1:7001"))
	e = rec.next(t)
	if want := "Found master master@127.0.0.1:7001 at http://127.0.0.1:5050/master/info after 7 failed attempts (21s)"; e.Level != logrus.InfoLevel || e.Message != want {
		t.Fatalf("found: %s %q, want info %q", e.Level, e.Message, want)
	}
	at(22)
	d.answered(info("1", "master@127.0.0.1:7001"))
	rec.none(t) // no failures in between: nothing to say

	at(23)
	d.failed(errors.New("503 Service Unavailable"))
	e = rec.next(t)
	if want := "Lost the master at http://127.0.0.1:5050/master/info (503 Service Unavailable); retrying"; e.Level != logrus.WarnLevel || e.Message != want {
		t.Fatalf("lost: %s %q, want warning %q", e.Level, e.Message, want)
	}
	at(24)
	d.failed(errors.New("503 Service Unavailable"))
	rec.none(t)
}

// Detect reports what a real failed poll found: nobody listening, an HTTP
// server that is not a master, a server that does not speak HTTP/1.
func TestHTTPWarnReasons(t *testing.T) {
	// A raw TCP server answering with an HTTP/2 frame, as a gRPC port does
	// (which sends it even before the request: net/http's error then
	// differs, and is matched too, but the test reads the request first to
	// be deterministic).
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	go func() {
		for {
			c, err := raw.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = http.ReadRequest(bufio.NewReader(c))
				_, _ = c.Write([]byte("\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x05\x00\x00@\x00"))
			}()
		}
	}()

	for _, tc := range []struct {
		name   string
		status int
		body   string
		addr   string
		want   string
	}{
		{name: "refused", addr: "closed", want: "yet (connection refused); retrying"},
		{name: "agent", status: http.StatusNotFound, want: "does not look like a gomesos/Mesos master (404 Not Found); check the master address"},
		{name: "unavailable", status: http.StatusServiceUnavailable, want: "yet (503 Service Unavailable); retrying"},
		{name: "html", body: "<html></html>", want: "does not look like a gomesos/Mesos master (the answer is not JSON)"},
		{name: "nopid", body: `{"id":"x","ip":1,"port":1}`, want: "does not look like a gomesos/Mesos master (the MasterInfo has no pid)"},
		{name: "grpc", addr: raw.Addr().String(), want: "does not look like a gomesos/Mesos master (the answer is not HTTP/1; for the master's actor port, give master@host:port)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.addr
			switch addr {
			case "closed": // a port nobody listens on, just now
				closed := httptest.NewServer(http.NotFoundHandler())
				addr = closed.Listener.Addr().String()
				closed.Close()
			case "":
				f := &fakeMaster{polls: make(chan struct{}, 1), status: tc.status, body: tc.body}
				srv := httptest.NewServer(f)
				defer srv.Close()
				addr = srv.Listener.Addr().String()
			}
			log, rec := recordingLogger()
			d, err := NewWithLogger(addr, log)
			if err != nil {
				t.Fatal(err)
			}
			d.(*httpDetector).interval = time.Millisecond
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := d.Detect(ctx, nil)
				done <- err
			}()
			e := rec.next(t)
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Detect = %v, want context.Canceled", err)
			}
			if e.Level != logrus.WarnLevel || !strings.Contains(e.Message, tc.want) || !strings.Contains(e.Message, "http://"+addr+"/master/info") {
				t.Fatalf("%s %q, want a warning naming the URL and containing %q", e.Level, e.Message, tc.want)
			}
		})
	}
}

// A master that starts answering after failed polls ends the wait, with an
// info line.
func TestHTTPFoundAfterFailures(t *testing.T) {
	f, _, d := newFake(t)
	log, rec := recordingLogger()
	d.log = log
	f.set(nil, http.StatusServiceUnavailable, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	results := make(chan *mesos.MasterInfo, 1)
	go func() {
		got, err := d.Detect(ctx, nil)
		if err != nil {
			t.Error(err)
		}
		results <- got
	}()
	if e := rec.next(t); e.Level != logrus.WarnLevel {
		t.Fatalf("first: %s %q", e.Level, e.Message)
	}
	m1 := info("1", "master@127.0.0.1:7001")
	f.set(m1, 0, "")
	if got := <-results; got.GetPid() != m1.GetPid() {
		t.Fatalf("Detect = %v", got)
	}
	e := rec.next(t)
	if e.Level != logrus.InfoLevel || !strings.HasPrefix(e.Message, "Found master master@127.0.0.1:7001 at "+d.url+" after ") {
		t.Fatalf("found: %s %q", e.Level, e.Message)
	}
}

// NewWithLogger(nil) is quiet, and file:// detectors get the logger too.
func TestNewWithLogger(t *testing.T) {
	d, err := NewWithLogger("127.0.0.1:5050", nil)
	if err != nil {
		t.Fatal(err)
	}
	d.(*httpDetector).failed(errors.New("x")) // must not panic
	log, _ := recordingLogger()
	path := filepath.Join(t.TempDir(), "master")
	if err := os.WriteFile(path, []byte("127.0.0.1:5050\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err = NewWithLogger("file://"+path, log)
	if err != nil {
		t.Fatal(err)
	}
	if d.(*httpDetector).log != log {
		t.Fatal("file:// detector does not use the given logger")
	}
	if d, _ := New("127.0.0.1:5050"); d.(*httpDetector).log != logrus.StandardLogger() {
		t.Fatal("New does not log to logrus.StandardLogger()")
	}
}

// A known leader whose /master/info times out (a master busy with a burst)
// is followed on, not reported lost, until the timeouts have gone on for
// the grace period; a leader that refuses the connection is lost at once
// (TestHTTPLeaderLost).
func TestHTTPSlowMasterIsNotLost(t *testing.T) {
	m1, m2 := info("1", "master@127.0.0.1:7001"), info("2", "master@127.0.0.1:7002")
	var mu sync.Mutex
	stall, cur := true, m1
	stalled := make(chan struct{}, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		s, answer := stall, cur
		mu.Unlock()
		if s { // answer only once the client has given up
			stalled <- struct{}{}
			<-r.Context().Done()
			return
		}
		data, _ := protojson.Marshal(answer)
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	log, rec := recordingLogger()
	d := newHTTP(srv.Listener.Addr().String(), log)
	d.interval = time.Millisecond
	d.client.Timeout = 20 * time.Millisecond
	d.grace = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	results := make(chan *mesos.MasterInfo, 1)
	go func() {
		got, err := d.Detect(ctx, m1)
		if err != nil {
			t.Error(err)
		}
		results <- got
	}()
	// A third poll means the first two timed out without ending Detect.
	for range 3 {
		<-stalled
	}
	mu.Lock()
	stall, cur = false, m2
	mu.Unlock()
	if got := <-results; got.GetPid() != m2.GetPid() {
		t.Fatalf("Detect = %v, want the new leader %s (the slow one was not lost)", got, m2.GetPid())
	}
	for {
		e := rec.next(t)
		if strings.Contains(e.Message, "Lost the master") {
			t.Fatalf("a slow master was reported lost: %q", e.Message)
		}
		if strings.HasPrefix(e.Message, "Found master") {
			break
		}
	}

	// Past the grace period the silent leader is lost.
	mu.Lock()
	stall = true
	mu.Unlock()
	d.grace = 0
	go func() {
		got, err := d.Detect(ctx, m2)
		if err != nil {
			t.Error(err)
		}
		results <- got
	}()
	if got := <-results; got != nil {
		t.Fatalf("Detect = %v, want nil once the grace period is over", got)
	}
}
