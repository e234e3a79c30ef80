//go:build linux && cgo

package launcher

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/isolators/cgroups"
	"github.com/gomesos/gomesos/isolators/cgroups/cgroupstest"
)

// TestMain checks that no test leaves a cgroup behind. (A container's
// init is this test binary re-executed: the launcher package's init hook
// takes it over before TestMain runs.)
func TestMain(m *testing.M) {
	if os.Getenv("GOMESOS_TEST_AGENT") != "" {
		agent()
		return
	}
	os.Exit(serveMainThread(func() int { return cgroupstest.Main(m) }))
}

// agent plays an agent that forks a container with the linux launcher,
// prints its pid and waits to be killed (with -9, by the test).
func agent() {
	ln, err := NewWithOptions("linux", Options{CgroupsHierarchy: os.Getenv("GOMESOS_TEST_HIERARCHY"), CgroupsRoot: os.Getenv("GOMESOS_TEST_ROOT")})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	memory := os.Getenv("GOMESOS_TEST_MEMORY_CGROUP")
	pid, err := ln.Fork(context.Background(), "survivor", Spec{
		Path: "/bin/sleep", Args: []string{"sleep", "1000"}, Env: []string{}, Dir: os.Getenv("GOMESOS_TEST_SANDBOX"), Namespaces: true,
		Isolate: func(pid int) error {
			return os.WriteFile(filepath.Join(memory, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
		},
	})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Printf("pid=%d\n", pid)
	select {}
}

// cleanupWithin bounds every clean-up: one that cannot finish fails the
// test instead of hanging the suite.
const cleanupWithin = 60 * time.Second

// memoryCgroup gives every process a test starts a memory limit: Isolate
// moves the pid into a limited memory cgroup under the test's root.
func memoryCgroup(t *testing.T, l *cgroups.Layout, id string) func(int) error {
	t.Helper()
	dir := l.Dir("memory", id)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte(strconv.Itoa(128<<20)), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupWithin)
		defer cancel()
		if err := l.Destroy(ctx, id, "memory"); err != nil {
			t.Errorf("clean up the memory cgroup of %s: %v", id, err)
		}
	})
	return func(pid int) error {
		return os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
	}
}

func newLinux(t *testing.T) (*Linux, *cgroups.Layout) {
	t.Helper()
	l := cgroupstest.Layout(t)
	ln, err := NewLinux(l)
	if err != nil {
		t.Fatal(err)
	}
	return ln, l
}

func forkLinux(t *testing.T, ln Launcher, l *cgroups.Layout, id string, spec Spec) int {
	t.Helper()
	spec.Isolate = memoryCgroup(t, l, id)
	if spec.Dir == "" {
		spec.Dir = t.TempDir()
	}
	if spec.Stdout == "" {
		spec.Stdout = filepath.Join(spec.Dir, "stdout")
		spec.Stderr = filepath.Join(spec.Dir, "stderr")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pid, err := ln.Fork(ctx, id, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupWithin)
		defer cancel()
		if err := ln.Destroy(ctx, id); err != nil {
			t.Errorf("clean up container %s: %v", id, err)
		}
	})
	return pid
}

