package tests

// Highly available masters as real processes on a real ZooKeeper: three
// mesos-master processes in one group, agents and frameworks following
// zk://, the leader killed, frozen past its session, and the ZooKeeper
// ensemble losing its own leader.

import (
	"net/http"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/internal/zktest"
	"github.com/gomesos/gomesos/tests/harness"
)

// haMaster is one mesos-master process of a group.
type haMaster struct {
	proc *harness.Proc
	addr string // HTTP host:port
}

// state is the master's own /master/state (a standby answers it too).
func (m *haMaster) state() (map[string]any, error) {
	return harness.GetJSON("http://" + m.addr + "/master/state")
}

// leading reports whether the master says it leads: it names itself the
// leader and has an elected_time.
func (m *haMaster) leading() bool {
	st, err := m.state()
	return err == nil && st["elected_time"] != nil && st["leader"] == st["pid"]
}

// startHAMasters starts n masters in the group of zkURL.
func startHAMasters(t *testing.T, n int, zkURL string, session string) []*haMaster {
	t.Helper()
	var ms []*haMaster
	for i := 0; i < n; i++ {
		p := harness.StartProc(t, "mesos-master", "--ip=127.0.0.1", "--hostname=127.0.0.1", "--port=0",
			"--zk="+zkURL, "--zk_session_timeout="+session)
		ms = append(ms, &haMaster{proc: p, addr: p.WaitOutput(t, harness.HTTPAddr, wait)})
	}
	return ms
}

// leaderOf waits until exactly one of ms leads and every other one names
// it as leader in its state, and returns it.
func leaderOf(t *testing.T, ms []*haMaster, within time.Duration) *haMaster {
	t.Helper()
	var leader *haMaster
	harness.Eventually(t, within, func() bool {
		leader = nil
		var pid any
		for _, m := range ms {
			if m.leading() {
				if leader != nil {
					return false
				}
				leader = m
				st, _ := m.state()
				pid = st["pid"]
			}
		}
		if leader == nil {
			return false
		}
		for _, m := range ms {
			if st, err := m.state(); m != leader && (err != nil || st["leader"] != pid || st["elected_time"] != nil) {
				return false
			}
		}
		return true
	}, "one leading master that the others name")
	return leader
}

