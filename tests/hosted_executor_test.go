package tests

import (
	"crypto/sha256"
	"encoding/hex"
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

// Failures of agents that host their command executors
// (--command_executor=agent), through the real binaries. The helpers
// here are this file's own.

const hostedFlag = "--command_executor=agent"

func hostedCluster(t *testing.T) *harness.ProcCluster {
	t.Helper()
	c := harness.StartProcs(t, harness.ProcOptions{AgentArgs: []string{hostedFlag}})
	t.Cleanup(func() {
		// The pids a killed agent kept on tmpfs (see slave's hosted.go).
		sum := sha256.Sum256([]byte(filepath.Join(c.WorkDir, "agent1")))
		_ = os.RemoveAll("/dev/shm/gomesos-hosted-" + hex.EncodeToString(sum[:8]))
	})
	return c
}

// hostedAgentArgs are the flags agent i of c started with.
func hostedAgentArgs(c *harness.ProcCluster, i int) []string {
	return []string{"--master=" + c.Addr, "--ip=127.0.0.1", "--port=0", hostedFlag,
		"--work_dir=" + filepath.Join(c.WorkDir, "agent"+strconv.Itoa(i)), "--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31100]"}
}

// hostedTaskPID waits for the pid a task wrote to "pid" in its sandbox
// under workDir.
func hostedTaskPID(t *testing.T, workDir string) int {
	t.Helper()
	var pid int
	harness.Eventually(t, 30*time.Second, func() bool {
		files, _ := filepath.Glob(filepath.Join(workDir, "slaves", "*", "frameworks", "*", "executors", "*", "runs", "*", "pid"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && strings.HasSuffix(string(b), "\n") {
				pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			}
		}
		return pid > 0
	}, "the task to write its pid")
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
	return pid
}

// liveProcess: pid runs and is not a zombie.
func liveProcess(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// noExecutorProcess fails if an executor process ever ran under workDir's
// agent: none should, its executors are hosted.
func noExecutorProcess(t *testing.T, agentLog string) {
	t.Helper()
	if strings.Contains(agentLog, "mesos-executor") && strings.Contains(agentLog, "forked executor") &&
		regexp.MustCompile(`forked executor.*command="[^"]*mesos-executor`).MatchString(agentLog) {
		t.Fatalf("the agent forked a mesos-executor:\n%s", agentLog)
	}
}

// kill -9 of an agent hosting a checkpointing framework's command task,
// and its restart on the same work dir: the task's process runs on, the
// restarted agent hosts its executor again, which reregisters and reports
// the task's end once. (The agent that started the task is gone, so the
// command's exit status is unknown: the task ends TASK_FAILED saying so.)
func TestHostedTaskSurvivesAgentKill(t *testing.T) {
	c := hostedCluster(t)
	work := filepath.Join(c.WorkDir, "agent1")
	gate := filepath.Join(c.WorkDir, "go")
	marker := filepath.Join(c.WorkDir, "done")
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=survivor", "--checkpoint",
		"--command=echo $$ > pid; while [ ! -e "+gate+" ]; do sleep 0.05; done; touch "+marker)
	exec.WaitOutput(t, regexp.MustCompile(`Received status update TASK_RUNNING`), 60*time.Second)
	pid := hostedTaskPID(t, work)

	c.Agents[0].Signal(syscall.SIGKILL)
	if _, err := c.Agents[0].Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !liveProcess(pid) {
		t.Fatalf("the task (pid %d) died with its agent", pid)
	}
	restarted := harness.StartProc(t, "mesos-agent", hostedAgentArgs(c, 1)...)
	restarted.WaitOutput(t, regexp.MustCompile(`executor reregistered`), 60*time.Second)
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	failed := exec.WaitOutput(t, regexp.MustCompile(`(?s)Received status update TASK_FAILED.*?message: ([^\n]*)`), 60*time.Second)
	if !strings.Contains(failed, "exit status is unknown") {
		t.Fatalf("TASK_FAILED with message %q:\n%s", failed, exec.Output())
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the task did not run to its end: %v", err)
	}
	out := exec.Output()
	if strings.Count(out, "Received status update TASK_FAILED") != 1 || strings.Contains(out, "TASK_LOST") {
		t.Fatalf("updates:\n%s", out)
	}
	noExecutorProcess(t, c.Agents[0].Output()+restarted.Output())
}

// kill -9 of an agent hosting a task of a framework that does not
// checkpoint: nothing can recover the task, and the restarted agent kills
// it, as Mesos does.
func TestHostedTaskOfNonCheckpointingFrameworkKilledAtRecovery(t *testing.T) {
	c := hostedCluster(t)
	work := filepath.Join(c.WorkDir, "agent1")
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=transient", "--command=echo $$ > pid; exec sleep 600")
	exec.WaitOutput(t, regexp.MustCompile(`Received status update TASK_RUNNING`), 60*time.Second)
	pid := hostedTaskPID(t, work)

	c.Agents[0].Signal(syscall.SIGKILL)
	if _, err := c.Agents[0].Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	restarted := harness.StartProc(t, "mesos-agent", hostedAgentArgs(c, 1)...)
	restarted.WaitOutput(t, harness.HTTPAddr, 30*time.Second)
	harness.Eventually(t, 30*time.Second, func() bool { return !liveProcess(pid) }, "the restarted agent to kill the task")
}

// SIGUSR1: the agent unregisters, kills its hosted tasks and exits 0,
// leaving no process behind.
func TestHostedTaskKilledByAgentSIGUSR1(t *testing.T) {
	c := hostedCluster(t)
	work := filepath.Join(c.WorkDir, "agent1")
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=evicted", "--checkpoint",
		"--command=echo $$ > pid; sleep 600 & wait")
	exec.WaitOutput(t, regexp.MustCompile(`Received status update TASK_RUNNING`), 60*time.Second)
	pid := hostedTaskPID(t, work)

	c.Agents[0].Signal(syscall.SIGUSR1)
	if code, err := c.Agents[0].Wait(60 * time.Second); err != nil || code != 0 {
		t.Fatalf("agent after SIGUSR1: exit %d, %v\n%s", code, err, c.Agents[0].Output())
	}
	// SIGKILLs land asynchronously: wait (bounded) for the session to go.
	harness.Eventually(t, 10*time.Second, func() bool { return !liveProcess(pid) && len(liveSession(pid)) == 0 },
		"the task's session to end after the agent's SIGUSR1")
}

// liveSession lists the live processes of session sid.
func liveSession(sid int) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		if f := strings.Fields(string(b[i+1:])); len(f) > 3 && f[0] != "Z" && f[3] == strconv.Itoa(sid) {
			out = append(out, e.Name())
		}
	}
	return out
}
