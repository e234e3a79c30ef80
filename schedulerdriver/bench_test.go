package schedulerdriver

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
)

// quietScheduler does nothing in its callbacks.
type quietScheduler struct{}

func (quietScheduler) Registered(SchedulerDriver, *mesos.FrameworkID, *mesos.MasterInfo) {}
func (quietScheduler) Reregistered(SchedulerDriver, *mesos.MasterInfo)                   {}
func (quietScheduler) Disconnected(SchedulerDriver)                                      {}
func (quietScheduler) ResourceOffers(SchedulerDriver, []*mesos.Offer)                    {}
func (quietScheduler) OfferRescinded(SchedulerDriver, *mesos.OfferID)                    {}
func (quietScheduler) StatusUpdate(SchedulerDriver, *mesos.TaskStatus)                   {}
func (quietScheduler) FrameworkMessage(SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, string) {
}
func (quietScheduler) SlaveLost(SchedulerDriver, *mesos.SlaveID)                            {}
func (quietScheduler) ExecutorLost(SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, int) {}
func (quietScheduler) Error(SchedulerDriver, string)                                        {}

// One op is one agent's status update through an inline driver, as the
// simulator runs it: the update in, the callback, the implicit
// ACKNOWLEDGE out.
func BenchmarkInlineStatusUpdate(b *testing.B) {
	h := NewInline(newTestCore(coreFramework()), quietScheduler{})
	h.Start()
	h.Detected(coreNow, coreInfo(coreMaster))
	h.Receive(coreNow, coreMaster, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1"), MasterInfo: coreInfo(coreMaster)})
	if !h.Core().Connected() {
		b.Fatal("not connected after registration")
	}
	msg := statusUpdate("task-1", mesos.TaskState_TASK_RUNNING, []byte("0123456789abcdef"))
	st := msg.Update.Status
	st.SlaveId = &mesos.SlaveID{Value: proto.String("a1")}
	st.ExecutorId = &mesos.ExecutorID{Value: proto.String("task-1")}
	st.Source = mesos.TaskStatus_SOURCE_EXECUTOR.Enum()
	st.Timestamp = proto.Float64(1)
	st.Uuid = msg.Update.Uuid
	receiveUpdates(b, h, msg)
}

// One op is the copy the scheduler gets of one offer of an agent of the
// simulator's shape.
func BenchmarkCloneOffer(b *testing.B) {
	o := offer("o-1", "agent-1")
	o.Resources = resources.MustParse("cpus:16;mem:65536;disk:1048576;ports:[31000-32000]").Allocate("*")
	o.Url = &mesos.URL{Scheme: proto.String("http"), Address: &mesos.Address{Hostname: proto.String("agent-1"), Port: proto.Int32(5051)}, Path: proto.String("/slave(1)")}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if c := cloneOffer(o); len(c.Resources) != 4 {
			b.Fatal("entries lost")
		}
	}
}

// One op is a scheduler declining one offer with filters through an
// inline driver.
func BenchmarkInlineDecline(b *testing.B) {
	h := NewInline(newTestCore(coreFramework()), quietScheduler{})
	h.Start()
	h.Detected(coreNow, coreInfo(coreMaster))
	h.Receive(coreNow, coreMaster, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1"), MasterInfo: coreInfo(coreMaster)})
	id, filters := &mesos.OfferID{Value: proto.String("o-1")}, &mesos.Filters{RefuseSeconds: proto.Float64(60)}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.DeclineOffer(id, filters)
		if out := h.Take(coreNow); len(out) != 1 {
			b.Fatalf("%d effects, want the DECLINE", len(out))
		}
	}
}

