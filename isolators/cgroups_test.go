package isolators

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/isolators/cgroups"
	"github.com/gomesos/gomesos/isolators/cgroups/cgroupstest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// TestMain doubles as the workload of the cgroup tests: with
// GOMESOS_TEST_HOG set, the test binary waits for its stdin to close (the
// gate the test opens once the process is isolated) and then burns CPU or
// allocates memory until it is killed.
func TestMain(m *testing.M) {
	if mode := os.Getenv("GOMESOS_TEST_HOG"); mode != "" {
		hog(mode)
		return
	}
	os.Exit(cgroupstest.Main(m))
}

func hog(mode string) {
	_, _ = io.Copy(io.Discard, os.Stdin)
	switch mode {
	case "cpu":
		x := 0
		for {
			x++
		}
	case "mem":
		var keep [][]byte
		for {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
	}
	os.Exit(2)
}

// proc is a test workload held at a gate until the test releases it.
type proc struct {
	cmd  *exec.Cmd
	gate io.WriteCloser
	done chan struct{}
}

func startGated(t *testing.T, cmd *exec.Cmd) *proc {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	gate, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, gate: gate, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	})
	return p
}

func startHog(t *testing.T, mode string) *proc {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "GOMESOS_TEST_HOG="+mode, "GOMAXPROCS=1")
	return startGated(t, cmd)
}

func startShell(t *testing.T, script string) *proc {
	return startGated(t, exec.Command("/bin/sh", "-c", "read x; "+script))
}

