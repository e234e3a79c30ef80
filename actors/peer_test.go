package actors

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"
)

// One remoting node per OS process (see the package doc): this test binary
// runs exactly one, Shared(), created in TestMain. A test that needs a second
// node talks to a peer: this same binary re-executed as a child process
// (TestMain runs it), which runs its own remoting node and follows commands
// read from its stdin, reporting on its stdout, one line each.
//
// Child commands:
//
//	kick <to> <v>            the client process sends StringValue v to <to>
//	send <from> <to> <v>     Node.Send(from, to, StringValue v)
//	spawn <id>               start an echo process <id>        -> SPAWNED <id> <pid>
//	sendstop <id> <to> <v>   process <id> sends v to <to>, then terminates
//	stop <id>                Node.Stop of process <id>         -> STOPPED <id>
//	count <token>            Int64Values the echo has counted  -> COUNT <token> <n>
//	trace on|off <token>     report every tracer event or not  -> TRACE on|off <token>
//	                         (then, while on: EVENT kind from to type msgid traceid)
//	quit                     Shutdown and exit                 -> BYE
//
// and spontaneous lines:
//
//	READY <address> <echo pid> <client pid>
//	ECHO <from> <v>          the echo got StringValue v (it answers "echo:"+v)
//	REPLY <from> <v>         a client or spawned process got StringValue v
//
// The echo also answers a BytesValue with an Int64Value of its length, and
// counts Int64Values. Empty fields are written "-". stdin's end (the parent
// died) shuts the child down too.

const (
	peerEnv        = "GOMESOS_ACTORS_PEER"         // "1" in a peer child
	peerMaxRecvEnv = "GOMESOS_ACTORS_PEER_MAXRECV" // its gRPC receive limit
	peerPortEnv    = "GOMESOS_ACTORS_PEER_PORT"    // its port (default: any)
)

type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) print(fields ...any) {
	parts := make([]string, len(fields))
	for i, f := range fields {
		s := fmt.Sprint(f)
		if s == "" {
			s = "-"
		}
		parts[i] = s
	}
	l.mu.Lock()
	fmt.Fprintln(l.w, strings.Join(parts, " "))
	l.mu.Unlock()
}

type printTracer struct{ out *lineWriter }

func (p printTracer) Trace(e *Event) {
	p.out.print("EVENT", e.Kind, e.From, e.To, e.Type, e.MsgID, e.TraceID)
}

