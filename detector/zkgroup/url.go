// Package zkgroup is the ZooKeeper side of master election as Mesos lays it
// out: the zk:// URL, the group of EPHEMERAL_SEQUENTIAL member znodes whose
// lowest sequence leads (json.info_ with MasterInfo as JSON, older info_
// with protobuf), and a session over github.com/go-zookeeper/zk that says
// when it is lost, including the loss the client library only reports late.
// The detector, the master contender and the registry store share it.
package zkgroup

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// DefaultSessionTimeout is Mesos' --zk_session_timeout.
const DefaultSessionTimeout = 10 * time.Second

// URL is a parsed zk://[user:pass@]host:port,host:port/path.
type URL struct {
	Servers  []string // host:port each
	Path     string   // the group znode, absolute, no trailing slash
	User     string   // digest credentials; empty: none
	Password string
}

// ParseURL parses zk://[user:pass@]host:port[,host:port...]/path.
func ParseURL(s string) (URL, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, "zk://")
	if !ok {
		return URL{}, fmt.Errorf("zookeeper url %q: expected zk://[user:pass@]host:port[,host:port...]/path", s)
	}
	var u URL
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		return URL{}, fmt.Errorf("zookeeper url %q: missing the znode path (e.g. zk://127.0.0.1:2181/mesos)", s)
	}
	authority, p := rest[:slash], rest[slash:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		cred := authority[:at]
		authority = authority[at+1:]
		user, pass, ok := strings.Cut(cred, ":")
		if !ok || user == "" {
			return URL{}, fmt.Errorf("zookeeper url %q: credentials must be user:password", redact(s))
		}
		var err error
		if u.User, err = url.PathUnescape(user); err != nil {
			return URL{}, fmt.Errorf("zookeeper url %q: bad user: %v", redact(s), err)
		}
		if u.Password, err = url.PathUnescape(pass); err != nil {
			return URL{}, fmt.Errorf("zookeeper url %q: bad password: %v", redact(s), err)
		}
	}
	if authority == "" {
		return URL{}, fmt.Errorf("zookeeper url %q: no servers", redact(s))
	}
	for _, hp := range strings.Split(authority, ",") {
		host, port, err := net.SplitHostPort(hp)
		if err != nil {
			return URL{}, fmt.Errorf("zookeeper url %q: server %q: %v", redact(s), hp, err)
		}
		if host == "" {
			return URL{}, fmt.Errorf("zookeeper url %q: server %q has no host", redact(s), hp)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return URL{}, fmt.Errorf("zookeeper url %q: server %q has a bad port", redact(s), hp)
		}
		u.Servers = append(u.Servers, hp)
	}
	clean := path.Clean(p)
	if clean == "/" {
		return URL{}, fmt.Errorf("zookeeper url %q: the znode path must not be the root", redact(s))
	}
	if clean != strings.TrimSuffix(p, "/") || strings.ContainsAny(clean, "\x00 ") {
		return URL{}, fmt.Errorf("zookeeper url %q: bad znode path %q", redact(s), p)
	}
	u.Path = clean
	return u, nil
}

// String is the URL with its password hidden.
func (u URL) String() string {
	cred := ""
	if u.User != "" {
		cred = u.User + ":***@"
	}
	return "zk://" + cred + strings.Join(u.Servers, ",") + u.Path
}

// redact hides a password in a URL the user typed.
func redact(s string) string {
	rest, ok := strings.CutPrefix(s, "zk://")
	if !ok {
		return s
	}
	slash := strings.IndexByte(rest, '/')
	if slash < 0 {
		slash = len(rest)
	}
	at := strings.LastIndexByte(rest[:slash], '@')
	if at < 0 {
		return s
	}
	user, _, _ := strings.Cut(rest[:at], ":")
	return "zk://" + user + ":***@" + rest[at+1:]
}
