package detector

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
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
		{"zk://127.0.0.1:2181/mesos", "", "zk:// master detection is not supported yet"},
		{"127.0.0.1", "", "missing port"},
		{"127.0.0.1:0", "", "bad port"},
		{"127.0.0.1:99999", "", "bad port"},
		{"127.0.0.1:http", "", "bad port"},
		{":5050", "", "empty host"},
		{"master@", "", "not a valid PID"},
		{"@127.0.0.1:5050", "", "not a valid PID"},
		{"https://127.0.0.1:5050", "", "unsupported scheme"},
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
		default:
			t.Errorf("New(%q) = %T", tc.spec, d)
		}
	}
	if _, err := New("zk://h:2181/m"); !errors.Is(err, ErrZooKeeperUnsupported) {
		t.Errorf("zk error = %v, want ErrZooKeeperUnsupported", err)
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
	d, err := New(srv.Listener.Addr().String())
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
