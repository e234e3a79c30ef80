package schedulerdriver

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/internal/effecttest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	schedpb "github.com/gomesos/gomesos/messages/scheduler"
)

// half is a random source whose every Float64 is 0.5.
type half struct{}

func (half) Uint64() uint64 { return 1 << 52 }

var (
	coreNow     = time.Unix(1_700_000_000, 0)
	coreMaster  = actors.PID{ID: "master", Address: "127.0.0.1:5050"}
	coreMaster2 = actors.PID{ID: "master", Address: "127.0.0.1:5051"}
	coreAgent   = actors.PID{ID: "slave(1)", Address: "127.0.0.1:5052"}
)

func coreInfo(pid actors.PID) *mesos.MasterInfo {
	return &mesos.MasterInfo{Id: proto.String("m-" + pid.Address), Ip: proto.Uint32(16777343),
		Port: proto.Uint32(5050), Pid: proto.String(pid.String())}
}

func coreFramework() *mesos.FrameworkInfo {
	return &mesos.FrameworkInfo{User: proto.String("tester"), Name: proto.String("fw"), Hostname: proto.String("h")}
}

func newTestCore(fw *mesos.FrameworkInfo) *Core {
	return NewCore(CoreConfig{Framework: fw, Rand: rand.New(half{})})
}

func fid(id string) *mesos.FrameworkID { return &mesos.FrameworkID{Value: proto.String(id)} }

func subscribe(fw *mesos.FrameworkInfo, id string, force *bool) effect.Send {
	call := &schedpb.Call{Type: schedpb.Call_SUBSCRIBE.Enum(), Subscribe: &schedpb.Call_Subscribe{FrameworkInfo: fw}}
	if id != "" {
		fw = proto.Clone(fw).(*mesos.FrameworkInfo)
		fw.Id = fid(id)
		call.Subscribe.FrameworkInfo = fw
		call.FrameworkId = fid(id)
		call.Subscribe.Force = force
	}
	return effect.Send{To: coreMaster, Msg: call}
}

func call(t schedpb.Call_Type, c *schedpb.Call) effect.Send {
	c.Type = t.Enum()
	c.FrameworkId = fid("fw-1")
	return effect.Send{To: coreMaster, Msg: c}
}

// registered is a core registered as fw-1 with coreMaster.
func registered(t *testing.T, fw *mesos.FrameworkInfo) *Core {
	t.Helper()
	c := newTestCore(fw)
	c.Detected(coreNow, coreInfo(coreMaster))
	c.Receive(coreNow, coreMaster, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1"), MasterInfo: coreInfo(coreMaster)})
	if !c.Connected() {
		t.Fatal("not connected after registration")
	}
	return c
}

func statusUpdate(id string, state mesos.TaskState, uuid []byte) *mesosinternal.StatusUpdateMessage {
	return &mesosinternal.StatusUpdateMessage{
		Update: &mesosinternal.StatusUpdate{
			FrameworkId: fid("fw-1"),
			SlaveId:     &mesos.SlaveID{Value: proto.String("a1")},
			Status:      &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String(id)}, State: state.Enum()},
			Timestamp:   proto.Float64(1),
			Uuid:        uuid,
		},
		Pid: proto.String(coreAgent.String()),
	}
}

func launch(id string) []*mesos.TaskInfo {
	return []*mesos.TaskInfo{{Name: proto.String(id), TaskId: &mesos.TaskID{Value: proto.String(id)},
		SlaveId: &mesos.SlaveID{Value: proto.String("a1")}}}
}

func offerIDs(ids ...string) []*mesos.OfferID {
	var out []*mesos.OfferID
	for _, id := range ids {
		out = append(out, &mesos.OfferID{Value: proto.String(id)})
	}
	return out
}

