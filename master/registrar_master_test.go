package master

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// fetchRegistry reads what store holds.
func fetchRegistry(t *testing.T, store registry.Store) *mesosinternal.Registry {
	t.Helper()
	data, _, err := store.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	reg := &mesosinternal.Registry{}
	if err := proto.Unmarshal(data, reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

func admittedIDs(reg *mesosinternal.Registry) string {
	var ids []string
	for _, s := range reg.GetSlaves().GetSlaves() {
		ids = append(ids, s.GetInfo().GetId().GetValue())
	}
	return strings.Join(ids, ",")
}

// restart stops c's master and starts a new one with cfg on the same node
// (and so the same PID).
func (c *cluster) restart(cfg Config) {
	c.t.Helper()
	c.m.Stop()
	m, err := New(c.node, cfg)
	if err != nil {
		c.t.Fatalf("new master: %v", err)
	}
	pid, err := m.Start()
	if err != nil {
		c.t.Fatalf("restart master: %v", err)
	}
	c.t.Cleanup(m.Stop)
	c.m, c.pid = m, pid
}

// A master restarted on the same registry knows the agents it admitted:
// one that reregisters comes back with its running task (the framework is
// told nothing new), one that does not is marked unreachable after
// agent_reregister_timeout (written first), and weights survive.
func TestMasterRestartRecoversFromTheRegistry(t *testing.T) {
	mem := registry.NewMemory()
	c := newCluster(t, func(cfg *Config) { cfg.Registry = mem })
	cfg := c.m.cfg
	a, agentID := c.addAgent("cpus:2;mem:1024")
	_, agent2 := c.addAgent("cpus:2;mem:1024")
	info := frameworkInfo("f")
	info.Checkpoint = proto.Bool(true)
	s, fid := c.subscribe(info)
	var offer *mesos.Offer
	for offer == nil {
		for _, o := range actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers() {
			if o.GetSlaveId().GetValue() == agentID {
				offer = o
			}
		}
	}
	s.SendNow(c.pid, launch(fid, ids(offer), nil, commandTask("t1", offer, "cpus:1;mem:128")))
	run := actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "t1", mesos.TaskState_TASK_RUNNING, 1))
	actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
	srv := httptest.NewServer(c.m.Handler())
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/weights", strings.NewReader(`[{"role":"web","weight":2.5}]`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT /weights: %v %v", resp, err)
	}
	resp.Body.Close()
	srv.Close()
	c.settle()
	if got := admittedIDs(fetchRegistry(t, mem)); got != agentID+","+agent2 {
		t.Fatalf("admitted before the restart: %s", got)
	}
	srv = httptest.NewServer(c.m.Handler())
	snap := getJSON(t, srv, "/metrics/snapshot")
	srv.Close()
	if snap["registrar/registry_size_bytes"] == nil || snap["registrar/registry_size_bytes"].(float64) <= 0 || snap["registrar/queued_operations"] != 0.0 {
		t.Fatalf("registrar metrics: size %v, queued %v", snap["registrar/registry_size_bytes"], snap["registrar/queued_operations"])
	}

	c.restart(cfg)
	reg := fetchRegistry(t, mem)
	if reg.GetMaster().GetInfo().GetId() != c.m.Info().GetId() {
		t.Fatalf("the registry names master %s, want the new %s", reg.GetMaster().GetInfo().GetId(), c.m.Info().GetId())
	}
	c.inspect(func(core *Core) {
		v := core.View()
		if fmt.Sprint(v.Recovered) != fmt.Sprint([]string{agentID, agent2}) || core.weights["web"] != 2.5 {
			t.Errorf("recovered %v, weights %v", v.Recovered, core.weights)
		}
	})

	// The scheduler and the first agent come back, with the running task.
	withID := proto.Clone(info).(*mesos.FrameworkInfo)
	withID.Id = frameworkID(fid)
	s.SendNow(c.pid, &mesosinternal.ReregisterFrameworkMessage{Framework: withID, Failover: proto.Bool(true)})
	actortest.Must[*mesosinternal.FrameworkRegisteredMessage](t, s, nil)
	slave := agentInfo("cpus:2;mem:1024")
	slave.Id = slaveID(agentID)
	task := &mesos.Task{
		Name: proto.String("t1"), TaskId: run.GetTask().GetTaskId(), FrameworkId: frameworkID(fid), SlaveId: slaveID(agentID),
		State: mesos.TaskState_TASK_RUNNING.Enum(), Resources: run.GetTask().GetResources(),
	}
	a.SendNow(c.pid, &mesosinternal.ReregisterSlaveMessage{Slave: slave, Version: proto.String("1.11.0"), Tasks: []*mesos.Task{task}, Frameworks: []*mesos.FrameworkInfo{withID}})
	actortest.Must[*mesosinternal.SlaveReregisteredMessage](t, a, nil)
	c.settle()
	actortest.MustNone[*mesosinternal.StatusUpdateMessage](t, s, nil)
	c.inspect(func(core *Core) {
		if got := core.frameworks[fid].tasks["t1"].GetState(); got != mesos.TaskState_TASK_RUNNING {
			t.Errorf("task after the restart: %v", got)
		}
	})

	// The second agent never returns: unreachable, in the registry first.
	actortest.Drain[*mesosinternal.LostSlaveMessage](s)
	c.advance(DefaultAgentReregisterTimeout)
	actortest.Must[*mesosinternal.LostSlaveMessage](t, s, func(m *mesosinternal.LostSlaveMessage) bool { return m.GetSlaveId().GetValue() == agent2 })
	reg = fetchRegistry(t, mem)
	if u := reg.GetUnreachable().GetSlaves(); len(u) != 1 || u[0].GetId().GetValue() != agent2 || admittedIDs(reg) != agentID {
		t.Fatalf("registry after the timeout: admitted %s, unreachable %v", admittedIDs(reg), u)
	}

	// The task runs to its end on the master that recovered.
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "t1", mesos.TaskState_TASK_FINISHED, 2))
	up := actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
	if up.GetUpdate().GetStatus().GetState() != mesos.TaskState_TASK_FINISHED {
		t.Fatalf("update after the restart: %v", up)
	}

	// A third master recovers the unreachable agent too.
	c.restart(cfg)
	c.inspect(func(core *Core) {
		v := core.View()
		if fmt.Sprint(v.Recovered, v.Unreachable) != fmt.Sprintf("[%s] [%s]", agentID, agent2) {
			t.Errorf("third master: recovered %v, unreachable %v", v.Recovered, v.Unreachable)
		}
	})
}

