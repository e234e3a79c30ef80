package sim

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// Faults switch the kinds of fault a cluster run injects. Crash takes
// down a whole agent machine (its executors die with it; it comes back
// as a new agent) or a framework; AgentRestart crashes only the agent
// process, which restarts over its disk and recovers; DiskLoss crashes an
// agent in the middle of a checkpoint write (lost or torn) before it
// restarts and recovers; MasterRestart crashes the master, which comes
// back and recovers from its registry; LeaderLoss runs two or three
// master candidates in an in-memory election and expires the leader's
// session: the next candidate leads and recovers from the shared registry.
type Faults struct {
	Drop, Dup, Reorder, Delay, Partition, Crash bool
	AgentRestart, MasterRestart, DiskLoss       bool
	LeaderLoss                                  bool
}

// faultNames lists the faults in ParseFaults' words.
const faultNames = "drop, dup, reorder, delay, partition, crash, agent-restart, master-restart, disk-loss, leader-loss"

// ParseFaults reads a comma-separated list of faultNames, all, or none.
func ParseFaults(s string) (Faults, error) {
	var f Faults
	for _, w := range strings.Split(s, ",") {
		switch strings.TrimSpace(w) {
		case "", "none":
		case "drop":
			f.Drop = true
		case "dup":
			f.Dup = true
		case "reorder":
			f.Reorder = true
		case "delay":
			f.Delay = true
		case "partition":
			f.Partition = true
		case "crash":
			f.Crash = true
		case "agent-restart":
			f.AgentRestart = true
		case "master-restart":
			f.MasterRestart = true
		case "disk-loss":
			f.DiskLoss = true
		case "leader-loss":
			f.LeaderLoss = true
		case "all":
			f = Faults{true, true, true, true, true, true, true, true, true, true}
		default:
			return f, fmt.Errorf("unknown fault %q (want %s, all or none)", w, faultNames)
		}
	}
	return f, nil
}

func (f Faults) String() string {
	var w []string
	for _, x := range []struct {
		on   bool
		name string
	}{{f.Drop, "drop"}, {f.Dup, "dup"}, {f.Reorder, "reorder"}, {f.Delay, "delay"}, {f.Partition, "partition"}, {f.Crash, "crash"},
		{f.AgentRestart, "agent-restart"}, {f.MasterRestart, "master-restart"}, {f.DiskLoss, "disk-loss"}, {f.LeaderLoss, "leader-loss"}} {
		if x.on {
			w = append(w, x.name)
		}
	}
	if len(w) == 0 {
		return "none"
	}
	return strings.Join(w, ",")
}

// Config describes one cluster run.
type Config struct {
	Seed       uint64
	Agents     int
	Frameworks int
	Tasks      int // tasks in all, shared out among the frameworks
	Faults     Faults

	AgentResources string        // default "cpus:4;mem:8192"
	TaskResources  string        // default "cpus:1;mem:128"
	TaskTime       time.Duration // mean virtual run time of a task (default 10s)
	FailRate       float64       // share of tasks that fail (default 0.1)
	Master         MasterTimes   // default DefaultMasterTimes
	MaxVirtual     time.Duration // give up (a violation) after this much virtual time (default 6h)
	// Progress, if set, is called each time another ProgressEvery tasks
	// have ended (a long run's figures along the way).
	Progress      func(finished int, virtual time.Duration)
	ProgressEvery int
	// MaxCompletedTasks is the master's --max_completed_tasks_per_framework
	// (0: its default, 1000).
	MaxCompletedTasks int
	// SweepEvery runs the whole-cluster resource check every this many
	// steps (default 1: every step; it costs agents x frameworks).
	SweepEvery uint64
	// Trace, if set, gets every message handled, one line each.
	Trace io.Writer
	// StandInFrameworks runs the simulator's message-level stand-in
	// frameworks instead of schedulers on schedulerdriver.Inline.
	StandInFrameworks bool
	// StandInMaster runs the simulator's stand-in master instead of
	// master.Core (to tell a bug of one from the other).
	StandInMaster bool
	// NoClone skips copying messages on delivery (safe for the cores here,
	// which never change a message they sent or received; a faulty seed
	// traced the same both ways).
	NoClone bool
	// Workers, if not 0, runs the windowed engine on this many goroutines
	// (Options.Workers); it cannot run the disk-loss and leader-loss
	// faults.
	Workers int
	// CountDiskWrites: the agents' disks count their checkpoint writes
	// and keep none (the agent core makes and hands over every write as
	// ever). Only for runs in which no agent reads its disk back: not with
	// the agent-restart, crash and disk-loss faults.
	CountDiskWrites bool
}