// One op is a scheduler launching one task on one offer, with filters,
// through an inline driver.
func BenchmarkInlineLaunchOne(b *testing.B) {
	h := NewInline(newTestCore(coreFramework()), quietScheduler{})
	h.Start()
	h.Detected(coreNow, coreInfo(coreMaster))
	h.Receive(coreNow, coreMaster, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1"), MasterInfo: coreInfo(coreMaster)})
	launchOne(b, h)
}

// inlineRegistered is an inline driver over a quiet scheduler, registered
// as fw-1; share is CoreConfig.ShareMessages.
func inlineRegistered(b *testing.B, share bool) *Inline {
	b.Helper()
	h := NewInline(NewCore(CoreConfig{Framework: coreFramework(), ShareMessages: share}), quietScheduler{})
	h.Start()
	h.Detected(coreNow, coreInfo(coreMaster))
	h.Receive(coreNow, coreMaster, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1"), MasterInfo: coreInfo(coreMaster)})
	if !h.Core().Connected() {
		b.Fatal("not connected after registration")
	}
	return h
}

// BenchmarkInlineStatusUpdateShared is BenchmarkInlineStatusUpdate with
// CoreConfig.ShareMessages: the scheduler gets the update's status.
func BenchmarkInlineStatusUpdateShared(b *testing.B) {
	h := inlineRegistered(b, true)
	msg := statusUpdate("task-1", mesos.TaskState_TASK_RUNNING, []byte("0123456789abcdef"))
	msg.Update.Status.Uuid = msg.Update.Uuid
	receiveUpdates(b, h, msg)
}

// One op is an offer of an agent of the simulator's shape handed to a
// quiet scheduler through an inline driver, copied or shared.
func BenchmarkInlineOffer(b *testing.B) {
	for _, share := range []bool{false, true} {
		name := "copied"
		if share {
			name = "shared"
		}
		b.Run(name, func(b *testing.B) {
			h := inlineRegistered(b, share)
			o := offer("o-1", "agent-1")
			o.Resources = resources.MustParse("cpus:16;mem:65536;disk:1048576;ports:[31000-32000]").Allocate("*")
			msg := &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{o}, Pids: []string{coreAgent.String()}}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.Receive(coreNow, coreMaster, msg)
			}
		})
	}
}

// BenchmarkInlineLaunchOneShared is BenchmarkInlineLaunchOne with
// CoreConfig.ShareMessages: the ACCEPT carries the scheduler's task.
func BenchmarkInlineLaunchOneShared(b *testing.B) {
	h := inlineRegistered(b, true)
	launchOne(b, h)
}

// BenchmarkInlineStatusUpdateReused is BenchmarkInlineStatusUpdateShared
// with each event's list of effects handed back (ReuseEffects).
func BenchmarkInlineStatusUpdateReused(b *testing.B) {
	h := inlineRegistered(b, true)
	msg := statusUpdate("task-1", mesos.TaskState_TASK_RUNNING, []byte("0123456789abcdef"))
	msg.Update.Status.Uuid = msg.Update.Uuid
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := h.Receive(coreNow, coreMaster, msg)
		if len(out) != 1 {
			b.Fatalf("%d effects, want the ACKNOWLEDGE", len(out))
		}
		h.ReuseEffects(out)
	}
}

// receiveUpdates gives h the same update b.N times, timed, each answered
// by its ACKNOWLEDGE alone.
func receiveUpdates(b *testing.B, h *Inline, msg *mesosinternal.StatusUpdateMessage) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out := h.Receive(coreNow, coreMaster, msg); len(out) != 1 {
			b.Fatalf("%d effects, want the ACKNOWLEDGE", len(out))
		}
	}
}

// launchOne has h launch one task on one offer b.N times, timed, each
// answered by its ACCEPT alone.
func launchOne(b *testing.B, h *Inline) {
	id, filters := &mesos.OfferID{Value: proto.String("o-1")}, &mesos.Filters{RefuseSeconds: proto.Float64(5)}
	tasks := []*mesos.TaskInfo{task("t-1", "agent-1")}
	tasks[0].Resources = resources.MustParse("cpus:1;mem:128").Allocate("*")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.LaunchTasks([]*mesos.OfferID{id}, tasks, filters)
		if out := h.Take(coreNow); len(out) != 1 {
			b.Fatalf("%d effects, want the ACCEPT", len(out))
		}
	}
}
