package sim

import "testing"

// notableSeeds are the seeds that found something, with what they found
// and the verdict, replayed with every fault (--agents=4 --frameworks=2
// --tasks=30 --faults=all). A seed only shows its case with the
// simulator as it was when it was found; the verdicts are what stay.
// None of these is an open bug of a core: a core bug the simulator finds
// is reported with its seed, invariant and trace, and listed here as
// open until fixed.
var notableSeeds = []struct {
	seed uint64
	what string
}{
	// A framework sees TASK_FINISHED (or FAILED) and then TASK_LOST: the
	// agent went (link broken, or a new agent registered at its address)
	// after the terminal update was forwarded and before the framework
	// acknowledged it. Mesos does the same: the master holds a task until
	// its terminal update is acknowledged (master.cpp Master::acknowledge,
	// "Remove the task once the terminal update is acknowledged") and
	// reports every task it holds as TASK_LOST when the agent goes
	// (Master::_removeSlave, Master::__removeSlave, and
	// Master::removeFramework(Slave*, Framework*) for a disconnected
	// agent's non-checkpointing frameworks); updateTask keeps the terminal
	// state but the update is forwarded. Found first as seeds 14, 22, 37,
	// 126 and 148 of the previous simulator.
	{20, "FINISHED then LOST (REASON_SLAVE_DISCONNECTED): Mesos' behaviour"},
	{22, "FAILED then LOST (a new agent registered at the same address): Mesos' behaviour"},
	{85, "FINISHED then LOST for three tasks of one agent: Mesos' behaviour"},
	// A master restarted without a registry (as the simulator's was
	// before the registrar landed) readmits each agent as unknown and tells each framework its tasks' latest states
	// (REASON_SLAVE_REREGISTERED, no uuid), as Mesos'
	// Master::__reregisterSlave does ("Unknown agent reregistered"); the
	// agent's stream, whose head may be an older unacknowledged update,
	// follows: the framework saw FAILED, then RUNNING (uuid, latest
	// FAILED), then FAILED. The checker treats these master updates as it
	// treats reconciliation answers.
	{92, "master restart: the latest state ahead of the agent's stream: Mesos' behaviour"},
	// The same for a PARTITION_AWARE framework: FINISHED, then
	// TASK_UNREACHABLE (REASON_SLAVE_REMOVED) when the agent is marked
	// unreachable before the framework acknowledged FINISHED
	// (Master::__removeSlave uses TASK_UNREACHABLE for such frameworks).
	{124, "FINISHED then UNREACHABLE: Mesos' behaviour"},
	// A PARTITION_AWARE framework told TASK_UNREACHABLE for a task whose
	// launch was lost, then its agent came back without it: the framework
	// learns it at its next reconciliation (TASK_UNKNOWN); the end-of-run
	// check waits for that rather than calling the task unaccounted for.
	{289, "UNREACHABLE, then UNKNOWN after the agent is back: Mesos' behaviour"},
	// An agent marked unreachable comes back: the master tells each
	// framework its tasks' latest states ("Unreachable agent
	// re-reregistered", the same code of Master::__reregisterSlave), and
	// the agent's own updates of those states follow. A framework that is
	// not PARTITION_AWARE and was told TASK_LOST then sees the task's real
	// end, as Mesos documents. Found as seed 184 of the previous simulator.
	{184, "a readmitted agent's task states told by the master, then the agent's own: Mesos' behaviour"},
}

func TestNotableSeeds(t *testing.T) {
	all, _ := ParseFaults("all")
	for _, s := range notableSeeds {
		c, err := NewCluster(Config{Seed: s.seed, Agents: 4, Frameworks: 2, Tasks: 30, Faults: all})
		if err != nil {
			t.Fatal(err)
		}
		if res := c.Run(); res.Err != nil {
			t.Errorf("seed %d (%s): %v", s.seed, s.what, res.Err)
		}
	}
}