func TestCoreEvents(t *testing.T) {
	fw := coreFramework()
	uuid := []byte("0123456789abcdef")
	ts := float64(coreNow.UnixNano()) / 1e9
	lost := func(state mesos.TaskState) OnStatusUpdate {
		return OnStatusUpdate{Status: &mesos.TaskStatus{
			TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: state.Enum(),
			Source: mesos.TaskStatus_SOURCE_MASTER.Enum(), Reason: mesos.TaskStatus_REASON_MASTER_DISCONNECTED.Enum(),
			Message: proto.String("Master disconnected"), Timestamp: proto.Float64(ts)}}
	}
	offers := []*mesos.Offer{{Id: &mesos.OfferID{Value: proto.String("o1")}, FrameworkId: fid("fw-1"),
		SlaveId: &mesos.SlaveID{Value: proto.String("a1")}, Hostname: proto.String("h")}}
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) *Core
		event func(c *Core) []effect.Effect
		want  []effect.Effect
	}{{
		name:  "detection sends SUBSCRIBE at once and arms the first retry (half of 2 s)",
		setup: func(*testing.T) *Core { return newTestCore(fw) },
		event: func(c *Core) []effect.Effect { return c.Detected(coreNow, coreInfo(coreMaster)) },
		want: []effect.Effect{effect.CancelTimer{Key: RedetectTimer}, effect.CancelTimer{Key: detector.RegisterTimer},
			effect.Link{PID: coreMaster}, effect.StartTimer{Key: detector.RegisterTimer, After: time.Second},
			subscribe(fw, "", nil)},
	}, {
		name: "the retry timer re-sends SUBSCRIBE with a doubled bound",
		setup: func(*testing.T) *Core {
			c := newTestCore(fw)
			c.Detected(coreNow, coreInfo(coreMaster))
			return c
		},
		event: func(c *Core) []effect.Effect { return c.Timer(coreNow, detector.RegisterTimer) },
		want:  []effect.Effect{effect.StartTimer{Key: detector.RegisterTimer, After: 2 * time.Second}, subscribe(fw, "", nil)},
	}, {
		name: "a failing-over framework subscribes with its id and force",
		setup: func(*testing.T) *Core {
			f := coreFramework()
			f.Id = fid("fw-old")
			f.FailoverTimeout = proto.Float64(1) // retries bounded by 100 ms
			return newTestCore(f)
		},
		event: func(c *Core) []effect.Effect { return c.Detected(coreNow, coreInfo(coreMaster)) },
		want: func() []effect.Effect {
			f := coreFramework()
			f.FailoverTimeout = proto.Float64(1)
			return []effect.Effect{effect.CancelTimer{Key: RedetectTimer}, effect.CancelTimer{Key: detector.RegisterTimer},
				effect.Link{PID: coreMaster}, effect.StartTimer{Key: detector.RegisterTimer, After: 50 * time.Millisecond},
				subscribe(f, "fw-old", proto.Bool(true))}
		}(),
	}, {
		name: "registration from the leader: Registered callback, retry cancelled",
		setup: func(*testing.T) *Core {
			c := newTestCore(fw)
			c.Detected(coreNow, coreInfo(coreMaster))
			return c
		},
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreMaster, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1")})
		},
		want: []effect.Effect{effect.CancelTimer{Key: detector.RegisterTimer},
			OnRegistered{FrameworkID: fid("fw-1"), MasterInfo: coreInfo(coreMaster)}},
	}, {
		name: "registration from another master is ignored",
		setup: func(*testing.T) *Core {
			c := newTestCore(fw)
			c.Detected(coreNow, coreInfo(coreMaster))
			return c
		},
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreMaster2, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1")})
		},
	}, {
		name:  "offers: ResourceOffers callback",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreMaster, &mesosinternal.ResourceOffersMessage{Offers: offers, Pids: []string{coreAgent.String()}})
		},
		want: []effect.Effect{OnResourceOffers{Offers: offers}},
	}, {
		name:  "status update with a uuid: StatusUpdate callback carrying the ACKNOWLEDGE",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreMaster, statusUpdate("t1", mesos.TaskState_TASK_RUNNING, uuid))
		},
		want: []effect.Effect{OnStatusUpdate{
			Status: &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: mesos.TaskState_TASK_RUNNING.Enum(), Uuid: uuid},
			Ack:    &schedpb.Call_Acknowledge{SlaveId: &mesos.SlaveID{Value: proto.String("a1")}, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: uuid},
		}},
	}, {
		name:  "the acknowledgement after the callback goes to the master",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect {
			return c.Acknowledge(coreNow, &schedpb.Call_Acknowledge{SlaveId: &mesos.SlaveID{Value: proto.String("a1")},
				TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: uuid})
		},
		want: []effect.Effect{call(schedpb.Call_ACKNOWLEDGE, &schedpb.Call{Acknowledge: &schedpb.Call_Acknowledge{
			SlaveId: &mesos.SlaveID{Value: proto.String("a1")}, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: uuid}})},
	}, {
		name:  "a master-generated update (no uuid) is not acknowledged",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreMaster, statusUpdate("t1", mesos.TaskState_TASK_LOST, nil))
		},
		want: []effect.Effect{OnStatusUpdate{Status: &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t1")}, State: mesos.TaskState_TASK_LOST.Enum()}}},
	}, {
		name:  "launch while disconnected: TASK_LOST callback, nothing sent",
		setup: func(*testing.T) *Core { return newTestCore(fw) },
		event: func(c *Core) []effect.Effect { return c.LaunchTasks(coreNow, offerIDs("o1"), launch("t1"), nil) },
		want:  []effect.Effect{lost(mesos.TaskState_TASK_LOST)},
	}, {
		name: "launch while disconnected, PARTITION_AWARE: TASK_DROPPED",
		setup: func(*testing.T) *Core {
			f := coreFramework()
			f.Capabilities = []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE.Enum()}}
			return newTestCore(f)
		},
		event: func(c *Core) []effect.Effect { return c.LaunchTasks(coreNow, offerIDs("o1"), launch("t1"), nil) },
		want:  []effect.Effect{lost(mesos.TaskState_TASK_DROPPED)},
	}, {
		name:  "launch while connected: ACCEPT with one LAUNCH",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect { return c.LaunchTasks(coreNow, offerIDs("o1"), launch("t1"), nil) },
		want: []effect.Effect{call(schedpb.Call_ACCEPT, &schedpb.Call{Accept: &schedpb.Call_Accept{OfferIds: offerIDs("o1"),
			Operations: []*mesos.Offer_Operation{{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: launch("t1")}}}}})},
	}, {
		name:  "no tasks: DECLINE",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect { return c.LaunchTasks(coreNow, offerIDs("o1"), nil, nil) },
		want:  []effect.Effect{call(schedpb.Call_DECLINE, &schedpb.Call{Decline: &schedpb.Call_Decline{OfferIds: offerIDs("o1")}})},
	}, {
		name: "after a launch on an offer, framework messages go straight to its agent",
		setup: func(t *testing.T) *Core {
			c := registered(t, fw)
			c.Receive(coreNow, coreMaster, &mesosinternal.ResourceOffersMessage{Offers: offers, Pids: []string{coreAgent.String()}})
			c.LaunchTasks(coreNow, offerIDs("o1"), launch("t1"), nil)
			return c
		},
		event: func(c *Core) []effect.Effect {
			return c.SendFrameworkMessage(coreNow, &mesos.ExecutorID{Value: proto.String("e1")}, &mesos.SlaveID{Value: proto.String("a1")}, "hi")
		},
		want: []effect.Effect{effect.Send{To: coreAgent, Msg: &mesosinternal.FrameworkToExecutorMessage{
			SlaveId: &mesos.SlaveID{Value: proto.String("a1")}, FrameworkId: fid("fw-1"),
			ExecutorId: &mesos.ExecutorID{Value: proto.String("e1")}, Data: []byte("hi")}}},
	}, {
		name:  "kills are dropped while disconnected",
		setup: func(*testing.T) *Core { return newTestCore(fw) },
		event: func(c *Core) []effect.Effect { return c.KillTask(coreNow, &mesos.TaskID{Value: proto.String("t1")}) },
	}, {
		name:  "a new leader: Disconnected, unlink the old one, SUBSCRIBE with the framework id and no force",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect { return c.Detected(coreNow, coreInfo(coreMaster2)) },
		want: []effect.Effect{effect.CancelTimer{Key: RedetectTimer}, OnDisconnected{},
			effect.CancelTimer{Key: detector.RegisterTimer}, effect.Unlink{PID: coreMaster}, effect.Link{PID: coreMaster2},
			effect.StartTimer{Key: detector.RegisterTimer, After: time.Second},
			func() effect.Send { s := subscribe(fw, "fw-1", proto.Bool(false)); s.To = coreMaster2; return s }()},
	}, {
		name:  "the master's link breaks: Disconnected, re-detect after a backoff",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect { return c.Exited(coreNow, coreMaster) },
		want: []effect.Effect{OnDisconnected{}, effect.CancelTimer{Key: detector.RegisterTimer},
			effect.StartTimer{Key: RedetectTimer, After: time.Second}},
	}, {
		name: "a second broken link before registering again doubles the re-detection bound",
		setup: func(t *testing.T) *Core {
			c := registered(t, fw)
			c.Exited(coreNow, coreMaster)
			c.Detected(coreNow, coreInfo(coreMaster))
			return c
		},
		event: func(c *Core) []effect.Effect { return c.Exited(coreNow, coreMaster) },
		want: []effect.Effect{effect.CancelTimer{Key: detector.RegisterTimer},
			effect.StartTimer{Key: RedetectTimer, After: 2 * time.Second}},
	}, {
		name: "the re-detection timer asks the shell to detect again",
		setup: func(t *testing.T) *Core {
			c := registered(t, fw)
			c.Exited(coreNow, coreMaster)
			return c
		},
		event: func(c *Core) []effect.Effect { return c.Timer(coreNow, RedetectTimer) },
		want:  []effect.Effect{Redetect{}},
	}, {
		name:  "an error from the leader aborts: Error, stop detecting, deactivate",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreMaster, &mesosinternal.FrameworkErrorMessage{Message: proto.String("boom")})
		},
		want: []effect.Effect{OnError{Message: "boom"}, StopDetection{}, effect.CancelTimer{Key: detector.RegisterTimer},
			effect.CancelTimer{Key: RedetectTimer}, effect.Send{To: coreMaster, Msg: &mesosinternal.DeactivateFrameworkMessage{FrameworkId: fid("fw-1")}}},
	}, {
		name:  "a detector that gives up aborts the driver",
		setup: func(*testing.T) *Core { return newTestCore(fw) },
		event: func(c *Core) []effect.Effect { return c.DetectionFailed(coreNow, errors.New("no zk")) },
		want: []effect.Effect{OnError{Message: "Failed to detect a master: no zk"}, StopDetection{},
			effect.CancelTimer{Key: detector.RegisterTimer}, effect.CancelTimer{Key: RedetectTimer}},
	}, {
		name:  "Stop(false) while connected: TEARDOWN, flushed before the actor ends",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect { return c.Stop(coreNow, false) },
		want: []effect.Effect{StopDetection{}, effect.CancelTimer{Key: detector.RegisterTimer}, effect.CancelTimer{Key: RedetectTimer},
			call(schedpb.Call_TEARDOWN, &schedpb.Call{}), Terminate{Flush: coreMaster}},
	}, {
		name:  "Stop(true) sends nothing",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect { return c.Stop(coreNow, true) },
		want: []effect.Effect{StopDetection{}, effect.CancelTimer{Key: detector.RegisterTimer}, effect.CancelTimer{Key: RedetectTimer},
			Terminate{}},
	}, {
		name: "after an abort the master's messages are ignored",
		setup: func(t *testing.T) *Core {
			c := registered(t, fw)
			c.Abort(coreNow)
			return c
		},
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreMaster, &mesosinternal.ResourceOffersMessage{Offers: offers})
		},
	}, {
		name:  "an unknown message is ignored",
		setup: func(t *testing.T) *Core { return registered(t, fw) },
		event: func(c *Core) []effect.Effect {
			return c.Receive(coreNow, coreMaster, &mesosinternal.PingSlaveMessage{})
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.setup(t)
			if got := tc.event(c); !effecttest.Equal(got, tc.want) {
				t.Fatalf("effects:%s\nwant:%s", effecttest.Format(got), effecttest.Format(tc.want))
			}
		})
	}
}

