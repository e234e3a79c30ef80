package sim

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosutil"
)

// windowed runs cfg on the windowed engine with workers goroutines and
// returns the run's summary, counts and a digest of its trace, and how
// many windows were shared out. With every, windows of that many events
// or more are.
func windowed(t *testing.T, cfg Config, workers, every int) (string, uint64) {
	t.Helper()
	trace := sha256.New()
	cfg.Workers, cfg.Trace = workers, trace
	c, err := NewCluster(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if every > 0 {
		c.Sim.parFrom = every
	}
	res := c.Run()
	if res.Err != nil {
		t.Fatalf("workers=%d: %s\n%v", workers, res.Summary(), res.Err)
	}
	sum := fmt.Sprintf("%s steps=%d messages=%d %+v trace=%x", wallRE.ReplaceAllString(res.Summary(), ""), res.Steps, res.Messages, res.Counts, trace.Sum(nil))
	return sum, c.Sim.shared
}

func TestWindowedRunIsTheSameForAnyWorkers(t *testing.T) {
	faults, err := ParseFaults("drop,dup,reorder,delay,partition,crash,agent-restart,master-restart")
	if err != nil {
		t.Fatal(err)
	}
	seeds := []uint64{1, 2, 3, 4}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		cfg := Config{Seed: seed, Agents: 20, Frameworks: 4, Tasks: 200, Faults: faults, TaskTime: 5 * time.Second}
		one, _ := windowed(t, cfg, 1, 1)
		for _, w := range []int{2, 3} {
			got, shared := windowed(t, cfg, w, 1)
			if got != one {
				t.Errorf("seed %d: workers=1 and %d ran differently:\n%s\n%s", seed, w, one, got)
			}
			if shared == 0 {
				t.Errorf("seed %d, workers=%d: no window was shared out", seed, w)
			}
		}
	}
}

// TestWindowedMediumRunIsTheSameForAnyWorkers runs a cluster busy enough
// that windows are shared out among goroutines.
func TestWindowedMediumRunIsTheSameForAnyWorkers(t *testing.T) {
	cfg := Config{Seed: 7, Agents: 300, Frameworks: 10, Tasks: 3000, TaskTime: 5 * time.Second, SweepEvery: 1000,
		AgentResources: "cpus:16;mem:65536", NoClone: true}
	one, _ := windowed(t, cfg, 1, 0)
	two, shared := windowed(t, cfg, 2, 0)
	if two != one {
		t.Fatalf("workers=1 and 2 ran differently:\n%s\n%s", one, two)
	}
	if shared == 0 {
		t.Fatal("no window was shared out: the run does not exercise the workers")
	}
	if !strings.Contains(one, "finished=3000 ") {
		t.Fatalf("not every task finished: %s", one)
	}
}

