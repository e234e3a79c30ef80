package tracing

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// Message throughput through package actors with tracing off, with a
// tracer that does nothing (the cost of package actors' own tracing hook),
// into the ring only (the daemons' default), to a file, and to a file with
// payloads, measured in alternating rounds of one run so that the ratios
// compare like with like on a noisy machine:
//
//	go test -run '^$' -bench BenchmarkTracingThroughput -benchtime 10x ./tracing/
//
// Each op is one round per mode of roundMessages StatusUpdateMessages sent
// one way to a process, from the first send to the last receive: "local"
// on one (Local) node; "remote" to a node in a child process over
// loopback (one remoting node per process, as package actors wants), each
// side tracing to a file of its own. A round is bigger than the file
// sink's queue, so a writer that cannot keep up drops events. Reported:
// messages per second per mode, each mode's ratio to "off", and the events
// written and dropped per round.

const roundMessages = 100000

type benchMode struct {
	name     string
	noop     bool // a tracer that does nothing
	ring     bool
	file     bool
	payloads bool
}

var benchModes = []benchMode{
	{name: "off"},
	{name: "noop", noop: true},
	{name: "ring", ring: true},
	{name: "file", file: true},
	{name: "payloads", file: true, payloads: true},
}

func modeByName(name string) (benchMode, bool) {
	for _, m := range benchModes {
		if m.name == name {
			return m, true
		}
	}
	return benchMode{}, false
}

type noopTracer struct{}

func (noopTracer) Trace(*actors.Event) {}

func quietLogger() *logrus.Logger {
	l := logrus.New()
	l.SetLevel(logrus.ErrorLevel) // drops are counted, not logged
	return l
}

// tracerFor installs mode's tracer on n (writing to path) and returns the
// recorder, if any.
func tracerFor(n *actors.Node, m benchMode, path string) (*Recorder, error) {
	switch {
	case m.noop:
		n.SetTracer(noopTracer{})
		return nil, nil
	case !m.ring && !m.file:
		n.SetTracer(nil)
		return nil, nil
	}
	opts := Options{Process: n.Address(), Payloads: m.payloads, Log: quietLogger()}
	if m.ring {
		opts.RingSize = DefaultRingSize
	}
	if m.file {
		opts.File = path
	}
	rec, err := New(opts)
	if err != nil {
		return nil, err
	}
	n.SetTracer(rec)
	return rec, nil
}

// sinkProc counts StatusUpdateMessages and calls done after `want`.
type sinkProc struct {
	want, count int
	done        func()
}

func (p *sinkProc) Initialize(ctx *actors.Context) {
	actors.Install(ctx, func(_ actors.PID, _ *mesosinternal.StatusUpdateMessage) {
		p.count++
		if p.count == p.want {
			p.done()
		}
	})
}

type modeResult struct {
	msgs             int
	elapsed          time.Duration
	written, dropped uint64
}

// target is where a round's messages go: it arms the sink, traces in a
// mode, and reports what its side wrote and dropped.
type target interface {
	pid() actors.PID
	arm(m benchMode, path string) (wait func(), err error)
	finish() (written, dropped uint64, err error)
}

func BenchmarkTracingThroughput(b *testing.B) {
	b.Run("local", func(b *testing.B) {
		n, err := actors.NewNode(actors.Config{Local: true, Logger: quietLogger()})
		if err != nil {
			b.Fatal(err)
		}
		defer n.Shutdown()
		benchThroughput(b, n, newLocalTarget(b, n))
	})
	b.Run("remote", func(b *testing.B) {
		n, err := actors.NewNode(actors.Config{Host: "127.0.0.1", Logger: quietLogger()})
		if err != nil {
			b.Fatal(err)
		}
		defer n.Shutdown()
		p, err := startBenchPeer()
		if err != nil {
			b.Fatal(err)
		}
		defer p.stop()
		benchThroughput(b, n, p)
	})
}

