package slave

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/slave/checkpoint"
)

// An agent killed without a chance to clean up (its actor just stops) and
// started again over the same work dir keeps its id, reconnects the
// executor of a checkpointing framework, reregisters with its task, and
// goes on forwarding the task's updates.
func TestShellRestartKeepsAgentIDAndReconnectsExecutor(t *testing.T) {
	h, im, execs := newInMemHarness(t)
	h.register()
	fw := proto.Clone(frameworkInfo).(*mesos.FrameworkInfo)
	fw.Checkpoint = proto.Bool(true)
	h.master.SendNow(h.agent, &mesosinternal.RunTaskMessage{
		Framework: fw, Pid: proto.String("scheduler@127.0.0.1:1"), Task: customTask("t1", "e1"),
	})
	cid := <-im.Launches()
	ex := <-execs
	actortest.Must[*mesosinternal.RunTaskMessage](t, ex.Peer, nil)
	running := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
	acked := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.StatusUpdateAcknowledgementMessage](), To: h.agent})
	h.master.SendNow(h.agent, &mesosinternal.StatusUpdateAcknowledgementMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: running.GetUpdate().GetUuid(),
	})
	if _, err := acked.Wait(actortest.DefaultTimeout); err != nil {
		t.Fatal(err)
	}
	h.barrier()
	h.s.p.diskWG.Wait()

	// "kill -9": the actor is gone, the container and executor live on.
	h.node.Stop(h.agent)

	cfg := h.s.cfg
	cfg.ID = "slave(2)"
	s2, err := New(h.node, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s2.Stop)
	rereg := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.ReregisterSlaveMessage](), To: h.master.PID()})
	agent2, err := s2.Start()
	if err != nil {
		t.Fatal(err)
	}
	from, _ := actortest.MustFrom[*mesosinternal.ReconnectExecutorMessage](t, ex.Peer, nil)
	if from != agent2 {
		t.Fatalf("reconnect from %s, want %s", from, agent2)
	}
	actortest.Must[*mesosinternal.ExecutorReregisteredMessage](t, ex.Peer, nil)
	h.advanceUntil(rereg, time.Second, 50)
	msg := actortest.Must[*mesosinternal.ReregisterSlaveMessage](t, h.master, nil)
	if msg.GetSlave().GetId().GetValue() != agentID || len(msg.GetTasks()) != 1 ||
		msg.GetTasks()[0].GetState() != mesos.TaskState_TASK_RUNNING {
		t.Fatalf("ReregisterSlaveMessage = %v", msg)
	}
	if got := im.Containers(); len(got) != 1 || got[0] != cid {
		t.Fatalf("containers = %v", got)
	}
	done := h.node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.SlaveReregisteredMessage](), To: agent2})
	h.master.SendNow(agent2, &mesosinternal.SlaveReregisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}})
	if _, err := done.Wait(actortest.DefaultTimeout); err != nil {
		t.Fatal(err)
	}
	ex.sendStatus("t1", mesos.TaskState_TASK_FINISHED, "finished-t1")
	finished := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
	if st := finished.GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_FINISHED || finished.GetPid() != agent2.String() {
		t.Fatalf("update = %v", finished)
	}
}

// A corrupt checkpoint file stops the start with an error naming it; with
// --strict=false the agent starts, without what the file described.
func TestCorruptCheckpointFailsStartUnlessNotStrict(t *testing.T) {
	h := newHarness(t, true)
	p := checkpoint.Paths{WorkDir: h.s.cfg.WorkDir}
	info := proto.Clone(h.s.info).(*mesos.SlaveInfo) // the same configuration
	info.Id = &mesos.SlaveID{Value: proto.String("old")}
	b, _ := checkpoint.Marshal(info)
	if err := checkpoint.Write(p.SlaveInfo("old"), b); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Symlink(p.LatestSlave(), p.Slave("old")); err != nil {
		t.Fatal(err)
	}
	if err := checkpoint.Write(p.FrameworkInfo("old", "f1"), []byte("\xff\xff not a protobuf")); err != nil {
		t.Fatal(err)
	}
	cfg := h.s.cfg
	cfg.ID = "slave(2)"
	if _, err := New(h.node, cfg); err == nil || !strings.Contains(err.Error(), "framework.info") || !strings.Contains(err.Error(), "--strict=false") {
		t.Fatalf("New with a corrupt checkpoint: %v", err)
	}
	cfg.NonStrict = true
	s, err := New(h.node, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st := s.recovered; st.Slave == nil || st.Slave.ID != "old" || len(st.Slave.Frameworks) != 0 {
		t.Fatalf("recovered %+v", st.Slave)
	}
}
