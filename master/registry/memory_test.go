package registry

import (
	"context"
	"errors"
	"testing"
)

func TestMemoryCompareAndSet(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	data, v, err := m.Fetch(ctx)
	if err != nil || data != nil || v != Absent {
		t.Fatalf("fresh Fetch = %q, %d, %v", data, v, err)
	}
	v1, err := m.Store(ctx, []byte("one"), Absent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Store(ctx, []byte("lost"), Absent); !errors.Is(err, ErrConflict) {
		t.Fatalf("second create = %v, want ErrConflict", err)
	}
	v2, err := m.Store(ctx, []byte("two"), v1)
	if err != nil || v2 == v1 {
		t.Fatalf("Store at v1 = %d, %v", v2, err)
	}
	if _, err := m.Store(ctx, []byte("stale"), v1); !errors.Is(err, ErrConflict) {
		t.Fatalf("store at a stale version = %v, want ErrConflict", err)
	}
	data, v, _ = m.Fetch(ctx)
	if string(data) != "two" || v != v2 {
		t.Fatalf("Fetch = %q, %d; want two, %d", data, v, v2)
	}
	data[0] = 'X' // the caller's copy
	if again, _, _ := m.Fetch(ctx); string(again) != "two" {
		t.Fatalf("the store shares its bytes: %q", again)
	}
	if _, err := m.Store(ctx, make([]byte, MaxSize+1), v2); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversized store = %v", err)
	}
}

func TestMemoryFencedWriterStopsWhenDeposed(t *testing.T) {
	ctx := context.Background()
	m := NewMemory()
	held := true
	w := m.Fenced(func() bool { return held })
	v, err := w.Store(ctx, []byte("by the leader"), Absent)
	if err != nil {
		t.Fatal(err)
	}
	held = false
	if _, err := w.Store(ctx, []byte("by the deposed"), v); !errors.Is(err, ErrNotLeader) {
		t.Fatalf("deposed write = %v, want ErrNotLeader", err)
	}
	if data, _, _ := w.Fetch(ctx); string(data) != "by the leader" {
		t.Fatalf("registry = %q", data)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Store(cancelled, nil, v); !errors.Is(err, context.Canceled) {
		t.Fatalf("store with a cancelled context = %v", err)
	}
}
