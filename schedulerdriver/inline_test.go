package schedulerdriver

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/internal/effecttest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	schedpb "github.com/gomesos/gomesos/messages/scheduler"
)

// A framework written against the Scheduler interface, run inline: it
// launches on its first offer and stops once its task finished.
func TestInlineRunsASchedulerSynchronously(t *testing.T) {
	fw := coreFramework()
	rec := newRecorder()
	rec.onOffers = func(d SchedulerDriver, offers []*mesos.Offer) {
		d.LaunchTasks([]*mesos.OfferID{offers[0].GetId()}, launch("t1"), nil)
	}
	rec.onStatus = func(d SchedulerDriver, s *mesos.TaskStatus) {
		if s.GetState() == mesos.TaskState_TASK_FINISHED {
			d.Stop(false)
		}
	}
	h := NewInline(newTestCore(fw), rec)
	if got := h.Detected(coreNow, coreInfo(coreMaster)); got != nil {
		t.Fatalf("effects before Start:%s", effecttest.Format(got))
	}
	if st, err := h.Start(); st != mesos.Status_DRIVER_RUNNING || err != nil {
		t.Fatalf("Start = %v, %v", st, err)
	}
	if st, err := h.Join(); st != mesos.Status_DRIVER_RUNNING || err == nil {
		t.Fatalf("Join while running = %v, %v; want an error", st, err)
	}
	steps := []struct {
		name  string
		event func() []effect.Effect
		want  []effect.Effect
		calls []string
	}{{
		name:  "detected",
		event: func() []effect.Effect { return h.Detected(coreNow, coreInfo(coreMaster)) },
		want: []effect.Effect{effect.CancelTimer{Key: RedetectTimer}, effect.CancelTimer{Key: detector.RegisterTimer},
			effect.Link{PID: coreMaster}, effect.StartTimer{Key: detector.RegisterTimer, After: 1e9}, subscribe(fw, "", nil)},
	}, {
		name: "registered",
		event: func() []effect.Effect {
			return h.Receive(coreNow, coreMaster, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1")})
		},
		want:  []effect.Effect{effect.CancelTimer{Key: detector.RegisterTimer}},
		calls: []string{"registered"},
	}, {
		name: "offers: the launch made inside the callback goes out with the event",
		event: func() []effect.Effect {
			return h.Receive(coreNow, coreMaster, &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{{
				Id: &mesos.OfferID{Value: proto.String("o1")}, FrameworkId: fid("fw-1"),
				SlaveId: &mesos.SlaveID{Value: proto.String("a1")}, Hostname: proto.String("h")}}})
		},
		want: []effect.Effect{call(schedpb.Call_ACCEPT, &schedpb.Call{Accept: &schedpb.Call_Accept{OfferIds: offerIDs("o1"),
			Operations: []*mesos.Offer_Operation{{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: launch("t1")}}}}})},
		calls: []string{"offers"},
	}, {
		name: "running: acknowledged after the callback",
		event: func() []effect.Effect {
			return h.Receive(coreNow, coreMaster, statusUpdate("t1", mesos.TaskState_TASK_RUNNING, []byte("0123456789abcdef")))
		},
		want: []effect.Effect{call(schedpb.Call_ACKNOWLEDGE, &schedpb.Call{Acknowledge: &schedpb.Call_Acknowledge{
			SlaveId: &mesos.SlaveID{Value: proto.String("a1")}, TaskId: &mesos.TaskID{Value: proto.String("t1")},
			Uuid: []byte("0123456789abcdef")}})},
		calls: []string{"status"},
	}, {
		name: "finished: Stop inside the callback tears down and sends no acknowledgement",
		event: func() []effect.Effect {
			return h.Receive(coreNow, coreMaster, statusUpdate("t1", mesos.TaskState_TASK_FINISHED, []byte("fedcba9876543210")))
		},
		want: []effect.Effect{StopDetection{}, effect.CancelTimer{Key: detector.RegisterTimer}, effect.CancelTimer{Key: RedetectTimer},
			call(schedpb.Call_TEARDOWN, &schedpb.Call{}), Terminate{Flush: coreMaster}},
		calls: []string{"status"},
	}, {
		name: "stopped: nothing more",
		event: func() []effect.Effect {
			return h.Receive(coreNow, coreMaster, &mesosinternal.FrameworkErrorMessage{Message: proto.String("late")})
		},
	}}
	for _, s := range steps {
		got := s.event()
		if !effecttest.Equal(got, s.want) {
			t.Fatalf("%s: effects:%s\nwant:%s", s.name, effecttest.Format(got), effecttest.Format(s.want))
		}
		for _, name := range s.calls {
			rec.expect(t, name)
		}
		select {
		case ev := <-rec.events:
			t.Fatalf("%s: unexpected callback %+v", s.name, ev)
		default:
		}
	}
	if st, err := h.Join(); st != mesos.Status_DRIVER_STOPPED || err != nil {
		t.Fatalf("Join = %v, %v", st, err)
	}
}

