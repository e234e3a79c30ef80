package registry

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/gomesos/gomesos/internal/zktest"
)

func connect(t testing.TB, addr string) *zk.Conn {
	t.Helper()
	// A session long enough that a busy machine does not drop it
	// between pings ("zk: connection closed" mid-test at load 50).
	c, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// fenceZnode makes an ephemeral znode standing for a leader's candidacy.
func fenceZnode(t testing.TB, c *zk.Conn, name string) string {
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

// waitGone waits until c no longer sees the znode at path.
func waitGone(t testing.TB, c *zk.Conn, path string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		ok, _, ch, err := c.ExistsW(path)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("%s still exists 30 s after its session closed", path)
		}
	}
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
	waitGone(t, writer, oldFence)
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

// chunkNames lists the chunk znodes under the registry.
func chunkNames(t *testing.T, c *zk.Conn, path string) []string {
	t.Helper()
	names, _, err := c.Children(path)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// A registry of 50,000 agents and 2,000 unreachable ones (about 9 MB,
// nine times what one znode holds) is stored and fetched back as it was; the next store replaces
// only the chunks that changed and leaves no stale chunk behind.
func TestZooKeeperStoresFiftyThousandAgents(t *testing.T) {
	srv := zktest.Start(t)
	c := connect(t, srv.Addr)
	s := NewZooKeeper(c, Path("/mesos"), fenceZnode(t, c, "leader"), nil)
	ctx := context.Background()

	big := fakeRegistry(t, 50000/agentScale, 2000)
	v, err := s.Store(ctx, big, Absent)
	if err != nil {
		t.Fatalf("store %d bytes: %v", len(big), err)
	}
	data, got, err := s.Fetch(ctx)
	if err != nil || got != v || !bytes.Equal(data, big) {
		t.Fatalf("fetch = %d bytes at %d, %v; want the %d bytes stored at %d", len(data), got, err, len(big), v)
	}
	first := chunkNames(t, c, Path("/mesos"))
	if len(first) < 2 {
		t.Fatalf("%d bytes stored in %d chunks", len(big), len(first))
	}

	bigger := fakeRegistry(t, 50000/agentScale+1, 2000)
	v2, err := s.Store(ctx, bigger, v)
	if err != nil {
		t.Fatal(err)
	}
	if data, got, err := s.Fetch(ctx); err != nil || got != v2 || !bytes.Equal(data, bigger) {
		t.Fatalf("fetch after a second store = %d bytes at %d, %v", len(data), got, err)
	}
	second := chunkNames(t, c, Path("/mesos"))
	if len(second) != len(first) {
		t.Fatalf("chunks: %d, then %d (stale ones left?)", len(first), len(second))
	}
	kept := 0
	for _, n := range second {
		if slices.Contains(first, n) {
			kept++
		}
	}
	if kept == 0 {
		t.Fatal("every chunk was rewritten for one more agent")
	}

	// Back to a small registry: inline again, no chunk left.
	v3, err := s.Store(ctx, []byte("small"), v2)
	if err != nil {
		t.Fatal(err)
	}
	if data, got, err := s.Fetch(ctx); err != nil || got != v3 || string(data) != "small" {
		t.Fatalf("fetch = %q at %d, %v", data, got, err)
	}
	if left := chunkNames(t, c, Path("/mesos")); len(left) != 0 {
		t.Fatalf("chunks left: %v", left)
	}
}

// A deposed leader's chunked store is refused before any chunk is
// written, and the registry stays as the new leader stored it.
func TestZooKeeperChunkedStoreIsFenced(t *testing.T) {
	srv := zktest.Start(t)
	old, cur, writer := connect(t, srv.Addr), connect(t, srv.Addr), connect(t, srv.Addr)
	deposed := NewZooKeeper(writer, Path("/mesos"), fenceZnode(t, old, "old"), nil)
	ctx := context.Background()
	v, err := deposed.Store(ctx, fakeRegistry(t, 20000/agentScale, 0), Absent)
	if err != nil {
		t.Fatal(err)
	}
	before := chunkNames(t, writer, Path("/mesos"))
	fence := deposed.fence
	old.Close()
	// Close gives up waiting for the server after a second; on a busy
	// machine the candidacy can outlive it for a moment.
	waitGone(t, writer, fence)
	if _, err := deposed.Store(ctx, fakeRegistry(t, 30000/agentScale, 0), v); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("deposed chunked write = %v, want ErrNotLeader", err)
	}
	if after := chunkNames(t, writer, Path("/mesos")); !slices.Equal(before, after) {
		t.Fatalf("the deposed leader changed the chunks: %v, then %v", before, after)
	}
	leader := NewZooKeeper(cur, Path("/mesos"), fenceZnode(t, cur, "new"), nil)
	want := fakeRegistry(t, 25000/agentScale, 10)
	if _, err := leader.Store(ctx, want, v); err != nil {
		t.Fatalf("new leader's write: %v", err)
	}
	if data, _, err := deposed.Fetch(ctx); err != nil || !bytes.Equal(data, want) {
		t.Fatalf("registry after the new leader's write: %d bytes, %v", len(data), err)
	}
	// A first store that needs chunks is fenced too.
	fresh := NewZooKeeper(writer, Path("/other"), Path("/mesos")+"/gone", nil)
	if _, err := writer.Create("/other", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.Store(ctx, want, Absent); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("unfenced first write = %v, want ErrNotLeader", err)
	}
	if _, v, _ := fresh.Fetch(ctx); v != Absent {
		t.Fatalf("an unfenced first write created the registry (version %d)", v)
	}
}

// Chunks that no head names (a store cut short) are never read and go at
// the next store of a new leader; a chunk missing or damaged under the head is an error,
// never a registry.
func TestZooKeeperTornChunksAreNeverRead(t *testing.T) {
	srv := zktest.Start(t)
	c := connect(t, srv.Addr)
	s := NewZooKeeper(c, Path("/mesos"), fenceZnode(t, c, "leader"), nil)
	ctx := context.Background()
	reg := fakeRegistry(t, 20000/agentScale, 0)
	v, err := s.Store(ctx, reg, Absent)
	if err != nil {
		t.Fatal(err)
	}
	names := chunkNames(t, c, Path("/mesos"))

	// A store cut short after writing some chunks of a new registry.
	other := fakeRegistry(t, 30000/agentScale, 0)
	refs, parts := cut(other)
	for i := range refs {
		if slices.Contains(names, refs[i].name()) {
			continue
		}
		if _, err := c.Create(Path("/mesos")+"/"+refs[i].name(), compress(parts[i]), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
		break
	}
	if data, got, err := s.Fetch(ctx); err != nil || got != v || !bytes.Equal(data, reg) {
		t.Fatalf("fetch with a torn store's chunks = %d bytes at %d, %v; want the registry stored", len(data), got, err)
	}
	// A store that did not write the registry itself (a new leader's)
	// deletes them.
	s = NewZooKeeper(c, Path("/mesos"), s.fence, nil)
	v, err = s.Store(ctx, reg[:len(reg)-1], v)
	if err != nil {
		t.Fatal(err)
	}
	now := chunkNames(t, c, Path("/mesos"))
	h, _, _ := c.Get(Path("/mesos"))
	hd, err := decodeHead(h)
	if err != nil || len(now) != len(hd.chunks) {
		t.Fatalf("after the next store: %d chunks, %d named (%v)", len(now), len(hd.chunks), err)
	}

	// A named chunk replaced by another chunk's bytes.
	victim := Path("/mesos") + "/" + hd.chunks[0].name()
	if _, err := c.Set(victim, compress(parts[len(parts)-1]), -1); err != nil {
		t.Fatal(err)
	}
	if data, _, err := s.Fetch(ctx); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("fetch with a damaged chunk = %d bytes, %v; want an error", len(data), err)
	}
	// A named chunk gone.
	if err := c.Delete(victim, -1); err != nil {
		t.Fatal(err)
	}
	if data, _, err := s.Fetch(ctx); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("fetch with a chunk gone = %d bytes, %v; want an error", len(data), err)
	}
}

// A registry stored before compression (plain protobuf in the znode)
// still reads, and is replaced by the next store.
func TestZooKeeperReadsAnUncompressedRegistry(t *testing.T) {
	srv := zktest.Start(t)
	c := connect(t, srv.Addr)
	s := NewZooKeeper(c, Path("/mesos"), fenceZnode(t, c, "leader"), nil)
	ctx := context.Background()
	old := fakeRegistry(t, 100, 3)
	if _, err := c.Create(Path("/mesos"), old, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	data, v, err := s.Fetch(ctx)
	if err != nil || !bytes.Equal(data, old) {
		t.Fatalf("fetch of an uncompressed registry: %d bytes, %v", len(data), err)
	}
	next := fakeRegistry(t, 101, 3)
	if _, err := s.Store(ctx, next, v); err != nil {
		t.Fatal(err)
	}
	if raw, _, _ := c.Get(Path("/mesos")); len(raw) >= len(next) {
		t.Fatalf("stored %d bytes for a %d-byte registry: not compressed", len(raw), len(next))
	}
	if data, _, err := s.Fetch(ctx); err != nil || !bytes.Equal(data, next) {
		t.Fatalf("fetch: %d bytes, %v", len(data), err)
	}
}
