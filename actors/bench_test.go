package actors

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// Benchmarks run the same workload through package actors and through raw
// protoactor, so that one run gives the cost of this layer:
//
//	go test -run '^$' -bench . -benchtime 2s ./actors/
//
// The remote benchmarks run two remoting nodes (or raw Remotes) in this one
// process, against the one-node-per-process rule: each Start writes grpc's
// global logger while the other node's grpc goroutines read it, a data race
// in upstream protoactor. It is harmless for a measurement, and benchmarks
// do not run under -race (they skip there; see newRemotingNode).

func benchLogger() *logrus.Logger {
	l := testLogger()
	l.SetLevel(logrus.WarnLevel)
	return l
}

// benchNode is a Local node.
func benchNode(b *testing.B, mod ...func(*Config)) *Node {
	b.Helper()
	return newTestNode(b, append([]func(*Config){func(c *Config) { c.Logger = benchLogger() }}, mod...)...)
}

// benchRemoteNode is a further remoting node (see the comment at the top).
func benchRemoteNode(b *testing.B, mod ...func(*Config)) *Node {
	b.Helper()
	return newRemotingNode(b, append([]func(*Config){func(c *Config) { c.Logger = benchLogger() }}, mod...)...)
}

func quietSystem() *actor.ActorSystem {
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(newSlogBridge(benchLogger()))
	}))
}

// meter measures a benchmark's wall time and CPU time: this process' and,
// for the two-process benchmarks, the peer child's. On a machine shared
// with other load, the CPU per message of the two sides of a pair compares
// better than their throughput, which depends on the CPU the others leave.
type meter struct {
	start time.Time
	cpu   time.Duration
	peer  int // pid of the peer child, 0 if none
}

func startMeter(peer int) meter {
	return meter{start: time.Now(), cpu: cpuTime(0) + cpuTime(peer), peer: peer}
}

// cpuTime is the user+system time of this process (pid 0) or of a child
// that is still running (from /proc, in clock ticks of 10 ms).
func cpuTime(pid int) time.Duration {
	if pid == 0 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command's closing parenthesis; utime and stime are
	// the 12th and 13th of them.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func report(b *testing.B, m meter, msgs int) {
	b.ReportMetric(float64(msgs)/time.Since(m.start).Seconds(), "msgs/s")
	cpu := cpuTime(0) + cpuTime(m.peer) - m.cpu
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(msgs), "cpu-ns/msg")
}

// counting is a raw protoactor actor that closes done after n messages.
type counting struct {
	n, count int
	done     chan struct{}
}

func (c *counting) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*wrapperspb.Int64Value); ok {
		c.count++
		if c.count == c.n {
			close(c.done)
		}
	}
}

// BenchmarkSend: one-way, in-process, from outside any actor.
func BenchmarkSend(b *testing.B) {
	msg := wrapperspb.Int64(1)
	b.Run("actors", func(b *testing.B) {
		n := benchNode(b)
		done := make(chan struct{})
		count := 0
		pid := spawn(b, n, "sink", &proc{init: func(c *Context) {
			Install(c, func(_ PID, _ *wrapperspb.Int64Value) {
				count++
				if count == b.N {
					close(done)
				}
			})
		}})
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter(0)
		for i := 0; i < b.N; i++ {
			n.Send(PID{}, pid, msg)
		}
		<-done
		report(b, m, b.N)
	})
	b.Run("raw", func(b *testing.B) {
		sys := quietSystem()
		defer sys.Shutdown()
		c := &counting{n: b.N, done: make(chan struct{})}
		pid := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return c }))
		defer sys.Root.Stop(pid)
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter(0)
		for i := 0; i < b.N; i++ {
			sys.Root.Send(pid, msg)
		}
		<-c.done
		report(b, m, b.N)
	})
}

