package driverlife

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
)

type abortedErr struct{ msg string }

func (e *abortedErr) Error() string { return e.msg }

func TestTransitions(t *testing.T) {
	l := New(func(string) {}, func(msg string) error { return &abortedErr{msg} })
	if st, err := l.Join(nil); st != mesos.Status_DRIVER_NOT_STARTED || err == nil {
		t.Fatalf("Join before Start = %v, %v", st, err)
	}
	if st, err := l.Call("Revive", func() bool { return true }); st != mesos.Status_DRIVER_NOT_STARTED ||
		err == nil || err.Error() != "Unable to Revive: expected driver status DRIVER_RUNNING, but is DRIVER_NOT_STARTED" {
		t.Fatalf("Call before Start = %v, %v", st, err)
	}
	if st, err := l.Start(func() error { return nil }); st != mesos.Status_DRIVER_RUNNING || err != nil || !l.Running() {
		t.Fatalf("Start = %v, %v", st, err)
	}
	if st, err := l.Start(func() error { return nil }); st != mesos.Status_DRIVER_RUNNING || err == nil {
		t.Fatalf("second Start = %v, %v", st, err)
	}
	if _, err := l.Call("Kill", func() bool { return false }); err == nil || !strings.Contains(err.Error(), "actor is gone") {
		t.Fatalf("Call to a gone actor: %v", err)
	}
	if !l.AbortedByDriver() || l.AbortedByDriver() || l.Running() {
		t.Fatal("the driver's own abort must succeed once")
	}
	var ae *abortedErr
	if st, err := l.Call("Revive", func() bool { return true }); st != mesos.Status_DRIVER_ABORTED || !errors.As(err, &ae) {
		t.Fatalf("Call after abort = %v, %v", st, err)
	}
	if st, err := l.Join(nil); st != mesos.Status_DRIVER_ABORTED || err != nil {
		t.Fatalf("Join = %v, %v", st, err)
	}
	stopped := false
	if st, err := l.Stop(func() { stopped = true }); st != mesos.Status_DRIVER_ABORTED || err != nil || !stopped {
		t.Fatalf("Stop after abort = %v, %v (ran %v)", st, err, stopped)
	}
	if l.Status() != mesos.Status_DRIVER_STOPPED {
		t.Fatalf("status %v", l.Status())
	}
	if st, err := l.Abort(func() {}); st != mesos.Status_DRIVER_STOPPED || err == nil {
		t.Fatalf("Abort after Stop = %v, %v", st, err)
	}
}

func TestFailedStartQueuesError(t *testing.T) {
	got := make(chan string, 1)
	l := New(func(msg string) { got <- msg }, nil)
	st, err := l.Start(func() error { return errors.New("no detector") })
	if st != mesos.Status_DRIVER_ABORTED || err == nil {
		t.Fatalf("Start = %v, %v", st, err)
	}
	select {
	case msg := <-got:
		if msg != "no detector" {
			t.Fatalf("Error(%q)", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Error callback not run")
	}
	joined := make(chan struct{})
	go func() { _, _ = Run(func() (mesos.Status, error) { return l.Status(), nil }, nil); close(joined) }()
	WaitAtMost(joined, 10*time.Second)
}

func TestMachineJoinNow(t *testing.T) {
	var m Machine
	if st, err := m.JoinNow(); st != mesos.Status_DRIVER_NOT_STARTED || err == nil {
		t.Fatalf("JoinNow before Start = %v, %v", st, err)
	}
	_ = m.Start()
	if st, err := m.JoinNow(); st != mesos.Status_DRIVER_RUNNING || err == nil {
		t.Fatalf("JoinNow while running = %v, %v; want an error", st, err)
	}
	if st, err := m.Stop(); st != mesos.Status_DRIVER_STOPPED || err != nil {
		t.Fatalf("Stop = %v, %v", st, err)
	}
	if st, err := m.JoinNow(); st != mesos.Status_DRIVER_STOPPED || err != nil {
		t.Fatalf("JoinNow after Stop = %v, %v", st, err)
	}
}
