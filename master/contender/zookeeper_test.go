package contender

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/detector/zkgroup"
	"github.com/gomesos/gomesos/internal/zktest"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/mesos"
)

const waitLimit = 60 * time.Second

func contendZK(t *testing.T, servers, path string, timeout time.Duration, id string) *ZKCandidacy {
	t.Helper()
	z, err := NewZooKeeper("zk://"+servers+path, timeout, testLog.WithField("id", id))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, err := z.ContendZK(ctx, info(id))
	if err != nil {
		t.Fatalf("contend %s: %v", id, err)
	}
	t.Cleanup(c.Withdraw)
	return c
}

func zkDetector(t *testing.T, servers, path string, timeout time.Duration) *detector.ZooKeeper {
	t.Helper()
	u, err := zkgroup.ParseURL("zk://" + servers + path)
	if err != nil {
		t.Fatal(err)
	}
	d := detector.NewZooKeeper(u, timeout, nil)
	t.Cleanup(d.Close)
	return d
}

func detect(t *testing.T, d detector.Detector, previous *mesos.MasterInfo) *mesos.MasterInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	got, err := d.Detect(ctx, previous)
	if err != nil {
		t.Fatalf("Detect(%v): %v", previous.GetId(), err)
	}
	return got
}

// await waits for ch to close.
func await(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(waitLimit):
		t.Fatalf("%s did not happen within %v", what, waitLimit)
	}
}

func TestZooKeeperContendersAndDetector(t *testing.T) {
	srv := zktest.Start(t)
	d := zkDetector(t, srv.Addr, "/mesos", 2*time.Second)

	a := contendZK(t, srv.Addr, "/mesos", 2*time.Second, "a")
	await(t, a.Elected(), "a elected")
	b := contendZK(t, srv.Addr, "/mesos", 2*time.Second, "b")
	if got := detect(t, d, nil); got.GetId() != "a" {
		t.Fatalf("detected %v, want a", got)
	}
	if closed(b.Elected()) {
		t.Fatal("b elected while a leads")
	}

	// The znode is json.info_<seq> holding MasterInfo as JSON.
	data, _, err := a.Conn().Get(a.Znode())
	if err != nil {
		t.Fatal(err)
	}
	m, ok := zkgroup.ParseMember(a.Znode()[len("/mesos/"):])
	if !ok || m.Label != zkgroup.JSONLabel {
		t.Fatalf("znode %s is not a json.info_ member", a.Znode())
	}
	if got, err := zkgroup.DecodeMasterInfo(m.Label, data); err != nil || got.GetId() != "a" {
		t.Fatalf("znode data %s: %v, %v", data, got, err)
	}

	// The leader resigns: b leads and the detector follows.
	a.Withdraw()
	if !errors.Is(a.Err(), ErrWithdrawn) {
		t.Fatalf("a.Err() = %v", a.Err())
	}
	await(t, b.Elected(), "b elected")
	if got := detect(t, d, info("a")); got.GetId() != "b" {
		t.Fatalf("detected %v, want b", got)
	}
	if closed(b.Lost()) {
		t.Fatalf("b lost its candidacy: %v", b.Err())
	}
}

func TestZooKeeperCandidacyLostWhenItsZnodeIsDeleted(t *testing.T) {
	srv := zktest.Start(t)
	a := contendZK(t, srv.Addr, "/m", 2*time.Second, "a")
	await(t, a.Elected(), "a elected")
	if err := a.Conn().Delete(a.Znode(), -1); err != nil {
		t.Fatal(err)
	}
	await(t, a.Lost(), "a lost")
	if !errors.Is(a.Err(), ErrMembershipGone) {
		t.Fatalf("a.Err() = %v, want ErrMembershipGone", a.Err())
	}
}

