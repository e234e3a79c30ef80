package registry

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// ZooKeeper keeps the registry in a znode, compressed, with chunk znodes
// under it when it is larger than a slice (format.go). Every request a
// Store sends is a ZooKeeper multi-op that first checks that the writer's
// election znode still exists, and the last one sets the head at the
// version read (or creates it): a deposed leader, whose ephemeral znode
// died with its session, can never write, even after its connection comes
// back. The head's znode version is the registry's version.
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

	mu    sync.Mutex
	known *knownChunks // the chunks under the head this store last wrote
}

type knownChunks struct {
	v     Version
	names []string
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

// Fetch implements Store. A chunked registry is read consistently: if a
// chunk is gone, the head has moved on and the read starts again; chunks
// that are missing or damaged under an unchanged head are an error, never
// a registry.
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
		data, v, err := z.fetch(ctx)
		done <- result{data, v, err}
	}()
	select {
	case r := <-done:
		return r.data, r.v, r.err
	case <-ctx.Done():
		return nil, Absent, fmt.Errorf("registry: fetch %s: %w", z.path, ctx.Err())
	}
}

// errChunkGone: a chunk the head names does not exist (any more).
var errChunkGone = errors.New("registry: chunk gone")

func (z *ZooKeeper) fetch(ctx context.Context) ([]byte, Version, error) {
	for ctx.Err() == nil {
		b, stat, err := z.conn.Get(z.path)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			return nil, Absent, nil
		case err != nil:
			return nil, Absent, fmt.Errorf("registry: fetch %s: %w", z.path, err)
		}
		v := Version(stat.Version)
		h, err := decodeHead(b)
		if err != nil {
			return nil, Absent, fmt.Errorf("registry: fetch %s at version %d: %w", z.path, v, err)
		}
		data, err := z.read(h)
		if errors.Is(err, errChunkGone) {
			_, now, serr := z.conn.Exists(z.path)
			if serr == nil && now != nil && Version(now.Version) != v {
				continue // stored again while read: read the new one
			}
			err = fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if err != nil {
			return nil, Absent, fmt.Errorf("registry: fetch %s at version %d: %w", z.path, v, err)
		}
		return data, v, nil
	}
	return nil, Absent, ctx.Err()
}

// read returns the registry h stands for, reading its chunks.
func (z *ZooKeeper) read(h head) ([]byte, error) {
	switch {
	case h.legacy:
		return h.data, nil
	case len(h.chunks) == 0:
		data, err := inflate(h.data, h.size)
		if err != nil {
			return nil, err
		}
		return data, h.checkSum(data)
	}
	parts := make([][]byte, len(h.chunks))
	errs := make([]error, len(h.chunks))
	var wg sync.WaitGroup
	for i, c := range h.chunks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := z.path + "/" + c.name()
			b, _, err := z.conn.Get(path)
			switch {
			case errors.Is(err, zk.ErrNoNode):
				errs[i] = fmt.Errorf("%w: %s", errChunkGone, path)
				return
			case err != nil:
				errs[i] = fmt.Errorf("registry: fetch %s: %w", path, err)
				return
			}
			part, err := inflate(b, c.size)
			if err == nil && sha256.Sum256(part) != c.sum {
				err = fmt.Errorf("%w: chunk %s does not match its name", ErrCorrupt, path)
			}
			parts[i], errs[i] = part, err
		}()
	}
	wg.Wait()
	var gone error
	for _, err := range errs {
		switch {
		case errors.Is(err, errChunkGone):
			gone = err
		case err != nil:
			return nil, err
		}
	}
	if gone != nil {
		return nil, gone
	}
	data := make([]byte, 0, h.size)
	for _, p := range parts {
		data = append(data, p...)
	}
	return data, h.checkSum(data)
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
		v, err := z.write(data, v)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return Absent, fmt.Errorf("%w: %s: %w", ErrUnknownOutcome, z.path, ctx.Err())
	}
}

