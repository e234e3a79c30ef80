package sorter

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// fixture is a sorter over one pool with text helpers, so that the tests
// read like Mesos' sorter tests.
type fixture struct {
	t     *testing.T
	names *Names
	total *Total
	s     Sorter
}

func newFixture(t *testing.T, kind, total string) *fixture {
	names := NewNames()
	tot := NewTotal(names)
	tot.Set(MustParse(names, total))
	s, err := New(kind, Config{Total: tot, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, names: names, total: tot, s: s}
}

func (f *fixture) q(text string) Vec { return MustParse(f.names, text) }

func (f *fixture) add(clients ...string) {
	for _, c := range clients {
		f.s.Add(c)
		f.s.Activate(c)
	}
}

func (f *fixture) alloc(client, text string)   { f.s.Allocated(client, f.q(text)) }
func (f *fixture) unalloc(client, text string) { f.s.Unallocated(client, f.q(text)) }
func (f *fixture) setTotal(text string)        { f.total.Set(f.q(text)) }

func (f *fixture) expect(want ...string) {
	f.t.Helper()
	got := f.s.Sort()
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		f.t.Fatalf("sort = %v, want %v", got, want)
	}
	// Each must agree with Sort, and a full re-sort with the
	// incremental order.
	var each []string
	f.s.Each(func(c string, _ any) bool { each = append(each, c); return true })
	if !slices.Equal(each, want) {
		f.t.Fatalf("each = %v, want %v", each, want)
	}
	if d, ok := f.s.(*DRFSorter); ok {
		d.dirty = true
		if got := d.Sort(); !slices.Equal(got, want) {
			f.t.Fatalf("full re-sort = %v, want %v", got, want)
		}
	}
}

// The vectors of Mesos' DRFSorterTest.DRF (reference §4.2).
func TestDRF(t *testing.T) {
	f := newFixture(t, KindDRF, "cpus:100;mem:100")
	f.expect()
	f.add("a")
	f.alloc("a", "cpus:5;mem:5")
	f.add("b")
	f.alloc("b", "cpus:6;mem:6")
	f.expect("a", "b")

	f.add("c")
	f.alloc("c", "cpus:1;mem:1")
	f.add("d")
	f.alloc("d", "cpus:3;mem:1")
	f.expect("c", "d", "a", "b")

	f.s.Remove("a")
	f.unalloc("b", "cpus:4;mem:4")
	f.expect("c", "b", "d")

	f.add("e")
	f.alloc("e", "cpus:1;mem:5")
	f.setTotal("cpus:50;mem:100")
	f.expect("c", "b", "e", "d")

	f.setTotal("cpus:50;mem:200")
	f.add("f")
	f.alloc("f", "cpus:5;mem:1")
	f.alloc("c", "cpus:0;mem:15")
	f.expect("e", "b", "d", "c", "f")
	if !f.s.Contains("b") || f.s.Contains("a") || f.s.Count() != 5 {
		t.Fatalf("contains/count wrong: %d", f.s.Count())
	}

	f.s.Deactivate("d")
	f.expect("e", "b", "c", "f")
	if f.s.Count() != 5 || f.s.ActiveCount() != 4 {
		t.Fatalf("count %d active %d", f.s.Count(), f.s.ActiveCount())
	}
	f.s.Activate("d")
	f.expect("e", "b", "d", "c", "f")
}

// Mesos' DRFSorterTest.WDRF.
func TestWeightedDRF(t *testing.T) {
	f := newFixture(t, KindDRF, "cpus:100;mem:100")
	f.add("a")
	f.alloc("a", "cpus:5;mem:5")
	f.add("b")
	f.s.UpdateWeight("b", 2)
	f.alloc("b", "cpus:6;mem:6")
	f.expect("b", "a")

	f.add("c")
	f.alloc("c", "cpus:4;mem:4")
	f.expect("b", "c", "a")

	f.add("d")
	f.s.UpdateWeight("d", 10)
	f.alloc("d", "cpus:10;mem:20")
	f.expect("d", "b", "c", "a")

	f.s.Remove("b")
	f.expect("d", "c", "a")

	f.alloc("d", "cpus:10;mem:25")
	f.expect("c", "d", "a")

	f.add("e")
	f.s.UpdateWeight("e", 0.1)
	f.alloc("e", "cpus:1;mem:1")
	f.expect("c", "d", "a", "e")

	f.s.Remove("a")
	f.expect("c", "d", "e")
}

