package master

// A test harness: a master on a Local node with a manual clock, and fake
// schedulers and agents that are actortest peers (they record everything
// the master sends them; a fake agent answers pings).

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

// t0 is where every test clock starts.
var t0 = actortest.Epoch

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
	node, clock := actortest.NewManualNode(t)
	cfg := DefaultConfig()
	cfg.IP, cfg.Port, cfg.Hostname = "127.0.0.1", 5050, "localhost"
	if mutate != nil {
		mutate(&cfg)
	}
	m, err := New(node, cfg)
	if err != nil {
		t.Fatalf("new master: %v", err)
	}
	pid, err := m.Start()
	if err != nil {
		t.Fatalf("start master: %v", err)
	}
	t.Cleanup(m.Stop) // before the node shuts down
	return &cluster{t: t, node: node, clock: clock, m: m, pid: pid}
}

// settle waits until the allocator and the master have handled everything
// queued for them, a few rounds deep (libprocess' Clock::settle).
func (c *cluster) settle() {
	c.t.Helper()
	actortest.Settle(c.t, c.node, c.m.alloc.PID(), c.pid)
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
	ctx, cancel := context.WithTimeout(context.Background(), actortest.DefaultTimeout)
	defer cancel()
	if _, err := c.node.Call(ctx, c.pid, func() any { f(c.m.proc.core); return nil }); err != nil {
		c.t.Fatalf("inspect: %v", err)
	}
}

// spawn starts a fake scheduler or agent under id: a peer that answers
// every PingSlaveMessage with a PongSlaveMessage (remove the hook with
// actortest.Handle[*mesosinternal.PingSlaveMessage](p, nil) to fall
// silent). Peers send to the master with SendNow, so that a settle
// covers what they sent.
func (c *cluster) spawn(id string) *actortest.Peer {
	c.t.Helper()
	p, err := actortest.Spawn(c.node, id) // stopped with the node
	if err != nil {
		c.t.Fatalf("spawn %s: %v", id, err)
	}
	actortest.Handle(p, func(ctx *actors.Context, from actors.PID, _ *mesosinternal.PingSlaveMessage) {
		ctx.Send(from, &mesosinternal.PongSlaveMessage{})
	})
	return p
}

// ---- Scenario helpers ----

func frameworkInfo(name string) *mesos.FrameworkInfo {
	return &mesos.FrameworkInfo{User: proto.String("tester"), Name: proto.String(name)}
}

// subscribe registers a framework through the legacy message.
func (c *cluster) subscribe(info *mesos.FrameworkInfo) (*actortest.Peer, string) {
	c.t.Helper()
	c.n++
	s := c.spawn(fmt.Sprintf("scheduler-%d", c.n))
	s.SendNow(c.pid, &mesosinternal.RegisterFrameworkMessage{Framework: info})
	reg := actortest.Must[*mesosinternal.FrameworkRegisteredMessage](c.t, s, nil)
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
func (c *cluster) addAgent(text string) (*actortest.Peer, string) {
	c.t.Helper()
	c.n++
	a := c.spawn(fmt.Sprintf("slave(%d)", c.n))
	a.SendNow(c.pid, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo(text), Version: proto.String("1.11.0")})
	reg := actortest.Must[*mesosinternal.SlaveRegisteredMessage](c.t, a, nil)
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

// agentUpdate builds the StatusUpdateMessage an agent sends.
func agentUpdate(a *actortest.Peer, agentID, fid, tid string, state mesos.TaskState, u byte) *mesosinternal.StatusUpdateMessage {
	id := actortest.FixedUUID(u)
	return &mesosinternal.StatusUpdateMessage{
		Pid: proto.String(a.PID().String()),
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

// runTask registers an agent (cpus:2;mem:1024) and framework "f", and
// launches task t1 (cpus:1;mem:128) on the first offer: it returns the
// agent and its id, the framework and its id, and the RunTaskMessage the
// agent got.
func (c *cluster) runTask() (*actortest.Peer, string, *actortest.Peer, string, *mesosinternal.RunTaskMessage) {
	c.t.Helper()
	a, agentID := c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](c.t, s, nil).GetOffers()[0]
	s.SendNow(c.pid, launch(fid, ids(o), nil, commandTask("t1", o, "cpus:1;mem:128")))
	return a, agentID, s, fid, actortest.Must[*mesosinternal.RunTaskMessage](c.t, a, nil)
}
