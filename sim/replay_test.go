package sim

import (
	"math/rand"
	"testing"
)

func TestReplaySourceGivesMathRandsStream(t *testing.T) {
	for _, seed := range []int64{0, 1, -7, 1 << 40} {
		want := rand.New(rand.NewSource(seed))
		got := rand.New(newReplaySource(seed))
		for i := 0; i < 300; i++ {
			var a, b any
			switch i % 4 {
			case 0:
				a, b = want.Float64(), got.Float64()
			case 1:
				a, b = want.Uint64(), got.Uint64()
			case 2:
				a, b = want.Intn(1000), got.Intn(1000)
			default:
				a, b = want.Int63(), got.Int63()
			}
			if a != b {
				t.Fatalf("seed %d, draw %d: got %v, want %v", seed, i, b, a)
			}
		}
	}
}