// maxHosts is the most agents and frameworks a cluster has: each is a
// host, beside the masters'.
const maxHosts = 1<<hostBits - 64

func (c *Config) defaults() error {
	if c.Agents <= 0 || c.Frameworks <= 0 || c.Tasks < 0 {
		return fmt.Errorf("need at least one agent and one framework and no negative task count (agents=%d frameworks=%d tasks=%d)", c.Agents, c.Frameworks, c.Tasks)
	}
	if c.Agents+c.Frameworks > maxHosts {
		return fmt.Errorf("at most %d agents and frameworks together (agents=%d frameworks=%d): a queue entry numbers its host in %d bits", maxHosts, c.Agents, c.Frameworks, hostBits)
	}
	if c.AgentResources == "" {
		c.AgentResources = "cpus:4;mem:8192"
	}
	if c.TaskResources == "" {
		c.TaskResources = "cpus:1;mem:128"
	}
	if c.TaskTime <= 0 {
		c.TaskTime = 10 * time.Second
	}
	if c.FailRate == 0 {
		c.FailRate = 0.1
	}
	if c.Master == (MasterTimes{}) {
		c.Master = DefaultMasterTimes
	}
	if c.MaxVirtual <= 0 {
		c.MaxVirtual = 6 * time.Hour
	}
	if c.SweepEvery == 0 {
		c.SweepEvery = 1
	}
	if c.Workers < 0 {
		return fmt.Errorf("workers=%d: want 0 (the serial engine) or more", c.Workers)
	}
	if c.CountDiskWrites && (c.Faults.AgentRestart || c.Faults.Crash || c.Faults.DiskLoss) {
		return errors.New("count-only disks cannot run the agent-restart, crash and disk-loss faults: an agent reads its disk back")
	}
	if c.Workers > 0 && (c.Faults.DiskLoss || c.Faults.LeaderLoss) {
		// A torn write crashes its agent inside a window; a leader loss
		// fences the master from a hook the master reads in a window.
		return fmt.Errorf("the windowed engine (workers=%d) cannot run the disk-loss and leader-loss faults", c.Workers)
	}
	return nil
}

// Cluster is a master, agents and frameworks in one simulation.
type Cluster struct {
	Sim    *Sim
	cfg    Config
	master *Node
	agents []*Node
	fws    []*Node
	fwst   []*fwState
	boots  []int        // new machines (empty disk) per agent
	hosts  []*agentHost // by agent, as c.agents
	// diskWritesGone counts the writes to the disks of replaced machines.
	diskWritesGone uint64

	agentIdx      map[actors.PID]int
	ended         int // tasks the frameworks heard the end of (fwState.done)
	counts        Counts
	masterRuns    int       // master incarnations started
	masterStarted time.Time // when the running master started
	draining      bool      // the tasks have ended: no more faults
	// noLeaderWhileDown: detectors see no master while it is down (a
	// failover measurement), not the last one.
	noLeaderWhileDown bool
	election          *election // master candidates (leader-loss), or nil

	agentRes, taskRes resources.Resources
	fit               int // tasks an agent runs at once, at most
	uuids             protocol.UUIDs
	agentUUIDs        []protocol.UUIDs // by agent, under the windowed engine
	check             *checker
	sweep             func() error // the master's resource books
	masterInfo        func() *mesos.MasterInfo
}

// fits is how many tasks of task fit on an agent of total at once.
func fits(total, task resources.Resources) int {
	n := 0
	for left := total; n < maxFits && left.Contains(task); n++ {
		left = left.Subtract(task)
	}
	return n
}

// maxFits bounds fits' count: a hint need not be exact.
const maxFits = 1024

