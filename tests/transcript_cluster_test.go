package tests

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/sim"
)

// txCluster is the transcript harness for failures and recovery: the real
// master core (restartable, sim.Master), agent cores whose checkpoints go
// to an in-memory disk that outlives them and executors that outlive
// their agent when their framework checkpoints (sim.Machine), and
// frameworks that send raw messages or run the real scheduler driver. It
// runs on sim's engine (virtual clock and network), and prints what
// flowed in sim.Script's format. A file
// selects it by starting with the `cluster` command; the commands are
// listed in Exec.
type txCluster struct {
	s     *sim.Sim
	out   strings.Builder
	uuids protocol.UUIDs

	mnode  *sim.Node
	master *sim.Master

	// noLeader: the detector was told there is no master (appoint none).
	noLeader bool

	agents map[string]*sim.Machine
	nAgent int
	nFw    int
}

// txMasterPID is the master's PID; a restarted master comes back at it.
var txMasterPID = actors.PID{ID: "master", Address: "127.0.0.1:5050"}

// newTxCluster starts a master. Arguments are master flags:
// offer_timeout, agent_ping_timeout, max_agent_ping_timeouts,
// agent_reregister_timeout (durations as Go writes them).
func newTxCluster(args []sim.Arg) (*txCluster, error) {
	c := &txCluster{s: sim.New(sim.Options{Seed: 1}), uuids: protocol.SequentialUUIDs(1), agents: map[string]*sim.Machine{}}
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
	c.s.Trace = func(s *sim.Sim, d sim.Delivery) {
		c.out.WriteString(s.Line(d))
		c.out.WriteByte('\n')
	}
	c.s.Check = func(s *sim.Sim) error {
		if s.LastNode() != c.mnode || !c.mnode.Up() {
			return nil
		}
		return c.master.Sweep()
	}
	n, err := c.s.Add("master", txMasterPID, nil, nil)
	if err != nil {
		return nil, err
	}
	c.mnode = n
	c.master = sim.NewMaster(c.s, n, cfg)
	if err := c.master.Start(false); err != nil {
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
		err = c.onAgent(args, func(m *sim.Machine) error { return txStatus(m, args) })
	case "advance":
		err = c.s.Advance(args)
	case "drop":
		err = c.s.Drop(args)
	case "partition":
		err = c.s.PartitionNodes(args)
	case "heal":
		c.s.Net.Heal()
	case "undrop":
		c.s.Net.ClearFilters()
	case "appoint":
		c.noLeader = sim.HasArg(args, "none")
		c.appoint()
		err = c.s.Settle()
	case "crash":
		err = c.crash(args)
	case "restart":
		err = c.restart(args)
	case "hold-sandboxes":
		err = c.onAgent(args, func(m *sim.Machine) error { m.Hold(); return nil })
	case "release-sandboxes":
		err = c.onAgent(args, func(m *sim.Machine) error { return m.Release() })
	case "crash-executor":
		err = c.onAgent(args, func(m *sim.Machine) error { return m.CrashExecutor(sim.ArgVal(args, "executor")) })
	case "state":
		c.state()
	case "disk":
		err = c.onAgent(args, func(m *sim.Machine) error { m.WriteDisk(&c.out); return nil })
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

// masterInfo is what the standalone detector appoints, nil while the
// master is down.
func (c *txCluster) masterInfo() *mesos.MasterInfo {
	if !c.mnode.Up() || c.noLeader {
		return nil
	}
	return c.master.Core().Info()
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
			if m := c.agentOn(n); m != nil {
				m.Detected(info)
			}
		}
	}
}

// ---- commands ----

func (c *txCluster) agentOn(n *sim.Node) *sim.Machine {
	if a := c.agents[n.Name]; a != nil && a.Node() == n {
		return a
	}
	return nil
}

func (c *txCluster) onAgent(args []sim.Arg, fn func(*sim.Machine) error) error {
	n, err := c.s.NamedNode(args)
	if err != nil {
		return err
	}
	a := c.agentOn(n)
	if a == nil {
		return fmt.Errorf("%s is not an agent", n.Name)
	}
	return fn(a)
}

func (c *txCluster) crash(args []sim.Arg) error {
	n, err := c.s.NamedNode(args)
	if err != nil {
		return err
	}
	if a := c.agentOn(n); a != nil {
		a.Down()
	}
	for _, a := range c.agents {
		if ok, err := a.RunsExecutor(n); ok {
			return err
		}
	}
	c.s.Crash(n)
	return c.s.Settle()
}

func (c *txCluster) restart(args []sim.Arg) error {
	n, err := c.s.NamedNode(args)
	if err != nil {
		return err
	}
	if n == c.mnode {
		c.noLeader = false
		if err := c.master.Start(sim.HasArg(args, "recover")); err != nil {
			return err
		}
		if err := c.s.Settle(); err != nil {
			return err
		}
		c.appoint()
		return c.s.Settle()
	}
	if a := c.agentOn(n); a != nil {
		return a.Restart(sim.HasArg(args, "wipe"), sim.ArgVal(args, "recover"))
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
		c.master.WriteState(w, c.s, true)
	}
	names := make([]string, 0, len(c.agents))
	for name := range c.agents {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		c.agents[name].WriteState(w)
	}
}
