package launcher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The launch helper is the binary itself, re-executed by a launcher as the
// container's first process (like Mesos' `mesos-containerizer launch`). It
// reads its orders from fd 3 and waits there until the launcher closes the
// pipe, which it does only once the child has been isolated (moved into its
// cgroups): nothing the program forks can escape them. Its fd 4 is closed
// on exec, and the launcher waits for that before Fork returns, so that a
// container it reports forked already runs its program (the helper is a
// multi-threaded Go process, and a v1 freezer cannot freeze one in the
// middle of execve; see cgroups.KillAll). In the linux
// launcher the helper is PID 1 of new pid, mount, ipc and uts namespaces;
// it mounts a fresh /proc and a private /tmp (the sandbox and the program,
// if they lie under /tmp, are mounted back at their paths; with a root
// filesystem, the sandbox and /dev are mounted into it) and then executes
// the program, which so becomes PID 1 itself.
//
// The hook is a package init function, so every binary that links this
// package (the agent, and the tests) can serve as the helper; it runs only
// when both helperArg0 and helperEnv mark the process.
const (
	helperArg0 = "gomesos-launch-helper"
	helperEnv  = "GOMESOS_LAUNCH_HELPER"
	// Where the sandbox appears inside a container with its own root
	// filesystem (Mesos' default --sandbox_directory).
	SandboxInRootfs = "/mnt/mesos/sandbox"
)

// helperConfig is what the launcher sends the helper on fd 3.
type helperConfig struct {
	Path       string   `json:"path"`
	Args       []string `json:"args"`
	Env        []string `json:"env"`
	Dir        string   `json:"dir"`
	Namespaces bool     `json:"namespaces"` // set up the container's mounts
	Rootfs     string   `json:"rootfs,omitempty"`
}

func init() {
	if len(os.Args) > 0 && os.Args[0] == helperArg0 && os.Getenv(helperEnv) == "1" {
		err := runHelper()
		fmt.Fprintf(os.Stderr, "launch helper: %v\n", err)
		os.Exit(127)
	}
}

// runHelper waits at the gate, sets the container up and executes the
// program; it returns only on failure.
func runHelper() error {
	// fd 4 tells the launcher that the program runs: it closes when the
	// exec succeeds (or when the helper exits).
	unix.CloseOnExec(4)
	gate := os.NewFile(3, "gate")
	data, err := io.ReadAll(gate)
	if err != nil {
		return fmt.Errorf("read the launch config: %w", err)
	}
	gate.Close()
	var cfg helperConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("the launcher closed the gate without a launch config: %w", err)
	}
	if cfg.Namespaces {
		if err := setupMounts(&cfg); err != nil {
			return err
		}
	}
	if cfg.Dir != "" {
		if err := os.Chdir(cfg.Dir); err != nil {
			return err
		}
	}
	path := cfg.Path
	if !strings.Contains(path, "/") {
		if path, err = lookPath(cfg.Path, cfg.Env); err != nil {
			return err
		}
	}
	return syscall.Exec(path, cfg.Args, cfg.Env)
}

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