// NewCluster builds the cluster of cfg; nothing runs until Run.
func NewCluster(cfg Config) (*Cluster, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	agentRes, err := resources.Parse(cfg.AgentResources, "*")
	if err != nil {
		return nil, fmt.Errorf("agent resources: %w", err)
	}
	taskRes, err := resources.Parse(cfg.TaskResources, "*")
	if err != nil {
		return nil, fmt.Errorf("task resources: %w", err)
	}
	if taskRes.IsEmpty() || !agentRes.Contains(taskRes) {
		return nil, fmt.Errorf("a task (%s) does not fit an agent (%s)", taskRes, agentRes)
	}
	c := &Cluster{
		Sim:      New(Options{Seed: cfg.Seed, Latency: time.Millisecond, NoClone: cfg.NoClone, Workers: cfg.Workers}),
		cfg:      cfg,
		agentRes: agentRes,
		taskRes:  taskRes,
		uuids:    protocol.SequentialUUIDs(cfg.Seed),
		agentIdx: make(map[actors.PID]int, cfg.Agents),
	}
	s := c.Sim
	// The node tables at their fullest: the master, the agents, the
	// frameworks, and an executor per task running, at most as many as
	// fit on the agents at once.
	c.fit = fits(agentRes, taskRes)
	execs := min(cfg.Tasks, cfg.Agents*c.fit)
	s.Reserve(1+cfg.Agents+cfg.Frameworks+execs, 1+cfg.Agents+cfg.Frameworks)
	mpid := actors.PID{ID: "master", Address: "127.0.0.1:5050"}
	if c.master, c.sweep, err = addMasterWith(s, mpid, cfg.StandInMaster, cfg.Master, cfg.MaxCompletedTasks, cfg.Seed); err != nil {
		return nil, err
	}
	c.masterInfo = func() *mesos.MasterInfo {
		if c.noLeaderWhileDown && !c.master.Up() {
			return nil // as a ZooKeeper detector during an election
		}
		if m, ok := c.master.Core.(*realMaster); ok {
			return m.core.Info()
		}
		return c.master.Core.(*standInMaster).info()
	}
	if cfg.Faults.LeaderLoss && !cfg.StandInMaster {
		if err := c.addCandidates(); err != nil {
			return nil, err
		}
	}
	c.check = newChecker(c)
	for i := 0; i < cfg.Agents; i++ {
		name := fmt.Sprintf("agent%d", i+1)
		pid := actors.PID{ID: "slave(1)", Address: fmt.Sprintf("127.0.%d.%d:5051", (i+1)/250, (i+1)%250+1)}
		n, err := s.Add(name, pid, nil, nil)
		if err != nil {
			return nil, err
		}
		c.agentIdx[pid] = i
		n.agentNo = int32(i + 1)
		c.agents = append(c.agents, n)
		c.boots = append(c.boots, 0)
		c.hosts = append(c.hosts, nil)
		c.startAgent(i, false)
	}
	for j := 0; j < cfg.Frameworks; j++ {
		name := fmt.Sprintf("sched%d", j+1)
		want := cfg.Tasks / cfg.Frameworks
		if j < cfg.Tasks%cfg.Frameworks {
			want++
		}
		// Every other framework checkpoints (the first among them): its
		// executors outlive an agent restart; every fourth is
		// PARTITION_AWARE (told TASK_UNREACHABLE, not TASK_LOST).
		st := &fwState{name: name, want: want, tasks: make(map[string]*fwTask, want), checkpoint: j%2 == 0, partitionAware: j%4 == 0, ended: &c.ended}
		if cfg.Workers > 0 {
			st.ended = nil // frameworks run side by side: finished adds them up
		}
		pid := actors.PID{ID: "scheduler(1)", Address: fmt.Sprintf("127.1.%d.%d:9000", (j+1)/250, (j+1)%250+1)}
		c.fwst = append(c.fwst, st)
		if cfg.StandInFrameworks {
			f := newStandInFramework(pid, mpid, st, taskRes)
			n, err := s.Add(name, pid, f, nil)
			if err != nil {
				return nil, err
			}
			c.fws = append(c.fws, n)
			c.check.isFw[name] = st
			s.Start(n, f.start)
			continue
		}
		d, sched := newDriverFramework(st, taskRes, c.check, cfg.Seed)
		n, err := s.Add(name, pid, d, driverEffects(c.masterInfo))
		if err != nil {
			return nil, err
		}
		st.node = n
		c.fws = append(c.fws, n)
		startDriver(s, n, d, sched, c.masterInfo)
	}
	s.Trace = c.check.observe
	s.Check = c.check.step
	c.injectFaults()
	return c, nil
}

