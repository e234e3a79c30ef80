package tests

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/sim"
)

// txCluster is the transcript harness for failures and recovery: the real
// master core (restartable), agent cores whose checkpoints go to an
// in-memory disk that outlives them, executors that outlive their agent
// when their framework checkpoints, and frameworks that send raw messages
// or run the real scheduler driver. It runs on sim's engine (virtual clock
// and network), and prints what flowed in sim.Script's format. A file
// selects it by starting with the `cluster` command; the commands are
// listed in Exec.
type txCluster struct {
	s     *sim.Sim
	out   strings.Builder
	uuids protocol.UUIDs

	mcfg     master.Config
	mnode    *sim.Node
	mcore    *txMaster
	mboots   int                     // masters started: the id is m<boots>
	registry *mesosinternal.Registry // the masters' registry, stored at once

	// noLeader: the detector was told there is no master (appoint none).
	noLeader bool

	agents map[string]*txAgent
	nAgent int
	nFw    int
}

// txMasterPID is the master's PID; a restarted master comes back at it.
var txMasterPID = actors.PID{ID: "master", Address: "127.0.0.1:5050"}

// newTxCluster starts a master. Arguments are master flags:
// offer_timeout, agent_ping_timeout, max_agent_ping_timeouts,
// agent_reregister_timeout (durations as Go writes them).
func newTxCluster(args []sim.Arg) (*txCluster, error) {
	c := &txCluster{s: sim.New(sim.Options{Seed: 1}), uuids: protocol.SequentialUUIDs(1), agents: map[string]*txAgent{}}
	cfg := master.DefaultConfig()
	cfg.Hostname, cfg.IP, cfg.Port = "localhost", "127.0.0.1", 5050
	cfg.OfferTimeout = 30 * time.Second
	for _, a := range args {
		v := ""
		if len(a.Vals) > 0 {
			v = a.Vals[0]
		}
		var err error
		switch a.Key {
		case "offer_timeout":
			cfg.OfferTimeout, err = time.ParseDuration(v)
		case "agent_ping_timeout":
			cfg.AgentPingTimeout, err = time.ParseDuration(v)
		case "agent_reregister_timeout":
			cfg.AgentReregisterTimeout, err = time.ParseDuration(v)
		case "max_agent_ping_timeouts":
			cfg.MaxAgentPingTimeouts, err = strconv.Atoi(v)
		default:
			return nil, fmt.Errorf("cluster: unknown master flag %q", a.Key)
		}
		if err != nil {
			return nil, fmt.Errorf("cluster: %s: %w", a.Key, err)
		}
	}
	c.mcfg = cfg
	c.s.Trace = func(s *sim.Sim, d sim.Delivery) {
		c.out.WriteString(s.Line(d))
		c.out.WriteByte('\n')
	}
	c.s.Check = func(s *sim.Sim) error {
		if s.LastNode() != c.mnode || !c.mnode.Up() {
			return nil
		}
		return c.mcore.sweep()
	}
	n, err := c.s.Add("master", txMasterPID, nil, nil)
	if err != nil {
		return nil, err
	}
	c.mnode = n
	if err := c.startMaster(false); err != nil {
		return nil, err
	}
	return c, c.s.Settle()
}

