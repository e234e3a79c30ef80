package executordriver

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/internal/effecttest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
)

var (
	coreNow    = time.Unix(1_700_000_000, 0)
	coreAgent  = actors.PID{ID: "slave(1)", Address: "127.0.0.1:5051"}
	coreAgent2 = actors.PID{ID: "slave(1)", Address: "127.0.0.1:5052"}
	coreSelf   = actors.PID{ID: "executor(1)", Address: "127.0.0.1:6000"}
)

func coreConfig() CoreConfig {
	return CoreConfig{
		FrameworkID: "fw-1", ExecutorID: "e1", SlaveID: "a1",
		Agent: coreAgent, Self: coreSelf,
		RecoveryTimeout: 15 * time.Minute, ShutdownGracePeriod: 5 * time.Second,
		UUIDs: protocol.SequentialUUIDs(7),
	}
}

func ids() (*mesos.FrameworkID, *mesos.ExecutorID, *mesos.SlaveID) {
	return &mesos.FrameworkID{Value: proto.String("fw-1")}, &mesos.ExecutorID{Value: proto.String("e1")},
		&mesos.SlaveID{Value: proto.String("a1")}
}

func taskInfo(id string) *mesos.TaskInfo {
	return &mesos.TaskInfo{Name: proto.String(id), TaskId: &mesos.TaskID{Value: proto.String(id)},
		SlaveId: &mesos.SlaveID{Value: proto.String("a1")}}
}

func taskID(id string) *mesos.TaskID { return &mesos.TaskID{Value: proto.String(id)} }

// registeredCore is a core registered with coreAgent.
func registeredCore(cfg CoreConfig) *Core {
	c := NewCore(cfg)
	c.Start(coreNow)
	c.Receive(coreNow, coreAgent, &mesosinternal.ExecutorRegisteredMessage{})
	return c
}

// expectedUpdate is the n-th status update a core built from coreConfig
// sends, stamped at coreNow.
func expectedUpdate(n int, id string, state mesos.TaskState) *mesosinternal.StatusUpdate {
	u := protocol.SequentialUUIDs(7)
	var uuid protocol.UUID
	for range n {
		uuid = u.NewUUID()
	}
	fw, ex, sl := ids()
	ts := float64(coreNow.UnixNano()) / 1e9
	return &mesosinternal.StatusUpdate{
		FrameworkId: fw, ExecutorId: ex, SlaveId: sl, Timestamp: proto.Float64(ts), Uuid: uuid.Bytes(),
		Status: &mesos.TaskStatus{TaskId: taskID(id), State: state.Enum(), SlaveId: sl, Uuid: uuid.Bytes(), Timestamp: proto.Float64(ts)},
	}
}

