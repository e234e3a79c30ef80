package cgroups

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pollEvery is how often a kernel state that has no notification on cgroup
// v1 (frozen, empty) is re-read while waiting for it.
const pollEvery = 2 * time.Millisecond

// Procs returns the pids in dir's cgroup and in every cgroup below it. A
// missing dir has none.
func Procs(dir string) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids, err
}

// KillAll sends SIGKILL to every process in dir's cgroup (and below) and
// waits until the cgroup is empty or ctx ends. On cgroup v2 it writes
// cgroup.kill; in a v1 freezer cgroup it freezes the processes first so that
// none can fork while they are being killed, then thaws them so that they
// die; elsewhere it kills until no process is left.
func KillAll(ctx context.Context, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err == nil {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0); err != nil {
			return fmt.Errorf("kill %s: %w", dir, err)
		}
		return waitEmpty(ctx, dir, false)
	}
	if _, err := os.Stat(filepath.Join(dir, "freezer.state")); err == nil {
		// A task caught in some kernel paths (an exec under way) can hold a
		// freeze in FREEZING for good: after freezeTimeout, thaw and fall
		// back to killing until the cgroup is empty.
		fctx, cancel := context.WithTimeout(ctx, freezeTimeout)
		err := setFreezer(fctx, dir, "FROZEN")
		cancel()
		if err == nil {
			if err := signalAll(dir); err != nil {
				return err
			}
		} else if ctx.Err() != nil {
			return err
		}
		if err := setFreezer(ctx, dir, "THAWED"); err != nil {
			return err
		}
	}
	return waitEmpty(ctx, dir, true)
}

// freezeTimeout bounds the wait for a freezer cgroup to reach FROZEN.
const freezeTimeout = 2 * time.Second

func signalAll(dir string) error {
	pids, err := Procs(dir)
	if err != nil {
		return fmt.Errorf("list processes of %s: %w", dir, err)
	}
	for _, pid := range pids {
		// A pid read from the cgroup belongs to the container until it is
		// reaped, and a reaped pid leaves cgroup.procs.
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	return nil
}

// waitEmpty waits until no process is left in dir's cgroup, killing what it
// finds when kill is set (processes forked while a kill was under way).
func waitEmpty(ctx context.Context, dir string, kill bool) error {
	for {
		pids, err := Procs(dir)
		if err != nil {
			return fmt.Errorf("list processes of %s: %w", dir, err)
		}
		if len(pids) == 0 {
			return nil
		}
		if kill {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cgroup %s still holds %d processes: %w", dir, len(pids), ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// setFreezer writes a v1 freezer state and waits until the kernel reports
// it. A freeze that does not settle is retried, as a task in the middle of a
// system call may hold it up.
func setFreezer(ctx context.Context, dir, state string) error {
	file := filepath.Join(dir, "freezer.state")
	for {
		if err := os.WriteFile(file, []byte(state), 0); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return fmt.Errorf("set %s to %s: %w", dir, state, err)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("read %s: %w", file, err)
		}
		if strings.TrimSpace(string(b)) == state {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cgroup %s did not reach %s: %w", dir, state, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

// Remove removes dir's cgroup and the cgroups below it, deepest first, with
// rmdir (never a recursive delete). The cgroups must be empty. A missing dir
// is not an error. A removal the kernel refuses as busy is retried until ctx
// ends: a killed process may take a moment to leave.
func Remove(ctx context.Context, dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		for {
			err := syscall.Rmdir(dirs[i])
			if err == nil || errors.Is(err, syscall.ENOENT) {
				break
			}
			if !errors.Is(err, syscall.EBUSY) {
				return fmt.Errorf("remove cgroup %s: %w", dirs[i], err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("remove cgroup %s: %v: %w", dirs[i], err, ctx.Err())
			case <-time.After(pollEvery):
			}
		}
	}
	return nil
}

// Destroy kills every process in the container's cgroup for each controller
// in cs (the freezer first when listed, so that the kill is reliable) and
// removes those cgroups. Missing cgroups are skipped.
func (l *Layout) Destroy(ctx context.Context, id string, cs ...string) error {
	if err := CheckID(id); err != nil {
		return err
	}
	seen := map[string]bool{}
	var errs []error
	order := append([]string(nil), cs...)
	for i, c := range order {
		if c == "freezer" {
			order[0], order[i] = order[i], order[0]
		}
	}
	for _, c := range order {
		dir := l.Dir(c, id)
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			dir = real // co-mounted controllers share one directory
		}
		if seen[dir] {
			continue
		}
		seen[dir] = true
		if err := KillAll(ctx, dir); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := Remove(ctx, dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Exists reports whether the container has a cgroup for controller c.
func (l *Layout) Exists(c, id string) bool {
	st, err := os.Stat(l.Dir(c, id))
	return err == nil && st.IsDir()
}
