package launcher

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func forkForTest(t *testing.T, l *Posix, id string, spec Spec) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pid, err := l.Fork(ctx, id, spec)
	if err != nil {
		t.Fatalf("Fork: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.Destroy(ctx, id); err != nil {
			t.Errorf("cleanup Destroy: %v", err)
		}
	})
	return pid
}

func TestForkEchoIntoFilesAndWait(t *testing.T) {
	dir := t.TempDir()
	l := NewPosix()
	spec := Spec{
		Path:   "/bin/sh",
		Args:   []string{"sh", "-c", "echo hi; echo oops >&2; echo $FOO; pwd; exit 3"},
		Env:    []string{"FOO=bar", "PATH=/usr/bin:/bin"},
		Dir:    dir,
		Stdout: filepath.Join(dir, "stdout"),
		Stderr: filepath.Join(dir, "stderr"),
	}
	forkForTest(t, l, "c1", spec)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := l.Wait(ctx, "c1")
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if !st.Exited() || st.ExitCode() != 3 {
		t.Fatalf("status = %v, want exit 3", st)
	}
	out, _ := os.ReadFile(spec.Stdout)
	if got, want := string(out), "hi\nbar\n"+dir+"\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	errOut, _ := os.ReadFile(spec.Stderr)
	if string(errOut) != "oops\n" {
		t.Errorf("stderr = %q", errOut)
	}
	// Wait can be repeated.
	if st2, err := l.Wait(ctx, "c1"); err != nil || st2 != st {
		t.Errorf("second Wait = %v, %v", st2, err)
	}
}

func TestForkErrors(t *testing.T) {
	l := NewPosix()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := l.Fork(ctx, "x", Spec{Path: "/nonexistent/prog"}); err == nil {
		t.Fatal("Fork of a missing program succeeded")
	}
	// The failed fork must not leave the id reserved.
	dir := t.TempDir()
	forkForTest(t, l, "x", Spec{Path: "/bin/true", Dir: dir})
	if _, err := l.Fork(ctx, "x", Spec{Path: "/bin/true"}); !errors.Is(err, ErrAlreadyForked) {
		t.Fatalf("second Fork error = %v", err)
	}
	if _, err := l.Wait(ctx, "nope"); !errors.Is(err, ErrUnknownContainer) {
		t.Fatalf("Wait unknown = %v", err)
	}
	if err := l.Destroy(ctx, "nope"); err != nil {
		t.Fatalf("Destroy unknown = %v", err)
	}
	if _, err := New("bogus"); err == nil || !strings.Contains(err.Error(), "unknown launcher") {
		t.Fatalf("New(bogus) = %v", err)
	}
	if _, err := l.Fork(ctx, "r", Spec{Path: "/bin/true", Rootfs: "/"}); err == nil {
		t.Fatal("the posix launcher accepted a root filesystem")
	}
	if _, err := l.Fork(ctx, "n", Spec{Path: "/bin/true", Namespaces: true}); err == nil {
		t.Fatal("the posix launcher accepted namespaces")
	}
}

// processGone reports whether pid no longer runs (gone or a zombie).
func processGone(pid int) bool {
	st, ok := readStat(pid)
	return !ok || st.state == 'Z' || st.state == 'X'
}

func TestDestroyKillsTreeWithGrandchild(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "grandchild.pid")
	ready := filepath.Join(dir, "ready")
	l := NewPosix()
	// sh starts a background sleep (a grandchild of ours), records its pid,
	// then waits; a second level (sh -c) makes a great-grandchild too.
	script := "sleep 1000 & echo $! > " + pidFile + "; sh -c 'sleep 1001' & mv " + pidFile + " " + ready + "; wait"
	pid := forkForTest(t, l, "tree", Spec{Path: "/bin/sh", Args: []string{"sh", "-c", script}, Dir: dir, Env: []string{"PATH=/usr/bin:/bin"}})

	var grandchild int
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(ready); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			grandchild, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the script did not start its children")
		}
		time.Sleep(10 * time.Millisecond) // polling a file the child writes
	}
	if processGone(grandchild) {
		t.Fatalf("grandchild %d not running before destroy", grandchild)
	}
	tree := Tree(pid, true)
	if len(tree) < 2 {
		t.Fatalf("Tree(%d) = %v, want the shell and its children", pid, tree)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Destroy(ctx, "tree"); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	for _, p := range append(tree, grandchild) {
		deadline := time.Now().Add(5 * time.Second)
		for !processGone(p) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d survived Destroy", p)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func TestParseStat(t *testing.T) {
	st, ok := parseStat("42 (a (weird) name) S 7 42 42 0 -1 ...")
	if !ok || st.pid != 42 || st.ppid != 7 || st.pgrp != 42 || st.session != 42 || st.state != 'S' {
		t.Fatalf("parseStat = %+v, %v", st, ok)
	}
	if _, ok := parseStat("garbage"); ok {
		t.Fatal("parsed garbage")
	}
}

// Concurrent Tree calls share /proc scans, and each still sees a process
// that existed when it was called.
func TestTreeSharedScansSeeEarlierProcesses(t *testing.T) {
	cmd := exec.Command("sleep", "100")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid
	var wg sync.WaitGroup
	missed := make(chan int, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !slices.Contains(Tree(pid, true), pid) {
				missed <- pid
			}
		}()
	}
	wg.Wait()
	close(missed)
	for p := range missed {
		t.Errorf("a Tree call did not see pid %d", p)
	}
}

// A child's stdin is /dev/null, for one fork after another (the forker
// threads keep it open).
func TestForkStdinIsDevNull(t *testing.T) {
	dir := t.TempDir()
	l := NewPosix()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 6; i++ {
		id := "stdin" + strconv.Itoa(i)
		out := filepath.Join(dir, id)
		forkForTest(t, l, id, Spec{Path: "/bin/sh", Args: []string{"sh", "-c", "cat; readlink /proc/self/fd/0"}, Dir: dir, Stdout: out, Env: []string{"PATH=/usr/bin:/bin"}})
		if st, err := l.Wait(ctx, id); err != nil || st.ExitCode() != 0 {
			t.Fatalf("%s: %v, %v", id, st, err)
		}
		if b, _ := os.ReadFile(out); string(b) != "/dev/null\n" {
			t.Fatalf("%s: stdin is %q", id, b)
		}
	}
}
