package allocator

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/metrics"
)

type grant struct {
	framework string
	offers    Offers
}

func startProcess(t *testing.T) (*Process, *actors.ManualClock, chan grant) {
	t.Helper()
	clock := actors.NewManualClock(t0)
	log := logrus.New()
	log.SetOutput(io.Discard)
	node, err := actors.NewNode(actors.Config{Local: true, Clock: clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	p := NewProcess(node, "allocator")
	if _, err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(); node.Shutdown() })
	grants := make(chan grant, 100)
	p.Initialize(Options{AllocationInterval: time.Second}, func(fid string, o Offers) { grants <- grant{fid, o} })
	return p, clock, grants
}

func recv(t *testing.T, ch chan grant) grant {
	t.Helper()
	select {
	case g := <-ch:
		return g
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for an allocation")
		return grant{}
	}
}

// flush waits until the actor has handled everything queued so far.
func flush(t *testing.T, p *Process) {
	t.Helper()
	for i := 0; i < 3; i++ {
		if err := p.Inspect(func(*Core) {}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestProcessEventsAndPeriodicRuns(t *testing.T) {
	p, clock, grants := startProcess(t)
	p.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
	for i := 1; i <= 3; i++ {
		p.AddSlave(fmt.Sprintf("a%d", i), &mesos.SlaveInfo{Hostname: proto.String("h")}, nil, res("cpus:1;mem:512"), nil)
	}
	got := map[string]bool{}
	for len(got) < 3 {
		g := recv(t, grants)
		for aid := range g.offers["*"] {
			got[aid] = true
		}
	}
	// Recovering does not trigger a run; the next tick does.
	p.RecoverResources("f1", "a1", res("cpus:1;mem:512").Allocate("*"), nil)
	flush(t, p)
	select {
	case g := <-grants:
		t.Fatalf("recovery triggered a run: %v", g)
	default:
	}
	clock.Advance(time.Second)
	if g := recv(t, grants); g.framework != "f1" || g.offers["*"]["a1"] == nil {
		t.Fatalf("tick offered %v", g)
	}

	// Paused: nothing, even on ticks; resumed: a run.
	p.Pause()
	p.RecoverResources("f1", "a2", res("cpus:1;mem:512").Allocate("*"), nil)
	flush(t, p)
	clock.Advance(time.Second)
	flush(t, p)
	select {
	case g := <-grants:
		t.Fatalf("paused allocator offered %v", g)
	default:
	}
	// Resuming does not run an allocation by itself (as in Mesos); the
	// next tick does.
	p.Resume()
	flush(t, p)
	select {
	case g := <-grants:
		t.Fatalf("resume triggered a run: %v", g)
	default:
	}
	clock.Advance(time.Second)
	if g := recv(t, grants); g.offers["*"]["a2"] == nil {
		t.Fatalf("tick after resume offered %v", g)
	}
}

// The allocator publishes its metrics in the registry it is given and
// withdraws them when stopped, so that a successor can register again.
func TestProcessMetrics(t *testing.T) {
	clock := actors.NewManualClock(t0)
	log := logrus.New()
	log.SetOutput(io.Discard)
	node, err := actors.NewNode(actors.Config{Local: true, Clock: clock, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Shutdown)
	reg := metrics.NewRegistry()
	for i := 0; i < 2; i++ {
		p := NewProcess(node, fmt.Sprintf("allocator-%d", i))
		if _, err := p.Start(); err != nil {
			t.Fatal(err)
		}
		grants := make(chan grant, 10)
		p.Initialize(Options{AllocationInterval: time.Second, Metrics: reg}, func(fid string, o Offers) { grants <- grant{fid, o} })
		p.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
		p.AddSlave("a1", &mesos.SlaveInfo{Hostname: proto.String("h")}, nil, res("cpus:2;mem:1024;disk:10"), nil)
		recv(t, grants)
		flush(t, p)
		snap, err := reg.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range map[string]float64{
			"allocator/mesos/resources/cpus/total":                2,
			"allocator/mesos/resources/cpus/offered_or_allocated": 2,
			"allocator/mesos/roles/web/shares/dominant":           1,
			"allocator/mesos/offer_filters/roles/web/active":      0,
		} {
			if snap[k] != want {
				t.Errorf("run %d: %s = %v, want %v", i, k, snap[k], want)
			}
		}
		if snap["allocator/mesos/allocation_runs"] < 1 {
			t.Errorf("run %d: allocation_runs %v", i, snap["allocator/mesos/allocation_runs"])
		}
		p.Stop()
		if snap, _ := reg.Snapshot(); len(snap) != 0 {
			t.Fatalf("metrics left after Stop: %v", metrics.Keys(snap))
		}
	}
}
