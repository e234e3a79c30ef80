package launcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/gomesos/gomesos/isolators/cgroups"
	"golang.org/x/sys/unix"
)

// Posix is the posix launcher: each container's first process leads a new
// session, and Destroy SIGKILLs that session, its process group and the
// process tree below the first process (found through the kernel's
// children files; once the first process is gone, the session's survivors
// are this subreaper's orphans, see posix_reaper.go, and /proc is scanned
// only for a container this process did not fork), or, for a container
// forked with Spec.Cgroup, its process group and every process in that
// cgroup. A container's record (pid and exit
// status) is kept after it ends, so Wait keeps answering; container ids are
// never reused by the agent.
type Posix struct {
	mu         sync.Mutex
	containers map[string]*posixContainer
}

type posixContainer struct {
	pid    int
	cgroup string // Spec.Cgroup: where its processes are, if known
	// adopted: the first process is this subreaper's child, so its
	// session's orphans come back here (posix_reaper.go).
	adopted bool
	done    chan struct{} // closed once the first process has been reaped
	status  ExitStatus    // valid after done
}

// NewPosix returns an empty posix launcher.
func NewPosix() *Posix {
	return &Posix{containers: map[string]*posixContainer{}}
}

// Fork implements Launcher.
func (p *Posix) Fork(ctx context.Context, containerID string, spec Spec) (int, error) {
	if containerID == "" {
		return 0, errors.New("fork: empty container id")
	}
	if spec.Path == "" {
		return 0, errors.New("fork: empty program path")
	}
	if spec.Rootfs != "" || spec.Namespaces {
		return 0, errors.New("fork: the posix launcher has no namespaces or root filesystems (use --launcher=linux)")
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}

	p.mu.Lock()
	if _, ok := p.containers[containerID]; ok {
		p.mu.Unlock()
		return 0, fmt.Errorf("fork %s: %w", containerID, ErrAlreadyForked)
	}
	// Reserve the id so that a concurrent Fork fails.
	c := &posixContainer{done: make(chan struct{})}
	p.containers[containerID] = c
	p.mu.Unlock()

	adopted := subreaper() // before the fork, which inherits it
	proc, err := forkSession(spec)
	var cmd *exec.Cmd
	if errors.Is(err, errNoPtrace) {
		// Without ptrace the child waits at the launch helper's gate.
		_, cmd, err = startIsolated(ctx, spec, 0, false, nil, true)
	}
	if err != nil {
		p.mu.Lock()
		delete(p.containers, containerID)
		p.mu.Unlock()
		return 0, fmt.Errorf("fork %s: %w", containerID, err)
	}
	var pid int
	var wait func() ExitStatus
	if cmd != nil {
		pid, wait = cmd.Process.Pid, func() ExitStatus { return cmdStatus(cmd) }
	} else {
		pid, wait = proc.pid, proc.wait
	}

	p.mu.Lock()
	c.pid = pid
	c.cgroup = spec.Cgroup
	c.adopted = adopted
	p.mu.Unlock()

	go func() {
		st := wait()
		p.mu.Lock()
		c.status = st
		p.mu.Unlock()
		close(c.done)
	}()
	return pid, nil
}

// cmdStatus waits for cmd, a child started through trackFork, and
// returns how it ended.
func cmdStatus(cmd *exec.Cmd) ExitStatus {
	_ = cmd.Wait()
	untrack(cmd.Process.Pid)
	if cmd.ProcessState != nil {
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			return ExitStatus{Status: int(ws), Known: true}
		}
	}
	return ExitStatus{Status: -1}
}

// startIsolated starts the launch helper with the given clone flags, lets
// join (if set) and spec.Isolate move it into the container's cgroups, and
// then lets it run the program, returning once it does (or ctx ends). With
// shellGate (the posix launcher) the gate is /bin/sh rather than the
// re-executed helper binary.
func startIsolated(ctx context.Context, spec Spec, cloneflags uintptr, namespaces bool, join func(pid int) error, shellGate bool) (int, *exec.Cmd, error) {
	// Fail here, as an unhelped fork would, on a program that is missing
	// from the host (inside a root filesystem the helper finds out).
	if spec.Rootfs == "" {
		if _, err := exec.LookPath(spec.Path); err != nil {
			return 0, nil, err
		}
	}
	start := startHelper
	if shellGate && cloneflags == 0 && !namespaces && spec.Rootfs == "" {
		start = startShellGate
	}
	h, err := start(spec, cloneflags, namespaces)
	if err != nil {
		return 0, nil, err
	}
	pid := h.cmd.Process.Pid
	for _, f := range []func(int) error{join, spec.Isolate} {
		if f == nil {
			continue
		}
		if err := f(pid); err != nil {
			h.abort()
			return 0, nil, fmt.Errorf("isolate pid %d: %w", pid, err)
		}
	}
	if err := h.release(ctx); err != nil {
		h.abort()
		return 0, nil, err
	}
	return pid, h.cmd, nil
}

