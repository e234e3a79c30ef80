package sorter

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func positions(t *testing.T, s Sorter, index map[string]int, runs int) [][]float64 {
	t.Helper()
	n := len(index)
	counts := make([][]float64, n)
	for i := range counts {
		counts[i] = make([]float64, n)
	}
	for r := 0; r < runs; r++ {
		order := s.Sort()
		if len(order) != n {
			t.Fatalf("sort returned %v", order)
		}
		for pos, c := range order {
			counts[index[c]][pos]++
		}
	}
	for i := range counts {
		for j := range counts[i] {
			counts[i][j] /= float64(runs)
		}
	}
	return counts
}

func near(t *testing.T, got, want [][]float64, tol float64) {
	t.Helper()
	for i := range want {
		for j := range want[i] {
			if math.Abs(got[i][j]-want[i][j]) > tol {
				t.Fatalf("P[%d at %d] = %.3f, want %.2f±%.2f (all: %v)", i, j, got[i][j], want[i][j], tol, got)
			}
		}
	}
}

// Mesos' RandomSorterTest.ProbabilityDistribution: weights 1..5.
func TestRandomProbabilityDistribution(t *testing.T) {
	names := NewNames()
	s := NewRandom(Config{Total: NewTotal(names), Rand: rand.New(rand.NewPCG(3, 4))})
	index := map[string]int{}
	for i := 0; i < 5; i++ {
		c := strconv.Itoa(i)
		index[c] = i
		s.Add(c)
		s.Activate(c)
		s.UpdateWeight(c, float64(i+1))
	}
	want := [][]float64{
		{0.07, 0.08, 0.12, 0.20, 0.54},
		{0.13, 0.16, 0.20, 0.28, 0.23},
		{0.20, 0.22, 0.24, 0.22, 0.12},
		{0.27, 0.26, 0.23, 0.17, 0.07},
		{0.33, 0.28, 0.21, 0.13, 0.04},
	}
	near(t, positions(t, s, index, 5000), want, 0.03)
}

// Mesos' RandomSorterTest.HierarchicalProbabilityDistribution: relative
// weights multiply down the tree.
func TestRandomHierarchicalProbabilityDistribution(t *testing.T) {
	names := NewNames()
	s := NewRandom(Config{Total: NewTotal(names), Rand: rand.New(rand.NewPCG(5, 6))})
	index := map[string]int{"a": 0, "a/b": 1, "c/d": 2, "c/e": 3}
	for _, c := range []string{"a", "a/b", "c/d", "c/e"} {
		s.Add(c)
		s.Activate(c)
	}
	for path, w := range map[string]float64{"a": 1, "a/b": 2, "c": 2, "c/d": 1, "c/e": 2} {
		s.UpdateWeight(path, w)
	}
	rel := s.RelativeWeights()
	for c, w := range map[string]float64{"a": 1.0 / 9, "a/b": 2.0 / 9, "c/d": 2.0 / 9, "c/e": 4.0 / 9} {
		if math.Abs(rel[c]-w) > 1e-12 {
			t.Fatalf("relative weight of %s = %v, want %v", c, rel[c], w)
		}
	}
	want := [][]float64{
		{0.11, 0.15, 0.23, 0.51},
		{0.22, 0.27, 0.30, 0.21},
		{0.22, 0.27, 0.30, 0.21},
		{0.44, 0.31, 0.18, 0.07},
	}
	near(t, positions(t, s, index, 10000), want, 0.03)
}

// Inactive clients never come out; stopping early leaves the sorter
// whole for the next draw.
func TestRandomActivationAndEarlyStop(t *testing.T) {
	names := NewNames()
	s := NewRandom(Config{Total: NewTotal(names), Rand: rand.New(rand.NewPCG(8, 9))})
	for _, c := range []string{"a", "b", "c", "d"} {
		s.Add(c)
		s.Activate(c)
	}
	s.Deactivate("c")
	for i := 0; i < 200; i++ {
		n := 0
		s.Each(func(c string, _ any) bool {
			if c == "c" {
				t.Fatal("inactive client drawn")
			}
			n++
			return n < 2
		})
		if got := s.Sort(); len(got) != 3 {
			t.Fatalf("sort %v after an early stop", got)
		}
	}
	if s.ActiveCount() != 3 || s.Count() != 4 {
		t.Fatalf("counts %d/%d", s.ActiveCount(), s.Count())
	}
}