func waitExit(t *testing.T, ln Launcher, id string) ExitStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := ln.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func output(t *testing.T, file string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

func TestLinuxExecutorIsPIDOneAndSeesOnlyItsContainer(t *testing.T) {
	ln, l := newLinux(t)
	sandbox := t.TempDir() // under /tmp: mounted back inside the private /tmp
	marker := filepath.Join(t.TempDir(), "host-marker")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	inside := fmt.Sprintf("/tmp/gomesos-inside-%d", os.Getpid())
	script := `echo pid=$$
printf procs=; for p in /proc/[0-9]*; do printf '%s ' "${p#/proc/}"; done; echo
if [ -e ` + marker + ` ]; then echo marker=visible; else echo marker=hidden; fi
echo x > ` + inside + `
echo cwd=$PWD
echo hello > sandbox-file
echo x > /dev/null && echo devnull=writable
mount -t tmpfs none /mnt && echo mounted=yes`
	mounts := hostMounts(t)
	forkLinux(t, ln, l, "ns", Spec{Path: "/bin/sh", Args: []string{"sh", "-c", script}, Dir: sandbox, Env: []string{"PATH=/usr/bin:/bin"}, Namespaces: true})
	if st := waitExit(t, ln, "ns"); st.ExitCode() != 0 {
		b, _ := os.ReadFile(filepath.Join(sandbox, "stderr"))
		t.Fatalf("the script %v: %s", st, b)
	}
	out := output(t, filepath.Join(sandbox, "stdout"))
	if out["pid"] != "1" {
		t.Errorf("the executor's pid in its namespace is %s, want 1", out["pid"])
	}
	if out["procs"] != "1" {
		t.Errorf("the container sees processes %q, want only itself", out["procs"])
	}
	if out["marker"] != "hidden" {
		t.Error("the container sees the host's /tmp")
	}
	if out["devnull"] != "writable" {
		t.Error("the container cannot write to /dev/null")
	}
	if out["mounted"] != "yes" {
		t.Error("root in the container cannot mount")
	}
	if got := hostMounts(t); got != mounts {
		t.Errorf("the host's mounts changed:\nbefore:\n%s\nafter:\n%s", mounts, got)
	}
	if out["cwd"] != sandbox {
		t.Errorf("cwd = %s, want the sandbox %s", out["cwd"], sandbox)
	}
	if _, err := os.Stat(inside); err == nil {
		os.Remove(inside)
		t.Error("a file the container wrote to its /tmp appeared on the host")
	}
	if b, err := os.ReadFile(filepath.Join(sandbox, "sandbox-file")); err != nil || string(b) != "hello\n" {
		t.Errorf("sandbox file = %q, %v", b, err)
	}
}

// hostMounts lists this process' mount points.
func hostMounts(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var points []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if f := strings.Fields(line); len(f) > 4 {
			points = append(points, f[4])
		}
	}
	return strings.Join(points, "\n")
}

