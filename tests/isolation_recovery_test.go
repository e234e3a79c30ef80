package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/isolators/cgroups/cgroupstest"
	"github.com/gomesos/gomesos/tests/harness"
)

// An agent isolating with cgroups is killed with -9 and restarted on the
// same work dir and cgroups root: it re-attaches to the running container
// and still enforces its limits. The task grows past its memory limit
// only after the restart, and ends TASK_FAILED with the memory
// limitation, reported by the restarted agent; the container's cgroups
// are removed.
func TestIsolationAgentKilledAndRestartedStillEnforcesLimits(t *testing.T) {
	l := cgroupstest.Layout(t)
	isolation := []string{"--cgroups_root=" + l.Root, "--cgroups_pids_max=64", cgroupsIsolation}
	c := harness.StartProcs(t, harness.ProcOptions{AgentArgs: isolation})
	work := filepath.Join(c.WorkDir, "agent1")
	killExecutorsAtEnd(t, work)
	marker := filepath.Join(c.WorkDir, "grow")
	// tail keeps the whole newline-free stream in memory.
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=grower", "--checkpoint",
		"--resources=cpus:0.1;mem:32",
		fmt.Sprintf("--command=while [ ! -e %s ]; do sleep 0.05; done; head -c 400000000 /dev/zero | tail", marker))
	exec.WaitOutput(t, regexpRunning, 60*time.Second)
	if got := containerCgroups(l); len(got) != 4 {
		t.Fatalf("cgroups while the task runs: %v", got)
	}

	c.Agents[0].Signal(syscall.SIGKILL)
	if _, err := c.Agents[0].Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	restarted := harness.StartProc(t, "mesos-agent", append(agentArgs(c, 1), isolation...)...)
	restarted.WaitOutput(t, regexp.MustCompile(`executor reregistered`), 60*time.Second)
	agent := restarted.WaitOutput(t, harness.HTTPAddr, 30*time.Second)
	// The restarted agent measures the adopted container against its
	// limits: 32 MB for the task and 32 MB for the command executor.
	harness.Eventually(t, 30*time.Second, func() bool {
		list, err := getJSONList("http://" + agent + "/monitor/statistics")
		if err != nil || len(list) != 1 {
			return false
		}
		stats, _ := list[0]["statistics"].(map[string]any)
		return stats != nil && stats["mem_limit_bytes"] == float64(64<<20)
	}, "the restarted agent's /monitor/statistics to show the container's memory limit")
	if got := containerCgroups(l); len(got) != 4 {
		t.Fatalf("cgroups after the restart: %v", got)
	}

	if err := writeFile(marker); err != nil {
		t.Fatal(err)
	}
	code, err := exec.Wait(90 * time.Second)
	out := exec.Output()
	if err != nil || code != 1 {
		t.Fatalf("mesos-execute exit %d, %v; output:\n%s\nagent:\n%s", code, err, out, restarted.Output())
	}
	for _, want := range []string{"TASK_FAILED", "REASON_CONTAINER_LIMITATION_MEMORY", "Memory limit exceeded", "SOURCE_SLAVE"} {
		if !strings.Contains(out, want) {
			t.Errorf("mesos-execute output lacks %q:\n%s", want, out)
		}
	}
	harness.Eventually(t, 30*time.Second, func() bool { return len(containerCgroups(l)) == 0 },
		"the task's cgroups to be removed")
}

// The pids limit holds across a kill -9 and restart of the agent too: a
// task that tries to fork a hundred processes after the restart cannot
// (its shell fails with "Cannot fork"), and the restarted agent reports
// its end and removes its cgroups.
func TestIsolationAgentKilledAndRestartedKeepsPidsLimit(t *testing.T) {
	l := cgroupstest.Layout(t)
	isolation := []string{"--cgroups_root=" + l.Root, "--cgroups_pids_max=32", cgroupsIsolation}
	c := harness.StartProcs(t, harness.ProcOptions{AgentArgs: isolation})
	killExecutorsAtEnd(t, filepath.Join(c.WorkDir, "agent1"))
	marker := filepath.Join(c.WorkDir, "fork")
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=forker", "--checkpoint",
		"--resources=cpus:0.1;mem:64",
		fmt.Sprintf(`--command=while [ ! -e %s ]; do sleep 0.05; done; for i in $(seq 100); do sleep 30 & done; echo all-started`, marker))
	exec.WaitOutput(t, regexpRunning, 60*time.Second)

	c.Agents[0].Signal(syscall.SIGKILL)
	if _, err := c.Agents[0].Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	restarted := harness.StartProc(t, "mesos-agent", append(agentArgs(c, 1), isolation...)...)
	restarted.WaitOutput(t, regexp.MustCompile(`executor reregistered`), 60*time.Second)
	if err := writeFile(marker); err != nil {
		t.Fatal(err)
	}
	code, err := exec.Wait(90 * time.Second)
	if err != nil || code != 1 || !strings.Contains(exec.Output(), "TASK_FAILED") {
		t.Fatalf("mesos-execute exit %d, %v; output:\n%s\nagent:\n%s", code, err, exec.Output(), restarted.Output())
	}
	if out := sandboxStdout(t, c.WorkDir, "forker"); strings.Contains(out, "all-started") {
		t.Fatalf("the task forked a hundred processes past a pids limit of 32:\n%s", out)
	}
	if errOut := sandboxFile(t, c.WorkDir, "forker", "stderr"); !strings.Contains(errOut, "fork") {
		t.Errorf("the task's stderr does not say it could not fork:\n%s", errOut)
	}
	harness.Eventually(t, 30*time.Second, func() bool { return len(containerCgroups(l)) == 0 },
		"the task's cgroups to be removed")
}

// sandboxFile is the file name (stdout, stderr) of the executor named
// executor under work.
func sandboxFile(t *testing.T, work, executor, name string) string {
	t.Helper()
	var out string
	filepath.Walk(work, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == name && strings.Contains(p, "/executors/"+executor+"/") {
			b, _ := os.ReadFile(p)
			out += string(b)
		}
		return nil
	})
	return out
}