func TestCoreEvents(t *testing.T) {
	fw, ex, sl := ids()
	running := &mesos.TaskStatus{TaskId: taskID("t1"), State: mesos.TaskState_TASK_RUNNING.Enum()}
	for _, tc := range []struct {
		name  string
		setup func() *Core
		event func(c *Core) []effect.Effect
		want  []effect.Effect
		check func(t *testing.T, c *Core)
	}{{
		name:  "start links to the agent and registers",
		setup: func() *Core { return NewCore(coreConfig()) },
		event: func(c *Core) []effect.Effect { return c.Start(coreNow) },
		want: []effect.Effect{effect.Link{PID: coreAgent},
			effect.Send{To: coreAgent, Msg: &mesosinternal.RegisterExecutorMessage{FrameworkId: fw, ExecutorId: ex}}},
	}, {
		name: "start with Reregister (a restarted agent hosts it again) reregisters with its tasks",
		setup: func() *Core {
			cfg := coreConfig()
			cfg.Reregister, cfg.Tasks = true, []*mesos.TaskInfo{taskInfo("t1")}
			return NewCore(cfg)
		},
		event: func(c *Core) []effect.Effect { return c.Start(coreNow) },
		want: []effect.Effect{effect.Link{PID: coreAgent},
			effect.Send{To: coreAgent, Msg: &mesosinternal.ReregisterExecutorMessage{FrameworkId: fw, ExecutorId: ex,
				Tasks: []*mesos.TaskInfo{taskInfo("t1")}}}},
		check: func(t *testing.T, c *Core) {
			if u, n := c.Unacknowledged(); u != 0 || n != 1 {
				t.Fatalf("unacknowledged %d updates, %d tasks", u, n)
			}
		},
	}, {
		name: "registered: Registered callback",
		setup: func() *Core {
			c := NewCore(coreConfig())
			c.Start(coreNow)
			return c
		},
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.ExecutorRegisteredMessage{
				SlaveInfo: &mesos.SlaveInfo{Hostname: proto.String("h")}})
		},
		want: []effect.Effect{effect.CancelTimer{Key: RecoveryTimer},
			OnRegistered{SlaveInfo: &mesos.SlaveInfo{Hostname: proto.String("h")}}},
		check: func(t *testing.T, c *Core) {
			if !c.Connected() {
				t.Fatal("not connected")
			}
		},
	}, {
		name:  "RunTask: LaunchTask callback, the task kept until acknowledged",
		setup: func() *Core { return registeredCore(coreConfig()) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.RunTaskMessage{Task: taskInfo("t1")})
		},
		want: []effect.Effect{OnLaunchTask{Task: taskInfo("t1")}},
		check: func(t *testing.T, c *Core) {
			if u, n := c.Unacknowledged(); u != 0 || n != 1 {
				t.Fatalf("unacknowledged %d updates, %d tasks", u, n)
			}
		},
	}, {
		name: "a duplicate RunTask is ignored",
		setup: func() *Core {
			c := registeredCore(coreConfig())
			c.Receive(coreNow, coreAgent, &mesosinternal.RunTaskMessage{Task: taskInfo("t1")})
			return c
		},
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.RunTaskMessage{Task: taskInfo("t1")})
		},
	}, {
		name:  "RunTask before registration is ignored",
		setup: func() *Core { return NewCore(coreConfig()) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.RunTaskMessage{Task: taskInfo("t1")})
		},
	}, {
		name:  "status update: sent with a fresh uuid, the agent id and the driver's pid",
		setup: func() *Core { return registeredCore(coreConfig()) },
		event: func(c *Core) []effect.Effect { return c.SendStatusUpdate(coreNow, running) },
		want: []effect.Effect{effect.Send{To: coreAgent, Msg: &mesosinternal.StatusUpdateMessage{
			Update: expectedUpdate(1, "t1", mesos.TaskState_TASK_RUNNING), Pid: proto.String(coreSelf.String())}}},
		check: func(t *testing.T, c *Core) {
			if u, _ := c.Unacknowledged(); u != 1 {
				t.Fatalf("%d unacknowledged updates, want 1", u)
			}
			if running.Uuid != nil {
				t.Fatal("the caller's status was changed")
			}
		},
	}, {
		name: "an acknowledgement forgets the update and its task",
		setup: func() *Core {
			c := registeredCore(coreConfig())
			c.Receive(coreNow, coreAgent, &mesosinternal.RunTaskMessage{Task: taskInfo("t1")})
			c.SendStatusUpdate(coreNow, running)
			return c
		},
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.StatusUpdateAcknowledgementMessage{
				SlaveId: sl, FrameworkId: fw, TaskId: taskID("t1"), Uuid: expectedUpdate(1, "t1", 0).Uuid})
		},
		check: func(t *testing.T, c *Core) {
			if u, n := c.Unacknowledged(); u != 0 || n != 0 {
				t.Fatalf("unacknowledged %d updates, %d tasks", u, n)
			}
		},
	}, {
		name: "an acknowledgement of an unknown uuid changes nothing",
		setup: func() *Core {
			c := registeredCore(coreConfig())
			c.SendStatusUpdate(coreNow, running)
			return c
		},
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.StatusUpdateAcknowledgementMessage{
				TaskId: taskID("t1"), Uuid: []byte("0123456789abcdef")})
		},
		check: func(t *testing.T, c *Core) {
			if u, _ := c.Unacknowledged(); u != 1 {
				t.Fatalf("%d unacknowledged updates, want 1", u)
			}
		},
	}, {
		name: "a restarted agent asks to reconnect: re-register with what is unacknowledged",
		setup: func() *Core {
			c := registeredCore(coreConfig())
			c.Receive(coreNow, coreAgent, &mesosinternal.RunTaskMessage{Task: taskInfo("t1")})
			c.SendStatusUpdate(coreNow, running)
			return c
		},
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent2, &mesosinternal.ReconnectExecutorMessage{SlaveId: sl})
		},
		want: []effect.Effect{effect.Unlink{PID: coreAgent}, effect.Link{PID: coreAgent2},
			effect.Send{To: coreAgent2, Msg: &mesosinternal.ReregisterExecutorMessage{ExecutorId: ex, FrameworkId: fw,
				Updates: []*mesosinternal.StatusUpdate{expectedUpdate(1, "t1", mesos.TaskState_TASK_RUNNING)},
				Tasks:   []*mesos.TaskInfo{taskInfo("t1")}}}},
	}, {
		name:  "kill: KillTask callback",
		setup: func() *Core { return registeredCore(coreConfig()) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.KillTaskMessage{TaskId: taskID("t1")})
		},
		want: []effect.Effect{OnKillTask{TaskID: taskID("t1")}},
	}, {
		name:  "framework message: FrameworkMessage callback",
		setup: func() *Core { return registeredCore(coreConfig()) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.FrameworkToExecutorMessage{Data: []byte("hi")})
		},
		want: []effect.Effect{OnFrameworkMessage{Data: "hi"}},
	}, {
		name:  "shutdown: self-kill after the grace period, Shutdown callback, then deaf",
		setup: func() *Core { return registeredCore(coreConfig()) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.ShutdownExecutorMessage{})
		},
		want: []effect.Effect{SelfKill{After: 5 * time.Second}, OnShutdown{}},
		check: func(t *testing.T, c *Core) {
			if got := c.Receive(coreNow, coreAgent, &mesosinternal.KillTaskMessage{TaskId: taskID("t1")}); got != nil {
				t.Fatalf("after shutdown: %s", effecttest.Format(got))
			}
		},
	}, {
		name: "shutdown in local mode: no self-kill",
		setup: func() *Core {
			cfg := coreConfig()
			cfg.Local = true
			return registeredCore(cfg)
		},
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.ShutdownExecutorMessage{})
		},
		want: []effect.Effect{OnShutdown{}},
	}, {
		name:  "the agent's link breaks without checkpointing: shut down",
		setup: func() *Core { return registeredCore(coreConfig()) },
		event: func(c *Core) []effect.Effect { return c.Exited(coreNow, coreAgent) },
		want:  []effect.Effect{SelfKill{After: 5 * time.Second}, OnShutdown{}},
	}, {
		name: "the agent's link breaks with checkpointing: wait for the recovery timeout",
		setup: func() *Core {
			cfg := coreConfig()
			cfg.Checkpoint = true
			return registeredCore(cfg)
		},
		event: func(c *Core) []effect.Effect { return c.Exited(coreNow, coreAgent) },
		want:  []effect.Effect{effect.StartTimer{Key: RecoveryTimer, After: 15 * time.Minute}},
	}, {
		name: "the recovery timeout runs out: shut down",
		setup: func() *Core {
			cfg := coreConfig()
			cfg.Checkpoint = true
			c := registeredCore(cfg)
			c.Exited(coreNow, coreAgent)
			return c
		},
		event: func(c *Core) []effect.Effect { return c.Timer(coreNow, RecoveryTimer) },
		want:  []effect.Effect{SelfKill{After: 5 * time.Second}, OnShutdown{}},
	}, {
		name:  "an error: Error callback, then deaf",
		setup: func() *Core { return registeredCore(coreConfig()) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.FrameworkErrorMessage{Message: proto.String("boom")})
		},
		want: []effect.Effect{OnError{Message: "boom"}},
		check: func(t *testing.T, c *Core) {
			if got := c.Receive(coreNow, coreAgent, &mesosinternal.ShutdownExecutorMessage{}); got != nil {
				t.Fatalf("after an error: %s", effecttest.Format(got))
			}
		},
	}, {
		name:  "stop: terminate",
		setup: func() *Core { return registeredCore(coreConfig()) },
		event: func(c *Core) []effect.Effect { return c.Stop(coreNow) },
		want:  []effect.Effect{effect.CancelTimer{Key: RecoveryTimer}, Terminate{}},
	}, {
		name:  "an unknown message is ignored",
		setup: func() *Core { return registeredCore(coreConfig()) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreAgent, &mesosinternal.PingSlaveMessage{})
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.setup()
			if got := tc.event(c); !effecttest.Equal(got, tc.want) {
				t.Fatalf("effects:%s\nwant:%s", effecttest.Format(got), effecttest.Format(tc.want))
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}
