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
