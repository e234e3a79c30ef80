// Package detector finds the leading master for agents, drivers and tools.
//
// A Detector answers one question, "who leads now?", and blocks until the
// answer differs from what the caller already knows, as Mesos'
// MasterDetector::detect(previous) does. New turns what a user typed as
// --master into a detector:
//
//	host:port            the master's HTTP address; GET /master/info is polled
//	http://host:port     the same, with the scheme spelled out
//	master@host:port     a fixed master PID (no polling)
//	file:///path         a file holding one of the forms above
//	zk://[user:pass@]host:port,.../path
//	                     a ZooKeeper group of masters: the member znode with
//	                     the lowest sequence leads (see ZooKeeper)
//
// Standalone is a detector whose leader is set by hand (Mesos'
// StandaloneMasterDetector); tests use it to appoint, re-appoint and remove
// the leader.
//
// The HTTP detector keeps retrying while it finds no master, as Mesos does,
// and says so on its logger: a warning on the first failed poll and then at
// most every WarnInterval while the polls keep failing (naming the URL and
// the error, and saying when the address answers but is not a master), and
// an info line once a master answers after failures. New logs to
// logrus.StandardLogger(); NewWithLogger takes the logger to use.
package detector

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector/zkgroup"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

// Detector reports the leading master.
type Detector interface {
	// Detect blocks until the leader differs from previous (compared by
	// MasterInfo.pid, and by MasterInfo.id when both carry one, so that a
	// master restarted at the same address counts as a new leader) and
	// returns it; nil means there is no leader now. It returns ctx.Err()
	// when ctx ends.
	Detect(ctx context.Context, previous *mesos.MasterInfo) (*mesos.MasterInfo, error)
}

// maxFileDepth bounds file:// indirection (a file naming a file ...).
const maxFileDepth = 4

// New makes a detector from what a user gave as --master:
//   - "host:port": the master's HTTP address; the detector asks
//     GET http://host:port/master/info (MasterInfo as JSON with Mesos' field
//     names) and polls it, so a restarted master is noticed;
//   - "master@host:port": a PID, fixed;
//   - "file:///path": a file holding one of these;
//   - "zk://[user:pass@]host:port,host:port/path": the masters' ZooKeeper
//     group, followed with the default session timeout (10 s); it connects
//     on the first Detect, so that New alone only checks the address.
//
// The HTTP detector reports failed polls on logrus.StandardLogger(); use
// NewWithLogger to choose the logger.
func New(master string) (Detector, error) {
	return newDetector(master, logrus.StandardLogger(), 0)
}

// NewWithLogger is New with the logger the HTTP detector reports on (a
// warning while it finds no master, an info line when it finds one after
// failures). A nil log discards these lines.
func NewWithLogger(master string, log logrus.FieldLogger) (Detector, error) {
	if log == nil {
		discard := logrus.New()
		discard.SetOutput(io.Discard)
		log = discard
	}
	return newDetector(master, log, 0)
}

func newDetector(master string, log logrus.FieldLogger, depth int) (Detector, error) {
	spec := strings.TrimSpace(master)
	switch {
	case spec == "":
		return nil, errors.New("empty master address: expected host:port, master@host:port or file:///path")
	case strings.HasPrefix(spec, "zk://"):
		u, err := zkgroup.ParseURL(spec)
		if err != nil {
			return nil, err
		}
		return NewZooKeeper(u, 0, log), nil
	case strings.HasPrefix(spec, "file://"):
		if depth >= maxFileDepth {
			return nil, fmt.Errorf("master address %q: too many levels of file:// indirection", master)
		}
		path := strings.TrimPrefix(spec, "file://")
		if path == "" {
			return nil, fmt.Errorf("master address %q: empty file path", master)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("master address %q: %w", master, err)
		}
		inner := strings.TrimSpace(string(data))
		if inner == "" {
			return nil, fmt.Errorf("master address %q: file %s is empty", master, path)
		}
		d, err := newDetector(inner, log, depth+1)
		if err != nil {
			return nil, fmt.Errorf("master address from file %s: %w", path, err)
		}
		return d, nil
	case spec == "local":
		return nil, errors.New("master address \"local\" is not supported: start a cluster with mesos-local and pass its host:port")
	case strings.Contains(spec, "@"):
		pid, err := actors.ParsePID(spec)
		if err != nil {
			return nil, fmt.Errorf("master address %q is not a valid PID (expected master@host:port): %v", master, err)
		}
		return NewStandalone(infoFromPID(pid)), nil
	}

	hostport := spec
	if strings.HasPrefix(hostport, "http://") {
		hostport = strings.TrimSuffix(strings.TrimPrefix(hostport, "http://"), "/")
	} else if strings.Contains(hostport, "://") {
		return nil, fmt.Errorf("master address %q: unsupported scheme (expected host:port, http://host:port, master@host:port, file:///path or zk://)", master)
	}
	if i := strings.Index(hostport, "/"); i >= 0 {
		return nil, fmt.Errorf("master address %q: a path (%s) is not supported: give the master's host:port (the detector asks /master/info itself)", master, hostport[i:])
	}
	if err := checkHostPort(hostport); err != nil {
		return nil, fmt.Errorf("master address %q: %v (expected host:port, master@host:port, file:///path or zk://)", master, err)
	}
	return newHTTP(hostport, log), nil
}

func checkHostPort(hostport string) error {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return err
	}
	if host == "" {
		return errors.New("empty host")
	}
	if strings.ContainsAny(host, "/@ \t") {
		return fmt.Errorf("bad host %q", host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n <= 0 || n > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}

// infoFromPID builds the MasterInfo of a master known only by its PID.
func infoFromPID(pid actors.PID) *mesos.MasterInfo {
	info := &mesos.MasterInfo{
		Id:   proto.String(pid.String()),
		Ip:   proto.Uint32(0),
		Port: proto.Uint32(0),
		Pid:  proto.String(pid.String()),
	}
	if host, port, err := net.SplitHostPort(pid.Address); err == nil {
		info.Hostname = proto.String(host)
		if p, err := strconv.Atoi(port); err == nil {
			info.Port = proto.Uint32(uint32(p))
		}
		if ip := net.ParseIP(host).To4(); ip != nil {
			// MasterInfo.ip is the IPv4 address in network byte order,
			// read as a little-endian integer (as Mesos stores it).
			info.Ip = proto.Uint32(uint32(ip[0]) | uint32(ip[1])<<8 | uint32(ip[2])<<16 | uint32(ip[3])<<24)
		}
	}
	return info
}

// LeaderPID parses MasterInfo.pid.
func LeaderPID(info *mesos.MasterInfo) (actors.PID, error) {
	if info == nil {
		return actors.PID{}, errors.New("no leading master")
	}
	if info.GetPid() == "" {
		return actors.PID{}, fmt.Errorf("master %q has no pid in its MasterInfo", info.GetId())
	}
	return actors.ParsePID(info.GetPid())
}

// Same reports whether a and b name the same leader: both nil, or equal
// pids and (when both carry one) equal ids.
func Same(a, b *mesos.MasterInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if a.GetPid() != b.GetPid() {
		return false
	}
	if a.GetId() != "" && b.GetId() != "" && a.GetId() != b.GetId() {
		return false
	}
	return true
}
