package launcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The launch gate holds a container's first process until the launcher has
// isolated it (moved it into its cgroups), so that nothing it forks
// escapes them, as Mesos' launch helper does. The posix launcher's gate is
// /bin/sh blocked on a pipe (fd 3) that the launcher closes to let the
// program run; fd 4 closes just before the exec, and the launcher waits for
// the exec itself before Fork returns, so that a container it reports
// forked already runs its program (the gate must not be caught in the
// middle of execve by a v1 freezer; see cgroups.KillAll). The linux
// launcher's gate is libcontainer's exec fifo (see linux.go).

// SandboxInRootfs is where the sandbox appears inside a container with its
// own root filesystem (Mesos' default --sandbox_directory).
const SandboxInRootfs = "/mnt/mesos/sandbox"

// lookPath finds a program in the PATH of env (the container's, which may
// differ from the agent's).
func lookPath(name string, env []string) (string, error) {
	path := "/usr/local/bin:/usr/bin:/bin"
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found in PATH %s", name, path)
}

// helperProc is a helper started by a launcher and still held at its gate.
type helperProc struct {
	cmd    *exec.Cmd
	gate   *os.File
	execed *os.File // reads EOF once the helper has executed the program or died
	// shellGate: execed reads EOF just before the shell's exec; release
	// then waits until the process no longer runs the gate script.
	shellGate bool
}

// gateFiles are what a gated child is started with: its output files,
// the gate pipe (the child reads r, the launcher closes w to open it) and
// the exec pipe (execed reads EOF once the child executed or died).
type gateFiles struct {
	stdout, stderr *os.File
	r, w           *os.File
	execed, ew     *os.File
	args, env      []string
}

// openGate opens spec's output files and both pipes. After the child
// started, closeChild closes the child's ends; before (a failure),
// closeAll closes everything.
func openGate(spec Spec) (*gateFiles, error) {
	g := &gateFiles{args: spec.Args, env: spec.Env}
	if len(g.args) == 0 {
		g.args = []string{spec.Path}
	}
	if g.env == nil {
		g.env = []string{}
	}
	var err error
	if g.stdout, err = openOutput(spec.Stdout); err != nil {
		return nil, err
	}
	if g.stderr, err = openOutput(spec.Stderr); err != nil {
		g.closeAll()
		return nil, err
	}
	if g.r, g.w, err = os.Pipe(); err != nil {
		g.closeAll()
		return nil, err
	}
	if g.execed, g.ew, err = os.Pipe(); err != nil {
		g.closeAll()
		return nil, err
	}
	return g, nil
}

// closeChild closes the files the child holds its own copies of.
func (g *gateFiles) closeChild() {
	for _, f := range []*os.File{g.stdout, g.stderr, g.r, g.ew} {
		if f != nil {
			f.Close()
		}
	}
}

// closeAll closes every file (the child was not started).
func (g *gateFiles) closeAll() {
	g.closeChild()
	for _, f := range []*os.File{g.w, g.execed} {
		if f != nil {
			f.Close()
		}
	}
}

// start starts cmd with the gate's files and returns the gated child.
func (g *gateFiles) start(cmd *exec.Cmd, shellGate bool) (*helperProc, error) {
	cmd.Stdout, cmd.Stderr = g.stdout, g.stderr
	cmd.ExtraFiles = []*os.File{g.r, g.ew}
	var err error
	trackFork(func() int {
		if err = cmd.Start(); err != nil {
			return 0
		}
		return cmd.Process.Pid
	})
	if err != nil {
		g.closeAll()
		return nil, err
	}
	g.closeChild()
	return &helperProc{cmd: cmd, gate: g.w, execed: g.execed, shellGate: shellGate}, nil
}

// startHelper starts the gate for a launch without namespaces (the posix
// launcher's): the shell gate. Namespaces and root filesystems are the
// linux launcher's, which starts its containers through libcontainer.
func startHelper(spec Spec, cloneflags uintptr, namespaces bool) (*helperProc, error) {
	if cloneflags != 0 || namespaces || spec.Rootfs != "" {
		return nil, errors.New("namespaces and root filesystems need the linux launcher")
	}
	return startShellGate(spec, cloneflags, namespaces)
}

// shellGateScript holds a child at the gate without the helper binary:
// /bin/sh blocks reading fd 3 until the launcher closes it, closes the
// gate's descriptors and executes the program ($0, looked up in the
// container's PATH) with its arguments. A shell starts in a fraction of
// the time the agent binary takes to start as the helper (a Go runtime
// and every package's init): this is most of a launch's cost with cgroups
// isolation. The shell takes the container's environment as it is, which
// is safe for a POSIX sh run with -c (it reads no startup file, imports
// no functions and ignores an inherited IFS). The program's argv[0] is
// its path (sh has no exec -a).
const shellGateScript = `read -r _ <&3; exec 3<&- 4>&-; exec "$0" "$@" # gomesos-gate`

// startShellGate is startHelper for a launch without namespaces or root
// filesystem, used by the posix launcher: /bin/sh is the gate (the
// launcher closes fd 3 to let the program run; fd 4 closes just before
// the exec, and release then waits for the exec itself).
func startShellGate(spec Spec, _ uintptr, _ bool) (*helperProc, error) {
	g, err := openGate(spec)
	if err != nil {
		return nil, err
	}
	return g.start(&exec.Cmd{
		Path:        "/bin/sh",
		Args:        append([]string{"sh", "-c", shellGateScript, spec.Path}, g.args[1:]...),
		Env:         g.env,
		Dir:         spec.Dir,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}, true)
}

// release opens the gate and waits until the helper has executed the
// program (or failed and exited, which its exit status then tells) or ctx
// ends.
func (h *helperProc) release(ctx context.Context) error {
	if err := h.gate.Close(); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = h.execed.SetReadDeadline(time.Now()) })
	defer stop()
	_, err := io.Copy(io.Discard, h.execed)
	h.execed.Close()
	if err == nil && h.shellGate {
		err = waitGateExec(ctx, h.cmd.Process.Pid)
	}
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return fmt.Errorf("wait for the launch helper to execute the program: %w", err)
	}
	return nil
}

// waitGateExec waits until pid no longer runs the shell gate's script
// (its exec is done, or it exited). The exec follows the closing of fd 4
// at once, so this takes a few polls of /proc/<pid>/cmdline at most. An
// empty cmdline is a process in the middle of its exec (or a zombie,
// which /proc/<pid>/stat tells apart).
func waitGateExec(ctx context.Context, pid int) error {
	file := fmt.Sprintf("/proc/%d/cmdline", pid)
	for wait := 20 * time.Microsecond; ; wait = min(2*wait, 2*time.Millisecond) {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil // gone
		}
		if len(b) == 0 && exitedPid(pid) {
			return nil
		}
		if len(b) > 0 && !strings.Contains(string(b), shellGateScript) {
			return nil // running the program
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// exitedPid tells whether pid is a zombie or gone, from /proc/<pid>/stat.
func exitedPid(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name's closing parenthesis.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 || i+2 >= len(b) {
		return true
	}
	st := b[i+2]
	return st == 'Z' || st == 'X'
}

// abort kills a helper that must not run the program, and reaps it.
func (h *helperProc) abort() {
	_ = h.cmd.Process.Kill()
	h.gate.Close()
	h.execed.Close()
	_ = h.cmd.Wait()
	untrack(h.cmd.Process.Pid)
}

// errNoProgram is returned for a spec without a program.
var errNoProgram = errors.New("empty program path")
