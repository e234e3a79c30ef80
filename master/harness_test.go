package master

// A test harness: a master on a node with a manual clock, and fake
// schedulers and agents written as actor processes that record what the
// master sends them.

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// waitFor bounds every wait for a message that must come.
const waitFor = 10 * time.Second

type cluster struct {
	t     *testing.T
	node  *actors.Node
	clock *actors.ManualClock
	m     *Master
	pid   actors.PID
	n     int // peers spawned
}

func newCluster(t *testing.T, mutate func(*Config)) *cluster {
	t.Helper()
	clock := actors.NewManualClock(t0)
	log := logrus.New()
	log.SetOutput(io.Discard)
	if os.Getenv("MASTER_TEST_LOG") != "" {
		log.SetOutput(os.Stderr)
		log.SetLevel(logrus.DebugLevel)
	}
	node, err := actors.NewNode(actors.Config{Local: true, Clock: clock, Logger: log})
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	cfg := DefaultConfig()
	cfg.IP, cfg.Port, cfg.Hostname = "127.0.0.1", 5050, "localhost"
	if mutate != nil {
		mutate(&cfg)
	}
	m, err := New(node, cfg)
	if err != nil {
		node.Shutdown()
		t.Fatalf("new master: %v", err)
	}
	pid, err := m.Start()
	if err != nil {
		node.Shutdown()
		t.Fatalf("start master: %v", err)
	}
	c := &cluster{t: t, node: node, clock: clock, m: m, pid: pid}
	t.Cleanup(func() {
		m.Stop()
		node.Shutdown()
	})
	return c
}

// settle waits until the master and the allocator have handled everything
// queued for them, a few rounds deep (libprocess' Clock::settle).
func (c *cluster) settle() {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for i := 0; i < 4; i++ {
		for _, pid := range []actors.PID{c.m.alloc.PID(), c.pid} {
			if _, err := c.node.Call(ctx, pid, func() any { return nil }); err != nil {
				c.t.Fatalf("settle: %v", err)
			}
		}
	}
}

// advance moves the clock and settles.
func (c *cluster) advance(d time.Duration) {
	c.t.Helper()
	c.settle()
	c.clock.Advance(d)
	c.settle()
}

// inspect runs f on the master actor.
func (c *cluster) inspect(f func(p *Core)) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := c.node.Call(ctx, c.pid, func() any { f(c.m.proc.core); return nil }); err != nil {
		c.t.Fatalf("inspect: %v", err)
	}
}

// peer is a fake scheduler or agent.
type peer struct {
	c      *cluster
	pid    actors.PID
	pong   atomic.Bool
	mu     sync.Mutex
	queues map[protoreflect.FullName]chan proto.Message
}

func (p *peer) queue(name protoreflect.FullName) chan proto.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.queues[name]
	if q == nil {
		q = make(chan proto.Message, 1000)
		p.queues[name] = q
	}
	return q
}

func record[M proto.Message](p *peer, ctx *actors.Context) {
	actors.Install(ctx, func(from actors.PID, m M) {
		p.queue(m.ProtoReflect().Descriptor().FullName()) <- m
	})
}

func (p *peer) Initialize(ctx *actors.Context) {
	// Scheduler side.
	record[*mesosinternal.FrameworkRegisteredMessage](p, ctx)
	record[*mesosinternal.FrameworkReregisteredMessage](p, ctx)
	record[*mesosinternal.FrameworkErrorMessage](p, ctx)
	record[*mesosinternal.ResourceOffersMessage](p, ctx)
	record[*mesosinternal.RescindResourceOfferMessage](p, ctx)
	record[*mesosinternal.StatusUpdateMessage](p, ctx)
	record[*mesosinternal.LostSlaveMessage](p, ctx)
	record[*mesosinternal.ExitedExecutorMessage](p, ctx)
	record[*mesosinternal.ExecutorToFrameworkMessage](p, ctx)
	// Agent side.
	record[*mesosinternal.SlaveRegisteredMessage](p, ctx)
	record[*mesosinternal.SlaveReregisteredMessage](p, ctx)
	record[*mesosinternal.RunTaskMessage](p, ctx)
	record[*mesosinternal.KillTaskMessage](p, ctx)
	record[*mesosinternal.StatusUpdateAcknowledgementMessage](p, ctx)
	record[*mesosinternal.ShutdownFrameworkMessage](p, ctx)
	record[*mesosinternal.ShutdownExecutorMessage](p, ctx)
	record[*mesosinternal.UpdateFrameworkMessage](p, ctx)
	record[*mesosinternal.FrameworkToExecutorMessage](p, ctx)
	record[*mesosinternal.ShutdownMessage](p, ctx)
	record[*mesosinternal.CheckpointResourcesMessage](p, ctx)
	actors.Install(ctx, func(from actors.PID, m *mesosinternal.PingSlaveMessage) {
		p.queue(m.ProtoReflect().Descriptor().FullName()) <- m
		if p.pong.Load() {
			ctx.Send(from, &mesosinternal.PongSlaveMessage{})
		}
	})
}

