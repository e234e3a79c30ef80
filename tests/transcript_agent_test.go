package tests

import (
	"fmt"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/sim"
)

// txWorkDir is the agents' --work_dir; their disk is a map of files under
// it, as checkpoint.ReadFiles would read them.
const txWorkDir = "/var/tx/agent"

// txBackoff is the agents' --registration_backoff_factor: starting an
// agent runs the clock this far so that it has registered.
const txBackoff = 10 * time.Millisecond

func (c *txCluster) addAgent(args []sim.Arg) error {
	if len(args) == 0 || args[0].Vals != nil {
		return fmt.Errorf("add-agent wants a name")
	}
	text := sim.ArgVal(args, "resources")
	if text == "" {
		text = "cpus:2;mem:1024"
	}
	res, err := resources.Parse(text, "*")
	if err != nil {
		return err
	}
	c.nAgent++
	pid := actors.PID{ID: "slave(1)", Address: fmt.Sprintf("127.0.0.%d:5051", c.nAgent+1)}
	n, err := c.s.Add(args[0].Key, pid, nil, nil)
	if err != nil {
		return err
	}
	m, err := sim.NewMachine(c.s, n, sim.MachineConfig{Resources: res, WorkDir: txWorkDir, Backoff: txBackoff, UUIDs: c.uuids, Master: c.masterInfo})
	c.agents[n.Name] = m
	return err
}

// status makes the executor of a task send an update.
func txStatus(m *sim.Machine, args []sim.Arg) error {
	how := map[string]mesos.TaskState{
		"starting": mesos.TaskState_TASK_STARTING, "running": mesos.TaskState_TASK_RUNNING,
		"finished": mesos.TaskState_TASK_FINISHED, "failed": mesos.TaskState_TASK_FAILED, "killed": mesos.TaskState_TASK_KILLED,
	}
	st, ok := how[sim.ArgVal(args, "state")]
	if !ok {
		return fmt.Errorf("state= wants starting, running, finished, failed or killed")
	}
	return m.Status(sim.ArgVal(args, "task"), st)
}
