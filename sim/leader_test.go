package sim

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// A leader's session expiring elects another candidate, at its own
// address, which recovers the registry; the agents and frameworks follow
// it and every task ends for its framework.
func TestLeaderLossElectsAnotherCandidate(t *testing.T) {
	c, err := NewCluster(Config{Seed: 4, Agents: 4, Frameworks: 2, Tasks: 20, TaskTime: 30 * time.Second, Faults: Faults{LeaderLoss: true}})
	if err != nil {
		t.Fatal(err)
	}
	first := c.master
	if n := len(c.election.nodes); n < 2 || n > 3 {
		t.Fatalf("%d master candidates, want 2 or 3", n)
	}
	c.Sim.At(Epoch.Add(10*time.Second), c.loseLeader)
	res := c.Run()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Counts.LeaderChanges < 1 || c.master == first {
		t.Fatalf("no other candidate leads: %d leader changes, master %s", res.Counts.LeaderChanges, c.master.Name)
	}
	if got := c.election.leader(); got != c.master {
		t.Fatalf("the group's leader is %v, the acting master %s", got, c.master.Name)
	}
	if res.Finished != 20 {
		t.Fatalf("%d of 20 tasks ended", res.Finished)
	}
	m := c.master.Core.(*realMaster)
	if !m.core.Recovered() || len(m.registry.GetSlaves().GetSlaves()) == 0 {
		t.Fatalf("the new leader did not recover the registry: %v", m.registry)
	}
}

// A deposed master's registry writes are refused: through the registry's
// fenced store, and by the simulated master whose fence is its candidacy.
func TestDeposedMasterRegistryWritesRefused(t *testing.T) {
	c, err := NewCluster(Config{Seed: 2, Agents: 2, Frameworks: 1, Tasks: 2, Faults: Faults{LeaderLoss: true}})
	if err != nil {
		t.Fatal(err)
	}
	e := c.election
	ctx := context.Background()
	mem := registry.NewMemory()
	w := mem.Fenced(e.members[c.master].Held)
	v, err := w.Store(ctx, []byte("by the leader"), registry.Absent)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Sim.RunUntil(Epoch.Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	old := c.master
	deposed := old.Core.(*realMaster)
	c.loseLeader()
	if c.master == old || e.leader() != c.master {
		t.Fatalf("leader loss elected no other candidate")
	}
	if _, err := w.Store(ctx, []byte("by the deposed"), v); !errors.Is(err, registry.ErrNotLeader) {
		t.Fatalf("deposed write = %v, want ErrNotLeader", err)
	}
	if _, err := mem.Fenced(e.members[c.master].Held).Store(ctx, []byte("by the new leader"), v); err != nil {
		t.Fatalf("the new leader's write: %v", err)
	}
	before := len(deposed.registry.GetSlaves().GetSlaves())
	op := master.AdmitSlave{Info: &mesos.SlaveInfo{Id: &mesos.SlaveID{Value: proto.String("late")}, Hostname: proto.String("late")}}
	deposed.apply(old, master.RegistryApply{Seq: 99, Op: op})
	if deposed.refused != 1 || len(deposed.registry.GetSlaves().GetSlaves()) != before {
		t.Fatalf("the deposed master's write was not refused (refused %d)", deposed.refused)
	}
}

// With two candidates, a second leader loss elects the first candidate
// again: the deposed master rejoined the group as a standby.
func TestDeposedCandidateLeadsAgain(t *testing.T) {
	c, err := NewCluster(Config{Seed: 6, Agents: 3, Frameworks: 2, Tasks: 12, TaskTime: 30 * time.Second, Faults: Faults{LeaderLoss: true}})
	if err != nil {
		t.Fatal(err)
	}
	first := c.master
	if len(c.election.nodes) != 2 {
		t.Fatalf("%d candidates, want 2 for an even seed", len(c.election.nodes))
	}
	c.Sim.At(Epoch.Add(5*time.Second), c.loseLeader)
	c.Sim.At(Epoch.Add(15*time.Second), c.loseLeader)
	res := c.Run()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if res.Counts.LeaderChanges != 2 || c.master != first || c.election.leader() != first {
		t.Fatalf("%d leader changes, master %s: want 2 and %s again", res.Counts.LeaderChanges, c.master.Name, first.Name)
	}
	if res.Finished != 12 {
		t.Fatalf("%d of 12 tasks ended", res.Finished)
	}
}
