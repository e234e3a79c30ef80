package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/isolators/cgroups"
	"github.com/gomesos/gomesos/isolators/cgroups/cgroupstest"
	"github.com/gomesos/gomesos/tests/harness"
)

// The agent as a process with cgroups isolation: each test gets a cgroups
// root of its own (/gomesos-test-<pid>-<rand>/<test>, memory-limited) as
// --cgroups_root. They need root and cgroup v1, and skip otherwise.

const cgroupsIsolation = "--isolation=cgroups/cpu,cgroups/mem,cgroups/pids"

// isolatedCluster starts a master and one agent isolating under the test's
// own cgroups root, and returns it with the layout and the agent's HTTP
// address.
func isolatedCluster(t *testing.T, agentArgs ...string) (*harness.ProcCluster, *cgroups.Layout, string) {
	t.Helper()
	l := cgroupstest.Layout(t)
	args := append([]string{"--cgroups_root=" + l.Root, "--cgroups_pids_max=256"}, agentArgs...)
	c := harness.StartProcs(t, harness.ProcOptions{AgentArgs: args})
	return c, l, c.Agents[0].WaitOutput(t, harness.HTTPAddr, 30*time.Second)
}

// A task that outgrows its memory ends TASK_FAILED with the memory
// limitation's reason and message, and its cgroups are gone.
func TestIsolationMemoryLimit(t *testing.T) {
	c, l, _ := isolatedCluster(t, cgroupsIsolation)
	// tail keeps the whole newline-free stream in memory.
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=hog",
		"--resources=cpus:0.1;mem:32", "--command=head -c 400000000 /dev/zero | tail")
	code, err := exec.Wait(90 * time.Second)
	out := exec.Output()
	if err != nil || code != 1 {
		t.Fatalf("mesos-execute exit %d, %v; output:\n%s", code, err, out)
	}
	for _, want := range []string{"TASK_FAILED", "REASON_CONTAINER_LIMITATION_MEMORY", "Memory limit exceeded"} {
		if !strings.Contains(out, want) {
			t.Errorf("mesos-execute output lacks %q:\n%s", want, out)
		}
	}
	harness.Eventually(t, 30*time.Second, func() bool { return len(containerCgroups(l)) == 0 },
		"the task's cgroups to be removed")
}

// While a task runs its container has a cgroup in each controller and
// /monitor/statistics and /containers show its limits; once it ends
// nothing is left.
func TestIsolationCgroupsAndStatistics(t *testing.T) {
	c, l, agent := isolatedCluster(t, cgroupsIsolation)
	marker := filepath.Join(c.WorkDir, "done")
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=waiter",
		"--resources=cpus:0.5;mem:64",
		fmt.Sprintf("--command=while [ ! -e %s ]; do sleep 0.05; done", marker))
	exec.WaitOutput(t, regexpRunning, 60*time.Second)

	var stats map[string]any
	harness.Eventually(t, 30*time.Second, func() bool {
		list, err := getJSONList("http://" + agent + "/monitor/statistics")
		if err != nil || len(list) != 1 {
			return false
		}
		stats, _ = list[0]["statistics"].(map[string]any)
		return stats != nil && list[0]["executor_id"] == "waiter"
	}, "/monitor/statistics to show the task")
	// The command executor adds 0.1 cpus and 32 MB to the task's.
	if got := stats["cpus_limit"]; got != 0.6 {
		t.Errorf("cpus_limit = %v, want 0.6", got)
	}
	if got := stats["mem_limit_bytes"]; got != float64(96<<20) {
		t.Errorf("mem_limit_bytes = %v, want %d", got, 96<<20)
	}
	if p, _ := stats["processes"].(float64); p < 1 {
		t.Errorf("processes = %v", stats["processes"])
	}

	list, err := getJSONList("http://" + agent + "/containers")
	if err != nil || len(list) != 1 {
		t.Fatalf("/containers = %v, %v", list, err)
	}
	id, _ := list[0]["container_id"].(string)
	for _, ctl := range []string{"cpu", "cpuacct", "memory", "pids"} {
		if _, err := os.Stat(l.Dir(ctl, id)); err != nil {
			t.Errorf("the running container has no %s cgroup: %v", ctl, err)
		}
	}
	if got := containerCgroups(l); len(got) != 4 {
		t.Errorf("cgroups under the root while one task runs: %v", got)
	}

	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, err := exec.Wait(60 * time.Second); err != nil || code != 0 {
		t.Fatalf("mesos-execute exit %d, %v; output:\n%s", code, err, exec.Output())
	}
	harness.Eventually(t, 30*time.Second, func() bool { return len(containerCgroups(l)) == 0 },
		"the task's cgroups to be removed")
}

// With --launcher=linux and namespaces/pid the executor is PID 1 of its
// own pid namespace, and the task sees only its container's processes.
func TestIsolationLinuxLauncherPidNamespace(t *testing.T) {
	c, l, _ := isolatedCluster(t, "--launcher=linux", "--isolation=cgroups/cpu,cgroups/mem,namespaces/pid")
	exec := harness.StartProc(t, "mesos-execute", "--master="+c.Addr, "--name=ns",
		"--resources=cpus:0.1;mem:32",
		`--command=echo "pid1=$(tr '\0' ' ' </proc/1/cmdline)"; echo "procs=$(ls /proc | grep -c '^[0-9]')"`)
	if code, err := exec.Wait(60 * time.Second); err != nil || code != 0 {
		t.Fatalf("mesos-execute exit %d, %v; output:\n%s", code, err, exec.Output())
	}
	out := sandboxStdout(t, c.WorkDir, "ns")
	if !strings.Contains(out, "pid1=") || !strings.Contains(strings.SplitN(out, "pid1=", 2)[1], "mesos-executor") {
		t.Errorf("PID 1 in the container is not the executor:\n%s", out)
	}
	var procs int
	if i := strings.Index(out, "procs="); i < 0 {
		t.Fatalf("no process count in the task's output:\n%s", out)
	} else if _, err := fmt.Sscanf(out[i:], "procs=%d", &procs); err != nil {
		t.Fatalf("process count: %v in:\n%s", err, out)
	}
	// The executor, the shell and its pipeline: a handful, not the host's.
	if procs < 1 || procs > 8 {
		t.Errorf("the task sees %d processes, want a handful:\n%s", procs, out)
	}
	harness.Eventually(t, 30*time.Second, func() bool { return len(containerCgroups(l)) == 0 },
		"the task's cgroups to be removed")
}

// containerCgroups lists the container cgroups under the test's root in
// the hierarchies the agent uses.
func containerCgroups(l *cgroups.Layout) []string {
	var out []string
	for _, ctl := range []string{"cpu", "cpuacct", "memory", "pids", "freezer"} {
		entries, _ := os.ReadDir(l.Dir(ctl, ""))
		for _, e := range entries {
			if e.IsDir() {
				out = append(out, ctl+":"+e.Name())
			}
		}
	}
	return out
}

// sandboxStdout is the stdout of the executor named name under work.
func sandboxStdout(t *testing.T, work, name string) string {
	t.Helper()
	var out string
	filepath.Walk(work, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == "stdout" && strings.Contains(p, "/executors/"+name+"/") {
			b, _ := os.ReadFile(p)
			out += string(b)
		}
		return nil
	})
	return out
}

var regexpRunning = regexp.MustCompile(`TASK_RUNNING`)

// getJSONList fetches url and decodes a JSON list of objects.
func getJSONList(url string) ([]map[string]any, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	var list []map[string]any
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("GET %s: %v", url, err)
	}
	return list, nil
}
