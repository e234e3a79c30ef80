package cgroups_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/isolators/cgroups"
	"github.com/gomesos/gomesos/isolators/cgroups/cgroupstest"
)

// TestMain: with GOMESOS_TEST_REEXEC set, the test binary is a
// multi-threaded process that executes itself over and over, telling its
// parent through fd 3 each time it starts.
func TestMain(m *testing.M) {
	if os.Getenv("GOMESOS_TEST_REEXEC") != "" {
		reexec()
	}
	os.Exit(cgroupstest.Main(m))
}

func reexec() {
	for i := 0; i < 4; i++ {
		go func() {
			runtime.LockOSThread()
			time.Sleep(time.Hour)
		}()
	}
	_, _ = os.NewFile(3, "started").Write([]byte{1})
	err := syscall.Exec("/proc/self/exe", os.Args, os.Environ())
	fmt.Fprintln(os.Stderr, err)
	os.Exit(3)
}

func TestNewLayout(t *testing.T) {
	cases := []struct {
		hierarchy, root string
		wantRoot, err   string
	}{
		{"", "", "/mesos", ""},
		{"/sys/fs/cgroup", "mesos", "/mesos", ""},
		{"/sys/fs/cgroup", "/a/b/", "/a/b", ""},
		{"/sys/fs/cgroup", "a//b", "/a/b", ""},
		{"/sys/fs/cgroup", "/", "", "hierarchy's own root"},
		{"/sys/fs/cgroup", "a/../..", "", "'..'"},
		{"sys/fs/cgroup", "mesos", "", "not an absolute path"},
	}
	for _, c := range cases {
		l, err := cgroups.NewLayout(c.hierarchy, c.root)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("NewLayout(%q, %q) = %v, want error %q", c.hierarchy, c.root, err, c.err)
			}
			continue
		}
		if err != nil || l.Root != c.wantRoot {
			t.Errorf("NewLayout(%q, %q) = %+v, %v", c.hierarchy, c.root, l, err)
		}
	}
	l, _ := cgroups.NewLayout("/sys/fs/cgroup", "mesos")
	if l.Version == cgroups.V1 {
		if got := l.Dir("memory", "c1"); got != "/sys/fs/cgroup/memory/mesos/c1" {
			t.Errorf("Dir = %s", got)
		}
	}
	if got := l.Path("c1"); got != "/mesos/c1" {
		t.Errorf("Path = %s", got)
	}
	none, err := cgroups.NewLayout(t.TempDir(), "mesos")
	if err != nil || none.Version != cgroups.None {
		t.Fatalf("a plain directory = %+v, %v", none, err)
	}
	if err := none.Require("cgroups/mem", "memory"); err == nil || !strings.Contains(err.Error(), "needs cgroups") {
		t.Errorf("Require without cgroups = %v", err)
	}
}

func TestCheckID(t *testing.T) {
	for _, id := range []string{"", ".", "..", "a/b", "../x", " x", "a\x00"} {
		if cgroups.CheckID(id) == nil {
			t.Errorf("CheckID(%q) accepted", id)
		}
	}
	for _, id := range []string{"c1", "0f1e2d3c-aaaa-bbbb", "a.b"} {
		if err := cgroups.CheckID(id); err != nil {
			t.Errorf("CheckID(%q) = %v", id, err)
		}
	}
	l, _ := cgroups.NewLayout("/sys/fs/cgroup", "mesos")
	if err := l.Destroy(within(t), "..", "memory"); err == nil {
		t.Error("Destroy of \"..\" was not refused")
	}
}

