package allocator

import (
	"container/heap"
	"math/rand"
	"strconv"
	"testing"
	"time"
)

// push and pop must order expiries exactly as container/heap does, ties
// included: filters expire in that order.
func TestExpiryHeapMatchesContainerHeap(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var mine, ref expiryHeap
	at := time.Unix(0, 0)
	for step := 0; step < 5000; step++ {
		if len(mine) > 0 && rng.Intn(3) == 0 {
			got, want := mine.pop(), heap.Pop(&ref).(expiry)
			if got != want {
				t.Fatalf("step %d: pop %+v, container/heap pops %+v", step, got, want)
			}
			continue
		}
		e := expiry{at.Add(time.Duration(rng.Intn(20)) * time.Second), strconv.Itoa(step), filterKey{"r", "a" + strconv.Itoa(rng.Intn(5))}}
		mine.push(e)
		heap.Push(&ref, e)
	}
	for len(ref) > 0 {
		if got, want := mine.pop(), heap.Pop(&ref).(expiry); got != want {
			t.Fatalf("draining: pop %+v, container/heap pops %+v", got, want)
		}
	}
	if len(mine) != 0 {
		t.Fatalf("%d expiries left", len(mine))
	}
}