// redirectOf is where a master's /master/redirect points ("" on 503).
func redirectOf(t *testing.T, m *haMaster) string {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("http://" + m.addr + "/master/redirect")
	if err != nil {
		t.Fatalf("GET /master/redirect: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable {
		return ""
	}
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Fatalf("/master/redirect of %s: %d", m.addr, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// resolve is what mesos-resolve --http prints for addr.
func resolve(t *testing.T, addr string) string {
	t.Helper()
	p := harness.StartProc(t, "mesos-resolve", "--http", addr)
	if code, err := p.Wait(wait); err != nil || code != 0 {
		t.Fatalf("mesos-resolve --http %s: exit %d, %v:\n%s", addr, code, err, p.Output())
	}
	return strings.TrimSpace(p.Output())
}

// Three masters on one ZooKeeper, an agent and a framework on zk:// and a
// task that runs across the failover: the leader is killed with -9, a
// standby is elected, the agent and the framework reregister with it, and
// the task finishes with nothing lost. An agent given a standby's
// host:port instead of zk:// follows the leader too.
func TestHAMasterKilledStandbyTakesOver(t *testing.T) {
	zk := zktest.Start(t)
	zkURL := "zk://" + zk.Addr + "/mesos"
	ms := startHAMasters(t, 3, zkURL, "2secs")
	leader := leaderOf(t, ms, wait)
	for _, m := range ms {
		if got := redirectOf(t, m); got != "//"+leader.addr {
			t.Fatalf("/master/redirect of %s points to %q, want //%s", m.addr, got, leader.addr)
		}
	}

	if got := resolve(t, zkURL); got != leader.addr {
		t.Fatalf("mesos-resolve --http %s: %q, want %s", zkURL, got, leader.addr)
	}

	work := harness.TempDir(t)
	harness.StartProc(t, "mesos-agent", "--master="+zkURL, "--ip=127.0.0.1", "--port=0",
		"--work_dir="+work+"/agent", "--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31100]")
	// A second agent is given a standby's host:port: its /master/info
	// redirects to the leader, before and after the failover.
	standby := ms[0]
	if standby == leader {
		standby = ms[1]
	}
	harness.StartProc(t, "mesos-agent", "--master="+standby.addr, "--ip=127.0.0.1", "--port=0",
		"--work_dir="+work+"/agent2", "--resources=cpus:1;mem:256;disk:256;ports:[31200-31300]")
	harness.Eventually(t, wait, func() bool {
		st, err := leader.state()
		return err == nil && st["activated_slaves"] == float64(2)
	}, "both agents registered with the leader")
	release := work + "/release"
	exec := harness.StartProc(t, "mesos-execute", "--master="+zkURL, "--name=long", "--checkpoint",
		"--command=while [ ! -e "+release+" ]; do sleep 0.1; done")
	exec.WaitOutput(t, regexp.MustCompile(`Received status update (TASK_RUNNING)`), wait)
	fid := exec.WaitOutput(t, regexp.MustCompile(`Subscribed with ID (\S+)`), wait)

	leader.proc.Kill()
	killed := time.Now()
	var rest []*haMaster
	for _, m := range ms {
		if m != leader {
			rest = append(rest, m)
		}
	}
	next := leaderOf(t, rest, wait)
	t.Logf("a new leader %s named by every standby %v after the kill", next.addr, time.Since(killed).Round(time.Millisecond))
	if got := resolve(t, zkURL); got != next.addr {
		t.Fatalf("mesos-resolve --http %s after the failover: %q, want %s", zkURL, got, next.addr)
	}

	// The framework saw the master go and came back to the new one; the
	// agent reregistered with its running task.
	exec.WaitOutput(t, regexp.MustCompile(`(Disconnected) from the master`), wait)
	harness.Eventually(t, wait, func() bool {
		out := exec.Output()
		return strings.Contains(out, "Re-subscribed with the master") || strings.Count(out, "Subscribed with ID "+fid) == 2
	}, "the framework to reregister with the new leader")
	harness.Eventually(t, wait, func() bool {
		st, err := next.state()
		return err == nil && st["activated_slaves"] == float64(2) && taskState(st, "long") == "TASK_RUNNING"
	}, "both agents back at the new leader, the task RUNNING")

	if err := writeFile(release); err != nil {
		t.Fatal(err)
	}
	code, err := exec.Wait(wait)
	out := exec.Output()
	if err != nil || code != 0 || !strings.Contains(out, "TASK_FINISHED") {
		t.Fatalf("mesos-execute: exit %d, %v:\n%s", code, err, out)
	}
	if strings.Contains(out, "TASK_LOST") || strings.Contains(out, "TASK_FAILED") {
		t.Fatalf("the task was reported lost or failed across the failover:\n%s", out)
	}
}

// The leader frozen (SIGSTOP) past its session timeout: another master is
// elected; thawed, the old leader finds itself deposed and serves as a
// standby that names the new leader, without exiting.
func TestHALeaderFrozenPastItsSessionStepsDown(t *testing.T) {
	zk := zktest.Start(t)
	zkURL := "zk://" + zk.Addr + "/mesos"
	ms := startHAMasters(t, 2, zkURL, "2secs")
	old := leaderOf(t, ms, wait)
	other := ms[0]
	if other == old {
		other = ms[1]
	}

	old.proc.Signal(syscall.SIGSTOP)
	thawed := false
	thaw := func() {
		if !thawed {
			thawed = true
			old.proc.Signal(syscall.SIGCONT)
		}
	}
	t.Cleanup(thaw)
	harness.Eventually(t, wait, other.leading, "the other master to lead")

	thaw()
	leaderOf(t, ms, wait) // the thawed one names the new leader and does not lead
	if got := redirectOf(t, old); got != "//"+other.addr {
		t.Fatalf("the deposed master redirects to %q, want //%s", got, other.addr)
	}
	if _, err := old.proc.Wait(0); err == nil {
		t.Fatalf("the deposed master exited:\n%s", old.proc.Output())
	}
	if !strings.Contains(old.proc.Output(), "stepped down") {
		t.Fatalf("the deposed master did not log its step-down:\n%s", old.proc.Output())
	}
}

// A three-node ZooKeeper ensemble loses its leader: the masters keep going
// (no process exits, one master leads and every other names it) and the
// cluster runs a task. While the ensemble elects its next leader it serves
// no client; the masters keep their leader when that takes less than 1/6
// of the session timeout (see contender.StepDownFraction), and otherwise
// step down and elect one again, which the test logs.
func TestHAZooKeeperEnsembleLosesItsLeader(t *testing.T) {
	ens := zktest.StartEnsemble(t, 3)
	zkURL := "zk://" + ens.Connect() + "/mesos"
	ms := startHAMasters(t, 3, zkURL, "10secs")
	before, _ := leaderOf(t, ms, wait).state()

	zkLeader, err := ens.WaitLeader(wait, -1)
	if err != nil {
		t.Fatal(err)
	}
	ens.Servers[zkLeader].Stop()
	if _, err := ens.WaitLeader(wait, zkLeader); err != nil {
		t.Fatal(err)
	}

	work := harness.TempDir(t)
	harness.StartProc(t, "mesos-agent", "--master="+zkURL, "--ip=127.0.0.1", "--port=0",
		"--work_dir="+work+"/agent", "--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31100]")
	exec := harness.StartProc(t, "mesos-execute", "--master="+zkURL, "--name=after", "--command=true")
	if code, err := exec.Wait(wait); err != nil || code != 0 || !strings.Contains(exec.Output(), "TASK_FINISHED") {
		t.Fatalf("mesos-execute after the ZooKeeper leader's loss: exit %d, %v:\n%s", code, err, exec.Output())
	}
	after, err := leaderOf(t, ms, wait).state()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if _, err := m.proc.Wait(0); err == nil {
			t.Fatalf("master %s exited:\n%s", m.addr, m.proc.Output())
		}
	}
	if after["id"] != before["id"] {
		t.Logf("the ensemble's election outlasted 1/6 of the session: the masters stepped down and elected %v (was %v)", after["pid"], before["pid"])
	}
}
