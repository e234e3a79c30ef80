package schedulerdriver

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
)

// event is one recorded callback.
type event struct {
	name        string
	frameworkID string
	master      string
	offers      []*mesos.Offer
	offerID     string
	status      *mesos.TaskStatus
	executorID  string
	slaveID     string
	data        string
	code        int
	message     string
	driverState mesos.Status
}

// recorder is a Scheduler that records its callbacks; hooks run inside
// them.
type recorder struct {
	events   chan event
	onStatus func(SchedulerDriver, *mesos.TaskStatus)
	onOffers func(SchedulerDriver, []*mesos.Offer)
	onError  func(SchedulerDriver, string)
	active   atomic.Int32 // callbacks running right now
	overlap  atomic.Bool  // two callbacks ran at once
}

func newRecorder() *recorder { return &recorder{events: make(chan event, 1000)} }

func (r *recorder) enter() func() {
	if r.active.Add(1) > 1 {
		r.overlap.Store(true)
	}
	return func() { r.active.Add(-1) }
}

func (r *recorder) next(t *testing.T) event {
	t.Helper()
	select {
	case ev := <-r.events:
		return ev
	case <-time.After(actortest.DefaultTimeout):
		t.Fatal("timed out waiting for a callback")
		return event{}
	}
}

func (r *recorder) expect(t *testing.T, name string) event {
	t.Helper()
	ev := r.next(t)
	if ev.name != name {
		t.Fatalf("callback %q (%+v), want %q", ev.name, ev, name)
	}
	return ev
}

func (r *recorder) Registered(d SchedulerDriver, fid *mesos.FrameworkID, mi *mesos.MasterInfo) {
	defer r.enter()()
	r.events <- event{name: "registered", frameworkID: fid.GetValue(), master: mi.GetPid()}
}

func (r *recorder) Reregistered(d SchedulerDriver, mi *mesos.MasterInfo) {
	defer r.enter()()
	r.events <- event{name: "reregistered", master: mi.GetPid()}
}

func (r *recorder) Disconnected(SchedulerDriver) {
	defer r.enter()()
	r.events <- event{name: "disconnected"}
}

func (r *recorder) ResourceOffers(d SchedulerDriver, offers []*mesos.Offer) {
	defer r.enter()()
	if r.onOffers != nil {
		r.onOffers(d, offers)
	}
	r.events <- event{name: "offers", offers: offers}
}

func (r *recorder) OfferRescinded(d SchedulerDriver, id *mesos.OfferID) {
	defer r.enter()()
	r.events <- event{name: "rescinded", offerID: id.GetValue()}
}

func (r *recorder) StatusUpdate(d SchedulerDriver, s *mesos.TaskStatus) {
	defer r.enter()()
	if r.onStatus != nil {
		r.onStatus(d, s)
	}
	r.events <- event{name: "status", status: s}
}

func (r *recorder) FrameworkMessage(d SchedulerDriver, eid *mesos.ExecutorID, sid *mesos.SlaveID, data string) {
	defer r.enter()()
	r.events <- event{name: "message", executorID: eid.GetValue(), slaveID: sid.GetValue(), data: data}
}

func (r *recorder) SlaveLost(d SchedulerDriver, sid *mesos.SlaveID) {
	defer r.enter()()
	r.events <- event{name: "slaveLost", slaveID: sid.GetValue()}
}

func (r *recorder) ExecutorLost(d SchedulerDriver, eid *mesos.ExecutorID, sid *mesos.SlaveID, code int) {
	defer r.enter()()
	r.events <- event{name: "executorLost", executorID: eid.GetValue(), slaveID: sid.GetValue(), code: code}
}

func (r *recorder) Error(d SchedulerDriver, msg string) {
	defer r.enter()()
	st := d.(interface{ Status() mesos.Status }).Status()
	if r.onError != nil {
		r.onError(d, msg)
	}
	r.events <- event{name: "error", message: msg, driverState: st}
}
