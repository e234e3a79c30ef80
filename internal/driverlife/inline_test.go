package driverlife

import (
	"fmt"
	"testing"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
)

type testErr struct{}
type testCallback interface{ cb() }
type testCB struct{}

func (testCB) cb() {}

func TestTakeSortsCallbacksAndAbortsOnError(t *testing.T) {
	var m Machine
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	var p Pending
	Take[testErr, testCallback](&p, &m, []effect.Effect{testCB{}, effect.CancelTimer{Key: "k"}, testErr{}, effect.Link{}})
	if m.Status() != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("status %v after the error callback, want aborted", m.Status())
	}
	if cb, _ := p.Next(); cb != (testCB{}) {
		t.Fatalf("first callback %v", cb)
	}
	if cb, _ := p.Next(); cb != (testErr{}) {
		t.Fatalf("second callback %v", cb)
	}
	if _, ok := p.Next(); ok {
		t.Fatal("more callbacks than queued")
	}
	if out := p.Out(); len(out) != 2 || len(p.Out()) != 0 {
		t.Fatalf("host effects %v, want the timer and the link once", out)
	}
	// The driver no longer runs: a later error and everything after it is dropped.
	Take[testErr, testCallback](&p, &m, []effect.Effect{testErr{}, testCB{}, effect.Link{}})
	if _, ok := p.Next(); ok || len(p.Out()) != 0 {
		t.Fatal("effects after an error on a stopped driver were kept")
	}
}

func TestSortKeepsTheBatchOrder(t *testing.T) {
	var order []string
	name := func(kind string) func(effect.Effect) {
		return func(e effect.Effect) { order = append(order, kind+":"+fmt.Sprintf("%T", e)) }
	}
	running := true
	abort := func() bool { was := running; running = false; return was }
	Sort[testErr, testCallback]([]effect.Effect{effect.Link{}, testCB{}, effect.CancelTimer{}, testErr{}, effect.Unlink{}},
		abort, name("cb"), name("host"))
	want := []string{"host:effect.Link", "cb:driverlife.testCB", "host:effect.CancelTimer", "cb:driverlife.testErr", "host:effect.Unlink"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
}

type testCBn int

func (testCBn) cb() {}

// The queue is reused from event to event: what a later event queues,
// and what a callback queues while the queue drains, comes out once and
// in order, and the host effects come out with their own event.
func TestPendingAcrossEvents(t *testing.T) {
	var m Machine
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	var p Pending
	drain := func() []effect.Effect {
		var got []effect.Effect
		for {
			cb, ok := p.Next()
			if !ok {
				return got
			}
			got = append(got, cb)
			if cb == testCBn(1) { // a callback asking the driver for more
				Take[testErr, testCallback](&p, &m, []effect.Effect{testCBn(3), effect.Link{}})
			}
		}
	}
	Take[testErr, testCallback](&p, &m, []effect.Effect{testCBn(1), testCBn(2), effect.CancelTimer{Key: "a"}})
	if got := drain(); fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("first event's callbacks %v, want [1 2 3]", got)
	}
	if out := p.Out(); fmt.Sprint(out) != fmt.Sprint([]effect.Effect{effect.CancelTimer{Key: "a"}, effect.Link{}}) {
		t.Fatalf("first event's host effects %v", out)
	}
	Take[testErr, testCallback](&p, &m, []effect.Effect{effect.Unlink{}})
	Take[testErr, testCallback](&p, &m, []effect.Effect{testCBn(4), effect.Link{}})
	if got := drain(); fmt.Sprint(got) != "[4]" {
		t.Fatalf("second event's callbacks %v, want [4]", got)
	}
	if out := p.Out(); fmt.Sprint(out) != fmt.Sprint([]effect.Effect{effect.Unlink{}, effect.Link{}}) {
		t.Fatalf("second event's host effects %v", out)
	}
}