// addMaster adds and starts the master node: master.Core over a
// synchronous allocator core, or the stand-in.
func addMaster(s *Sim, pid actors.PID, standIn bool, times MasterTimes, seed uint64) (*Node, func() error, error) {
	return addMasterWith(s, pid, standIn, times, 0, seed)
}

// addMasterWith is addMaster with the master's
// --max_completed_tasks_per_framework (0: the default).
func addMasterWith(s *Sim, pid actors.PID, standIn bool, times MasterTimes, maxCompleted int, seed uint64) (*Node, func() error, error) {
	if standIn {
		m := newStandInMaster(pid, times, seed)
		n, err := s.Add("master", pid, m, nil)
		if err != nil {
			return nil, nil, err
		}
		s.Start(n, m.start)
		return n, func() error { return sweepBooks(m) }, nil
	}
	m, err := newRealMaster(s, pid, times.Offer, maxCompleted, seed, "m1")
	if err != nil {
		return nil, nil, err
	}
	n, err := s.Add("master", pid, m, m.apply)
	if err != nil {
		return nil, nil, err
	}
	s.Start(n, m.start)
	return n, m.sweep, nil
}

// startAgent puts a new agent process on agent i's node and starts it:
// with keep, over the disk and live containers of the process that
// crashed (it recovers, and keeps its agent id); without, over an empty
// disk (a new machine: a new agent to the master).
func (c *Cluster) startAgent(i int, keep bool) {
	n := c.agents[i]
	hostname := n.Name
	if c.boots[i] > 0 {
		hostname = fmt.Sprintf("%s-boot%d", n.Name, c.boots[i])
	}
	h := newAgentHost(c.Sim, n.PID, hostname, c.agentRes, TaskPlan{Time: c.cfg.TaskTime, FailRate: c.cfg.FailRate}, c.agentUUIDsOf(i), c.masterInfo, 0)
	h.node = n
	h.conts = make(map[string]*simContainer, min(c.fit, c.cfg.Tasks))
	h.disk.countOnly = c.cfg.CountDiskWrites
	if old := c.hosts[i]; keep && old != nil {
		h.takeOver(old)
	} else if old != nil {
		c.diskWritesGone += old.disk.writes
	}
	h.disk.onCrash = func(*Node) {
		c.counts.TornWrites++
		c.crashAgentProcess(i)
	}
	c.hosts[i] = h
	if n.Core != nil {
		c.Sim.Restart(n, agentCore{h.core})
	} else {
		n.Core = agentCore{h.core}
	}
	n.Custom = h.apply
	c.Sim.Start(n, h.start)
}

// agentUUIDsOf is the UUID source of agent i and its executors: the
// cluster's one, or under the windowed engine one per agent (agents run
// side by side), with i in the high half of the seed word so no two agents
// share a UUID.
func (c *Cluster) agentUUIDsOf(i int) protocol.UUIDs {
	if c.cfg.Workers == 0 {
		return c.uuids
	}
	for len(c.agentUUIDs) <= i {
		c.agentUUIDs = append(c.agentUUIDs, protocol.SequentialUUIDs(c.cfg.Seed^uint64(len(c.agentUUIDs)+1)<<32))
	}
	return c.agentUUIDs[i]
}

// crashAgentProcess kills agent i's process (its executors live on) and
// restarts it over its disk after a drawn pause.
func (c *Cluster) crashAgentProcess(i int) {
	n := c.agents[i]
	if !n.Up() {
		return
	}
	c.Sim.Crash(n)
	c.counts.AgentRestarts++
	back := time.Duration(1+c.Sim.Rand().IntN(30)) * time.Second
	c.Sim.At(c.Sim.Now().Add(back), func() { c.startAgent(i, true) })
}

