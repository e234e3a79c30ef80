package actors

import (
	"runtime"
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// BenchmarkPeerChurn: each op, a short-lived peer node (in this process)
// sends one message to a long-lived node, which answers, and shuts down.
// It reports what the long-lived node keeps per address it ever talked to
// (outgoing queues and stream entries left at the end) and the heap that
// grew per peer, after a GC, over the whole run.
func BenchmarkPeerChurn(b *testing.B) {
	n := newRemotingNode(b)
	echo := spawnEcho(b, n)
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	// One peer before measuring: first-use allocations are not per peer.
	churnPeer(b, n, echo)
	before := heap()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		churnPeer(b, n, echo)
	}
	b.StopTimer()
	after := heap()
	queues := 0
	n.outqs.Range(func(any, any) bool { queues++; return true })
	b.ReportMetric(float64(queues), "queues-left")
	b.ReportMetric(float64(n.streams.len()), "streams-left")
	b.ReportMetric(float64(int64(after-before))/float64(b.N), "heap-B/peer")
	b.ReportMetric(0, "ns/op")
}

// churnPeer starts a peer node, has it talk to echo on n, shuts it down
// and waits until n has handled the end of its connection to it. It keeps
// nothing of the peer (no test cleanup holds it).
func churnPeer(b *testing.B, n *Node, echo PID) {
	peer, err := NewNode(Config{Host: "127.0.0.1", Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	got := make(chan struct{})
	client, err := peer.Spawn("churn", &proc{init: func(c *Context) {
		Install(c, func(PID, *wrapperspb.StringValue) { close(got) })
	}})
	if err != nil {
		b.Fatal(err)
	}
	gone := make(chan struct{})
	var once sync.Once
	sub := n.sys.EventStream.Subscribe(func(ev any) {
		if e, ok := ev.(*remote.EndpointTerminatedEvent); ok && e.Address == peer.Address() {
			once.Do(func() { close(gone) })
		}
	})
	defer n.sys.EventStream.Unsubscribe(sub)
	peer.Send(client, echo, wrapperspb.String("hello"))
	recv(b, got, "the echo's answer")
	peer.Shutdown()
	recv(b, gone, "the end of the connection to the peer")
}