// spawn starts a peer under id.
func (c *cluster) spawn(id string) *peer {
	c.t.Helper()
	p := &peer{c: c, queues: map[protoreflect.FullName]chan proto.Message{}}
	p.pong.Store(true)
	pid, err := c.node.Spawn(id, p)
	if err != nil {
		c.t.Fatalf("spawn %s: %v", id, err)
	}
	p.pid = pid
	return p
}

// send sends msg from p to the master.
func (p *peer) send(msg proto.Message) { p.c.node.Send(p.pid, p.c.pid, msg) }

// stop stops p (the master sees it exit).
func (p *peer) stop() { p.c.node.Stop(p.pid) }

// next waits for the next message of type M sent to p.
func next[M proto.Message](t *testing.T, p *peer) M {
	t.Helper()
	var zero M
	name := zero.ProtoReflect().Descriptor().FullName()
	select {
	case m := <-p.queue(name):
		return m.(M)
	case <-time.After(waitFor):
		t.Fatalf("%s: timed out waiting for %s", p.pid.ID, name)
		return zero
	}
}

// none checks that p has no message of type M queued (settle first).
func none[M proto.Message](t *testing.T, p *peer) {
	t.Helper()
	var zero M
	name := zero.ProtoReflect().Descriptor().FullName()
	select {
	case m := <-p.queue(name):
		t.Fatalf("%s: unexpected %s: %v", p.pid.ID, name, m)
	default:
	}
}

// drain discards every queued message of type M.
func drain[M proto.Message](p *peer) {
	var zero M
	q := p.queue(zero.ProtoReflect().Descriptor().FullName())
	for {
		select {
		case <-q:
		default:
			return
		}
	}
}

// ---- Scenario helpers ----

func frameworkInfo(name string) *mesos.FrameworkInfo {
	return &mesos.FrameworkInfo{User: proto.String("tester"), Name: proto.String(name)}
}

// subscribe registers a framework through the legacy message.
func (c *cluster) subscribe(info *mesos.FrameworkInfo) (*peer, string) {
	c.t.Helper()
	c.n++
	s := c.spawn(fmt.Sprintf("scheduler-%d", c.n))
	s.send(&mesosinternal.RegisterFrameworkMessage{Framework: info})
	reg := next[*mesosinternal.FrameworkRegisteredMessage](c.t, s)
	return s, reg.GetFrameworkId().GetValue()
}

func agentInfo(text string) *mesos.SlaveInfo {
	return &mesos.SlaveInfo{
		Hostname:  proto.String("localhost"),
		Port:      proto.Int32(5051),
		Resources: resources.MustParse(text),
	}
}

// addAgent registers a fake agent with the given resources.
func (c *cluster) addAgent(text string) (*peer, string) {
	c.t.Helper()
	c.n++
	a := c.spawn(fmt.Sprintf("slave(%d)", c.n))
	a.send(&mesosinternal.RegisterSlaveMessage{Slave: agentInfo(text), Version: proto.String("1.11.0")})
	reg := next[*mesosinternal.SlaveRegisteredMessage](c.t, a)
	c.settle()
	return a, reg.GetSlaveId().GetValue()
}

func call(fid string, t scheduler.Call_Type) *scheduler.Call {
	return &scheduler.Call{FrameworkId: frameworkID(fid), Type: t.Enum()}
}

func commandTask(id string, o *mesos.Offer, res string) *mesos.TaskInfo {
	return &mesos.TaskInfo{
		Name:      proto.String(id),
		TaskId:    &mesos.TaskID{Value: proto.String(id)},
		SlaveId:   o.GetSlaveId(),
		Resources: resources.MustParse(res),
		Command:   &mesos.CommandInfo{Value: proto.String("sleep 1000")},
	}
}

func launch(fid string, offers []*mesos.OfferID, filters *mesos.Filters, tasks ...*mesos.TaskInfo) *mesosinternal.LaunchTasksMessage {
	if filters == nil {
		filters = &mesos.Filters{}
	}
	return &mesosinternal.LaunchTasksMessage{FrameworkId: frameworkID(fid), OfferIds: offers, Tasks: tasks, Filters: filters}
}

func ids(os ...*mesos.Offer) []*mesos.OfferID {
	out := make([]*mesos.OfferID, len(os))
	for i, o := range os {
		out[i] = o.GetId()
	}
	return out
}

// uuid16 returns a fixed 16-byte uuid.
func uuid16(b byte) []byte {
	u := make([]byte, 16)
	for i := range u {
		u[i] = b
	}
	return u
}

// agentUpdate builds the StatusUpdateMessage an agent sends.
func agentUpdate(a *peer, agentID, fid, tid string, state mesos.TaskState, u byte) *mesosinternal.StatusUpdateMessage {
	id := uuid16(u)
	return &mesosinternal.StatusUpdateMessage{
		Pid: proto.String(a.pid.String()),
		Update: &mesosinternal.StatusUpdate{
			FrameworkId: frameworkID(fid),
			SlaveId:     slaveID(agentID),
			Timestamp:   proto.Float64(1),
			Uuid:        id,
			Status: &mesos.TaskStatus{
				TaskId:  &mesos.TaskID{Value: proto.String(tid)},
				State:   state.Enum(),
				Source:  mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
				SlaveId: slaveID(agentID),
				Uuid:    id,
			},
		},
	}
}