// masterRestartGap is the least time between a restarted master's start
// and the next master-restart fault: more than --agent_reregister_timeout (10
// minutes), so that a restarted master with a registry gets to give up
// on the agents that do not come back. A master that fails over faster
// than that never does, and tasks on such agents stay unknown, as in
// Mesos.
const masterRestartGap = 15 * time.Minute

// crashMaster kills the master and starts a new one at the same address
// after a drawn pause; it recovers from the registry (held in memory, it
// outlives the master).
func (c *Cluster) crashMaster() {
	if !c.master.Up() {
		return
	}
	c.Sim.Crash(c.master)
	c.counts.MasterRestarts++
	back := time.Duration(1+c.Sim.Rand().IntN(30)) * time.Second
	c.Sim.At(c.Sim.Now().Add(back), c.restartMaster)
}

func (c *Cluster) restartMaster() { c.startMaster(c.master) }

// startMaster starts a new master core on n, which becomes the master
// node; it recovers from the registry of the master before it.
func (c *Cluster) startMaster(n *Node) {
	c.masterRuns++
	m, err := newRealMaster(c.Sim, n.PID, c.cfg.Master.Offer, c.cfg.MaxCompletedTasks, c.cfg.Seed+uint64(c.masterRuns), fmt.Sprintf("m%d", c.masterRuns+1))
	if err != nil {
		c.Sim.Fail(err)
		return
	}
	if old, ok := c.master.Core.(*realMaster); ok {
		m.registry = old.registry // the in-memory registry outlives the master
		m.fence = old.fence
	}
	c.master = n
	c.Sim.Restart(n, m)
	c.masterStarted = c.Sim.Now()
	n.Custom = m.apply
	c.sweep = m.sweep
	c.Sim.Start(n, m.start)
}

// crash stops a node; an agent's machine goes with it, executors and all.
func (c *Cluster) crash(n *Node) {
	c.Sim.Crash(n)
	for i, a := range c.agents {
		if a == n {
			c.hosts[i].lost()
		}
	}
}

// injectFaults installs the network rules and schedules partitions and
// crashes every ten virtual seconds, each drawn from the seed.
func (c *Cluster) injectFaults() {
	f := c.cfg.Faults
	r := Rule{}
	if f.Drop {
		r.Drop = 0.01
	}
	if f.Dup {
		r.Dup = 0.01
	}
	if f.Reorder {
		r.Reorder = 0.02
	}
	if f.Delay {
		r.Delay = 50 * time.Millisecond
	}
	if r != (Rule{}) {
		// libprocess never delivers a message twice; Mesos only copes with
		// the duplicates its own retries make (registrations, status
		// updates, acknowledgements). A duplicated LaunchTasksMessage makes
		// the master answer the second copy with TASK_LOST for a task that
		// then runs, so frameworks' messages to the master are not doubled.
		noDup := r
		noDup.Dup = 0
		masters := []*Node{c.master}
		if c.election != nil {
			masters = c.election.nodes
		}
		for _, f := range c.fws {
			for _, m := range masters {
				noDup.From, noDup.To = f.Name, m.Name
				c.Sim.Net.AddRule(noDup)
			}
		}
		c.Sim.Net.AddRule(r)
	}
	if !f.Partition && !f.Crash && !f.AgentRestart && !f.DiskLoss && !f.MasterRestart && c.election == nil {
		return
	}
	s := c.Sim
	var tick func()
	tick = func() {
		if c.draining {
			return
		}
		rng := s.Rand()
		if f.Partition && rng.Float64() < 0.3 {
			victim := c.victim()
			heal := time.Duration(1+rng.IntN(120)) * time.Second
			s.Net.Partition([]*Node{c.master}, []*Node{victim}, heal)
		}
		if f.Crash && rng.Float64() < 0.3 {
			victim := c.victim()
			back := time.Duration(1+rng.IntN(30)) * time.Second
			if victim.Up() {
				c.crash(victim)
				s.At(s.Now().Add(back), func() { c.restart(victim) })
			}
		}
		if f.AgentRestart && rng.Float64() < 0.2 {
			c.crashAgentProcess(rng.IntN(len(c.agents)))
		}
		if f.DiskLoss && rng.Float64() < 0.15 {
			if h := c.hosts[rng.IntN(len(c.agents))]; h.node.Up() {
				h.disk.crashAtWrite = true
			}
		}
		if f.MasterRestart && !c.cfg.StandInMaster && rng.Float64() < 0.05 && (c.masterRuns == 0 || s.Now().Sub(c.masterStarted) >= masterRestartGap) {
			c.crashMaster()
		}
		if c.election != nil && rng.Float64() < 0.05 && (c.masterRuns == 0 || s.Now().Sub(c.masterStarted) >= masterRestartGap) {
			// The session expires at a drawn instant within the tick.
			s.At(s.Now().Add(time.Duration(rng.IntN(10000))*time.Millisecond), c.loseLeader)
		}
		s.At(s.Now().Add(10*time.Second), tick)
	}
	s.At(s.Now().Add(10*time.Second), tick)
}

