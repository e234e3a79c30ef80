package containerizer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/isolators"
	"github.com/gomesos/gomesos/isolators/cgroups"
	"github.com/gomesos/gomesos/isolators/cgroups/cgroupstest"
	"github.com/gomesos/gomesos/launcher"
	"github.com/gomesos/gomesos/resources"
	"github.com/sirupsen/logrus"
)

// TestMain fails the run if a cgroups test left a cgroup behind.
func TestMain(m *testing.M) { os.Exit(cgroupstest.Main(m)) }

// newIsolated is a containerizer with the named launcher and isolators,
// rooted in the test's own cgroups root (the test skips without root and
// cgroup v1). Every container is destroyed when the test ends.
func newIsolated(t testing.TB, launcherName, isolation string) (*Mesos, *cgroups.Layout) {
	t.Helper()
	l := cgroupstest.Layout(t)
	isos, err := isolators.New(isolation, isolators.Options{CgroupsRoot: l.Root, CgroupsEnableCFS: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := launcher.NewWithOptions(launcherName, launcher.Options{CgroupsRoot: l.Root})
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	m := NewMesos(Options{Launcher: ln, Isolators: isos, Log: logrus.NewEntry(log)})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, id := range m.Containers() {
			if err := m.Destroy(ctx, id); err != nil {
				t.Errorf("cleanup destroy %s: %v", id, err)
			}
		}
	})
	return m, l
}