// Exec runs one command and returns what it printed: the messages that
// flowed, callbacks of driver frameworks, state dumps.
//
//	add-agent NAME [resources=TEXT] [ping=FACTOR]   an agent registers
//	add-framework NAME [checkpoint] [partition-aware] [failover_timeout=S]
//	        [role=R] [principal=P] [id-of=OTHER]    a framework sending raw messages
//	add-driver NAME [the options of add-framework] [explicit-acks]
//	                                 a framework on the real scheduler driver
//	                                 (explicit-acks: the script acknowledges)
//	subscribe F [failover=false]     (driver: start)
//	launch F offer(s)=(..) task=(..) [res=..|none] [refuse=S] [executor=ID]
//	decline F offer=.. [refuse=S]
//	ack F task=T [uuid=bogus]        the latest update of T; a driver framework
//	                                 calls AcknowledgeStatusUpdate (refused
//	                                 unless it was added with explicit-acks)
//	kill F task=T
//	reconcile F [task=(..)] [agent=ID]   none named: implicit
//	message F agent=A executor=E data=TEXT
//	teardown F
//	stop F [failover]  /  abort F    driver frameworks
//	status AGENT task=T state=running|starting|finished|failed|killed
//	advance DURATION
//	drop TYPE FROM TO [COUNT]         "*" matches any; undrop clears them
//	appoint [none]                    the detector tells agents and drivers the
//	                                  master again (or that there is none)
//	partition A B [heal=D]  /  heal
//	crash NODE                        a master, agent, executor or framework
//	restart AGENT [wipe] [recover=cleanup]  the agent recovers from its disk
//	restart master [recover]          a new master at the same PID; with
//	                                  recover, it recovers the last one's registry
//	restart F                          a raw framework restarts (keeps its id)
//	crash-executor AGENT executor=E   the executor dies (its container ends)
//	hold-sandboxes / release-sandboxes AGENT   sandbox preparation waits (a slow disk)
//	state / disk AGENT
func (c *txCluster) Exec(cmd string, args []sim.Arg) (string, error) {
	c.out.Reset()
	var err error
	switch cmd {
	case "add-agent":
		err = c.addAgent(args)
	case "add-framework":
		err = c.addFramework(args, false)
	case "add-driver":
		err = c.addFramework(args, true)
	case "subscribe", "launch", "decline", "ack", "kill", "reconcile", "message", "teardown", "stop", "abort":
		err = c.frameworkCommand(cmd, args)
	case "status":
		err = c.onAgent(args, func(a *txAgent) error { return a.status(args) })
	case "advance":
		if len(args) != 1 || args[0].Vals != nil {
			return "", fmt.Errorf("advance wants one duration, e.g. advance 15s")
		}
		var d time.Duration
		if d, err = time.ParseDuration(args[0].Key); err == nil {
			err = c.s.RunFor(d)
		}
	case "drop":
		err = c.drop(args)
	case "partition":
		err = c.partition(args)
	case "heal":
		c.s.Net.Heal()
	case "undrop":
		c.s.Net.ClearFilters()
	case "appoint":
		c.noLeader = hasArg(args, "none")
		c.appoint()
		err = c.s.Settle()
	case "crash":
		err = c.crash(args)
	case "restart":
		err = c.restart(args)
	case "hold-sandboxes":
		err = c.onAgent(args, func(a *txAgent) error { a.hold = true; return nil })
	case "release-sandboxes":
		err = c.onAgent(args, func(a *txAgent) error { return a.release() })
	case "crash-executor":
		err = c.onAgent(args, func(a *txAgent) error { return a.crashExecutor(argVal(args, "executor")) })
	case "state":
		c.state()
	case "disk":
		err = c.onAgent(args, func(a *txAgent) error { a.dumpDisk(&c.out); return nil })
	default:
		return "", fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		return "", err
	}
	if err := c.s.Err(); err != nil {
		return "", err
	}
	return c.out.String(), nil
}

// ---- the master ----

// txMaster is master.Core with a synchronous allocator that allocates on
// the allocation interval, as sim's real master does.
type txMaster struct {
	fail     func(error)
	core     *master.Core
	alloc    allocator.Sync
	interval time.Duration
	registry *mesosinternal.Registry
}

const txAllocateKey = "tx/allocate"

func (c *txCluster) startMaster(recover bool) error {
	c.mboots++
	info := master.NewMasterInfo(fmt.Sprintf("m%d", c.mboots), txMasterPID, c.mcfg)
	core, err := master.NewCore(c.mcfg, info, master.Deps{})
	if err != nil {
		return err
	}
	m := &txMaster{fail: c.s.Fail, core: core, interval: c.mcfg.AllocationInterval,
		alloc: allocator.Sync{Core: allocator.NewCore(allocator.Options{AllocationInterval: c.mcfg.AllocationInterval, Seed: 2}), Now: c.s.Now}}
	c.mcore = m
	if c.mboots == 1 {
		c.mnode.Core = m
	} else {
		c.s.Restart(c.mnode, m)
	}
	c.mnode.Custom = m.apply
	if !recover || c.registry == nil {
		c.registry = &mesosinternal.Registry{}
	}
	m.registry = c.registry
	reg := proto.Clone(c.registry).(*mesosinternal.Registry)
	c.s.Start(c.mnode, func(now time.Time) []effect.Effect {
		out, err := m.core.Recover(now, reg)
		if err != nil {
			m.fail(fmt.Errorf("the master cannot recover its registry: %w", err))
		}
		return append(out, effect.StartTimer{Key: txAllocateKey, After: m.interval})
	})
	return nil
}

func (m *txMaster) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	return m.core.Receive(now, from, msg)
}

func (m *txMaster) Exited(now time.Time, pid actors.PID) []effect.Effect {
	return m.core.Exited(now, pid)
}

