// Command mesos-sim runs one seed of the deterministic cluster simulator:
// a master, agents with a simulated containerizer and frameworks, over a
// virtual network and clock, with the faults asked for, checking the
// cluster's invariants after every step. It prints one summary line and
// exits 0, or prints the violation (seed, invariant, last messages) and
// exits 1. Bad flags exit 2. With --measure=master-failover it times a
// master failover instead and prints one sim-failover line per seed.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/gomesos/gomesos/internal/hugepages"
	"github.com/gomesos/gomesos/sim"
)

// heapEstimate is the heap a run may grow to, for the huge-page reserve:
// about 128 KiB an agent and 8 KiB a task (--stats measures ~100 KB and
// ~5 KB live, and the collector lets the heap grow past what is live),
// no more than the memory limit in force (the runtime's: the flag's or
// GOMEMLIMIT).
func heapEstimate(agents, tasks int, limit int64) uint64 {
	return min(uint64(max(agents, 0))<<17+uint64(max(tasks, 0))<<13, uint64(max(limit, 0)))
}

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mesos-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "the seed every random choice of the run is drawn from")
	count := fs.Uint64("count", 1, "run this many seeds, from --seed on, one summary line each; stop at the first violation")
	agents := fs.Int("agents", 5, "number of agents")
	frameworks := fs.Int("frameworks", 2, "number of frameworks")
	tasks := fs.Int("tasks", 100, "tasks to run in all, shared out among the frameworks")
	faults := fs.String("faults", "none", "faults to inject: drop,dup,reorder,delay,partition,crash,agent-restart,master-restart,disk-loss,leader-loss, all or none")
	agentRes := fs.String("agent-resources", "cpus:4;mem:8192", "resources of each agent")
	taskRes := fs.String("task-resources", "cpus:1;mem:128", "resources of each task")
	taskTime := fs.Duration("task-time", 10*time.Second, "mean virtual run time of a task")
	progress := fs.Int("progress", 0, "print a progress line to stderr each time this many more tasks have ended (0: none)")
	maxCompleted := fs.Int("max-completed-tasks-per-framework", 0, "the master's --max_completed_tasks_per_framework (0: its default)")
	maxVirtual := fs.Duration("max-virtual", 6*time.Hour, "virtual time after which an unfinished run is a violation")
	sweep := fs.Uint64("sweep-every", 0, "check every agent's resource books every N steps (0: every step up to 1000 agents x frameworks, else every agents*frameworks/1000 steps)")
	trace := fs.String("trace", "", "write every message, one line each, to this file ('-' for stderr)")
	stats := fs.Bool("stats", false, "print the restarts a run injected after each summary, and steps, messages and memory per agent and per task after the last")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	cpuprofileUntil := fs.Int("cpuprofile-until", 0, "with --cpuprofile: stop the CPU profile once this many tasks have ended instead of at the end")
	memprofile := fs.String("memprofile", "", "write a heap profile at the end to this file")
	memprofileAt := fs.Int("memprofile-at", 0, "with --memprofile: write the heap profile once this many tasks have ended instead of at the end, and print the live heap then")
	measure := fs.String("measure", "", "instead of a run to the end, measure: master-failover (crash the master at --crash-at, a new one starts --election later; time until every agent is back)")
	crashAt := fs.Duration("crash-at", time.Minute, "with --measure=master-failover: virtual time of the master's crash")
	election := fs.Duration("election", 10*time.Second, "with --measure=master-failover: crash to the new master's start (the leader-election delay: the ZooKeeper session timeout)")
	workers := fs.Int("workers", 0, "0: the serial engine; N >= 1: the windowed engine on N goroutines (the same run for every N; not with disk-loss or leader-loss)")
	gcPercent := fs.Int("gc-percent", 400, "garbage collector target (GOGC) for the run; the environment's GOGC wins when set")
	keepDisk := fs.Bool("keep-disk", false, "keep every checkpoint write on the simulated agent disks; without it a run with no agent-restart, crash or disk-loss fault (none reads a disk back) only counts them")
	hugePages := fs.Bool("huge-pages", true, "on Linux with transparent huge pages left to programs (mode madvise), reserve heap on huge pages, sized from --agents and --tasks: far fewer page faults and TLB misses in a big run, a few percent more resident memory")
	memLimit := fs.Int64("memory-limit-mib", 12<<10, "soft memory limit (GOMEMLIMIT) in MiB, at which the collector runs whatever --gc-percent says; the environment's GOMEMLIMIT wins when set; 0: none")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// A simulation is one batch job that allocates much and keeps much:
	// collecting less often, within a memory limit, trades memory the
	// machine has for CPU time.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(*gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" && *memLimit > 0 {
		debug.SetMemoryLimit(*memLimit << 20)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "mesos-sim: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *memprofileAt < 0 || *memprofileAt > 0 && *memprofile == "" {
		fmt.Fprintf(stderr, "mesos-sim: --memprofile-at=%d needs a count above 0 and --memprofile\n", *memprofileAt)
		return 2
	}
	if *cpuprofileUntil < 0 || *cpuprofileUntil > 0 && *cpuprofile == "" {
		fmt.Fprintf(stderr, "mesos-sim: --cpuprofile-until=%d needs a count above 0 and --cpuprofile\n", *cpuprofileUntil)
		return 2
	}
	f, err := sim.ParseFaults(*faults)
	if err != nil {
		fmt.Fprintf(stderr, "mesos-sim: --faults: %v\n", err)
		return 2
	}
	thp := "off"
	if *hugePages {
		mode, n, err := hugepages.Reserve(heapEstimate(*agents, *tasks, debug.SetMemoryLimit(-1)))
		switch {
		case err != nil:
			// The run goes on with small pages: only slower.
			fmt.Fprintf(stderr, "mesos-sim: huge pages: %v\n", err)
			thp = "failed"
		case n > 0:
			thp = fmt.Sprintf("advised:%dMiB", n>>20)
		default:
			thp = string(mode)
		}
	}
	cfg := sim.Config{
		Seed: *seed, Agents: *agents, Frameworks: *frameworks, Tasks: *tasks, Faults: f,
		AgentResources: *agentRes, TaskResources: *taskRes, TaskTime: *taskTime,
		MaxVirtual: *maxVirtual, SweepEvery: *sweep, NoClone: true, MaxCompletedTasks: *maxCompleted,
		Workers:         *workers,
		CountDiskWrites: !*keepDisk && !f.AgentRestart && !f.Crash && !f.DiskLoss,
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = 1
		if n := uint64(max(*agents, 0)) * uint64(max(*frameworks, 0)); n > 1000 {
			cfg.SweepEvery = n / 1000
		}
	}
	switch *measure {
	case "":
	case "master-failover":
		code := 0
		for i := uint64(0); i < max(*count, 1); i++ {
			res, err := sim.MeasureFailover(cfg, sim.FailoverPlan{CrashAt: *crashAt, Election: *election})
			if err != nil {
				fmt.Fprintf(stderr, "mesos-sim: %v\n", err)
				return 2
			}
			fmt.Fprintln(stdout, res.Summary())
			if res.Err != nil {
				code = 1
			}
			cfg.Seed++
		}
		return code
	default:
		fmt.Fprintf(stderr, "mesos-sim: --measure: want master-failover, not %q\n", *measure)
		return 2
	}
	if *trace != "" {
		w := stderr
		if *trace != "-" {
			tf, err := os.Create(*trace)
			if err != nil {
				fmt.Fprintf(stderr, "mesos-sim: %v\n", err)
				return 2
			}
			defer tf.Close()
			w = tf
		}
		cfg.Trace = w
	}
	for i := uint64(1); i < *count; i++ {
		c, err := sim.NewCluster(cfg)
		if err != nil {
			fmt.Fprintf(stderr, "mesos-sim: %v\n", err)
			return 2
		}
		res := c.Run()
		fmt.Fprintln(stdout, res.Summary())
		if *stats {
			printCounts(stdout, res)
		}
		if res.Err != nil {
			fmt.Fprintln(stderr, res.Err)
			return 1
		}
		cfg.Seed++
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var line func(finished int, virtual time.Duration)
	if *progress > 0 {
		start, use0 := time.Now(), usage()
		line = func(finished int, virtual time.Duration) {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			use := usage()
			wall, cpu := time.Since(start).Seconds(), use.cpu()-use0.cpu()
			fmt.Fprintf(stderr, "sim: progress finished=%d virtual=%.3fs wall=%.1fs cpu=%.1fs tasks/s=%.0f tasks/cpu-s=%.0f heap=%.0fMiB gc-runs=%d sys=%.1fs minflt=%d\n",
				finished, virtual.Seconds(), wall, cpu, float64(finished)/wall, float64(finished)/cpu, float64(ms.HeapAlloc)/(1<<20), ms.NumGC,
				use.sys-use0.sys, use.minflt-use0.minflt)
		}
	}
	var once []countHook
	if *memprofile != "" && *memprofileAt > 0 {
		once = append(once, countHook{*memprofileAt, func(finished int, virtual time.Duration) {
			heap, err := writeHeapProfile(*memprofile)
			if err != nil {
				fmt.Fprintf(stderr, "mesos-sim: %v\n", err)
				return
			}
			fmt.Fprintf(stderr, "sim: heap profile at finished=%d virtual=%.3fs heap=%.1fMiB\n", finished, virtual.Seconds(), float64(heap)/(1<<20))
		}})
	}
	if *cpuprofile != "" && *cpuprofileUntil > 0 {
		once = append(once, countHook{*cpuprofileUntil, func(finished int, virtual time.Duration) {
			pprof.StopCPUProfile()
			fmt.Fprintf(stderr, "sim: cpu profile stopped at finished=%d virtual=%.3fs\n", finished, virtual.Seconds())
		}})
	}
	cfg.ProgressEvery, cfg.Progress = hooks(*progress, line, once)
	c, err := sim.NewCluster(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mesos-sim: %v\n", err)
		return 2
	}
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintf(stderr, "mesos-sim: %v\n", err)
			return 2
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintf(stderr, "mesos-sim: %v\n", err)
			return 2
		}
	}
	res := c.Run()
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	fmt.Fprintln(stdout, res.Summary())
	if *stats {
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		fmt.Fprintf(stdout, "sim: steps=%d messages=%d heap=%.1fMiB heap/agent=%.0fB heap/task=%.0fB total-alloc=%.1fGiB gc-runs=%d master-completed-tasks=%d disk-writes=%d disk=%s huge-pages=%s\n",
			res.Steps, res.Messages, heap/(1<<20), heap/float64(cfg.Agents), heap/float64(max(res.Finished, 1)),
			float64(after.TotalAlloc-before.TotalAlloc)/(1<<30), after.NumGC-before.NumGC, c.MasterCompletedTasks(),
			res.DiskWrites, diskMode(cfg), thp)
		printCounts(stdout, res)
		runtime.KeepAlive(c)
	}
	if *memprofile != "" && *memprofileAt <= 0 {
		_, _ = writeHeapProfile(*memprofile)
		runtime.KeepAlive(c)
	}
	if res.Err != nil {
		fmt.Fprintln(stderr, res.Err)
		return 1
	}
	return 0
}