// Mesos' DRFSorterTest.UpdateWeight.
func TestUpdateWeight(t *testing.T) {
	f := newFixture(t, KindDRF, "cpus:100;mem:100")
	f.add("a")
	f.alloc("a", "cpus:5;mem:5")
	f.add("b")
	f.alloc("b", "cpus:6;mem:6")
	f.expect("a", "b")
	f.s.UpdateWeight("b", 2)
	f.expect("b", "a")
}

// Mesos' DRFSorterTest.AllocationCountTieBreak.
func TestAllocationCountTieBreak(t *testing.T) {
	f := newFixture(t, KindDRF, "cpus:100;mem:100")
	f.add("a", "b", "c", "d", "e")
	f.alloc("a", "cpus:3;mem:3")
	f.alloc("b", "cpus:3;mem:3")
	f.alloc("c", "cpus:1;mem:1")
	f.alloc("c", "cpus:1;mem:1")
	f.alloc("c", "cpus:1;mem:1")
	f.alloc("d", "cpus:2;mem:2")
	f.alloc("d", "cpus:1;mem:1")
	f.alloc("e", "cpus:3;mem:3")
	f.expect("a", "b", "e", "d", "c")

	f.unalloc("c", "cpus:3;mem:3")
	f.expect("c", "a", "b", "e", "d")
	f.alloc("c", "cpus:3;mem:3")
	f.expect("a", "b", "e", "d", "c")

	// The count survives deactivation.
	f.s.Deactivate("c")
	f.s.Activate("c")
	f.expect("a", "b", "e", "d", "c")

	f.unalloc("c", "cpus:3;mem:3")
	f.alloc("c", "cpus:3;mem:3")
	f.expect("a", "b", "e", "d", "c")

	// Allocations to an inactive client count too.
	f.s.Deactivate("a")
	f.unalloc("a", "cpus:1;mem:3")
	f.alloc("a", "cpus:1;mem:3")
	f.expect("b", "e", "d", "c")
	f.s.Activate("a")
	f.expect("b", "e", "a", "d", "c")
}

// The DRF vectors again, with every client one or several levels down
// (Mesos' ShallowHierarchy and DeepHierarchy).
func TestHierarchyKeepsFlatOrder(t *testing.T) {
	for _, paths := range []map[string]string{
		{"a": "a/a", "b": "b/b", "c": "c/c", "d": "d/d", "e": "e/e", "f": "f/f"},
		{"a": "a/a/a/a/a", "b": "b/b/b/b", "c": "c/c/c", "d": "d/d", "e": "e/e/e/e/e/e", "f": "f/f"},
	} {
		f := newFixture(t, KindDRF, "cpus:100;mem:100")
		p := func(names ...string) []string {
			out := make([]string, len(names))
			for i, n := range names {
				out[i] = paths[n]
			}
			return out
		}
		f.add(paths["a"])
		f.alloc(paths["a"], "cpus:5;mem:5")
		f.add(paths["b"])
		f.alloc(paths["b"], "cpus:6;mem:6")
		f.expect(p("a", "b")...)
		f.add(paths["c"])
		f.alloc(paths["c"], "cpus:1;mem:1")
		f.add(paths["d"])
		f.alloc(paths["d"], "cpus:3;mem:1")
		f.expect(p("c", "d", "a", "b")...)
		f.s.Remove(paths["a"])
		f.unalloc(paths["b"], "cpus:4;mem:4")
		f.expect(p("c", "b", "d")...)
		f.add(paths["e"])
		f.alloc(paths["e"], "cpus:1;mem:5")
		f.setTotal("cpus:50;mem:100")
		f.expect(p("c", "b", "e", "d")...)
		f.setTotal("cpus:50;mem:200")
		f.add(paths["f"])
		f.alloc(paths["f"], "cpus:5;mem:1")
		f.alloc(paths["c"], "cpus:0;mem:15")
		f.expect(p("e", "b", "d", "c", "f")...)
		f.s.Deactivate(paths["d"])
		f.expect(p("e", "b", "c", "f")...)
		f.s.Activate(paths["d"])
		f.expect(p("e", "b", "d", "c", "f")...)
	}
}

