package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/tests/harness"
)

// The real binaries as processes: a master, two agents and mesos-execute.
func TestBinariesEndToEnd(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{Agents: 2})
	addr, work := c.Addr, c.WorkDir
	marker := filepath.Join(work, "ran")
	exec := harness.StartProc(t, "mesos-execute", "--master="+addr, "--name=hello",
		"--command=echo hello && touch "+marker)
	code, err := exec.Wait(60 * time.Second)
	if err != nil || code != 0 {
		t.Fatalf("mesos-execute exit %d, %v; output:\n%s", code, err, exec.Output())
	}
	out := exec.Output()
	for _, s := range []string{"TASK_RUNNING", "TASK_FINISHED"} {
		if !strings.Contains(out, s) {
			t.Errorf("mesos-execute output lacks %s:\n%s", s, out)
		}
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("the task's command did not run: %v", err)
	}

	// The task's stdout landed in its sandbox.
	var found bool
	filepath.Walk(work, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == "stdout" && strings.Contains(p, "/executors/hello/") {
			b, _ := os.ReadFile(p)
			found = found || strings.Contains(string(b), "hello")
		}
		return nil
	})
	if !found {
		t.Errorf("no sandbox stdout with 'hello' under %s", work)
	}

	// The master remembers the finished task in /master/state.
	st, err := harness.GetJSON("http://" + addr + "/master/state")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(harness.MustJSON(st), `"TASK_FINISHED"`) {
		t.Errorf("/master/state does not show the finished task")
	}

	// A failing command: non-zero exit and the state named.
	fail := harness.StartProc(t, "mesos-execute", "--master="+addr, "--name=boom", "--command=exit 3")
	code, err = fail.Wait(60 * time.Second)
	if err != nil || code == 0 {
		t.Fatalf("failing task: exit %d, %v", code, err)
	}
	if !regexp.MustCompile(`TASK_FAILED`).MatchString(fail.Output()) {
		t.Errorf("failing task output lacks TASK_FAILED:\n%s", fail.Output())
	}
}

func TestBinariesRejectBadFlags(t *testing.T) {
	cases := [][]string{
		{"mesos-master", "--port=notaport"},
		{"mesos-master", "--allocation_interval=soon"},
		{"mesos-master", "--role_sorter=bogus"},
		{"mesos-master", "--weights=a=x"},
		{"mesos-agent", "--work_dir=/tmp/x"}, // no --master
		{"mesos-agent", "--master=127.0.0.1:5050", "--work_dir=/tmp/x", "--resources=cpus:lots"},
		{"mesos-local", "--num_slaves=0"},
		{"mesos-execute", "--master=127.0.0.1:5050"}, // no --name
		{"mesos-execute", "--master=127.0.0.1:5050", "--name=x", "--command=true", "--resources=mem:-1"},
	}
	for _, c := range cases {
		p := harness.StartProc(t, c[0], c[1:]...)
		code, err := p.Wait(30 * time.Second)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if code == 0 {
			t.Errorf("%v: exit 0, want an error", c)
		}
		if strings.Contains(p.Output(), "panic") || strings.TrimSpace(p.Output()) == "" {
			t.Errorf("%v: want a clear message, got:\n%s", c, p.Output())
		}
	}
	for _, b := range []string{"mesos-master", "mesos-agent", "mesos-local", "mesos-execute", "mesos-executor"} {
		p := harness.StartProc(t, b, "--help")
		code, err := p.Wait(30 * time.Second)
		if err != nil || code != 0 || !strings.Contains(p.Output(), "--") {
			t.Errorf("%s --help: exit %d, %v:\n%s", b, code, err, p.Output())
		}
	}
}
