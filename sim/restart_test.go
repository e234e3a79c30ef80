package sim

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/slave"
)

// newQuietCluster is a cluster with no random faults whose tasks all
// finish (none fails), tracing every message into trace.
func newQuietCluster(t *testing.T, agents, frameworks, tasks int, trace *bytes.Buffer) *Cluster {
	t.Helper()
	cfg := Config{Seed: 3, Agents: agents, Frameworks: frameworks, Tasks: tasks, FailRate: 1e-12, TaskTime: 20 * time.Second}
	if trace != nil {
		cfg.Trace = trace
	}
	c, err := NewCluster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runUntilRunning runs c until every task has been launched and each
// framework has seen each of its tasks RUNNING.
func runUntilRunning(t *testing.T, c *Cluster) {
	t.Helper()
	all := func() bool {
		for _, st := range c.fwst {
			if st.launched < st.want {
				return false
			}
			for _, tid := range st.order {
				if st.tasks[tid].last != mesos.TaskState_TASK_RUNNING {
					return false
				}
			}
		}
		return true
	}
	if err := c.Sim.RunWhile(func() bool { return !all() }, 1_000_000); err != nil || !all() {
		t.Fatalf("tasks not all running (err %v)", err)
	}
}

func lines(trace *bytes.Buffer, re string) []string {
	var out []string
	r := regexp.MustCompile(re)
	for _, l := range strings.Split(trace.String(), "\n") {
		if r.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

func TestAgentRestartKeepsCheckpointedTasksAndLosesOthers(t *testing.T) {
	var trace bytes.Buffer
	c := newQuietCluster(t, 1, 2, 4, &trace) // sched1 checkpoints, sched2 does not
	runUntilRunning(t, c)
	id := c.hosts[0].core.ID()
	c.crashAgentProcess(0)
	res := c.Run()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := c.hosts[0].core.ID(); got != id {
		t.Fatalf("the restarted agent is %q, was %q", got, id)
	}
	if n := len(lines(&trace, `agent1 -> agent1/c-\d: ReconnectExecutorMessage`)); n != 2 {
		t.Errorf("%d executors asked to reconnect, want sched1's 2", n)
	}
	if l := lines(&trace, `-> sched1: StatusUpdateMessage .*state=TASK_(LOST|FAILED|KILLED)`); len(l) > 0 {
		t.Errorf("the checkpointing framework lost tasks:\n%s", strings.Join(l, "\n"))
	}
	if n := len(lines(&trace, `-> sched1: StatusUpdateMessage .*state=TASK_FINISHED source=SOURCE_EXECUTOR`)); n != 2 {
		t.Errorf("sched1 got %d FINISHED updates from its executors, want 2", n)
	}
	if n := len(lines(&trace, `master -> sched2: StatusUpdateMessage .*state=TASK_LOST .*reason=REASON_SLAVE_DISCONNECTED`)); n != 2 {
		t.Errorf("sched2 was told of %d lost tasks, want 2:\n%s", n, strings.Join(lines(&trace, `-> sched2: StatusUpdate`), "\n"))
	}
	if res.Counts.AgentRestarts != 1 {
		t.Errorf("counts %+v", res.Counts)
	}
}

func TestCrashDuringCheckpointWriteRecovers(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		c, err := NewCluster(Config{Seed: seed, Agents: 1, Frameworks: 1, Tasks: 6})
		if err != nil {
			t.Fatal(err)
		}
		c.hosts[0].disk.crashAtWrite = true
		res := c.Run()
		if res.Err != nil {
			t.Fatalf("seed %d: %v", seed, res.Err)
		}
		if res.Counts.TornWrites != 1 || res.Counts.AgentRestarts != 1 {
			t.Fatalf("seed %d: counts %+v, want one torn write and one restart", seed, res.Counts)
		}
	}
}

func TestMasterRestartKeepsTasksRunning(t *testing.T) {
	var trace bytes.Buffer
	c := newQuietCluster(t, 2, 2, 8, &trace)
	runUntilRunning(t, c)
	ids := []string{c.hosts[0].core.ID(), c.hosts[1].core.ID()}
	mark := trace.Len()
	c.crashMaster()
	res := c.Run()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	after := bytes.NewBufferString(trace.String()[mark:])
	for i, id := range ids {
		if n := len(lines(after, `master -> agent`+string(rune('1'+i))+`: SlaveReregisteredMessage \{agent=`+id+`\}`)); n == 0 {
			t.Errorf("agent%d did not reregister as %s", i+1, id)
		}
	}
	// A new master answers a framework that subscribes with its id with
	// FrameworkRegisteredMessage, as Mesos does (MESOS-786).
	for j, st := range c.fwst {
		if n := len(lines(after, `master -> sched`+string(rune('1'+j))+`: FrameworkRegisteredMessage \{framework=`+st.id+`\}`)); n != 1 {
			t.Errorf("%s came back %d times as %s", st.name, n, st.id)
		}
	}
	if l := lines(&trace, `-> sched\d: StatusUpdateMessage .*state=TASK_(LOST|FAILED|KILLED)`); len(l) > 0 {
		t.Errorf("tasks lost across a master restart:\n%s", strings.Join(l, "\n"))
	}
	if res.Counts.MasterRestarts != 1 || c.masterRuns != 1 {
		t.Errorf("counts %+v", res.Counts)
	}
}

// A disk that loses what the agent journaled is caught: the agent had
// acknowledged its executors' final updates, and nobody else has them.
func TestLostCheckCatchesAnAcknowledgedUpdateTheDiskLost(t *testing.T) {
	c := newQuietCluster(t, 1, 1, 2, nil)
	runUntilRunning(t, c)
	c.Sim.Net.Partition([]*Node{c.master}, []*Node{c.agents[0]}, 0)
	if err := c.Sim.RunWhile(func() bool { return c.check.owed < 2 }, 1_000_000); err != nil || c.check.owed < 2 {
		t.Fatalf("owed %d (err %v)", c.check.owed, err)
	}
	for k := range c.hosts[0].disk.files() {
		if strings.HasSuffix(k, "/task.updates") {
			c.hosts[0].disk.remove(k)
		}
	}
	c.crashAgentProcess(0)
	c.Sim.Net.Heal()
	res := c.Run()
	if res.Err == nil || !strings.Contains(res.Err.Error(), "acknowledged update lost") || !strings.Contains(res.Err.Error(), "TASK_FINISHED") {
		t.Fatalf("err = %v", res.Err)
	}
}

func TestDiskWritesGoFirstAsTheShellAppliesThem(t *testing.T) {
	send := effect.Send{}
	w1, w2 := slave.Checkpoint{Path: "a"}, slave.CheckpointAppend{Path: "b"}
	timer := effect.StartTimer{Key: "k"}
	got := fmt.Sprint(diskFirst([]effect.Effect{send, w1, timer, w2, send}))
	if want := fmt.Sprint([]effect.Effect{send, w1, w2, timer, send}); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestNewFaultNames(t *testing.T) {
	f, err := ParseFaults("agent-restart,master-restart,disk-loss")
	if err != nil || !f.AgentRestart || !f.MasterRestart || !f.DiskLoss || f.Crash || f.String() != "agent-restart,master-restart,disk-loss" {
		t.Fatalf("ParseFaults = %+v, %v", f, err)
	}
	all, _ := ParseFaults("all")
	if all.String() != "drop,dup,reorder,delay,partition,crash,agent-restart,master-restart,disk-loss,leader-loss" {
		t.Fatalf("all = %s", all)
	}
}

// A machine crash at the instant its agent process restarted (the live
// executors taken over, not yet recovered) left those executors running on
// the lost machine; the new machine's containers then took their ids
// ("a node with pid executor(c-12)@... exists"). Seed 89 has that crash
// under the windowed engine.
func TestWindowedMachineCrashEndsExecutorsARestartedAgentTookOver(t *testing.T) {
	faults, err := ParseFaults("drop,dup,reorder,delay,partition,crash,agent-restart")
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		c, err := NewCluster(Config{Seed: 89, Agents: 6, Frameworks: 3, Tasks: 400, Faults: faults, Workers: workers, StandInFrameworks: true})
		if err != nil {
			t.Fatal(err)
		}
		if res := c.Run(); res.Err != nil {
			t.Errorf("workers=%d: %v", workers, res.Err)
		}
	}
}
