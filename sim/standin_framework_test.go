package sim

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
)

// A partition between the master and a stand-in framework late in a run
// (its tasks all launched) left the framework disconnected for good: the
// master forwards no updates to a disconnected framework, so an update an
// agent had acknowledged to its executor was retried until the run gave
// up ("acknowledged update lost"). Seed 2 on the windowed engine and seed
// 135 on the serial one each had such a partition.
func TestWindowedOrSerialStandInFrameworkGetsUpdatesAfterAPartition(t *testing.T) {
	faults, err := ParseFaults("drop,dup,reorder,delay,partition,crash,agent-restart")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		seed    uint64
		workers int
	}{{2, 1}, {2, 2}, {135, 0}} {
		c, err := NewCluster(Config{Seed: tc.seed, Agents: 6, Frameworks: 3, Tasks: 400, Faults: faults, Workers: tc.workers, StandInFrameworks: true})
		if err != nil {
			t.Fatal(err)
		}
		if res := c.Run(); res.Err != nil {
			t.Errorf("seed %d, workers=%d: %v", tc.seed, tc.workers, res.Err)
		}
	}
}

func TestStandInFrameworkRegistersAgainWhenItsLinkToTheMasterBreaks(t *testing.T) {
	master := actors.PID{ID: "master", Address: "127.0.0.1:5050"}
	other := actors.PID{ID: "slave(1)", Address: "127.0.0.2:5051"}
	st := &fwState{name: "sched1", tasks: map[string]*fwTask{}}
	f := newStandInFramework(actors.PID{ID: "scheduler(1)", Address: "127.1.0.2:9000"}, master, st, resources.Resources{})
	now := time.Unix(0, 0)
	f.start(now)
	f.Receive(now, master, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: &mesos.FrameworkID{Value: proto.String("m1-0000")}})

	if got := f.Exited(now, other); len(got) != 0 {
		t.Fatalf("another peer's exit: got effects %v, want none", got)
	}
	var again *mesosinternal.ReregisterFrameworkMessage
	for _, e := range f.Exited(now, master) {
		if s, ok := e.(effect.Send); ok && s.To == master {
			again, _ = s.Msg.(*mesosinternal.ReregisterFrameworkMessage)
		}
	}
	if again == nil || again.GetFramework().GetId().GetValue() != "m1-0000" {
		t.Fatalf("after the master's link broke: got %v, want a reregistration as m1-0000", again)
	}
	// Until the master answers, it keeps asking.
	var retried bool
	for _, e := range f.Timer(now.Add(2*time.Second), "register") {
		if s, ok := e.(effect.Send); ok {
			_, retried = s.Msg.(*mesosinternal.ReregisterFrameworkMessage)
		}
	}
	if !retried {
		t.Fatal("no reregistration retried on the register timer")
	}
}