func runPeer(in io.Reader, stdout io.Writer) error {
	cfg := Config{Host: "127.0.0.1", AdvertiseHost: "127.0.0.1", Logger: testLogger()}
	if v := os.Getenv(peerMaxRecvEnv); v != "" {
		size, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		cfg.maxRecvMsgSize = size
	}
	if v := os.Getenv(peerPortEnv); v != "" {
		port, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		cfg.Port = port
	}
	n, err := NewNode(cfg)
	if err != nil {
		return err
	}
	defer n.Shutdown()
	out := &lineWriter{w: stdout}
	count := 0 // owned by the echo process
	echoInit := func(report bool) func(*Context) {
		return func(c *Context) {
			Install(c, func(from PID, m *wrapperspb.StringValue) {
				if report {
					out.print("ECHO", from, m.Value)
				} else {
					out.print("REPLY", from, m.Value)
				}
				if !strings.HasPrefix(m.Value, "echo:") {
					c.Send(from, wrapperspb.String("echo:"+m.Value))
				}
			})
			Install(c, func(from PID, m *wrapperspb.BytesValue) { c.Send(from, wrapperspb.Int64(int64(len(m.Value)))) })
			Install(c, func(PID, *wrapperspb.Int64Value) { count++ })
		}
	}
	echo, err := n.Spawn("echo", &proc{init: echoInit(true)})
	if err != nil {
		return err
	}
	client, err := n.Spawn("client", &proc{init: func(c *Context) {
		Install(c, func(from PID, m *wrapperspb.StringValue) { out.print("REPLY", from, m.Value) })
	}})
	if err != nil {
		return err
	}
	out.print("READY", n.Address(), echo, client)

	local := func(id string) PID { return PID{ID: id, Address: n.Address()} }
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		arg := func(i int) string {
			if i < len(f) {
				return f[i]
			}
			return ""
		}
		pid := func(i int) PID {
			p, err := ParsePID(arg(i))
			if err != nil {
				out.print("ERROR", err)
			}
			return p
		}
		switch f[0] {
		case "kick":
			to, v := pid(1), arg(2)
			n.Dispatch(client, func() { n.procCtx(client).Send(to, wrapperspb.String(v)) })
		case "send":
			n.Send(pid(1), pid(2), wrapperspb.String(arg(3)))
		case "spawn":
			p, err := n.Spawn(arg(1), &proc{init: echoInit(false)})
			if err != nil {
				out.print("ERROR", err)
				continue
			}
			out.print("SPAWNED", arg(1), p)
		case "sendstop":
			p, to, v := local(arg(1)), pid(2), arg(3)
			n.Dispatch(p, func() {
				c := n.procCtx(p)
				c.Send(to, wrapperspb.String(v))
				c.Terminate()
			})
		case "stop":
			n.Stop(local(arg(1)))
			out.print("STOPPED", arg(1))
		case "count":
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			v, err := n.Call(ctx, echo, func() any { return count })
			cancel()
			if err != nil {
				out.print("ERROR", err)
				continue
			}
			out.print("COUNT", arg(1), v)
		case "trace":
			if arg(1) == "on" {
				n.SetTracer(printTracer{out})
			} else {
				n.SetTracer(nil)
			}
			out.print("TRACE", arg(1), arg(2))
		case "quit":
			n.Shutdown()
			out.print("BYE")
			return nil
		default:
			out.print("ERROR", "unknown command", f[0])
		}
	}
	return sc.Err()
}

// peerChild is a peer child seen from the parent.
type peerChild struct {
	cmd          *exec.Cmd
	stdin        io.WriteCloser
	addr         string
	echo, client PID

	mu     sync.Mutex
	lines  []string
	wake   chan struct{} // closed and replaced at each new line, and at EOF
	eof    bool
	stderr bytes.Buffer // guarded by mu (lockedWriter)
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

type lockedWriter struct{ p *peerChild }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.stderr.Write(b)
}

// startPeer starts a peer child with extra environment variables and waits
// for its READY line.
func startPeer(env ...string) (*peerChild, error) {
	p := &peerChild{wake: make(chan struct{}), exited: make(chan struct{})}
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.timeout=5m")
	cmd.Env = append(append(os.Environ(), peerEnv+"=1"), env...)
	cmd.Stderr = lockedWriter{p}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.cmd, p.stdin = cmd, stdin
	go p.read(stdout)
	f, err := p.await(func(f []string) bool { return f[0] == "READY" && len(f) == 4 }, deadline)
	if err != nil {
		p.kill()
		return nil, fmt.Errorf("peer child did not start: %v; stderr:\n%s", err, p.stderrText())
	}
	p.addr = f[1]
	if p.echo, err = ParsePID(f[2]); err == nil {
		p.client, err = ParsePID(f[3])
	}
	if err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

func (p *peerChild) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		close(p.wake)
		p.wake = make(chan struct{})
		p.mu.Unlock()
	}
	p.mu.Lock()
	p.eof = true
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
	p.err = p.cmd.Wait()
	close(p.exited)
}

// await returns the fields of the first line (ever) that match.
func (p *peerChild) await(match func(f []string) bool, timeout time.Duration) ([]string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	seen := 0
	for {
		p.mu.Lock()
		lines, wake, eof := p.lines, p.wake, p.eof
		p.mu.Unlock()
		for ; seen < len(lines); seen++ {
			if f := strings.Fields(lines[seen]); len(f) > 0 && match(f) {
				return f, nil
			}
		}
		if eof {
			return nil, fmt.Errorf("peer's output ended")
		}
		select {
		case <-wake:
		case <-timer.C:
			return nil, fmt.Errorf("timed out")
		}
	}
}