func benchThroughput(b *testing.B, sender *actors.Node, to target) {
	msg := statusUpdate("t1", mesos.TaskState_TASK_RUNNING)
	dir := b.TempDir()
	results := make([]modeResult, len(benchModes))
	round := func(i int, k int) {
		m := benchModes[i]
		rec, err := tracerFor(sender, m, filepath.Join(dir, fmt.Sprintf("%s-%d-sender.jsonl", m.name, k)))
		if err != nil {
			b.Fatal(err)
		}
		wait, err := to.arm(m, filepath.Join(dir, fmt.Sprintf("%s-%d-receiver.jsonl", m.name, k)))
		if err != nil {
			b.Fatal(err)
		}
		pid := to.pid()
		start := time.Now()
		for j := 0; j < roundMessages; j++ {
			sender.Send(actors.PID{}, pid, msg)
		}
		wait()
		elapsed := time.Since(start)
		sender.SetTracer(nil)
		r := &results[i]
		r.msgs += roundMessages
		r.elapsed += elapsed
		if rec != nil {
			rec.Close()
			st := rec.Stats()
			r.written += st.Written
			r.dropped += st.Dropped
		}
		w, d, err := to.finish()
		if err != nil {
			b.Fatal(err)
		}
		r.written += w
		r.dropped += d
	}
	// Warm up (connections, plans) outside the timer.
	for i := range benchModes {
		round(i, -1)
	}
	results = make([]modeResult, len(benchModes))
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		for i := range benchModes {
			round(i, k)
		}
	}
	b.StopTimer()
	rate := func(r modeResult) float64 { return float64(r.msgs) / r.elapsed.Seconds() }
	off := rate(results[0])
	for i, m := range benchModes {
		r := results[i]
		b.ReportMetric(rate(r), m.name+"-msgs/s")
		if i > 0 {
			b.ReportMetric(rate(r)/off, m.name+"/off")
		}
		if m.file {
			b.ReportMetric(float64(r.written)/float64(b.N), m.name+"-written/round")
			b.ReportMetric(float64(r.dropped)/float64(b.N), m.name+"-dropped/round")
		}
	}
}

// localTarget is a sink on the sender's own node: the sender's tracer
// sees both ends.
type localTarget struct {
	n    *actors.Node
	p    *sinkProc
	sink actors.PID
	done chan struct{}
}

func newLocalTarget(b *testing.B, n *actors.Node) *localTarget {
	t := &localTarget{n: n, done: make(chan struct{}, 1)}
	t.p = &sinkProc{done: func() { t.done <- struct{}{} }}
	var err error
	if t.sink, err = n.Spawn("sink", t.p); err != nil {
		b.Fatal(err)
	}
	return t
}

func (t *localTarget) pid() actors.PID { return t.sink }

func (t *localTarget) arm(benchMode, string) (func(), error) {
	t.n.Dispatch(t.sink, func() { t.p.count, t.p.want = 0, roundMessages })
	return func() { <-t.done }, nil
}

func (t *localTarget) finish() (uint64, uint64, error) { return 0, 0, nil }

// The remote benchmark's peer: a child process (this test binary) with a
// remoting node and a sink, driven by lines on its stdin:
//
//	arm MODE PATH  → "armed": trace in MODE to PATH, count the next round
//	                 (the sink prints "done" when it has it all)
//	finish         → "stats WRITTEN DROPPED": stop tracing
const benchPeerEnv = "GOMESOS_TRACING_BENCH_PEER"

