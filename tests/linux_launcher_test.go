package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/launcher"
	"github.com/gomesos/gomesos/tests/harness"
)

// kill -9 of an agent running a checkpointed task in a libcontainer
// container (--launcher=linux with namespaces/pid): the container runs on,
// the agent restarted on the same work dir finds it through libcontainer's
// state, its executor reregisters, the task's end reaches the framework
// once, and nothing of the container is left afterwards.
func TestLinuxLauncherContainerSurvivesAgentKill(t *testing.T) {
	if !launcher.Cgo {
		t.Skip("skipping: built without cgo, so without the linux launcher")
	}
	isolation := []string{"--launcher=linux", "--isolation=cgroups/cpu,cgroups/mem,namespaces/pid"}
	c, l, _ := isolatedCluster(t, isolation...)
	state := launcher.LinuxStateDir(l.Root)
	t.Cleanup(func() { _ = os.RemoveAll(state) })
	work := filepath.Join(c.WorkDir, "agent1")
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=survivor", "--checkpoint",
		"--resources=cpus:0.1;mem:32", "--command=echo pid=$$; sleep 3 && touch done")
	exec.WaitOutput(t, regexp.MustCompile(`Received status update TASK_RUNNING`), 60*time.Second)
	if ents, err := os.ReadDir(state); err != nil || len(ents) != 1 {
		t.Fatalf("libcontainer's state under %s: %v, %v; want one container", state, ents, err)
	}

	c.Agents[0].Signal(syscall.SIGKILL)
	if _, err := c.Agents[0].Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(containerCgroups(l)) == 0 {
		t.Fatal("the container's cgroups went with the agent")
	}
	args := append(agentArgs(c, 1), "--cgroups_root="+l.Root, "--cgroups_pids_max=256")
	restarted := harness.StartProc(t, "mesos-agent", append(args, isolation...)...)
	restarted.WaitOutput(t, harness.HTTPAddr, 30*time.Second)

	code, err := exec.Wait(60 * time.Second)
	if err != nil || code != 0 {
		t.Fatalf("mesos-execute exit %d, %v; output:\n%s\nagent:\n%s", code, err, exec.Output(), restarted.Output())
	}
	out := exec.Output()
	if n := len(finishedRE.FindAllString(out, -1)); n != 1 || strings.Contains(out, "TASK_LOST") || strings.Contains(out, "TASK_FAILED") {
		t.Fatalf("want one TASK_FINISHED and no loss:\n%s", out)
	}
	if !strings.Contains(restarted.Output(), "executor reregistered") {
		t.Errorf("the executor did not reregister with the restarted agent:\n%s", restarted.Output())
	}
	if stdout := sandboxStdout(t, work, "survivor"); !strings.Contains(stdout, "pid=") {
		t.Errorf("the task's output: %q", stdout)
	}
	var done bool
	filepath.Walk(work, func(p string, info os.FileInfo, err error) error {
		done = done || (err == nil && info.Name() == "done" && strings.Contains(p, "/executors/survivor/"))
		return nil
	})
	if !done {
		t.Error("the task did not run to its end in its sandbox")
	}
	harness.Eventually(t, 30*time.Second, func() bool { return len(containerCgroups(l)) == 0 },
		"the container's cgroups to be removed")
	harness.Eventually(t, 30*time.Second, func() bool {
		ents, _ := os.ReadDir(state)
		return len(ents) == 0
	}, "libcontainer's state to be removed")
}
