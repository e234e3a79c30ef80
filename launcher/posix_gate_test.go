package launcher

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/isolators/cgroups"
	"github.com/gomesos/gomesos/isolators/cgroups/cgroupstest"
)

// posixMemoryCgroup makes a memory cgroup (128 MiB) for container id in
// the test's layout, removed (with whatever it holds) when the test ends.
func posixMemoryCgroup(t *testing.T, l *cgroups.Layout, id string) string {
	t.Helper()
	dir := l.Dir("memory", id)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte(strconv.Itoa(128<<20)), 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := l.Destroy(ctx, id, "memory"); err != nil {
			t.Errorf("clean up the memory cgroup of %s: %v", id, err)
		}
	})
	return dir
}

func joinCgroup(dir string) func(int) error {
	return func(pid int) error {
		return os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
	}
}

// waitFile waits until the child has written file, and returns its text.
func waitFile(t *testing.T, file string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, err := os.ReadFile(file); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
			return strings.TrimSpace(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not written", file)
		}
		time.Sleep(5 * time.Millisecond) // polling a file the child writes
	}
}

// A gated program has not run an instruction when Isolate is called
// (stopped at its exec, or held at the shell gate when ptrace is not
// available), and what it forks is born in its cgroup.
func TestPosixProgramRunsOnlyOnceIsolated(t *testing.T) {
	l := cgroupstest.Layout(t)
	for _, mode := range []string{"ptrace", "shell-gate"} {
		t.Run(mode, func(t *testing.T) {
			if mode == "shell-gate" {
				ptraceGate = false
				t.Cleanup(func() { ptraceGate = true })
			}
			id := "gate-" + mode
			cg := posixMemoryCgroup(t, l, id)
			dir := t.TempDir()
			marker := filepath.Join(dir, "ran")
			child := filepath.Join(dir, "child")
			var isolatedEarly string
			spec := Spec{
				Path: "/bin/sh",
				Args: []string{"sh", "-c", "echo yes > " + marker + "; sleep 1000 & echo $! > " + child + "; wait"},
				Env:  []string{"PATH=/usr/bin:/bin"},
				Dir:  dir,
				Isolate: func(pid int) error {
					if _, err := os.Stat(marker); err == nil {
						isolatedEarly = "the program ran before Isolate"
					}
					if st, ok := readStat(pid); ok && mode == "ptrace" && st.state != 't' {
						isolatedEarly = "the child was not stopped at its exec: state " + string(st.state)
					}
					return joinCgroup(cg)(pid)
				},
				Cgroup: cg,
			}
			l := NewPosix()
			pid := forkForTest(t, l, id, spec)
			if isolatedEarly != "" {
				t.Fatal(isolatedEarly)
			}
			grandchild, _ := strconv.Atoi(waitFile(t, child))
			procs, err := cgroups.Procs(cg)
			if err != nil {
				t.Fatal(err)
			}
			if !containsAll(procs, pid, grandchild) {
				t.Fatalf("cgroup holds %v, want the program %d and its child %d", procs, pid, grandchild)
			}
		})
	}
}

