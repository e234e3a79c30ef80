package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
)

// ZooKeeper keeps the registry in one znode. Every Store is a ZooKeeper
// multi-op that checks the writer's election znode still exists and sets
// the registry at the version read (or creates it): a deposed leader, whose
// ephemeral znode died with its session, can never write, even after its
// connection comes back.
type ZooKeeper struct {
	conn  *zk.Conn
	path  string
	fence string
	acl   []zk.ACL
	// Held, when set, is also asked before each write (the candidacy may
	// already be lost locally while its znode still exists).
	Held func() bool
	// FetchTimeout and StoreTimeout bound Fetch and Store when the caller's
	// context has no earlier deadline (--registry_fetch_timeout,
	// --registry_store_timeout).
	FetchTimeout time.Duration
	StoreTimeout time.Duration
}

// Path is the registry znode of a master group (zk:// URL path).
func Path(group string) string { return group + "/registry" }

// NewZooKeeper stores the registry at path over conn, fenced by the znode
// fence (the writer's election znode, which must be ephemeral to the
// writer's session). acl is given to the registry znode when it is created.
func NewZooKeeper(conn *zk.Conn, path, fence string, acl []zk.ACL) *ZooKeeper {
	if acl == nil {
		acl = zk.WorldACL(zk.PermAll)
	}
	return &ZooKeeper{conn: conn, path: path, fence: fence, acl: acl,
		FetchTimeout: DefaultFetchTimeout, StoreTimeout: DefaultStoreTimeout}
}

// Fetch implements Store.
func (z *ZooKeeper) Fetch(ctx context.Context) ([]byte, Version, error) {
	type result struct {
		data []byte
		v    Version
		err  error
	}
	ctx, cancel := withTimeout(ctx, z.FetchTimeout)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		data, stat, err := z.conn.Get(z.path)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			done <- result{nil, Absent, nil}
		case err != nil:
			done <- result{nil, Absent, fmt.Errorf("registry: fetch %s: %w", z.path, err)}
		default:
			done <- result{data, Version(stat.Version), nil}
		}
	}()
	select {
	case r := <-done:
		return r.data, r.v, r.err
	case <-ctx.Done():
		return nil, Absent, fmt.Errorf("registry: fetch %s: %w", z.path, ctx.Err())
	}
}

// Store implements Store.
func (z *ZooKeeper) Store(ctx context.Context, data []byte, v Version) (Version, error) {
	if len(data) > MaxSize {
		return Absent, fmt.Errorf("%w: %d bytes (at most %d)", ErrTooLarge, len(data), MaxSize)
	}
	if z.Held != nil && !z.Held() {
		return Absent, ErrNotLeader
	}
	ctx, cancel := withTimeout(ctx, z.StoreTimeout)
	defer cancel()
	type result struct {
		v   Version
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := z.multi(data, v)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return Absent, fmt.Errorf("%w: %s: %w", ErrUnknownOutcome, z.path, ctx.Err())
	}
}

func (z *ZooKeeper) multi(data []byte, v Version) (Version, error) {
	check := &zk.CheckVersionRequest{Path: z.fence, Version: -1} // exists, any version
	var op any
	if v == Absent {
		op = &zk.CreateRequest{Path: z.path, Data: data, Acl: z.acl}
	} else {
		op = &zk.SetDataRequest{Path: z.path, Data: data, Version: int32(v)}
	}
	res, err := z.conn.Multi(check, op)
	if err == nil {
		if v == Absent {
			return 0, nil
		}
		if len(res) == 2 && res[1].Stat != nil {
			return Version(res[1].Stat.Version), nil
		}
		return v + 1, nil
	}
	if len(res) == 2 {
		switch {
		case errors.Is(res[0].Error, zk.ErrNoNode):
			return Absent, ErrNotLeader
		case v == Absent && errors.Is(res[1].Error, zk.ErrNoNode):
			return Absent, fmt.Errorf("registry: store %s: its parent znode does not exist", z.path)
		case errors.Is(res[1].Error, zk.ErrBadVersion), errors.Is(res[1].Error, zk.ErrNodeExists),
			errors.Is(res[1].Error, zk.ErrNoNode):
			return Absent, fmt.Errorf("%w: stored at %d: %v", ErrConflict, v, res[1].Error)
		}
	}
	if errors.Is(err, zk.ErrConnectionClosed) {
		return Absent, fmt.Errorf("%w: %s: %v", ErrUnknownOutcome, z.path, err)
	}
	if errors.Is(err, zk.ErrClosing) || errors.Is(err, zk.ErrSessionExpired) {
		// The writer's session is gone, and its candidacy with it.
		return Absent, fmt.Errorf("%w: %s: %v", ErrNotLeader, z.path, err)
	}
	return Absent, fmt.Errorf("registry: store %s: %w", z.path, err)
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
