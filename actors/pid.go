package actors

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/asynkron/protoactor-go/actor"
)

// PID names a process: ID@Address, Address being host:port of the node's
// remoting endpoint (e.g. "master@127.0.0.1:40123", "slave(1)@..."), or the
// pseudo address "local-<n>" of a Local node.
type PID struct {
	ID      string
	Address string
}

// String renders "id@host:port"; the zero PID renders "".
func (p PID) String() string {
	if p.IsZero() {
		return ""
	}
	return p.ID + "@" + p.Address
}

// IsZero reports whether p names nothing.
func (p PID) IsZero() bool { return p.ID == "" && p.Address == "" }

// ParsePID parses "id@host:port" (or "id@local-<n>", a Local node's PID).
// The id must be non-empty and free of '@' and white space; the address
// must be host:port with a numeric port, or local-<n>.
func ParsePID(s string) (PID, error) {
	id, addr, ok := strings.Cut(s, "@")
	if !ok {
		return PID{}, fmt.Errorf("actors: bad PID %q: want id@host:port", s)
	}
	if id == "" {
		return PID{}, fmt.Errorf("actors: bad PID %q: empty id", s)
	}
	if strings.ContainsAny(id, " \t\r\n") {
		return PID{}, fmt.Errorf("actors: bad PID %q: white space in id", s)
	}
	if err := checkAddress(addr); err != nil {
		return PID{}, fmt.Errorf("actors: bad PID %q: %v", s, err)
	}
	return PID{ID: id, Address: addr}, nil
}

func checkAddress(addr string) error {
	if isLocalAddress(addr) {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %v", addr, err)
	}
	if host == "" {
		return fmt.Errorf("address %q: empty host", addr)
	}
	if strings.ContainsAny(host, "@ \t\r\n/") {
		return fmt.Errorf("address %q: bad host", addr)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || port == "" {
		return fmt.Errorf("address %q: bad port", addr)
	}
	_ = n
	return nil
}

// toActorPID converts to protoactor's PID. The zero PID becomes nil.
func toActorPID(p PID) *actor.PID {
	if p.IsZero() {
		return nil
	}
	return &actor.PID{Address: p.Address, Id: p.ID}
}

// fromActorPID converts from protoactor's PID. nil becomes the zero PID.
func fromActorPID(p *actor.PID) PID {
	if p == nil {
		return PID{}
	}
	return PID{ID: p.Id, Address: p.Address}
}

// pidCache maps PIDs to shared entries holding protoactor's PID (which
// caches the process it resolves to, saving an allocation and a registry
// lookup per message) and, for a process of this node, the process. The
// cache is dropped when it grows past pidCacheMax entries.
type pidCache struct {
	last atomic.Pointer[pidEntry] // the last PID looked up: senders repeat
	mu   sync.RWMutex
	m    map[PID]*pidEntry
}

type pidEntry struct {
	pid   PID
	ap    *actor.PID
	local bool                    // on this node
	proc  atomic.Pointer[process] // the live process last found under pid (local only)
}

const pidCacheMax = 4096

// get returns the entry of p, which must not be zero; local says whether
// an address is this node's.
func (c *pidCache) get(p PID, local func(addr string) bool) *pidEntry {
	if e := c.last.Load(); e != nil && equalPID(e.pid, p) {
		return e
	}
	return c.lookup(p, local)
}

func (c *pidCache) lookup(p PID, local func(addr string) bool) *pidEntry {
	c.mu.RLock()
	e, ok := c.m[p]
	c.mu.RUnlock()
	if !ok {
		e = &pidEntry{pid: p, ap: toActorPID(p), local: local(p.Address)}
		c.mu.Lock()
		if c.m == nil || len(c.m) >= pidCacheMax {
			c.m = make(map[PID]*pidEntry)
		}
		c.m[p] = e
		c.mu.Unlock()
	}
	c.last.Store(e)
	return e
}

// equalPID is a == b, without comparing the bytes of strings that are the
// same strings (a PID is usually copied, not built again).
func equalPID(a, b PID) bool {
	return sameString(a.ID, b.ID) && sameString(a.Address, b.Address)
}

func sameString(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}

// processPIDCacheMax bounds a process' own cache (no lock: one goroutine).
const processPIDCacheMax = 256

// pidKey is the map key of a protoactor PID (ignoring request ids).
func pidKey(p *actor.PID) string { return p.Address + "/" + p.Id }

// isLocalAddress reports whether addr is a Local node's "local-<n>".
func isLocalAddress(addr string) bool {
	n, ok := strings.CutPrefix(addr, LocalAddressPrefix)
	if !ok {
		return false
	}
	_, err := strconv.ParseUint(n, 10, 64)
	return err == nil
}
