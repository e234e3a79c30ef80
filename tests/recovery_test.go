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

// forkedPIDs lists the executor pids an agent checkpointed under workDir.
func forkedPIDs(workDir string) []int {
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

// killExecutorsAtEnd kills, when the test ends, the executors the agents
// under workDir started (they outlive a killed agent by design).
func killExecutorsAtEnd(t *testing.T, workDir string) {
	t.Cleanup(func() {
		for _, pid := range forkedPIDs(workDir) {
			if cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil && strings.Contains(string(cmd), "mesos-executor") {
				_ = syscall.Kill(-pid, syscall.SIGKILL) // its session's group
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
}

func agentArgs(c *harness.ProcCluster, i int) []string {
	return []string{"--master=" + c.Addr, "--ip=127.0.0.1", "--port=0",
		"--work_dir=" + filepath.Join(c.WorkDir, "agent"+strconv.Itoa(i)), "--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31100]"}
}

var finishedRE = regexp.MustCompile(`Received status update TASK_FINISHED`)

// kill -9 of an agent running a task of a checkpointing framework, and
// its restart on the same work dir: the task runs on and the framework
// sees TASK_FINISHED once, after TASK_RUNNING.
func TestAgentKilledAndRestartedKeepsCheckpointedTask(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	killExecutorsAtEnd(t, filepath.Join(c.WorkDir, "agent1"))
	st, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	agentID := agentIDs(st)
	marker := filepath.Join(c.WorkDir, "done")
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=survivor", "--checkpoint",
		"--command=sleep 3 && touch "+marker)
	exec.WaitOutput(t, regexp.MustCompile(`Received status update TASK_RUNNING`), 60*time.Second)

	c.Agents[0].Signal(syscall.SIGKILL)
	if _, err := c.Agents[0].Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	restarted := harness.StartProc(t, "mesos-agent", agentArgs(c, 1)...)
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
	st, err = c.State()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("restarted agent:\n%s", restarted.Output())
	if got := agentIDs(st); got != agentID || !strings.Contains(restarted.Output(), "executor reregistered") {
		t.Fatalf("agent ids %q, were %q; agent log:\n%s", got, agentID, restarted.Output())
	}
}

// kill -9 of an executor: its running task is reported failed, with the
// executor's termination as the reason.
func TestExecutorKilledGetsItsTaskReported(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	work := filepath.Join(c.WorkDir, "agent1")
	killExecutorsAtEnd(t, work)
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=victim", "--checkpoint", "--command=sleep 60")
	exec.WaitOutput(t, regexp.MustCompile(`Received status update TASK_RUNNING`), 60*time.Second)
	pids := forkedPIDs(work)
	if len(pids) != 1 {
		t.Fatalf("executor pids = %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	reason := exec.WaitOutput(t, regexp.MustCompile(`(?s)Received status update TASK_FAILED.*?reason: (REASON_\w+)`), 60*time.Second)
	if reason != "REASON_EXECUTOR_TERMINATED" || !strings.Contains(exec.Output(), "source: SOURCE_SLAVE") {
		t.Fatalf("TASK_FAILED with reason %s:\n%s", reason, exec.Output())
	}
}

// agentIDs joins the ids of the agents the master knows.
func agentIDs(st map[string]any) string {
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

// The task ends while its agent is down: the executor hands its
// unacknowledged TASK_FINISHED to the restarted agent when it reconnects
// (within the command executor's 5 s wait for the acknowledgement), and
// the framework sees it once.
func TestTaskFinishedWhileAgentDownIsDelivered(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	killExecutorsAtEnd(t, filepath.Join(c.WorkDir, "agent1"))
	marker := filepath.Join(c.WorkDir, "done")
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=orphaned-end", "--checkpoint",
		"--command=while [ ! -e "+marker+".go ]; do sleep 0.05; done; touch "+marker)
	exec.WaitOutput(t, regexp.MustCompile(`Received status update TASK_RUNNING`), 60*time.Second)

	c.Agents[0].Signal(syscall.SIGKILL)
	if _, err := c.Agents[0].Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	// Let the task end now that nobody is there to hear it.
	if err := os.WriteFile(marker+".go", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, 10*time.Second, func() bool { _, err := os.Stat(marker); return err == nil }, "the task to end")
	restarted := harness.StartProc(t, "mesos-agent", agentArgs(c, 1)...)

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
	work := filepath.Join(c.WorkDir, "agent1")
	killExecutorsAtEnd(t, work)
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=doomed", "--checkpoint", "--command=sleep 60")
	exec.WaitOutput(t, regexp.MustCompile(`Received status update TASK_RUNNING`), 60*time.Second)
	pids := forkedPIDs(work)
	if len(pids) != 1 {
		t.Fatalf("executor pids = %v", pids)
	}
	c.Agents[0].Signal(syscall.SIGKILL)
	if _, err := c.Agents[0].Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	cleanup := harness.StartProc(t, "mesos-agent", append(agentArgs(c, 1), "--recover=cleanup")...)
	code, err := cleanup.Wait(30 * time.Second)
	if err != nil || code != 0 {
		t.Fatalf("mesos-agent --recover=cleanup: exit %d, %v", code, err)
	}
	if err := syscall.Kill(pids[0], 0); err == nil {
		if cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pids[0]) + "/cmdline"); strings.Contains(string(cmd), "mesos-executor") {
			t.Fatalf("the executor (pid %d) outlived --recover=cleanup", pids[0])
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
	work := filepath.Join(c.WorkDir, "agent1")
	killExecutorsAtEnd(t, work)
	st, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	agentID := agentIDs(st)
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=rebooted", "--checkpoint", "--command=sleep 600")
	exec.WaitOutput(t, regexp.MustCompile(`Received status update TASK_RUNNING`), 60*time.Second)
	pids := forkedPIDs(work)
	if len(pids) != 1 {
		t.Fatalf("executor pids = %v", pids)
	}
	c.Agents[0].Signal(syscall.SIGKILL)
	if _, err := c.Agents[0].Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	// The "reboot": everything of the executor's session dies, and the
	// host's boot id is no longer the checkpointed one.
	for _, p := range sessionProcs(pids[0]) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	harness.Eventually(t, 10*time.Second, func() bool { return len(sessionProcs(pids[0])) == 0 }, "the executor's session to die")
	if err := os.WriteFile(filepath.Join(work, "meta", "boot_id"), []byte("an-earlier-boot\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	restarted := harness.StartProc(t, "mesos-agent", agentArgs(c, 1)...)
	reason := exec.WaitOutput(t, lostRE, 60*time.Second)
	if reason != "REASON_EXECUTOR_REREGISTRATION_TIMEOUT" {
		t.Fatalf("TASK_LOST with reason %s:\n%s", reason, exec.Output())
	}
	if strings.Contains(restarted.Output(), "asking the executor to reconnect") {
		t.Errorf("the agent asked a pid of the previous boot to reconnect:\n%s", restarted.Output())
	}
	st, err = c.State()
	if err != nil {
		t.Fatal(err)
	}
	if got := agentIDs(st); got != agentID {
		t.Fatalf("agent id after the reboot %q, was %q", got, agentID)
	}
	if _, err := os.Stat(filepath.Join(work, "meta", "boot_id")); err != nil {
		t.Fatal(err)
	}
}