// writeHeapProfile collects the garbage and writes a heap profile to
// file; it returns the live heap.
func writeHeapProfile(file string) (uint64, error) {
	mf, err := os.Create(file)
	if err != nil {
		return 0, err
	}
	defer mf.Close()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, pprof.WriteHeapProfile(mf)
}

// printCounts prints the faults of a run that change a node's state.
func printCounts(w io.Writer, res sim.Result) {
	fmt.Fprintf(w, "sim: agent-restarts=%d torn-writes=%d master-restarts=%d leader-changes=%d\n",
		res.Counts.AgentRestarts, res.Counts.TornWrites, res.Counts.MasterRestarts, res.Counts.LeaderChanges)
}

// diskMode says whether the run's agent disks kept their writes.
func diskMode(cfg sim.Config) string {
	if cfg.CountDiskWrites {
		return "counted"
	}
	return "kept"
}

// rusage is the process's CPU time so far, in seconds, and its minor
// page faults (first touches of fresh memory, mostly the heap's).
type rusage struct {
	user, sys float64
	minflt    int64
}

func (u rusage) cpu() float64 { return u.user + u.sys }

func usage() rusage {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return rusage{}
	}
	return rusage{time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds(), ru.Minflt}
}

// countHook is called once, when the run has ended at tasks.
type countHook struct {
	at int
	fn func(finished int, virtual time.Duration)
}

// hooks makes the run's progress callback and its period: line each time
// another every tasks have ended (every 0 or line nil: never), and each
// of once when its count is reached.
func hooks(every int, line func(int, time.Duration), once []countHook) (int, func(int, time.Duration)) {
	if line == nil {
		every = 0
	}
	// The callback fires at every multiple of the counts' greatest
	// common divisor: at each line's count and at each hook's.
	period := every
	for _, h := range once {
		period = gcd(period, h.at)
	}
	if period == 0 {
		return 0, nil
	}
	next := every
	done := make([]bool, len(once))
	return period, func(finished int, virtual time.Duration) {
		if every > 0 && finished >= next {
			line(finished, virtual)
			next += every
		}
		for i, h := range once {
			if !done[i] && finished >= h.at {
				done[i] = true
				h.fn(finished, virtual)
			}
		}
	}
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
