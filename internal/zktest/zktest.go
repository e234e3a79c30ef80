// Package zktest starts real Apache ZooKeeper servers (Debian's zookeeper
// package) from Go tests: a standalone server or a three-node ensemble, each
// on free loopback ports with its own data folder, stopped by PID when the
// test ends.
//
// Tests skip with a reason when java or the ZooKeeper jar is missing, unless
// CI=true or ZK_REQUIRED=1, where a missing ZooKeeper fails the test (`make
// test` installs it).
package zktest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Jar is Debian's ZooKeeper jar; SLF4J sends the server's log to stderr.
var (
	Jar      = "/usr/share/java/zookeeper.jar"
	slf4jJar = "/usr/share/java/slf4j-simple.jar"
)

// Missing reports why a ZooKeeper server cannot be started here ("" when it
// can).
func Missing() string {
	if _, err := os.Stat(Jar); err != nil {
		return "ZooKeeper is not installed (" + Jar + " missing; apt-get install zookeeper, or make test-deps)"
	}
	if _, err := exec.LookPath("java"); err != nil {
		return "java is not installed (needed to run ZooKeeper)"
	}
	return ""
}

// Require skips t when ZooKeeper cannot run here, or fails it in CI
// (CI=true or ZK_REQUIRED=1), where it must be installed.
func Require(t testing.TB) {
	t.Helper()
	reason := Missing()
	if reason == "" {
		return
	}
	if os.Getenv("CI") == "true" || os.Getenv("ZK_REQUIRED") == "1" {
		t.Fatalf("%s; CI needs it", reason)
	}
	t.Skip(reason)
}

// Options tune a server. The zero value gives tickTime=100 ms, so that a
// session expires close to its timeout.
type Options struct {
	TickTime time.Duration // default 100 ms
}

// Server is one running ZooKeeper process.
type Server struct {
	Addr string // 127.0.0.1:port for clients
	Dir  string // data folder and log

	id       int // ensemble member number (0: standalone)
	cfg      string
	dataDir  string
	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	stopping bool
}

// Start starts a standalone server for t and stops it when t ends.
func Start(t testing.TB, opts ...Options) *Server {
	t.Helper()
	Require(t)
	o := options(opts)
	dir := t.TempDir()
	var last error
	for try := 0; try < 5; try++ {
		ports, err := freePorts(1)
		if err != nil {
			t.Fatalf("zktest: %v", err)
		}
		s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", ports[0]), Dir: dir, dataDir: filepath.Join(dir, fmt.Sprintf("data%d", try))}
		s.cfg = filepath.Join(dir, "zoo.cfg")
		if err := os.WriteFile(s.cfg, []byte(config(o, s.dataDir, ports[0])), 0o644); err != nil {
			t.Fatalf("zktest: %v", err)
		}
		if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
			t.Fatalf("zktest: %v", err)
		}
		if err := s.launch(); err != nil {
			t.Fatalf("zktest: %v", err)
		}
		t.Cleanup(s.Stop)
		if last = s.waitReady(30 * time.Second); last == nil {
			return s
		}
		s.Stop() // most likely a port taken between our probe and its bind
	}
	t.Fatalf("zktest: server did not start: %v", last)
	return nil
}

// Ensemble is a ZooKeeper ensemble on loopback.
type Ensemble struct {
	Servers []*Server
}

// StartEnsemble starts an ensemble of n servers (3 for a quorum that
// survives one loss) and waits until it has a leader.
func StartEnsemble(t testing.TB, n int, opts ...Options) *Ensemble {
	t.Helper()
	Require(t)
	if n < 1 {
		t.Fatalf("zktest: ensemble of %d servers", n)
	}
	o := options(opts)
	dir := t.TempDir()
	ports, err := freePorts(3 * n)
	if err != nil {
		t.Fatalf("zktest: %v", err)
	}
	var peers strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&peers, "server.%d=127.0.0.1:%d:%d\n", i+1, ports[3*i+1], ports[3*i+2])
	}
	e := &Ensemble{}
	for i := 0; i < n; i++ {
		sdir := filepath.Join(dir, strconv.Itoa(i+1))
		s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", ports[3*i]), Dir: sdir, id: i + 1, dataDir: filepath.Join(sdir, "data")}
		if err := os.MkdirAll(s.dataDir, 0o755); err != nil {
			t.Fatalf("zktest: %v", err)
		}
		if err := os.WriteFile(filepath.Join(s.dataDir, "myid"), []byte(strconv.Itoa(i+1)+"\n"), 0o644); err != nil {
			t.Fatalf("zktest: %v", err)
		}
		s.cfg = filepath.Join(sdir, "zoo.cfg")
		cfg := config(o, s.dataDir, ports[3*i]) + "initLimit=10\nsyncLimit=5\n" + peers.String()
		if err := os.WriteFile(s.cfg, []byte(cfg), 0o644); err != nil {
			t.Fatalf("zktest: %v", err)
		}
		if err := s.launch(); err != nil {
			t.Fatalf("zktest: %v", err)
		}
		t.Cleanup(s.Stop)
		e.Servers = append(e.Servers, s)
	}
	for _, s := range e.Servers {
		if err := s.waitReady(60 * time.Second); err != nil {
			t.Fatalf("zktest: ensemble member %d: %v", s.id, err)
		}
	}
	if _, err := e.WaitLeader(30*time.Second, -1); err != nil {
		t.Fatalf("zktest: %v", err)
	}
	return e
}