// A registry store the master may no longer make (its fence does not hold)
// ends its leadership: the callback is told, the agent whose admission
// failed is never answered, and the master sends nothing more.
func TestMasterFencedRegistryRefusalEndsLeadership(t *testing.T) {
	mem := registry.NewMemory()
	var held atomic.Bool
	held.Store(true)
	lost := make(chan error, 2)
	c := newCluster(t, func(cfg *Config) {
		cfg.Registry = mem.Fenced(held.Load)
		cfg.OnLeadershipLost = func(err error) { lost <- err }
	})
	a, agentID := c.addAgent("cpus:2;mem:1024")
	s, fid := c.subscribe(frameworkInfo("f"))
	actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil)

	held.Store(false)
	c.n++
	a2 := c.spawn(fmt.Sprintf("slave(%d)", c.n))
	a2.SendNow(c.pid, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:1;mem:512"), Version: proto.String("1.11.0")})
	select {
	case err := <-lost:
		if !errors.Is(err, registry.ErrNotLeader) {
			t.Fatalf("leadership lost with %v, want ErrNotLeader", err)
		}
	case <-time.After(actortest.DefaultTimeout):
		t.Fatal("the master did not give up leadership")
	}
	c.settle()
	for _, p := range []*actortest.Peer{a, s} {
		actortest.Drain[*mesosinternal.PingSlaveMessage](p)
		actortest.Drain[*mesosinternal.ResourceOffersMessage](p)
	}

	// Nothing more comes from this master: no admission, no answers, no
	// pings, no offers.
	s.SendNow(c.pid, &mesosinternal.ReviveOffersMessage{FrameworkId: frameworkID(fid)})
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "t9", mesos.TaskState_TASK_RUNNING, 1))
	c.advance(5 * time.Minute)
	for _, p := range []*actortest.Peer{a, a2, s} {
		if err := p.Quiet(); err != nil {
			t.Error(err)
		}
	}
	if got := admittedIDs(fetchRegistry(t, mem)); got != agentID {
		t.Fatalf("admitted: %s", got)
	}
	if len(lost) != 0 {
		t.Fatal("the callback was called twice")
	}
	// Operator requests are refused.
	if err := c.m.MarkAgentGone(context.Background(), agentID); kind(err) != Unavailable {
		t.Fatalf("mark gone: %v", err)
	}
}

