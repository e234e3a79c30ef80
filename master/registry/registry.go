// Package registry stores the master's registry (what must survive a
// failover: admitted, unreachable and gone agents, weights, quota) as one
// opaque blob with compare-and-set: Memory for tests and the simulator,
// ZooKeeper for highly available masters, where every write is fenced by
// the writer's own election znode so that a deposed leader can never write,
// and a registry larger than a znode is compressed and split into chunks.
//
// The blob is the caller's serialized Registry; the store does not read it.
package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Version identifies a stored registry; Absent means none was ever stored.
type Version int64

// Absent is the version of a registry never stored.
const Absent Version = -1

// Default timeouts, as Mesos' --registry_fetch_timeout and
// --registry_store_timeout.
const (
	DefaultFetchTimeout = 60 * time.Second
	DefaultStoreTimeout = 20 * time.Second
)

// MaxSize bounds a stored registry (before compression): about 350,000
// agents of 180 bytes. ZooKeeper refuses znodes and requests over about 1 MiB
// (jute.maxbuffer), so its store compresses the registry and splits it
// across znodes (see format.go).
const MaxSize = 64 << 20

// Errors a store returns. A master treats every Store error as fatal to its
// leadership (Mesos aborts): it stops acting as leader.
var (
	// ErrConflict: the registry changed since the version given.
	ErrConflict = errors.New("registry: version conflict (stored by someone else since it was read)")
	// ErrNotLeader: the writer's candidacy is gone; it must not write.
	ErrNotLeader = errors.New("registry: the writer no longer holds its candidacy")
	// ErrUnknownOutcome: the write may or may not have been applied
	// (timeout or connection loss); fetch again before anything else.
	ErrUnknownOutcome = errors.New("registry: store outcome unknown")
	// ErrCorrupt: what is stored cannot be read as a whole registry (a
	// chunk missing or damaged, a head that does not parse); it is never
	// returned as one.
	ErrCorrupt = errors.New("registry: the stored registry is corrupt")
	// ErrTooLarge: the registry exceeds MaxSize.
	ErrTooLarge = errors.New("registry: too large to store")
)

// Store holds the registry.
type Store interface {
	// Fetch returns the stored registry and its version (nil and Absent
	// when none was stored).
	Fetch(ctx context.Context) ([]byte, Version, error)
	// Store replaces the registry stored at version v (Absent: none yet)
	// and returns the new version.
	Store(ctx context.Context, data []byte, v Version) (Version, error)
}

// Memory is an in-memory registry. Writers obtained through Fenced refuse
// to store once their fence no longer holds. It is safe for concurrent use.
type Memory struct {
	mu      sync.Mutex
	data    []byte
	version Version
}

// NewMemory returns an empty in-memory registry.
func NewMemory() *Memory { return &Memory{version: Absent} }

// Fetch implements Store.
func (m *Memory) Fetch(ctx context.Context) ([]byte, Version, error) {
	if err := ctx.Err(); err != nil {
		return nil, Absent, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return clone(m.data), m.version, nil
}

// Store implements Store (unfenced).
func (m *Memory) Store(ctx context.Context, data []byte, v Version) (Version, error) {
	return m.store(ctx, data, v, nil)
}

// Fenced is m as seen by a writer whose writes hold only while held()
// (for example an in-memory candidacy's Held).
func (m *Memory) Fenced(held func() bool) Store { return fenced{m, held} }

type fenced struct {
	m    *Memory
	held func() bool
}

func (f fenced) Fetch(ctx context.Context) ([]byte, Version, error) { return f.m.Fetch(ctx) }
func (f fenced) Store(ctx context.Context, data []byte, v Version) (Version, error) {
	return f.m.store(ctx, data, v, f.held)
}

func (m *Memory) store(ctx context.Context, data []byte, v Version, held func() bool) (Version, error) {
	if err := ctx.Err(); err != nil {
		return Absent, err
	}
	if len(data) > MaxSize {
		return Absent, fmt.Errorf("%w: %d bytes (at most %d)", ErrTooLarge, len(data), MaxSize)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if held != nil && !held() {
		return Absent, ErrNotLeader
	}
	if v != m.version {
		return Absent, fmt.Errorf("%w: at version %d, the registry is at %d", ErrConflict, v, m.version)
	}
	m.data = clone(data)
	m.version++
	return m.version, nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