// waitFor is await failing t, with the child's stderr in the log.
func (p *peerChild) waitFor(t testing.TB, what string, match func(f []string) bool) []string {
	t.Helper()
	f, err := p.await(match, deadline)
	if err != nil {
		t.Fatalf("waiting for %s from the peer: %v; stderr:\n%s", what, err, p.stderrText())
	}
	return f
}

// waitLine waits for the line made of exactly these fields.
func (p *peerChild) waitLine(t testing.TB, fields ...any) []string {
	t.Helper()
	want := make([]string, len(fields))
	for i, f := range fields {
		want[i] = fmt.Sprint(f)
	}
	return p.waitFor(t, strings.Join(want, " "), func(f []string) bool {
		return strings.Join(f, " ") == strings.Join(want, " ")
	})
}

func (p *peerChild) do(t testing.TB, format string, args ...any) {
	t.Helper()
	if _, err := fmt.Fprintf(p.stdin, format+"\n", args...); err != nil {
		t.Fatalf("peer command %q: %v", fmt.Sprintf(format, args...), err)
	}
}

func (p *peerChild) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// kill ends the child with SIGKILL (the "peer process died" case) and waits
// until it is gone.
func (p *peerChild) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// quit asks the child to shut down and waits for it; a non-zero exit (a race
// report, say) is an error.
func (p *peerChild) quit() error {
	if _, err := fmt.Fprintln(p.stdin, "quit"); err != nil {
		p.kill()
		return err
	}
	_ = p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(deadline):
		p.kill()
		return fmt.Errorf("peer child did not exit")
	}
	if p.err != nil {
		return fmt.Errorf("peer child: %v; stderr:\n%s", p.err, p.stderrText())
	}
	return nil
}

// newPeer starts a peer child for one test; it is killed at the test's end.
func newPeer(t testing.TB, env ...string) *peerChild {
	t.Helper()
	p, err := startPeer(env...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("peer child stderr:\n%s", p.stderrText())
		}
	})
	return p
}

var sharedPeerState struct {
	once sync.Once
	p    *peerChild
	err  error
}

// sharedPeer is the peer child shared by the tests that leave it usable;
// TestMain stops it.
func sharedPeer(t testing.TB) *peerChild {
	t.Helper()
	s := &sharedPeerState
	s.once.Do(func() { s.p, s.err = startPeer() })
	if s.err != nil {
		t.Fatal(s.err)
	}
	select {
	case <-s.p.exited:
		t.Fatalf("the shared peer child died: %v; stderr:\n%s", s.p.err, s.p.stderrText())
	default:
	}
	return s.p
}

// stopSharedPeer ends the shared peer, if any.
func stopSharedPeer() error {
	if p := sharedPeerState.p; p != nil {
		return p.quit()
	}
	return nil
}

// roundTripPeer checks that n and the peer still talk both ways: a client
// on n gets the peer's echo, and the peer's client gets an echo from n.
func roundTripPeer(t testing.TB, n *Node, p *peerChild) {
	t.Helper()
	client, replies := spawnClient(t, n, p.echo)
	k := idSeq.Add(1)
	n.Send(PID{}, client, wrapperspb.Int64(k))
	r := recv(t, replies, "the peer's echo")
	if r.from != p.echo || r.msg.(*wrapperspb.StringValue).Value != fmt.Sprint("echo:", k) {
		t.Fatalf("reply %v from %v", r.msg, r.from)
	}
	echo := spawnEcho(t, n)
	v := uniqueID("rtp")
	p.do(t, "kick %s %s", echo, v)
	p.waitLine(t, "REPLY", echo, "echo:"+v)
}
