package harness

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	sched "github.com/gomesos/gomesos/schedulerdriver"
)

// Sched is a Scheduler that records every callback on channels, so tests
// wait on what the framework sees (MockScheduler + FUTURE in Mesos' tests).
type Sched struct {
	Registered   chan *mesos.FrameworkID
	Reregistered chan *mesos.MasterInfo
	Disconnects  chan struct{}
	Offers       chan []*mesos.Offer
	Rescinded    chan *mesos.OfferID
	Updates      chan *mesos.TaskStatus
	Messages     chan string
	Lost         chan *mesos.SlaveID
	ExecLost     chan *mesos.ExecutorID
	Errors       chan string
	// OnOffers, if set, runs inside ResourceOffers (e.g. to launch at once).
	OnOffers func(sched.SchedulerDriver, []*mesos.Offer)
}

// NewSched returns a recording scheduler with roomy buffers.
func NewSched() *Sched {
	return &Sched{
		Registered: make(chan *mesos.FrameworkID, 16), Reregistered: make(chan *mesos.MasterInfo, 16),
		Disconnects: make(chan struct{}, 16), Offers: make(chan []*mesos.Offer, 256),
		Rescinded: make(chan *mesos.OfferID, 256), Updates: make(chan *mesos.TaskStatus, 1024),
		Messages: make(chan string, 64), Lost: make(chan *mesos.SlaveID, 16),
		ExecLost: make(chan *mesos.ExecutorID, 16), Errors: make(chan string, 16),
	}
}

// Driver builds a driver for s against the cluster, on the cluster's node.
func (c *Cluster) Driver(s sched.Scheduler, fw *mesos.FrameworkInfo) *sched.MesosSchedulerDriver {
	c.t.Helper()
	if fw == nil {
		fw = &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("test-framework")}
	}
	d, err := sched.NewMesosSchedulerDriver(sched.DriverConfig{Scheduler: s, Framework: fw, Master: c.MasterAddr(), Node: c.Node})
	if err != nil {
		c.t.Fatalf("new driver: %v", err)
	}
	c.t.Cleanup(func() { d.Abort(); d.Stop(true) })
	return d
}

// Recv waits for one value on ch or fails the test.
func Recv[T any](t testing.TB, ch <-chan T, timeout time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(timeout):
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
		var zero T
		return zero
	}
}

// None asserts nothing arrives on ch within d.
func None[T any](t testing.TB, ch <-chan T, d time.Duration, what string) {
	t.Helper()
	select {
	case v := <-ch:
		t.Fatalf("unexpected %s: %v", what, v)
	case <-time.After(d):
	}
}

// schedAdapter gives Sched the Scheduler method set (Registered is both a
// channel and a callback name, so the callbacks live on this wrapper).
type schedAdapter struct{ s *Sched }

// AsScheduler returns the sched.Scheduler view of s.
func (s *Sched) AsScheduler() sched.Scheduler { return schedAdapter{s} }

func (a schedAdapter) Registered(_ sched.SchedulerDriver, id *mesos.FrameworkID, _ *mesos.MasterInfo) {
	a.s.Registered <- id
}
func (a schedAdapter) Reregistered(_ sched.SchedulerDriver, mi *mesos.MasterInfo) {
	a.s.Reregistered <- mi
}
func (a schedAdapter) Disconnected(sched.SchedulerDriver) { a.s.Disconnects <- struct{}{} }
func (a schedAdapter) ResourceOffers(d sched.SchedulerDriver, o []*mesos.Offer) {
	if a.s.OnOffers != nil {
		a.s.OnOffers(d, o)
	}
	a.s.Offers <- o
}
func (a schedAdapter) OfferRescinded(_ sched.SchedulerDriver, id *mesos.OfferID) { a.s.Rescinded <- id }
func (a schedAdapter) StatusUpdate(_ sched.SchedulerDriver, st *mesos.TaskStatus) {
	a.s.Updates <- st
}
func (a schedAdapter) FrameworkMessage(_ sched.SchedulerDriver, _ *mesos.ExecutorID, _ *mesos.SlaveID, m string) {
	a.s.Messages <- m
}
func (a schedAdapter) SlaveLost(_ sched.SchedulerDriver, id *mesos.SlaveID) { a.s.Lost <- id }
func (a schedAdapter) ExecutorLost(_ sched.SchedulerDriver, id *mesos.ExecutorID, _ *mesos.SlaveID, _ int) {
	a.s.ExecLost <- id
}
func (a schedAdapter) Error(_ sched.SchedulerDriver, m string) { a.s.Errors <- m }
