package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/mesosutil"
)

// sender sends a burst of numbered messages to peer every second, count
// bursts in all, and records what comes back.
type sender struct {
	effect.Outbox
	peer   actors.PID
	burst  int
	bursts int
	next   int
	got    []string
	exited []actors.PID
}

func (c *sender) Receive(_ time.Time, _ actors.PID, msg proto.Message) []effect.Effect {
	if id, ok := msg.(*mesos.TaskID); ok {
		c.got = append(c.got, id.GetValue())
	}
	return c.Take()
}

func (c *sender) Timer(_ time.Time, key string) []effect.Effect {
	if key == "tick" && c.bursts > 0 {
		c.bursts--
		for i := 0; i < c.burst; i++ {
			c.next++
			c.Send(c.peer, mesosutil.NewTaskID(fmt.Sprint(c.next)))
		}
		c.StartTimer("tick", time.Second)
	}
	return c.Take()
}

func (c *sender) Exited(_ time.Time, pid actors.PID) []effect.Effect {
	c.exited = append(c.exited, pid)
	return c.Take()
}

// echo sends every message back and links to whoever writes to it.
type echo struct {
	effect.Outbox
	got    []string
	exited []actors.PID
}

func (c *echo) Receive(_ time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	if id, ok := msg.(*mesos.TaskID); ok {
		c.got = append(c.got, id.GetValue())
	}
	c.Link(from)
	c.Send(from, msg)
	return c.Take()
}
func (c *echo) Timer(time.Time, string) []effect.Effect { return nil }
func (c *echo) Exited(_ time.Time, pid actors.PID) []effect.Effect {
	c.exited = append(c.exited, pid)
	return nil
}

type pingPong struct {
	s    *Sim
	a, b *Node
	snd  *sender
	ech  *echo
	log  []string
}

func newPingPong(t *testing.T, seed uint64, burst, bursts int) *pingPong {
	t.Helper()
	p := &pingPong{s: New(Options{Seed: seed, Latency: time.Millisecond})}
	apid := actors.PID{ID: "a", Address: "127.0.0.1:1"}
	bpid := actors.PID{ID: "b", Address: "127.0.0.1:2"}
	p.snd = &sender{peer: bpid, burst: burst, bursts: bursts}
	p.ech = &echo{}
	var err error
	if p.a, err = p.s.Add("a", apid, p.snd, nil); err != nil {
		t.Fatal(err)
	}
	if p.b, err = p.s.Add("b", bpid, p.ech, nil); err != nil {
		t.Fatal(err)
	}
	p.s.Trace = func(s *Sim, d Delivery) {
		p.log = append(p.log, fmt.Sprintf("%v %s", s.Elapsed(), s.Line(d)))
	}
	p.s.Start(p.a, func(time.Time) []effect.Effect {
		return []effect.Effect{effect.StartTimer{Key: "tick", After: time.Second}}
	})
	return p
}

func TestSameSeedSameTrace(t *testing.T) {
	run := func(seed uint64) string {
		p := newPingPong(t, seed, 5, 20)
		p.s.Net.AddRule(Rule{Drop: 0.1, Dup: 0.1, Reorder: 0.2, Delay: 20 * time.Millisecond})
		if err := p.s.RunFor(time.Minute); err != nil {
			t.Fatal(err)
		}
		return strings.Join(p.log, "\n")
	}
	a, b := run(7), run(7)
	if a != b {
		t.Fatal("the same seed gave two different traces")
	}
	if a == run(8) {
		t.Fatal("two seeds gave the same trace under random faults")
	}
	if len(a) == 0 {
		t.Fatal("no messages flowed")
	}
}