func TestLinuxDestroyKillsEveryProcessAndRemovesTheCgroup(t *testing.T) {
	ln, l := newLinux(t)
	sandbox := t.TempDir()
	// A background child, and a grandchild that leaves the session.
	script := "sleep 1000 & setsid sleep 1000 & touch ready; wait"
	// Without a pid namespace, so that killing the first process does not
	// take the others with it: the cgroup has to.
	forkLinux(t, ln, l, "doomed", Spec{Path: "/bin/sh", Args: []string{"sh", "-c", script}, Dir: sandbox, Env: []string{"PATH=/usr/bin:/bin"}})
	var pids []int
	eventually(t, "three processes run", func() bool {
		pids, _ = cgroups.Procs(ln.Dir("doomed"))
		return len(pids) == 3
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ln.Destroy(ctx, "doomed"); err != nil {
		t.Fatal(err)
	}
	if st := waitExit(t, ln, "doomed"); st.Signal() != syscall.SIGKILL {
		t.Errorf("the executor %v, want killed by SIGKILL", st)
	}
	for _, pid := range pids {
		eventually(t, fmt.Sprintf("process %d is gone", pid), func() bool { return processGone(pid) })
	}
	if l.Exists("freezer", "doomed") {
		t.Error("the freezer cgroup survived Destroy")
	}
	if err := ln.Destroy(ctx, "doomed"); err != nil {
		t.Errorf("a second Destroy: %v", err)
	}
}

// On a cgroup v2 hierarchy the container's cgroup is killed through
// cgroup.kill (the hybrid host's unified hierarchy has no controllers, so
// the memory limit comes from a v1 cgroup).
func TestLinuxOnCgroupV2(t *testing.T) {
	v1 := cgroupstest.Layout(t)
	v2 := cgroupstest.LayoutV2(t)
	ln, err := NewLinux(v2)
	if err != nil {
		t.Fatal(err)
	}
	script := "sleep 1000 & setsid sleep 1000 & wait"
	forkLinux(t, ln, v1, "v2", Spec{Path: "/bin/sh", Args: []string{"sh", "-c", script}, Env: []string{"PATH=/usr/bin:/bin"}})
	if got := ln.Dir("v2"); got != filepath.Join(cgroupstest.Unified, v2.Root, "v2") {
		t.Fatalf("cgroup dir = %s", got)
	}
	var pids []int
	eventually(t, "three processes run", func() bool {
		pids, _ = cgroups.Procs(ln.Dir("v2"))
		return len(pids) == 3
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ln.Destroy(ctx, "v2"); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		eventually(t, fmt.Sprintf("process %d is gone", pid), func() bool { return processGone(pid) })
	}
	if _, err := os.Stat(ln.Dir("v2")); !os.IsNotExist(err) {
		t.Errorf("the v2 cgroup survived Destroy: %v", err)
	}
}

func TestLinuxRecoverReturnsOrphans(t *testing.T) {
	ln, l := newLinux(t)
	spec := Spec{Path: "/bin/sleep", Args: []string{"sleep", "1000"}, Env: []string{}, Namespaces: true}
	pidA := forkLinux(t, ln, l, "a", spec)
	forkLinux(t, ln, l, "b", spec)

	// The agent restarts and only knows "a".
	again, err := NewLinux(l)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	orphans, err := again.Recover(ctx, map[string]int{"a": pidA})
	if err != nil || strings.Join(orphans, ",") != "b" {
		t.Fatalf("Recover = %v, %v; want the orphan b", orphans, err)
	}
	for _, id := range []string{"b", "a"} {
		if err := again.Destroy(ctx, id); err != nil {
			t.Fatal(err)
		}
		if l.Exists("freezer", id) {
			t.Errorf("the cgroup of %s survived Destroy", id)
		}
	}
	if st, err := again.Wait(ctx, "a"); err != nil || st.Known {
		t.Errorf("Wait of a recovered container = %v, %v; want an unknown status", st, err)
	}
}

// An agent killed with -9 leaves its containers running; the restarted
// agent's launcher finds them through libcontainer's state and their
// cgroups, adopts the ones the agent knows, and destroys them.
func TestLinuxContainerOutlivesTheAgent(t *testing.T) {
	ln, l := newLinux(t)
	memoryCgroup(t, l, "survivor")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"GOMESOS_TEST_AGENT=1",
		"GOMESOS_TEST_HIERARCHY="+l.Hierarchy,
		"GOMESOS_TEST_ROOT="+l.Root,
		"GOMESOS_TEST_MEMORY_CGROUP="+l.Dir("memory", "survivor"),
		"GOMESOS_TEST_SANDBOX="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	pidText, ok := strings.CutPrefix(strings.TrimSpace(line), "pid=")
	pid, perr := strconv.Atoi(pidText)
	if err != nil || !ok || perr != nil {
		t.Fatalf("the agent said %q (%v)", line, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupWithin)
		defer cancel()
		if err := ln.Destroy(ctx, "survivor"); err != nil {
			t.Errorf("clean up the survivor: %v", err)
		}
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if processGone(pid) {
		t.Fatal("the container died with its agent")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// A restart that knows nothing finds the container as an orphan.
	if orphans, err := ln.Recover(ctx, nil); err != nil || strings.Join(orphans, ",") != "survivor" {
		t.Fatalf("Recover without the container = %v, %v; want the orphan survivor", orphans, err)
	}
	again, err := NewLinux(l)
	if err != nil {
		t.Fatal(err)
	}
	if orphans, err := again.Recover(ctx, map[string]int{"survivor": pid}); err != nil || len(orphans) != 0 {
		t.Fatalf("Recover = %v, %v; want no orphans", orphans, err)
	}
	if _, err := os.Stat(filepath.Join(again.StateDir(), "survivor", "state.json")); err != nil {
		t.Errorf("libcontainer's state of the survivor: %v", err)
	}
	if err := again.Destroy(ctx, "survivor"); err != nil {
		t.Fatal(err)
	}
	if st, err := again.Wait(ctx, "survivor"); err != nil || st.Known {
		t.Errorf("Wait of the recovered container = %v, %v; want an unknown status", st, err)
	}
	eventually(t, "the survivor is gone", func() bool { return processGone(pid) })
	if l.Exists("freezer", "survivor") {
		t.Error("the freezer cgroup survived Destroy")
	}
	if _, err := os.Stat(filepath.Join(again.StateDir(), "survivor")); !os.IsNotExist(err) {
		t.Errorf("libcontainer's state survived Destroy: %v", err)
	}
}

func TestLinuxRootfs(t *testing.T) {
	ln, l := newLinux(t)
	rootfs := t.TempDir()
	// A static probe, so that it runs alone in the root filesystem.
	build := exec.Command("go", "build", "-o", filepath.Join(rootfs, "probe"), "./testdata/probe")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("skipping: cannot build the static probe: %v\n%s", err, out)
	}
	sandbox := t.TempDir()
	forkLinux(t, ln, l, "img", Spec{
		Path: "/probe", Args: []string{"probe"}, Dir: sandbox, Rootfs: rootfs,
		Env: []string{"MESOS_SANDBOX=" + sandbox},
	})
	if st := waitExit(t, ln, "img"); st.ExitCode() != 0 {
		b, _ := os.ReadFile(filepath.Join(sandbox, "stderr"))
		t.Fatalf("the probe %v: %s", st, b)
	}
	out := output(t, filepath.Join(sandbox, "stdout"))
	if out["pid"] != "1" || out["sandbox"] != SandboxInRootfs || out["cwd"] != SandboxInRootfs {
		t.Errorf("probe saw %v", out)
	}
	if out["root"] != "dev,mnt,probe,proc,tmp" {
		t.Errorf("the container's root holds %s", out["root"])
	}
	if _, err := os.Stat(filepath.Join(sandbox, "from-inside")); err != nil {
		t.Errorf("a file written to the sandbox inside is not in the sandbox: %v", err)
	}
}

func TestIsolateRunsBeforeTheProgram(t *testing.T) {
	l := cgroupstest.Layout(t)
	for _, name := range []string{"posix", "linux"} {
		t.Run(name, func(t *testing.T) {
			ln, err := NewWithOptions(name, Options{CgroupsHierarchy: l.Hierarchy, CgroupsRoot: l.Root})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			id := "iso-" + name
			forkLinux(t, ln, l, id, Spec{Path: "cat", Args: []string{"cat", "/proc/self/cgroup"}, Dir: dir, Env: []string{"PATH=/usr/bin:/bin"}, Namespaces: name == "linux"})
			if st := waitExit(t, ln, id); st.ExitCode() != 0 {
				b, _ := os.ReadFile(filepath.Join(dir, "stderr"))
				t.Fatalf("cat %v: %s", st, b)
			}
			b, _ := os.ReadFile(filepath.Join(dir, "stdout"))
			if want := ":memory:" + l.Path(id) + "\n"; !strings.Contains(string(b), want) {
				t.Errorf("the program ran in cgroups\n%s\nwant the line ending %q", b, want)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if _, err := ln.Fork(ctx, id+"-y", Spec{Path: "/nonexistent/prog", Dir: dir, Isolate: func(int) error { return nil }}); err == nil {
				t.Error("Fork of a missing program succeeded")
			}
			// A failing Isolate stops the launch.
			_, err = ln.Fork(ctx, id+"-x", Spec{Path: "/bin/true", Dir: dir, Isolate: func(int) error { return fmt.Errorf("no") }})
			if err == nil || !strings.Contains(err.Error(), "no") {
				t.Errorf("Fork with a failing Isolate = %v", err)
			}
			if l.Exists("freezer", id+"-x") {
				t.Error("a failed fork left its cgroup")
			}
		})
	}
}

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

// Fork returns once the container runs its program, not while the launch
// helper is still setting it up: a Destroy right after Fork kills the
// program.
func TestForkReturnsOnceTheProgramRuns(t *testing.T) {
	l := cgroupstest.Layout(t)
	for _, name := range []string{"posix", "linux"} {
		t.Run(name, func(t *testing.T) {
			ln, err := NewWithOptions(name, Options{CgroupsHierarchy: l.Hierarchy, CgroupsRoot: l.Root})
			if err != nil {
				t.Fatal(err)
			}
			id := "runs-" + name
			pid := forkLinux(t, ln, l, id, Spec{Path: "/bin/sleep", Args: []string{"sleep", "1000"}, Env: []string{}, Namespaces: name == "linux"})
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if err != nil {
				t.Fatal(err)
			}
			// The posix launcher's shell gate runs the program with its
			// path as argv[0].
			if argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00"); len(argv) != 2 ||
				filepath.Base(argv[0]) != "sleep" || argv[1] != "1000" {
				t.Errorf("right after Fork the first process runs %q, want sleep 1000", argv)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := ln.Destroy(ctx, id); err != nil {
				t.Fatal(err)
			}
			if st := waitExit(t, ln, id); st.Signal() != syscall.SIGKILL {
				t.Errorf("the program %v, want killed by SIGKILL", st)
			}
		})
	}
}

// BenchmarkLinuxForkDestroy measures one container's Fork (returns once
// the program runs) and Destroy (returns once its processes, cgroup and
// state are gone), with and without namespaces, and the CPU time spent
// per container here and in the children.
func BenchmarkLinuxForkDestroy(b *testing.B) {
	for _, ns := range []bool{false, true} {
		b.Run(fmt.Sprintf("namespaces=%v", ns), func(b *testing.B) {
			l := cgroupstest.Layout(b)
			ln, err := NewLinux(l)
			if err != nil {
				b.Fatal(err)
			}
			mem := l.Dir("memory", "")
			isolate := func(pid int) error {
				return os.WriteFile(filepath.Join(mem, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
			}
			dir := b.TempDir()
			ctx := context.Background()
			forks := make([]time.Duration, 0, b.N)
			destroys := make([]time.Duration, 0, b.N)
			self0, children0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				id := fmt.Sprintf("b%d", i)
				t0 := time.Now()
				if _, err := ln.Fork(ctx, id, Spec{Path: "/bin/sleep", Args: []string{"sleep", "1000"}, Env: []string{}, Dir: dir, Namespaces: ns, Isolate: isolate}); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if err := ln.Destroy(ctx, id); err != nil {
					b.Fatal(err)
				}
				if _, err := ln.Wait(ctx, id); err != nil {
					b.Fatal(err)
				}
				forks = append(forks, t1.Sub(t0))
				destroys = append(destroys, time.Since(t1))
			}
			b.StopTimer()
			self, children := cpuTime()
			b.ReportMetric(quantileMs(forks, 0.5), "fork-p50-ms")
			b.ReportMetric(quantileMs(forks, 0.99), "fork-p99-ms")
			b.ReportMetric(quantileMs(destroys, 0.5), "destroy-p50-ms")
			b.ReportMetric(quantileMs(destroys, 0.99), "destroy-p99-ms")
			b.ReportMetric(float64((self-self0).Microseconds())/float64(b.N)/1000, "cpu-self-ms/op")
			b.ReportMetric(float64((children-children0).Microseconds())/float64(b.N)/1000, "cpu-children-ms/op")
		})
	}
}

// cpuTime is this process' CPU time and its reaped children's.
func cpuTime() (self, children time.Duration) {
	var s, c syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &s)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &c)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(s.Utime) + tv(s.Stime), tv(c.Utime) + tv(c.Stime)
}

func quantileMs(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[int(q*float64(len(s)-1))].Microseconds()) / 1000
}

// The container's init is this process' child and leads a session of its
// own; forked from the main thread, where a subreaper's orphans are
// listed, it is still never taken for an adopted orphan by the sweeps
// that its own orphans' ends set off: Wait gets its real exit status.
func TestLinuxInitIsNotReapedAsAnOrphan(t *testing.T) {
	if !subreaper() {
		t.Skip("cannot become a child subreaper")
	}
	ln, l := newLinux(t)
	for i := range 5 {
		id := "own" + strconv.Itoa(i)
		code := 40 + i
		spec := Spec{
			Path:    "/bin/sh",
			Args:    []string{"sh", "-c", fmt.Sprintf("setsid sh -c 'exit 0' & sh -c 'exit 0' & exit %d", code)},
			Env:     []string{"PATH=/usr/bin:/bin"},
			Dir:     t.TempDir(),
			Isolate: memoryCgroup(t, l, id),
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var err error
		if !onMainThread(func() { _, err = ln.Fork(ctx, id, spec) }) {
			cancel()
			t.Skip("the main goroutine is not on the main thread")
		}
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), cleanupWithin)
			defer cancel()
			if err := ln.Destroy(ctx, id); err != nil {
				t.Errorf("clean up container %s: %v", id, err)
			}
		})
		if st := waitExit(t, ln, id); !st.Known || st.ExitCode() != code {
			t.Errorf("%s ended %+v, want exit code %d", id, st, code)
		}
	}
}