// Usage reports the cgroups' real limits: the hard memory limit only
// rises, so after a shrink it stays above what the resources say.
func TestCgroupsUsageReportsRealLimits(t *testing.T) {
	m, l := newIsolated(t, "posix", "cgroups/cpu,cgroups/mem,cgroups/pids")
	ctx := ctxT(t)
	if err := m.Launch(ctx, "c1", LaunchConfig{
		ExecutorInfo: shellExecutor("sleep 1000 & sleep 1001"), Directory: t.TempDir(),
		Resources: resources.MustParse("cpus:0.5;mem:64"),
	}); err != nil {
		t.Fatal(err)
	}
	// The gate held the executor until it was isolated, so its children
	// were born inside the cgroups.
	procs, err := cgroups.Procs(l.Dir("memory", "c1"))
	if err != nil || len(procs) < 1 {
		t.Fatalf("memory cgroup procs = %v, %v", procs, err)
	}
	if err := m.Update(ctx, "c1", resources.MustParse("cpus:0.25;mem:32")); err != nil {
		t.Fatal(err)
	}
	u, err := m.Usage(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if u.GetMemLimitBytes() != 64<<20 {
		t.Errorf("mem_limit_bytes = %d, want the hard limit %d", u.GetMemLimitBytes(), 64<<20)
	}
	if u.GetCpusLimit() != 0.25 {
		t.Errorf("cpus_limit = %v, want 0.25", u.GetCpusLimit())
	}
	if err := m.Destroy(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(l.Dir("memory", "c1")); !os.IsNotExist(err) {
		t.Errorf("the memory cgroup outlived the container: %v", err)
	}
}

// A container over its memory limit terminates TASK_FAILED with the
// memory limitation's reason and message.
func TestCgroupsMemoryLimitation(t *testing.T) {
	m, _ := newIsolated(t, "posix", "cgroups/mem")
	ctx := ctxT(t)
	if err := m.Launch(ctx, "hog", LaunchConfig{
		ExecutorInfo: shellExecutor("head -c 400000000 /dev/zero | tail"), Directory: t.TempDir(),
		Resources: resources.MustParse("cpus:0.1;mem:32"),
	}); err != nil {
		t.Fatal(err)
	}
	term, err := m.Wait(ctx, "hog")
	if err != nil {
		t.Fatal(err)
	}
	if term.State == nil || term.State.String() != "TASK_FAILED" || term.Reason == nil ||
		term.Reason.String() != "REASON_CONTAINER_LIMITATION_MEMORY" || term.Message == "" {
		t.Fatalf("termination = %+v", term)
	}
}

// Asked about its limitation, a container that ended on its memory limit
// names it; a running container that has not reached one names none.
func TestCgroupsLimitationWhenAsked(t *testing.T) {
	m, _ := newIsolated(t, "posix", "cgroups/mem")
	ctx := ctxT(t)
	for id, cmd := range map[string]string{"calm": "sleep 1000", "hog": "head -c 400000000 /dev/zero | tail"} {
		if err := m.Launch(ctx, id, LaunchConfig{
			ExecutorInfo: shellExecutor(cmd), Directory: t.TempDir(),
			Resources: resources.MustParse("cpus:0.1;mem:32"),
		}); err != nil {
			t.Fatal(err)
		}
	}
	defer m.Destroy(ctx, "calm")
	if _, err := m.Wait(ctx, "hog"); err != nil {
		t.Fatal(err)
	}
	if lim := m.Limitation(ctx, "hog"); lim == nil || lim.Reason.String() != "REASON_CONTAINER_LIMITATION_MEMORY" ||
		lim.State.String() != "TASK_FAILED" || lim.Message == "" {
		t.Fatalf("limitation of the hog = %+v", lim)
	}
	if lim := m.Limitation(ctx, "calm"); lim != nil {
		t.Fatalf("limitation of the calm container = %+v", lim)
	}
	if lim := m.Limitation(ctx, "nope"); lim != nil {
		t.Fatalf("limitation of an unknown container = %+v", lim)
	}
}

// BenchmarkLaunchDestroy measures one container's launch (Launch returns
// once the executor runs) and destroy (Destroy returns once its processes
// and cgroups are gone) for each launcher and isolator set, one container
// at a time: the median and 99th percentile of each, and the CPU this
// process spends on both per container.
func BenchmarkLaunchDestroy(b *testing.B) {
	for _, c := range []struct{ launcher, isolation string }{
		{"posix", "posix/cpu,posix/mem"},
		{"posix", "cgroups/cpu,cgroups/mem,cgroups/pids"},
		{"linux", "posix/cpu,posix/mem"},
		{"linux", "cgroups/cpu,cgroups/mem,cgroups/pids"},
		{"linux", "cgroups/cpu,cgroups/mem,cgroups/pids,namespaces/pid"},
	} {
		b.Run(c.launcher+"/"+c.isolation, func(b *testing.B) {
			m, _ := newIsolated(b, c.launcher, c.isolation)
			ctx := context.Background()
			dir := b.TempDir()
			res := resources.MustParse("cpus:0.1;mem:32")
			launch := make([]time.Duration, 0, b.N)
			destroy := make([]time.Duration, 0, b.N)
			cpu0 := selfCPU()
			for i := 0; i < b.N; i++ {
				id := fmt.Sprintf("b%d", i)
				t0 := time.Now()
				if err := m.Launch(ctx, id, LaunchConfig{ExecutorInfo: shellExecutor("sleep 1000"), Directory: dir, Resources: res}); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := m.Destroy(ctx, id); err != nil {
					b.Fatal(err)
				}
				launch = append(launch, t1.Sub(t0))
				destroy = append(destroy, time.Since(t1))
			}
			cpu := selfCPU() - cpu0
			b.ReportMetric(ms(percentile(launch, 50)), "launch-p50-ms")
			b.ReportMetric(ms(percentile(launch, 99)), "launch-p99-ms")
			b.ReportMetric(ms(percentile(destroy, 50)), "destroy-p50-ms")
			b.ReportMetric(ms(percentile(destroy, 99)), "destroy-p99-ms")
			b.ReportMetric(ms(cpu)/float64(b.N), "agent-cpu-ms/op")
			b.ReportMetric(loadAverage(), "load1")
		})
	}
}

// BenchmarkLaunch1000 launches 1,000 containers with cgroups isolation
// (posix launcher, cgroups/cpu with CFS, cgroups/mem, cgroups/pids; each
// `sh -c 'sleep 1000'`) on one containerizer, 32 at a time, and reports
// the wall time until all run, the median and 99th percentile launch,
// the CPU spent per launch by this process and by the containers; then
// destroys them all, 32 at a time, likewise.
//
// GOMESOS_BENCH_CONTAINERS sets another count, GOMESOS_BENCH_PARALLEL
// another number of launches in flight.
func BenchmarkLaunch1000(b *testing.B) {
	parallel := 32
	if v, err := strconv.Atoi(os.Getenv("GOMESOS_BENCH_PARALLEL")); err == nil && v > 0 {
		parallel = v
	}
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("GOMESOS_BENCH_CONTAINERS")); err == nil && v > 0 {
		n = v
	}
	for i := 0; i < b.N; i++ {
		m, l := newIsolated(b, "posix", "cgroups/cpu,cgroups/mem,cgroups/pids")
		ctx := context.Background()
		dir := b.TempDir()
		res := resources.MustParse("cpus:0.01;mem:4")
		ids := make([]string, n)
		for j := range ids {
			ids[j] = fmt.Sprintf("k%d-%d", i, j)
		}
		load := loadAverage()
		childrenCPU0 := childrenCPU()
		selfCPU0, contCPU0 := selfCPU(), cgroupCPU(l)
		t0 := time.Now()
		launches, err := runAll(ids, parallel, func(id string) error {
			return m.Launch(ctx, id, LaunchConfig{ExecutorInfo: shellExecutor("sleep 1000"), Directory: dir, Resources: res})
		})
		launched := time.Since(t0)
		self, cont := selfCPU()-selfCPU0, cgroupCPU(l)-contCPU0
		if err != nil {
			b.Fatal(err)
		}
		selfCPU1 := selfCPU()
		t1 := time.Now()
		destroys, err := runAll(m.Containers(), parallel, func(id string) error { return m.Destroy(ctx, id) })
		destroyed := time.Since(t1)
		destroyCPU := selfCPU() - selfCPU1
		if err != nil {
			b.Fatal(err)
		}
		// Every container's processes have been reaped by now.
		children := childrenCPU() - childrenCPU0
		b.ReportMetric(launched.Seconds(), "launch-all-s")
		b.ReportMetric(ms(percentile(launches, 50)), "launch-p50-ms")
		b.ReportMetric(ms(percentile(launches, 99)), "launch-p99-ms")
		// CPU per launch: this process (the containerizer) and the
		// containers' own processes once isolated (their cpuacct).
		b.ReportMetric(ms(self)/float64(n), "agent-cpu-ms/launch")
		b.ReportMetric(ms(cont)/float64(n), "container-cpu-ms/launch")
		// All the containers' processes used, from the fork (before
		// isolation too) to their death.
		b.ReportMetric(ms(children)/float64(n), "children-cpu-ms/container")
		b.ReportMetric(destroyed.Seconds(), "destroy-all-s")
		b.ReportMetric(ms(percentile(destroys, 50)), "destroy-p50-ms")
		b.ReportMetric(ms(percentile(destroys, 99)), "destroy-p99-ms")
		b.ReportMetric(ms(destroyCPU)/float64(n), "agent-cpu-ms/destroy")
		b.ReportMetric(load, "load1")
	}
}

// runAll calls f for every id, parallel at a time, and returns how long
// each call took (in no particular order) and the first error.
func runAll(ids []string, parallel int, f func(id string) error) ([]time.Duration, error) {
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	took := make([]time.Duration, 0, len(ids))
	for _, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			err := f(id)
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			took = append(took, d)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}()
	}
	wg.Wait()
	return took, firstErr
}

