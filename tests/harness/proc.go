package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a gomesos binary running as a child process of the test. Its
// stdout and stderr are kept; it is killed when the test ends.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{}
	err  error
}

// StartProc runs bin from Binaries with args.
func StartProc(t testing.TB, bin string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Name: bin, done: make(chan struct{})}
	p.Cmd = exec.Command(Binaries(t)+"/"+bin, args...)
	p.Cmd.Stdout = &p.out
	p.Cmd.Stderr = &p.out
	p.Cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.Cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { p.err = p.Cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("--- output of %s %s:\n%s", bin, strings.Join(args, " "), p.Output())
		}
	})
	return p
}

// Kill stops the process group with SIGKILL and waits for it.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Signal sends sig to the process only.
func (p *Proc) Signal(sig syscall.Signal) { _ = p.Cmd.Process.Signal(sig) }

// Wait waits for the process to exit and returns its exit code.
func (p *Proc) Wait(timeout time.Duration) (int, error) {
	select {
	case <-p.done:
	case <-time.After(timeout):
		return -1, fmt.Errorf("%s still running after %v", p.Name, timeout)
	}
	if p.err == nil {
		return 0, nil
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	return -1, p.err
}

// Output is everything the process printed so far.
func (p *Proc) Output() string { return p.out.String() }

// WaitOutput waits until the output matches re and returns the first
// submatch (or the whole match).
func (p *Proc) WaitOutput(t testing.TB, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	var got string
	Eventually(t, timeout, func() bool {
		m := re.FindStringSubmatch(p.Output())
		if m == nil {
			select {
			case <-p.done:
				t.Fatalf("%s exited before printing %q:\n%s", p.Name, re, p.Output())
			default:
			}
			return false
		}
		got = m[len(m)-1]
		return true
	}, fmt.Sprintf("%s to print %q", p.Name, re))
	return got
}

// HTTPAddr is what the daemons log once they serve HTTP.
var HTTPAddr = regexp.MustCompile(`HTTP on http://([0-9.]+:[0-9]+)`)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ProcOptions shape a cluster of real processes.
type ProcOptions struct {
	Agents         int      // default 1
	AgentResources string   // default "cpus:2;mem:1024;disk:1024;ports:[31000-31100]"
	MasterArgs     []string // extra mesos-master flags
	AgentArgs      []string // extra mesos-agent flags, for every agent
}

// ProcCluster is bin/mesos-master and bin/mesos-agent processes on loopback,
// on ports the OS picked.
type ProcCluster struct {
	Master  *Proc
	Agents  []*Proc
	Addr    string // the master's HTTP host:port, what --master takes
	WorkDir string
	t       testing.TB
	opts    ProcOptions
}

// StartProcs starts a master and its agents and waits until every agent is
// registered. Everything is killed when the test ends.
func StartProcs(t testing.TB, opts ProcOptions) *ProcCluster {
	t.Helper()
	if opts.Agents == 0 {
		opts.Agents = 1
	}
	if opts.AgentResources == "" {
		opts.AgentResources = "cpus:2;mem:1024;disk:1024;ports:[31000-31100]"
	}
	c := &ProcCluster{WorkDir: TempDir(t), t: t, opts: opts}
	c.Master = StartProc(t, "mesos-master", append([]string{"--ip=127.0.0.1", "--port=0"}, opts.MasterArgs...)...)
	c.Addr = c.Master.WaitOutput(t, HTTPAddr, 30*time.Second)
	for i := 1; i <= opts.Agents; i++ {
		a := StartProc(t, "mesos-agent", c.AgentArgs(i)...)
		a.WaitOutput(t, HTTPAddr, 30*time.Second)
		c.Agents = append(c.Agents, a)
	}
	c.WaitAgents(opts.Agents, 30*time.Second)
	return c
}

// State fetches and decodes the master's /master/state.
func (c *ProcCluster) State() (map[string]any, error) {
	return GetJSON("http://" + c.Addr + "/master/state")
}

// WaitAgents waits until n agents are registered and active.
func (c *ProcCluster) WaitAgents(n int, timeout time.Duration) {
	c.t.Helper()
	Eventually(c.t, timeout, func() bool {
		st, err := c.State()
		return err == nil && st["activated_slaves"] == float64(n)
	}, fmt.Sprintf("%d agents registered", n))
}

// AgentWorkDir is agent i's --work_dir (agents count from 1).
func (c *ProcCluster) AgentWorkDir(i int) string {
	return filepath.Join(c.WorkDir, "agent"+strconv.Itoa(i))
}

// AgentArgs are the flags agent i was started with: a restart with them
// finds its checkpoint.
func (c *ProcCluster) AgentArgs(i int) []string {
	return append([]string{"--master=" + c.Addr, "--ip=127.0.0.1", "--port=0",
		"--work_dir=" + c.AgentWorkDir(i), "--resources=" + c.opts.AgentResources}, c.opts.AgentArgs...)
}

// RestartAgent starts agent i again with its flags and extra ones.
func (c *ProcCluster) RestartAgent(t testing.TB, i int, extra ...string) *Proc {
	t.Helper()
	return StartProc(t, "mesos-agent", append(c.AgentArgs(i), extra...)...)
}

// KillAgent kills agent i's process (kill -9) and waits for it to exit;
// its executors live on.
func (c *ProcCluster) KillAgent(t testing.TB, i int) {
	t.Helper()
	a := c.Agents[i-1]
	a.Signal(syscall.SIGKILL)
	if _, err := a.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// AgentIDs joins the ids of the agents the master knows, in its order.
func (c *ProcCluster) AgentIDs(t testing.TB) string {
	t.Helper()
	st, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	return AgentIDs(st)
}

// AgentIDs joins the ids of the agents in a /master/state document.
func AgentIDs(st map[string]any) string {
	var ids []string
	slaves, _ := st["slaves"].([]any)
	for _, s := range slaves {
		if m, ok := s.(map[string]any); ok {
			id, _ := m["id"].(string)
			ids = append(ids, id)
		}
	}
	return strings.Join(ids, ",")
}

// ForkedPIDs lists the executor pids an agent checkpointed under workDir.
func ForkedPIDs(workDir string) []int {
	var pids []int
	filepath.Walk(filepath.Join(workDir, "meta"), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == "forked.pid" {
			if b, err := os.ReadFile(p); err == nil {
				if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
					pids = append(pids, pid)
				}
			}
		}
		return nil
	})
	return pids
}

// KillExecutorsAtEnd kills, when the test ends, the executors the agent
// with workDir started (they outlive a killed agent by design).
func KillExecutorsAtEnd(t testing.TB, workDir string) {
	t.Cleanup(func() {
		for _, pid := range ForkedPIDs(workDir) {
			if cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil && strings.Contains(string(cmd), "mesos-executor") {
				_ = syscall.Kill(-pid, syscall.SIGKILL) // its session's group
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
}