func (m *txMaster) Timer(now time.Time, key string) []effect.Effect {
	if key != txAllocateKey {
		return m.core.Timer(now, key)
	}
	grants := m.alloc.Core.Allocate(now, nil)
	fids := make([]string, 0, len(grants))
	for fid := range grants {
		fids = append(fids, fid)
	}
	slices.Sort(fids)
	var out []effect.Effect
	for _, fid := range fids {
		out = append(out, m.core.Offer(now, fid, grants[fid])...)
	}
	return append(out, effect.StartTimer{Key: txAllocateKey, After: m.interval})
}

func (m *txMaster) apply(n *sim.Node, e effect.Effect) {
	if op, ok := e.(master.RegistryApply); ok { // stored at once
		master.ApplyRegistryOps(m.registry, op.Op)
		n.Post(0, func(now time.Time) []effect.Effect { return m.core.RegistryApplied(now, op.Seq, nil) })
		return
	}
	if !master.ApplyAllocatorCall(m.alloc, e) {
		m.fail(fmt.Errorf("%s returned an effect the transcript harness cannot apply: %T", n.Name, e))
	}
}

// sweep checks the resource books after every master step: the
// allocator's free plus allocated is each agent's total, and what the
// master offered plus what tasks use is what the allocator allocated.
func (m *txMaster) sweep() error {
	v := m.core.View()
	offered := map[string]resources.Resources{}
	for _, o := range v.Offers {
		offered[o.AgentID] = offered[o.AgentID].Add(o.Resources)
	}
	for _, a := range v.Agents {
		var alloc resources.Resources
		for _, f := range v.Frameworks {
			alloc = alloc.Add(m.alloc.Core.Allocation(f.ID, a.ID))
		}
		total, free := m.alloc.Core.Total(a.ID), m.alloc.Core.Available(a.ID)
		if got := free.Add(alloc.Unallocate()); !got.Equal(total) {
			return fmt.Errorf("resources: agent %s: free %s + allocated %s != total %s", a.ID, free, alloc, total)
		}
		if used := offered[a.ID].Unallocate().Add(a.Used.Unallocate()); !used.Equal(alloc.Unallocate()) {
			return fmt.Errorf("resources: agent %s: offered %s + used by tasks %s != allocated %s", a.ID, offered[a.ID], a.Used, alloc)
		}
	}
	return nil
}

// masterInfo is what the standalone detector appoints, nil while the
// master is down.
func (c *txCluster) masterInfo() *mesos.MasterInfo {
	if !c.mnode.Up() || c.noLeader {
		return nil
	}
	return c.mcore.core.Info()
}

// appoint hands every agent and driver the new master, as a standalone
// detector that is appointed one does.
func (c *txCluster) appoint() {
	info := c.masterInfo()
	for _, n := range c.s.Nodes() {
		if !n.Up() {
			continue
		}
		switch core := n.Core.(type) {
		case *txFramework:
			if core.driver != nil {
				d := core.driver
				c.s.Start(n, func(now time.Time) []effect.Effect { return d.Detected(now, info) })
			}
		default:
			if a := c.agentOn(n); a != nil {
				a.detected(info)
			}
		}
	}
}

// ---- commands ----

func argVal(args []sim.Arg, key string) string {
	for _, a := range args {
		if a.Key == key && len(a.Vals) > 0 {
			return a.Vals[0]
		}
	}
	return ""
}

func hasArg(args []sim.Arg, key string) bool {
	for _, a := range args {
		if a.Key == key {
			return true
		}
	}
	return false
}

func argVals(args []sim.Arg, keys ...string) []string {
	var out []string
	for _, a := range args {
		if slices.Contains(keys, a.Key) {
			out = append(out, a.Vals...)
		}
	}
	return out
}

func (c *txCluster) node(args []sim.Arg) (*sim.Node, error) {
	if len(args) == 0 || args[0].Vals != nil {
		return nil, fmt.Errorf("name a node first")
	}
	n := c.s.Named(args[0].Key)
	if n == nil {
		return nil, fmt.Errorf("no node %q", args[0].Key)
	}
	return n, nil
}

func (c *txCluster) agentOn(n *sim.Node) *txAgent {
	if a := c.agents[n.Name]; a != nil && a.node == n {
		return a
	}
	return nil
}

func (c *txCluster) onAgent(args []sim.Arg, fn func(*txAgent) error) error {
	n, err := c.node(args)
	if err != nil {
		return err
	}
	a := c.agentOn(n)
	if a == nil {
		return fmt.Errorf("%s is not an agent", n.Name)
	}
	return fn(a)
}

