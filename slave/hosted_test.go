package slave

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// hostedHarness is an agent with --command_executor=agent and no
// mesos-executor binary at all: a command task runs only if the agent
// hosts its executor.
func hostedHarness(t *testing.T) *harness {
	t.Helper()
	if testing.Short() {
		t.Skip("forks tasks")
	}
	return realHarness(t, t.TempDir(), func(c *Config) { c.CommandExecutor = CommandExecutorAgent })
}

func commandTask(id, command string) *mesos.TaskInfo {
	return &mesos.TaskInfo{
		Name: proto.String(id), TaskId: &mesos.TaskID{Value: proto.String(id)},
		SlaveId:   &mesos.SlaveID{Value: proto.String(agentID)},
		Resources: mustResources("cpus:0.1;mem:32"),
		Command:   &mesos.CommandInfo{Value: proto.String(command)},
	}
}

// updatesUntilTerminal acknowledges the executor's updates as the master
// would and returns them up to the first terminal one.
func (h *harness) updatesUntilTerminal() []*mesos.TaskStatus {
	h.t.Helper()
	var out []*mesos.TaskStatus
	for {
		u := actortest.Must[*mesosinternal.StatusUpdateMessage](h.t, h.master, nil)
		st := u.GetUpdate().GetStatus()
		out = append(out, st)
		h.ack(u)
		switch st.GetState() {
		case mesos.TaskState_TASK_STARTING, mesos.TaskState_TASK_RUNNING, mesos.TaskState_TASK_KILLING:
			continue
		}
		return out
	}
}

func states(sts []*mesos.TaskStatus) string {
	var s []string
	for _, st := range sts {
		s = append(s, st.GetState().String())
	}
	return strings.Join(s, ",")
}

// sandboxOf is the sandbox of the (only) executor the agent has or had.
func (h *harness) sandboxOf() (dir, container string) {
	st := h.barrier()
	for _, fw := range append(st["frameworks"].([]any), st["completed_frameworks"].([]any)...) {
		f := fw.(map[string]any)
		for _, ex := range append(f["executors"].([]any), f["completed_executors"].([]any)...) {
			e := ex.(map[string]any)
			dir, container = e["directory"].(string), e["container"].(string)
		}
	}
	return dir, container
}

// A hosted command task gets what the process executor gives it: the
// updates from the executor (STARTING, RUNNING, FINISHED), the sandbox as
// its working directory and MESOS_SANDBOX, its command's environment, and
// its output in the sandbox's stdout.
func TestHostedCommandTaskFinishes(t *testing.T) {
	h := hostedHarness(t)
	task := commandTask("hello", `echo "hello from $MESOS_EXECUTOR_ID $FOO" > out.txt; pwd -P >> out.txt; echo "$MESOS_SANDBOX" >> out.txt; echo to-stdout`)
	task.Command.Environment = &mesos.Environment{Variables: []*mesos.Environment_Variable{{Name: proto.String("FOO"), Value: proto.String("bar")}}}
	h.runTask(task)
	sts := h.updatesUntilTerminal()
	if got := states(sts); got != "TASK_STARTING,TASK_RUNNING,TASK_FINISHED" {
		t.Fatalf("updates %s", got)
	}
	for _, st := range sts {
		if st.GetSource() != mesos.TaskStatus_SOURCE_EXECUTOR || st.GetTaskId().GetValue() != "hello" {
			t.Fatalf("update %v", st)
		}
	}
	if msg := sts[2].GetMessage(); msg != "Command exited with status 0" {
		t.Fatalf("message %q", msg)
	}
	dir, _ := h.sandboxOf()
	b, err := os.ReadFile(filepath.Join(dir, "out.txt"))
	real, _ := filepath.EvalSymlinks(dir)
	if want := "hello from hello bar\n" + real + "\n" + dir + "\n"; err != nil || string(b) != want {
		t.Fatalf("out.txt = %q, %v; want %q", b, err, want)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "stdout")); err != nil || !strings.Contains(string(b), "to-stdout") {
		t.Fatalf("stdout = %q, %v", b, err)
	}
}

