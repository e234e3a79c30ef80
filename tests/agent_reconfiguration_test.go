package tests

import (
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/tests/harness"
)

// An agent restarted on the same work dir with more cpus: under
// --reconfiguration_policy=equal (the default) it refuses to start and
// says why; under additive it comes back with the same id and the master
// offers the larger agent.
func TestAgentRestartedWithChangedResources(t *testing.T) {
	c := harness.StartProcs(t, harness.ProcOptions{})
	st, err := c.State()
	if err != nil {
		t.Fatal(err)
	}
	agentID := agentIDs(st)
	// The master counts the agent once it answers; the agent has its id
	// (and has checkpointed it) once it says so.
	c.Agents[0].WaitOutput(t, regexp.MustCompile(`registered with master`), 30*time.Second)
	c.Agents[0].Signal(syscall.SIGTERM)
	if code, err := c.Agents[0].Wait(30 * time.Second); err != nil || code != 0 {
		t.Fatalf("agent after SIGTERM: exit %d, %v", code, err)
	}
	grown := func(extra ...string) []string {
		args := agentArgs(c, 1)
		for i, a := range args {
			if strings.HasPrefix(a, "--resources=") {
				args[i] = "--resources=cpus:4;mem:1024;disk:1024;ports:[31000-31100]"
			}
		}
		return append(args, extra...)
	}

	refused := harness.StartProc(t, "mesos-agent", grown()...)
	code, err := refused.Wait(30 * time.Second)
	if err != nil || code != 1 {
		t.Fatalf("mesos-agent with more cpus under the equal policy: exit %d, %v\n%s", code, err, refused.Output())
	}
	for _, want := range []string{"resources changed from cpus:2", "to cpus:4", "--reconfiguration_policy=additive", "meta/slaves/latest"} {
		if !strings.Contains(refused.Output(), want) {
			t.Errorf("the refusal does not say %q:\n%s", want, refused.Output())
		}
	}

	additive := harness.StartProc(t, "mesos-agent", grown("--reconfiguration_policy=additive")...)
	additive.WaitOutput(t, harness.HTTPAddr, 30*time.Second)
	var cpus any
	harness.Eventually(t, 30*time.Second, func() bool {
		st, err := c.State()
		if err != nil || st["activated_slaves"] != float64(1) {
			return false
		}
		slaves, _ := st["slaves"].([]any)
		s, _ := slaves[0].(map[string]any)
		res, _ := s["resources"].(map[string]any)
		cpus = res["cpus"]
		return cpus == float64(4)
	}, "the master to show the agent with 4 cpus")
	if got := agentIDs(st); got != agentID {
		t.Fatalf("agent id %q, was %q", got, agentID)
	}
}
