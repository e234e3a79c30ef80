package detector

import (
	"context"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/gomesos/gomesos/detector/zkgroup"
	"github.com/gomesos/gomesos/internal/zktest"
	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// zkConn is a raw client session for writing group znodes by hand.
func zkConn(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	return zkConnTimeout(t, addr, 2*time.Second)
}

func zkConnTimeout(t *testing.T, addr string, timeout time.Duration) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect([]string{addr}, timeout, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// detectNext waits for the leader to differ from previous.
func detectNext(t *testing.T, d Detector, previous *mesos.MasterInfo) *mesos.MasterInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := d.Detect(ctx, previous)
	if err != nil {
		t.Fatalf("Detect(%v): %v", previous.GetId(), err)
	}
	return got
}

func TestZooKeeperDetectorFollowsTheLowestMember(t *testing.T) {
	srv := zktest.Start(t)
	d, err := New("zk://" + srv.Addr + "/mesos/dc1")
	if err != nil {
		t.Fatal(err)
	}
	defer d.(*ZooKeeper).Close()

	// Started before any master: nothing to report yet.
	found := make(chan *mesos.MasterInfo, 1)
	go func() {
		got, _ := d.Detect(context.Background(), nil)
		found <- got
	}()

	a, b := info("a", "master@127.0.0.1:5001"), info("b", "master@127.0.0.1:5002")
	ca, cb := zkConn(t, srv.Addr), zkConn(t, srv.Addr)
	if err := zkgroup.EnsurePath(ca, "/mesos/dc1", zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-found:
		t.Fatalf("detected %v with an empty group", got)
	default:
	}
	jsonA, _ := zkgroup.EncodeMasterInfo(a)
	if _, err := ca.Create("/mesos/dc1/json.info_", jsonA, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if got := <-found; !proto.Equal(got, a) {
		t.Fatalf("detected %v, want a", got)
	}

	// A second master, written in the older protobuf form, follows; the
	// registry znode beside them is not a member.
	binB, _ := proto.Marshal(b)
	if _, err := cb.Create("/mesos/dc1/info_", binB, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := cb.Create("/mesos/dc1/registry", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	// The leader's session ends: the next member leads.
	ca.Close()
	if got := detectNext(t, d, a); !proto.Equal(got, b) {
		t.Fatalf("after a left, detected %v, want b (from its info_ protobuf znode)", got)
	}
	cb.Close()
	if got := detectNext(t, d, b); got != nil {
		t.Fatalf("after everyone left, detected %v, want none", got)
	}
}

func TestZooKeeperDetectorReportsNoLeaderWhenZooKeeperIsGone(t *testing.T) {
	srv := zktest.Start(t)
	// a's session outlives the server's restart below.
	c := zkConnTimeout(t, srv.Addr, 30*time.Second)
	if err := zkgroup.EnsurePath(c, "/m", zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	a := info("a", "master@127.0.0.1:5001")
	data, _ := zkgroup.EncodeMasterInfo(a)
	if _, err := c.Create("/m/json.info_", data, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	u, _ := zkgroup.ParseURL("zk://" + srv.Addr + "/m")
	d := NewZooKeeper(u, time.Second, nil)
	defer d.Close()
	if got := detectNext(t, d, nil); !proto.Equal(got, a) {
		t.Fatalf("detected %v, want a", got)
	}
	// ZooKeeper goes away: after the session timeout nobody is known to lead.
	srv.Stop()
	if got := detectNext(t, d, a); got != nil {
		t.Fatalf("detected %v with ZooKeeper down, want none", got)
	}
	// It comes back with its data, and a's client resumes its session:
	// the detector finds a again.
	if err := srv.Restart(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if got := detectNext(t, d, nil); !proto.Equal(got, a) {
		t.Fatalf("after ZooKeeper came back, detected %v, want a", got)
	}
}

func TestZooKeeperDetectorIgnoresAnUnreadableLeader(t *testing.T) {
	srv := zktest.Start(t)
	c := zkConn(t, srv.Addr)
	if err := zkgroup.EnsurePath(c, "/m", zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/m/json.info_", []byte("{garbage"), zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	b := info("b", "master@127.0.0.1:5002")
	data, _ := zkgroup.EncodeMasterInfo(b)
	c2 := zkConn(t, srv.Addr)
	if _, err := c2.Create("/m/json.info_", data, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	u, _ := zkgroup.ParseURL("zk://" + srv.Addr + "/m")
	d := NewZooKeeper(u, 2*time.Second, nil)
	defer d.Close()
	// A leader whose znode holds garbage is no leader; once it goes, the
	// next member is found.
	c.Close()
	if got := detectNext(t, d, nil); !proto.Equal(got, b) {
		t.Fatalf("detected %v, want b", got)
	}
}
