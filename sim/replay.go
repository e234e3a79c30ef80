package sim

import "math/rand"

// replaySource gives the values of math/rand's source for a seed without
// keeping that source (4.9 KB of state) between draws: it holds the next
// few values, and makes the source again from the seed, skipping what it
// gave, when they run out. Each agent core has one and draws a few
// values in a run.
type replaySource struct {
	seed  int64
	drawn int      // values given so far
	next  []uint64 // the values that follow
}

func newReplaySource(seed int64) *replaySource { return &replaySource{seed: seed} }

func (r *replaySource) Uint64() uint64 {
	if len(r.next) == 0 {
		src := rand.NewSource(r.seed).(rand.Source64)
		for range r.drawn {
			src.Uint64()
		}
		r.next = make([]uint64, max(4, r.drawn)) // doubling: a source drawn from often is remade seldom
		for i := range r.next {
			r.next[i] = src.Uint64()
		}
	}
	v := r.next[0]
	r.next = r.next[1:]
	r.drawn++
	return v
}

// Int63 is what math/rand's source gives: Uint64's value without its top bit.
func (r *replaySource) Int63() int64 { return int64(r.Uint64() & (1<<63 - 1)) }

func (r *replaySource) Seed(seed int64) { *r = replaySource{seed: seed} }