// Mesos' DRFSorterTest.HierarchicalAllocation: shares per level.
func TestHierarchicalAllocation(t *testing.T) {
	f := newFixture(t, KindDRF, "cpus:100;mem:100")
	f.add("a", "b/c", "b/d")
	if f.s.Count() != 3 || !f.s.Contains("a") || f.s.Contains("b") || !f.s.Contains("b/c") {
		t.Fatal("membership wrong")
	}
	f.expect("a", "b/c", "b/d")

	f.alloc("a", "cpus:6;mem:6")
	f.expect("b/c", "b/d", "a")

	f.alloc("b/c", "cpus:4;mem:4")
	f.alloc("b/d", "cpus:3;mem:3")
	f.expect("a", "b/d", "b/c")
	if got := f.s.TotalAllocation(); !got.Equal(f.q("cpus:13;mem:13")) {
		t.Fatalf("total allocation %v", got.Format(f.names))
	}

	f.alloc("a", "cpus:2;mem:2")
	f.expect("b/d", "b/c", "a")

	f.add("b/e/f")
	if f.s.Contains("b/e") || !f.s.Contains("b/e/f") {
		t.Fatal("b/e/f membership wrong")
	}
	f.expect("b/e/f", "b/d", "b/c", "a")

	f.alloc("b/e/f", "cpus:3.5;mem:3.5")
	f.expect("a", "b/d", "b/e/f", "b/c")

	f.s.Remove("b/e/f")
	f.expect("b/d", "b/c", "a")

	f.s.Update("b/c", f.q("cpus:4;mem:4"), f.q("cpus:1;mem:1"))
	f.expect("b/c", "b/d", "a")

	f.add("b/e/f")
	f.alloc("b/e/f", "cpus:3.5;mem:3.5")
	f.expect("b/c", "b/d", "b/e/f", "a")
}

// Mesos' DRFSorterTest.HierarchicalIterationOrder.
func TestHierarchicalIterationOrder(t *testing.T) {
	f := newFixture(t, KindDRF, "cpus:100;mem:100")
	f.add("a/b", "c", "d", "d/e")
	f.expect("a/b", "c", "d", "d/e")
	f.alloc("c", "cpus:8;mem:8")
	f.expect("a/b", "d", "d/e", "c")
	f.alloc("d", "cpus:3;mem:3")
	f.alloc("d/e", "cpus:2;mem:2")
	f.expect("a/b", "d/e", "d", "c")
	f.alloc("a/b", "cpus:6;mem:6")
	f.expect("d/e", "d", "a/b", "c")
}

// Mesos' DRFSorterTest.AddChildToLeaf, with weights on the way.
func TestAddChildToLeaf(t *testing.T) {
	f := newFixture(t, KindDRF, "cpus:100;mem:100")
	f.add("a")
	f.alloc("a", "cpus:10;mem:10")
	f.add("b")
	f.alloc("b", "cpus:6;mem:6")
	f.expect("b", "a")

	f.add("a/c")
	f.alloc("a/c", "cpus:5;mem:5")
	f.expect("b", "a/c", "a")

	f.s.Remove("a")
	if f.s.Contains("a") {
		t.Fatal("a still known")
	}
	f.expect("a/c", "b")

	f.add("a")
	f.alloc("a", "cpus:10;mem:10")
	f.expect("b", "a/c", "a")

	f.s.UpdateWeight("a/c", 0.2)
	f.expect("b", "a", "a/c")
	f.s.UpdateWeight("a", 3)
	f.expect("a", "a/c", "b")
	f.s.UpdateWeight("a/c", 1)
	f.expect("a/c", "a", "b")
}

// Mesos' DRFSorterTest.AddChildToInternal.
func TestAddChildToInternal(t *testing.T) {
	f := newFixture(t, KindDRF, "cpus:100;mem:100")
	f.add("x/a")
	f.alloc("x/a", "cpus:10;mem:10")
	f.add("x/b")
	f.alloc("x/b", "cpus:6;mem:6")
	f.expect("x/b", "x/a")
	f.add("x")
	f.alloc("x", "cpus:7;mem:7")
	f.expect("x/b", "x", "x/a")
	f.add("z")
	f.alloc("z", "cpus:20;mem:20")
	f.expect("z", "x/b", "x", "x/a")
	f.s.Remove("x")
	f.expect("x/b", "x/a", "z")
}

