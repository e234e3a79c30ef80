package registry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/gomesos/gomesos/internal/zktest"
)

func connect(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect([]string{addr}, 2*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// fenceZnode makes an ephemeral znode standing for a leader's candidacy.
func fenceZnode(t *testing.T, c *zk.Conn, name string) string {
	t.Helper()
	if _, err := c.Create("/mesos", nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		t.Fatal(err)
	}
	p, err := c.Create("/mesos/"+name, nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestZooKeeperStoreCompareAndSet(t *testing.T) {
	srv := zktest.Start(t)
	c := connect(t, srv.Addr)
	s := NewZooKeeper(c, Path("/mesos"), fenceZnode(t, c, "leader"), nil)
	ctx := context.Background()

	data, v, err := s.Fetch(ctx)
	if err != nil || data != nil || v != Absent {
		t.Fatalf("fresh Fetch = %q, %d, %v", data, v, err)
	}
	v1, err := s.Store(ctx, []byte("one"), Absent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store(ctx, []byte("again"), Absent); !errors.Is(err, ErrConflict) {
		t.Fatalf("second create = %v, want ErrConflict", err)
	}
	v2, err := s.Store(ctx, []byte("two"), v1)
	if err != nil || v2 == v1 {
		t.Fatalf("Store at %d = %d, %v", v1, v2, err)
	}
	if _, err := s.Store(ctx, []byte("stale"), v1); !errors.Is(err, ErrConflict) {
		t.Fatalf("store at a stale version = %v, want ErrConflict", err)
	}
	if data, v, err := s.Fetch(ctx); string(data) != "two" || v != v2 || err != nil {
		t.Fatalf("Fetch = %q, %d, %v; want two at %d", data, v, err, v2)
	}
	if _, err := s.Store(ctx, make([]byte, MaxSize+1), v2); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized store = %v, want ErrTooLarge", err)
	}
}

func TestZooKeeperStoreIsFencedByTheWritersZnode(t *testing.T) {
	srv := zktest.Start(t)
	old, cur, writer := connect(t, srv.Addr), connect(t, srv.Addr), connect(t, srv.Addr)
	oldFence := fenceZnode(t, old, "old")
	deposed := NewZooKeeper(writer, Path("/mesos"), oldFence, nil)
	ctx := context.Background()
	v, err := deposed.Store(ctx, []byte("by old"), Absent)
	if err != nil {
		t.Fatal(err)
	}
	// The old leader's session ends and its znode with it; the writer's
	// own connection is fine, yet every write is refused.
	old.Close()
	if _, err := deposed.Store(ctx, []byte("by deposed"), v); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("deposed write = %v, want ErrNotLeader", err)
	}
	leader := NewZooKeeper(cur, Path("/mesos"), fenceZnode(t, cur, "new"), nil)
	if _, err := leader.Store(ctx, []byte("by new"), v); err != nil {
		t.Fatalf("new leader's write: %v", err)
	}
	if data, _, _ := deposed.Fetch(ctx); string(data) != "by new" {
		t.Fatalf("registry = %q", data)
	}
	// A locally lost candidacy is refused before anything is sent.
	leader.Held = func() bool { return false }
	if _, err := leader.Store(ctx, []byte("x"), v+1); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("write with a lost candidacy = %v, want ErrNotLeader", err)
	}
}

func TestZooKeeperStoreHonoursItsTimeouts(t *testing.T) {
	srv := zktest.Start(t)
	proxy := zktest.NewProxy(t, srv.Addr)
	c := connect(t, proxy.Addr)
	s := NewZooKeeper(c, Path("/mesos"), fenceZnode(t, c, "leader"), nil)
	ctx := context.Background()
	v, err := s.Store(ctx, []byte("one"), Absent)
	if err != nil {
		t.Fatal(err)
	}
	s.FetchTimeout, s.StoreTimeout = 200*time.Millisecond, 200*time.Millisecond
	proxy.Freeze()
	if _, err := s.Store(ctx, []byte("two"), v); !errors.Is(err, ErrUnknownOutcome) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("store while cut off = %v, want ErrUnknownOutcome after the deadline", err)
	}
	if _, _, err := s.Fetch(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("fetch while cut off = %v, want the deadline", err)
	}
}