func (c *Cluster) victim() *Node {
	rng := c.Sim.Rand()
	i := rng.IntN(len(c.agents) + len(c.fws))
	if i < len(c.agents) {
		return c.agents[i]
	}
	return c.fws[i-len(c.agents)]
}

// restart brings a crashed node back: an agent as a new agent (it keeps no
// checkpoint), a framework from its scheduler's store with its ID.
func (c *Cluster) restart(n *Node) {
	if i := c.agentOf(n); i >= 0 {
		c.boots[i]++
		c.startAgent(i, false)
		return
	}
	for j, f := range c.fws {
		if f != n {
			continue
		}
		if c.cfg.StandInFrameworks {
			core := newStandInFramework(n.PID, c.master.PID, c.fwst[j], c.taskRes)
			c.Sim.Restart(n, core)
			c.Sim.Start(n, core.start)
			return
		}
		d, sched := newDriverFramework(c.fwst[j], c.taskRes, c.check, c.cfg.Seed+uint64(c.Sim.Steps()))
		c.Sim.Restart(n, d)
		startDriver(c.Sim, n, d, sched, c.masterInfo)
		return
	}
}

// agentIndex is the index of the agent with pid, or -1.
func (c *Cluster) agentIndex(pid actors.PID) int {
	if i, ok := c.agentIdx[pid]; ok {
		return i
	}
	return -1
}

// agentOf is the index of agent node n, or -1 when n is not one.
func (c *Cluster) agentOf(n *Node) int {
	if n == nil || n.agentNo == 0 || c.agents[n.agentNo-1] != n {
		return -1
	}
	return int(n.agentNo - 1)
}

// fwByID is the state of the framework with id fid, or nil.
func (c *Cluster) fwByID(fid string) *fwState {
	for _, st := range c.fwst {
		if st.id == fid {
			return st
		}
	}
	return nil
}

// drainLimit bounds the quiet time after the last task ended.
const drainLimit = 30 * time.Minute

// drain stops the faults once every task has ended for its framework
// (partitions heal, crashed nodes come back as scheduled) and runs on
// until the cluster is quiet, or for drainLimit: so that what is still
// on its way (an acknowledged update retried to a framework, a task a
// framework was told is lost that runs on) gets there.
func (c *Cluster) drain() {
	s := c.Sim
	c.draining = true
	s.Net.ClearRules()
	s.Net.Heal()
	for _, h := range c.hosts {
		h.disk.crashAtWrite = false
	}
	every := uint64(max(1, len(c.agents)/16))
	deadline := s.Now().Add(drainLimit)
	var lastFinal time.Time
	looked := s.Steps() - 1 // Steps when last looked
	for s.Err() == nil {
		// Quiet, and (looked at once a virtual second: it copies the
		// master's state) every task accounted for: a framework told a
		// task is unreachable hears more when its agent is back.
		// Steps passed a multiple of every since the last look (one
		// step at a time: Steps is one).
		due := s.Steps()/every != looked/every
		looked = s.Steps()
		if due && c.quiet() && s.Now().Sub(lastFinal) >= time.Second {
			lastFinal = s.Now()
			if c.check.final() == nil {
				return
			}
		}
		if t, ok := s.Next(); !ok || t.After(deadline) {
			return
		}
		s.Step()
	}
}

