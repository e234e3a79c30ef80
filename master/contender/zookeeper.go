package contender

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/gomesos/gomesos/detector/zkgroup"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/sirupsen/logrus"
)

// ErrMembershipGone is the Err of a ZooKeeper candidacy whose znode was
// deleted while its session lived.
var ErrMembershipGone = errors.New("the candidacy's znode was deleted")

// StepDownFraction is the part of the granted session timeout after which a
// disconnected candidate counts its candidacy as lost. go-zk notices a
// silent server only after 2/3 of the timeout, and the server expires the
// session, letting another master lead, after the whole of it (rounded up
// to its tick): stepping down at 2/3 + 1/6 leaves a margin of 1/6 (Mesos'
// rule, a whole timeout after the disconnection, left two leaders for
// seconds). A short loss of one ensemble member, about a second, is within
// 1/6 of the default 10 s.
const StepDownFraction = 1.0 / 6

// ZooKeeper contends in the ZooKeeper group of a zk:// URL (Mesos'
// ZooKeeperMasterContender). Each candidacy has its own session and an
// EPHEMERAL_SEQUENTIAL json.info_ znode holding the MasterInfo as JSON.
type ZooKeeper struct {
	URL            zkgroup.URL
	SessionTimeout time.Duration // default zkgroup.DefaultSessionTimeout
	Log            logrus.FieldLogger
}

// NewZooKeeper parses a zk:// URL into a contender.
func NewZooKeeper(zkURL string, sessionTimeout time.Duration, log logrus.FieldLogger) (*ZooKeeper, error) {
	u, err := zkgroup.ParseURL(zkURL)
	if err != nil {
		return nil, err
	}
	return &ZooKeeper{URL: u, SessionTimeout: sessionTimeout, Log: log}, nil
}

// ZKCandidacy is a candidacy in a ZooKeeper group.
type ZKCandidacy struct {
	*state
	session *zkgroup.Session
	znode   string
	group   string
	acl     []zk.ACL
	log     logrus.FieldLogger
	stop    chan struct{}
	stopper sync.Once
	done    chan struct{}
}

// Contend connects a new session, creates the candidacy's znode and
// follows the group until the candidacy is lost.
func (z *ZooKeeper) Contend(ctx context.Context, info *mesos.MasterInfo) (Candidacy, error) {
	return z.ContendZK(ctx, info)
}

// ContendZK is Contend returning the concrete candidacy (for its Conn and
// Znode, which fence registry writes).
func (z *ZooKeeper) ContendZK(ctx context.Context, info *mesos.MasterInfo) (*ZKCandidacy, error) {
	data, err := zkgroup.EncodeMasterInfo(info)
	if err != nil {
		return nil, err
	}
	log := z.Log
	if log == nil {
		l := logrus.New()
		l.SetLevel(logrus.PanicLevel)
		log = l
	}
	s, err := zkgroup.Dial(ctx, z.URL, zkgroup.SessionOptions{Timeout: z.SessionTimeout, LostAfter: StepDownFraction, Log: log})
	if err != nil {
		return nil, err
	}
	acl := zkgroup.ACL(z.URL)
	created := make(chan error, 1)
	var znode string
	go func() {
		// go-zk calls take no context: run them aside and give up on ctx.
		if err := zkgroup.EnsurePath(s.Conn(), z.URL.Path, acl); err != nil {
			created <- err
			return
		}
		p, err := s.Conn().Create(z.URL.Path+"/"+zkgroup.JSONLabel+"_", data, zk.FlagEphemeral|zk.FlagSequence, acl)
		znode = p
		created <- err
	}()
	select {
	case err = <-created:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		s.Close() // the session takes any znode it made with it
		return nil, fmt.Errorf("contending in %s: %w", z.URL, err)
	}
	c := &ZKCandidacy{
		state: newState(), session: s, znode: znode, group: z.URL.Path, acl: acl,
		log:  log.WithFields(logrus.Fields{"zk": z.URL.String(), "znode": path.Base(znode)}),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	c.log.Info("contending for leadership")
	go c.follow(z.URL.Path)
	return c, nil
}

// Conn is the candidacy's ZooKeeper connection.
func (c *ZKCandidacy) Conn() *zk.Conn { return c.session.Conn() }

// Znode is the full path of the candidacy's znode; a registry write is
// fenced by its existence.
func (c *ZKCandidacy) Znode() string { return c.znode }

// Registry is the registry store of the group (znode <path>/registry) for
// this candidacy: on its connection, fenced by its znode, and refused
// locally once the candidacy is lost.
func (c *ZKCandidacy) Registry() *registry.ZooKeeper {
	s := registry.NewZooKeeper(c.Conn(), registry.Path(c.group), c.znode, c.acl)
	s.Held = c.Held
	return s
}

// Withdraw deletes the znode (by closing the session) and waits for the
// candidacy to end.
func (c *ZKCandidacy) Withdraw() {
	c.lose(ErrWithdrawn)
	c.stopper.Do(func() { close(c.stop) })
	<-c.done
}

// follow watches the group: elected when our znode is the lowest, lost when
// it is gone or the session is.
func (c *ZKCandidacy) follow(group string) {
	defer close(c.done)
	defer c.session.Close()
	name := path.Base(c.znode)
	for {
		v, watch, err := c.session.Read(group)
		if err == nil {
			mine := false
			for _, m := range v.Members {
				mine = mine || m.Name == name
			}
			switch {
			case !mine:
				c.loseLogged(ErrMembershipGone)
				return
			case v.Leader != nil && v.Leader.Name == name:
				if c.Err() == nil && !c.isElected() {
					c.log.Info("elected the leading master")
				}
				c.elect()
			}
		}
		var retry <-chan time.Time
		if err != nil {
			retry = time.After(100 * time.Millisecond) // connection dropped; the session may live on
		}
		select {
		case <-watch:
		case <-retry:
		case <-c.session.Lost():
			c.loseLogged(c.session.Err())
			return
		case <-c.stop:
			return
		}
	}
}

func (c *ZKCandidacy) isElected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.isElect
}

func (c *ZKCandidacy) loseLogged(err error) {
	if c.lose(err) {
		c.log.WithError(err).Warn("lost the candidacy")
	}
}