func openOutput(name string) (*os.File, error) {
	if name == "" {
		name = os.DevNull
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	return f, nil
}

func (p *Posix) get(containerID string) (*posixContainer, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.containers[containerID]
	return c, ok
}

// Wait implements Launcher.
func (p *Posix) Wait(ctx context.Context, containerID string) (ExitStatus, error) {
	c, ok := p.get(containerID)
	if !ok {
		return ExitStatus{Status: -1}, fmt.Errorf("wait %s: %w", containerID, ErrUnknownContainer)
	}
	select {
	case <-c.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return c.status, nil
	case <-ctx.Done():
		return ExitStatus{Status: -1}, ctx.Err()
	}
}

// Pid returns the first process' pid of a container, if known.
func (p *Posix) Pid(containerID string) (int, bool) {
	c, ok := p.get(containerID)
	if !ok {
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return c.pid, c.pid > 0
}

// Destroy implements Launcher.
func (p *Posix) Destroy(ctx context.Context, containerID string) error {
	c, ok := p.get(containerID)
	if !ok {
		return nil
	}
	p.mu.Lock()
	pid, cgroup, adopted := c.pid, c.cgroup, c.adopted
	p.mu.Unlock()
	if pid <= 0 {
		return nil
	}
	kill := func(withDescendants bool) error {
		switch {
		case cgroup != "":
			killCgroup(pid, cgroup, withDescendants)
		case withDescendants && killDescendants(pid):
			// While the first process lives its tree is intact; the
			// session's other members are swept once it is reaped.
		case !withDescendants && adopted:
			// Its session's survivors are orphans of ours by now.
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			if ok, err := sweepSession(ctx, pid); ok || err != nil {
				return err
			}
			KillTree(pid, false)
		default:
			KillTree(pid, withDescendants)
		}
		return nil
	}
	// Kill repeatedly until the first process is reaped: a process
	// forked while we were listing is caught by the next round.
	for {
		select {
		case <-c.done:
		default:
			_ = kill(true)
		}
		select {
		case <-c.done:
			// The session may outlive its leader. A session id is not
			// reused while members remain, so this is safe.
			if err := kill(false); err != nil {
				return fmt.Errorf("destroy %s: %w", containerID, err)
			}
			return nil
		case <-ctx.Done():
			return fmt.Errorf("destroy %s: %w", containerID, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// killCgroup is KillTree for a container whose processes are all in a
// cgroup (they cannot leave it): it kills root's process group and
// every process listed in the cgroup, and root itself while it is known
// not to have been reaped, without scanning /proc.
func killCgroup(root int, dir string, withRoot bool) {
	if root <= 1 {
		return
	}
	_ = syscall.Kill(-root, syscall.SIGKILL)
	if withRoot {
		_ = syscall.Kill(root, syscall.SIGKILL)
	}
	pids, err := cgroups.Procs(dir)
	if err != nil {
		KillTree(root, withRoot) // the cgroup cannot list them: find them in /proc
		return
	}
	self := os.Getpid()
	for _, p := range pids {
		if p > 1 && p != self {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	}
}

// Recover implements Launcher. The posix launcher cannot find containers on
// its own; it adopts the given pids so that Destroy and Wait work on them.
func (p *Posix) Recover(ctx context.Context, known map[string]int) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, pid := range known {
		if _, ok := p.containers[id]; ok {
			continue
		}
		c := &posixContainer{pid: pid, done: make(chan struct{}), status: ExitStatus{Status: -1}}
		p.containers[id] = c
		go watchForeign(c)
	}
	return nil, nil
}

// watchForeign waits for a process that is not our child to disappear:
// through a pidfd on Go's poller (no thread, no polling), or by looking
// every 100 ms where pidfds are missing.
func watchForeign(c *posixContainer) {
	defer close(c.done)
	if fd, err := unix.PidfdOpen(c.pid, 0); err == nil {
		if f := pollablePidfd(fd); f != nil {
			defer f.Close()
			if rc, err := f.SyscallConn(); err == nil {
				// Readable once the process has ended (a zombie too); the
				// pid alone could be reused by then.
				first := true
				ended := func(uintptr) bool {
					if first {
						first = false
						return !alive(c.pid)
					}
					return true
				}
				if err := rc.Read(ended); err == nil {
					return
				}
			}
		}
	}
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		if !alive(c.pid) {
			return
		}
	}
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && errors.Is(err, syscall.ESRCH) {
		return false
	}
	st, ok := readStat(pid)
	return ok && st.state != 'Z'
}