func (c *txCluster) drop(args []sim.Arg) error {
	if len(args) < 3 {
		return fmt.Errorf("drop wants a message type, a sender and a receiver")
	}
	any := func(s string) string {
		if s == "*" {
			return ""
		}
		return s
	}
	f := sim.Filter{Type: any(args[0].Key), From: any(args[1].Key), To: any(args[2].Key), Count: -1}
	if len(args) > 3 {
		n, err := strconv.Atoi(args[3].Key)
		if err != nil || n <= 0 {
			return fmt.Errorf("drop count %q is not a positive number", args[3].Key)
		}
		f.Count = n
	}
	c.s.Net.AddFilter(f)
	return nil
}

func (c *txCluster) partition(args []sim.Arg) error {
	if len(args) < 2 {
		return fmt.Errorf("partition wants two nodes")
	}
	a, b := c.s.Named(args[0].Key), c.s.Named(args[1].Key)
	if a == nil || b == nil {
		return fmt.Errorf("partition: unknown node in %q %q", args[0].Key, args[1].Key)
	}
	var heal time.Duration
	if v := argVal(args, "heal"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return err
		}
		heal = d
	}
	c.s.Net.Partition([]*sim.Node{a}, []*sim.Node{b}, heal)
	return c.s.Settle()
}

func (c *txCluster) crash(args []sim.Arg) error {
	n, err := c.node(args)
	if err != nil {
		return err
	}
	if n == c.mnode {
	}
	if a := c.agentOn(n); a != nil {
		a.down()
	}
	for _, a := range c.agents {
		for _, ct := range a.conts {
			if ct.exec == n {
				return a.crashExecutor(ct.eid)
			}
		}
	}
	c.s.Crash(n)
	return c.s.Settle()
}

func (c *txCluster) restart(args []sim.Arg) error {
	n, err := c.node(args)
	if err != nil {
		return err
	}
	if n == c.mnode {
		c.noLeader = false
		if err := c.startMaster(hasArg(args, "recover")); err != nil {
			return err
		}
		if err := c.s.Settle(); err != nil {
			return err
		}
		c.appoint()
		return c.s.Settle()
	}
	if a := c.agentOn(n); a != nil {
		return a.restart(hasArg(args, "wipe"), argVal(args, "recover"))
	}
	if f, ok := n.Core.(*txFramework); ok && f.driver == nil {
		c.s.Restart(n, f.restarted())
		return c.s.Settle()
	}
	return fmt.Errorf("%s cannot be restarted", n.Name)
}

// state dumps the master's books (as sim.Script's state does) and the
// agents' own view of their tasks.
func (c *txCluster) state() {
	w := &c.out
	fmt.Fprintf(w, "time %v\n", c.s.Elapsed())
	if !c.mnode.Up() {
		fmt.Fprintf(w, "master down\n")
	} else {
		m := c.mcore
		v := m.core.View()
		fmt.Fprintf(w, "master %s\n", m.core.Info().GetId())
		for _, f := range v.Frameworks {
			fmt.Fprintf(w, "framework %s (%s) connected=%v active=%v\n", f.ID, c.s.Name(f.PID), f.Connected, f.Active)
			for _, t := range f.UnreachableTasks {
				fmt.Fprintf(w, "  unreachable task %s %s\n", t.GetTaskId().GetValue(), t.GetState())
			}
			for _, t := range f.CompletedTasks {
				fmt.Fprintf(w, "  completed task %s %s\n", t.GetTaskId().GetValue(), t.GetState())
			}
		}
		for _, a := range v.Agents {
			fmt.Fprintf(w, "agent %s (%s) connected=%v active=%v total=%s free=%s\n", a.ID, c.s.Name(a.PID), a.Connected, a.Active,
				compact(m.alloc.Core.Total(a.ID)), compact(m.alloc.Core.Available(a.ID)))
			for _, t := range a.Tasks {
				fmt.Fprintf(w, "  task %s framework=%s %s res=%s\n", t.GetTaskId().GetValue(), t.GetFrameworkId().GetValue(), t.GetState(), compact(resources.Resources(t.GetResources()).Unallocate()))
			}
		}
		for _, id := range v.Unreachable {
			fmt.Fprintf(w, "unreachable agent %s\n", id)
		}
		for _, id := range v.Recovered {
			fmt.Fprintf(w, "recovered agent %s (not back yet)\n", id)
		}
		for _, o := range v.Offers {
			fmt.Fprintf(w, "offer %s framework=%s agent=%s res=%s\n", o.ID, o.FrameworkID, o.AgentID, compact(o.Resources.Unallocate()))
		}
		if r := m.core.Removals(); r != (master.AgentRemovals{}) {
			fmt.Fprintf(w, "removals %+v\n", r)
		}
	}
	names := make([]string, 0, len(c.agents))
	for name := range c.agents {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		c.agents[name].dumpState(w)
	}
}

func compact(r resources.Resources) string { return strings.ReplaceAll(r.String(), "; ", ";") }
