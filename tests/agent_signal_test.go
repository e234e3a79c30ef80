package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/tests/harness"
)

// Agent signals, as Mesos' agent takes them: SIGTERM ends the process and
// leaves its executors running for the restarted agent to recover;
// SIGUSR1 unregisters from the master, shuts the executors down and exits.

// SIGTERM, then a restart on the same work dir: the checkpointed task
// keeps running through it and finishes, and the framework sees
// TASK_RUNNING then TASK_FINISHED once, from the same agent id.
func TestAgentSIGTERMLeavesExecutorsForTheRestartedAgent(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	agentID := c.AgentIDs(t)
	marker := filepath.Join(c.WorkDir, "done")
	exec, pid := checkpointedTask(t, c, "survivor", "while [ ! -e "+marker+".go ]; do sleep 0.05; done; touch "+marker)

	c.Agents[0].Signal(syscall.SIGTERM)
	if code, err := c.Agents[0].Wait(30 * time.Second); err != nil || code != 0 {
		t.Fatalf("agent after SIGTERM: exit %d, %v\n%s", code, err, c.Agents[0].Output())
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("the executor (pid %d) did not outlive the agent's SIGTERM: %v", pid, err)
	}
	restarted := c.RestartAgent(t, 1)
	restarted.WaitOutput(t, regexp.MustCompile(`executor reregistered`), 60*time.Second)
	// Only now may the task end: it ran through the restart.
	if err := writeFile(marker + ".go"); err != nil {
		t.Fatal(err)
	}
	code, err := exec.Wait(60 * time.Second)
	out := exec.Output()
	if err != nil || code != 0 {
		t.Fatalf("mesos-execute exit %d, %v; output:\n%s\nagent:\n%s", code, err, out, restarted.Output())
	}
	if n := len(finishedRE.FindAllString(out, -1)); n != 1 {
		t.Fatalf("TASK_FINISHED seen %d times:\n%s", n, out)
	}
	if strings.Index(out, "TASK_RUNNING") > strings.Index(out, "TASK_FINISHED") || strings.Contains(out, "TASK_LOST") || strings.Contains(out, "TASK_FAILED") {
		t.Fatalf("updates out of order or lost:\n%s", out)
	}
	if got := c.AgentIDs(t); got != agentID {
		t.Fatalf("agent ids %q, were %q", got, agentID)
	}
}

var lostRE = regexp.MustCompile(`(?s)Received status update TASK_LOST.*?reason: (REASON_\w+)`)

// SIGUSR1: the agent unregisters and the master removes it at once, so
// the framework gets TASK_LOST (REASON_SLAVE_REMOVED) for its running
// task; the agent shuts its executor down and exits 0, leaving no
// process behind. Restarted on the same work dir it comes back with the
// same agent id.
func TestAgentSIGUSR1UnregistersShutsDownAndExits(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	agentID := c.AgentIDs(t)
	exec, pid := checkpointedTask(t, c, "evicted", "sleep 600")

	c.Agents[0].Signal(syscall.SIGUSR1)
	reason := exec.WaitOutput(t, lostRE, 60*time.Second)
	if reason != "REASON_SLAVE_REMOVED" || !strings.Contains(exec.Output(), "source: SOURCE_MASTER") {
		t.Fatalf("TASK_LOST with reason %s:\n%s", reason, exec.Output())
	}
	if code, err := exec.Wait(30 * time.Second); err != nil || code != 1 {
		t.Fatalf("mesos-execute exit %d, %v", code, err)
	}
	if code, err := c.Agents[0].Wait(60 * time.Second); err != nil || code != 0 {
		t.Fatalf("agent after SIGUSR1: exit %d, %v\n%s", code, err, c.Agents[0].Output())
	}
	if !strings.Contains(c.Agents[0].Output(), "unregistering and shutting down") {
		t.Errorf("the agent did not say it unregistered:\n%s", c.Agents[0].Output())
	}
	// The executor and its task are gone with their session.
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("the executor (pid %d) outlived the agent's SIGUSR1", pid)
	}
	if left := sessionProcs(pid); len(left) > 0 {
		t.Fatalf("processes of the executor's session (%d) outlived the agent's SIGUSR1: %v", pid, left)
	}
	harness.Eventually(t, 10*time.Second, func() bool {
		st, err := c.State()
		return err == nil && st["activated_slaves"] == float64(0)
	}, "the master to remove the agent")

	restarted := c.RestartAgent(t, 1)
	restarted.WaitOutput(t, harness.HTTPAddr, 30*time.Second)
	c.WaitAgents(1, 30*time.Second)
	if got := c.AgentIDs(t); got != agentID {
		t.Fatalf("agent id after the restart %q, was %q", got, agentID)
	}
}

// sessionProcs lists the live processes of session sid.
func sessionProcs(sid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The fields after the command's closing parenthesis: state,
		// ppid, pgrp, session.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) > 3 && f[0] != "Z" && f[3] == strconv.Itoa(sid) {
			out = append(out, pid)
		}
	}
	return out
}
