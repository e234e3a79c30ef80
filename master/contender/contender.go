// Package contender enters a master into the election of the leading master
// (Mesos' MasterContender): Standalone always wins, Group is an in-memory
// election for tests and the simulator, ZooKeeper contends in a ZooKeeper
// group that detectors of zk:// addresses follow.
//
// A master contends, waits for Elected, and acts as leader until Lost; a
// leader that loses its candidacy must stop acting as leader at once (drop
// its state, never write the registry again) and may contend again as a
// standby. Registry writes are fenced by the candidacy (see master/registry).
package contender

import (
	"context"
	"errors"
	"sync"

	"github.com/gomesos/gomesos/messages/mesos"
)

// Contender enters masters into an election.
type Contender interface {
	// Contend makes info a candidate and returns once the candidacy exists
	// (for ZooKeeper: its znode is created). Each call is a new candidacy.
	Contend(ctx context.Context, info *mesos.MasterInfo) (Candidacy, error)
}

// Candidacy is one master's place in an election.
type Candidacy interface {
	// Elected is closed when this candidacy leads.
	Elected() <-chan struct{}
	// Lost is closed when the candidacy is gone for good: its session was
	// lost (or disconnected too long), its membership removed, or it was
	// withdrawn. It never comes back; contend again.
	Lost() <-chan struct{}
	// Err says why it was lost (nil while it holds).
	Err() error
	// Held reports whether the candidacy still holds (a registry fence).
	Held() bool
	// Withdraw leaves the election; Lost is closed.
	Withdraw()
}

// ErrWithdrawn is the Err of a withdrawn candidacy.
var ErrWithdrawn = errors.New("candidacy withdrawn")

// Standalone is the contender of a master without ZooKeeper: every
// candidacy is elected at once and held until withdrawn.
type Standalone struct{}

// Contend returns an elected candidacy.
func (Standalone) Contend(ctx context.Context, info *mesos.MasterInfo) (Candidacy, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := newState()
	c.elect()
	return c, nil
}

// state is the common bookkeeping of a candidacy.
type state struct {
	mu      sync.Mutex
	elected chan struct{}
	lost    chan struct{}
	isElect bool
	err     error
}

func newState() *state {
	return &state{elected: make(chan struct{}), lost: make(chan struct{})}
}

func (s *state) Elected() <-chan struct{} { return s.elected }
func (s *state) Lost() <-chan struct{}    { return s.lost }

func (s *state) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Held reports whether the candidacy still holds (not lost).
func (s *state) Held() bool { return s.Err() == nil }

// Withdraw loses the candidacy with ErrWithdrawn.
func (s *state) Withdraw() { s.lose(ErrWithdrawn) }

func (s *state) elect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isElect || s.err != nil {
		return
	}
	s.isElect = true
	close(s.elected)
}

// lose records the first reason; it reports whether this call lost it.
func (s *state) lose(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return false
	}
	s.err = err
	close(s.lost)
	return true
}