func TestWindowedEngineRefusesWhatItCannotOrder(t *testing.T) {
	for _, f := range []string{"disk-loss", "leader-loss"} {
		faults, _ := ParseFaults(f)
		if _, err := NewCluster(Config{Seed: 1, Agents: 2, Frameworks: 1, Tasks: 2, Faults: faults, Workers: 2}); err == nil {
			t.Errorf("%s: the windowed engine took a fault it cannot order", f)
		}
	}
	c, err := NewCluster(Config{Seed: 1, Agents: 2, Frameworks: 1, Tasks: 2, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.Sim.Net.AddFilter(Filter{Type: "StatusUpdateMessage", Count: 1})
	if res := c.Run(); res.Err == nil || !strings.Contains(res.Err.Error(), "filters") {
		t.Fatalf("a run with a type filter on the windowed engine: %v", res.Err)
	}
	c, err = NewCluster(Config{Seed: 1, Agents: 2, Frameworks: 1, Tasks: 2, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c.Sim.opts.Latency = 0 // messages could land inside their own window
	if res := c.Run(); res.Err == nil || !strings.Contains(res.Err.Error(), "latency") {
		t.Fatalf("a run without latency on the windowed engine: %v", res.Err)
	}
}

// leaver links back to whoever writes to it and removes its node when told
// "bye", inside a window.
type leaver struct {
	effect.Outbox
	self *Node
}

func (c *leaver) Receive(_ time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	if id, ok := msg.(*mesos.TaskID); ok && id.GetValue() == "bye" {
		c.self.sim.Remove(c.self)
		return nil
	}
	c.Link(from)
	return c.Take()
}
func (c *leaver) Timer(time.Time, string) []effect.Effect { return nil }
func (c *leaver) Exited(time.Time, actors.PID) []effect.Effect {
	return nil
}

// TestWindowedRemovalTellsPeersOnOtherHosts removes nodes inside a shared
// window: each one's watcher, on another host, hears it exited once the
// window is merged, whatever the number of workers.
func TestWindowedRemovalTellsPeersOnOtherHosts(t *testing.T) {
	run := func(workers int) string {
		s := New(Options{Seed: 1, Latency: time.Millisecond, Workers: workers})
		s.parFrom = 1
		var log []string
		s.Trace = func(s *Sim, d Delivery) { log = append(log, fmt.Sprintf("%v %s", s.Elapsed(), s.Line(d))) }
		var watchers []*echo
		for i := 0; i < 8; i++ {
			ppid := actors.PID{ID: "peer", Address: fmt.Sprintf("127.0.1.%d:1", i+1)}
			wpid := actors.PID{ID: "watcher", Address: fmt.Sprintf("127.0.2.%d:1", i+1)}
			l := &leaver{}
			pn, err := s.Add(fmt.Sprintf("peer%d", i), ppid, l, nil)
			if err != nil {
				t.Fatal(err)
			}
			l.self = pn
			w := &echo{}
			wn, err := s.Add(fmt.Sprintf("watcher%d", i), wpid, w, nil)
			if err != nil {
				t.Fatal(err)
			}
			watchers = append(watchers, w)
			s.Start(wn, func(time.Time) []effect.Effect {
				return []effect.Effect{
					effect.Link{PID: ppid},
					effect.Send{To: ppid, Msg: mesosutil.NewTaskID("hello")},
					effect.Send{To: ppid, Msg: mesosutil.NewTaskID("bye")},
				}
			})
		}
		if err := s.RunFor(time.Second); err != nil {
			t.Fatal(err)
		}
		if s.shared == 0 {
			t.Fatalf("workers=%d: no window was shared out", workers)
		}
		for i, w := range watchers {
			if len(w.exited) != 1 || w.exited[0].ID != "peer" {
				t.Errorf("workers=%d: watcher%d heard %v exit, want its peer", workers, i, w.exited)
			}
			log = append(log, fmt.Sprint(w.exited))
		}
		if n := len(s.Nodes()); n != len(watchers) {
			t.Errorf("workers=%d: %d nodes left, want the %d watchers", workers, n, len(watchers))
		}
		return strings.Join(log, "\n")
	}
	two := run(2)
	if three := run(3); three != two {
		t.Errorf("workers=2 and 3 ran differently:\n%s\n--\n%s", two, three)
	}
}

// TestTogetherWaitsForEveryHelper hands jobs to helpers that are still
// waiting for one and to helpers that have left: when together returns,
// every helper has done its share and what it wrote is seen.
func TestTogetherWaitsForEveryHelper(t *testing.T) {
	s := New(Options{Seed: 1, Latency: time.Millisecond, Workers: 3})
	var mu sync.Mutex
	for i := 0; i < 300; i++ {
		shares := 0
		s.together(func() {}, func() {
			mu.Lock()
			shares++ // read below without the lock: together must order it
			mu.Unlock()
		}, 2)
		if shares != 2 {
			t.Fatalf("job %d: together returned after %d of 2 shares", i, shares)
		}
		if i%100 == 99 {
			// Let the helpers leave: the next job starts new ones.
			for _, h := range s.helpers {
				for h.state.Load() != helperGone {
				}
			}
		}
	}
}

// TestWindowedMessageIsForTheIncarnationAtTheMerge queues a message at a
// window's merge, then restarts its target before it lands: it is lost,
// as on the serial engine, and one sent after the restart is not.
func TestWindowedMessageIsForTheIncarnationAtTheMerge(t *testing.T) {
	for _, workers := range []int{0, 1, 2} {
		for _, restart := range []bool{false, true} {
			s := New(Options{Seed: 1, Latency: time.Millisecond, Workers: workers})
			var log []string
			s.Trace = func(s *Sim, d Delivery) { log = append(log, s.Line(d)) }
			a, err := s.Add("a", actors.PID{ID: "a", Address: "127.0.0.1:1"}, &echo{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			bpid := actors.PID{ID: "b", Address: "127.0.0.2:1"}
			b, err := s.Add("b", bpid, &echo{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			send := func(v string) {
				s.Start(a, func(time.Time) []effect.Effect {
					return []effect.Effect{effect.Send{To: bpid, Msg: mesosutil.NewTaskID(v)}}
				})
				if err := s.Settle(); err != nil {
					t.Fatal(err)
				}
			}
			send("one")
			if restart {
				s.Crash(b)
				s.Restart(b, &echo{})
			}
			send("two")
			if err := s.RunFor(time.Millisecond); err != nil {
				t.Fatal(err)
			}
			want := "a -> b: TaskID\na -> b: TaskID"
			if restart {
				want = "a -> b: TaskID (dropped: target down)\na -> b: TaskID"
			}
			if got := strings.Join(log[:min(2, len(log))], "\n"); got != want {
				t.Errorf("workers=%d restart=%v: trace starts\n%s\nwant\n%s", workers, restart, got, want)
			}
		}
	}
}

// TestLogBufRoom gives lanes room in one buffer: a lane that outgrows its
// room moves the buffer to its own array, and the next lane goes on there.
func TestLogBufRoom(t *testing.T) {
	var buf []int
	a := room(&buf)
	a = append(a, 1, 2)
	buf = took(buf, a)
	if len(buf) != 2 || cap(buf) < minLog || &buf[0] != &a[0] {
		t.Fatalf("after the first lane: len %d cap %d", len(buf), cap(buf))
	}
	b := room(&buf)
	for i := range cap(buf) {
		b = append(b, i) // outgrows the buffer
	}
	buf = took(buf, b)
	if len(buf) != len(b) || &buf[0] != &b[0] {
		t.Fatalf("after the lane that outgrew it: len %d, want %d, in its array", len(buf), len(b))
	}
	if a[0] != 1 || a[1] != 2 {
		t.Fatalf("the first lane's log changed: %v", a)
	}
	c := room(&buf)
	c = append(c, 7)
	buf = took(buf, c)
	if buf[len(buf)-1] != 7 || len(buf) != len(b)+1 {
		t.Fatalf("the next lane did not go on after it: len %d", len(buf))
	}
}
