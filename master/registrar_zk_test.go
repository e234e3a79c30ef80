package master

import (
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/internal/zktest"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// The registry in ZooKeeper: a master restarted on it knows the agent the
// first one admitted; once its election znode is gone, its next write is
// refused and it gives up leadership.
func TestMasterRegistryInZooKeeper(t *testing.T) {
	srv := zktest.Start(t)
	conn, _, err := zk.Connect([]string{srv.Addr}, 2*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Create("/mesos", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	fence, err := conn.Create("/mesos/json.info_", nil, zk.FlagEphemeral|zk.FlagSequence, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatal(err)
	}
	store := registry.NewZooKeeper(conn, registry.Path("/mesos"), fence, nil)
	lost := make(chan error, 1)
	c := newCluster(t, func(cfg *Config) {
		cfg.Registry = store
		cfg.OnLeadershipLost = func(err error) { lost <- err }
	})
	cfg := c.m.cfg
	_, agentID := c.addAgent("cpus:2;mem:1024")
	if got := admittedIDs(fetchRegistry(t, store)); got != agentID {
		t.Fatalf("admitted in ZooKeeper: %q", got)
	}

	c.restart(cfg)
	c.inspect(func(core *Core) {
		if v := core.View(); len(v.Recovered) != 1 || v.Recovered[0] != agentID {
			t.Errorf("recovered from ZooKeeper: %v", v.Recovered)
		}
	})

	// Deposed: the election znode is gone.
	if err := conn.Delete(fence, -1); err != nil {
		t.Fatal(err)
	}
	a := c.spawn("slave(new)")
	a.SendNow(c.pid, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:1;mem:512"), Version: proto.String("1.11.0")})
	select {
	case err := <-lost:
		if !errors.Is(err, registry.ErrNotLeader) {
			t.Fatalf("leadership lost with %v, want ErrNotLeader", err)
		}
	case <-time.After(actortest.DefaultTimeout):
		t.Fatal("the deposed master kept its leadership")
	}
	c.settle()
	actortest.MustNone[*mesosinternal.SlaveRegisteredMessage](t, a, nil)
	if got := admittedIDs(fetchRegistry(t, store)); got != agentID {
		t.Fatalf("the deposed master wrote: %q", got)
	}
}
