// Package launcher starts and stops the processes of containers.
//
// A Launcher forks a container's first process (the executor) and later kills
// every process of that container. The posix launcher puts the child into a
// session of its own (setsid) and kills the whole session and process group
// on Destroy; processes that leave the session are not tracked, as in Mesos'
// posix launcher. The linux launcher gives each container a freezer cgroup
// (the unified cgroup on v2) and, when asked, new pid, mount, ipc and uts
// namespaces, with a private /tmp and optionally a root filesystem of its
// own; Destroy kills every process of the cgroup, however it forked, and
// removes it.
//
// When Spec.Isolate is set, the program must not run before Isolate has
// moved it into the container's cgroups, so that nothing escapes them.
// The posix launcher has the kernel stop the child right after its exec
// (ptrace), before the program's first instruction, and lets it go once
// isolated (posix_fork.go; where ptrace is not available, a shell holds
// it at a gate); the linux launcher's first process is the launch helper
// (this binary re-executed, see helper.go), held at a gate likewise. The
// posix launcher forks from threads with a descriptor table of their own
// (posix_forker.go), kills through Spec.Cgroup when it is set, and waits
// for its children through pidfds on Go's poller. It makes its process a
// child subreaper, so that a container's processes whose parents died come
// back to it: Destroy finds them without scanning /proc, and they are
// reaped when they end (posix_reaper.go).
package launcher

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/gomesos/gomesos/isolators/cgroups"
)

// Spec says what to fork and where its output goes.
type Spec struct {
	// Path is the program to run; Args is its full argv (Args[0] included).
	// If Args is empty, argv is {Path}.
	Path string
	Args []string
	// Env is the complete environment, "KEY=value" entries.
	Env []string
	// Dir is the working directory (the sandbox).
	Dir string
	// Stdout and Stderr name files that receive the output; they are opened
	// for appending and created if missing. Empty means /dev/null.
	Stdout string
	Stderr string
	// Isolate, if set, is called with the child's pid after the fork and
	// before the program runs: the containerizer calls its isolators'
	// Isolate here. An error kills the child and fails Fork.
	Isolate func(pid int) error
	// Cgroup, if set, is a cgroup directory that holds every process of
	// the container once Isolate has run (the containerizer passes one
	// its cgroups isolators created). The posix launcher's Destroy kills
	// what it lists there instead of scanning /proc for the session.
	Cgroup string
	// Namespaces, for the linux launcher only, runs the program in new
	// pid, mount, ipc and uts namespaces (isolators.LaunchInfo.Namespaces,
	// from the namespaces/pid isolator): it is PID 1 there, with a fresh
	// /proc and a private /tmp.
	Namespaces bool
	// Rootfs, for the linux launcher only, is a local directory to use as
	// the container's root filesystem (it implies Namespaces); the sandbox
	// appears inside it at SandboxInRootfs and MESOS_SANDBOX is set to
	// match. Empty means the host's root.
	Rootfs string
}

// ExitStatus is how a process ended, in wait(2) terms.
type ExitStatus struct {
	// Status is the raw wait status (as Mesos' ContainerTermination.status).
	Status int
	// Known is false when the launcher could not reap the process (for
	// example one recovered from an earlier agent run); Status is then -1.
	Known bool
}

// Exited reports whether the process exited normally.
func (s ExitStatus) Exited() bool {
	return s.Known && syscall.WaitStatus(s.Status).Exited()
}

// ExitCode is the exit code of a normal exit, or -1.
func (s ExitStatus) ExitCode() int {
	if !s.Exited() {
		return -1
	}
	return syscall.WaitStatus(s.Status).ExitStatus()
}

// Signaled reports whether a signal ended the process.
func (s ExitStatus) Signaled() bool {
	return s.Known && syscall.WaitStatus(s.Status).Signaled()
}

// Signal is the terminating signal, if any.
func (s ExitStatus) Signal() syscall.Signal {
	if !s.Signaled() {
		return 0
	}
	return syscall.WaitStatus(s.Status).Signal()
}

// String describes the status the way Mesos logs it.
func (s ExitStatus) String() string {
	switch {
	case !s.Known:
		return "unknown status"
	case s.Exited():
		return fmt.Sprintf("exited with status %d", s.ExitCode())
	case s.Signaled():
		return fmt.Sprintf("terminated with signal %s", s.Signal())
	default:
		return fmt.Sprintf("wait status %d", s.Status)
	}
}

// Launcher forks and destroys containers. Container ids are the agent's
// ContainerID values. Implementations are safe for concurrent use.
type Launcher interface {
	// Fork starts the container's first process and returns its pid.
	Fork(ctx context.Context, containerID string, spec Spec) (int, error)
	// Wait blocks until the container's first process has ended (or ctx
	// ends) and returns how it ended. It may be called several times.
	Wait(ctx context.Context, containerID string) (ExitStatus, error)
	// Destroy kills every process of the container with SIGKILL and returns
	// once the first process has been reaped. Destroying an unknown or
	// already destroyed container is not an error.
	Destroy(ctx context.Context, containerID string) error
	// Recover tells the launcher which containers the agent knows after a
	// restart (container id → pid, from the agent's checkpoints; the
	// containerizer's Recover calls it). The launcher adopts them, so that
	// Wait and Destroy work on them; their exit status is unknown, as they
	// are not this process' children. It returns the ids of orphans:
	// containers the launcher finds that are not in known, which the caller
	// should destroy. The linux launcher finds containers by their cgroups;
	// the posix launcher cannot find any on its own and reports none.
	Recover(ctx context.Context, known map[string]int) (orphans []string, err error)
}

// ErrUnknownContainer is returned for container ids the launcher never forked.
var ErrUnknownContainer = errors.New("unknown container")

// ErrAlreadyForked is returned when Fork is called twice for one container.
var ErrAlreadyForked = errors.New("container already forked")

// Options configure the linux launcher: where its cgroups live
// (--cgroups_hierarchy, --cgroups_root; defaults /sys/fs/cgroup and mesos).
type Options struct {
	CgroupsHierarchy string
	CgroupsRoot      string
}

// New returns the launcher called name ("posix" or "linux") with default
// options.
func New(name string) (Launcher, error) {
	return NewWithOptions(name, Options{})
}

// NewWithOptions returns the launcher called name. The linux launcher is an
// error on a host without a freezer cgroup or when not running as root.
func NewWithOptions(name string, o Options) (Launcher, error) {
	switch name {
	case "", "posix":
		return NewPosix(), nil
	case "linux":
		l, err := cgroups.NewLayout(o.CgroupsHierarchy, o.CgroupsRoot)
		if err != nil {
			return nil, err
		}
		return NewLinux(l)
	default:
		return nil, fmt.Errorf("unknown launcher %q (supported: posix, linux)", name)
	}
}
