package slave

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/slave/containerizer"
	"google.golang.org/protobuf/proto"
)

// buildCommandExecutor builds cmd/mesos-executor into a temporary launcher
// directory, or skips the test.
func buildCommandExecutor(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a binary; skipped in -short mode")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH; cannot build mesos-executor")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-o", filepath.Join(dir, "mesos-executor"), "github.com/gomesos/gomesos/cmd/mesos-executor")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cmd/mesos-executor does not build (yet): %v\n%s", err, out)
	}
	return dir
}

// remoteNode is the test binary's one remoting node (real executors dial
// it); one per process, since protoactor's remoting races with a second.
var remoteNode = sync.OnceValues(func() (*actors.Node, error) {
	return actors.NewNode(actors.Config{Host: "127.0.0.1", Logger: actortest.Logger()})
})

var realAgents atomic.Int64

// realHarness runs the agent with the posix containerizer on a real clock.
// adjust, if given, changes the agent's configuration.
func realHarness(t *testing.T, launcherDir string, adjust ...func(*Config)) *harness {
	t.Helper()
	node, err := remoteNode()
	if err != nil {
		t.Fatal(err)
	}
	master := actortest.NewPeer(t, node, actortest.UniqueID("master"))
	cfg := DefaultConfig()
	cfg.Detector = detector.NewStandalone(&mesos.MasterInfo{
		Id: proto.String("m"), Ip: proto.Uint32(0x7f000001), Port: proto.Uint32(5050), Pid: proto.String(master.PID().String()),
	})
	cfg.WorkDir = t.TempDir()
	cfg.Resources = "cpus:2;mem:1024;disk:1024;ports:[31000-31100]"
	cfg.Hostname = "agent.test"
	cfg.LauncherDir = launcherDir
	cfg.RegistrationBackoffFactor = time.Millisecond
	cfg.ID = fmt.Sprintf("slave(%d)", realAgents.Add(1))
	for _, f := range adjust {
		f(&cfg)
	}
	s, err := New(node, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, node: node, master: master, s: s}
	t.Cleanup(s.Stop)
	h.start()
	actortest.Must[*mesosinternal.RegisterSlaveMessage](t, master, nil)
	done := node.Filters().Expect(actors.Match{Type: actors.TypeOf[*mesosinternal.SlaveRegisteredMessage](), To: h.agent})
	master.SendNow(h.agent, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}})
	if _, err := done.Wait(actortest.DefaultTimeout); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) ack(u *mesosinternal.StatusUpdateMessage) {
	h.master.SendNow(h.agent, &mesosinternal.StatusUpdateAcknowledgementMessage{
		SlaveId: &mesos.SlaveID{Value: proto.String(agentID)}, FrameworkId: u.GetUpdate().GetFrameworkId(),
		TaskId: u.GetUpdate().GetStatus().GetTaskId(), Uuid: u.GetUpdate().GetUuid(),
	})
}

func TestEndToEndCommandTaskWithRealExecutor(t *testing.T) {
	dir := buildCommandExecutor(t)
	h := realHarness(t, dir)
	h.runTask(&mesos.TaskInfo{
		Name: proto.String("hello"), TaskId: &mesos.TaskID{Value: proto.String("hello")},
		SlaveId:   &mesos.SlaveID{Value: proto.String(agentID)},
		Resources: mustResources("cpus:0.1;mem:32"),
		Command:   &mesos.CommandInfo{Value: proto.String("echo hello from $MESOS_EXECUTOR_ID > out.txt")},
	})
	var states []string
	for {
		u := actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil)
		st := u.GetUpdate().GetStatus()
		if st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR || len(u.GetUpdate().GetUuid()) == 0 {
			t.Fatalf("update = %v", u)
		}
		states = append(states, st.GetState().String())
		h.ack(u)
		if st.GetState() == mesos.TaskState_TASK_FINISHED {
			break
		}
		if st.GetState() != mesos.TaskState_TASK_STARTING && st.GetState() != mesos.TaskState_TASK_RUNNING {
			t.Fatalf("states %v; last update %v", states, u)
		}
	}
	sandbox := ""
	st := h.barrier()
	for _, fw := range append(st["frameworks"].([]any), st["completed_frameworks"].([]any)...) {
		f := fw.(map[string]any)
		for _, ex := range append(f["executors"].([]any), f["completed_executors"].([]any)...) {
			sandbox = ex.(map[string]any)["directory"].(string)
		}
	}
	b, err := os.ReadFile(filepath.Join(sandbox, "out.txt"))
	if err != nil || strings.TrimSpace(string(b)) != "hello from hello" {
		t.Fatalf("out.txt = %q, %v (states %v)", b, err, states)
	}
}

func TestStopKillsExecutors(t *testing.T) {
	// The executor is a plain shell script: it never registers, and Stop
	// must still kill it.
	h := realHarness(t, t.TempDir())
	h.runTask(&mesos.TaskInfo{
		Name: proto.String("sleepy"), TaskId: &mesos.TaskID{Value: proto.String("t1")},
		SlaveId:   &mesos.SlaveID{Value: proto.String(agentID)},
		Resources: mustResources("cpus:0.1;mem:32"),
		Executor: &mesos.ExecutorInfo{
			ExecutorId: &mesos.ExecutorID{Value: proto.String("sleeper")},
			Command:    &mesos.CommandInfo{Value: proto.String("echo started > started; exec sleep 1000")},
		},
	})
	cont := h.s.cont.(*containerizer.Mesos)
	var cid string
	deadline := time.Now().Add(actortest.DefaultTimeout)
	for cid == "" {
		st := h.barrier()
		if fws := st["frameworks"].([]any); len(fws) == 1 {
			if execs := fws[0].(map[string]any)["executors"].([]any); len(execs) == 1 {
				e := execs[0].(map[string]any)
				if _, err := os.Stat(filepath.Join(e["directory"].(string), "started")); err == nil {
					cid = e["container"].(string)
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the executor did not start")
		}
		time.Sleep(10 * time.Millisecond) // polling the sandbox the script writes
	}
	h.s.Stop()
	if ids := cont.Containers(); len(ids) != 0 {
		t.Fatalf("containers left after Stop: %v", ids)
	}
	term, err := cont.Wait(context.Background(), cid)
	if err != nil || term.Status == nil || syscall.WaitStatus(*term.Status).Signal() != syscall.SIGKILL {
		t.Fatalf("termination = %+v, %v", term, err)
	}
}
