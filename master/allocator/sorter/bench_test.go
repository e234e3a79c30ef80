package sorter

import (
	"fmt"
	"testing"
)

// One op: take the first client in order and allocate to it, as an
// allocation run does for each agent (clients=N flat, or N/10 groups of
// 10 two levels deep).
func BenchmarkFirstAndAllocate(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		for _, nested := range []bool{false, true} {
			b.Run(fmt.Sprintf("clients=%d/nested=%v", n, nested), func(b *testing.B) {
				names := NewNames()
				tot := NewTotal(names)
				tot.Set(MustParse(names, "cpus:1000000;mem:1000000000"))
				s := NewDRF(Config{Total: tot})
				for i := 0; i < n; i++ {
					c := fmt.Sprintf("c%05d", i)
					if nested {
						c = fmt.Sprintf("g%04d/c%05d", i/10, i)
					}
					s.Add(c)
					s.Activate(c)
				}
				q := MustParse(names, "cpus:16;mem:65536")
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					var first string
					s.Each(func(c string, _ any) bool { first = c; return false })
					s.Allocated(first, q)
				}
			})
		}
	}
}

// One op: a full Sort after the pool changed (every share recomputed).
func BenchmarkFullSort(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			names := NewNames()
			tot := NewTotal(names)
			tot.Set(MustParse(names, "cpus:1000000;mem:1000000000"))
			s := NewDRF(Config{Total: tot})
			for i := 0; i < n; i++ {
				c := fmt.Sprintf("c%05d", i)
				s.Add(c)
				s.Activate(c)
				s.Allocated(c, Vec{int64(i%97) * 1000, int64(i%89) * 1000})
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tot.Add(Vec{1000})
				s.Each(func(string, any) bool { return false })
			}
		})
	}
}