func (p *proc) release() { _ = p.gate.Close() }
func (p *proc) pid() int { return p.cmd.Process.Pid }

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func res(t *testing.T, text string) []*mesos.Resource {
	t.Helper()
	r, err := resources.Parse(text, "*")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// isolate prepares id in every isolator and moves pid into it; Cleanup
// runs at the end of the test, even on failure.
func isolate(t *testing.T, isos []Isolator, id string, r []*mesos.Resource, pid int) {
	t.Helper()
	ctx := context.Background()
	for _, iso := range isos {
		if _, err := iso.Prepare(ctx, id, ContainerConfig{Resources: r}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := iso.Cleanup(ctx, id); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
		if err := iso.Isolate(ctx, id, pid); err != nil {
			t.Fatal(err)
		}
	}
}

func build(t *testing.T, l *cgroups.Layout, isolation string, opts Options) []Isolator {
	t.Helper()
	opts.CgroupsHierarchy, opts.CgroupsRoot = l.Hierarchy, l.Root
	isos, err := New(isolation, opts)
	if err != nil {
		t.Fatal(err)
	}
	return isos
}

func readFile(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func procsIn(t *testing.T, dir string) []int {
	t.Helper()
	pids, err := cgroups.Procs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return pids
}

func TestCgroupsLimitsFollowResources(t *testing.T) {
	l := cgroupstest.Layout(t)
	isos := build(t, l, "cgroups/cpu,cgroups/mem,cgroups/pids", Options{CgroupsEnableCFS: true, PidsMax: 50})
	p := startShell(t, "exit 0")
	isolate(t, isos, "c1", res(t, "cpus:0.25;mem:64"), p.pid())

	check := func(want map[string]string) {
		t.Helper()
		for file, v := range want {
			if got := readFile(t, file); got != v {
				t.Errorf("%s = %s, want %s", file, got, v)
			}
		}
	}
	cpu, mem := l.Dir("cpu", "c1"), l.Dir("memory", "c1")
	check(map[string]string{
		cpu + "/cpu.shares":                 "256",
		cpu + "/cpu.cfs_period_us":          "100000",
		cpu + "/cpu.cfs_quota_us":           "25000",
		mem + "/memory.limit_in_bytes":      fmt.Sprint(64 << 20),
		mem + "/memory.soft_limit_in_bytes": fmt.Sprint(64 << 20),
		l.Dir("pids", "c1") + "/pids.max":   "50",
	})
	for _, dir := range []string{cpu, l.Dir("cpuacct", "c1"), mem, l.Dir("pids", "c1")} {
		if pids := procsIn(t, dir); len(pids) != 1 || pids[0] != p.pid() {
			t.Errorf("%s holds %v, want [%d]", dir, pids, p.pid())
		}
	}

	// More resources raise every limit; fewer lower the CPU but never the
	// hard memory limit.
	ctx := context.Background()
	for _, r := range []string{"cpus:2;mem:128", "cpus:0.001;mem:16"} {
		for _, iso := range isos {
			if err := iso.Update(ctx, "c1", res(t, r)); err != nil {
				t.Fatal(err)
			}
		}
	}
	check(map[string]string{
		cpu + "/cpu.shares":                 "2",
		cpu + "/cpu.cfs_quota_us":           "1000",
		mem + "/memory.limit_in_bytes":      fmt.Sprint(128 << 20),
		mem + "/memory.soft_limit_in_bytes": fmt.Sprint(32 << 20),
	})
	st, err := isos[1].Usage(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if st.GetMemLimitBytes() != 128<<20 {
		t.Errorf("mem_limit_bytes = %d", st.GetMemLimitBytes())
	}
	if _, err := isos[0].Prepare(ctx, "c1", ContainerConfig{}); err == nil {
		t.Error("a second Prepare of c1 succeeded")
	}
	if _, err := isos[0].Prepare(ctx, "../escape", ContainerConfig{}); err == nil {
		t.Error("Prepare accepted a container id with a path in it")
	}
}

func TestCgroupsCPUQuotaHalvesABusyLoop(t *testing.T) {
	l := cgroupstest.Layout(t)
	isos := build(t, l, "cgroups/cpu,cgroups/mem", Options{CgroupsEnableCFS: true})
	p := startHog(t, "cpu")
	isolate(t, isos, "busy", res(t, "cpus:0.5;mem:128"), p.pid())
	p.release()

	ctx := context.Background()
	usage := func() *mesos.ResourceStatistics {
		st, err := isos[0].Usage(ctx, "busy")
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// Measure over 20 CFS periods (2 s of the kernel's clock) once the loop
	// runs.
	var first *mesos.ResourceStatistics
	eventually(t, "the busy loop has run a period", func() bool {
		first = usage()
		return first.GetCpusNrPeriods() > 0
	})
	var last *mesos.ResourceStatistics
	eventually(t, "20 CFS periods have passed", func() bool {
		last = usage()
		return last.GetCpusNrPeriods() >= first.GetCpusNrPeriods()+20
	})
	cpu := func(s *mesos.ResourceStatistics) float64 {
		return s.GetCpusUserTimeSecs() + s.GetCpusSystemTimeSecs()
	}
	periods := float64(last.GetCpusNrPeriods() - first.GetCpusNrPeriods())
	share := (cpu(last) - cpu(first)) / (periods * CFSPeriod.Seconds())
	t.Logf("busy loop got %.2f CPUs over %.0f periods, throttled %d times", share, periods, last.GetCpusNrThrottled())
	if share < 0.15 || share > 0.65 {
		t.Errorf("a busy loop capped at 0.5 CPUs got %.2f CPUs", share)
	}
	if last.GetCpusLimit() != 0.5 {
		t.Errorf("cpus_limit = %v", last.GetCpusLimit())
	}
}

func TestCgroupsMemOOMIsALimitation(t *testing.T) {
	l := cgroupstest.Layout(t)
	isos := build(t, l, "cgroups/mem", Options{})
	p := startHog(t, "mem")
	isolate(t, isos, "hungry", res(t, "cpus:0.1;mem:32"), p.pid())
	p.release()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	lim, err := isos[0].Watch(ctx, "hungry")
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if lim.Reason != mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY {
		t.Errorf("reason = %v", lim.Reason)
	}
	if !strings.HasPrefix(lim.Message, "Memory limit exceeded: Requested: 32MB Maximum Used: 32MB") {
		t.Errorf("message = %q", lim.Message)
	}
	if used := resources.Resources(lim.Resources).Scalar("mem"); used < 32 {
		t.Errorf("limited resources = %v", lim.Resources)
	}
	<-p.done
	if ws := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("the hog ended with %v, want SIGKILL", p.cmd.ProcessState)
	}
}

func TestCgroupsPidsStopsAForkBomb(t *testing.T) {
	l := cgroupstest.Layout(t)
	isos := build(t, l, "cgroups/mem,cgroups/pids", Options{PidsMax: 16})
	p := startShell(t, "while :; do sleep 1000 & done")
	isolate(t, isos, "bomb", res(t, "mem:64"), p.pid())
	p.release()

	events := filepath.Join(l.Dir("pids", "bomb"), "pids.events")
	eventually(t, "a fork is refused at the limit", func() bool {
		kv, err := cgroups.ReadKV(events)
		return err == nil && kv["max"] > 0
	})
	if n := len(procsIn(t, l.Dir("pids", "bomb"))); n > 16 {
		t.Errorf("%d processes in a container capped at 16", n)
	}
	st, err := isos[1].Usage(context.Background(), "bomb")
	if err != nil {
		t.Fatal(err)
	}
	if st.GetProcesses() == 0 || st.GetProcesses() > 16 {
		t.Errorf("processes = %d", st.GetProcesses())
	}
}

func TestCgroupsCleanupLeavesNothingBehind(t *testing.T) {
	l := cgroupstest.Layout(t)
	isos := build(t, l, "cgroups/cpu,cgroups/mem,cgroups/pids", Options{PidsMax: 100})
	// Children, a grandchild in a session of its own, and the shell.
	p := startShell(t, "sleep 1000 & sleep 1000 & setsid sleep 1000 & wait")
	ctx := context.Background()
	for _, iso := range isos {
		if _, err := iso.Prepare(ctx, "doomed", ContainerConfig{Resources: res(t, "cpus:1;mem:64")}); err != nil {
			t.Fatal(err)
		}
		if err := iso.Isolate(ctx, "doomed", p.pid()); err != nil {
			t.Fatal(err)
		}
	}
	p.release()
	var pids []int
	eventually(t, "four processes run", func() bool {
		pids = procsIn(t, l.Dir("memory", "doomed"))
		return len(pids) == 4
	})
	for _, iso := range isos {
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := iso.Cleanup(cctx, "doomed")
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	<-p.done // the shell, our child, is reaped
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); err == nil && pid != p.pid() {
			if b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !strings.Contains(string(b), ") Z ") {
				t.Errorf("process %d survived cleanup", pid)
			}
		}
	}
	for _, c := range []string{"cpu", "cpuacct", "memory", "pids"} {
		if l.Exists(c, "doomed") {
			t.Errorf("%s cgroup of the container is still there", c)
		}
	}
	if _, err := isos[0].Usage(ctx, "doomed"); err == nil {
		t.Error("usage of a cleaned-up container succeeded")
	}
}

func TestCgroupsRecoverAfterRestart(t *testing.T) {
	l := cgroupstest.Layout(t)
	opts := Options{CgroupsEnableCFS: true}
	before := build(t, l, "cgroups/cpu,cgroups/mem", opts)
	p := startHog(t, "mem")
	ctx := context.Background()
	for _, id := range []string{"known", "orphan"} {
		for _, iso := range before {
			if _, err := iso.Prepare(ctx, id, ContainerConfig{Resources: res(t, "cpus:0.5;mem:32")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, iso := range before {
		if err := iso.Isolate(ctx, "known", p.pid()); err != nil {
			t.Fatal(err)
		}
	}

	// The agent restarts: new isolator objects over the same cgroups.
	after := build(t, l, "cgroups/cpu,cgroups/mem", opts)
	found, err := after[0].(OrphanFinder).Containers()
	if err != nil || strings.Join(found, ",") != "known,orphan" {
		t.Fatalf("Containers = %v, %v", found, err)
	}
	orphans, err := Unclaimed(append(after, NewPosixCPU()), []string{"known"})
	if err != nil || strings.Join(orphans, ",") != "orphan" {
		t.Fatalf("Unclaimed = %v, %v", orphans, err)
	}
	for _, iso := range after {
		if err := iso.Recover(ctx, []RecoverState{{ContainerID: "known", Pid: p.pid()}}, []string{"orphan"}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			for _, id := range []string{"known", "orphan"} {
				if err := iso.Cleanup(context.Background(), id); err != nil {
					t.Error(err)
				}
			}
		})
	}
	st, err := after[1].Usage(ctx, "known")
	if err != nil || st.GetMemLimitBytes() != 32<<20 {
		t.Fatalf("usage after recovery = %v, %v", st, err)
	}
	if _, err := after[0].Usage(ctx, "orphan"); err != nil {
		t.Fatalf("the orphan was not recovered: %v", err)
	}

	// The limits still apply, and the new isolator notices the OOM.
	p.release()
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	lim, err := after[1].Watch(wctx, "known")
	if err != nil || lim.Reason != mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY {
		t.Fatalf("Watch after recovery = %v, %v", lim, err)
	}
	for _, id := range []string{"known", "orphan"} {
		for _, iso := range after {
			if err := iso.Cleanup(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if l.Exists("memory", id) || l.Exists("cpu", id) {
			t.Errorf("the cgroups of %s survived cleanup", id)
		}
	}
}

func TestCgroupsUnavailable(t *testing.T) {
	dir := t.TempDir()
	_, err := New("cgroups/cpu", Options{CgroupsHierarchy: dir})
	if err == nil || !strings.Contains(err.Error(), "needs cgroups") {
		t.Fatalf("New on a host without cgroups = %v", err)
	}
	if _, err := New("posix/cpu", Options{CgroupsHierarchy: dir}); err != nil {
		t.Fatalf("posix isolators need no cgroups: %v", err)
	}
	for _, root := range []string{"/", "../x", "a/../../b"} {
		if _, err := New("cgroups/mem", Options{CgroupsRoot: root}); err == nil {
			t.Errorf("root %q accepted", root)
		}
	}
	if _, err := New("cgroups/pids", Options{PidsMax: -1}); err == nil {
		t.Error("a negative pids limit was accepted")
	}
	// A hybrid host's unified hierarchy whose controllers are all bound to
	// v1.
	if b, err := os.ReadFile(cgroupstest.Unified + "/cgroup.controllers"); err == nil && !strings.Contains(string(b), "memory") {
		_, err := New("cgroups/mem", Options{CgroupsHierarchy: cgroupstest.Unified})
		if err == nil || !strings.Contains(err.Error(), "needs the memory cgroup controller, which cgroup v2 does not offer") {
			t.Errorf("cgroups/mem on a v2 hierarchy without memory = %v", err)
		}
	}
}
