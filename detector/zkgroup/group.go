package zkgroup

import (
	"errors"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/gomesos/gomesos/messages/mesos"
)

// ACL is what masters give the znodes they create: everything to all, or
// with credentials everything to the creator and reading to all.
func ACL(u URL) []zk.ACL {
	if u.User == "" {
		return zk.WorldACL(zk.PermAll)
	}
	return append(zk.AuthACL(zk.PermAll), zk.WorldACL(zk.PermRead)...)
}

// EnsurePath creates path and its parents where missing.
func EnsurePath(c *zk.Conn, path string, acl []zk.ACL) error {
	at := ""
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		at += "/" + part
		if ok, _, err := c.Exists(at); err != nil {
			return err
		} else if ok {
			continue
		}
		if _, err := c.Create(at, nil, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
	}
	return nil
}

// View is one reading of the group: its master znodes, lowest first, and
// the leader's MasterInfo (nil: no leader).
type View struct {
	Members []Member
	Leader  *Member
	Info    *mesos.MasterInfo
	// InfoErr is set when the leader's data could not be decoded; Info is
	// then nil.
	InfoErr error
}

// Read reads the group at path and sets a watch that fires on its next
// change (a child added or removed, or the group znode created). It
// handles the group znode not existing yet.
func Read(c *zk.Conn, path string) (View, <-chan zk.Event, error) {
	for {
		children, _, ch, err := c.ChildrenW(path)
		if errors.Is(err, zk.ErrNoNode) {
			exists, _, ech, err := c.ExistsW(path)
			if err != nil {
				return View{}, nil, err
			}
			if exists {
				continue // created between the two calls: read its children
			}
			return View{}, ech, nil
		}
		if err != nil {
			return View{}, nil, err
		}
		v := View{Members: Members(children)}
		for i := range v.Members {
			m := v.Members[i]
			data, _, err := c.Get(path + "/" + m.Name)
			if errors.Is(err, zk.ErrNoNode) {
				continue // gone meanwhile; the children watch fires for it
			}
			if err != nil {
				return View{}, nil, err
			}
			v.Leader = &m
			v.Info, v.InfoErr = DecodeMasterInfo(m.Label, data)
			break
		}
		return v, ch, nil
	}
}

// Read is Read on the session's connection, except that it returns the
// session's loss at once: a go-zk call queued while the client is
// reconnecting can wait ten times the read timeout.
func (s *Session) Read(path string) (View, <-chan zk.Event, error) {
	type result struct {
		v     View
		watch <-chan zk.Event
		err   error
	}
	done := make(chan result, 1)
	go func() {
		v, w, err := Read(s.Conn(), path)
		done <- result{v, w, err}
	}()
	select {
	case r := <-done:
		return r.v, r.watch, r.err
	case <-s.Lost():
		return View{}, nil, s.Err()
	}
}
