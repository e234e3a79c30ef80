package protocol

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
)

// UUID is a version 4 UUID, as status updates and offer operations carry
// them (16 bytes on the wire, text in JSON).
type UUID [16]byte

// String renders the canonical 8-4-4-4-12 text form.
func (u UUID) String() string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// Bytes returns the 16 bytes, as TaskStatus.uuid holds them.
func (u UUID) Bytes() []byte { return append([]byte(nil), u[:]...) }

// UUIDText renders 16 bytes as a UUID, anything else in hex.
func UUIDText(b []byte) string {
	if len(b) != 16 {
		return fmt.Sprintf("%x", b)
	}
	return UUID(b).String()
}

// UUIDs makes UUIDs. Cores take one so that tests and the simulator get
// the same ids on every run.
type UUIDs interface {
	NewUUID() UUID
}

// RandomUUIDs returns a source of random version 4 UUIDs.
func RandomUUIDs() UUIDs { return randomUUIDs{} }

type randomUUIDs struct{}

func (randomUUIDs) NewUUID() UUID {
	var u UUID
	if _, err := rand.Read(u[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on Linux
	}
	return shape(u)
}

// SequentialUUIDs returns a deterministic source: the n-th UUID holds seed
// and n, shaped as version 4. Safe for concurrent use.
func SequentialUUIDs(seed uint64) UUIDs { return &sequentialUUIDs{seed: seed} }

type sequentialUUIDs struct {
	mu   sync.Mutex
	seed uint64
	n    uint64
}

func (s *sequentialUUIDs) NewUUID() UUID {
	s.mu.Lock()
	s.n++
	n := s.n
	s.mu.Unlock()
	var u UUID
	binary.BigEndian.PutUint64(u[0:8], s.seed)
	binary.BigEndian.PutUint64(u[8:16], n)
	return shape(u)
}

func shape(u UUID) UUID {
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}