// BenchmarkRoundTrip: ping-pong between two nodes over loopback, one
// message in flight; each op is one round trip (two messages).
func BenchmarkRoundTrip(b *testing.B) {
	b.Run("actors", func(b *testing.B) {
		n1, n2 := benchRemoteNode(b), benchRemoteNode(b)
		ponger := spawn(b, n2, "ponger", &proc{init: func(c *Context) {
			Install(c, func(from PID, m *wrapperspb.Int64Value) { c.Send(from, m) })
		}})
		done := make(chan struct{})
		count := 0
		pinger := spawn(b, n1, "pinger", &proc{init: func(c *Context) {
			Install(c, func(_ PID, m *wrapperspb.Int64Value) {
				count++
				if count < b.N {
					c.Send(ponger, m)
				} else {
					close(done)
				}
			})
		}})
		roundTrip(b, n1, n2) // connect both ways first
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter(0)
		n1.Dispatch(pinger, func() { n1.procCtx(pinger).Send(ponger, wrapperspb.Int64(1)) })
		<-done
		report(b, m, 2*b.N)
	})
	b.Run("raw", func(b *testing.B) {
		_, s1 := rawRemote(b)
		_, s2 := rawRemote(b)
		ponger, _ := s2.Root.SpawnNamed(actor.PropsFromFunc(func(ctx actor.Context) {
			if m, ok := ctx.Message().(*wrapperspb.Int64Value); ok {
				ctx.Request(ctx.Sender(), m)
			}
		}), "ponger")
		done := make(chan struct{})
		count := 0
		warm := make(chan struct{})
		pinger, _ := s1.Root.SpawnNamed(actor.PropsFromFunc(func(ctx actor.Context) {
			switch m := ctx.Message().(type) {
			case *wrapperspb.BoolValue: // warm-up round trip
				ctx.Request(ponger, wrapperspb.Int64(0))
			case *wrapperspb.Int64Value:
				if m.Value == 0 {
					close(warm)
					return
				}
				count++
				if count < b.N {
					ctx.Request(ponger, m)
				} else {
					close(done)
				}
			case *wrapperspb.StringValue:
				ctx.Request(ponger, wrapperspb.Int64(1))
			}
		}), "pinger")
		s1.Root.Send(pinger, wrapperspb.Bool(true))
		<-warm
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter(0)
		s1.Root.Send(pinger, wrapperspb.String("go"))
		<-done
		report(b, m, 2*b.N)
	})
}

// rawRemote is protoactor remoting without package actors: the same queue
// and batch sizes, no interceptors, middleware, ids or tracing.
func rawRemote(b *testing.B) (*remote.Remote, *actor.ActorSystem) {
	if raceEnabled {
		b.Skip("a second remoting node in one process races in grpc's global logger (upstream protoactor)")
	}
	sys := quietSystem()
	r := remote.NewRemote(sys, remote.Configure("127.0.0.1", 0,
		remote.WithEndpointWriterQueueSize(EndpointWriterQueueSize),
		remote.WithEndpointWriterBatchSize(EndpointWriterBatchSize)))
	if err := startRemote(r); err != nil {
		b.Fatal(err)
	}
	// Not Shutdown(true): upstream's graceful shutdown can send on a
	// channel that a reader whose stream just ended has closed (a panic).
	b.Cleanup(func() { r.Shutdown(false); sys.Shutdown() })
	return r, sys
}

// BenchmarkRemoteSend: one-way throughput to another node over loopback,
// from outside any actor.
func BenchmarkRemoteSend(b *testing.B) {
	b.Run("actors", func(b *testing.B) { benchRemoteSend(b, EndpointWriterBatchSize) })
	b.Run("raw", func(b *testing.B) {
		_, s1 := rawRemote(b)
		_, s2 := rawRemote(b)
		c := &counting{n: b.N + 1, done: make(chan struct{})}
		pid, _ := s2.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return c }), "sink")
		msg := wrapperspb.Int64(1)
		s1.Root.Send(pid, msg) // connect
		b.ReportAllocs()
		b.ResetTimer()
		m := startMeter(0)
		for i := 0; i < b.N; i++ {
			s1.Root.Send(pid, msg)
		}
		<-c.done
		report(b, m, b.N)
	})
}

// BenchmarkBatchSize: BenchmarkRemoteSend/actors by endpoint writer batch
// size (how EndpointWriterBatchSize was chosen).
func BenchmarkBatchSize(b *testing.B) {
	for _, batch := range []int{50, 100, 128, 200, 1000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchRemoteSend(b, batch) })
	}
}

func benchRemoteSend(b *testing.B, batch int) {
	n1 := benchRemoteNode(b, func(c *Config) { c.writerBatchSize = batch })
	n2 := benchRemoteNode(b)
	done := make(chan struct{})
	count := 0
	sink := spawn(b, n2, "sink", &proc{init: func(c *Context) {
		Install(c, func(_ PID, _ *wrapperspb.Int64Value) {
			count++
			if count == b.N {
				close(done)
			}
		})
	}})
	roundTrip(b, n1, n2) // connect both ways first
	msg := wrapperspb.Int64(1)
	b.ReportAllocs()
	b.ResetTimer()
	m := startMeter(0)
	for i := 0; i < b.N; i++ {
		n1.Send(PID{}, sink, msg)
	}
	<-done
	report(b, m, b.N)
}