// Mesos' DRFSorterTest.AddChildToInactiveLeaf.
func TestAddChildToInactiveLeaf(t *testing.T) {
	f := newFixture(t, KindDRF, "cpus:100;mem:100")
	f.add("a")
	f.alloc("a", "cpus:10;mem:10")
	f.add("b")
	f.alloc("b", "cpus:6;mem:6")
	f.s.Deactivate("a")
	f.expect("b")
	f.add("a/c")
	f.alloc("a/c", "cpus:5;mem:5")
	f.expect("b", "a/c")
}

// Removing the last real child folds a virtual leaf back (Mesos'
// RemoveLeafCollapseParent, active and inactive).
func TestRemoveLeafCollapsesParent(t *testing.T) {
	for _, kind := range []string{KindDRF, KindRandom} {
		f := newFixture(t, kind, "cpus:100;mem:100")
		f.add("a", "b", "b/c")
		if got := f.s.Sort(); len(got) != 3 {
			t.Fatalf("%s: sort %v", kind, got)
		}
		f.s.Remove("b/c")
		if !f.s.Contains("b") || f.s.Contains("b/c") || f.s.Count() != 2 {
			t.Fatalf("%s: membership wrong after collapse", kind)
		}
		got := f.s.Sort()
		sort.Strings(got)
		if !slices.Equal(got, []string{"a", "b"}) {
			t.Fatalf("%s: sort %v", kind, got)
		}
		f.s.Deactivate("b")
		if got := f.s.Sort(); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("%s: sort %v", kind, got)
		}
	}
}

// Mesos' DRFSorterTest.ChangeWeightOnSubtree: weights set before the
// nodes exist apply to inner nodes.
func TestChangeWeightOnSubtree(t *testing.T) {
	f := newFixture(t, KindDRF, "cpus:100;mem:100")
	f.s.UpdateWeight("b", 3)
	f.s.UpdateWeight("a", 2)
	f.add("a/x", "b/y")
	f.expect("a/x", "b/y")
	f.alloc("a/x", "cpus:10;mem:10")
	f.alloc("b/y", "cpus:10;mem:10")
	f.expect("b/y", "a/x")
	f.add("b/z")
	f.alloc("b/z", "cpus:5;mem:5")
	f.expect("b/z", "b/y", "a/x")
	f.add("b")
	f.alloc("b", "cpus:4;mem:4")
	f.expect("a/x", "b", "b/z", "b/y")
	f.add("a/zz")
	f.alloc("a/zz", "cpus:2;mem:2")
	f.expect("a/zz", "a/x", "b", "b/z", "b/y")
}

// Excluded resources do not count towards shares.
func TestFairnessExclusion(t *testing.T) {
	names := NewNames()
	tot := NewTotal(names)
	tot.Set(MustParse(names, "cpus:100;mem:100;gpus:10"))
	s := NewDRF(Config{Total: tot, Exclude: []string{"gpus"}})
	for _, c := range []string{"a", "b"} {
		s.Add(c)
		s.Activate(c)
	}
	s.Allocated("a", MustParse(names, "cpus:1;mem:1;gpus:10"))
	s.Allocated("b", MustParse(names, "cpus:2;mem:2"))
	if got := s.Sort(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("sort %v, want a first (its gpus do not count)", got)
	}
	if got := s.Share("a"); got != 0.01 {
		t.Fatalf("share(a) = %v", got)
	}
}

// Each stops when asked and takes a snapshot: allocations made while
// iterating move clients only at the next read.
func TestEachSnapshot(t *testing.T) {
	f := newFixture(t, KindDRF, "cpus:100;mem:100")
	f.add("a", "b", "c")
	var seen []string
	f.s.Each(func(c string, _ any) bool {
		seen = append(seen, c)
		f.alloc(c, "cpus:10;mem:10") // would move c to the end at once
		return true
	})
	if !slices.Equal(seen, []string{"a", "b", "c"}) {
		t.Fatalf("iteration %v", seen)
	}
	seen = nil
	f.s.Each(func(c string, _ any) bool { seen = append(seen, c); return len(seen) < 2 })
	if !slices.Equal(seen, []string{"a", "b"}) {
		t.Fatalf("stopped iteration %v", seen)
	}
}