// With Spec.Cgroup, Destroy also kills a process that left the session
// and the process tree (setsid from an orphaned subshell), which a /proc
// scan of the session cannot find.
func TestPosixDestroyKillsWhatLeftTheSessionThroughTheCgroup(t *testing.T) {
	l := cgroupstest.Layout(t)
	id := "escape"
	cg := posixMemoryCgroup(t, l, id)
	dir := t.TempDir()
	escaped := filepath.Join(dir, "escaped")
	ln := NewPosix()
	root := forkForTest(t, ln, id, Spec{
		Path:    "/bin/sh",
		Args:    []string{"sh", "-c", "(setsid sh -c 'echo $$ > " + escaped + "; exec sleep 1000' &); exec sleep 1001"},
		Env:     []string{"PATH=/usr/bin:/bin"},
		Dir:     dir,
		Isolate: joinCgroup(cg),
		Cgroup:  cg,
	})
	pid, _ := strconv.Atoi(waitFile(t, escaped))
	// Once the subshell has exited, a scan of the session and the tree
	// no longer finds the escaped process.
	deadline := time.Now().Add(20 * time.Second)
	for slices.Contains(Tree(root, true), pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not leave the container's session and tree", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ln.Destroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(20 * time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d, which left the session, survived Destroy", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func containsAll(set []int, want ...int) bool {
	for _, w := range want {
		found := false
		for _, p := range set {
			found = found || p == w
		}
		if !found {
			return false
		}
	}
	return true
}

// Children fork from a thread whose descriptor table holds almost
// nothing, however many descriptors the agent holds: a fork copies that
// table and an exec closes what it copied.
func TestPosixForkerTableStaysSmall(t *testing.T) {
	f, err := theForker()
	if err != nil {
		t.Skipf("no forker thread here: %v", err)
	}
	for i := 0; i < 100; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
	}
	var fds []os.DirEntry
	f.do(func() {
		// The runtime may poll on this thread (a GC started by an
		// allocation here does): its poller must still be there.
		runtime.GC()
		fds, err = os.ReadDir("/proc/thread-self/fd")
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fds) > 8 {
		t.Fatalf("the forker's thread holds %d descriptors, want a handful", len(fds))
	}
	all, _ := os.ReadDir("/proc/self/fd")
	if len(all) < 200 {
		t.Fatalf("the process holds %d descriptors, want the test's 200 pipes", len(all))
	}
}

// A recovered container (a process this launcher did not fork) is
// waited for until it ends, with an unknown status.
func TestPosixRecoveredContainerEnds(t *testing.T) {
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	l := NewPosix()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if orphans, err := l.Recover(ctx, map[string]int{"old": cmd.Process.Pid}); err != nil || len(orphans) != 0 {
		t.Fatalf("Recover = %v, %v", orphans, err)
	}
	ended := make(chan ExitStatus, 1)
	go func() {
		st, err := l.Wait(ctx, "old")
		if err != nil {
			t.Error(err)
		}
		ended <- st
	}()
	if err := l.Destroy(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	if st := <-ended; st.Known {
		t.Fatalf("a recovered container's status = %v, want unknown", st)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the recovered process was not killed")
	}
}

// Without a cgroup, Destroy finds the first process' descendants through
// the kernel's children files, also one that left the session and the
// process group (setsid), and the session's other members by a scan.
func TestPosixDestroyKillsDescendantsThatLeftTheSession(t *testing.T) {
	dir := t.TempDir()
	left := filepath.Join(dir, "left")
	member := filepath.Join(dir, "member")
	ln := NewPosix()
	forkForTest(t, ln, "desc", Spec{
		Path: "/bin/sh",
		Args: []string{"sh", "-c", "setsid sh -c 'echo $$ > " + left + "; exec sleep 1000' & " +
			"sleep 1001 & echo $! > " + member + "; wait"},
		Env: []string{"PATH=/usr/bin:/bin"},
		Dir: dir,
	})
	gone, _ := strconv.Atoi(waitFile(t, left))
	stayed, _ := strconv.Atoi(waitFile(t, member))
	if st, ok := readStat(gone); !ok || st.session != gone {
		t.Fatalf("process %d did not leave the session: %+v, %v", gone, st, ok)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := ln.Destroy(ctx, "desc"); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []int{gone, stayed} {
		deadline := time.Now().Add(20 * time.Second)
		for !processGone(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d survived Destroy", pid)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func TestChildrenFiles(t *testing.T) {
	cmd := exec.Command("sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	kids, ok := children(os.Getpid())
	if !ok {
		t.Skip("no children files in this kernel")
	}
	if !slices.Contains(kids, cmd.Process.Pid) {
		t.Fatalf("children(self) = %v, want %d among them", kids, cmd.Process.Pid)
	}
}

// A session member in a process group of its own that outlives the
// container's first process is killed by Destroy once that process has
// been reaped, and reaped too: this process adopted it (a subreaper),
// so no zombie is left behind and no scan of /proc is needed.
func TestPosixDestroyKillsAndReapsAnOrphanedSessionMember(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("no perl to move a process into a group of its own")
	}
	dir := t.TempDir()
	member := filepath.Join(dir, "member")
	ln := NewPosix()
	forkForTest(t, ln, "orphan", Spec{
		Path: "/bin/sh",
		Args: []string{"sh", "-c", perl + ` -e 'setpgrp(0,0); exec "sleep", "1000"' & echo $! > ` + member},
		Env:  []string{"PATH=/usr/bin:/bin"},
		Dir:  dir,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if st, err := ln.Wait(ctx, "orphan"); err != nil || st.ExitCode() != 0 {
		t.Fatalf("first process: %v, %v", st, err)
	}
	pid, _ := strconv.Atoi(waitFile(t, member))
	root, _ := ln.Pid("orphan")
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, ok := readStat(pid)
		if !ok || st.state == 'Z' {
			t.Fatalf("the member %d ended before Destroy", pid)
		}
		if st.session == root && st.pgrp == pid {
			if subreaper() && st.ppid != os.Getpid() {
				t.Fatalf("the orphan %d went to %d, not to this subreaper", pid, st.ppid)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the member %d did not move to a group of its own: %+v", pid, st)
		}
		time.Sleep(5 * time.Millisecond) // polling the exec of a child
	}
	if err := ln.Destroy(ctx, "orphan"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); !errors.Is(err, os.ErrNotExist) {
		st, _ := readStat(pid)
		t.Fatalf("the member %d is still there after Destroy (%+v)", pid, st)
	}
}