// Start fails with a clear error when the registry cannot be fetched or
// the recovery write is refused.
func TestMasterStartFailsWithoutItsRegistry(t *testing.T) {
	node, _ := actortest.NewManualNode(t)
	cfg := DefaultConfig()
	cfg.IP, cfg.Hostname = "127.0.0.1", "localhost"
	cfg.Registry = brokenStore{}
	m, err := New(node, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Start(); err == nil || !strings.Contains(err.Error(), "fetch the registry") {
		t.Fatalf("Start with a broken registry: %v", err)
	}

	cfg.Registry = registry.NewMemory().Fenced(func() bool { return false })
	m, err = New(node, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Start(); !errors.Is(err, registry.ErrNotLeader) {
		t.Fatalf("Start without the fence: %v", err)
	}
	// The failed start left nothing running: a good one works (zero
	// registry settings mean the defaults).
	cfg.Registry = nil
	cfg.RegistryFetchTimeout, cfg.RegistryStoreTimeout = 0, 0
	m, err = New(node, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Start(); err != nil {
		t.Fatal(err)
	}
	m.Stop()
}

type brokenStore struct{}

func (brokenStore) Fetch(context.Context) ([]byte, registry.Version, error) {
	return nil, registry.Absent, errors.New("connection refused")
}

func (brokenStore) Store(context.Context, []byte, registry.Version) (registry.Version, error) {
	return registry.Absent, errors.New("connection refused")
}

// gatedStore is a registry whose stores wait for a token each.
type gatedStore struct {
	*registry.Memory
	gate   chan struct{}
	stores atomic.Int32
}

func (g *gatedStore) Store(ctx context.Context, data []byte, v registry.Version) (registry.Version, error) {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return registry.Absent, ctx.Err()
	}
	g.stores.Add(1)
	return g.Memory.Store(ctx, data, v)
}

// Ops that queue while a store is in flight go out together in the next
// one, and each agent is answered once its admission is stored.
func TestMasterRegistrarBatchesWhileAStoreIsInFlight(t *testing.T) {
	g := &gatedStore{Memory: registry.NewMemory(), gate: make(chan struct{}, 3)}
	g.gate <- struct{}{} // the recovery write
	c := newCluster(t, func(cfg *Config) { cfg.Registry = g })
	var agents []*actortest.Peer
	for i := 0; i < 3; i++ {
		c.n++
		a := c.spawn(fmt.Sprintf("slave(%d)", c.n))
		a.SendNow(c.pid, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:1;mem:512"), Version: proto.String("1.11.0")})
		agents = append(agents, a)
	}
	actortest.WaitUntil(t, "two admissions queue behind the one in flight", func() bool {
		queued := 0
		c.inspect(func(*Core) { queued = len(c.m.proc.registry.queued) })
		return queued == 2
	})
	for _, a := range agents {
		actortest.MustNone[*mesosinternal.SlaveRegisteredMessage](t, a, nil)
	}
	g.gate <- struct{}{}
	g.gate <- struct{}{}
	for _, a := range agents {
		actortest.Must[*mesosinternal.SlaveRegisteredMessage](t, a, nil)
	}
	if n := g.stores.Load(); n != 3 {
		t.Fatalf("%d stores, want 3 (recovery, one admission, two batched)", n)
	}
	if got := admittedIDs(fetchRegistry(t, g)); len(strings.Split(got, ",")) != 3 {
		t.Fatalf("admitted %s", got)
	}
}

// A store that does not answer within --registry_store_timeout ends the
// leadership with an unknown outcome.
func TestMasterRegistryStoreTimeoutEndsLeadership(t *testing.T) {
	g := &gatedStore{Memory: registry.NewMemory(), gate: make(chan struct{}, 1)}
	g.gate <- struct{}{} // the recovery write
	lost := make(chan error, 1)
	c := newCluster(t, func(cfg *Config) {
		cfg.Registry = g
		cfg.RegistryStoreTimeout = 50 * time.Millisecond
		cfg.OnLeadershipLost = func(err error) { lost <- err }
	})
	c.n++
	a := c.spawn(fmt.Sprintf("slave(%d)", c.n))
	a.SendNow(c.pid, &mesosinternal.RegisterSlaveMessage{Slave: agentInfo("cpus:1;mem:512"), Version: proto.String("1.11.0")})
	select {
	case err := <-lost:
		if !errors.Is(err, registry.ErrUnknownOutcome) {
			t.Fatalf("leadership lost with %v, want ErrUnknownOutcome", err)
		}
	case <-time.After(actortest.DefaultTimeout):
		t.Fatal("the master did not give up leadership")
	}
	c.settle()
	actortest.MustNone[*mesosinternal.SlaveRegisteredMessage](t, a, nil)
}
