package slave

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/slave/containerizer"
)

// SIGUSR1 (Core.Shutdown): the agent unregisters first, then asks its
// executors to shut down, kills them after their grace period, and is
// Terminated once they are gone; nothing is left to recover.
func TestCoreShutdownUnregistersShutsExecutorsDownAndTerminates(t *testing.T) {
	r := newCoreRun(t)
	d := runCheckpointed(t, r)
	effs := r.expect("shutdown", r.c.Shutdown(r.now, "Received SIGUSR1 signal"),
		send(&mesosinternal.UnregisterSlaveMessage{}, coreMaster),
		"cancel timer register", "cancel timer ping",
		send(&mesosinternal.ShutdownExecutorMessage{}, coreExec),
		"start timer executor-shutdown/c1 after 5s")
	if m := sentMsg[*mesosinternal.UnregisterSlaveMessage](t, effs); m.GetSlaveId().GetValue() != coreAgentID {
		t.Fatalf("UnregisterSlaveMessage = %v", m)
	}
	if r.c.Terminated() {
		t.Fatal("terminated while its executor runs")
	}
	// A second signal changes nothing.
	r.expect("second shutdown", r.c.Shutdown(r.now, "again"))
	// The executor's last update is not forwarded: its framework is going.
	r.expect("late update", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_KILLED, "uuid-killed-0001")))
	r.expect("grace over", r.c.Timer(r.now, "executor-shutdown/c1"), "destroy container c1")
	d.apply(r.c.ContainerExited(r.now, "c1", &containerizer.Termination{Status: proto.Int32(containerizer.KilledStatus)}, nil))
	if !r.c.Terminated() {
		t.Fatal("not terminated after its last executor ended")
	}
	// The agent keeps its id on disk; no framework is left to recover.
	st := d.state()
	if st.Slave == nil || st.Slave.ID != coreAgentID || len(st.Slave.Frameworks) != 0 {
		t.Fatalf("checkpoint after shutdown: %+v", st.Slave)
	}
	// Recovery timers and detections no longer register it.
	r.expect("detected", r.c.Detected(r.now, masterInfo()))
}

// The master's ShutdownMessage shuts the agent down without an
// UnregisterSlaveMessage (the master asked); with nothing running the
// agent is Terminated at once.
func TestCoreShutdownMessageFromMasterTerminates(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.expect("shutdown message", r.c.Receive(r.now, coreMaster, &mesosinternal.ShutdownMessage{Message: proto.String("Agent has been marked gone")}),
		"cancel timer register", "cancel timer ping")
	if !r.c.Terminated() {
		t.Fatal("not terminated")
	}
}

// SIGTERM (Core.Exit): executors of checkpointing frameworks are left
// running and nothing is written; a non-checkpointing framework's
// container is destroyed.
func TestCoreExitKeepsCheckpointedExecutors(t *testing.T) {
	r := newCoreRun(t)
	runCheckpointed(t, r)
	r.expect("exit", r.c.Exit(r.now), "cancel timer register", "cancel timer ping")
	if r.c.Terminated() {
		t.Fatal("an exit is not a shutdown")
	}

	r = newCoreRun(t)
	r.register()
	r.launch("t1", "e1") // frameworkInfo does not checkpoint
	r.expect("exit", r.c.Exit(r.now), "cancel timer register", "cancel timer ping", "destroy container c1")
}

// Shutdown before registration sends nothing to a master.
func TestCoreShutdownUnregisteredAgent(t *testing.T) {
	r := newCoreRun(t)
	r.c.Detected(r.now, masterInfo())
	effs := r.c.Shutdown(r.now, "bye")
	for _, e := range render(effs) {
		if e == send(&mesosinternal.UnregisterSlaveMessage{}, coreMaster) {
			t.Fatalf("unregistered without an id: %q", render(effs))
		}
	}
	if !r.c.Terminated() {
		t.Fatal("not terminated")
	}
}
