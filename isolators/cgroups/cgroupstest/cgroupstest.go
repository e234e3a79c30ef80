// Package cgroupstest gives tests a cgroup root of their own and checks that
// nothing is left behind.
//
// Every test binary uses one prefix, /gomesos-test-<pid>-<random>, in each
// hierarchy it touches; each test gets <prefix>/<test name> as its
// --cgroups_root. The prefix and every test root carry a memory limit (1 GiB
// and 512 MiB), so nothing a test starts can grow past it. t.Cleanup
// destroys what a test left under its root even when it fails, and Main
// fails the binary if anything is still there at the end. Empty prefixes
// of test binaries that died are swept away at the start.
package cgroupstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/isolators/cgroups"
)

// Controllers are the v1 hierarchies tests create cgroups in.
var Controllers = []string{"cpu", "cpuacct", "memory", "pids", "freezer"}

// Memory limits of the prefix and of each test root.
const (
	PrefixMemoryLimit = 1 << 30
	RootMemoryLimit   = 512 << 20
)

var prefix = func() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("/gomesos-test-%d-%s", os.Getpid(), hex.EncodeToString(b))
}()

// Prefix is this test binary's cgroup prefix.
func Prefix() string { return prefix }

// skipReason says why cgroup tests cannot run here, or "".
func skipReason() string {
	if os.Getenv("GOMESOS_SKIP_CGROUP_TESTS") != "" {
		return "GOMESOS_SKIP_CGROUP_TESTS is set"
	}
	if os.Geteuid() != 0 {
		return "cgroup tests need root"
	}
	l, err := cgroups.NewLayout(cgroups.DefaultHierarchy, prefix)
	if err != nil {
		return err.Error()
	}
	if l.Version != cgroups.V1 {
		return fmt.Sprintf("these tests are written for cgroup v1 hosts; %s holds %s", l.Hierarchy, l.Version)
	}
	if err := l.Require("cgroup tests", Controllers...); err != nil {
		return err.Error()
	}
	return ""
}

// Layout returns a layout whose root is this test's own cgroup root, or
// skips the test with the reason when cgroups cannot be used here. The
// root's cgroups are destroyed when the test ends.
func Layout(t testing.TB) *cgroups.Layout {
	t.Helper()
	if r := skipReason(); r != "" {
		t.Skip("skipping: " + r)
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	l, err := cgroups.NewLayout(cgroups.DefaultHierarchy, prefix+"/"+name)
	if err != nil {
		t.Fatal(err)
	}
	if err := makeRoot(l); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := destroyRoot(l); err != nil {
			t.Errorf("clean up cgroups of %s: %v", t.Name(), err)
		}
	})
	return l
}

// Unified is where a hybrid host mounts its cgroup v2 hierarchy.
const Unified = "/sys/fs/cgroup/unified"

// LayoutV2 is Layout on the cgroup v2 hierarchy of a hybrid host (which
// offers no controllers here, but cgroup.kill and cgroup.freeze), or skips.
// Processes a test starts there must also be put into a memory-limited v1
// cgroup (from Layout).
func LayoutV2(t testing.TB) *cgroups.Layout {
	t.Helper()
	if r := skipReason(); r != "" {
		t.Skip("skipping: " + r)
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	l, err := cgroups.NewLayout(Unified, prefix+"/"+name)
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != cgroups.V2 {
		t.Skipf("skipping: %s holds no cgroup v2 hierarchy", Unified)
	}
	if err := os.MkdirAll(l.Dir("", ""), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cgroups.KillAll(ctx, l.Dir("", "")); err != nil {
			t.Error(err)
		}
		if err := cgroups.Remove(ctx, l.Dir("", "")); err != nil {
			t.Error(err)
		}
	})
	return l
}

// makeRoot creates the prefix and the test root in every controller, with
// their memory limits.
func makeRoot(l *cgroups.Layout) error {
	for _, c := range Controllers {
		for _, dir := range []string{filepath.Join(l.Mount(c), prefix), l.Dir(c, "")} {
			if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
				return err
			}
		}
	}
	limits := map[string]int{
		filepath.Join(l.Mount("memory"), prefix): PrefixMemoryLimit,
		l.Dir("memory", ""):                      RootMemoryLimit,
	}
	for dir, limit := range limits {
		if err := os.WriteFile(filepath.Join(dir, "memory.limit_in_bytes"), []byte(fmt.Sprint(limit)), 0); err != nil {
			return err
		}
	}
	return nil
}

// destroyRoot kills every process under the test root and removes it.
func destroyRoot(l *cgroups.Layout) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []string
	// The freezer first: it stops forks while the rest are killed.
	for _, c := range append([]string{"freezer"}, Controllers...) {
		dir := l.Dir(c, "")
		if err := cgroups.KillAll(ctx, dir); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for _, c := range Controllers {
		if err := cgroups.Remove(ctx, l.Dir(c, "")); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// bases are the prefix's directories in every hierarchy tests use.
func bases() []string {
	var out []string
	for _, c := range Controllers {
		out = append(out, filepath.Join(cgroups.DefaultHierarchy, c, prefix))
	}
	return append(out, filepath.Join(Unified, prefix))
}

// Leftovers lists the cgroups still under the prefix.
func Leftovers() []string {
	var out []string
	for _, base := range bases() {
		_ = filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() && p != base {
				out = append(out, p)
			}
			return nil
		})
	}
	return out
}

// sweep removes the prefixes of test binaries that are gone (a run killed
// before its clean-up) when they hold no process: rmdir only, deepest
// first, so a cgroup with a process in it stays.
func sweep() {
	parents := []string{Unified}
	for _, c := range Controllers {
		parents = append(parents, filepath.Join(cgroups.DefaultHierarchy, c))
	}
	for _, parent := range parents {
		matches, _ := filepath.Glob(filepath.Join(parent, "gomesos-test-*"))
		for _, dir := range matches {
			var pid int
			if _, err := fmt.Sscanf(filepath.Base(dir), "gomesos-test-%d-", &pid); err != nil || pid <= 0 {
				continue
			}
			if err := syscall.Kill(pid, 0); err == nil || err == syscall.EPERM {
				continue // that test binary still runs
			}
			if procs, err := cgroups.Procs(dir); err != nil || len(procs) > 0 {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = cgroups.Remove(ctx, dir)
			cancel()
		}
	}
}

// Main runs the tests, then fails if any cgroup is left under the prefix,
// and removes the prefix. Call it from TestMain: os.Exit(cgroupstest.Main(m)).
func Main(m *testing.M) int {
	sweep()
	code := m.Run()
	if left := Leftovers(); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "cgroups left behind under %s:\n  %s\n", prefix, strings.Join(left, "\n  "))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_ = cgroups.KillAll(ctx, filepath.Join(cgroups.DefaultHierarchy, "freezer", prefix))
		for _, base := range bases() {
			_ = cgroups.KillAll(ctx, base)
		}
		cancel()
		code = 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, base := range bases() {
		if err := cgroups.Remove(ctx, base); err != nil {
			fmt.Fprintf(os.Stderr, "remove test prefix: %v\n", err)
			code = 1
		}
	}
	return code
}
