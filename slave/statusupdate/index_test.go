package statusupdate

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"
	"unsafe"
)

// The index against a map, through the list, the map it grows into, and
// back; ids that share a task id share a hash.
func TestStreamIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var x streamIndex
	want := map[StreamID]*stream{}
	ids := make([]StreamID, 0, 3*smallIndex)
	for i := 0; i < cap(ids); i++ {
		ids = append(ids, StreamID{FrameworkID: fmt.Sprint("fw-", i%3), TaskID: fmt.Sprint("t", i/3)})
	}
	check := func(step int) {
		t.Helper()
		if x.len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", step, x.len(), len(want))
		}
		for _, id := range ids {
			if got := x.get(id); got != want[id] {
				t.Fatalf("step %d: %v is %p, want %p", step, id, got, want[id])
			}
		}
		seen := 0
		x.each(func(id StreamID, s *stream) {
			if want[id] != s {
				t.Fatalf("step %d: each gives %v %p, want %p", step, id, s, want[id])
			}
			seen++
		})
		if seen != len(want) {
			t.Fatalf("step %d: each gave %d streams, want %d", step, seen, len(want))
		}
	}
	wasBig := false
	for step := 0; step < 4000; step++ {
		// Phases: a mix on few ids (the list), growing over all of them
		// (the map), draining, and a mix on few again.
		pool, del := ids[:smallIndex*3/4], rng.Intn(2) == 0
		switch {
		case step >= 1000 && step < 1500:
			pool, del = ids, rng.Intn(4) == 0
		case step >= 1500 && step < 2500:
			pool, del = ids, true
		}
		id := pool[rng.Intn(len(pool))]
		switch {
		case del:
			x.del(id)
			delete(want, id)
		case want[id] == nil && rng.Intn(2) == 0:
			s := newStream()
			x.add(id, s)
			want[id] = s
		default:
			s := newStream()
			x.set(id, s)
			want[id] = s
		}
		if step%100 == 99 {
			fw := fmt.Sprint("fw-", step%3)
			x.delIf(func(id StreamID) bool { return id.FrameworkID == fw })
			for id := range want {
				if id.FrameworkID == fw {
					delete(want, id)
				}
			}
		}
		wasBig = wasBig || x.big != nil
		check(step)
	}
	if !wasBig {
		t.Fatal("the index never outgrew its list")
	}
}

// Streams lists every stream, sorted, however the index holds them.
func TestManagerStreamsSorted(t *testing.T) {
	for _, n := range []int{3, smallIndex + 5} {
		m := New()
		var want []string
		for i := n - 1; i >= 0; i-- {
			u := upd(fmt.Sprintf("t%03d", i), running, fmt.Sprint("u", i))
			if _, err := m.Update(u); err != nil {
				t.Fatal(err)
			}
			want = append(want, fmt.Sprintf("t%03d", i))
		}
		sort.Strings(want)
		got := m.Streams()
		if len(got) != n {
			t.Fatalf("%d streams, want %d", len(got), n)
		}
		for i, id := range got {
			if id.TaskID != want[i] || !m.Has(id) {
				t.Fatalf("stream %d is %v, want task %s", i, id, want[i])
			}
		}
	}
}

// A stream fits the 128-byte size class (the next is 144).
func TestStreamSize(t *testing.T) {
	if n := unsafe.Sizeof(stream{}); n > 128 {
		t.Fatalf("a stream is %d bytes", n)
	}
}
