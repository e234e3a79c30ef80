package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	schedpb "github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

const wait = 20 * time.Second

func noEnv(string) string { return "" }

func TestFlagValidation(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "env.json")
	if err := os.WriteFile(envFile, []byte(`{"A":"1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"--master=127.0.0.1:5050", "--name=hello", "--command=echo hi"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--name=x", "--command=true"}, "Missing required option --master"},
		{[]string{"--master=127.0.0.1:5050", "--command=true"}, "Missing required option --name"},
		{[]string{"--master=127.0.0.1:5050", "--name=x"}, "Missing required option --command"},
		{append(base, "--bogus"), "bogus"},
		{append(base, "positional"), "unexpected argument"},
		{append(base, "--shell=maybe"), "shell"},
		{append(base, "--resources=cpus:lots"), "Failed to parse --resources"},
		{append(base, "--resources="), "asks for nothing"},
		{append(base, "--env=[1,2]"), "Invalid --env"},
		{append(base, `--env={"A":1}`), "not a string"},
		{append(base, "--env=file:///nonexistent/env.json"), "Invalid --env"},
		{append(base, "--kill_after=soon"), "kill_after"},
		{append(base, "--failover_timeout=-1secs"), "failover_timeout"},
		{append(base, "--role=bad role"), "Invalid --role"},
		{append(base, "--framework_name="), "--framework_name"},
		{[]string{"--master=zk://127.0.0.1:2181", "--name=x", "--command=true"}, "znode path"},
		{[]string{"--master=nonsense", "--name=x", "--command=true"}, "Invalid --master"},
		{[]string{"--master=127.0.0.1:5050", "--name=a/b", "--command=true"}, "Invalid --name"},
		{[]string{"--master=127.0.0.1:5050", "--name=x", "--command=  ", "--shell=false"}, "blank"},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, &out, &errOut, noEnv, nil)
		if code != 2 || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: code %d, stderr %q; want 2 and %q", tc.args, code, errOut.String(), tc.want)
		}
	}

	var out, errOut bytes.Buffer
	if code := run([]string{"--help"}, &out, &errOut, noEnv, nil); code != 0 {
		t.Fatalf("--help: code %d", code)
	}
	for _, f := range []string{"--master", "--name", "--command", "--shell", "--env", "--resources=cpus:1;mem:128",
		"--role=*", "--checkpoint", "--failover_timeout", "--kill_after", "--framework_name"} {
		if !strings.Contains(out.String(), f) {
			t.Errorf("--help does not mention %s:\n%s", f, out.String())
		}
	}

	// Valid flags, in both spellings Go's flag package accepts.
	o, err := parseFlags([]string{"--master=master@127.0.0.1:5050", "-name", "hello", "--command=ls -l /tmp",
		"--shell=false", "--env=file://" + envFile, "--kill_after=2secs", "--checkpoint", "--role=web", "--failover_timeout=10mins"}, io.Discard, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	task := o.taskTemplate()
	if task.GetTaskId().GetValue() != "hello" || task.GetCommand().GetShell() || task.GetCommand().GetValue() != "ls" ||
		strings.Join(task.GetCommand().GetArguments(), " ") != "ls -l /tmp" ||
		task.GetCommand().GetEnvironment().GetVariables()[0].GetName() != "A" {
		t.Fatalf("task %v", task)
	}
	if o.killAfter != 2*time.Second || o.resources.Scalar("cpus") != 1 || o.resources.Scalar("mem") != 128 {
		t.Fatalf("options %+v", o)
	}
	fw := o.frameworkInfo()
	if fw.GetName() != defaultFrameworkName || fw.GetRole() != "web" || !fw.GetCheckpoint() || fw.GetFailoverTimeout() != 600 {
		t.Fatalf("framework %v", fw)
	}
}

func TestFindResources(t *testing.T) {
	required := resources.MustParse("cpus:1;mem:128;ports:[31000-31000]")
	for _, tc := range []struct {
		offer string
		role  string
		ok    bool
	}{
		{"cpus:2;mem:1024;ports:[31000-32000]", "*", true},
		{"cpus:0.5;mem:1024;ports:[31000-32000]", "*", false},
		{"cpus:2;mem:100;ports:[31000-32000]", "*", false},
		{"cpus:2;mem:1024;ports:[32000-33000]", "*", false},
		{"cpus:2;mem:1024", "*", false},
		{"cpus(web):0.5;cpus:0.5;mem(web):1024;ports:[31000-31000]", "web", true},
		{"cpus(other):1;mem:1024;ports:[31000-31000]", "web", false},
	} {
		offered, err := resources.Parse(tc.offer, "*")
		if err != nil {
			t.Fatal(err)
		}
		found, ok := findResources(offered, required, tc.role)
		if ok != tc.ok {
			t.Errorf("offer %q role %s: ok=%v, want %v", tc.offer, tc.role, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		got := resources.New(found...)
		if got.Scalar("cpus") != 1 || got.Scalar("mem") != 128 || len(got.Ranges("ports")) != 1 {
			t.Errorf("offer %q: found %v", tc.offer, got)
		}
		if !offered.Contains(got) {
			t.Errorf("offer %q: found %v, which the offer does not contain", tc.offer, got)
		}
		if tc.role == "web" && got.Reserved("web").Scalar("cpus") != 0.5 {
			t.Errorf("offer %q: reserved resources not used first: %v", tc.offer, got)
		}
	}
}

// fakeMaster plays a master for one framework: it registers it, offers
// resources and answers an ACCEPT with the given task states.
type fakeMaster struct {
	offers []*mesos.Offer
	states []mesos.TaskState
	reason *mesos.TaskStatus_Reason

	mu    sync.Mutex
	calls []string
	ctx   *actors.Context
	done  chan struct{}
	once  sync.Once
}

func (m *fakeMaster) record(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, s)
}

func (m *fakeMaster) Initialize(ctx *actors.Context) {
	m.ctx = ctx
	actors.Install(ctx, func(from actors.PID, c *schedpb.Call) {
		m.record(c.GetType().String())
		fid := &mesos.FrameworkID{Value: proto.String("fw-1")}
		switch c.GetType() {
		case schedpb.Call_SUBSCRIBE:
			ctx.Send(from, &mesosinternal.FrameworkRegisteredMessage{
				FrameworkId: fid,
				MasterInfo:  &mesos.MasterInfo{Id: proto.String("m"), Ip: proto.Uint32(0), Port: proto.Uint32(0), Pid: proto.String(ctx.Self().String())},
			})
			ctx.Send(from, &mesosinternal.ResourceOffersMessage{Offers: m.offers})
		case schedpb.Call_ACCEPT:
			task := c.GetAccept().GetOperations()[0].GetLaunch().GetTaskInfos()[0]
			m.record("task " + task.GetTaskId().GetValue() + " on " + task.GetSlaveId().GetValue() + " " +
				resources.New(task.GetResources()...).String())
			for i, st := range m.states {
				status := &mesos.TaskStatus{
					TaskId: task.GetTaskId(),
					State:  st.Enum(),
					Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
				}
				if i == len(m.states)-1 {
					status.Message = proto.String("Command exited with status 0")
					status.Reason = m.reason
				}
				ctx.Send(from, &mesosinternal.StatusUpdateMessage{
					Update: &mesosinternal.StatusUpdate{
						FrameworkId: fid,
						SlaveId:     task.GetSlaveId(),
						Status:      status,
						Timestamp:   proto.Float64(1),
						Uuid:        []byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
					},
					Pid: proto.String("slave(1)@127.0.0.1:1"),
				})
			}
		case schedpb.Call_KILL:
			ctx.Send(from, &mesosinternal.StatusUpdateMessage{
				Update: &mesosinternal.StatusUpdate{
					FrameworkId: fid,
					Status: &mesos.TaskStatus{
						TaskId: c.GetKill().GetTaskId(),
						State:  mesos.TaskState_TASK_KILLED.Enum(),
						Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
					},
					Timestamp: proto.Float64(1),
				},
			})
		case schedpb.Call_TEARDOWN:
			m.once.Do(func() { close(m.done) })
		}
	})
}

func offerOf(id, agent, res string) *mesos.Offer {
	return &mesos.Offer{
		Id:          &mesos.OfferID{Value: proto.String(id)},
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		SlaveId:     &mesos.SlaveID{Value: proto.String(agent)},
		Hostname:    proto.String("localhost"),
		Resources:   resources.MustParse(res),
	}
}

func runAgainst(t *testing.T, m *fakeMaster, extra ...string) (int, string, string) {
	t.Helper()
	log := logrus.New()
	log.SetOutput(io.Discard)
	node, err := actors.NewNode(actors.Config{Local: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Shutdown)
	m.done = make(chan struct{})
	pid, err := node.Spawn("master", m)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	args := append([]string{"--master=" + pid.String(), "--name=hello", "--command=echo hello"}, extra...)
	code := make(chan int, 1)
	go func() { code <- run(args, &out, &errOut, noEnv, node) }()
	select {
	case c := <-code:
		select {
		case <-m.done:
		case <-time.After(wait):
			t.Fatal("no TEARDOWN after the task ended")
		}
		return c, out.String(), errOut.String()
	case <-time.After(wait):
		t.Fatalf("mesos-execute did not finish; stdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
		return 0, "", ""
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunFinished(t *testing.T) {
	m := &fakeMaster{
		offers: []*mesos.Offer{offerOf("small", "agent-0", "cpus:0.5;mem:1024"), offerOf("big", "agent-1", "cpus:4;mem:1024")},
		states: []mesos.TaskState{mesos.TaskState_TASK_STARTING, mesos.TaskState_TASK_RUNNING, mesos.TaskState_TASK_FINISHED},
	}
	code, out, errOut := runAgainst(t, m)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, line := range []string{
		"Subscribed with ID fw-1",
		"Submitted task 'hello' to agent 'agent-1'",
		"Received status update TASK_STARTING for task 'hello'",
		"Received status update TASK_RUNNING for task 'hello'",
		"Received status update TASK_FINISHED for task 'hello'\n  message: 'Command exited with status 0'\n  source: SOURCE_EXECUTOR",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("stdout lacks %q:\n%s", line, out)
		}
	}
	m.mu.Lock()
	calls := strings.Join(m.calls, "\n")
	m.mu.Unlock()
	for _, c := range []string{"SUBSCRIBE", "DECLINE", "ACCEPT", "task hello on agent-1 cpus:1; mem:128", "ACKNOWLEDGE", "TEARDOWN"} {
		if !strings.Contains(calls, c) {
			t.Errorf("master did not see %q:\n%s", c, calls)
		}
	}
}

func TestRunFailed(t *testing.T) {
	m := &fakeMaster{
		offers: []*mesos.Offer{offerOf("o1", "agent-1", "cpus:2;mem:256")},
		states: []mesos.TaskState{mesos.TaskState_TASK_RUNNING, mesos.TaskState_TASK_FAILED},
		reason: mesos.TaskStatus_REASON_COMMAND_EXECUTOR_FAILED.Enum(),
	}
	code, out, errOut := runAgainst(t, m)
	if code != 1 {
		t.Fatalf("exit code %d", code)
	}
	if !strings.Contains(out, "Received status update TASK_FAILED for task 'hello'") ||
		!strings.Contains(out, "  reason: REASON_COMMAND_EXECUTOR_FAILED") {
		t.Fatalf("stdout:\n%s", out)
	}
	if !strings.Contains(errOut, "TASK_FAILED") || !strings.Contains(errOut, "REASON_COMMAND_EXECUTOR_FAILED") ||
		!strings.Contains(errOut, "message: 'Command exited with status 0'") {
		t.Fatalf("stderr:\n%s", errOut)
	}
}

func TestRunKillAfter(t *testing.T) {
	m := &fakeMaster{
		offers: []*mesos.Offer{offerOf("o1", "agent-1", "cpus:2;mem:256")},
		states: []mesos.TaskState{mesos.TaskState_TASK_RUNNING},
	}
	code, out, _ := runAgainst(t, m, "--kill_after=10ms")
	if code != 1 || !strings.Contains(out, "Asked to kill task 'hello'") ||
		!strings.Contains(out, "Received status update TASK_KILLED for task 'hello'") {
		t.Fatalf("code %d, stdout:\n%s", code, out)
	}
}

// Without --verbose the user sees the driver's and the detector's
// warnings, not protoactor's.
func TestQuietRemoting(t *testing.T) {
	log := logrus.New()
	var out bytes.Buffer
	log.SetOutput(&out)
	log.SetLevel(logrus.WarnLevel)
	log.SetFormatter(&quietRemoting{Formatter: log.Formatter})
	proto := log.WithField("component", "protoactor")
	proto.Warn("protoactor: EndpointWriter lost connection")
	proto.Info("protoactor: started")
	proto.Error("protoactor: broken")
	log.Warn("Lost the link to the master")
	log.WithField("url", "http://127.0.0.1:5050/master/info").Warn("No master found at http://127.0.0.1:5050/master/info yet (connection refused); retrying")
	got := out.String()
	for _, want := range []string{"protoactor: broken", "Lost the link to the master", "No master found at"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q missing from\n%s", want, got)
		}
	}
	if strings.Contains(got, "EndpointWriter") || strings.Contains(got, "started") {
		t.Errorf("protoactor warnings shown:\n%s", got)
	}
}