func TestInlineLostTasksAndDetectionFailure(t *testing.T) {
	rec := newRecorder()
	h := NewInline(newTestCore(coreFramework()), rec)
	h.Start()
	got := h.Detected(coreNow, nil)
	got = append(got, h.Receive(coreNow, coreMaster, &mesosinternal.FrameworkErrorMessage{Message: proto.String("ignored: no leader")})...)
	if len(got) != 2 { // the two timer cancellations of a detection without a leader
		t.Fatalf("effects:%s", effecttest.Format(got))
	}
	// Launching while disconnected: TASK_LOST, delivered by Take.
	h.LaunchTasks(offerIDs("o1"), launch("t1"), nil)
	if got := h.Take(coreNow); got != nil {
		t.Fatalf("effects:%s", effecttest.Format(got))
	}
	if s := rec.expect(t, "status").status; s.GetState() != mesos.TaskState_TASK_LOST {
		t.Fatalf("status %v", s)
	}
	rec.onError = func(d SchedulerDriver, _ string) {
		if _, err := d.ReviveOffers(); err == nil {
			t.Error("ReviveOffers inside Error succeeded; the driver must be aborted")
		}
	}
	got = h.DetectionFailed(coreNow, errors.New("zk gone"))
	want := []effect.Effect{StopDetection{}, effect.CancelTimer{Key: detector.RegisterTimer}, effect.CancelTimer{Key: RedetectTimer}}
	if !effecttest.Equal(got, want) {
		t.Fatalf("effects:%s\nwant:%s", effecttest.Format(got), effecttest.Format(want))
	}
	if ev := rec.expect(t, "error"); ev.message != "Failed to detect a master: zk gone" {
		t.Fatalf("error %q", ev.message)
	}
	if h.Status() != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("status %v", h.Status())
	}
}

// A list of effects the host hands back holds a later event's effects,
// which are those a driver that got nothing back returns.
func TestInlineReusesTheListsItGetsBack(t *testing.T) {
	fresh, reusing := NewInline(newTestCore(coreFramework()), quietScheduler{}), NewInline(newTestCore(coreFramework()), quietScheduler{})
	uuid := []byte("0123456789abcdef")
	var last []effect.Effect
	for _, h := range []*Inline{fresh, reusing} {
		h.Start()
		h.Detected(coreNow, coreInfo(coreMaster))
		h.Receive(coreNow, coreMaster, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid("fw-1"), MasterInfo: coreInfo(coreMaster)})
	}
	for i := range 3 {
		msg := statusUpdate(fmt.Sprint("t", i), mesos.TaskState_TASK_RUNNING, uuid)
		want := fresh.Receive(coreNow, coreMaster, msg)
		got := reusing.Receive(coreNow, coreMaster, msg)
		if !effecttest.Equal(got, want) {
			t.Fatalf("update %d:%s\nwant:%s", i, effecttest.Format(got), effecttest.Format(want))
		}
		if last != nil && &got[0] != &last[0] {
			t.Fatalf("update %d: the list handed back was not reused", i)
		}
		last = got[:1]
		reusing.ReuseEffects(got)
	}
}
