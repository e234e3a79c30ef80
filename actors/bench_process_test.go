package actors

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Two-process benchmarks: the peer is this test binary re-run with
// benchPeerEnv set to "actors" or "raw". It runs a "ponger" (replies to
// every Int64Value with it) and a "sink" (counts Int64Values; a BoolValue
// asks for the count, which proves everything before it was delivered),
// prints "ADDR host:port" and serves until its stdin closes.
//
//	go test -run '^$' -bench 'Process' -benchtime 3s ./actors/
const benchPeerEnv = "GOMESOS_ACTORS_BENCH_PEER"

// benchPeerProfileEnv, if set in the parent's environment, names a file
// where the peer child writes its CPU profile (suffixed with the kind).
const benchPeerProfileEnv = "GOMESOS_ACTORS_BENCH_PEER_CPUPROFILE"

// runBenchPeer is the child's main; called from TestMain.
func runBenchPeer(kind string) error {
	if path := os.Getenv(benchPeerProfileEnv); path != "" {
		f, err := os.Create(path + "." + kind)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if kind == "actors" {
		n, err := NewNode(Config{Host: "127.0.0.1", Logger: benchLogger()})
		if err != nil {
			return err
		}
		defer n.Shutdown()
		if _, err := n.Spawn("ponger", &proc{init: func(c *Context) {
			Install(c, func(from PID, m *wrapperspb.Int64Value) { c.Send(from, m) })
		}}); err != nil {
			return err
		}
		count := int64(0)
		if _, err := n.Spawn("sink", &proc{init: func(c *Context) {
			Install(c, func(PID, *wrapperspb.Int64Value) { count++ })
			Install(c, func(from PID, _ *wrapperspb.BoolValue) { c.Send(from, wrapperspb.Int64(count)) })
		}}); err != nil {
			return err
		}
		fmt.Printf("ADDR %s\n", n.Address())
	} else {
		sys := quietSystem()
		r := remote.NewRemote(sys, remote.Configure("127.0.0.1", 0,
			remote.WithEndpointWriterQueueSize(EndpointWriterQueueSize),
			remote.WithEndpointWriterBatchSize(EndpointWriterBatchSize)))
		if err := startRemote(r); err != nil {
			return err
		}
		defer func() { r.Shutdown(false); sys.Shutdown() }()
		if _, err := sys.Root.SpawnNamed(actor.PropsFromFunc(func(ctx actor.Context) {
			if m, ok := ctx.Message().(*wrapperspb.Int64Value); ok {
				ctx.Request(ctx.Sender(), m)
			}
		}), "ponger"); err != nil {
			return err
		}
		count := int64(0)
		if _, err := sys.Root.SpawnNamed(actor.PropsFromFunc(func(ctx actor.Context) {
			switch ctx.Message().(type) {
			case *wrapperspb.Int64Value:
				count++
			case *wrapperspb.BoolValue:
				ctx.Request(ctx.Sender(), wrapperspb.Int64(count))
			}
		}), "sink"); err != nil {
			return err
		}
		fmt.Printf("ADDR %s\n", sys.Address())
	}
	_, err := io.Copy(io.Discard, os.Stdin) // serve until the parent goes
	return err
}

// startBenchPeer runs a peer child of the given kind and returns its
// address and pid.
func startBenchPeer(b *testing.B, kind string) (string, int) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchPeerEnv+"="+kind)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		return a, cmd.Process.Pid
	case <-time.After(30 * time.Second):
		b.Fatal("bench peer did not start")
		return "", 0
	}
}

// BenchmarkProcessRoundTrip: ping-pong with a peer process over loopback;
// each op is one round trip (two messages).
func BenchmarkProcessRoundTrip(b *testing.B) {
	b.Run("actors", func(b *testing.B) {
		n, err := Shared()
		if err != nil {
			b.Fatal(err)
		}
		addr, peer := startBenchPeer(b, "actors")
		ponger := PID{ID: "ponger", Address: addr}
		done := make(chan struct{})
		count, target := 0, 1
		pinger := spawn(b, n, "pinger", &proc{init: func(c *Context) {
			Install(c, func(_ PID, m *wrapperspb.Int64Value) {
				count++
				if count < target {
					c.Send(ponger, m)
				} else {
					done <- struct{}{}
				}
			})
		}})
		kick := func() { n.Dispatch(pinger, func() { n.procCtx(pinger).Send(ponger, wrapperspb.Int64(1)) }) }
		kick() // connect both ways
		<-done
		count, target = 0, b.N
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter(peer)
		kick()
		<-done
		report(b, m, 2*b.N)
	})
	b.Run("raw", func(b *testing.B) {
		_, sys := rawRemote(b)
		addr, peer := startBenchPeer(b, "raw")
		ponger := actor.NewPID(addr, "ponger")
		done := make(chan struct{})
		count, target := 0, 1
		pinger := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
			switch m := ctx.Message().(type) {
			case *wrapperspb.StringValue:
				ctx.Request(ponger, wrapperspb.Int64(1))
			case *wrapperspb.Int64Value:
				count++
				if count < target {
					ctx.Request(ponger, m)
				} else {
					done <- struct{}{}
				}
			}
		}))
		sys.Root.Send(pinger, wrapperspb.String("go"))
		<-done
		count, target = 0, b.N
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter(peer)
		sys.Root.Send(pinger, wrapperspb.String("go"))
		<-done
		report(b, m, 2*b.N)
	})
}

// BenchmarkProcessSend: one-way throughput to a peer process, from outside
// any actor; a final probe proves every message arrived.
func BenchmarkProcessSend(b *testing.B) {
	msg := wrapperspb.Int64(1)
	b.Run("actors", func(b *testing.B) {
		n, err := Shared()
		if err != nil {
			b.Fatal(err)
		}
		addr, peer := startBenchPeer(b, "actors")
		sink := PID{ID: "sink", Address: addr}
		counts := make(chan int64, 1)
		probe := spawn(b, n, "probe", &proc{init: func(c *Context) {
			Install(c, func(_ PID, m *wrapperspb.Int64Value) { counts <- m.Value })
		}})
		n.Send(probe, sink, wrapperspb.Bool(true)) // connect both ways
		base := <-counts
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter(peer)
		for i := 0; i < b.N; i++ {
			n.Send(PID{}, sink, msg)
		}
		n.Send(probe, sink, wrapperspb.Bool(true))
		if got := <-counts; got-base != int64(b.N) {
			b.Fatalf("peer counted %d of %d", got-base, b.N)
		}
		report(b, m, b.N)
	})
	b.Run("raw", func(b *testing.B) {
		_, sys := rawRemote(b)
		addr, peer := startBenchPeer(b, "raw")
		sink := actor.NewPID(addr, "sink")
		counts := make(chan int64, 1)
		probe := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
			switch m := ctx.Message().(type) {
			case *wrapperspb.BoolValue:
				ctx.Request(sink, m)
			case *wrapperspb.Int64Value:
				counts <- m.Value
			}
		}))
		sys.Root.Send(probe, wrapperspb.Bool(true))
		base := <-counts
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter(peer)
		for i := 0; i < b.N; i++ {
			sys.Root.Send(sink, msg)
		}
		sys.Root.Send(probe, wrapperspb.Bool(true))
		if got := <-counts; got-base != int64(b.N) {
			b.Fatalf("peer counted %d of %d", got-base, b.N)
		}
		report(b, m, b.N)
	})
}
