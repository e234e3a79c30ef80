package launcher

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// sessionProc is a container's first process forked by the posix
// launcher: the leader of a new session, this process' child.
type sessionProc struct {
	pid      int
	pidfd    *os.File // readable once the process has exited; nil if none
	released bool     // reaped, its pidfd closed and its record dropped
}

// errNoPtrace says that the child could not ask to be traced (the agent
// itself runs under a tracer, or a seccomp policy forbids ptrace).
var errNoPtrace = errors.New("ptrace is not available")

// ptraceGate is switched off by tests to take the fallback path.
var ptraceGate = true

// forkSession forks spec's program as the leader of a new session, with
// its output appended to spec's files and stdin on /dev/null.
//
// With spec.Isolate set the program must not run before it is isolated.
// The child asks to be traced just before its execve, so the kernel
// stops it right after the exec, before the program's first instruction
// (its dynamic loader included); Isolate then moves it into its cgroups
// and the launcher detaches, which lets it run. This holds the program
// without a gate process of its own (an extra exec per container), and
// Fork returns once the program runs, as the gate did.
func forkSession(spec Spec) (*sessionProc, error) {
	env := spec.Env
	if env == nil {
		env = []string{} // never inherit the agent's environment implicitly
	}
	path, err := programPath(spec.Path, env)
	if err != nil {
		return nil, err
	}
	args := spec.Args
	if len(args) == 0 {
		args = []string{spec.Path}
	}
	gated := spec.Isolate != nil
	if gated && !ptraceGate {
		return nil, errNoPtrace
	}
	f, err := theForker()
	if err != nil {
		return forkHere(spec, path, args, env)
	}
	var pid int
	trackFork(func() int {
		pid, err = forkOnForker(f, path, args, spec, env, gated)
		return pid
	})
	if err != nil {
		return nil, err
	}
	p := &sessionProc{pid: pid}
	if fd, err := unix.PidfdOpen(pid, 0); err == nil {
		p.pidfd = pollablePidfd(fd)
	}
	if !gated {
		return p, nil
	}
	resume := func(pid, sig int) (err error) {
		f.do(func() { err = unix.PtraceCont(pid, sig) })
		return err
	}
	if err := waitExecStop(pid, resume); err != nil {
		if early := (*endedEarly)(nil); errors.As(err, &early) {
			p.release() // reaped already
		} else {
			p.reap() // killed by waitExecStop
		}
		return nil, err
	}
	fail := func(err error) (*sessionProc, error) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		p.reap()
		return nil, err
	}
	if err := spec.Isolate(pid); err != nil {
		return fail(fmt.Errorf("isolate pid %d: %w", pid, err))
	}
	f.do(func() { err = unix.PtraceDetach(pid) })
	if err != nil {
		return fail(fmt.Errorf("let pid %d run: %w", pid, err))
	}
	return p, nil
}

// forkHere is forkSession from the calling thread, for a process whose
// forker thread could not be started.
func forkHere(spec Spec, path string, args, env []string) (*sessionProc, error) {
	stdin, err := devNull()
	if err != nil {
		return nil, err
	}
	stdout, err := openOutput(spec.Stdout)
	if err != nil {
		return nil, err
	}
	defer stdout.Close()
	stderr, err := openOutput(spec.Stderr)
	if err != nil {
		return nil, err
	}
	defer stderr.Close()

	gated := spec.Isolate != nil
	pidfd := -1
	attr := &syscall.ProcAttr{
		Dir:   spec.Dir,
		Env:   env,
		Files: []uintptr{stdin.Fd(), stdout.Fd(), stderr.Fd()},
		Sys:   &syscall.SysProcAttr{Setsid: true, Ptrace: gated, PidFD: &pidfd},
	}
	if gated {
		// Only the thread that forked the tracee may detach it.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	var pid int
	trackFork(func() int {
		pid, err = syscall.ForkExec(path, args, attr)
		return pid
	})
	if err != nil {
		if gated && errors.Is(err, syscall.EPERM) {
			return nil, fmt.Errorf("%w: %v", errNoPtrace, err)
		}
		return nil, &os.PathError{Op: "fork/exec", Path: path, Err: err}
	}
	p := &sessionProc{pid: pid}
	if pidfd >= 0 {
		p.pidfd = pollablePidfd(pidfd)
	}
	if !gated {
		return p, nil
	}
	if err := p.isolateAtExec(spec.Isolate); err != nil {
		return nil, err
	}
	return p, nil
}

// isolateAtExec waits for the traced child's stop at its exec, isolates
// it and lets it run (on the thread that forked it). On failure the
// child is killed and reaped.
func (p *sessionProc) isolateAtExec(isolate func(pid int) error) error {
	fail := func(err error) error {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
		p.reap()
		return err
	}
	if err := waitExecStop(p.pid, unix.PtraceCont); err != nil {
		var early *endedEarly
		if errors.As(err, &early) {
			p.release()
			return err
		}
		return fail(err)
	}
	if err := isolate(p.pid); err != nil {
		return fail(fmt.Errorf("isolate pid %d: %w", p.pid, err))
	}
	if err := unix.PtraceDetach(p.pid); err != nil {
		return fail(fmt.Errorf("let pid %d run: %w", p.pid, err))
	}
	return nil
}

// wait blocks until the process has ended, reaps it and returns how it
// ended. Through the pidfd the wait is a read on Go's poller, so a
// thousand running containers do not hold a thousand threads in wait4.
func (p *sessionProc) wait() ExitStatus {
	if p.pidfd != nil {
		defer p.release()
		rc, err := p.pidfd.SyscallConn()
		if err == nil {
			var st ExitStatus
			rerr := rc.Read(func(uintptr) bool {
				var ws syscall.WaitStatus
				wpid, err := syscall.Wait4(p.pid, &ws, syscall.WNOHANG, nil)
				switch {
				case errors.Is(err, syscall.EINTR):
					return false
				case err != nil:
					st = ExitStatus{Status: -1}
				case wpid == 0:
					return false // still running: wait for the pidfd
				default:
					st = ExitStatus{Status: int(ws), Known: true}
				}
				return true
			})
			if rerr == nil {
				return st
			}
		}
	}
	return p.reap()
}

// reap waits for the process in wait4 (a thread blocks meanwhile).
func (p *sessionProc) reap() ExitStatus {
	defer p.release()
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(p.pid, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return ExitStatus{Status: -1}
		}
		return ExitStatus{Status: int(ws), Known: true}
	}
}

// release closes the pidfd and drops the record of a child that has been
// reaped (the first call does).
func (p *sessionProc) release() {
	if p.released {
		return
	}
	p.released = true
	if p.pidfd != nil {
		p.pidfd.Close()
	}
	untrack(p.pid)
}

// pollablePidfd hands a pidfd to Go's poller (nil if it cannot).
func pollablePidfd(fd int) *os.File {
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), "pidfd")
}

// programPath finds the program: a path with a slash is taken as it is
// (relative to the working directory), a bare name is looked up in the
// container's PATH.
func programPath(name string, env []string) (string, error) {
	if name == "" {
		return "", errNoProgram
	}
	if strings.Contains(name, "/") {
		return name, nil
	}
	path := ""
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	if path == "" {
		path = os.Getenv("PATH")
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: executable file not found in PATH %s", name, path)
}

// devNull is /dev/null, opened once for every child's stdin.
var devNull = sync.OnceValues(func() (*os.File, error) {
	return os.Open(os.DevNull)
})
