package actors

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

// Config configures a node.
type Config struct {
	// Local makes a node without remoting: no listener, no gRPC. It is
	// reachable only in-process, through its own PIDs; its Address is a
	// unique pseudo address "local-<n>", and messages (and links) to any
	// other address are dead letters. Host, Port and the Advertise fields
	// are ignored. Any number of Local nodes may live in one process; use
	// them in tests that need processes on one node only.
	Local bool

	Host          string // address to bind; default 127.0.0.1
	Port          int    // 0: the OS picks
	AdvertiseHost string // address peers dial back; default Host
	AdvertisePort int    // default the bound port
	Clock         Clock  // default RealClock()
	Logger        *logrus.Logger
	Tracer        Tracer // may be nil

	// Test hooks (zero: the defaults below).
	maxRecvMsgSize  int // gRPC receive limit per batch
	writerBatchSize int // messages per gRPC batch
	// mailboxHook, if set, sees every message posted to a process'
	// mailbox (user and system), on the posting goroutine.
	mailboxHook func(to PID, msg any)
}

const (
	// DefaultMaxRecvMsgSize is the gRPC receive limit of a node. It bounds a
	// whole batch of messages, not one message.
	DefaultMaxRecvMsgSize = 64 << 20
	// MaxMessageSize is the largest single message a node sends to another
	// node; bigger ones are logged, counted (Stats.Oversized) and dropped,
	// so that they cannot break the connection.
	MaxMessageSize = 16 << 20
	// EndpointWriterQueueSize is the initial capacity of the send queue to
	// each peer node (protoactor's default of 1e6 slots costs ~15 MB of heap
	// per peer). The queue still grows on demand: there is no backpressure.
	EndpointWriterQueueSize = 4096
	// EndpointWriterBatchSize is the number of messages per gRPC frame.
	EndpointWriterBatchSize = 128

	// WindowSize is the gRPC flow-control window of each connection and
	// stream, fixed. With gRPC's default (a window sized by estimating the
	// bandwidth-delay product) the receiving end pings the sender after
	// every data frame that starts a new estimate, which, one message in
	// flight, is every message: two more frames, writes and reads per
	// message. A message or batch larger than the window still goes
	// through, in parts, as the receiver reads it.
	WindowSize = 4 << 20

	// KeepaliveTime is how long a connection may be idle before either end
	// pings the other (grpc-go raises a client's value below 10 s to 10 s).
	KeepaliveTime = 10 * time.Second
	// KeepaliveTimeout is how long a ping may go unanswered before the
	// connection is closed and every link over it gets Exited. It is long
	// because a peer whose CPU is saturated, or that is stopped for a few
	// seconds, answers late but is not gone: a process that dies closes its
	// sockets and is seen at once; only a silent partition waits this long
	// (plus KeepaliveTime), and Mesos' own pings (agent_ping_timeout) catch
	// those above this layer.
	KeepaliveTimeout = 60 * time.Second
	// KeepaliveMinTime is the shortest ping interval a node's server lets a
	// client use before it closes the connection (at most KeepaliveTime).
	KeepaliveMinTime = 5 * time.Second
	// ConnectTimeout bounds the gRPC handshake with a peer that accepted
	// the TCP connection (a refused connection fails at once).
	ConnectTimeout = 60 * time.Second
)

// ConfigFromEnv fills Host, Port and AdvertiseHost from LIBPROCESS_IP,
// LIBPROCESS_PORT and LIBPROCESS_ADVERTISE_IP, as libprocess reads them
// (and AdvertisePort from LIBPROCESS_ADVERTISE_PORT). Unset variables leave
// the defaults; a malformed port is an error.
func ConfigFromEnv() (Config, error) {
	var cfg Config
	if v := strings.TrimSpace(os.Getenv("LIBPROCESS_IP")); v != "" {
		cfg.Host = v
	}
	if v := strings.TrimSpace(os.Getenv("LIBPROCESS_ADVERTISE_IP")); v != "" {
		cfg.AdvertiseHost = v
	}
	var err error
	if cfg.Port, err = envPort("LIBPROCESS_PORT"); err != nil {
		return Config{}, err
	}
	if cfg.AdvertisePort, err = envPort("LIBPROCESS_ADVERTISE_PORT"); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func envPort(name string) (int, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return 0, nil
	}
	p, err := strconv.Atoi(v)
	if err != nil || p < 0 || p > 65535 {
		return 0, fmt.Errorf("actors: %s=%q is not a port number", name, v)
	}
	return p, nil
}
