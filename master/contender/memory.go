package contender

import (
	"context"
	"errors"
	"sync"

	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// ErrExpired is the Err of an in-memory candidacy whose session was
// expired by the test.
var ErrExpired = errors.New("session expired")

// Group is an in-memory election with ZooKeeper's rules: each candidacy
// takes the next sequence number and the lowest held one leads. Every
// change happens inside the call that makes it (no goroutines, no clock),
// so tests and the simulator see its effects at once. It is safe for
// concurrent use.
type Group struct {
	mu      sync.Mutex
	seq     int64
	members []*Member // in sequence order
	changed chan struct{}
}

// Member is one candidacy in a Group.
type Member struct {
	*state
	group *Group
	Seq   int64
	Info  *mesos.MasterInfo
}

// NewGroup returns an empty election.
func NewGroup() *Group { return &Group{changed: make(chan struct{})} }

// Contend adds info as the newest candidate.
func (g *Group) Contend(ctx context.Context, info *mesos.MasterInfo) (Candidacy, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return g.Join(info), nil
}

// Join is Contend without a context, returning the concrete member.
func (g *Group) Join(info *mesos.MasterInfo) *Member {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := &Member{state: newState(), group: g, Seq: g.seq, Info: proto.Clone(info).(*mesos.MasterInfo)}
	g.seq++
	g.members = append(g.members, m)
	g.settle()
	return m
}

// Withdraw leaves the group.
func (m *Member) Withdraw() { m.group.remove(m, ErrWithdrawn) }

// Expire removes m as if its ZooKeeper session expired.
func (m *Member) Expire() { m.group.remove(m, ErrExpired) }

// Fence is a registry fence: whether m still holds its candidacy.
func (m *Member) Fence() func() bool { return m.Held }

// ExpireLeader expires the leader's session; it reports whether there was
// a leader.
func (g *Group) ExpireLeader() bool {
	g.mu.Lock()
	var leader *Member
	if len(g.members) > 0 {
		leader = g.members[0]
	}
	g.mu.Unlock()
	if leader == nil {
		return false
	}
	leader.Expire()
	return true
}

// Leader is the leading member's MasterInfo (nil: none).
func (g *Group) Leader() *mesos.MasterInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.members) == 0 {
		return nil
	}
	return proto.Clone(g.members[0].Info).(*mesos.MasterInfo)
}

// Members are the held candidacies, leader first.
func (g *Group) Members() []*Member {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*Member(nil), g.members...)
}

// Detect implements detector.Detector on the group.
func (g *Group) Detect(ctx context.Context, previous *mesos.MasterInfo) (*mesos.MasterInfo, error) {
	for {
		g.mu.Lock()
		changed := g.changed
		g.mu.Unlock()
		if leader := g.Leader(); !detector.Same(leader, previous) {
			return leader, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		}
	}
}

var _ detector.Detector = (*Group)(nil)

func (g *Group) remove(m *Member, why error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !m.lose(why) {
		return
	}
	for i, x := range g.members {
		if x == m {
			g.members = append(g.members[:i], g.members[i+1:]...)
			break
		}
	}
	g.settle()
}

// settle elects the lowest member and wakes detectors; g.mu is held.
func (g *Group) settle() {
	if len(g.members) > 0 {
		g.members[0].elect()
	}
	close(g.changed)
	g.changed = make(chan struct{})
}
