package schedulerdriver

import (
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/internal/effecttest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	schedpb "github.com/gomesos/gomesos/messages/scheduler"
)

// sharingPair is a core that copies and one that shares, both registered
// as fw-1, to be given the same events.
func sharingPair(t *testing.T, explicit bool) (copying, sharing *Core) {
	t.Helper()
	for _, share := range []bool{false, true} {
		c := NewCore(CoreConfig{Framework: coreFramework(), Rand: rand.New(half{}), ShareMessages: share, ExplicitAcknowledgements: explicit})
		c.Detected(coreNow, coreInfo(coreMaster))
		c.Receive(coreNow, coreMaster, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1"), MasterInfo: coreInfo(coreMaster)})
		if !c.Connected() {
			t.Fatal("not connected after registration")
		}
		if share {
			sharing = c
		} else {
			copying = c
		}
	}
	return copying, sharing
}

// sameEffects hands msg to both cores and checks they ask for the same.
func sameEffects(t *testing.T, copying, sharing *Core, msg proto.Message) []effect.Effect {
	t.Helper()
	want := copying.Receive(coreNow, coreMaster, msg)
	got := sharing.Receive(coreNow, coreMaster, msg)
	if !effecttest.Equal(got, want) {
		t.Fatalf("sharing core:%s\ncopying core:%s", effecttest.Format(got), effecttest.Format(want))
	}
	return got
}

// A core with ShareMessages gives the scheduler the offers it received,
// and a status as it came when it carries the uuid the scheduler should
// see (a copy with that uuid otherwise); what it sends is the same as
// with copies.
func TestShareMessagesGivesTheReceivedOffersAndStatuses(t *testing.T) {
	copying, sharing := sharingPair(t, false)
	offers := &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{offer("o1", "a1"), offer("o2", "a2")}}
	effs := sameEffects(t, copying, sharing, offers)
	got := effs[0].(OnResourceOffers).Offers
	if got[0] != offers.Offers[0] || got[1] != offers.Offers[1] {
		t.Fatal("the scheduler got copies of the offers")
	}
	if &got[0] == &offers.Offers[0] {
		t.Fatal("the scheduler got the message's list of offers")
	}

	uuid := []byte("0123456789abcdef")
	agentSent := statusUpdate("t1", mesos.TaskState_TASK_RUNNING, uuid)
	agentSent.Update.Status.Uuid = uuid
	effs = sameEffects(t, copying, sharing, agentSent)
	if effs[0].(OnStatusUpdate).Status != agentSent.Update.Status {
		t.Fatal("the scheduler got a copy of a status that had its uuid")
	}
	if ack := effs[0].(OnStatusUpdate).Ack; ack == nil || string(ack.Uuid) != string(uuid) {
		t.Fatalf("implicit acknowledgement %v", ack)
	}

	noStatusUUID := statusUpdate("t2", mesos.TaskState_TASK_RUNNING, uuid)
	noAck := statusUpdate("t3", mesos.TaskState_TASK_RUNNING, uuid)
	noAck.Update.Status.Uuid, noAck.Pid = uuid, nil // not acknowledged: no uuid for the scheduler
	for _, m := range []*mesosinternal.StatusUpdateMessage{noStatusUUID, noAck} {
		effs = sameEffects(t, copying, sharing, m)
		if effs[0].(OnStatusUpdate).Status == m.Update.Status {
			t.Fatalf("the scheduler got the status %v with the wrong uuid", m.Update.Status)
		}
	}
}

// With explicit acknowledgements a status without an agent id is copied
// (the copy names the agent); one with its uuid and agent id is shared.
func TestShareMessagesWithExplicitAcknowledgements(t *testing.T) {
	copying, sharing := sharingPair(t, true)
	uuid := []byte("0123456789abcdef")
	m := statusUpdate("t1", mesos.TaskState_TASK_RUNNING, uuid)
	m.Update.Status.Uuid = uuid
	effs := sameEffects(t, copying, sharing, m)
	if st := effs[0].(OnStatusUpdate).Status; st == m.Update.Status || st.GetSlaveId().GetValue() != "a1" {
		t.Fatalf("got %v, want a copy naming the agent", st)
	}
	m = statusUpdate("t2", mesos.TaskState_TASK_RUNNING, uuid)
	m.Update.Status.Uuid, m.Update.Status.SlaveId = uuid, m.Update.SlaveId
	effs = sameEffects(t, copying, sharing, m)
	if effs[0].(OnStatusUpdate).Status != m.Update.Status {
		t.Fatal("the scheduler got a copy of a status that needed none")
	}
}

// A core with ShareMessages sends the scheduler's tasks and operations
// themselves, in the same calls a copying core sends.
func TestShareMessagesSendsTheSchedulersTasks(t *testing.T) {
	copying, sharing := sharingPair(t, false)
	sameEffects(t, copying, sharing, &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{offer("o1", "a1")}})
	tasks := launch("t1")
	want := copying.LaunchTasks(coreNow, offerIDs("o1"), tasks, &mesos.Filters{RefuseSeconds: proto.Float64(5)})
	got := sharing.LaunchTasks(coreNow, offerIDs("o1"), tasks, &mesos.Filters{RefuseSeconds: proto.Float64(5)})
	if !effecttest.Equal(got, want) {
		t.Fatalf("sharing core:%s\ncopying core:%s", effecttest.Format(got), effecttest.Format(want))
	}
	if sent := got[0].(effect.Send).Msg.(*schedpb.Call).GetAccept().GetOperations()[0].GetLaunch().GetTaskInfos(); sent[0] != tasks[0] {
		t.Fatal("the ACCEPT carries a copy of the task")
	}
	ops := []*mesos.Offer_Operation{{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: launch("t2")}}}
	want = copying.AcceptOffers(coreNow, offerIDs("o2"), ops, nil)
	got = sharing.AcceptOffers(coreNow, offerIDs("o2"), ops, nil)
	if !effecttest.Equal(got, want) {
		t.Fatalf("sharing core:%s\ncopying core:%s", effecttest.Format(got), effecttest.Format(want))
	}
	if got[0].(effect.Send).Msg.(*schedpb.Call).GetAccept().GetOperations()[0] != ops[0] {
		t.Fatal("the ACCEPT carries a copy of the operation")
	}
}
