package detector

import (
	"context"
	"sync"
	"time"

	"github.com/gomesos/gomesos/detector/zkgroup"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/sirupsen/logrus"
)

// ZooKeeper detects the leading master from a ZooKeeper group (Mesos'
// ZooKeeperMasterDetector): the member znode with the lowest sequence
// leads, its data is the leader's MasterInfo. It connects on the first
// Detect, follows the group through child watches, reports no leader while
// its session is lost, and dials a new session by itself. Close stops it.
type ZooKeeper struct {
	url     zkgroup.URL
	timeout time.Duration
	log     logrus.FieldLogger

	start  sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	leader  *mesos.MasterInfo
	changed chan struct{} // closed and replaced when leader changes
}

// NewZooKeeper returns a detector of the group at u; sessionTimeout 0 is
// zkgroup.DefaultSessionTimeout. It connects on the first Detect.
func NewZooKeeper(u zkgroup.URL, sessionTimeout time.Duration, log logrus.FieldLogger) *ZooKeeper {
	if sessionTimeout <= 0 {
		sessionTimeout = zkgroup.DefaultSessionTimeout
	}
	if log == nil {
		l := logrus.New()
		l.SetLevel(logrus.PanicLevel)
		log = l
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &ZooKeeper{
		url: u, timeout: sessionTimeout, log: log.WithField("zk", u.String()),
		ctx: ctx, cancel: cancel, done: make(chan struct{}), changed: make(chan struct{}),
	}
}

// Detect returns the leader as soon as it differs from previous.
func (z *ZooKeeper) Detect(ctx context.Context, previous *mesos.MasterInfo) (*mesos.MasterInfo, error) {
	z.start.Do(func() { go z.run() })
	for {
		z.mu.Lock()
		leader, changed := z.leader, z.changed
		z.mu.Unlock()
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

// Close stops following the group and ends the session.
func (z *ZooKeeper) Close() {
	z.cancel()
	started := true
	z.start.Do(func() { started = false })
	if started {
		<-z.done
	}
}

func (z *ZooKeeper) publish(info *mesos.MasterInfo) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if Same(z.leader, info) {
		return
	}
	z.leader = info
	close(z.changed)
	z.changed = make(chan struct{})
	if info == nil {
		z.log.Info("no leading master")
	} else {
		z.log.WithFields(logrus.Fields{"master_id": info.GetId(), "master": info.GetPid()}).Info("detected a new leading master")
	}
}

// run dials sessions one after the other and follows the group on each.
func (z *ZooKeeper) run() {
	defer close(z.done)
	backoff := 100 * time.Millisecond
	for z.ctx.Err() == nil {
		dialCtx, cancel := context.WithTimeout(z.ctx, z.timeout)
		s, err := zkgroup.Dial(dialCtx, z.url, zkgroup.SessionOptions{Timeout: z.timeout, Log: z.log})
		cancel()
		if err != nil {
			if z.ctx.Err() == nil {
				z.log.WithError(err).Warn("cannot reach zookeeper; retrying")
			}
			z.publish(nil)
			if !z.wait(backoff) {
				return
			}
			backoff = min(2*backoff, z.timeout)
			continue
		}
		backoff = 100 * time.Millisecond
		z.follow(s)
		s.Close()
		z.publish(nil)
	}
}

// follow reads the group on every change until the session is lost.
func (z *ZooKeeper) follow(s *zkgroup.Session) {
	for {
		v, watch, err := s.Read(z.url.Path)
		if err != nil {
			// The connection dropped; the session may live on.
			z.log.WithError(err).Debug("reading the master group failed")
			select {
			case <-s.Lost():
				return
			case <-z.ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
				continue
			}
		}
		if v.InfoErr != nil {
			z.log.WithError(v.InfoErr).WithField("znode", v.Leader.Name).Warn("cannot read the leading master's info")
		}
		z.publish(v.Info)
		select {
		case <-watch:
		case <-s.Lost():
			return
		case <-z.ctx.Done():
			return
		}
	}
}

func (z *ZooKeeper) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-z.ctx.Done():
		return false
	}
}
