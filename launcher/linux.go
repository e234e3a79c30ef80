//go:build linux && cgo

package launcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	occgroups "github.com/opencontainers/cgroups"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	"golang.org/x/sys/unix"

	"github.com/gomesos/gomesos/isolators/cgroups"
)

// failedForkCleanup bounds the destruction of a failed fork's cgroup.
const failedForkCleanup = 30 * time.Second

// Linux is the linux launcher, built on runc's libcontainer. Each container
// is a libcontainer container whose only cgroup is a freezer cgroup
// <hierarchy>/freezer/<root>/<id> (on cgroup v2, <hierarchy>/<root>/<id>)
// that the launcher owns: the cgroups isolators own the controllers that
// limit it. The container always has a mount namespace of its own, so
// nothing it mounts reaches the host; with Spec.Namespaces it also has new
// pid, ipc and uts namespaces, in which the program is PID 1 and sees its
// own /proc and a private /tmp. Destroy freezes the cgroup, kills every
// process in it, thaws it, waits until it is empty and removes it and the
// container's state, so no process escapes, however it forked. Recover
// finds containers by their cgroups and by libcontainer's state.
type Linux struct {
	layout *cgroups.Layout
	state  string // libcontainer's state root

	// stateMu orders the creation of a container's state directory with
	// the removal of the emptied state root.
	stateMu sync.Mutex

	mu         sync.Mutex
	containers map[string]*linuxContainer
}

type linuxContainer struct {
	pid    int
	done   chan struct{} // closed once the first process has ended
	status ExitStatus    // valid after done
	lc     *libcontainer.Container
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
	return &Linux{layout: l, state: LinuxStateDir(l.Root), containers: map[string]*linuxContainer{}}, nil
}

// Dir is the container's freezer cgroup directory.
func (l *Linux) Dir(containerID string) string { return l.layout.Dir("freezer", containerID) }

// StateDir is where libcontainer keeps the state of this launcher's
// containers.
func (l *Linux) StateDir() string { return l.state }

