package slave

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/slave/checkpoint"
	"github.com/gomesos/gomesos/slave/containerizer"
)

// BenchmarkAgentRecovery measures an agent restart over a checkpoint of n
// running tasks (one executor each, in-memory containers, executors as
// actors in this process): from New (which reads and parses the meta
// folder) until every executor has reregistered. The
// --executor_reregistration_timeout the agent then waits out before it
// reregisters with the master is not included.
func BenchmarkAgentRecovery(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchRecovery(b, n) })
	}
}

func benchRecovery(b *testing.B, n int) {
	h := newHarness(b, true) // for its node, fake master and config
	im := containerizer.NewInMem()
	cfg := h.s.cfg
	cfg.Containerizer = im
	cfg.WorkDir = b.TempDir()
	p := checkpoint.Paths{WorkDir: cfg.WorkDir}
	write := func(path string, data []byte) {
		if err := os.MkdirAll(dirOf(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	marshal := func(m proto.Message) []byte {
		out, err := checkpoint.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	info := proto.Clone(h.s.info).(*mesos.SlaveInfo) // the agent's own configuration
	info.Id = &mesos.SlaveID{Value: proto.String(agentID)}
	write(p.SlaveInfo(agentID), marshal(info))
	if err := os.Symlink(p.Slave(agentID), p.LatestSlave()); err != nil {
		b.Fatal(err)
	}
	fw := proto.Clone(frameworkInfo).(*mesos.FrameworkInfo)
	fw.Checkpoint = proto.Bool(true)
	fid := fw.GetId().GetValue()
	write(p.FrameworkInfo(agentID, fid), marshal(fw))
	var back sync.WaitGroup
	for i := 0; i < n; i++ {
		eid, cid, tid := fmt.Sprintf("e%d", i), fmt.Sprintf("c%d", i), fmt.Sprintf("t%d", i)
		// A fake executor that reregisters when the agent reconnects it.
		ex, err := startFakeExecutor(h.node, eid, actors.PID{}, fid, eid, false)
		if err != nil {
			b.Fatal(err)
		}
		actortest.Handle(ex.Peer, func(*actors.Context, actors.PID, *mesosinternal.ExecutorReregisteredMessage) { back.Done() })
		pid := ex.PID()
		task := customTask(tid, eid)
		write(p.ExecutorInfo(agentID, fid, eid), marshal(task.GetExecutor()))
		if err := os.MkdirAll(dirOf(p.LatestRun(agentID, fid, eid)), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.Symlink(cid, p.LatestRun(agentID, fid, eid)); err != nil {
			b.Fatal(err)
		}
		write(p.ForkedPID(agentID, fid, eid, cid), []byte(strconv.Itoa(os.Getpid())))
		write(p.LibprocessPID(agentID, fid, eid, cid), []byte(pid.String()))
		write(p.TaskInfo(agentID, fid, eid, cid, tid), marshal(createTask(task, mesos.TaskState_TASK_STAGING, &mesos.FrameworkID{Value: proto.String(fid)})))
		u := &mesosinternal.StatusUpdate{FrameworkId: fw.Id, Uuid: []byte("uuid-" + tid), Status: &mesos.TaskStatus{
			TaskId: task.TaskId, State: mesos.TaskState_TASK_RUNNING.Enum()}}
		var journal []byte
		for _, r := range []*mesosinternal.StatusUpdateRecord{
			{Type: mesosinternal.StatusUpdateRecord_UPDATE.Enum(), Update: u},
			{Type: mesosinternal.StatusUpdateRecord_ACK.Enum(), Uuid: u.Uuid},
		} {
			rec, err := checkpoint.EncodeRecord(r)
			if err != nil {
				b.Fatal(err)
			}
			journal = append(journal, rec...)
		}
		write(p.TaskUpdates(agentID, fid, eid, cid, tid), journal)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cfg.ID = fmt.Sprintf("slave(%d)", i+2)
		back.Add(n)
		s, err := New(h.node, cfg)
		if err != nil {
			b.Fatal(err)
		}
		pid, err := s.Start()
		if err != nil {
			b.Fatal(err)
		}
		back.Wait()
		b.StopTimer()
		h.node.Stop(pid)
		s.p.diskWG.Wait()
		b.StartTimer()
	}
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i]
		}
	}
	return "."
}
