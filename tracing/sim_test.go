package tracing

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/mesosutil"
	sched "github.com/gomesos/gomesos/messages/scheduler"
)

// The simulated cluster of testdata/launch: three traced processes with
// skewed clocks (and a fourth, untraced, executor).
//
//	127.0.0.1:40001  mesos-local     master, slave(1)      reference clock
//	127.0.0.1:40002  mesos-execute   scheduler-…           250 ms ahead
//	127.0.0.1:40003  mesos-executor  executor(1) (task t1) 400 ms behind
//	127.0.0.1:40004  (not traced)    executor(1) (task t2)
var (
	simT0     = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	simMaster = actors.PID{ID: "master", Address: "127.0.0.1:40001"}
	simAgent  = actors.PID{ID: "slave(1)", Address: "127.0.0.1:40001"}
	simSched  = actors.PID{ID: "scheduler-5e1c", Address: "127.0.0.1:40002"}
	simExec1  = actors.PID{ID: "executor(1)", Address: "127.0.0.1:40003"}
	simExec2  = actors.PID{ID: "executor(1)", Address: "127.0.0.1:40004"}
	simProcs  = []struct {
		addr, program, file string
		skew                time.Duration
	}{
		{"127.0.0.1:40001", "mesos-local", "local.jsonl", 0},
		{"127.0.0.1:40002", "mesos-execute", "execute.jsonl", 250 * time.Millisecond},
		{"127.0.0.1:40003", "mesos-executor", "executor.jsonl", -400 * time.Millisecond},
	}
)

// simEvent is one event at a true time.
type simEvent struct {
	at  time.Duration // true time since simT0
	n   int           // tie-break: creation order
	ev  actors.Event
	pid actors.PID // where it is recorded
}

type sim struct {
	events []simEvent
	mids   int
}

// msg sends m from `from` at true time at (ms); it arrives hop ms later.
// kind is the receiver's event (Received, Dropped); sendOnly and
// recvOnly leave one side out.
func (s *sim) msg(at, hop float64, from, to actors.PID, m proto.Message, kind actors.EventKind) {
	s.mids++
	mid := fmt.Sprintf("m%02d", s.mids)
	ev := actors.Event{From: from, To: to, Type: m.ProtoReflect().Descriptor().FullName(), Size: proto.Size(m),
		MsgID: mid, TraceID: "tr" + mid, Msg: m}
	send, recv := ev, ev
	send.Kind, recv.Kind = actors.Sent, kind
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	s.events = append(s.events, simEvent{at: ms(at), n: len(s.events), ev: send, pid: from})
	s.events = append(s.events, simEvent{at: ms(at + hop), n: len(s.events), ev: recv, pid: to})
}