func TestReadKV(t *testing.T) {
	f := filepath.Join(t.TempDir(), "memory.events")
	if err := os.WriteFile(f, []byte("low 0\nhigh 3\noom_kill 2\nbogus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	kv, err := cgroups.ReadKV(f)
	if err != nil || kv["high"] != 3 || kv["oom_kill"] != 2 || len(kv) != 3 {
		t.Fatalf("ReadKV = %v, %v", kv, err)
	}
}

// Destroy kills processes that fork all the time and removes nested
// cgroups, deepest first.
func TestDestroyFreezesKillsAndRemoves(t *testing.T) {
	l := cgroupstest.Layout(t)
	const id = "c"
	for _, c := range []string{"freezer", "memory"} {
		if err := os.MkdirAll(filepath.Join(l.Dir(c, id), "nested"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(l.Dir("memory", id), "memory.limit_in_bytes"), []byte("67108864"), 0); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", "read x; while :; do sleep 1000 & done")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	gate, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); reaped(t, done, id) })
	for _, c := range []string{"freezer", "memory"} {
		if err := os.WriteFile(filepath.Join(l.Dir(c, id), "nested", "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
			t.Fatal(err)
		}
	}
	gate.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids, _ := cgroups.Procs(l.Dir("freezer", id))
		if len(pids) > 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the loop started only %d processes", len(pids))
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := l.Destroy(ctx, id, "memory", "freezer"); err != nil {
		t.Fatal(err)
	}
	reaped(t, done, id)
	for _, c := range []string{"freezer", "memory"} {
		if l.Exists(c, id) {
			t.Errorf("the %s cgroup survived", c)
		}
	}
}

// within is the bound of every wait in these tests: a kill that does not
// finish fails the test instead of hanging the suite.
func within(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startIn starts the test binary with GOMESOS_TEST_REEXEC in the freezer
// and memory (64 MiB) cgroups of container id and returns it once it has
// executed itself a few times; done closes when it has been reaped.
func startIn(t *testing.T, l *cgroups.Layout, id string) (cmd *exec.Cmd, done chan struct{}) {
	t.Helper()
	for _, c := range []string{"freezer", "memory"} {
		if err := os.MkdirAll(l.Dir(c, id), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(l.Dir("memory", id), "memory.limit_in_bytes"), []byte("67108864"), 0); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd = exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), "GOMESOS_TEST_REEXEC=1")
	cmd.ExtraFiles = []*os.File{w}
	// It runs outside the cgroups until it is moved in just below; all
	// it does is execute itself.
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	done = make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		reaped(t, done, id)
	})
	for _, c := range []string{"freezer", "memory"} {
		if err := os.WriteFile(filepath.Join(l.Dir(c, id), "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
			t.Fatal(err)
		}
	}
	buf := make([]byte, 1)
	for i := 0; i < 3; i++ {
		if _, err := r.Read(buf); err != nil {
			t.Fatalf("the re-executing process stopped: %v", err)
		}
	}
	return cmd, done
}

// reaped waits a bounded time for the process of container id to be
// reaped.
func reaped(t *testing.T, done chan struct{}, id string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Errorf("the process of %s was not reaped within a minute", id)
	}
}

func freezerState(t *testing.T, l *cgroups.Layout, id string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.Dir("freezer", id), "freezer.state"))
	if errors.Is(err, os.ErrNotExist) {
		return "gone"
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// A multi-threaded process that calls execve as the freeze begins cannot
// be frozen (the exec waits for threads that are already frozen); Destroy
// kills it all the same. Caught in about one round in six before the fix.
func TestDestroyKillsAProcessFrozenInTheMiddleOfExec(t *testing.T) {
	l := cgroupstest.Layout(t)
	for round := 0; round < 20; round++ {
		id := fmt.Sprint("exec", round)
		_, done := startIn(t, l, id)
		if err := l.Destroy(within(t), id, "freezer", "memory"); err != nil {
			t.Fatalf("round %d: %v (freezer %s)", round, err, freezerState(t, l, id))
		}
		reaped(t, done, id)
	}
}

// A KillAll whose context ends leaves the cgroup thawed, so that a later
// one (or a kill through another hierarchy) can finish the job.
func TestKillAllNeverLeavesTheCgroupFrozen(t *testing.T) {
	l := cgroupstest.Layout(t)
	_, done := startIn(t, l, "c")
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if err := cgroups.KillAll(ended, l.Dir("freezer", "c")); err == nil {
		t.Log("KillAll finished even with an ended context")
	}
	if st := freezerState(t, l, "c"); st != "THAWED" {
		t.Fatalf("after KillAll the freezer is %s", st)
	}
	// A destroy that died half-way left the cgroup frozen: killing through
	// the memory hierarchy alone thaws it.
	if err := os.WriteFile(filepath.Join(l.Dir("freezer", "c"), "freezer.state"), []byte("FROZEN"), 0); err != nil {
		t.Fatal(err)
	}
	if err := l.Destroy(within(t), "c", "memory"); err != nil {
		t.Fatal(err)
	}
	reaped(t, done, "c")
	if st := freezerState(t, l, "c"); st != "THAWED" {
		t.Errorf("after Destroy the freezer is %s", st)
	}
}

// Two destroys of one container at once (an orphan destroyed on recovery
// while a clean-up runs) both succeed and leave nothing alive or frozen.
func TestConcurrentDestroys(t *testing.T) {
	l := cgroupstest.Layout(t)
	for round := 0; round < 5; round++ {
		id := fmt.Sprint("twice", round)
		_, done := startIn(t, l, id)
		ctx := within(t)
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i == 2 {
					errs[i] = cgroups.KillAll(ctx, l.Dir("freezer", id))
					return
				}
				errs[i] = l.Destroy(ctx, id, "freezer", "memory")
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, caller %d: %v", round, i, err)
			}
		}
		reaped(t, done, id)
		for _, c := range []string{"freezer", "memory"} {
			if l.Exists(c, id) {
				t.Errorf("round %d: the %s cgroup survived", round, c)
			}
		}
	}
}
