package cgroups

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// pollEvery is how often a kernel state that has no notification on cgroup
// v1 (frozen, empty) is re-read while waiting for it.
const pollEvery = 2 * time.Millisecond

// gone reports whether err says that a cgroup (or its file) no longer
// exists: a cgroup removed while its file was being opened gives ENODEV.
func gone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENODEV)
}

// Procs returns the pids in dir's cgroup and in every cgroup below it. A
// missing dir has none.
func Procs(dir string) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if gone(err) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if gone(err) {
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
// cgroup.kill. In a v1 freezer cgroup it freezes the processes first so that
// none can fork while they are being killed, kills them, and thaws them so
// that they die; elsewhere it kills until no process is left.
//
// A v1 freezer cgroup is never left frozen: KillAll thaws it on the way
// out, whatever went wrong, and thaws one it finds frozen (left so by an
// agent that died while destroying it). Calls on one dir in this process
// take turns.
func KillAll(ctx context.Context, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "cgroup.kill")); err == nil {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0); err != nil {
			if gone(err) {
				return nil
			}
			return fmt.Errorf("kill %s: %w", dir, err)
		}
		return waitEmpty(ctx, dir, false)
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	var ferr error
	if _, err := os.Stat(filepath.Join(dir, "freezer.state")); err == nil {
		ferr = freezeAndKill(ctx, dir)
	}
	// Even after a failed freeze, kill until the cgroup is empty.
	if err := waitEmpty(ctx, dir, true); err != nil {
		return errors.Join(ferr, err)
	}
	return nil
}

// freezeAndKill freezes dir's v1 freezer cgroup, kills every process in
// it and thaws it, also when the freeze fails or ctx ends.
//
// A freeze can hang in FREEZING for good: when a multi-threaded process
// calls execve as the freeze begins, the kernel's execve waits (killable,
// not freezable) for its other threads to exit, and they are frozen before
// they can. So while the cgroup is FREEZING every process in it is sent
// SIGKILL: the exec'ing thread dies, the rest freeze, the cgroup reaches
// FROZEN, and the thaw lets the frozen ones die too.
func freezeAndKill(ctx context.Context, dir string) (err error) {
	defer func() {
		// The caller's ctx may have ended: thaw with a bound of its own.
		tctx, cancel := context.WithTimeout(context.Background(), thawWithin)
		defer cancel()
		if terr := setFreezer(tctx, dir, "THAWED", false); terr != nil && err == nil {
			err = terr
		}
		thaw(dir) // cgroups below that froze themselves
	}()
	if err := setFreezer(ctx, dir, "FROZEN", true); err != nil {
		return err
	}
	return signalAll(dir)
}

// thawWithin bounds a thaw on the way out of KillAll (a thaw takes effect
// at once; only a cgroup file that cannot be written holds it up).
const thawWithin = 10 * time.Second

// dirLocks makes KillAll calls on one dir take turns: one caller's thaw
// cannot then undo another's freeze half-way.
var dirLocks = struct {
	sync.Mutex
	m map[string]chan struct{}
}{m: map[string]chan struct{}{}}

// lockDir waits until no other KillAll in this process works on dir (or
// ctx ends) and returns the function that lets the next one in.
func lockDir(ctx context.Context, dir string) (func(), error) {
	for {
		dirLocks.Lock()
		busy, ok := dirLocks.m[dir]
		if !ok {
			mine := make(chan struct{})
			dirLocks.m[dir] = mine
			dirLocks.Unlock()
			return func() {
				dirLocks.Lock()
				delete(dirLocks.m, dir)
				dirLocks.Unlock()
				close(mine)
			}, nil
		}
		dirLocks.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, fmt.Errorf("cgroup %s is being killed by another caller: %w", dir, ctx.Err())
		}
	}
}

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

// waitEmpty waits until no process is left in dir's cgroup. When kill is
// set it kills what it finds (processes forked while a kill was under way)
// and thaws v1 freezer cgroups that are not thawed (dir's and any below it),
// since a frozen process does not die of SIGKILL.
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
			thaw(dir)
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
// system call may hold it up; with kill set, every process is sent SIGKILL
// while the freeze is pending (see freezeAndKill).
func setFreezer(ctx context.Context, dir, state string, kill bool) error {
	file := filepath.Join(dir, "freezer.state")
	for {
		if err := os.WriteFile(file, []byte(state), 0); err != nil {
			if gone(err) {
				return nil
			}
			return fmt.Errorf("set %s to %s: %w", dir, state, err)
		}
		b, err := os.ReadFile(file)
		if gone(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", file, err)
		}
		if strings.TrimSpace(string(b)) == state {
			return nil
		}
		if kill {
			if err := signalAll(dir); err != nil {
				return err
			}
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
			if gone(err) {
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
			if err == nil || gone(err) {
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
	if l.Version == V1 && !slices.Contains(cs, "freezer") {
		// A process frozen in the container's freezer cgroup does not die
		// of SIGKILL; a destroy that died half-way may have left it so.
		thaw(l.Dir("freezer", id))
	}
	for _, c := range order {
		dir := l.Dir(c, id)
		// Most often the container's processes are gone by now: then
		// the cgroup is empty and one rmdir is the whole destroy (the
		// kernel refuses it while a process or a child cgroup is left).
		if err := syscall.Rmdir(dir); err == nil || gone(err) {
			continue
		}
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

// thaw thaws dir's v1 freezer cgroup (and those below it) if it exists and
// is not thawed.
func thaw(dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		state := filepath.Join(p, "freezer.state")
		if b, err := os.ReadFile(state); err == nil && strings.TrimSpace(string(b)) != "THAWED" {
			_ = os.WriteFile(state, []byte("THAWED"), 0)
		}
		return nil
	})
}

// Exists reports whether the container has a cgroup for controller c.
func (l *Layout) Exists(c, id string) bool {
	st, err := os.Stat(l.Dir(c, id))
	return err == nil && st.IsDir()
}
