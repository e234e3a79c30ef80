package actors

import (
	"fmt"
	"net"
	"strconv"
	"sync"
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

func freeTestPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
