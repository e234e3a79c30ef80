package resources

import "testing"

// The common path: a task of cpus+mem against an agent's cpus, mem, disk
// and ports, as the master, allocator, agent and driver handle it.
var (
	benchAgent = MustParse("cpus:16;mem:65536;disk:1048576;ports:[31000-32000]")
	benchTask  = MustParse("cpus:1;mem:128")
)

func BenchmarkTaskAdd(b *testing.B) {
	free := benchAgent.Subtract(benchTask)
	for b.Loop() {
		if len(free.Add(benchTask)) != 4 {
			b.Fatal("lost an entry")
		}
	}
}

func BenchmarkTaskAddAllocated(b *testing.B) {
	free := benchAgent.Subtract(benchTask).Allocate("r")
	task := benchTask.Allocate("r")
	for b.Loop() {
		if len(free.Add(task)) != 4 {
			b.Fatal("lost an entry")
		}
	}
}

func BenchmarkTaskSubtract(b *testing.B) {
	for b.Loop() {
		if len(benchAgent.Subtract(benchTask)) != 4 {
			b.Fatal("lost an entry")
		}
	}
}

func BenchmarkTaskContains(b *testing.B) {
	for b.Loop() {
		if !benchAgent.Contains(benchTask) {
			b.Fatal("agent must contain task")
		}
	}
}

func BenchmarkTaskIsEmpty(b *testing.B) {
	for b.Loop() {
		if benchTask.IsEmpty() {
			b.Fatal("task is not empty")
		}
	}
}

func BenchmarkAgentDowngrade(b *testing.B) {
	offer := benchAgent.Allocate("r")
	for b.Loop() {
		if _, err := offer.Downgrade(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTaskClone(b *testing.B) {
	for b.Loop() {
		_ = benchTask.Clone()
	}
}

// BenchmarkTaskSum adds up the tasks of an executor, as the agent does.
func BenchmarkTaskSum(b *testing.B) {
	tasks := make([]Resources, 8)
	for i := range tasks {
		tasks[i] = benchTask.Allocate("r")
	}
	for b.Loop() {
		var sum Resources
		for _, t := range tasks {
			sum = sum.Add(t)
		}
		if len(sum) != 2 {
			b.Fatal(sum)
		}
	}
}