// Every callback effect calls the Scheduler method of its name.
func TestCallbackEffectsCallTheScheduler(t *testing.T) {
	rec := newRecorder()
	for _, cb := range []Callback{
		OnRegistered{FrameworkID: fid("fw-1")}, OnReregistered{}, OnDisconnected{}, OnResourceOffers{},
		OnOfferRescinded{OfferID: &mesos.OfferID{Value: proto.String("o1")}}, OnStatusUpdate{},
		OnFrameworkMessage{Data: "d"}, OnSlaveLost{}, OnExecutorLost{Status: 3},
	} {
		cb.Call(rec, nil)
	}
	for _, want := range []string{"registered", "reregistered", "disconnected", "offers", "rescinded", "status", "message", "slaveLost", "executorLost"} {
		rec.expect(t, want)
	}
}

// A DECLINE carries copies: the scheduler's offer id and filters are its
// own again once LaunchTasks returns.
func TestDeclineCopiesItsArguments(t *testing.T) {
	c := registered(t, coreFramework())
	id, filters := &mesos.OfferID{Value: proto.String("o1")}, &mesos.Filters{RefuseSeconds: proto.Float64(5)}
	got := c.LaunchTasks(coreNow, []*mesos.OfferID{id}, nil, filters)
	*id.Value, *filters.RefuseSeconds = "changed", 1
	want := []effect.Effect{call(schedpb.Call_DECLINE, &schedpb.Call{Decline: &schedpb.Call_Decline{
		OfferIds: offerIDs("o1"), Filters: &mesos.Filters{RefuseSeconds: proto.Float64(5)}}})}
	if !effecttest.Equal(got, want) {
		t.Fatalf("LaunchTasks sent%s, want%s", effecttest.Format(got), effecttest.Format(want))
	}
}
