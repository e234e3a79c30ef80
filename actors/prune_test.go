package actors

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// peerState reports whether n keeps an outgoing queue and a stream entry
// for addr.
func peerState(n *Node, addr string) (queue, streams bool) {
	_, queue = n.outqs.Load(addr)
	n.streams.mu.Lock()
	_, streams = n.streams.m[addr]
	n.streams.mu.Unlock()
	return queue, streams
}

// onEndpointTerminated returns a channel closed once n has handled the end
// of its connection to addr (n's own subscriber ran first: protoactor
// publishes to subscribers in order).
func onEndpointTerminated(t testing.TB, n *Node, addr string) <-chan struct{} {
	ch := make(chan struct{})
	var once sync.Once
	sub := n.sys.EventStream.Subscribe(func(ev any) {
		if e, ok := ev.(*remote.EndpointTerminatedEvent); ok && e.Address == addr {
			once.Do(func() { close(ch) })
		}
	})
	t.Cleanup(func() { n.sys.EventStream.Unsubscribe(sub) })
	return ch
}

// A node keeps nothing for a peer whose connection ended (a master outlives
// many agents, each restart at a new address), and a peer that comes back
// at the same address is reached again: nothing sent to it is lost.
func TestPeerStateGoesWithPeer(t *testing.T) {
	n := sharedNode(t)
	port := freeTestPort(t)
	p := newPeer(t, peerPortEnv+"="+strconv.Itoa(port))
	roundTripPeer(t, n, p)
	if q, s := peerState(n, p.addr); !q || !s {
		t.Fatalf("while connected: queue %v, streams %v; want both", q, s)
	}
	gone := onEndpointTerminated(t, n, p.addr)
	if err := p.quit(); err != nil {
		t.Fatal(err)
	}
	recv(t, gone, "the end of the connection to the peer")
	if q, s := peerState(n, p.addr); q || s {
		t.Fatalf("after the peer left: queue %v, streams %v; want neither", q, s)
	}

	// Back at the same address: messages sent now arrive.
	p2 := newPeer(t, peerPortEnv+"="+strconv.Itoa(port))
	if p2.addr != p.addr {
		t.Fatalf("peer came back at %s, want %s", p2.addr, p.addr)
	}
	tok := uniqueID("back")
	for i := 0; i < 3; i++ {
		n.Send(PID{}, p2.echo, wrapperspb.String(fmt.Sprint(tok, "/", i)))
	}
	for i := 0; i < 3; i++ {
		p2.waitLine(t, "ECHO", "-", fmt.Sprint(tok, "/", i))
	}
	roundTripPeer(t, n, p2)
}

// Nor for an address nothing listens on: its messages are dead letters,
// and nothing stays.
func TestPeerStateGoesForUnreachable(t *testing.T) {
	n := sharedNode(t)
	to := PID{ID: "nobody", Address: "127.0.0.1:" + strconv.Itoa(freeTestPort(t))}
	var dead atomic.Int64
	n.SetTracer(tracerFunc(func(e *Event) {
		if e.Kind == DeadLetter && e.To == to {
			dead.Add(1)
		}
	}))
	t.Cleanup(func() { n.SetTracer(nil) })
	gone := onEndpointTerminated(t, n, to.Address)
	n.Send(PID{}, to, wrapperspb.String("anyone?"))
	recv(t, gone, "the failed connection")
	if q, s := peerState(n, to.Address); q || s {
		t.Fatalf("after the connection failed: queue %v, streams %v; want neither", q, s)
	}
	if dead.Load() != 1 {
		t.Fatalf("%d dead letters, want 1", dead.Load())
	}
}

func freeTestPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Sends from several goroutines while the connection to their peer ends
// again and again (each end drops the peer's queue): no message is both
// delivered and a dead letter, none twice, and the peer is reached after.
func TestSendsWhilePeerQueueDropped(t *testing.T) {
	n, p := sharedNode(t), newPeer(t)
	var dead atomic.Int64
	n.SetTracer(tracerFunc(func(e *Event) {
		if _, ok := e.Msg.(*wrapperspb.Int64Value); ok && e.Kind == DeadLetter && e.To == p.echo {
			dead.Add(1)
		}
	}))
	t.Cleanup(func() { n.SetTracer(nil) })
	const senders, each, cuts = 4, 500, 20
	var wg sync.WaitGroup
	for g := 0; g < senders; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				n.Send(PID{}, p.echo, wrapperspb.Int64(int64(i)))
			}
		}()
	}
	for i := 0; i < cuts; i++ {
		n.sys.EventStream.Publish(&remote.EndpointTerminatedEvent{Address: p.addr})
	}
	wg.Wait()
	roundTripPeer(t, n, p) // reached after the cuts; and the echo has what came before
	tok := uniqueID("count")
	p.do(t, "count %s", tok)
	f := p.waitFor(t, "the echo's count", func(f []string) bool { return f[0] == "COUNT" && f[1] == tok })
	delivered, err := strconv.Atoi(f[2])
	if err != nil {
		t.Fatal(err)
	}
	if total := int64(delivered) + dead.Load(); total > senders*each {
		t.Fatalf("%d delivered and %d dead letters of %d sent", delivered, dead.Load(), senders*each)
	}
	t.Logf("%d delivered, %d dead letters of %d sent", delivered, dead.Load(), senders*each)
}

// A sender that loaded a peer's queue just before the queue was dropped must
// not leave its message in it: nothing would fail or send it any more.
func TestDroppedQueueRefusesPush(t *testing.T) {
	n := sharedNode(t)
	const addr = "127.0.0.1:1" // never dialled: only the queue's books are used
	q := n.outQueue(addr)
	n.failAddress(addr) // the connection ended with nothing queued
	if _, ok := n.outqs.Load(addr); ok {
		t.Fatal("the empty queue of an ended connection is still kept")
	}
	if q.push(outRec{msg: wrapperspb.String("late")}) {
		t.Fatal("a dropped queue accepted a message")
	}
	if len(q.pending) != 0 {
		t.Fatalf("the dropped queue holds %d messages", len(q.pending))
	}
}