func launchScenario() *sim {
	s := &sim{}
	fw := mesosutil.NewFrameworkID("fw-1")
	a1 := mesosutil.NewSlaveID("agent-1")
	remote, local := 0.3, 0.02
	fwInfo := &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("execute")}
	s.msg(0, remote, simSched, simMaster, &sched.Call{Type: sched.Call_SUBSCRIBE.Enum(), Subscribe: &sched.Call_Subscribe{FrameworkInfo: fwInfo}}, actors.Received)
	s.msg(1, remote, simMaster, simSched, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fw, MasterInfo: mesosutil.NewMasterInfo("m1", 0, 5050)}, actors.Received)
	offers := &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{
		offer("o-1", "fw-1", "agent-1"), offer("o-2", "fw-1", "agent-1"),
	}}
	s.msg(10, 0.4, simMaster, simSched, offers, actors.Received)
	task := func(id string) *mesos.TaskInfo {
		return &mesos.TaskInfo{Name: proto.String(id), TaskId: mesosutil.NewTaskID(id), SlaveId: a1,
			Resources: []*mesos.Resource{mesosutil.NewScalarResource("cpus", 0.1)}, Command: mesosutil.NewCommandInfo("sleep 1")}
	}
	accept := func(o, t string) *sched.Call {
		return &sched.Call{FrameworkId: fw, Type: sched.Call_ACCEPT.Enum(), Accept: &sched.Call_Accept{
			OfferIds:   []*mesos.OfferID{mesosutil.NewOfferID(o)},
			Operations: []*mesos.Offer_Operation{mesosutil.NewLaunchOperation([]*mesos.TaskInfo{task(t)})},
		}}
	}
	s.msg(12, 0.25, simSched, simMaster, accept("o-1", "t1"), actors.Received)
	s.msg(12.5, 0.35, simSched, simMaster, &sched.Call{FrameworkId: fw, Type: sched.Call_DECLINE.Enum(),
		Decline: &sched.Call_Decline{OfferIds: []*mesos.OfferID{mesosutil.NewOfferID("o-2")}}}, actors.Received)
	runTask := func(t string) *mesosinternal.RunTaskMessage {
		return &mesosinternal.RunTaskMessage{FrameworkId: fw, Framework: &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("execute"), Id: fw},
			Pid: proto.String(simSched.String()), Task: task(t)}
	}
	s.msg(13, local, simMaster, simAgent, runTask("t1"), actors.Received)
	s.msg(20, local, simMaster, simAgent, &mesosinternal.PingSlaveMessage{Connected: proto.Bool(true)}, actors.Received)
	s.msg(20.1, local, simAgent, simMaster, &mesosinternal.PongSlaveMessage{}, actors.Received)
	// The executor process starts and registers.
	s.msg(60, 0.3, simExec1, simAgent, &mesosinternal.RegisterExecutorMessage{FrameworkId: fw, ExecutorId: mesosutil.NewExecutorID("t1")}, actors.Received)
	s.msg(61, 0.3, simAgent, simExec1, &mesosinternal.ExecutorRegisteredMessage{
		ExecutorInfo: &mesos.ExecutorInfo{ExecutorId: mesosutil.NewExecutorID("t1"), FrameworkId: fw, Command: mesosutil.NewCommandInfo("mesos-executor")},
		FrameworkId:  fw, FrameworkInfo: fwInfo, SlaveId: a1, SlaveInfo: &mesos.SlaveInfo{Hostname: proto.String("h")},
	}, actors.Received)
	s.msg(61.5, 0.3, simAgent, simExec1, &mesosinternal.RunTaskMessage{Framework: fwInfo, Task: task("t1")}, actors.Received)
	update := func(t string, st mesos.TaskState) *mesosinternal.StatusUpdateMessage {
		u := mesosutil.NewStatusUpdate(fw, mesosutil.NewTaskStatus(mesosutil.NewTaskID(t), st), 1, []byte("uuid-"+t+st.String()))
		u.SlaveId, u.ExecutorId = a1, mesosutil.NewExecutorID(t)
		return &mesosinternal.StatusUpdateMessage{Update: u}
	}
	ack := func(t string, st mesos.TaskState) *mesosinternal.StatusUpdateAcknowledgementMessage {
		return &mesosinternal.StatusUpdateAcknowledgementMessage{SlaveId: a1, FrameworkId: fw, TaskId: mesosutil.NewTaskID(t), Uuid: []byte("uuid-" + t + st.String())}
	}
	schedAck := func(t string, st mesos.TaskState) *sched.Call {
		return &sched.Call{FrameworkId: fw, Type: sched.Call_ACKNOWLEDGE.Enum(), Acknowledge: &sched.Call_Acknowledge{
			SlaveId: a1, TaskId: mesosutil.NewTaskID(t), Uuid: []byte("uuid-" + t + st.String())}}
	}
	running := mesos.TaskState_TASK_RUNNING
	s.msg(70, 0.3, simExec1, simAgent, update("t1", running), actors.Received)
	s.msg(70.4, local, simAgent, simMaster, update("t1", running), actors.Received)
	s.msg(71, 0.3, simMaster, simSched, update("t1", running), actors.Received)
	s.msg(72, 0.25, simSched, simMaster, schedAck("t1", running), actors.Received)
	s.msg(72.5, local, simMaster, simAgent, ack("t1", running), actors.Received)
	s.msg(73, 0.3, simAgent, simExec1, ack("t1", running), actors.Received)

	// A second task, offered later; its executor is not traced, and a test
	// filter drops its first status update at the agent.
	s.msg(1010, 0.4, simMaster, simSched, &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{offer("o-3", "fw-1", "agent-1")}}, actors.Received)
	s.msg(1011, 0.25, simSched, simMaster, accept("o-3", "t2"), actors.Received)
	s.msg(1012, local, simMaster, simAgent, runTask("t2"), actors.Received)
	s.msg(1090, 0.3, simExec2, simAgent, &mesosinternal.RegisterExecutorMessage{FrameworkId: fw, ExecutorId: mesosutil.NewExecutorID("t2")}, actors.Received)
	s.msg(1091, 0.3, simAgent, simExec2, &mesosinternal.ExecutorRegisteredMessage{
		ExecutorInfo: &mesos.ExecutorInfo{ExecutorId: mesosutil.NewExecutorID("t2"), FrameworkId: fw, Command: mesosutil.NewCommandInfo("mesos-executor")},
		FrameworkId:  fw, FrameworkInfo: fwInfo, SlaveId: a1, SlaveInfo: &mesos.SlaveInfo{Hostname: proto.String("h")},
	}, actors.Received)
	s.msg(1092, 0.3, simAgent, simExec2, &mesosinternal.RunTaskMessage{Framework: fwInfo, Task: task("t2")}, actors.Received)
	s.msg(1100, 0.3, simExec2, simAgent, update("t2", running), actors.Dropped)
	s.msg(1110, 0.3, simExec2, simAgent, update("t2", running), actors.Received)
	s.msg(1110.4, local, simAgent, simMaster, update("t2", running), actors.Received)
	s.msg(1111, 0.3, simMaster, simSched, update("t2", running), actors.Received)
	s.msg(1112, 0.25, simSched, simMaster, schedAck("t2", running), actors.Received)
	s.msg(1112.5, local, simMaster, simAgent, ack("t2", running), actors.Received)
	s.msg(1113, 0.3, simAgent, simExec2, ack("t2", running), actors.Received)
	return s
}

// write records the scenario into one trace file per traced process.
func (s *sim) write(t testing.TB, dir string) []string {
	t.Helper()
	sort.SliceStable(s.events, func(i, j int) bool {
		if s.events[i].at != s.events[j].at {
			return s.events[i].at < s.events[j].at
		}
		return s.events[i].n < s.events[j].n
	})
	var paths []string
	recs := map[string]*Recorder{}
	now := simT0
	log, _ := quietLog()
	for k, p := range simProcs {
		skew := p.skew
		path := filepath.Join(dir, p.file)
		os.Remove(path)
		r, err := New(Options{Process: p.addr, Program: p.program, File: path, Log: log,
			Now: func() time.Time { return now.Add(skew) }, osPid: 1000 + k})
		if err != nil {
			t.Fatal(err)
		}
		recs[p.addr] = r
		paths = append(paths, path)
	}
	for i := range s.events {
		e := &s.events[i]
		r := recs[e.pid.Address]
		if r == nil {
			continue // not traced
		}
		now = simT0.Add(e.at)
		r.Trace(&e.ev)
		r.Flush() // one line at a time: the files are reproducible
	}
	for _, r := range recs {
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}
