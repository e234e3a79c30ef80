package tests

// Master-side faults with real processes: a standalone master killed and
// restarted at the same address, and an agent that falls silent.

import (
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/gomesos/gomesos/tests/harness"
)

// taskState returns the state /master/state gives task id among the
// active frameworks' tasks, or "".
func taskState(st map[string]any, id string) string {
	fws, _ := st["frameworks"].([]any)
	for _, f := range fws {
		fm, _ := f.(map[string]any)
		tasks, _ := fm["tasks"].([]any)
		for _, t := range tasks {
			tm, _ := t.(map[string]any)
			if tm["id"] == id {
				s, _ := tm["state"].(string)
				return s
			}
		}
	}
	return ""
}

func writeFile(path string) error { return os.WriteFile(path, nil, 0o644) }

// count is how often re matches out.
func count(re *regexp.Regexp, out string) int { return len(re.FindAllStringIndex(out, -1)) }

// FaultToleranceTest.MasterFailover without ZooKeeper: the master is killed
// with SIGKILL while a task runs and restarted at the same address. The
// agent reregisters with its task, the framework subscribes again with its
// FrameworkID, the task is RUNNING in the new master's state and its end
// reaches the framework.
func TestMasterRestartKeepsRunningTask(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	_, port, _ := net.SplitHostPort(c.Addr)
	release := harness.TempDir(t) + "/release"
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=long", "--checkpoint",
		"--command=while [ ! -e "+release+" ]; do sleep 0.1; done")
	exec.WaitOutput(t, regexp.MustCompile(`Received status update (TASK_RUNNING)`), wait)
	subscribed := regexp.MustCompile(`Subscribed with ID (\S+)`)
	fid := exec.WaitOutput(t, subscribed, wait)
	agentID := exec.WaitOutput(t, regexp.MustCompile(`Submitted task 'long' to agent '(\S+)'`), wait)

	c.Master.Kill()
	exec.WaitOutput(t, regexp.MustCompile(`(Disconnected) from the master`), wait)
	c.Master = harness.StartProc(t, "mesos-master", "--ip=127.0.0.1", "--port="+port)
	if got := c.Master.WaitOutput(t, harness.HTTPAddr, wait); got != c.Addr {
		t.Fatalf("restarted master serves %s, want %s", got, c.Addr)
	}

	// The framework subscribes again with the same id, and the task is
	// known and running at the new master.
	harness.Eventually(t, wait, func() bool { return count(subscribed, exec.Output()) == 2 }, "the framework to subscribe again")
	if ids := subscribed.FindAllStringSubmatch(exec.Output(), -1); ids[1][1] != fid {
		t.Fatalf("framework resubscribed as %s, want %s", ids[1][1], fid)
	}
	c.WaitAgents(1, wait)
	harness.Eventually(t, wait, func() bool {
		st, err := c.State()
		return err == nil && taskState(st, "long") == "TASK_RUNNING"
	}, "the task RUNNING in the restarted master's state")
	st, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	if slaves, _ := st["slaves"].([]any); len(slaves) != 1 || slaves[0].(map[string]any)["id"] != agentID {
		t.Fatalf("the agent did not come back as %s: %s", agentID, harness.MustJSON(st["slaves"]))
	}

	// The task ends and the framework hears it.
	if err := writeFile(release); err != nil {
		t.Fatal(err)
	}
	code, err := exec.Wait(wait)
	if err != nil || code != 0 {
		t.Fatalf("mesos-execute: exit %d, %v", code, err)
	}
	out := exec.Output()
	if !strings.Contains(out, "TASK_FINISHED") {
		t.Fatalf("the framework never saw TASK_FINISHED:\n%s", out)
	}
	if strings.Contains(out, "TASK_LOST") || strings.Contains(out, "TASK_FAILED") {
		t.Fatalf("the task was reported lost or failed across the restart:\n%s", out)
	}
}

// lostWithReason matches a TASK_LOST of the task up to its reason line:
// mesos-execute prints an update's lines one write at a time.
func lostWithReason(task string) *regexp.Regexp {
	return regexp.MustCompile(`Received status update TASK_LOST for task '` + regexp.QuoteMeta(task) +
		`'\n(?:  message: [^\n]*\n)?(?:  source: [^\n]*\n)?  reason: (\S+)\n`)
}

// PartitionTest.PartitionedSlave with a real agent: the agent is frozen
// (SIGSTOP: its connections stay open, it just stops answering), so only
// the health checks can find it out. Its task is reported TASK_LOST with
// REASON_SLAVE_REMOVED to a framework that is not partition aware; thawed,
// the agent reregisters with the master.
func TestSilentAgentIsMarkedUnreachable(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{
		MasterArgs: []string{"--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=2"},
	})
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=frozen", "--command=sleep 120")
	exec.WaitOutput(t, regexp.MustCompile(`Received status update (TASK_RUNNING)`), wait)

	agent := c.Agents[0]
	agent.Signal(syscall.SIGSTOP)
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			agent.Signal(syscall.SIGCONT)
		}
	}
	t.Cleanup(thaw)

	exec.WaitOutput(t, lostWithReason("frozen"), wait)
	out := exec.Output()
	if !strings.Contains(out, "REASON_SLAVE_REMOVED") || !strings.Contains(out, "SOURCE_MASTER") {
		t.Fatalf("TASK_LOST without REASON_SLAVE_REMOVED from the master:\n%s", out)
	}
	harness.Eventually(t, wait, func() bool {
		st, err := c.State()
		return err == nil && st["activated_slaves"] == float64(0) && st["unreachable_slaves"] == float64(1)
	}, "the agent unreachable in the master's state")

	// The partition heals: the agent notices the missing pings and
	// reregisters.
	thaw()
	c.WaitAgents(1, wait)
	st, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	if st["unreachable_slaves"] != float64(0) {
		t.Fatalf("agent still unreachable after reregistering: %v", st["unreachable_slaves"])
	}
}

// An agent killed with SIGKILL that never comes back, running a task of a
// checkpointing framework: the master keeps the task while the agent may
// still reregister, and the health checks give up on it after
// max_agent_ping_timeouts × agent_ping_timeout, reporting TASK_LOST with
// REASON_SLAVE_REMOVED.
func TestKilledAgentThatNeverReturns(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{
		MasterArgs: []string{"--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=2"},
	})
	pids := harness.TempDir(t) + "/pids"
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=orphan", "--checkpoint",
		"--command=echo $PPID $$ > "+pids+"; exec sleep 120")
	exec.WaitOutput(t, regexp.MustCompile(`Received status update (TASK_RUNNING)`), wait)
	// The executor outlives its agent (it waits for the agent to recover):
	// stop it and its task when the test ends.
	t.Cleanup(func() {
		b, err := os.ReadFile(pids)
		if err != nil {
			return
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	harness.Eventually(t, wait, func() bool { _, err := os.Stat(pids); return err == nil }, "the task to write its pids")

	c.Agents[0].Kill()
	exec.WaitOutput(t, lostWithReason("orphan"), wait)
	out := exec.Output()
	if !strings.Contains(out, "REASON_SLAVE_REMOVED") || strings.Contains(out, "REASON_SLAVE_DISCONNECTED") {
		t.Fatalf("want TASK_LOST with REASON_SLAVE_REMOVED (not at the disconnect):\n%s", out)
	}
	st, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	if st["unreachable_slaves"] != float64(1) {
		t.Fatalf("unreachable_slaves = %v, want 1", st["unreachable_slaves"])
	}
}