// Connect is the client address list (host:port,host:port,...).
func (e *Ensemble) Connect() string {
	addrs := make([]string, len(e.Servers))
	for i, s := range e.Servers {
		addrs[i] = s.Addr
	}
	return strings.Join(addrs, ",")
}

// WaitLeader waits until a running member other than index except (-1:
// any) reports Mode: leader, and returns its index.
func (e *Ensemble) WaitLeader(within time.Duration, except int) (int, error) {
	deadline := time.Now().Add(within)
	for {
		for i, s := range e.Servers {
			if i == except || !s.Running() {
				continue
			}
			if mode, err := s.Mode(); err == nil && mode == "leader" {
				return i, nil
			}
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("no ensemble leader within %v", within)
		}
		time.Sleep(20 * time.Millisecond) // polling a server that has no event to wait on
	}
}

func options(opts []Options) Options {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.TickTime <= 0 {
		o.TickTime = 100 * time.Millisecond
	}
	return o
}

func config(o Options, dataDir string, port int) string {
	return fmt.Sprintf(`tickTime=%d
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat,mntr,conf
minSessionTimeout=200
maxSessionTimeout=60000
`, o.TickTime.Milliseconds(), dataDir, port)
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (s *Server) launch() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	logf, err := os.OpenFile(filepath.Join(s.Dir, "zk.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("java", "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Djava.net.preferIPv4Stack=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
		"-cp", Jar+":"+slf4jJar, "org.apache.zookeeper.server.quorum.QuorumPeerMain", s.cfg)
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server dies with the test binary, should the test not clean up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start java: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.cmd, s.exited, s.stopping = cmd, exited, false
	return nil
}

// waitReady waits until the server answers srvr with a Mode line and conf
// names our data folder (so that it is ours, not another on the port).
func (s *Server) waitReady(within time.Duration) error {
	deadline := time.Now().Add(within)
	want := "dataDir=" + filepath.Join(s.dataDir, "version-2")
	for {
		s.mu.Lock()
		exited := s.exited
		s.mu.Unlock()
		select {
		case <-exited:
			return fmt.Errorf("server exited early; log:\n%s", s.logTail())
		default:
		}
		if conf, err := FourLetter(s.Addr, "conf", 200*time.Millisecond); err == nil && strings.Contains(conf, want) {
			if mode, err := s.Mode(); err == nil && mode != "" {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not serving within %v; log:\n%s", within, s.logTail())
		}
		time.Sleep(20 * time.Millisecond) // polling a starting process
	}
}

func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "zk.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// Mode is the server's role from srvr: standalone, leader or follower.
func (s *Server) Mode() (string, error) {
	out, err := FourLetter(s.Addr, "srvr", 300*time.Millisecond)
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if m, ok := strings.CutPrefix(sc.Text(), "Mode: "); ok {
			return strings.TrimSpace(m), nil
		}
	}
	return "", errors.New("srvr: no Mode line (not serving)")
}

// Running reports whether the server process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// PID is the server's process id (0 when never started).
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop kills the server (SIGKILL, by its PID) and waits for it to exit.
// Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.stopping = true
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// Restart starts a stopped server again with the same ports and data.
func (s *Server) Restart(within time.Duration) error {
	s.Stop()
	if err := s.launch(); err != nil {
		return err
	}
	return s.waitReady(within)
}

// FourLetter sends a ZooKeeper four-letter word and returns the answer.
// Keep timeout short while a server starts: it may accept and never answer.
func FourLetter(addr, word string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte(word)); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	_, err = buf.ReadFrom(c)
	if err != nil && buf.Len() == 0 {
		return "", err
	}
	return buf.String(), nil
}
