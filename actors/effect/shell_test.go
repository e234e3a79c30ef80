package effect

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gomesos/gomesos/actors"
)

type timerProc struct {
	timers *Timers
	fired  chan string
}

func (p *timerProc) Initialize(ctx *actors.Context) {
	p.timers = NewTimers(ctx, func(key string) { p.fired <- key })
}

func TestTimersFireByKeyAndHonourCancelAndRearm(t *testing.T) {
	log := logrus.New()
	log.Out = io.Discard
	clock := actors.NewManualClock(time.Unix(0, 0))
	node, err := actors.NewNode(actors.Config{Local: true, Logger: log, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Shutdown()
	p := &timerProc{fired: make(chan string, 10)}
	pid, err := node.Spawn("timers", p)
	if err != nil {
		t.Fatal(err)
	}
	on := func(f func()) {
		t.Helper()
		if _, err := node.Call(context.Background(), pid, func() any { f(); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	on(func() {
		Apply(nil, p.timers, StartTimer{Key: "a", After: time.Second})
		Apply(nil, p.timers, StartTimer{Key: "b", After: time.Second})
		Apply(nil, p.timers, StartTimer{Key: "c", After: time.Second})
		Apply(nil, p.timers, CancelTimer{Key: "b"})
		Apply(nil, p.timers, StartTimer{Key: "c", After: 3 * time.Second}) // re-armed later
	})
	clock.Advance(time.Second)
	if got := wait(t, p.fired); got != "a" {
		t.Fatalf("fired %q, want a", got)
	}
	on(func() {})
	select {
	case k := <-p.fired:
		t.Fatalf("timer %q fired although cancelled or re-armed", k)
	default:
	}
	clock.Advance(2 * time.Second)
	if got := wait(t, p.fired); got != "c" {
		t.Fatalf("fired %q, want c", got)
	}
	on(func() {
		if p.timers.Pending("c") || p.timers.Pending("a") {
			t.Error("a fired timer is still pending")
		}
	})
}

func wait(t *testing.T, ch chan string) string {
	t.Helper()
	select {
	case k := <-ch:
		return k
	case <-time.After(10 * time.Second):
		t.Fatal("no timer fired")
		return ""
	}
}

func TestOutboxTakesInOrder(t *testing.T) {
	var o Outbox
	pid := actors.PID{ID: "x", Address: "local-1"}
	o.Link(pid)
	o.StartTimer("k", time.Second)
	o.Add("custom")
	got := o.Take()
	if len(got) != 3 || got[0] != (Link{pid}) || got[1] != (StartTimer{"k", time.Second}) || got[2] != "custom" {
		t.Fatalf("Take() = %v", got)
	}
	if len(o.Take()) != 0 {
		t.Fatal("Take did not empty the outbox")
	}
}
