package master

import (
	"net/http/httptest"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
)

// Empty and malformed messages of every type the master handles must not
// panic it (the actors layer would recover, but the master must not rely
// on that) nor stop it from serving.
func TestBadInputDoesNotPanic(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID := c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := next[*mesosinternal.ResourceOffersMessage](t, s).GetOffers()[0]

	fidp := frameworkID(fid)
	var msgs []proto.Message
	// Zero values of everything.
	msgs = append(msgs,
		&scheduler.Call{}, &mesosinternal.RegisterFrameworkMessage{}, &mesosinternal.ReregisterFrameworkMessage{},
		&mesosinternal.UnregisterFrameworkMessage{}, &mesosinternal.DeactivateFrameworkMessage{},
		&mesosinternal.LaunchTasksMessage{}, &mesosinternal.ReviveOffersMessage{}, &mesosinternal.KillTaskMessage{},
		&mesosinternal.StatusUpdateAcknowledgementMessage{}, &mesosinternal.FrameworkToExecutorMessage{},
		&mesosinternal.ReconcileTasksMessage{}, &mesosinternal.ResourceRequestMessage{},
		&mesosinternal.RegisterSlaveMessage{}, &mesosinternal.ReregisterSlaveMessage{}, &mesosinternal.UnregisterSlaveMessage{},
		&mesosinternal.StatusUpdateMessage{}, &mesosinternal.ExitedExecutorMessage{},
		&mesosinternal.ExecutorToFrameworkMessage{}, &mesosinternal.PongSlaveMessage{}, &mesosinternal.UpdateSlaveMessage{},
	)
	// Every call type with its body missing, from the real scheduler.
	for v := range scheduler.Call_Type_name {
		msgs = append(msgs, &scheduler.Call{FrameworkId: fidp, Type: scheduler.Call_Type(v).Enum()})
	}
	// Bodies with holes.
	msgs = append(msgs,
		&scheduler.Call{FrameworkId: fidp, Type: scheduler.Call_ACCEPT.Enum(), Accept: &scheduler.Call_Accept{
			OfferIds: []*mesos.OfferID{nil, o.GetId()},
			Operations: []*mesos.Offer_Operation{nil, {}, {Type: mesos.Offer_Operation_LAUNCH.Enum()},
				{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: []*mesos.TaskInfo{
					nil, {}, {Resources: []*mesos.Resource{nil, {}}, Executor: &mesos.ExecutorInfo{}},
					{TaskId: &mesos.TaskID{Value: proto.String("x")}, SlaveId: o.GetSlaveId(), Executor: &mesos.ExecutorInfo{Resources: []*mesos.Resource{nil}}, Resources: o.GetResources()},
				}}},
				{Type: mesos.Offer_Operation_RESERVE.Enum()},
			}}},
		&scheduler.Call{FrameworkId: fidp, Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{}},
		&scheduler.Call{Type: scheduler.Call_SUBSCRIBE.Enum(), Subscribe: &scheduler.Call_Subscribe{FrameworkInfo: &mesos.FrameworkInfo{
			Capabilities: []*mesos.FrameworkInfo_Capability{nil, {}}, OfferFilters: map[string]*mesos.OfferFilters{"": nil},
		}}},
		&scheduler.Call{FrameworkId: fidp, Type: scheduler.Call_RECONCILE.Enum(), Reconcile: &scheduler.Call_Reconcile{Tasks: []*scheduler.Call_Reconcile_Task{nil, {}}}},
		&scheduler.Call{FrameworkId: fidp, Type: scheduler.Call_DECLINE.Enum(), Decline: &scheduler.Call_Decline{OfferIds: []*mesos.OfferID{nil, {}}}},
		&scheduler.Call{FrameworkId: fidp, Type: scheduler.Call_REVIVE.Enum(), Revive: &scheduler.Call_Revive{Roles: []string{"nope"}}},
		&scheduler.Call{FrameworkId: fidp, Type: scheduler.Call_SUPPRESS.Enum(), Suppress: &scheduler.Call_Suppress{Roles: []string{"nope"}}},
		&scheduler.Call{FrameworkId: fidp, Type: scheduler.Call_ACKNOWLEDGE.Enum(), Acknowledge: &scheduler.Call_Acknowledge{SlaveId: slaveID(agentID), TaskId: &mesos.TaskID{}, Uuid: []byte("short")}},
		&mesosinternal.LaunchTasksMessage{FrameworkId: fidp, Tasks: []*mesos.TaskInfo{nil}},
		&mesosinternal.ReconcileTasksMessage{FrameworkId: fidp, Statuses: []*mesos.TaskStatus{nil, {}}},
	)
	for _, m := range msgs {
		s.send(m)
	}
	// From the agent's side.
	agentMsgs := []proto.Message{
		&mesosinternal.RegisterSlaveMessage{Slave: &mesos.SlaveInfo{Resources: []*mesos.Resource{nil}}, Version: proto.String("1.11.0")},
		&mesosinternal.RegisterSlaveMessage{Slave: &mesos.SlaveInfo{Hostname: proto.String("h"), Resources: []*mesos.Resource{{}}}, Version: proto.String("1.11.0")},
		&mesosinternal.ReregisterSlaveMessage{Slave: &mesos.SlaveInfo{Hostname: proto.String("h"), Id: slaveID("new-one")}, Version: proto.String("1.11.0"),
			Tasks:         []*mesos.Task{nil, {}, {FrameworkId: fidp, TaskId: &mesos.TaskID{Value: proto.String("ghost")}, Resources: []*mesos.Resource{nil}}},
			ExecutorInfos: []*mesos.ExecutorInfo{nil, {}, {FrameworkId: frameworkID("unknown"), ExecutorId: &mesos.ExecutorID{Value: proto.String("e")}}},
			Frameworks:    []*mesos.FrameworkInfo{nil, {}}},
		&mesosinternal.StatusUpdateMessage{Update: &mesosinternal.StatusUpdate{}},
		&mesosinternal.StatusUpdateMessage{Update: &mesosinternal.StatusUpdate{FrameworkId: fidp, SlaveId: slaveID(agentID), Uuid: uuid16(1),
			Status: &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("none")}, Uuid: uuid16(1)}}, Pid: proto.String("not a pid")},
		&mesosinternal.ExitedExecutorMessage{SlaveId: slaveID(agentID), FrameworkId: fidp},
		&mesosinternal.ExecutorToFrameworkMessage{SlaveId: slaveID(agentID)},
	}
	for _, m := range agentMsgs {
		a.send(m)
	}
	c.settle()
	c.advance(0)
	if n := c.node.Stats().Panics; n != 0 {
		t.Fatalf("%d handler panics", n)
	}
	// Still serving, state still renders.
	c.subscribe(frameworkInfo("after"))
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	st := getJSON(t, srv, "/master/state")
	if len(st["frameworks"].([]any)) < 2 {
		t.Errorf("frameworks %v", st["frameworks"])
	}
	if n := c.node.Stats().Panics; n != 0 {
		t.Fatalf("%d panics", n)
	}
}

// A master that is not the elected, recovered leader drops everything.
func TestGateDropsMessagesUnlessLeader(t *testing.T) {
	c := newCluster(t, nil)
	c.inspect(func(p *Core) { p.elected = false })
	s := c.spawn("scheduler-early")
	s.send(&mesosinternal.RegisterFrameworkMessage{Framework: frameworkInfo("f")})
	c.settle()
	none[*mesosinternal.FrameworkRegisteredMessage](t, s)
	c.inspect(func(p *Core) {
		if p.dropped != 1 || len(p.frameworks) != 0 {
			t.Fatalf("dropped %d, frameworks %d", p.dropped, len(p.frameworks))
		}
		p.elected = true
	})
	s.send(&mesosinternal.RegisterFrameworkMessage{Framework: frameworkInfo("f")})
	next[*mesosinternal.FrameworkRegisteredMessage](t, s)
}