// Random operations on flat and nested clients: the incremental order
// always equals a full re-sort, and for flat clients it equals a naive
// computation from scratch.
func TestIncrementalOrderMatchesFullSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for round := 0; round < 40; round++ {
		nested := round%2 == 1
		names := NewNames()
		tot := NewTotal(names)
		tot.Set(MustParse(names, "cpus:64;mem:256;disk:100"))
		s := NewDRF(Config{Total: tot})
		type model struct {
			alloc  Vec
			count  uint64
			active bool
			weight float64
		}
		flat := map[string]*model{}
		var clients []string
		for i := 0; i < 12; i++ {
			c := fmt.Sprintf("c%02d", i)
			if nested {
				c = fmt.Sprintf("g%d/c%02d", i%3, i)
			}
			clients = append(clients, c)
			s.Add(c)
			s.Activate(c)
			flat[c] = &model{active: true, weight: 1}
		}
		for op := 0; op < 300; op++ {
			c := clients[rng.IntN(len(clients))]
			m := flat[c]
			switch r := rng.IntN(10); {
			case r < 5:
				q := Vec{int64(rng.IntN(4)) * 500, int64(rng.IntN(4)) * 1000, int64(rng.IntN(3)) * 1000}
				s.Allocated(c, q)
				m.alloc = m.alloc.Add(q)
				m.count++
			case r < 7:
				q := Vec{m.alloc.At(0) / 2, m.alloc.At(1) / 2, m.alloc.At(2) / 2}
				s.Unallocated(c, q)
				m.alloc = m.alloc.Sub(q)
			case r < 8:
				if m.active {
					s.Deactivate(c)
				} else {
					s.Activate(c)
				}
				m.active = !m.active
			case r < 9 && !nested:
				w := float64(1 + rng.IntN(3))
				s.UpdateWeight(c, w)
				m.weight = w
			default:
				var q Vec
				q, _ = Parse(names, fmt.Sprintf("cpus:%d;mem:256;disk:100", 32+rng.IntN(64)))
				tot.Set(q)
			}
			got := s.Sort()
			s.dirty = true
			full := s.Sort()
			if !slices.Equal(got, full) {
				t.Fatalf("round %d op %d: incremental %v, full %v", round, op, got, full)
			}
			if nested {
				continue
			}
			var want []string
			for _, c := range clients {
				if flat[c].active {
					want = append(want, c)
				}
			}
			share := func(c string) float64 {
				m := flat[c]
				var sh float64
				for i, x := range m.alloc {
					if t := tot.q.At(i); t > 0 {
						sh = max(sh, float64(x)/float64(t))
					}
				}
				return sh / m.weight
			}
			sort.SliceStable(want, func(i, j int) bool {
				a, b := want[i], want[j]
				if share(a) != share(b) {
					return share(a) < share(b)
				}
				if flat[a].count != flat[b].count {
					return flat[a].count < flat[b].count
				}
				return a < b
			})
			if !slices.Equal(got, want) {
				t.Fatalf("round %d op %d: sorter %v, naive %v", round, op, got, want)
			}
		}
	}
}

// Data attached to a client follows it when it becomes a virtual leaf
// and when it is folded back.
func TestDataFollowsClient(t *testing.T) {
	for _, kind := range []string{KindDRF, KindRandom} {
		f := newFixture(t, kind, "cpus:10")
		f.add("a")
		f.s.SetData("a", "data-a")
		f.add("a/b")
		f.s.SetData("a/b", "data-b")
		got := map[string]any{}
		f.s.Each(func(c string, d any) bool { got[c] = d; return true })
		if got["a"] != "data-a" || got["a/b"] != "data-b" {
			t.Fatalf("%s: data %v", kind, got)
		}
		f.s.Remove("a/b")
		got = map[string]any{}
		f.s.Each(func(c string, d any) bool { got[c] = d; return true })
		if len(got) != 1 || got["a"] != "data-a" {
			t.Fatalf("%s: data after folding %v", kind, got)
		}
	}
}
