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
	node, err := actors.NewNode(actors.Config{Host: "127.0.0.1", Clock: clock, Logger: log})
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
	p.Resume()
	if g := recv(t, grants); g.offers["*"]["a2"] == nil {
		t.Fatalf("resume offered %v", g)
	}
}

func BenchmarkAllocate(b *testing.B) {
	for _, size := range []struct{ agents, frameworks int }{{1000, 50}, {5000, 200}} {
		b.Run(fmt.Sprintf("%dagents_%dframeworks", size.agents, size.frameworks), func(b *testing.B) {
			c := NewCore(Options{AllocationInterval: time.Second, MinAllocatable: []Quantities{{"cpus": 0.01}, {"mem": 32}}})
			for i := 0; i < size.frameworks; i++ {
				c.AddFramework(fmt.Sprintf("f%04d", i), fw("*"), nil, true, FrameworkOptions{})
			}
			agent := res("cpus:8;mem:16384;disk:100000;ports:[31000-32000]")
			for i := 0; i < size.agents; i++ {
				c.AddSlave(fmt.Sprintf("a%05d", i), &mesos.SlaveInfo{Hostname: proto.String("h")}, nil, agent, nil)
			}
			now := t0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out := c.Allocate(now, nil)
				b.StopTimer()
				for fid, byRole := range out {
					for aid, r := range byRole["*"] {
						c.RecoverResources(now, fid, aid, r, nil)
					}
				}
				b.StartTimer()
			}
		})
	}
}
