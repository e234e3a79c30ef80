package zkgroup

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/sirupsen/logrus"
)

// Why a session is lost.
var (
	ErrExpired      = errors.New("zookeeper session expired")
	ErrReplaced     = errors.New("zookeeper session expired and was replaced by a new one")
	ErrDisconnected = errors.New("disconnected from zookeeper for too long")
	ErrClosed       = errors.New("zookeeper session closed")
)

// SessionOptions tune Dial.
type SessionOptions struct {
	// Timeout is the session timeout asked of the server
	// (--zk_session_timeout); default DefaultSessionTimeout.
	Timeout time.Duration
	// LostAfter is the fraction of the negotiated timeout after which a
	// disconnected session counts as lost (default 1, as Mesos). The client
	// notices a silent server only after 2/3 of the timeout, so a leader
	// must use about 1/3 to step down before the server expires it and
	// another master leads.
	LostAfter float64
	// Log receives the client library's lines at debug level and ours.
	Log logrus.FieldLogger
}

// Session is one ZooKeeper session over a go-zk connection. It is lost, for
// good, when the server expires it, when the client replaced it by a new
// one, or when it stayed disconnected past LostAfter; a user then closes it
// and dials again. Membership znodes die with it.
type Session struct {
	conn *zk.Conn
	log  logrus.FieldLogger
	opts SessionOptions

	mu         sync.Mutex
	id         int64
	negotiated time.Duration
	dialed     chan struct{} // closed once conn is set
	ready      chan struct{} // closed at the first live session
	lost       chan struct{} // closed once when lost or closed
	err        error
	timer      *time.Timer
}

// Dial connects to the servers of u and waits, within ctx, for a session.
func Dial(ctx context.Context, u URL, opts SessionOptions) (*Session, error) {
	if len(u.Servers) == 0 {
		return nil, errors.New("zookeeper: no servers to dial")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultSessionTimeout
	}
	if opts.LostAfter <= 0 {
		opts.LostAfter = 1
	}
	if opts.Log == nil {
		l := logrus.New()
		l.SetLevel(logrus.PanicLevel)
		opts.Log = l
	}
	s := &Session{
		log:        opts.Log.WithField("zk", u.String()),
		opts:       opts,
		negotiated: opts.Timeout,
		dialed:     make(chan struct{}),
		ready:      make(chan struct{}),
		lost:       make(chan struct{}),
	}
	conn, _, err := zk.Connect(u.Servers, opts.Timeout,
		zk.WithLogger(zkLogger{s}),
		zk.WithEventCallback(s.event),
		zk.WithMaxBufferSize(4<<20))
	if err != nil {
		return nil, fmt.Errorf("zookeeper %s: %w", u, err)
	}
	s.conn = conn
	close(s.dialed)
	select {
	case <-s.ready:
	case <-s.lost:
		s.Close()
		return nil, fmt.Errorf("zookeeper %s: %w", u, s.Err())
	case <-ctx.Done():
		s.Close()
		return nil, fmt.Errorf("zookeeper %s: no session: %w", u, ctx.Err())
	}
	if u.User != "" {
		if err := s.conn.AddAuth("digest", []byte(u.User+":"+u.Password)); err != nil {
			s.Close()
			return nil, fmt.Errorf("zookeeper %s: authentication: %w", u, err)
		}
	}
	return s, nil
}

// Conn is the connection, for reads and writes on this session.
func (s *Session) Conn() *zk.Conn { return s.conn }

// Lost is closed when the session is lost or closed.
func (s *Session) Lost() <-chan struct{} { return s.lost }

// Err says why the session was lost (nil while it lives).
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// ID is the session id (0 before the first session).
func (s *Session) ID() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// Timeout is the session timeout the server granted (the asked one until
// it answered).
func (s *Session) Timeout() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.negotiated
}

// Close ends the session: the server deletes its ephemeral znodes at once
// if it can still be reached, otherwise when the session expires. Close
// may block for about a second when disconnected.
func (s *Session) Close() {
	s.markLost(ErrClosed)
	if s.conn != nil {
		s.conn.Close()
	}
}

// event runs on go-zk's goroutine and must not block.
func (s *Session) event(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	switch ev.State {
	case zk.StateHasSession:
		<-s.dialed // s.conn is set
		id := s.conn.SessionID()
		s.mu.Lock()
		if s.timer != nil {
			s.timer.Stop()
			s.timer = nil
		}
		first := s.id == 0
		if first {
			s.id = id
		}
		replaced := !first && id != s.id
		s.mu.Unlock()
		if first {
			close(s.ready)
		} else if replaced {
			s.markLost(ErrReplaced)
		}
	case zk.StateExpired:
		s.markLost(ErrExpired)
	case zk.StateDisconnected:
		s.mu.Lock()
		if s.id != 0 && s.timer == nil && s.err == nil {
			after := time.Duration(float64(s.negotiated) * s.opts.LostAfter)
			s.log.WithField("lost_after", after).Debug("disconnected from zookeeper")
			s.timer = time.AfterFunc(after, func() { s.markLost(ErrDisconnected) })
		}
		s.mu.Unlock()
	case zk.StateAuthFailed:
		s.markLost(errors.New("zookeeper authentication failed"))
	}
}

func (s *Session) markLost(err error) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	s.err = err
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	id := s.id
	s.mu.Unlock()
	if err != ErrClosed {
		s.log.WithFields(logrus.Fields{"session": fmt.Sprintf("%x", id), "reason": err}).Warn("zookeeper session lost")
	}
	close(s.lost)
}

// zkLogger demotes go-zk's lines to debug and learns the granted timeout.
type zkLogger struct{ s *Session }

func (l zkLogger) Printf(format string, args ...interface{}) {
	if format == "authenticated: id=%d, timeout=%d" && len(args) == 2 {
		if ms, ok := args[1].(int32); ok && ms > 0 {
			l.s.mu.Lock()
			l.s.negotiated = time.Duration(ms) * time.Millisecond
			l.s.mu.Unlock()
		}
	}
	l.s.log.Debugf("go-zk: "+format, args...)
}