// quiet: every node is up, no acknowledged update is owed, and no
// executor runs a task.
func (c *Cluster) quiet() bool {
	if !c.master.Up() || c.check.owes() {
		return false
	}
	for i, n := range c.agents {
		if !n.Up() {
			return false
		}
		for _, ct := range c.hosts[i].conts {
			if ct.core != nil && !ct.core.gone && ct.core.busy() {
				return false
			}
		}
	}
	for _, f := range c.fws {
		if !f.Up() {
			return false
		}
	}
	return true
}

// MasterCompletedTasks is how many completed task records the running
// master holds (0 for the stand-in).
func (c *Cluster) MasterCompletedTasks() int {
	if m, ok := c.master.Core.(*realMaster); ok {
		return m.core.CompletedTasks()
	}
	return 0
}

// Counts are the faults a run injected.
type Counts struct {
	AgentRestarts  int // agent processes crashed and restarted over their disk
	TornWrites     int // of which in the middle of a checkpoint write
	MasterRestarts int
	LeaderChanges  int // leader sessions expired and another candidate elected
}

// Result is the outcome of a run.
type Result struct {
	Counts   Counts
	Config   Config
	Finished int
	Virtual  time.Duration
	Wall     time.Duration
	Steps    uint64
	Messages uint64
	// DiskWrites counts the agents' checkpoint writes, kept or (with
	// Config.CountDiskWrites) only counted.
	DiskWrites uint64
	Err        error // a *Violation, or nil
}

// Summary is the one-line result the binary prints.
func (r Result) Summary() string {
	inv := "ok"
	if r.Err != nil {
		inv = "violated"
	}
	rate := 0.0
	if r.Wall > 0 {
		rate = float64(r.Finished) / r.Wall.Seconds()
	}
	return fmt.Sprintf("sim: seed=%d agents=%d frameworks=%d tasks=%d finished=%d virtual=%.3fs wall=%.3fs tasks/s=%.0f invariants=%s",
		r.Config.Seed, r.Config.Agents, r.Config.Frameworks, r.Config.Tasks, r.Finished,
		r.Virtual.Seconds(), r.Wall.Seconds(), rate, inv)
}

func (c *Cluster) finished() int {
	if c.cfg.Workers == 0 {
		return c.ended
	}
	n := 0
	for _, st := range c.fwst {
		n += st.finished
	}
	return n
}

// Run runs the cluster until every task has ended, a check fails, or the
// virtual time limit passes (a violation: the run did not finish).
func (c *Cluster) Run() Result {
	s := c.Sim
	start := time.Now()
	deadline := Epoch.Add(c.cfg.MaxVirtual)
	report := c.cfg.ProgressEvery
	for c.finished() < c.cfg.Tasks && s.Err() == nil {
		if t, ok := s.Next(); !ok || t.After(deadline) {
			s.Fail(fmt.Errorf("liveness: %d of %d tasks ended within %v of virtual time", c.finished(), c.cfg.Tasks, c.cfg.MaxVirtual))
			break
		}
		s.Step()
		if c.cfg.Progress != nil && report > 0 && c.finished() >= report {
			c.cfg.Progress(c.finished(), s.Elapsed())
			report += c.cfg.ProgressEvery
		}
	}
	if s.Err() == nil {
		c.drain()
	}
	if s.Err() == nil {
		if err := c.check.sweep(); err != nil {
			s.Fail(err)
		} else if err := c.check.lost(); err != nil {
			s.Fail(err)
		} else if err := c.check.final(); err != nil {
			s.Fail(err)
		}
	}
	writes := c.diskWritesGone
	for _, h := range c.hosts {
		writes += h.disk.writes
	}
	res := Result{Counts: c.counts, DiskWrites: writes, Config: c.cfg, Finished: c.finished(), Virtual: s.Elapsed(), Wall: time.Since(start), Steps: s.Steps(), Messages: s.Sent(), Err: s.Err()}
	return res
}

// IsViolation reports whether err stopped a run on a check.
func IsViolation(err error) bool {
	var v *Violation
	return errors.As(err, &v)
}