// write stores data at v: the chunks it needs that are not stored yet,
// each in a fenced Multi, then the head at v in a fenced Multi that also
// deletes the chunks no longer named. Until the head is set, readers see
// the registry as it was; a failed write leaves unnamed chunks, which the
// next write deletes.
func (z *ZooKeeper) write(data []byte, v Version) (Version, error) {
	known, ok := z.knownChunks(v)
	z.mu.Lock()
	z.known = nil // until this write succeeds
	z.mu.Unlock()
	refs, parts := cut(data)
	if len(refs) <= 1 {
		refs, parts = nil, nil // inline in the head
	}
	var existing []string
	if ok {
		existing = known
	} else if v == Absent && len(refs) > 0 {
		// Chunks are children of the head: create it (empty) first.
		nv, err := z.setHead(nil, Absent, nil)
		if err != nil {
			return Absent, err
		}
		v = nv
	} else if v != Absent {
		children, _, err := z.conn.Children(z.path)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			return Absent, fmt.Errorf("%w: stored at %d: the registry znode is gone", ErrConflict, v)
		case err != nil:
			return Absent, z.requestError(err)
		}
		existing = children
	}
	have := map[string]bool{}
	for _, name := range existing {
		have[name] = true
	}
	var batch []any
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := z.fenced(batch...)
		batch, size = nil, 0
		switch {
		case err == nil, errors.Is(err, ErrNotLeader), errors.Is(err, ErrUnknownOutcome):
			return err
		case slices.ContainsFunc(res, func(r zk.MultiResponse) bool { return errors.Is(r.Error, zk.ErrNodeExists) }):
			return fmt.Errorf("%w: stored at %d: a chunk was written meanwhile", ErrConflict, v)
		}
		return fmt.Errorf("registry: store %s: chunks: %w", z.path, err)
	}
	for i, c := range refs {
		if have[c.name()] {
			continue
		}
		have[c.name()] = true
		chunk := compress(parts[i])
		if size+len(chunk) > requestBudget {
			if err := flush(); err != nil {
				return Absent, err
			}
		}
		batch = append(batch, &zk.CreateRequest{Path: z.path + "/" + c.name(), Data: chunk, Acl: z.acl})
		size += len(chunk)
	}
	if err := flush(); err != nil {
		return Absent, err
	}
	named := head{chunks: refs}.names()
	var stale []string
	for _, name := range existing {
		if !named[name] {
			stale = append(stale, name)
		}
	}
	nv, err := z.setHead(encodeHead(data, refs), v, stale)
	if err == nil {
		names := make([]string, 0, len(named))
		for name := range named {
			names = append(names, name)
		}
		z.setKnown(nv, names)
	}
	return nv, err
}

// knownChunks returns the chunk znodes under the head at v, when this
// store wrote v itself (nothing else writes while it leads).
func (z *ZooKeeper) knownChunks(v Version) ([]string, bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.known == nil || z.known.v != v {
		return nil, false
	}
	return z.known.names, true
}

func (z *ZooKeeper) setKnown(v Version, names []string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.known = &knownChunks{v: v, names: names}
}

// setHead sets (v Absent: creates) the head to b at v, deleting the chunks
// stale, all in one fenced Multi.
func (z *ZooKeeper) setHead(b []byte, v Version, stale []string) (Version, error) {
	var ops []any
	if v == Absent {
		ops = append(ops, &zk.CreateRequest{Path: z.path, Data: b, Acl: z.acl})
	} else {
		ops = append(ops, &zk.SetDataRequest{Path: z.path, Data: b, Version: int32(v)})
	}
	for _, name := range stale {
		ops = append(ops, &zk.DeleteRequest{Path: z.path + "/" + name, Version: -1})
	}
	res, err := z.fenced(ops...)
	if err == nil {
		if v == Absent {
			return 0, nil
		}
		if len(res) > 1 && res[1].Stat != nil {
			return Version(res[1].Stat.Version), nil
		}
		return v + 1, nil
	}
	if errors.Is(err, ErrNotLeader) || errors.Is(err, ErrUnknownOutcome) {
		return Absent, err
	}
	if len(res) > 1 {
		switch {
		case v == Absent && errors.Is(res[1].Error, zk.ErrNoNode):
			return Absent, fmt.Errorf("registry: store %s: its parent znode does not exist", z.path)
		case errors.Is(res[1].Error, zk.ErrBadVersion), errors.Is(res[1].Error, zk.ErrNodeExists),
			errors.Is(res[1].Error, zk.ErrNoNode):
			return Absent, fmt.Errorf("%w: stored at %d: %v", ErrConflict, v, res[1].Error)
		}
		for _, r := range res[2:] {
			if errors.Is(r.Error, zk.ErrNoNode) {
				// Someone else deleted a chunk: someone else writes.
				return Absent, fmt.Errorf("%w: stored at %d: a chunk was deleted meanwhile", ErrConflict, v)
			}
		}
	}
	return Absent, fmt.Errorf("registry: store %s: %w", z.path, err)
}

// fenced runs ops in one Multi that first checks that the writer's
// election znode still exists.
func (z *ZooKeeper) fenced(ops ...any) ([]zk.MultiResponse, error) {
	check := &zk.CheckVersionRequest{Path: z.fence, Version: -1} // exists, any version
	res, err := z.conn.Multi(append([]any{check}, ops...)...)
	if err == nil {
		return res, nil
	}
	if len(res) > 0 && errors.Is(res[0].Error, zk.ErrNoNode) {
		return res, ErrNotLeader
	}
	return res, z.requestError(err)
}

// requestError classifies a failed request's error.
func (z *ZooKeeper) requestError(err error) error {
	switch {
	case errors.Is(err, zk.ErrConnectionClosed):
		return fmt.Errorf("%w: %s: %v", ErrUnknownOutcome, z.path, err)
	case errors.Is(err, zk.ErrClosing), errors.Is(err, zk.ErrSessionExpired):
		// The writer's session is gone, and its candidacy with it.
		return fmt.Errorf("%w: %s: %v", ErrNotLeader, z.path, err)
	}
	return err
}

func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}