func TestNoFaultsKeepsOrderEvenWithDelay(t *testing.T) {
	p := newPingPong(t, 1, 10, 3)
	p.s.Net.AddRule(Rule{Delay: 100 * time.Millisecond})
	if err := p.s.RunFor(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	want := make([]string, 30)
	for i := range want {
		want[i] = fmt.Sprint(i + 1)
	}
	if strings.Join(p.ech.got, ",") != strings.Join(want, ",") || strings.Join(p.snd.got, ",") != strings.Join(want, ",") {
		t.Fatalf("echo got %v, sender got back %v", p.ech.got, p.snd.got)
	}
}

func TestDropAll(t *testing.T) {
	p := newPingPong(t, 1, 3, 3)
	p.s.Net.AddRule(Rule{From: "a", To: "b", Drop: 1})
	if err := p.s.RunFor(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(p.ech.got) != 0 || len(p.log) != 9 || !strings.Contains(p.log[0], "(dropped: fault)") {
		t.Fatalf("echo got %v; trace %v", p.ech.got, p.log)
	}
}

func TestDuplicateAll(t *testing.T) {
	p := newPingPong(t, 1, 2, 1)
	p.s.Net.AddRule(Rule{From: "a", To: "b", Dup: 1})
	if err := p.s.RunFor(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.ech.got, ","); got != "1,1,2,2" {
		t.Fatalf("echo got %s, want each message twice", got)
	}
	if got := strings.Join(p.snd.got, ","); got != "1,1,2,2" {
		t.Fatalf("sender got back %s (the way back has no faults)", got)
	}
}

func TestReorder(t *testing.T) {
	p := newPingPong(t, 3, 50, 1)
	p.s.Net.AddRule(Rule{From: "a", To: "b", Reorder: 0.5})
	if err := p.s.RunFor(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(p.ech.got) != 50 {
		t.Fatalf("echo got %d messages, want all 50", len(p.ech.got))
	}
	inOrder := true
	for i, v := range p.ech.got {
		if v != fmt.Sprint(i+1) {
			inOrder = false
		}
	}
	if inOrder {
		t.Fatal("reordering left 50 messages in order")
	}
}

func TestTypeFilterDropsCount(t *testing.T) {
	p := newPingPong(t, 1, 1, 5)
	p.s.Net.AddFilter(Filter{From: "a", To: "b", Type: "TaskID", Count: 2})
	p.s.Net.AddFilter(Filter{Type: "PongSlaveMessage", Count: -1}) // matches nothing here
	if err := p.s.RunFor(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.ech.got, ","); got != "3,4,5" {
		t.Fatalf("echo got %s, want the first two dropped", got)
	}
	if !strings.Contains(p.log[0], "a -> b: TaskID (dropped: filtered)") {
		t.Fatalf("trace starts %q", p.log[0])
	}
}

func TestPartitionBreaksLinksAndHeals(t *testing.T) {
	p := newPingPong(t, 1, 1, 10)
	// One round trip so that b links a.
	if err := p.s.RunFor(1500 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	p.s.Net.Partition([]*Node{p.a}, []*Node{p.b}, 3*time.Second)
	if err := p.s.Settle(); err != nil {
		t.Fatal(err)
	}
	if len(p.ech.exited) != 1 || p.ech.exited[0] != p.a.PID {
		t.Fatalf("b saw exited %v, want a once", p.ech.exited)
	}
	if err := p.s.RunFor(time.Minute); err != nil {
		t.Fatal(err)
	}
	// Ticks at 2s, 3s and 4s fall inside the cut (1.5s to 4.5s).
	if got := strings.Join(p.ech.got, ","); got != "1,5,6,7,8,9,10" {
		t.Fatalf("echo got %s", got)
	}
	if p.s.Net.Partitioned() {
		t.Fatal("the partition did not heal")
	}
}

func TestCrashStopsTimersAndTellsLinkedPeers(t *testing.T) {
	p := newPingPong(t, 1, 1, 100)
	if err := p.s.RunFor(2500 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	p.s.Crash(p.a)
	if err := p.s.RunFor(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(p.ech.got) != 2 {
		t.Fatalf("echo got %v after the sender crashed at 2.5s", p.ech.got)
	}
	if len(p.ech.exited) != 1 || p.ech.exited[0] != p.a.PID {
		t.Fatalf("b saw exited %v, want a once", p.ech.exited)
	}
	// A restarted node has a fresh core and no timers until started.
	fresh := &sender{peer: p.b.PID, burst: 1, bursts: 1, next: 100}
	p.s.Restart(p.a, fresh)
	if err := p.s.RunFor(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if len(p.ech.got) != 2 {
		t.Fatal("a timer of the crashed incarnation fired")
	}
	p.s.Start(p.a, func(time.Time) []effect.Effect { return fresh.Timer(time.Time{}, "tick") })
	if err := p.s.RunFor(time.Second); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.ech.got, ","); got != "1,2,101" || len(fresh.got) != 1 {
		t.Fatalf("after restart echo got %s, sender got %v", got, fresh.got)
	}
}

func TestLinkToDownPeerExitsAtOnce(t *testing.T) {
	p := newPingPong(t, 1, 1, 1)
	p.s.Crash(p.b)
	p.s.Start(p.a, func(time.Time) []effect.Effect { return []effect.Effect{effect.Link{PID: p.b.PID}} })
	if err := p.s.Settle(); err != nil {
		t.Fatal(err)
	}
	if len(p.snd.exited) != 1 {
		t.Fatalf("exited %v, want b", p.snd.exited)
	}
}

// timers starts a, b and c, cancels b and re-arms c later.
type timers struct {
	effect.Outbox
	fired []string
}

func (c *timers) Receive(time.Time, actors.PID, proto.Message) []effect.Effect {
	c.StartTimer("a", time.Second)
	c.StartTimer("b", time.Second)
	c.StartTimer("c", time.Second)
	c.CancelTimer("b")
	c.StartTimer("c", 3*time.Second)
	return c.Take()
}
func (c *timers) Timer(now time.Time, key string) []effect.Effect {
	c.fired = append(c.fired, fmt.Sprintf("%s@%v", key, now.Sub(Epoch)))
	return nil
}
func (c *timers) Exited(time.Time, actors.PID) []effect.Effect { return nil }

func TestTimersCancelAndRearm(t *testing.T) {
	s := New(Options{})
	c := &timers{}
	n, _ := s.Add("t", actors.PID{ID: "t", Address: "127.0.0.1:1"}, c, nil)
	s.Deliver(actors.PID{}, n, &mesosinternal.PongSlaveMessage{})
	if err := s.RunFor(time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.fired, ","); got != "a@1s,c@3s" {
		t.Fatalf("fired %s", got)
	}
}

func TestCheckStopsRunWithSeedAndRecentMessages(t *testing.T) {
	p := newPingPong(t, 42, 1, 100)
	p.s.Check = func(s *Sim) error {
		if len(p.ech.got) >= 3 {
			return errors.New("echo got three")
		}
		return nil
	}
	err := p.s.RunFor(time.Minute)
	var v *Violation
	if !errors.As(err, &v) {
		t.Fatalf("err = %v, want a violation", err)
	}
	text := v.Error()
	for _, want := range []string{"seed=42", "echo got three", "a -> b: TaskID", "b -> a: TaskID"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if p.s.Step() {
		t.Fatal("the run went on after a violation")
	}
}

func TestUnknownEffectIsAViolation(t *testing.T) {
	s := New(Options{})
	n, _ := s.Add("x", actors.PID{ID: "x", Address: "127.0.0.1:1"}, &echo{}, nil)
	s.Start(n, func(time.Time) []effect.Effect { return []effect.Effect{"mystery"} })
	if err := s.Settle(); err == nil || !strings.Contains(err.Error(), "cannot apply") {
		t.Fatalf("err = %v", err)
	}
}

func TestAddRejectsDuplicates(t *testing.T) {
	s := New(Options{})
	pid := actors.PID{ID: "x", Address: "127.0.0.1:1"}
	if _, err := s.Add("x", pid, &echo{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add("y", pid, &echo{}, nil); err == nil {
		t.Fatal("two nodes with one pid")
	}
	if _, err := s.Add("x", actors.PID{ID: "y", Address: "127.0.0.1:1"}, &echo{}, nil); err == nil {
		t.Fatal("two nodes with one name")
	}
}

func TestSummary(t *testing.T) {
	st := mesosutil.NewTaskStatus(mesosutil.NewTaskID("t1"), mesos.TaskState_TASK_LOST)
	st.Reason = mesos.TaskStatus_REASON_INVALID_OFFERS.Enum()
	st.Source = mesos.TaskStatus_SOURCE_MASTER.Enum()
	st.SlaveId = mesosutil.NewSlaveID("a1")
	up := &mesosinternal.StatusUpdateMessage{Update: mesosutil.NewStatusUpdate(mesosutil.NewFrameworkID("f1"), st, 0, []byte{1, 2, 3, 4, 5, 6})}
	up.Update.SlaveId = mesosutil.NewSlaveID("a1")
	if got, want := Summary(up), "StatusUpdateMessage {framework=f1 agent=a1 task=t1 state=TASK_LOST source=SOURCE_MASTER reason=REASON_INVALID_OFFERS uuid=03040506}"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	o := mesosutil.NewOffer(mesosutil.NewOfferID("o1"), mesosutil.NewFrameworkID("f1"), mesosutil.NewSlaveID("a1"), "h")
	o.Resources = []*mesos.Resource{mesosutil.NewScalarResource("cpus", 2), mesosutil.NewScalarResource("mem", 1024)}
	offers := &mesosinternal.ResourceOffersMessage{Offers: []*mesos.Offer{o}, Pids: []string{"slave@x"}}
	if got, want := Summary(offers), "ResourceOffersMessage {offers=[{offer=o1 framework=f1 agent=a1 res=cpus:2;mem:1024}]}"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	launch := &mesosinternal.LaunchTasksMessage{
		FrameworkId: mesosutil.NewFrameworkID("f1"),
		OfferIds:    []*mesos.OfferID{mesosutil.NewOfferID("o1"), mesosutil.NewOfferID("o2")},
		Filters:     &mesos.Filters{RefuseSeconds: proto.Float64(0)},
	}
	if got, want := Summary(launch), "LaunchTasksMessage {framework=f1 refuse=0s offers=[o1 o2]}"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := Summary(&mesosinternal.PongSlaveMessage{}); got != "PongSlaveMessage" {
		t.Errorf("got %s", got)
	}
}

// panicky panics on its second message.
type panicky struct{ got int }

func (c *panicky) Receive(time.Time, actors.PID, proto.Message) []effect.Effect {
	if c.got++; c.got == 2 {
		panic("core exploded")
	}
	return nil
}
func (c *panicky) Timer(time.Time, string) []effect.Effect      { return nil }
func (c *panicky) Exited(time.Time, actors.PID) []effect.Effect { return nil }

func TestPanicInACoreIsAViolation(t *testing.T) {
	for _, workers := range []int{0, 2} {
		t.Run(fmt.Sprint("workers=", workers), func(t *testing.T) {
			s := New(Options{Seed: 9, Latency: time.Millisecond, Workers: workers})
			a, _ := s.Add("a", actors.PID{ID: "a", Address: "10.0.0.1:1"}, &echo{}, nil)
			b, _ := s.Add("b", actors.PID{ID: "b", Address: "10.0.0.2:1"}, &panicky{}, nil)
			s.parFrom = 1 // a window of two hosts runs on two goroutines
			s.Deliver(a.PID, b, mesosutil.NewTaskID("hello"))
			s.At(Epoch.Add(time.Second), func() {
				s.Deliver(b.PID, a, mesosutil.NewTaskID("meanwhile"))
				s.Deliver(a.PID, b, &mesosinternal.PingSlaveMessage{})
			})
			err := s.RunFor(time.Minute)
			var p *Panic
			if !IsViolation(err) || !errors.As(err, &p) {
				t.Fatalf("err = %v, want a violation from a panic", err)
			}
			if p.Node != "b" || p.Value != "core exploded" {
				t.Errorf("panic = %s", p)
			}
			text := err.Error()
			for _, want := range []string{"seed=9", "panic in b: core exploded", "(*panicky).Receive", "a -> b: TaskID", "1s a -> b: PingSlaveMessage"} {
				if !strings.Contains(text, want) {
					t.Errorf("report lacks %q:\n%s", want, text)
				}
			}
			if s.Step() {
				t.Fatal("the run went on after a panic")
			}
			if workers > 0 && s.shared == 0 {
				t.Fatal("no window ran on more than one goroutine")
			}
		})
	}
}

// spoiler panics on its second message and leaves its state so that the
// next message panics differently.
type spoiler struct {
	got  int
	seen map[string]int
}

func (c *spoiler) Receive(time.Time, actors.PID, proto.Message) []effect.Effect {
	c.got++
	if c.got == 2 {
		c.seen = nil
		panic("root cause")
	}
	c.seen["msg"]++ // a nil map after the first panic
	return nil
}
func (c *spoiler) Timer(time.Time, string) []effect.Effect      { return nil }
func (c *spoiler) Exited(time.Time, actors.PID) []effect.Effect { return nil }

func spoiledRun(workers int) error {
	s := New(Options{Seed: 9, Latency: time.Millisecond, Workers: workers})
	a, _ := s.Add("a", actors.PID{ID: "a", Address: "10.0.0.1:1"}, &echo{}, nil)
	b, _ := s.Add("b", actors.PID{ID: "b", Address: "10.0.0.2:1"}, &spoiler{seen: map[string]int{}}, nil)
	s.parFrom = 1
	s.Deliver(a.PID, b, mesosutil.NewTaskID("hello"))
	s.At(Epoch.Add(time.Second), func() {
		s.Deliver(b.PID, a, mesosutil.NewTaskID("meanwhile"))
		s.Deliver(a.PID, b, &mesosinternal.PingSlaveMessage{})
		s.Deliver(a.PID, b, &mesosinternal.PingSlaveMessage{})
	})
	return s.RunFor(time.Minute)
}

func TestPanicReportNamesTheRootCause(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 3} {
		err := spoiledRun(workers)
		var p *Panic
		if !errors.As(err, &p) || p.Value != "root cause" {
			t.Errorf("workers=%d: err = %v, want the panic \"root cause\"", workers, err)
		}
	}
}

func TestPanicReportIsTheSameForAnyWorkers(t *testing.T) {
	want := spoiledRun(1).Error()
	if !strings.Contains(want, "(*spoiler).Receive") {
		t.Fatalf("report lacks the panicking frame:\n%s", want)
	}
	for _, workers := range []int{0, 2, 3} {
		if got := spoiledRun(workers).Error(); got != want {
			t.Errorf("workers=%d report:\n%s\nworkers=1 report:\n%s", workers, got, want)
		}
	}
}

// toucher reads the clock of another node, which the windowed engine
// forbids from a lane.
type toucher struct{ other *Node }

func (c *toucher) Receive(time.Time, actors.PID, proto.Message) []effect.Effect {
	c.other.Now()
	return nil
}
func (c *toucher) Timer(time.Time, string) []effect.Effect      { return nil }
func (c *toucher) Exited(time.Time, actors.PID) []effect.Effect { return nil }

func TestWindowGuardIsTheSimulatorsError(t *testing.T) {
	s := New(Options{Seed: 9, Latency: time.Millisecond, Workers: 2})
	a, _ := s.Add("a", actors.PID{ID: "a", Address: "10.0.0.1:1"}, &echo{}, nil)
	tc := &toucher{}
	b, _ := s.Add("b", actors.PID{ID: "b", Address: "10.0.0.2:1"}, tc, nil)
	c, _ := s.Add("c", actors.PID{ID: "c", Address: "10.0.0.3:1"}, &echo{}, nil)
	tc.other = a
	s.parFrom = 1
	s.Deliver(a.PID, b, mesosutil.NewTaskID("hello"))
	s.Deliver(a.PID, c, mesosutil.NewTaskID("hello"))
	err := s.RunFor(time.Minute)
	var p *Panic
	if !IsViolation(err) || errors.As(err, &p) {
		t.Fatalf("err = %v, want a violation that is not a core's panic", err)
	}
	if !strings.Contains(err.Error(), "windowed engine: a touched from another host") {
		t.Errorf("report:\n%s", err)
	}
}

// A failure in a node's event that is not a panic stops what runs next
// on its host in the window, as a panic does and as the serial engine
// stops after the failed step.
func TestFailStopsTheLaneAsThePanicDoes(t *testing.T) {
	for _, workers := range []int{0, 1, 2} {
		s := New(Options{Seed: 4, Latency: time.Millisecond, Workers: workers})
		x, _ := s.Add("x", actors.PID{ID: "x", Address: "10.0.0.1:1"}, &echo{}, nil)
		y, _ := s.Add("y", actors.PID{ID: "y", Address: "10.0.0.2:1"}, &echo{}, nil)
		s.Start(x, func(time.Time) []effect.Effect { return []effect.Effect{"mystery"} })
		s.Start(x, func(time.Time) []effect.Effect {
			return []effect.Effect{effect.Send{To: y.PID, Msg: mesosutil.NewTaskID("after")}}
		})
		err := s.RunFor(time.Second)
		if err == nil || !strings.Contains(err.Error(), "cannot apply") {
			t.Fatalf("workers=%d: err = %v", workers, err)
		}
		if s.Sent() != 0 {
			t.Errorf("workers=%d: %d messages sent after the failure", workers, s.Sent())
		}
	}
}
