package actors

import (
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func TestManualClockOrderAndStop(t *testing.T) {
	c := NewManualClock(epoch)
	var got []string
	at := map[string]time.Time{}
	add := func(name string, d time.Duration) Timer {
		return c.AfterFunc(d, func() { got = append(got, name); at[name] = c.Now() })
	}
	add("c", 3*time.Second)
	add("a", 1*time.Second)
	add("b1", 2*time.Second)
	add("b2", 2*time.Second) // same deadline: scheduling order
	stopped := add("x", 2*time.Second)
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop of a pending timer must report true once")
	}
	c.Advance(999 * time.Millisecond)
	if len(got) != 0 {
		t.Fatalf("fired early: %v", got)
	}
	c.Advance(2 * time.Second) // to 2.999s
	if want := []string{"a", "b1", "b2"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if !at["a"].Equal(epoch.Add(time.Second)) || !at["b1"].Equal(epoch.Add(2*time.Second)) {
		t.Fatalf("Now during callbacks: %v", at)
	}
	if !c.Now().Equal(epoch.Add(2999 * time.Millisecond)) {
		t.Fatalf("Now = %v", c.Now())
	}
	if c.Pending() != 1 {
		t.Fatalf("Pending = %d", c.Pending())
	}
	c.Advance(time.Millisecond)
	if !slices.Equal(got, []string{"a", "b1", "b2", "c"}) || c.Pending() != 0 {
		t.Fatalf("got %v", got)
	}
}

func TestManualClockNestedTimers(t *testing.T) {
	c := NewManualClock(epoch)
	var got []time.Duration
	var tick func()
	tick = func() {
		got = append(got, c.Now().Sub(epoch))
		c.AfterFunc(time.Second, tick) // reschedules itself
	}
	c.AfterFunc(time.Second, tick)
	c.AfterFunc(0, func() { got = append(got, -1) })
	c.Advance(3500 * time.Millisecond)
	want := []time.Duration{-1, time.Second, 2 * time.Second, 3 * time.Second}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if next, ok := c.NextDeadline(); !ok || !next.Equal(epoch.Add(4*time.Second)) {
		t.Fatalf("NextDeadline = %v, %v", next, ok)
	}
}

func TestManualClockConcurrent(t *testing.T) {
	c := NewManualClock(epoch)
	var mu sync.Mutex
	fired := 0
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				tm := c.AfterFunc(time.Duration(i%7)*time.Millisecond, func() { mu.Lock(); fired++; mu.Unlock() })
				if i%10 == 0 {
					tm.Stop()
				}
				c.Advance(time.Millisecond)
				_ = c.Now()
			}
		}()
	}
	wg.Wait()
	c.Advance(time.Hour)
	mu.Lock()
	defer mu.Unlock()
	if c.Pending() != 0 || fired < 4*90 || fired > 400 {
		t.Fatalf("fired %d, pending %d", fired, c.Pending())
	}
}

func TestRealClock(t *testing.T) {
	c := RealClock()
	done := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(done) })
	recv(t, done, "real timer")
	if tm := c.AfterFunc(time.Hour, func() {}); !tm.Stop() {
		t.Fatal("Stop of a pending real timer")
	}
}

func TestDelayWithManualClock(t *testing.T) {
	clock := NewManualClock(epoch)
	n := newTestNode(t, func(c *Config) { c.Clock = clock })
	var got []string // owned by the process
	var timers []Timer
	p := spawn(t, n, "p", &proc{init: func(c *Context) {
		if c.Clock() != clock || c.Node().Clock() != clock {
			panic("wrong clock")
		}
		timers = append(timers,
			c.Delay(3*time.Second, func() { got = append(got, "3s") }),
			c.Delay(time.Second, func() { got = append(got, "1s") }),
			c.Delay(2*time.Second, func() { got = append(got, "2s") }),
			c.Delay(2*time.Second, func() { got = append(got, "cancelled") }),
		)
	}})
	snapshot := func() []string {
		barrier(t, n, p) // every dispatch sent so far has run
		v, _ := n.Call(t.Context(), p, func() any { return slices.Clone(got) })
		return v.([]string)
	}
	if len(snapshot()) != 0 {
		t.Fatal("fired before Advance")
	}
	n.Call(t.Context(), p, func() any { return timers[3].Stop() })
	clock.Advance(1500 * time.Millisecond)
	if s := snapshot(); !slices.Equal(s, []string{"1s"}) {
		t.Fatalf("after 1.5s: %v", s)
	}
	clock.Advance(2 * time.Second)
	if s := snapshot(); !slices.Equal(s, []string{"1s", "2s", "3s"}) {
		t.Fatalf("after 3.5s: %v", s)
	}

	// A timer stopped after its clock timer fired, before f ran, cancels f.
	var fired bool
	var tm Timer
	n.Call(t.Context(), p, func() any { tm = n.procCtx(p).Delay(time.Second, func() { fired = true }); return nil })
	block := make(chan struct{})
	n.Dispatch(p, func() { <-block })
	clock.Advance(time.Second) // queues f behind the blocked dispatch
	if !tm.Stop() {
		t.Fatal("Stop after the clock fired, before f ran, must report true")
	}
	close(block)
	barrier(t, n, p)
	if fired {
		t.Fatal("stopped Delay ran")
	}

	// A stopped process never runs its pending Delays.
	ran := make(chan struct{}, 1)
	q := spawn(t, n, "q", &proc{init: func(c *Context) {
		c.Delay(time.Second, func() { ran <- struct{}{} })
	}})
	barrier(t, n, q)
	n.Stop(q)
	clock.Advance(time.Hour)
	barrier(t, n, p)
	select {
	case <-ran:
		t.Fatal("Delay ran after Stop")
	default:
	}
	if clock.Pending() != 0 {
		t.Fatalf("%d timers left", clock.Pending())
	}
}

// Messages sent from a Delay callback continue the trace of the message
// that scheduled it.
func TestDelayKeepsTrace(t *testing.T) {
	clock := NewManualClock(epoch)
	tr := &recordingTracer{}
	n := newTestNode(t, func(c *Config) { c.Clock = clock; c.Tracer = tr })
	sink, replies := spawnClient(t, n, PID{})
	p := spawn(t, n, "p", &proc{init: func(c *Context) {
		Install(c, func(_ PID, m *wrapperspb.Int64Value) {
			c.Delay(time.Second, func() { c.Send(sink, wrapperspb.String("later")) })
		})
	}})
	n.Send(PID{}, p, wrapperspb.Int64(1))
	barrier(t, n, p)
	clock.Advance(time.Second)
	recv(t, replies, "delayed message")
	var kick, later *Event
	for _, e := range tr.snapshot() {
		e := e
		switch {
		case e.Kind == Sent && e.Type == TypeOf[*wrapperspb.Int64Value]():
			kick = &e
		case e.Kind == Sent && e.Type == TypeOf[*wrapperspb.StringValue]():
			later = &e
		}
	}
	if kick == nil || later == nil || kick.TraceID == "" || kick.TraceID != later.TraceID {
		t.Fatalf("trace not kept: %+v / %+v", kick, later)
	}
}