// TestMain runs a child process's part instead of the tests when
// benchPeerEnv or signalChildEnv is set.
func TestMain(m *testing.M) {
	if path := os.Getenv(signalChildEnv); path != "" {
		if err := runSignalChild(path); err != nil {
			fmt.Fprintln(os.Stderr, "signal child:", err)
			os.Exit(1)
		}
	}
	if os.Getenv(benchPeerEnv) != "" {
		if err := runBenchPeer(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "tracing bench peer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runBenchPeer(in io.Reader, out io.Writer) error {
	n, err := actors.NewNode(actors.Config{Host: "127.0.0.1", Logger: quietLogger()})
	if err != nil {
		return err
	}
	defer n.Shutdown()
	var mu sync.Mutex
	say := func(line string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(out, line)
	}
	p := &sinkProc{done: func() { say("done") }}
	sink, err := n.Spawn("sink", p)
	if err != nil {
		return err
	}
	say("ready " + sink.String())
	var rec *Recorder
	lines := bufio.NewScanner(in)
	for lines.Scan() {
		f := strings.Fields(lines.Text())
		switch {
		case len(f) == 3 && f[0] == "arm":
			m, ok := modeByName(f[1])
			if !ok {
				return fmt.Errorf("unknown mode %q", f[1])
			}
			if rec, err = tracerFor(n, m, f[2]); err != nil {
				return err
			}
			n.Dispatch(sink, func() { p.count, p.want = 0, roundMessages })
			say("armed")
		case len(f) == 1 && f[0] == "finish":
			n.SetTracer(nil)
			var st Stats
			if rec != nil {
				rec.Close()
				st = rec.Stats()
				rec = nil
			}
			say(fmt.Sprintf("stats %d %d", st.Written, st.Dropped))
		default:
			return fmt.Errorf("bad command %q", lines.Text())
		}
	}
	return lines.Err()
}

type benchPeer struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan []string
	sink  actors.PID
}

func startBenchPeer() (*benchPeer, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.timeout=30m")
	cmd.Env = append(os.Environ(), benchPeerEnv+"=1")
	cmd.Stderr = os.Stderr
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
	p := &benchPeer{cmd: cmd, stdin: stdin, lines: make(chan []string, 16)}
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if f := strings.Fields(s.Text()); len(f) > 0 {
				p.lines <- f
			}
		}
		close(p.lines)
	}()
	f, err := p.expect("ready")
	if err == nil && len(f) == 2 {
		p.sink, err = actors.ParsePID(f[1])
	}
	if err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// expect returns the next line starting with word (skipping go test's own).
func (p *benchPeer) expect(word string) ([]string, error) {
	timeout := time.After(5 * time.Minute)
	for {
		select {
		case f, ok := <-p.lines:
			if !ok {
				return nil, fmt.Errorf("bench peer exited while waiting for %q", word)
			}
			if f[0] == word {
				return f, nil
			}
		case <-timeout:
			return nil, fmt.Errorf("bench peer: no %q", word)
		}
	}
}

func (p *benchPeer) pid() actors.PID { return p.sink }

func (p *benchPeer) arm(m benchMode, path string) (func(), error) {
	fmt.Fprintf(p.stdin, "arm %s %s\n", m.name, path)
	if _, err := p.expect("armed"); err != nil {
		return nil, err
	}
	return func() { _, _ = p.expect("done") }, nil
}

func (p *benchPeer) finish() (uint64, uint64, error) {
	fmt.Fprintln(p.stdin, "finish")
	f, err := p.expect("stats")
	if err != nil || len(f) != 3 {
		return 0, 0, fmt.Errorf("bench peer stats: %v %v", f, err)
	}
	w, _ := strconv.ParseUint(f[1], 10, 64)
	d, _ := strconv.ParseUint(f[2], 10, 64)
	return w, d, nil
}

func (p *benchPeer) stop() {
	p.stdin.Close()
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// The cost of Trace itself (what an actor pays per event), by mode.
func BenchmarkTrace(b *testing.B) {
	msg := statusUpdate("t1", mesos.TaskState_TASK_RUNNING)
	ev := event(actors.Received, "m1", msg)
	for _, m := range benchModes[2:] {
		b.Run(m.name, func(b *testing.B) {
			opts := Options{Process: "p", Payloads: m.payloads, Log: quietLogger(), QueueSize: 1 << 20}
			if m.ring {
				opts.RingSize = DefaultRingSize
			}
			if m.file {
				opts.File = filepath.Join(b.TempDir(), "t.jsonl")
			}
			rec, err := New(opts)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rec.Trace(ev)
			}
			b.StopTimer()
			rec.Close()
			if st := rec.Stats(); m.file {
				b.ReportMetric(float64(st.Dropped)/float64(b.N), "dropped/op")
			}
		})
	}
}
