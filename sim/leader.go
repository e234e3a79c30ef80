package sim

import (
	"fmt"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/contender"
	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// election is the leader-loss fault's set of master candidates: nodes at
// their own addresses contending in contender's in-memory Group, whose
// calls take effect at once, so the simulator drives it at simulated
// instants. The leader is the master node; standbys are down nodes (a
// standby master does not act) until elected.
type election struct {
	group   *contender.Group
	nodes   []*Node
	members map[*Node]*contender.Member
}

// addCandidates adds standby candidates (two or three in all, by seed)
// next to the first master, and joins every candidate to a new group,
// the first master first: it leads.
func (c *Cluster) addCandidates() error {
	e := &election{group: contender.NewGroup(), nodes: []*Node{c.master}, members: map[*Node]*contender.Member{}}
	for i := 2; i <= 2+int(c.cfg.Seed%2); i++ {
		pid := actors.PID{ID: "master", Address: fmt.Sprintf("127.0.0.1:%d", 5050+i)}
		n, err := c.Sim.Add(fmt.Sprintf("master%d", i), pid, nil, nil)
		if err != nil {
			return err
		}
		c.Sim.Crash(n)
		e.nodes = append(e.nodes, n)
	}
	for _, n := range e.nodes {
		e.join(n)
	}
	m := c.master.Core.(*realMaster)
	m.fence = e.members[c.master].Held
	c.election = e
	return nil
}

// join makes n the newest candidate.
func (e *election) join(n *Node) {
	e.members[n] = e.group.Join(&mesos.MasterInfo{Id: proto.String(n.Name), Pid: proto.String(n.PID.String())})
}

// leader is the node whose candidacy leads, or nil.
func (e *election) leader() *Node {
	ms := e.group.Members()
	if len(ms) == 0 {
		return nil
	}
	for n, m := range e.members {
		if m == ms[0] {
			return n
		}
	}
	return nil
}

// loseLeader expires the leader's session: the old master stops at once
// (its state is dropped), the next candidate leads and a new master core
// there recovers from the shared registry, the deposed candidate joins
// again as a standby, and agents and frameworks are told the new leader
// as a ZooKeeper detector's watch would.
func (c *Cluster) loseLeader() {
	e := c.election
	old := c.master
	if e == nil || !old.Up() || e.leader() != old {
		return
	}
	e.group.ExpireLeader()
	c.Sim.Crash(old)
	c.counts.LeaderChanges++
	next := e.leader()
	if next == nil {
		c.Sim.Fail(fmt.Errorf("leader-loss: no candidate left to lead"))
		return
	}
	c.startMaster(next)
	c.master.Core.(*realMaster).fence = e.members[next].Held
	e.join(old)
	for _, h := range c.hosts {
		if h.node.Up() {
			h.post(0, func(now time.Time) []effect.Effect { return h.core.Detected(now, h.master()) })
		}
	}
	for _, f := range c.fws {
		if d, ok := f.Core.(driverDetect); ok && f.Up() {
			f.Post(0, func(now time.Time) []effect.Effect { return d.Detected(now, c.masterInfo()) })
		}
	}
}

// driverDetect is a scheduler driver's detection input.
type driverDetect interface {
	Detected(now time.Time, info *mesos.MasterInfo) []effect.Effect
}
