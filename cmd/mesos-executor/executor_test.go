package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/executordriver"
	"github.com/gomesos/gomesos/executordriver/command"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

const wait = 20 * time.Second

func testLog() *logrus.Entry { return logrus.NewEntry(actortest.Logger()) }

func shellTask(id, cmd string) *mesos.TaskInfo {
	return &mesos.TaskInfo{
		Name:    proto.String(id),
		TaskId:  &mesos.TaskID{Value: proto.String(id)},
		SlaveId: &mesos.SlaveID{Value: proto.String("agent-1")},
		Command: &mesos.CommandInfo{Value: proto.String(cmd)},
	}
}

func TestRunFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--help"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "--sandbox_directory") {
		t.Fatalf("--help: code %d, out %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"--bogus=1"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "bogus") {
		t.Fatalf("bad flag: code %d, stderr %q", code, errOut.String())
	}
	errOut.Reset()
	t.Setenv("MESOS_SLAVE_PID", "")
	if code := run(nil, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "MESOS_SLAVE_PID") {
		t.Fatalf("no agent: code %d, stderr %q", code, errOut.String())
	}
}

// startAgent starts a recording peer for an agent that registers the
// executor, launches task on it and acknowledges every update.
func startAgent(t *testing.T, node *actors.Node, task *mesos.TaskInfo) *actortest.Peer {
	t.Helper()
	agent := actortest.NewPeer(t, node, "slave(1)")
	actortest.Handle(agent, func(c *actors.Context, from actors.PID, m *mesosinternal.RegisterExecutorMessage) {
		c.Send(from, &mesosinternal.ExecutorRegisteredMessage{
			ExecutorInfo:  &mesos.ExecutorInfo{ExecutorId: m.GetExecutorId()},
			FrameworkId:   m.GetFrameworkId(),
			FrameworkInfo: &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("fw")},
			SlaveId:       &mesos.SlaveID{Value: proto.String("agent-1")},
			SlaveInfo:     &mesos.SlaveInfo{Hostname: proto.String("localhost")},
		})
		c.Send(from, &mesosinternal.RunTaskMessage{
			Framework: &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("fw")},
			Task:      task,
		})
	})
	actortest.Handle(agent, func(c *actors.Context, from actors.PID, m *mesosinternal.StatusUpdateMessage) {
		c.Send(from, &mesosinternal.StatusUpdateAcknowledgementMessage{
			SlaveId:     m.GetUpdate().GetSlaveId(),
			FrameworkId: m.GetUpdate().GetFrameworkId(),
			TaskId:      m.GetUpdate().GetStatus().GetTaskId(),
			Uuid:        m.GetUpdate().GetUuid(),
		})
	})
	return agent
}

func TestEndToEndWithExecutorDriver(t *testing.T) {
	node := actortest.NewNode(t, nil)
	agent := startAgent(t, node, shellTask("hello", "exit 0"))
	env := map[string]string{
		"MESOS_SLAVE_PID":    agent.PID().String(),
		"MESOS_SLAVE_ID":     "agent-1",
		"MESOS_FRAMEWORK_ID": "fw-1",
		"MESOS_EXECUTOR_ID":  "hello",
		"MESOS_DIRECTORY":    t.TempDir(),
	}
	getenv := func(k string) string { return env[k] }
	ce := command.New(command.Config{Log: testLog(), Getenv: getenv})
	driver, err := executordriver.NewMesosExecutorDriver(executordriver.DriverConfig{Executor: ce, Node: node, Getenv: getenv})
	if err != nil {
		t.Fatal(err)
	}
	code := make(chan int, 1)
	go func() { code <- runDriver(ce, driver, testLog()) }()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit code %d", c)
		}
	case <-time.After(wait):
		t.Fatal("executor did not finish")
	}
	// The executor waits for every acknowledgement before it exits, and
	// the agent records an update before it acknowledges it.
	var states []string
	for _, u := range actortest.All[*mesosinternal.StatusUpdateMessage](agent) {
		states = append(states, u.GetUpdate().GetStatus().GetState().String())
	}
	if got := strings.Join(states, ","); got != "TASK_STARTING,TASK_RUNNING,TASK_FINISHED" {
		t.Fatalf("updates %s", got)
	}
}