// A failing command ends TASK_FAILED with its exit status.
func TestHostedCommandTaskFails(t *testing.T) {
	h := hostedHarness(t)
	h.runTask(commandTask("bad", "exit 3"))
	sts := h.updatesUntilTerminal()
	last := sts[len(sts)-1]
	if last.GetState() != mesos.TaskState_TASK_FAILED || last.GetMessage() != "Command exited with status 3" {
		t.Fatalf("updates %s, last %v", states(sts), last)
	}
}

// KillTask: SIGTERM, then SIGKILL after the kill policy's grace period;
// the task ends TASK_KILLED.
func TestHostedKillTaskEscalates(t *testing.T) {
	h := hostedHarness(t)
	task := commandTask("stubborn", "trap '' TERM; echo ready > ready; while :; do sleep 0.1; done")
	task.KillPolicy = &mesos.KillPolicy{GracePeriod: &mesos.DurationInfo{Nanoseconds: proto.Int64(int64(200 * time.Millisecond))}}
	h.runTask(task)
	for range 2 { // STARTING, RUNNING
		h.ack(actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil))
	}
	dir, _ := h.sandboxOf()
	deadline := time.Now().Add(actortest.DefaultTimeout)
	for {
		if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the task never became ready")
		}
		time.Sleep(10 * time.Millisecond) // polling the file the task writes
	}
	h.master.SendNow(h.agent, &mesosinternal.KillTaskMessage{FrameworkId: frameworkInfo.GetId(), TaskId: task.GetTaskId()})
	sts := h.updatesUntilTerminal()
	last := sts[len(sts)-1]
	if last.GetState() != mesos.TaskState_TASK_KILLED || last.GetMessage() != "Command terminated with signal Killed" {
		t.Fatalf("updates %s, last %v", states(sts), last)
	}
}

// Framework shutdown kills a hosted task (its whole process group), by
// SIGTERM within the executor's shutdown grace period.
func TestHostedTaskKilledOnFrameworkShutdown(t *testing.T) {
	h := hostedHarness(t)
	h.runTask(commandTask("long", "sleep 600 & echo $! > child; wait"))
	for range 2 {
		h.ack(actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil))
	}
	dir, cid := h.sandboxOf()
	var child int
	deadline := time.Now().Add(actortest.DefaultTimeout)
	for child == 0 {
		if b, err := os.ReadFile(filepath.Join(dir, "child")); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
			child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the task never started its child")
		}
		time.Sleep(10 * time.Millisecond) // polling the file the task writes
	}
	h.master.SendNow(h.agent, &mesosinternal.ShutdownFrameworkMessage{FrameworkId: frameworkInfo.GetId()})
	// The updates of a terminating framework's tasks are dropped, as
	// Mesos does; the container ends.
	term, err := h.s.cont.Wait(t.Context(), cid)
	if err != nil {
		t.Fatal(err)
	}
	if term.Status == nil || !syscall.WaitStatus(*term.Status).Signaled() {
		t.Fatalf("termination %+v", term)
	}
	// The kill is asynchronous: wait (bounded) for the child to go.
	deadline = time.Now().Add(actortest.DefaultTimeout)
	for alive(child) {
		if time.Now().After(deadline) {
			t.Fatalf("the task's child %d outlived the framework's shutdown", child)
		}
		time.Sleep(10 * time.Millisecond) // polling /proc
	}
}

// alive: pid is a process that is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// A hosted task's container is on /containers and /monitor/statistics
// like any other, under the command executor's id.
func TestHostedTaskContainerIsMonitored(t *testing.T) {
	h := hostedHarness(t)
	h.runTask(commandTask("watched", "sleep 600"))
	for range 2 { // STARTING, RUNNING
		h.ack(actortest.Must[*mesosinternal.StatusUpdateMessage](t, h.master, nil))
	}
	_, cid := h.sandboxOf()
	for _, path := range []string{"/containers", "/monitor/statistics"} {
		rec := httptest.NewRecorder()
		h.s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		var got []map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != 200 {
			t.Fatalf("%s: %d %q: %v", path, rec.Code, rec.Body.String(), err)
		}
		if len(got) != 1 || got[0]["executor_id"] != "watched" || got[0]["statistics"] == nil ||
			(path == "/containers" && got[0]["container_id"] != cid) {
			t.Fatalf("%s = %v (container %s)", path, got, cid)
		}
	}
}