// The leader is cut off (its packets dropped): it steps down before the
// server expires its session and elects the standby, so two masters never
// lead at once; its registry writes are refused by ZooKeeper itself.
func TestZooKeeperPartitionedLeaderStepsDownBeforeTheStandbyLeads(t *testing.T) {
	const timeout = 3 * time.Second
	srv := zktest.Start(t)
	proxy := zktest.NewProxy(t, srv.Addr)
	d := zkDetector(t, srv.Addr, "/mesos", timeout)

	a := contendZK(t, proxy.Addr, "/mesos", timeout, "a")
	await(t, a.Elected(), "a elected")
	b := contendZK(t, srv.Addr, "/mesos", timeout, "b")
	if got := detect(t, d, nil); got.GetId() != "a" {
		t.Fatalf("detected %v, want a", got)
	}

	// a's registry writer, on a connection of its own that stays up, fenced
	// by a's znode.
	wconn, _, err := zk.Connect([]string{srv.Addr}, timeout, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(wconn.Close)
	storeA := registry.NewZooKeeper(wconn, registry.Path("/mesos"), a.Znode(), nil)
	ctx := context.Background()
	v, err := storeA.Store(ctx, []byte("by a"), registry.Absent)
	if err != nil {
		t.Fatalf("leader's write: %v", err)
	}

	start := time.Now()
	proxy.Freeze()
	lostAt, electedAt := when(a.Lost(), start), when(b.Elected(), start)
	lost, elected := <-lostAt, <-electedAt
	if lost < 0 || elected < 0 {
		t.Fatalf("no failover within %v (a lost after %v, b elected after %v)", waitLimit, lost, elected)
	}
	if elected < lost {
		t.Fatalf("b was elected after %v, before a stepped down after %v: two leaders", elected, lost)
	}
	if !errors.Is(a.Err(), zkgroup.ErrDisconnected) {
		t.Fatalf("a.Err() = %v, want ErrDisconnected", a.Err())
	}
	t.Logf("session timeout %v: a stepped down after %v, b elected after %v", timeout, lost, elected)
	if got := detect(t, d, info("a")); got.GetId() != "b" {
		t.Fatalf("detected %v, want b", got)
	}

	// The deposed leader's write is refused by ZooKeeper: its znode is gone.
	if _, err := storeA.Store(ctx, []byte("by deposed a"), v); !errors.Is(err, registry.ErrNotLeader) {
		t.Fatalf("deposed leader's write = %v, want ErrNotLeader", err)
	}
	storeB := b.Registry()
	data, vb, err := storeB.Fetch(ctx)
	if err != nil || string(data) != "by a" || vb != v {
		t.Fatalf("new leader's fetch = %q, %d, %v", data, vb, err)
	}
	if _, err := storeB.Store(ctx, []byte("by b"), vb); err != nil {
		t.Fatalf("new leader's write: %v", err)
	}
	// Even at the current version, a stays fenced.
	_, vNow, _ := storeB.Fetch(ctx)
	if _, err := storeA.Store(ctx, []byte("by deposed a"), vNow); !errors.Is(err, registry.ErrNotLeader) {
		t.Fatalf("deposed leader's write at the current version = %v, want ErrNotLeader", err)
	}
	if data, _, _ := storeB.Fetch(ctx); string(data) != "by b" {
		t.Fatalf("registry = %q, want b's", data)
	}
}

// when reports how long after start ch closed (-1: not within waitLimit).
func when(ch <-chan struct{}, start time.Time) <-chan time.Duration {
	out := make(chan time.Duration, 1)
	go func() {
		select {
		case <-ch:
			out <- time.Since(start)
		case <-time.After(waitLimit):
			out <- -1
		}
	}()
	return out
}

// ZooKeeper goes away: every candidacy is lost (leader and standby) and
// detectors report no leader, as Mesos' ContenderDetectorShutdownNetwork.
func TestZooKeeperDownLosesEveryCandidacy(t *testing.T) {
	const timeout = time.Second
	srv := zktest.Start(t)
	d := zkDetector(t, srv.Addr, "/m", timeout)
	a := contendZK(t, srv.Addr, "/m", timeout, "a")
	b := contendZK(t, srv.Addr, "/m", timeout, "b")
	await(t, a.Elected(), "a elected")
	leader := detect(t, d, nil)
	if leader.GetId() != "a" {
		t.Fatalf("detected %v, want a", leader)
	}
	srv.Stop()
	await(t, a.Lost(), "leader's candidacy lost")
	await(t, b.Lost(), "standby's candidacy lost")
	if closed(b.Elected()) {
		t.Fatal("the standby was elected while ZooKeeper was down")
	}
	if got := detect(t, d, leader); got != nil {
		t.Fatalf("detected %v with ZooKeeper down, want none", got)
	}
}

func TestZooKeeperContendGivesUpOnItsContext(t *testing.T) {
	z, err := NewZooKeeper("zk://127.0.0.1:1/m", time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := z.Contend(ctx, info("a")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Contend with nothing listening = %v, want the context's deadline", err)
	}
	if _, err := NewZooKeeper("zk://nowhere/m", 0, nil); err == nil {
		t.Fatal("a URL without a port was accepted")
	}
	if _, err := (&ZooKeeper{}).Contend(context.Background(), &mesos.MasterInfo{}); err == nil {
		t.Fatal("contending with an incomplete MasterInfo succeeded")
	}
}

// A three-node ensemble loses its own leader: the client reconnects to a
// survivor within the session, and the leading master keeps leading.
func TestZooKeeperEnsembleLosesItsLeaderWhileTheMasterKeepsLeading(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node ensemble")
	}
	// A 20 s session gives the leader 3.3 s (StepDownFraction) to reach the
	// ensemble again: enough for its election and go-zk's reconnect backoff
	// (about 1 s on a quiet machine) also on a loaded one.
	const timeout = 20 * time.Second
	e := zktest.StartEnsemble(t, 3)
	a := contendZK(t, e.Connect(), "/mesos", timeout, "a")
	await(t, a.Elected(), "a elected")
	b := contendZK(t, e.Connect(), "/mesos", timeout, "b")
	store := a.Registry()
	ctx := context.Background()
	v, err := store.Store(ctx, []byte("1"), registry.Absent)
	if err != nil {
		t.Fatal(err)
	}

	old, err := e.WaitLeader(time.Second, -1)
	if err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	e.Servers[old].Stop()
	if _, err := e.WaitLeader(waitLimit, old); err != nil {
		t.Fatal(err)
	}
	// The leader writes again as soon as ZooKeeper serves it; a write
	// whose outcome is unknown is read back, as the registrar must.
	deadline := time.Now().Add(waitLimit)
	for {
		nv, err := store.Store(ctx, []byte("2"), v)
		if err == nil {
			v = nv
			break
		}
		if errors.Is(err, registry.ErrNotLeader) {
			// On a starved machine the ensemble's election can outlast
			// the leader's grace: it steps down, safely, and the
			// standby takes over and writes.
			t.Logf("the leader stepped down during the ensemble's failover (%v); checking the standby takes over", a.Err())
			if _, err := store.Store(ctx, []byte("4"), v); !errors.Is(err, registry.ErrNotLeader) {
				t.Fatalf("the deposed leader's write: %v, want ErrNotLeader", err)
			}
			select {
			case <-b.Elected():
			case <-b.Lost(): // b was cut off as long: no one leads, no one writes
				t.Logf("the standby lost its candidacy too (%v)", b.Err())
				return
			case <-time.After(waitLimit):
				t.Fatalf("no new leader within %v of the step-down", waitLimit)
			}
			if _, err := b.Registry().Store(ctx, []byte("3"), registry.Absent); !errors.Is(err, registry.ErrConflict) {
				t.Fatalf("the new leader's stale-version write: %v, want a version conflict", err)
			}
			data, bv, err := b.Registry().Fetch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Registry().Store(ctx, append(data, '3'), bv); err != nil {
				t.Fatalf("the new leader cannot write: %v", err)
			}
			return
		}
		if data, fv, ferr := store.Fetch(ctx); ferr == nil && string(data) == "2" {
			v = fv
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no write within %v of the ensemble's failover: %v", waitLimit, err)
		}
		time.Sleep(50 * time.Millisecond) // retrying a store that ZooKeeper refused
	}
	t.Logf("leader's first registry write after the ensemble lost its leader: %v", time.Since(killed))
	if closed(a.Lost()) || closed(b.Elected()) {
		t.Fatalf("leadership moved: a lost=%v (%v), b elected=%v", closed(a.Lost()), a.Err(), closed(b.Elected()))
	}
}
