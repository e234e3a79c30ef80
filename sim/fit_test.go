package sim

import (
	"testing"

	"github.com/gomesos/gomesos/resources"
)

// fit must give the largest count of tasks that fit one after the other,
// up to max, whatever the offer's size: the run depends on it.
func TestSimSchedulerFitCountsTasksThatFit(t *testing.T) {
	s := &simScheduler{taskRes: resources.MustParse("cpus:1;mem:128")}
	for _, tc := range []struct {
		offer string
		max   int
		want  int
	}{
		{"cpus:16;mem:65536", 10000, 16},
		{"cpus:16;mem:65536", 5, 5},
		{"cpus:16;mem:65536", 16, 16},
		{"cpus:16;mem:65536", 17, 16},
		{"cpus:16;mem:1000", 10000, 7},
		{"cpus:0.5;mem:65536", 10000, 0},
		{"cpus:3;mem:65536", 1, 1},
		{"cpus:3;mem:65536", 0, 0},
		{"cpus:1000;mem:1000000", 10000, 1000},
	} {
		if got := s.fit(resources.MustParse(tc.offer), tc.max); got != tc.want {
			t.Errorf("fit(%s, max %d) = %d, want %d", tc.offer, tc.max, got, tc.want)
		}
	}
	if n := len(s.mults); n > 2*1000+1 {
		t.Errorf("%d multiples cached for offers of at most 1,000 tasks", n)
	}
}
