package launcher

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// forker forks the posix launcher's children from one thread that has a
// file descriptor table of its own, holding almost nothing. A child
// copies its parent thread's table at the fork and closes every
// close-on-exec descriptor in it at the exec; an agent with a thousand
// containers holds two descriptors each (a pidfd and an OOM eventfd), so
// from any other thread every launch would copy and close thousands.
//
// The forker's goroutine never leaves its thread (only the thread that
// forked a traced child may detach it), and files a child inherits are
// opened there, in that table. The runtime's own descriptors (its
// poller) stay in the table: the runtime may use them on any thread.
type forker struct {
	reqs chan func()
	null int // /dev/null in the forker's table, every child's stdin
}

// forkers are started on first use; nil with an error when a thread
// could not get a table of its own (then children fork from any thread).
// Forks take turns anyway (syscall.ForkLock); more than one forker keeps
// a child's detach from waiting behind another child's fork.
var forkers = sync.OnceValues(func() ([]*forker, error) {
	fs := make([]*forker, 4)
	for i := range fs {
		f, err := startForker()
		if err != nil {
			return nil, err
		}
		fs[i] = f
	}
	return fs, nil
})

var nextForker atomic.Uint32

// theForker is one of the forkers, in turn.
func theForker() (*forker, error) {
	fs, err := forkers()
	if err != nil {
		return nil, err
	}
	return fs[int(nextForker.Add(1))%len(fs)], nil
}

func startForker() (*forker, error) {
	f := &forker{reqs: make(chan func())}
	ready := make(chan error)
	go f.run(ready)
	if err := <-ready; err != nil {
		return nil, fmt.Errorf("a thread with a table of its own: %w", err)
	}
	return f, nil
}

// run takes a thread for good, gives it a table of its own and serves
// requests on it.
func (f *forker) run(ready chan<- error) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// The main thread's table is the one /proc/<pid>/fd shows: hold
		// this thread until another goroutine has locked another one.
		locked := make(chan error)
		go f.run(locked)
		err := <-locked
		runtime.UnlockOSThread()
		ready <- err
		return
	}
	// Go's poller must exist before the copy: the runtime may use its
	// descriptors on any thread (a GC started by an allocation here
	// polls the network), so they are kept.
	if r, w, err := os.Pipe(); err == nil {
		r.Close()
		w.Close()
	}
	if err := unix.Unshare(unix.CLONE_FILES); err != nil {
		runtime.UnlockOSThread()
		ready <- err
		return
	}
	if err := closeAllButRuntime(); err != nil {
		ready <- err
		return // the thread ends with its goroutine
	}
	null, err := unix.Open(os.DevNull, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		ready <- err
		return
	}
	f.null = null
	ready <- nil
	for req := range f.reqs {
		req()
	}
}

// closeAllButRuntime closes, in this thread's copy of the table, every
// descriptor but stdin, stdout, stderr and the runtime's poller (an epoll
// instance and an eventfd; the few other eventfds open at this point,
// such as recovered containers' OOM watches, stay too).
func closeAllButRuntime() error {
	ents, err := os.ReadDir("/proc/thread-self/fd")
	if err != nil {
		return err
	}
	var fds []int
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			fds = append(fds, fd)
		}
	}
	for _, fd := range fds {
		link, err := os.Readlink("/proc/thread-self/fd/" + strconv.Itoa(fd))
		if err != nil {
			continue // the directory's own descriptor, closed by now
		}
		if link == "anon_inode:[eventpoll]" || link == "anon_inode:[eventfd]" {
			continue
		}
		if err := unix.Close(fd); err != nil && !errors.Is(err, unix.EBADF) {
			return err
		}
	}
	return nil
}

// do runs fn on the forker's thread and waits for it.
func (f *forker) do(fn func()) {
	done := make(chan struct{})
	f.reqs <- func() { fn(); close(done) }
	<-done
}

// forkOnForker is forkSession's fork on the forker's thread: it returns
// the child's pid; a traced child then stops at its exec, and only the
// forker's thread may resume or detach it.
func forkOnForker(f *forker, path string, args []string, spec Spec, env []string, traced bool) (int, error) {
	var pid int
	var err error
	f.do(func() {
		var stdout, stderr int
		stdin := f.null
		if stdout, err = openOutputFd(spec.Stdout); err != nil {
			return
		}
		defer unix.Close(stdout)
		if stderr, err = openOutputFd(spec.Stderr); err != nil {
			return
		}
		defer unix.Close(stderr)
		pid, err = syscall.ForkExec(path, args, &syscall.ProcAttr{
			Dir:   spec.Dir,
			Env:   env,
			Files: []uintptr{uintptr(stdin), uintptr(stdout), uintptr(stderr)},
			Sys:   &syscall.SysProcAttr{Setsid: true, Ptrace: traced},
		})
		if err != nil {
			if traced && errors.Is(err, syscall.EPERM) {
				err = fmt.Errorf("%w: %v", errNoPtrace, err)
			} else {
				err = &os.PathError{Op: "fork/exec", Path: path, Err: err}
			}
			return
		}
	})
	return pid, err
}

// openOutputFd is openOutput as a bare descriptor (in the calling
// thread's table).
func openOutputFd(name string) (int, error) {
	if name == "" {
		name = os.DevNull
	}
	fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_APPEND|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return fd, nil
}

// waitExecStop waits until the traced child stops at its exec (any
// thread may wait); resume delivers a signal that came before the exec
// (on the tracer's thread). If the child ended instead, it has been
// reaped and the error says how it ended; after another error it has
// been killed.
func waitExecStop(pid int, resume func(pid, sig int) error) error {
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(pid, &ws, syscall.WALL, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			return fmt.Errorf("wait for pid %d to execute the program: %w", pid, err)
		}
		if !ws.Stopped() {
			return &endedEarly{pid: pid, status: ws}
		}
		if sig := ws.StopSignal(); sig != syscall.SIGTRAP {
			if err := resume(pid, int(sig)); err != nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				return fmt.Errorf("resume pid %d: %w", pid, err)
			}
			continue
		}
		return nil
	}
}

// endedEarly is a traced child that ended before its exec stop (it has
// been reaped).
type endedEarly struct {
	pid    int
	status syscall.WaitStatus
}

func (e *endedEarly) Error() string {
	return fmt.Sprintf("pid %d ended before it was isolated (wait status %d)", e.pid, int(e.status))
}
