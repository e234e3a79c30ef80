package harness

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
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
