package sim

import (
	"testing"
	"time"
)

// BenchmarkAgentSide runs 20,000 short tasks on 1,000 agents (slave.Core
// with simulated executors and disks) under the simulator's stand-in
// master and frameworks, so that most of its CPU is the agent side:
//
//	go test ./sim -run '^$' -bench AgentSide -benchtime 1x -count 5
//
// One op is the whole run; tasks/s is of the CPU the run got.
func BenchmarkAgentSide(b *testing.B) {
	b.ReportAllocs()
	const tasks = 20000
	for i := 0; i < b.N; i++ {
		c, err := NewCluster(Config{
			Seed: 1, Agents: 1000, Frameworks: 20, Tasks: tasks,
			AgentResources: "cpus:16;mem:65536;disk:1048576;ports:[31000-32000]",
			TaskResources:  "cpus:1;mem:128", TaskTime: 5 * time.Second,
			SweepEvery: 1_000_000_000, NoClone: true,
			StandInMaster: true, StandInFrameworks: true,
		})
		if err != nil {
			b.Fatal(err)
		}
		res := c.Run()
		if res.Err != nil || res.Finished != tasks {
			b.Fatalf("finished %d of %d: %v", res.Finished, tasks, res.Err)
		}
	}
	b.ReportMetric(float64(tasks*b.N)/b.Elapsed().Seconds(), "tasks/s")
}
