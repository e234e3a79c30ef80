package launcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gomesos/gomesos/isolators/cgroups"
)

// Namespaces the linux launcher gives every container.
const linuxCloneFlags = syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS

// failedForkCleanup bounds the destruction of a failed fork's cgroup.
const failedForkCleanup = 30 * time.Second

// Linux is the linux launcher. Each container gets a freezer cgroup
// <hierarchy>/freezer/<root>/<id> (on cgroup v2, <hierarchy>/<root>/<id>),
// which its first process joins before it runs, and, with Spec.Namespaces,
// new pid, mount, ipc and uts namespaces in which the program is PID 1 and
// sees its own /proc and a private /tmp. Destroy freezes the cgroup, kills every process in it,
// thaws it, waits until it is empty and removes it, so no process escapes,
// however it forked. Recover finds containers by their cgroups.
//
// It is built with plain clone flags and a re-executed helper rather than
// libcontainer: libcontainer needs cgo in every binary that links it and
// manages all cgroup controllers itself, which the cgroups isolators own.
type Linux struct {
	layout *cgroups.Layout

	mu         sync.Mutex
	containers map[string]*posixContainer
}

// NewLinux returns a linux launcher over layout. It needs root and a
// freezer cgroup controller.
func NewLinux(l *cgroups.Layout) (*Linux, error) {
	if err := l.Require("the linux launcher", "freezer"); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("the linux launcher needs root (it creates namespaces and cgroups); use --launcher=posix")
	}
	return &Linux{layout: l, containers: map[string]*posixContainer{}}, nil
}

// Dir is the container's freezer cgroup directory.
func (l *Linux) Dir(containerID string) string { return l.layout.Dir("freezer", containerID) }

// Fork implements Launcher: the first process is the launch helper (in new
// namespaces if asked); it joins the container's freezer cgroup,
// spec.Isolate runs, and then the helper mounts /proc and /tmp (with
// namespaces) and executes the program.
func (l *Linux) Fork(ctx context.Context, containerID string, spec Spec) (int, error) {
	if err := cgroups.CheckID(containerID); err != nil {
		return 0, fmt.Errorf("fork: %w", err)
	}
	if spec.Path == "" {
		return 0, fmt.Errorf("fork %s: %w", containerID, errNoProgram)
	}
	if spec.Dir == "" {
		return 0, fmt.Errorf("fork %s: the linux launcher needs a sandbox directory", containerID)
	}
	if spec.Rootfs != "" {
		if st, err := os.Stat(spec.Rootfs); err != nil || !st.IsDir() || !filepath.IsAbs(spec.Rootfs) {
			return 0, fmt.Errorf("fork %s: root filesystem %q is not an absolute path to a directory", containerID, spec.Rootfs)
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	l.mu.Lock()
	if _, ok := l.containers[containerID]; ok {
		l.mu.Unlock()
		return 0, fmt.Errorf("fork %s: %w", containerID, ErrAlreadyForked)
	}
	c := &posixContainer{done: make(chan struct{})}
	l.containers[containerID] = c
	l.mu.Unlock()
	fail := func(err error) (int, error) {
		l.mu.Lock()
		delete(l.containers, containerID)
		l.mu.Unlock()
		// The caller's ctx may have ended; a failed fork's cgroup still
		// goes, with a bound of its own.
		dctx, cancel := context.WithTimeout(context.Background(), failedForkCleanup)
		defer cancel()
		_ = l.layout.Destroy(dctx, containerID, "freezer")
		return 0, fmt.Errorf("fork %s: %w", containerID, err)
	}

	dir := l.Dir(containerID)
	if l.layout.Version == cgroups.V1 && l.layout.Exists("freezer", containerID) {
		l.mu.Lock()
		delete(l.containers, containerID)
		l.mu.Unlock()
		return 0, fmt.Errorf("fork %s: its cgroup %s already exists", containerID, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	join := func(pid int) error {
		return os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0)
	}
	var flags uintptr
	ns := spec.Namespaces || spec.Rootfs != ""
	if ns {
		flags = linuxCloneFlags
	}
	pid, cmd, err := startIsolated(ctx, spec, flags, ns, join, false)
	if err != nil {
		return fail(err)
	}
	l.mu.Lock()
	c.pid = pid
	l.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		st := ExitStatus{Status: -1}
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			st = ExitStatus{Status: int(ws), Known: true}
		}
		l.mu.Lock()
		c.status = st
		l.mu.Unlock()
		close(c.done)
	}()
	return pid, nil
}

// Wait implements Launcher.
func (l *Linux) Wait(ctx context.Context, containerID string) (ExitStatus, error) {
	l.mu.Lock()
	c, ok := l.containers[containerID]
	l.mu.Unlock()
	if !ok {
		return ExitStatus{Status: -1}, fmt.Errorf("wait %s: %w", containerID, ErrUnknownContainer)
	}
	select {
	case <-c.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		return c.status, nil
	case <-ctx.Done():
		return ExitStatus{Status: -1}, ctx.Err()
	}
}

// Destroy implements Launcher: freeze, kill and thaw every process of the
// container's cgroup, wait for the first process to be reaped and the
// cgroup to empty, and remove it. It also destroys the cgroup of a
// container this launcher does not know (an orphan from Recover).
func (l *Linux) Destroy(ctx context.Context, containerID string) error {
	if cgroups.CheckID(containerID) != nil {
		return nil
	}
	l.mu.Lock()
	c, ok := l.containers[containerID]
	l.mu.Unlock()
	if err := cgroups.KillAll(ctx, l.Dir(containerID)); err != nil {
		return fmt.Errorf("destroy %s: %w", containerID, err)
	}
	if ok && c.pid > 0 {
		select {
		case <-c.done:
		case <-ctx.Done():
			return fmt.Errorf("destroy %s: %w", containerID, ctx.Err())
		}
	}
	if err := cgroups.Remove(ctx, l.Dir(containerID)); err != nil {
		return fmt.Errorf("destroy %s: %w", containerID, err)
	}
	return nil
}

// Recover implements Launcher. Known containers are adopted (their exit
// status is unknown: they are not this process' children). Containers with
// a cgroup under the root that the agent does not know are returned as
// orphans; Destroy removes them.
func (l *Linux) Recover(ctx context.Context, known map[string]int) ([]string, error) {
	ids, err := l.layout.Containers("freezer")
	if err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, pid := range known {
		if _, ok := l.containers[id]; ok {
			continue
		}
		c := &posixContainer{pid: pid, done: make(chan struct{}), status: ExitStatus{Status: -1}}
		l.containers[id] = c
		if pid > 0 {
			go watchForeign(c)
		} else {
			close(c.done)
		}
	}
	var orphans []string
	for _, id := range ids {
		if _, ok := known[id]; !ok {
			orphans = append(orphans, id)
		}
	}
	sort.Strings(orphans)
	return orphans, nil
}