// Fork implements Launcher. libcontainer starts the container's init (this
// binary re-executed, see libcontainer_init.go), which joins the freezer
// cgroup, sets up the mounts and waits at libcontainer's exec fifo;
// spec.Isolate runs then, and only after it the init executes the program.
// Fork returns once it has.
func (l *Linux) Fork(ctx context.Context, containerID string, spec Spec) (int, error) {
	if err := cgroups.CheckID(containerID); err != nil {
		return 0, fmt.Errorf("fork: %w", err)
	}
	if !validLibcontainerID(containerID) {
		return 0, fmt.Errorf("fork: container id %q: the linux launcher takes letters, digits and _ + - . only", containerID)
	}
	if spec.Path == "" {
		return 0, fmt.Errorf("fork %s: %w", containerID, errNoProgram)
	}
	if spec.Dir == "" || !filepath.IsAbs(spec.Dir) {
		return 0, fmt.Errorf("fork %s: the linux launcher needs an absolute sandbox directory", containerID)
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
	c := &linuxContainer{done: make(chan struct{})}
	l.containers[containerID] = c
	l.mu.Unlock()
	forget := func() {
		l.mu.Lock()
		delete(l.containers, containerID)
		l.mu.Unlock()
	}

	dir := l.Dir(containerID)
	if l.layout.Version == cgroups.V1 && l.layout.Exists("freezer", containerID) {
		forget()
		return 0, fmt.Errorf("fork %s: its cgroup %s already exists", containerID, dir)
	}
	if _, err := os.Stat(filepath.Join(l.state, containerID)); err == nil {
		forget()
		return 0, fmt.Errorf("fork %s: its libcontainer state %s already exists", containerID, filepath.Join(l.state, containerID))
	}
	var lc *libcontainer.Container
	var proc *libcontainer.Process
	fail := func(err error) (int, error) {
		forget()
		// The caller's ctx may have ended; a failed fork's cgroup still
		// goes, with a bound of its own.
		dctx, cancel := context.WithTimeout(context.Background(), failedForkCleanup)
		defer cancel()
		_ = cgroups.KillAll(dctx, dir)
		if proc != nil {
			_, _ = proc.Wait()
			if pid, err := proc.Pid(); err == nil {
				untrack(pid)
			}
		}
		if lc != nil {
			_ = lc.Destroy()
		}
		_ = cgroups.Remove(dctx, dir)
		l.removeState(containerID)
		return 0, fmt.Errorf("fork %s: %w", containerID, err)
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	cfg, args, cwd, env, err := l.config(containerID, spec)
	if err != nil {
		return fail(err)
	}
	if lc, err = l.create(containerID, cfg, dir); err != nil {
		return fail(err)
	}
	stdout, err := openOutput(spec.Stdout)
	if err != nil {
		return fail(err)
	}
	defer stdout.Close()
	stderr, err := openOutput(spec.Stderr)
	if err != nil {
		return fail(err)
	}
	defer stderr.Close()
	p := &libcontainer.Process{Args: args, Env: env, Cwd: cwd, Stdout: stdout, Stderr: stderr, Init: true}
	// The init leads a session of its own and is our child (CLONE_PARENT):
	// recorded before a sweep of adopted orphans could take it for one.
	trackFork(func() int {
		if err = lc.Start(p); err != nil {
			return 0
		}
		proc = p
		pid, _ := p.Pid()
		return pid
	})
	if err != nil {
		return fail(err)
	}
	pid, err := p.Pid()
	if err != nil {
		return fail(err)
	}
	initExe, ok := exeOf(pid)
	if !ok {
		// Without it the wait below could not tell the init from the program.
		return fail(fmt.Errorf("identify the container's init (pid %d)", pid))
	}
	if spec.Isolate != nil {
		if err := spec.Isolate(pid); err != nil {
			return fail(fmt.Errorf("isolate pid %d: %w", pid, err))
		}
	}
	if err := lc.Exec(); err != nil {
		return fail(fmt.Errorf("start the program: %w", err))
	}
	if err := waitExec(ctx, pid, initExe); err != nil {
		return fail(fmt.Errorf("wait for the container to execute the program: %w", err))
	}
	l.mu.Lock()
	c.pid, c.lc = pid, lc
	l.mu.Unlock()
	go func() {
		ps, _ := p.Wait()
		untrack(pid)
		st := ExitStatus{Status: -1}
		if ps != nil {
			if ws, ok := ps.Sys().(syscall.WaitStatus); ok {
				st = ExitStatus{Status: int(ws), Known: true}
			}
		}
		l.mu.Lock()
		c.status = st
		l.mu.Unlock()
		close(c.done)
	}()
	return pid, nil
}

// config is the libcontainer configuration of a container, with the
// program's argv, working directory and environment inside it.
func (l *Linux) config(containerID string, spec Spec) (cfg *configs.Config, args []string, cwd string, env []string, err error) {
	// libcontainer runs argv[0], looked up in the container's PATH.
	args = []string{spec.Path}
	if len(spec.Args) > 1 {
		args = append(args, spec.Args[1:]...)
	}
	env = append([]string{}, spec.Env...)
	cwd = spec.Dir
	ns := spec.Namespaces || spec.Rootfs != ""
	cfg = &configs.Config{
		Namespaces: configs.Namespaces{{Type: configs.NEWNS}},
		Cgroups: &occgroups.Cgroup{
			Path:      l.layout.Path(containerID),
			Resources: &occgroups.Resources{},
		},
	}
	if ns {
		cfg.Namespaces = append(cfg.Namespaces,
			configs.Namespace{Type: configs.NEWPID},
			configs.Namespace{Type: configs.NEWIPC},
			configs.Namespace{Type: configs.NEWUTS})
	}
	const bindRec = unix.MS_BIND | unix.MS_REC
	procMount := &configs.Mount{Source: "proc", Destination: "/proc", Device: "proc", Flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC}
	tmpfs := &configs.Mount{Source: "tmpfs", Destination: "/tmp", Device: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV, Data: "mode=1777"}
	if spec.Rootfs != "" {
		// The image's own root, with the sandbox, the host's /dev, a
		// fresh /proc and a private /tmp.
		cfg.Rootfs = spec.Rootfs
		cfg.Mounts = []*configs.Mount{
			{Source: spec.Dir, Destination: SandboxInRootfs, Device: "bind", Flags: bindRec},
			{Source: "/dev", Destination: "/dev", Device: "bind", Flags: bindRec},
			tmpfs,
			procMount,
		}
		cwd = SandboxInRootfs
		for i, e := range env {
			if strings.HasPrefix(e, "MESOS_SANDBOX=") {
				env[i] = "MESOS_SANDBOX=" + SandboxInRootfs
			}
		}
		return cfg, args, cwd, env, nil
	}
	// The host's root, seen through a skeleton of it whose directories are
	// bind mounts of the host's (libcontainer cannot pivot into / itself).
	skel, entries, err := l.hostSkeleton()
	if err != nil {
		return nil, nil, "", nil, err
	}
	cfg.Rootfs = skel
	for _, e := range entries {
		if ns && (e == "proc" || e == "tmp") {
			continue
		}
		cfg.Mounts = append(cfg.Mounts, &configs.Mount{Source: "/" + e, Destination: "/" + e, Device: "bind", Flags: bindRec})
	}
	if !ns {
		return cfg, args, cwd, env, nil
	}
	// A fresh /proc and a private /tmp; the sandbox and the program, when
	// they lie under /tmp, are mounted back at their own paths.
	cfg.Mounts = append(cfg.Mounts, procMount, tmpfs)
	prog := spec.Path
	if !strings.Contains(prog, "/") {
		if prog, err = lookPath(prog, env); err != nil {
			return nil, nil, "", nil, err
		}
	}
	for _, p := range []string{spec.Dir, prog} {
		if p = filepath.Clean(p); strings.HasPrefix(p, "/tmp/") {
			cfg.Mounts = append(cfg.Mounts, &configs.Mount{Source: p, Destination: p, Device: "bind", Flags: bindRec})
		}
	}
	return cfg, args, cwd, env, nil
}

// hostSkeleton makes (or completes) a directory that mirrors the entries
// of the host's root: an empty directory or file for each directory or
// file, to bind the host's onto, and the same symbolic links. It returns
// it and the names to bind. Every linux launcher on the host shares it.
func (l *Linux) hostSkeleton() (string, []string, error) {
	skel := filepath.Join(StateBase, ".hostroot")
	if err := os.MkdirAll(skel, 0o755); err != nil {
		return "", nil, err
	}
	ents, err := os.ReadDir("/")
	if err != nil {
		return "", nil, err
	}
	var binds []string
	for _, e := range ents {
		name, at := e.Name(), filepath.Join(skel, e.Name())
		switch {
		case e.Type()&os.ModeSymlink != 0:
			target, err := os.Readlink("/" + name)
			if err != nil {
				return "", nil, err
			}
			if err := os.Symlink(target, at); err != nil && !errors.Is(err, os.ErrExist) {
				return "", nil, err
			}
		case e.IsDir():
			if err := os.Mkdir(at, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				return "", nil, err
			}
			binds = append(binds, name)
		case e.Type().IsRegular():
			f, err := os.OpenFile(at, os.O_CREATE|os.O_RDONLY, 0o644)
			if err != nil {
				return "", nil, err
			}
			f.Close()
			binds = append(binds, name)
		}
	}
	return skel, binds, nil
}

// create makes the libcontainer container whose cgroups are exactly the
// given freezer (or v2) cgroup. libcontainer's Create would put the
// container into a cgroup of its own in every hierarchy and remove them
// all on Destroy, the isolators' included; only its Load takes the cgroup
// paths as they are. So the launcher writes the state of a container that
// has not started yet, with those paths, and loads it. libcontainer's v1
// manager insists on a devices cgroup to join: the container has no device
// rules (its devices are the host's, as before), and its own cgroup stands
// in for it, which joining twice leaves unchanged.
func (l *Linux) create(containerID string, cfg *configs.Config, dir string) (*libcontainer.Container, error) {
	paths := map[string]string{"freezer": dir, "devices": dir}
	if l.layout.Version == cgroups.V2 {
		paths = map[string]string{"": dir}
		if !occgroups.IsCgroup2UnifiedMode() {
			// A hybrid host: libcontainer's v1 manager, on the
			// unified hierarchy's cgroup.
			paths["devices"] = dir
		}
	}
	sd := filepath.Join(l.state, containerID)
	l.stateMu.Lock()
	err := os.MkdirAll(l.state, 0o700)
	if err == nil {
		err = os.Mkdir(sd, 0o711)
	}
	l.stateMu.Unlock()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(libcontainer.State{
		BaseState:   libcontainer.BaseState{ID: containerID, Config: *cfg},
		CgroupPaths: paths,
	})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(sd, "state.json"), b, 0o600); err != nil {
		return nil, err
	}
	return libcontainer.Load(l.state, containerID)
}

// removeState removes a container's libcontainer state directory, and the
// state root once it is empty.
func (l *Linux) removeState(containerID string) {
	if !validLibcontainerID(containerID) {
		return
	}
	_ = os.RemoveAll(filepath.Join(l.state, containerID))
	l.stateMu.Lock()
	_ = os.Remove(l.state)
	l.stateMu.Unlock()
}

// exeOf identifies the program a process runs.
func exeOf(pid int) ([2]uint64, bool) {
	var st unix.Stat_t
	if err := unix.Stat(fmt.Sprintf("/proc/%d/exe", pid), &st); err != nil {
		return [2]uint64{}, false
	}
	return [2]uint64{st.Dev, st.Ino}, true
}

// waitExec waits until pid no longer runs the container's init binary
// (identified by initExe) and its new arguments are in place: it runs the
// program, or it has ended. libcontainer's Exec returns once the init has
// left its fifo, a moment before its execve. In the middle of an execve
// /proc/<pid>/exe can be unreadable, and the new image's cmdline is empty
// until the kernel has set up its stack, so neither alone says it is done.
func waitExec(ctx context.Context, pid int, initExe [2]uint64) error {
	var switched time.Time
	for wait := 20 * time.Microsecond; ; wait = min(2*wait, 2*time.Millisecond) {
		if exitedPid(pid) {
			return nil
		}
		if exe, ok := exeOf(pid); ok && exe != initExe {
			if hasCmdline(pid) {
				return nil
			}
			// A program started with no arguments at all never shows any.
			if switched.IsZero() {
				switched = time.Now()
			} else if time.Since(switched) > 100*time.Millisecond {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// hasCmdline reports whether pid's command line is readable and not empty.
func hasCmdline(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && len(b) > 0
}

// validLibcontainerID reports whether libcontainer accepts id.
func validLibcontainerID(id string) bool {
	if id == "" || id == "." || id == ".." {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '+', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
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
// container's cgroup, wait for the first process to end and the cgroup to
// empty, and remove the cgroup and libcontainer's state. It also destroys
// a container this launcher does not know (an orphan from Recover).
func (l *Linux) Destroy(ctx context.Context, containerID string) error {
	if cgroups.CheckID(containerID) != nil {
		return nil
	}
	l.mu.Lock()
	c, ok := l.containers[containerID]
	l.mu.Unlock()
	dir := l.Dir(containerID)
	if err := cgroups.KillAll(ctx, dir); err != nil {
		return fmt.Errorf("destroy %s: %w", containerID, err)
	}
	if ok && c.pid > 0 {
		select {
		case <-c.done:
		case <-ctx.Done():
			return fmt.Errorf("destroy %s: %w", containerID, ctx.Err())
		}
	}
	var lc *libcontainer.Container
	if ok {
		l.mu.Lock()
		lc = c.lc
		l.mu.Unlock()
	}
	if lc == nil && validLibcontainerID(containerID) {
		lc, _ = libcontainer.Load(l.state, containerID)
	}
	var lcErr error
	if lc != nil {
		lcErr = lc.Destroy() // the cgroup and state are removed below in any case
	}
	if err := cgroups.Remove(ctx, dir); err != nil {
		return fmt.Errorf("destroy %s: %w", containerID, errors.Join(err, lcErr))
	}
	l.removeState(containerID)
	return nil
}

// Recover implements Launcher. Known containers are adopted (their exit
// status is unknown: they are not this process' children). Containers
// with a cgroup under the root, or a libcontainer state, that the agent
// does not know are returned as orphans; Destroy removes them.
func (l *Linux) Recover(ctx context.Context, known map[string]int) ([]string, error) {
	ids, err := l.layout.Containers("freezer")
	if err != nil {
		return nil, fmt.Errorf("recover: %w", err)
	}
	ents, err := os.ReadDir(l.state)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("recover: %w", err)
	}
	for _, e := range ents {
		if e.IsDir() && validLibcontainerID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, pid := range known {
		if _, ok := l.containers[id]; ok {
			continue
		}
		c := &linuxContainer{pid: pid, done: make(chan struct{}), status: ExitStatus{Status: -1}}
		if validLibcontainerID(id) {
			c.lc, _ = libcontainer.Load(l.state, id)
		}
		l.containers[id] = c
		if pid > 0 {
			go watchForeignPid(pid, c.done)
		} else {
			close(c.done)
		}
	}
	seen := map[string]bool{}
	var orphans []string
	for _, id := range ids {
		if _, ok := known[id]; !ok && !seen[id] {
			seen[id] = true
			orphans = append(orphans, id)
		}
	}
	sort.Strings(orphans)
	return orphans, nil
}

// watchForeignPid closes done once pid, not our child, has ended.
func watchForeignPid(pid int, done chan struct{}) {
	c := &posixContainer{pid: pid, done: done}
	watchForeign(c)
}