// setupMounts runs in the helper's new mount namespace: nothing it mounts
// is seen outside.
func setupMounts(cfg *helperConfig) error {
	// Stop mounts from propagating back to the host before anything else.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	sandbox, err := unix.Open(cfg.Dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open the sandbox %s: %w", cfg.Dir, err)
	}
	defer unix.Close(sandbox)
	if cfg.Rootfs != "" {
		return setupRootfs(cfg, fmt.Sprintf("/proc/self/fd/%d", sandbox))
	}
	// A private /tmp. The sandbox and the program, when they lie under
	// /tmp, are mounted back at their own paths.
	if !strings.Contains(cfg.Path, "/") {
		if cfg.Path, err = lookPath(cfg.Path, cfg.Env); err != nil {
			return err
		}
	}
	var keep []string
	for _, p := range []string{cfg.Dir, cfg.Path} {
		if p, err := filepath.Abs(p); err == nil && strings.HasPrefix(p, "/tmp/") {
			keep = append(keep, p)
		}
	}
	fds := make([]int, len(keep))
	for i, p := range keep {
		if fds[i], err = unix.Open(p, unix.O_PATH|unix.O_CLOEXEC, 0); err != nil {
			return fmt.Errorf("open %s: %w", p, err)
		}
		defer unix.Close(fds[i])
	}
	if err := unix.Mount("tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return fmt.Errorf("mount a private /tmp: %w", err)
	}
	for i, p := range keep {
		var st unix.Stat_t
		if err := unix.Fstat(fds[i], &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			err = os.MkdirAll(p, 0o755)
		} else if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
			err = os.WriteFile(p, nil, 0o755)
		}
		if err != nil {
			return err
		}
		if err := unix.Mount(fmt.Sprintf("/proc/self/fd/%d", fds[i]), p, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("mount %s back under the private /tmp: %w", p, err)
		}
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	return nil
}

// setupRootfs makes cfg.Rootfs the container's root with the sandbox at
// SandboxInRootfs, the host's /dev, a fresh /proc and a private /tmp.
func setupRootfs(cfg *helperConfig, sandboxRef string) error {
	root := cfg.Rootfs
	if err := unix.Mount(root, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind the root filesystem %s: %w", root, err)
	}
	for _, d := range []string{"proc", "tmp", "dev", SandboxInRootfs[1:]} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	mounts := []struct {
		src, dst, fstype string
		flags            uintptr
		data             string
	}{
		{sandboxRef, SandboxInRootfs, "", unix.MS_BIND | unix.MS_REC, ""},
		{"/dev", "/dev", "", unix.MS_BIND | unix.MS_REC, ""},
		{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
		{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	}
	for _, m := range mounts {
		if err := unix.Mount(m.src, filepath.Join(root, m.dst), m.fstype, m.flags, m.data); err != nil {
			return fmt.Errorf("mount %s in the root filesystem: %w", m.dst, err)
		}
	}
	if err := unix.Chdir(root); err != nil {
		return err
	}
	// Swap roots without a put_old directory: the old root ends up on top
	// of the new one and is detached at once.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root into %s: %w", root, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the old root: %w", err)
	}
	cfg.Dir = SandboxInRootfs
	for i, e := range cfg.Env {
		if strings.HasPrefix(e, "MESOS_SANDBOX=") {
			cfg.Env[i] = "MESOS_SANDBOX=" + SandboxInRootfs
		}
	}
	return nil
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
	if err := cmd.Start(); err != nil {
		g.closeAll()
		return nil, err
	}
	g.closeChild()
	return &helperProc{cmd: cmd, gate: g.w, execed: g.execed, shellGate: shellGate}, nil
}

// startHelper starts the helper for spec with the given clone flags; it
// waits at its gate until release.
func startHelper(spec Spec, cloneflags uintptr, namespaces bool) (*helperProc, error) {
	g, err := openGate(spec)
	if err != nil {
		return nil, err
	}
	cfg, err := json.Marshal(helperConfig{Path: spec.Path, Args: g.args, Env: g.env, Dir: spec.Dir, Namespaces: namespaces, Rootfs: spec.Rootfs})
	if err != nil {
		g.closeAll()
		return nil, err
	}
	h, err := g.start(&exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{helperArg0},
		Env:         []string{helperEnv + "=1"},
		Dir:         spec.Dir,
		SysProcAttr: &syscall.SysProcAttr{Setsid: true, Cloneflags: cloneflags},
	}, false)
	if err != nil {
		return nil, err
	}
	// The pipe holds the config until the helper reads it; a helper that
	// died early makes this fail.
	if _, err := h.gate.Write(cfg); err != nil {
		h.abort()
		return nil, fmt.Errorf("send the launch config: %w", err)
	}
	return h, nil
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
}

// errNoProgram is returned for a spec without a program.
var errNoProgram = errors.New("empty program path")
