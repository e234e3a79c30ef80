package sim

import (
	"testing"
	"time"
)

// After a master failover every agent the registry admitted reregisters
// with the new master within its registration backoff (1s) of the new
// master acting, and the measurement says so the same way twice.
func TestMeasureFailover(t *testing.T) {
	cfg := Config{Seed: 3, Agents: 20, Frameworks: 2, Tasks: 40, TaskTime: time.Hour}
	plan := FailoverPlan{CrashAt: 30 * time.Second, Election: 2 * time.Second}
	res, err := MeasureFailover(cfg, plan)
	if err != nil || res.Err != nil {
		t.Fatal(err, res.Summary())
	}
	if res.Admitted != 20 || res.Back != 20 || res.Running != 40 {
		t.Fatalf("want 20 agents back and 40 tasks running: %s", res.Summary())
	}
	if res.Acting < plan.Election || res.AllBack < res.Acting || res.AllBack > res.Acting+time.Second+10*time.Millisecond {
		t.Fatalf("agents not back within the backoff of the new master acting: %s", res.Summary())
	}
	again, _ := MeasureFailover(cfg, plan)
	if again.Acting != res.Acting || again.AllBack != res.AllBack || again.Steps != res.Steps {
		t.Fatalf("same seed, different measurement:\n%s\n%s", res.Summary(), again.Summary())
	}
}
