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

// agentArgs are agent i's flags (harness.ProcCluster.AgentArgs).
func agentArgs(c *harness.ProcCluster, i int) []string { return c.AgentArgs(i) }

// agentIDs joins the ids of the agents the master knows.
func agentIDs(st map[string]any) string { return harness.AgentIDs(st) }

// killExecutorsAtEnd is harness.KillExecutorsAtEnd.
func killExecutorsAtEnd(t *testing.T, workDir string) { harness.KillExecutorsAtEnd(t, workDir) }

var runningRE = regexp.MustCompile(`Received status update TASK_RUNNING`)

// checkpointedTask runs command as a task of a checkpointing framework
// (mesos-execute --checkpoint) on agent 1 of c, waits until it runs, and
// returns the framework and the pid of the task's executor. The
// executors of agent 1 are killed when the test ends.
func checkpointedTask(t *testing.T, c *harness.ProcCluster, name, command string) (*harness.Proc, int) {
	t.Helper()
	work := c.AgentWorkDir(1)
	harness.KillExecutorsAtEnd(t, work)
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name="+name, "--checkpoint", "--command="+command)
	exec.WaitOutput(t, runningRE, 60*time.Second)
	pids := harness.ForkedPIDs(work)
	if len(pids) != 1 {
		t.Fatalf("executor pids = %v", pids)
	}
	return exec, pids[0]
}

var finishedRE = regexp.MustCompile(`Received status update TASK_FINISHED`)

// kill -9 of an agent running a task of a checkpointing framework, and
// its restart on the same work dir: the task runs on and the framework
// sees TASK_FINISHED once, after TASK_RUNNING.
func TestAgentKilledAndRestartedKeepsCheckpointedTask(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	agentID := c.AgentIDs(t)
	marker := filepath.Join(c.WorkDir, "done")
	exec, _ := checkpointedTask(t, c, "survivor", "sleep 3 && touch "+marker)

	c.KillAgent(t, 1)
	restarted := c.RestartAgent(t, 1)
	restarted.WaitOutput(t, harness.HTTPAddr, 30*time.Second)

	code, err := exec.Wait(60 * time.Second)
	if err != nil || code != 0 {
		t.Fatalf("mesos-execute exit %d, %v; output:\n%s\nagent:\n%s", code, err, exec.Output(), restarted.Output())
	}
	out := exec.Output()
	if n := len(finishedRE.FindAllString(out, -1)); n != 1 {
		t.Fatalf("TASK_FINISHED seen %d times:\n%s", n, out)
	}
	if strings.Index(out, "TASK_RUNNING") > strings.Index(out, "TASK_FINISHED") || strings.Contains(out, "TASK_LOST") || strings.Contains(out, "TASK_FAILED") {
		t.Fatalf("updates out of order or lost:\n%s", out)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the task did not run to its end: %v", err)
	}
	t.Logf("restarted agent:\n%s", restarted.Output())
	if got := c.AgentIDs(t); got != agentID || !strings.Contains(restarted.Output(), "executor reregistered") {
		t.Fatalf("agent ids %q, were %q; agent log:\n%s", got, agentID, restarted.Output())
	}
}

// kill -9 of an executor: its running task is reported failed, with the
// executor's termination as the reason.
func TestExecutorKilledGetsItsTaskReported(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	exec, pid := checkpointedTask(t, c, "victim", "sleep 60")
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	reason := exec.WaitOutput(t, regexp.MustCompile(`(?s)Received status update TASK_FAILED.*?reason: (REASON_\w+)`), 60*time.Second)
	if reason != "REASON_EXECUTOR_TERMINATED" || !strings.Contains(exec.Output(), "source: SOURCE_SLAVE") {
		t.Fatalf("TASK_FAILED with reason %s:\n%s", reason, exec.Output())
	}
}

// The task ends while its agent is down: the executor hands its
// unacknowledged TASK_FINISHED to the restarted agent when it reconnects
// (within the command executor's 5 s wait for the acknowledgement), and
// the framework sees it once.
func TestTaskFinishedWhileAgentDownIsDelivered(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	marker := filepath.Join(c.WorkDir, "done")
	exec, _ := checkpointedTask(t, c, "orphaned-end", "while [ ! -e "+marker+".go ]; do sleep 0.05; done; touch "+marker)

	c.KillAgent(t, 1)
	// Let the task end now that nobody is there to hear it.
	if err := os.WriteFile(marker+".go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, 10*time.Second, func() bool { _, err := os.Stat(marker); return err == nil }, "the task to end")
	restarted := c.RestartAgent(t, 1)

	code, err := exec.Wait(60 * time.Second)
	if err != nil || code != 0 {
		t.Fatalf("mesos-execute exit %d, %v; output:\n%s\nagent:\n%s", code, err, exec.Output(), restarted.Output())
	}
	if n := len(finishedRE.FindAllString(exec.Output(), -1)); n != 1 {
		t.Fatalf("TASK_FINISHED seen %d times:\n%s", n, exec.Output())
	}
}

// --recover=cleanup: the restarted agent kills the executor it finds and
// exits without registering.
func TestAgentRestartedWithRecoverCleanupKillsExecutorsAndExits(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	_, pid := checkpointedTask(t, c, "doomed", "sleep 60")
	c.KillAgent(t, 1)
	cleanup := c.RestartAgent(t, 1, "--recover=cleanup")
	code, err := cleanup.Wait(30 * time.Second)
	if err != nil || code != 0 {
		t.Fatalf("mesos-agent --recover=cleanup: exit %d, %v", code, err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		if cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); strings.Contains(string(cmd), "mesos-executor") {
			t.Fatalf("the executor (pid %d) outlived --recover=cleanup", pid)
		}
	}
	if strings.Contains(cleanup.Output(), "registering with master") {
		t.Fatalf("the agent registered:\n%s", cleanup.Output())
	}
}

// A host "reboot" (the executor gone and another boot id in the
// checkpoint) and an agent restart with the same flags: the agent keeps
// its id, asks no stale pid to reconnect, and the framework gets
// TASK_LOST for the task that died with the host.
func TestAgentRestartedAfterRebootKeepsIDAndReportsLostTask(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	work := c.AgentWorkDir(1)
	agentID := c.AgentIDs(t)
	exec, pid := checkpointedTask(t, c, "rebooted", "sleep 600")
	c.KillAgent(t, 1)
	// The "reboot": everything of the executor's session dies, and the
	// host's boot id is no longer the checkpointed one.
	for _, p := range sessionProcs(pid) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	harness.Eventually(t, 10*time.Second, func() bool { return len(sessionProcs(pid)) == 0 }, "the executor's session to die")
	if err := os.WriteFile(filepath.Join(work, "meta", "boot_id"), []byte("an-earlier-boot\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	restarted := c.RestartAgent(t, 1)
	reason := exec.WaitOutput(t, lostRE, 60*time.Second)
	if reason != "REASON_EXECUTOR_REREGISTRATION_TIMEOUT" {
		t.Fatalf("TASK_LOST with reason %s:\n%s", reason, exec.Output())
	}
	if strings.Contains(restarted.Output(), "asking the executor to reconnect") {
		t.Errorf("the agent asked a pid of the previous boot to reconnect:\n%s", restarted.Output())
	}
	if got := c.AgentIDs(t); got != agentID {
		t.Fatalf("agent id after the reboot %q, was %q", got, agentID)
	}
	if _, err := os.Stat(filepath.Join(work, "meta", "boot_id")); err != nil {
		t.Fatal(err)
	}
}
