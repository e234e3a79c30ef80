package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestCalendarTakesWhatAHeapPops checks the windowed engine's queue
// against a heap: its least entry, and the entries a window takes, for
// entries near and far (past the ring), due before the first bucket,
// and hooks.
func TestCalendarTakesWhatAHeapPops(t *testing.T) {
	const width = int64(time.Millisecond)
	rng := rand.New(rand.NewPCG(1, 2))
	c := newCalendar(time.Duration(width))
	var h queue // every entry, hooks too
	seq := uint64(0)
	now := int64(0)
	push := func(at int64, host uint32) {
		seq++
		x := qent{at: at, key: seq<<hostBits | uint64(host)}
		c.push(x)
		h.pushEnt(x)
	}
	for round := 0; round < 3000; round++ {
		for i := rng.IntN(40); i > 0; i-- {
			var d int64
			switch rng.IntN(10) {
			case 0:
				d = rng.Int64N(3 * ringSize * width) // often past the ring
			case 1:
				d = -rng.Int64N(5 * width) // before the first bucket
			default:
				d = rng.Int64N(20 * width)
			}
			host := uint32(1 + rng.IntN(5))
			if rng.IntN(50) == 0 {
				host = 0
			}
			push(max(now+d, 0), host)
		}
		x, ok := c.first()
		if !ok {
			if len(h) != 0 {
				t.Fatalf("round %d: calendar empty, heap holds %d", round, len(h))
			}
			continue
		}
		if x != h[0] {
			t.Fatalf("round %d: first %v, heap's %v", round, x, h[0])
		}
		if x.host() == 0 {
			if c.hooks.popEnt() != h.popEnt() {
				t.Fatalf("round %d: hooks out of order", round)
			}
			now = max(now, x.at)
			continue
		}
		bound := qent{at: x.at + width - rng.Int64N(width)}
		if len(c.hooks) > 0 && c.hooks[0].before(bound) {
			bound = c.hooks[0]
		}
		var want []qent
		got := c.take(bound, nil)
		for len(h) > 0 && h[0].before(bound) {
			want = append(want, h.popEnt())
		}
		slices.SortFunc(got, func(a, b qent) int {
			if a.before(b) {
				return -1
			}
			return 1
		})
		if !slices.Equal(got, want) {
			t.Fatalf("round %d: took %d entries, heap popped %d before %v", round, len(got), len(want), bound)
		}
		now = max(now, x.at)
	}
	for len(h) > 0 {
		x, ok := c.first()
		if !ok || x != h[0] {
			t.Fatalf("draining: first %v %v, heap's %v", x, ok, h[0])
		}
		if x.host() == 0 {
			c.hooks.popEnt()
			h.popEnt()
			continue
		}
		n := len(c.take(qent{at: x.at, key: x.key + 1}, nil))
		if h.popEnt(); n != 1 {
			t.Fatalf("draining: took %d entries for one", n)
		}
	}
	if _, ok := c.first(); ok || c.inRing != 0 {
		t.Fatalf("calendar not empty at the end: %d in the ring", c.inRing)
	}
}
