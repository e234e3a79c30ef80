package driverlife

import (
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
)

// An event's callbacks go out in order; once the core aborts the driver,
// only the error callback is still called, and requests are refused.
func TestHostEventCallsCallbacksWhileRunning(t *testing.T) {
	var h Host[testErr, testCallback]
	if _, err := h.Request("Send", func(time.Time) []effect.Effect { return nil }); err == nil {
		t.Fatal("a request before Start was accepted")
	}
	at := time.Unix(100, 0)
	if st, err := h.Start(func(now time.Time) []effect.Effect {
		return []effect.Effect{effect.Link{}}
	}); err != nil || st != mesos.Status_DRIVER_RUNNING {
		t.Fatalf("Start: %v, %v", st, err)
	}
	var called []effect.Effect
	out := h.Event(at, func() []effect.Effect {
		return []effect.Effect{testCB{}, effect.CancelTimer{Key: "k"}, testErr{}}
	}, func(cb effect.Effect) {
		called = append(called, cb)
		if h.Now() != at {
			t.Errorf("callback at %v, want %v", h.Now(), at)
		}
	})
	// The abort happens as the batch is taken: the plain callback queued
	// before it is no longer due, the error is.
	if len(called) != 1 || called[0] != (testErr{}) {
		t.Fatalf("callbacks called %v, want the error only", called)
	}
	if len(out) != 2 {
		t.Fatalf("host effects %v, want Start's link and the timer", out)
	}
	if h.Status() != mesos.Status_DRIVER_ABORTED || h.Running() {
		t.Fatalf("status %v after the error", h.Status())
	}
	if _, err := h.Request("Send", func(time.Time) []effect.Effect { return nil }); err == nil {
		t.Fatal("a request after the abort was accepted")
	}
	if st, err := h.Join(); err != nil || st != mesos.Status_DRIVER_ABORTED {
		t.Fatalf("Join: %v, %v", st, err)
	}
}

// A batch the host copied (it held callbacks, or came after effects for
// the host) goes to Spent once sorted; one it hands to the host as it is
// does not.
func TestHostSpendsTheBatchesItCopied(t *testing.T) {
	var h Host[testErr, testCallback]
	var spent [][]effect.Effect
	h.Spent = func(l []effect.Effect) { spent = append(spent, l) }
	h.Start(nil)
	withCallback := []effect.Effect{testCB{}, effect.Link{}}
	sendOnly := []effect.Effect{effect.Unlink{}}
	out := h.Event(time.Unix(1, 0), func() []effect.Effect { return withCallback }, func(effect.Effect) {
		h.Take(sendOnly)
	})
	if len(spent) != 2 || &spent[0][0] != &withCallback[0] || &spent[1][0] != &sendOnly[0] {
		t.Fatalf("spent %v, want both batches", spent)
	}
	if len(out) != 2 || out[0] != (effect.Link{}) || out[1] != (effect.Unlink{}) {
		t.Fatalf("host effects %v", out)
	}
	spent = nil
	out = h.Event(time.Unix(2, 0), func() []effect.Effect { return sendOnly }, nil)
	if len(spent) != 0 || &out[0] != &sendOnly[0] {
		t.Fatalf("a host-only batch was spent (%v) or copied", spent)
	}
}