// percentile is the p-th percentile of ds (nearest rank).
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// loadAverage is the host's one-minute load average.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childrenCPU is the CPU time this process' reaped children have used.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cgroupCPU is the CPU time used in the test's cpuacct root (every
// container's processes once isolated).
func cgroupCPU(l *cgroups.Layout) time.Duration {
	b, err := os.ReadFile(filepath.Join(l.Dir("cpuacct", ""), "cpuacct.usage"))
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return time.Duration(n)
}

// A container left behind by an earlier agent run is an orphan to the next
// one: its processes are killed and its cgroups removed, while a container
// the agent still knows keeps its cgroups.
func TestCgroupsRecoveryDestroysOrphans(t *testing.T) {
	before, l := newIsolated(t, "posix", "cgroups/cpu,cgroups/mem,cgroups/pids")
	ctx := ctxT(t)
	for _, id := range []string{"kept", "orphan"} {
		if err := before.Launch(ctx, id, LaunchConfig{
			ExecutorInfo: shellExecutor("sleep 1000"), Directory: t.TempDir(),
			Resources: resources.MustParse("cpus:0.1;mem:32"),
		}); err != nil {
			t.Fatal(err)
		}
	}
	isos, err := isolators.New("cgroups/cpu,cgroups/mem,cgroups/pids", isolators.Options{CgroupsRoot: l.Root})
	if err != nil {
		t.Fatal(err)
	}
	after := NewMesos(Options{Isolators: isos})
	orphans, err := after.recoverIsolation(ctx, []isolators.RecoverState{{ContainerID: "kept"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(orphans) != "[orphan]" {
		t.Fatalf("orphans = %v", orphans)
	}
	for _, ctl := range []string{"cpu", "memory", "pids"} {
		if _, err := os.Stat(l.Dir(ctl, "orphan")); !os.IsNotExist(err) {
			t.Errorf("the orphan's %s cgroup is still there: %v", ctl, err)
		}
		if _, err := os.Stat(l.Dir(ctl, "kept")); err != nil {
			t.Errorf("the known container lost its %s cgroup: %v", ctl, err)
		}
	}
	// The earlier run sees its orphan's executor killed.
	term, err := before.Wait(ctx, "orphan")
	if err != nil || term.Status == nil {
		t.Fatalf("orphan termination = %+v, %v", term, err)
	}
}
