package sim

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"
)

// windowed runs cfg on the windowed engine with workers goroutines and
// returns the run's summary, counts and a digest of its trace, and how
// many windows were shared out. With every, windows of that many events
// or more are.
func windowed(t *testing.T, cfg Config, workers, every int) (string, uint64) {
	t.Helper()
	trace := sha256.New()
	cfg.Workers, cfg.Trace = workers, trace
	c, err := NewCluster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if every > 0 {
		c.Sim.parFrom = every
	}
	res := c.Run()
	if res.Err != nil {
		t.Fatalf("workers=%d: %s\n%v", workers, res.Summary(), res.Err)
	}
	sum := fmt.Sprintf("%s steps=%d messages=%d %+v trace=%x", wallRE.ReplaceAllString(res.Summary(), ""), res.Steps, res.Messages, res.Counts, trace.Sum(nil))
	return sum, c.Sim.shared
}

func TestWindowedRunIsTheSameForAnyWorkers(t *testing.T) {
	faults, err := ParseFaults("drop,dup,reorder,delay,partition,crash,agent-restart,master-restart")
	if err != nil {
		t.Fatal(err)
	}
	seeds := []uint64{1, 2, 3, 4}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		cfg := Config{Seed: seed, Agents: 20, Frameworks: 4, Tasks: 200, Faults: faults, TaskTime: 5 * time.Second}
		one, _ := windowed(t, cfg, 1, 1)
		for _, w := range []int{2, 3} {
			got, shared := windowed(t, cfg, w, 1)
			if got != one {
				t.Errorf("seed %d: workers=1 and %d ran differently:\n%s\n%s", seed, w, one, got)
			}
			if shared == 0 {
				t.Errorf("seed %d, workers=%d: no window was shared out", seed, w)
			}
		}
	}
}

// TestWindowedMediumRunIsTheSameForAnyWorkers runs a cluster busy enough
// that windows are shared out among goroutines.
func TestWindowedMediumRunIsTheSameForAnyWorkers(t *testing.T) {
	cfg := Config{Seed: 7, Agents: 300, Frameworks: 10, Tasks: 3000, TaskTime: 5 * time.Second, SweepEvery: 1000,
		AgentResources: "cpus:16;mem:65536", NoClone: true}
	one, _ := windowed(t, cfg, 1, 0)
	two, shared := windowed(t, cfg, 2, 0)
	if two != one {
		t.Fatalf("workers=1 and 2 ran differently:\n%s\n%s", one, two)
	}
	if shared == 0 {
		t.Fatal("no window was shared out: the run does not exercise the workers")
	}
	if !strings.Contains(one, "finished=3000 ") {
		t.Fatalf("not every task finished: %s", one)
	}
}

func TestWindowedEngineRefusesWhatItCannotOrder(t *testing.T) {
	for _, f := range []string{"disk-loss", "leader-loss"} {
		faults, _ := ParseFaults(f)
		if _, err := NewCluster(Config{Seed: 1, Agents: 2, Frameworks: 1, Tasks: 2, Faults: faults, Workers: 2}); err == nil {
			t.Errorf("%s: the windowed engine took a fault it cannot order", f)
		}
	}
	c, err := NewCluster(Config{Seed: 1, Agents: 2, Frameworks: 1, Tasks: 2, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.Sim.Net.AddFilter(Filter{Type: "StatusUpdateMessage", Count: 1})
	if res := c.Run(); res.Err == nil || !strings.Contains(res.Err.Error(), "filters") {
		t.Fatalf("a run with a type filter on the windowed engine: %v", res.Err)
	}
	c, err = NewCluster(Config{Seed: 1, Agents: 2, Frameworks: 1, Tasks: 2, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.Sim.opts.Latency = 0 // messages could land inside their own window
	if res := c.Run(); res.Err == nil || !strings.Contains(res.Err.Error(), "latency") {
		t.Fatalf("a run without latency on the windowed engine: %v", res.Err)
	}
}
