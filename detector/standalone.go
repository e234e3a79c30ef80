package detector

import (
	"context"
	"sync"

	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// Standalone is a detector with a fixed leader that tests can re-appoint
// (Mesos' StandaloneMasterDetector). It is safe for concurrent use.
type Standalone struct {
	mu      sync.Mutex
	leader  *mesos.MasterInfo
	changed chan struct{} // closed and replaced on every Appoint
}

// NewStandalone returns a detector whose leader is leader (nil: none yet).
func NewStandalone(leader *mesos.MasterInfo) *Standalone {
	return &Standalone{leader: clone(leader), changed: make(chan struct{})}
}

// Appoint changes the leader (nil: no leader) and wakes pending Detects.
// Appointing the leader already in place wakes nobody.
func (s *Standalone) Appoint(leader *mesos.MasterInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leader = clone(leader)
	close(s.changed)
	s.changed = make(chan struct{})
}

// Leader returns the current leader (nil: none).
func (s *Standalone) Leader() *mesos.MasterInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return clone(s.leader)
}

// Detect returns the leader as soon as it differs from previous.
func (s *Standalone) Detect(ctx context.Context, previous *mesos.MasterInfo) (*mesos.MasterInfo, error) {
	for {
		s.mu.Lock()
		leader, changed := s.leader, s.changed
		s.mu.Unlock()
		if !Same(leader, previous) {
			return clone(leader), nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-changed:
		}
	}
}

func clone(info *mesos.MasterInfo) *mesos.MasterInfo {
	if info == nil {
		return nil
	}
	return proto.Clone(info).(*mesos.MasterInfo)
}
