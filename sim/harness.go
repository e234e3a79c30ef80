package sim

import (
	"fmt"
	"io"
	"math/rand"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/slave/checkpoint"
	"github.com/gomesos/gomesos/slave/containerizer"
)

// The pieces of a cluster under failure that the transcript harness in
// tests/ builds on: a restartable master (Master) and agent machines
// whose disk and executors outlive their agent process (Machine). They
// run the same agent host, simulated executor and master as the
// simulator, with container operations that take no virtual time.

// Master is the real master core over a synchronous allocator on a node,
// as the simulator runs it, with a registry stored at once that outlives
// it: a restarted master can recover from it.
type Master struct {
	s        *Sim
	node     *Node
	cfg      master.Config
	m        *realMaster
	boots    int
	registry *mesosinternal.Registry
}

// NewMaster returns the master of node n with flags cfg; Start starts it.
func NewMaster(s *Sim, n *Node, cfg master.Config) *Master {
	return &Master{s: s, node: n, cfg: cfg}
}

// Start starts a master process, m1, m2, ... in turn, on the node. With
// recover it recovers the registry the last one stored; else it starts
// from an empty one.
func (m *Master) Start(recover bool) error {
	m.boots++
	rm, err := newRealMasterConfig(m.s, m.node.PID, m.cfg, 1, fmt.Sprintf("m%d", m.boots))
	if err != nil {
		return err
	}
	if !recover || m.registry == nil {
		m.registry = &mesosinternal.Registry{}
	}
	rm.registry = m.registry
	m.m = rm
	if m.boots == 1 {
		m.node.Core = rm
	} else {
		m.s.Restart(m.node, rm)
	}
	m.node.Custom = rm.apply
	m.s.Start(m.node, rm.start)
	return nil
}

// Core is the running master's core.
func (m *Master) Core() *master.Core { return m.m.core }

// Allocator is the running master's allocator.
func (m *Master) Allocator() *allocator.Core { return m.m.alloc.Core }

// Sweep checks the running master's resource books (see realMaster.sweep).
func (m *Master) Sweep() error { return m.m.sweep() }

// WriteState writes the master's books: frameworks, agents and their
// tasks, offers; full adds the master's id, unreachable tasks, agents
// recovered from the registry and the removal counts.
func (m *Master) WriteState(w io.Writer, s *Sim, full bool) { writeMasterState(w, s, m.m, full) }

func writeMasterState(w io.Writer, s *Sim, m *realMaster, full bool) {
	v := m.core.View()
	if full {
		fmt.Fprintf(w, "master %s\n", m.core.Info().GetId())
	}
	for _, f := range v.Frameworks {
		fmt.Fprintf(w, "framework %s (%s) connected=%v active=%v\n", f.ID, s.Name(f.PID), f.Connected, f.Active)
		if full {
			for _, t := range f.UnreachableTasks {
				fmt.Fprintf(w, "  unreachable task %s %s\n", t.GetTaskId().GetValue(), t.GetState())
			}
		}
		for _, t := range f.CompletedTasks {
			fmt.Fprintf(w, "  completed task %s %s\n", t.GetTaskId().GetValue(), t.GetState())
		}
	}
	for _, a := range v.Agents {
		fmt.Fprintf(w, "agent %s (%s) connected=%v active=%v total=%s free=%s\n", a.ID, s.Name(a.PID), a.Connected, a.Active,
			compact(m.alloc.Core.Total(a.ID)), compact(m.alloc.Core.Available(a.ID)))
		for _, t := range a.Tasks {
			fmt.Fprintf(w, "  task %s framework=%s %s res=%s\n", t.GetTaskId().GetValue(), t.GetFrameworkId().GetValue(), t.GetState(), compact(resources.Resources(t.GetResources()).Unallocate()))
		}
	}
	for _, id := range v.Unreachable {
		fmt.Fprintf(w, "unreachable agent %s\n", id)
	}
	if full {
		for _, id := range v.Recovered {
			fmt.Fprintf(w, "recovered agent %s (not back yet)\n", id)
		}
	}
	for _, o := range v.Offers {
		fmt.Fprintf(w, "offer %s framework=%s agent=%s res=%s\n", o.ID, o.FrameworkID, o.AgentID, compact(o.Resources.Unallocate()))
	}
	if r := m.core.Removals(); full && r != (master.AgentRemovals{}) {
		fmt.Fprintf(w, "removals %+v\n", r)
	}
}

// MachineConfig describes an agent machine of a transcript harness.
type MachineConfig struct {
	Resources resources.Resources
	WorkDir   string         // the agent's --work_dir; its disk holds files under it
	Backoff   time.Duration  // --registration_backoff_factor; a start runs the clock this far
	UUIDs     protocol.UUIDs // status update UUIDs
	// Master is what the standalone detector appoints: nil while there is
	// no master (the agent waits for Detected).
	Master func() *mesos.MasterInfo
}

// Machine is an agent machine whose agent process can crash and restart:
// slave.Core on its node, a checkpoint disk in memory that outlives it,
// and containers whose simulated executors (manual: tasks run at once and
// end when told) are nodes of their own and outlive a crashed agent until
// they decide to exit. A container's end reaches the agent process that
// waits for it (WaitContainer), as the containerizer reaps it; after a
// restart, the containers the checkpoint names are adopted and the others
// destroyed as orphans. The containerizer checkpoints no forked pid.
type Machine struct {
	s    *Sim
	node *Node
	cfg  MachineConfig
	h    *agentHost
	boot int // incarnation of the agent process
	// hold: sandboxes are prepared only on Release (a slow disk), so that
	// messages can arrive between the parts of a launch.
	hold bool
	held []func(time.Time) []effect.Effect
}

// NewMachine starts an agent on node n over an empty disk and runs the
// clock until it has registered (cfg.Backoff).
func NewMachine(s *Sim, n *Node, cfg MachineConfig) (*Machine, error) {
	m := &Machine{s: s, node: n, cfg: cfg}
	return m, m.boot1(newSimDisk(), nil, nil, 0, "")
}

// Node is the agent's node.
func (m *Machine) Node() *Node { return m.node }

// Core is the running (or last) agent process's core.
func (m *Machine) Core() *slave.Core { return m.h.core }

// boot1 starts an agent process over disk and the machine's containers,
// recovering from st (nil: nothing checkpointed), as the agent daemon
// does: Started, then Recover.
func (m *Machine) boot1(disk *simDisk, st *checkpoint.State, conts map[string]*simContainer, nextID int, recover string) error {
	cfg := slave.DefaultConfig()
	cfg.WorkDir = m.cfg.WorkDir
	cfg.Hostname = m.node.Name
	cfg.MaxLaunchesInFlight = 8
	cfg.RegistrationBackoffFactor = m.cfg.Backoff
	if recover != "" {
		cfg.Recover = recover
	}
	m.boot++
	m.held = nil
	h := &agentHost{s: m.s, node: m.node, disk: disk, plan: TaskPlan{Manual: true}, uuids: m.cfg.UUIDs, conts: conts,
		nextID: nextID, master: m.cfg.Master, instant: true, workDir: m.cfg.WorkDir, noPIDFile: true, onEnd: m.end}
	if h.conts == nil {
		h.conts = map[string]*simContainer{}
	}
	for _, c := range h.conts {
		c.host = h
	}
	info := &mesos.SlaveInfo{Hostname: proto.String(m.node.Name), Port: proto.Int32(5051), Resources: m.cfg.Resources}
	h.core = slave.NewCore(cfg, info, m.node.PID, slave.Deps{
		UUIDs:        m.cfg.UUIDs,
		ContainerIDs: h.containerID,
		Rand:         rand.New(rand.NewSource(int64(m.boot))),
		Log:          quietLog,
	})
	m.h = h
	m.Down()
	if m.boot == 1 {
		m.node.Core = agentCore{h.core}
	} else {
		m.s.Restart(m.node, agentCore{h.core})
	}
	m.node.Custom = m.apply
	core := h.core
	m.s.Start(m.node, func(now time.Time) []effect.Effect {
		return append(core.Started(now), diskFirst(core.Recover(now, st))...)
	})
	return m.s.RunFor(m.cfg.Backoff)
}

// Restart starts a new agent process on the machine (the running one
// crashes first). It recovers from what the last one checkpointed, unless
// wipe (a new --work_dir); recover, if set, is its --recover.
func (m *Machine) Restart(wipe bool, recover string) error {
	if m.node.Up() {
		m.Down()
		m.s.Crash(m.node)
		if err := m.s.Settle(); err != nil {
			return err
		}
	}
	disk := m.h.disk
	if wipe {
		disk = newSimDisk()
	}
	st, _, err := checkpoint.Parse(disk.files(), true)
	if err != nil {
		return fmt.Errorf("%s: agent recovery: %w", m.node.Name, err)
	}
	return m.boot1(disk, st, m.h.conts, m.h.nextID, recover)
}

// Detected gives the agent the master the detector appoints.
func (m *Machine) Detected(info *mesos.MasterInfo) {
	core := m.h.core
	m.node.Post(0, func(now time.Time) []effect.Effect { return core.Detected(now, info) })
}

// Down is the agent process's end: nobody waits for the containers now.
func (m *Machine) Down() {
	for _, c := range m.h.conts {
		c.waited = false
	}
}

// Hold makes sandbox preparation wait for Release.
func (m *Machine) Hold() { m.hold = true }

// Release prepares the held sandboxes and stops holding them.
func (m *Machine) Release() error {
	m.hold = false
	for _, fn := range m.held {
		m.node.Post(0, fn)
	}
	m.held = nil
	return m.s.Settle()
}

// apply carries out the agent core's own effects: the container
// operations whose model differs from the simulator's here, the rest as
// the simulator's agent host does.
func (m *Machine) apply(n *Node, e effect.Effect) {
	h := m.h
	core := h.core
	switch e := e.(type) {
	case slave.PrepareSandbox:
		if m.hold {
			m.held = append(m.held, func(now time.Time) []effect.Effect { return core.SandboxPrepared(now, e, nil) })
			return
		}
	case slave.WaitContainer:
		c := h.conts[e.ContainerID]
		if c == nil {
			// Nothing of it is left on the machine: it ended long ago.
			n.Post(0, func(now time.Time) []effect.Effect {
				return core.ContainerExited(now, e.ContainerID, nil, fmt.Errorf("unknown container %s", e.ContainerID))
			})
			return
		}
		c.waited = true
		if c.ended {
			m.report(c)
		}
		return
	case slave.DestroyContainer:
		c := h.conts[e.ContainerID]
		n.Post(0, func(now time.Time) []effect.Effect {
			out := core.ContainerDestroyed(now, e.ContainerID, nil)
			if c != nil && !c.ended {
				m.end(c, 9) // SIGKILL
			}
			return out
		})
		return
	case slave.RecoverContainers:
		adopt := map[string]bool{}
		for _, r := range e.Containers {
			adopt[r.ID] = true
		}
		// What the last agent process did not checkpoint is an orphan: the
		// containerizer destroys it.
		for _, c := range h.sorted() {
			if !adopt[c.id] && !c.ended {
				m.end(c, 9)
			}
			if !adopt[c.id] {
				delete(h.conts, c.id)
			}
		}
		n.Post(0, func(now time.Time) []effect.Effect { return core.ContainersRecovered(now, nil) })
		return
	case slave.RecoveryCleanupDone:
		n.Post(0, func(time.Time) []effect.Effect {
			m.Down()
			m.s.Crash(n) // the daemon exits
			return nil
		})
		return
	case slave.Redetect:
		// A standalone detector: the master, if one is up; otherwise the
		// agent waits until one is appointed.
		if info := m.cfg.Master(); info != nil {
			n.Post(0, func(now time.Time) []effect.Effect { return core.Detected(now, info) })
		}
		return
	}
	h.apply(n, e)
}

// end finishes c with a wait status: its executor is gone, and the agent,
// if it waits for it, is told.
func (m *Machine) end(c *simContainer, status int32) {
	if c.ended {
		return
	}
	c.ended, c.status = true, status
	if c.exec != nil {
		m.s.Remove(c.exec)
		c.exec = nil
	}
	if c.waited && m.node.Up() {
		m.report(c)
	}
}

// report tells the current agent process that c ended.
func (m *Machine) report(c *simContainer) {
	core, status := m.h.core, c.status
	c.waited = false
	delete(m.h.conts, c.id)
	m.node.Post(0, func(now time.Time) []effect.Effect {
		return core.ContainerExited(now, c.id, &containerizer.Termination{Status: &status}, nil)
	})
}

// RunsExecutor reports whether n is the node of one of the machine's
// executors, and crashes it if so (see CrashExecutor).
func (m *Machine) RunsExecutor(n *Node) (bool, error) {
	for _, c := range m.h.sorted() {
		if c.exec == n {
			return true, m.CrashExecutor(c.eid)
		}
	}
	return false, nil
}

// CrashExecutor kills executor eid's process (kill -9).
func (m *Machine) CrashExecutor(eid string) error {
	for _, c := range m.h.sorted() {
		if c.eid == eid && !c.ended {
			m.end(c, 9)
			return m.s.Settle()
		}
	}
	return fmt.Errorf("%s runs no executor %q", m.node.Name, eid)
}

// Status makes the executor of task tid send an update in state.
func (m *Machine) Status(tid string, state mesos.TaskState) error {
	if !m.h.taskUpdate(tid, state, false) {
		return fmt.Errorf("%s runs no task %q", m.node.Name, tid)
	}
	return m.s.Settle()
}

// taskUpdate makes the executor that has task tid (that runs it, if
// running) send an update in state, as the script's status command asks;
// it reports false if no executor of the host has it.
func (h *agentHost) taskUpdate(tid string, state mesos.TaskState, running bool) bool {
	for _, c := range h.sorted() {
		if c.core == nil || c.exec == nil || c.ended || c.core.task(tid) == nil || running && !c.core.running(tid) {
			continue
		}
		x := c.core
		c.exec.Post(0, func(now time.Time) []effect.Effect {
			if !running || x.running(tid) {
				x.CancelTimer(timerKey(&endKeys, endPrefix, x.taskIndex(tid)))
				x.update(now, tid, state)
			}
			return x.Take()
		})
		return true
	}
	return false
}

// WriteState writes the agent's own view: registered or not, and its
// containers with their tasks.
func (m *Machine) WriteState(w io.Writer) {
	core := m.h.core
	up := "down"
	switch {
	case m.node.Up() && core.Recovering():
		up = "recovering"
	case m.node.Up() && core.Registered():
		up = "registered"
	case m.node.Up():
		up = "not registered"
	}
	fmt.Fprintf(w, "%s: %s id=%s\n", m.node.Name, up, core.ID())
	for _, c := range m.h.sorted() {
		tasks := []string{}
		if c.core != nil {
			for _, t := range c.core.tasks {
				tasks = append(tasks, t.id+"="+t.state.String())
			}
		}
		life := "running"
		if c.ended {
			life = fmt.Sprintf("ended status=%d", c.status)
		}
		fmt.Fprintf(w, "  container %s executor=%s %s tasks=%v\n", c.id, c.eid, life, tasks)
	}
}

// WriteDisk lists the agent's checkpoint files.
func (m *Machine) WriteDisk(w io.Writer) {
	files := m.h.disk.files()
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if f := files[k]; f.IsLink {
			fmt.Fprintf(w, "%s -> %s\n", k, f.Link)
		} else {
			fmt.Fprintf(w, "%s (%d bytes)\n", k, len(f.Data))
		}
	}
}

// FrameworkBook is what a scripted framework (one that sends raw
// messages on the script's word) keeps of what the master told it: its
// id, its offers, the latest update of each task that wants an
// acknowledgement, and the errors it got.
type FrameworkBook struct {
	ID      string
	Offers  map[string]*mesos.Offer
	Unacked map[string]*mesosinternal.StatusUpdate // by task
	Errors  []string
}

// NewFrameworkBook returns the book of a framework with id ("" before it
// registers).
func NewFrameworkBook(id string) FrameworkBook {
	return FrameworkBook{ID: id, Offers: map[string]*mesos.Offer{}, Unacked: map[string]*mesosinternal.StatusUpdate{}}
}

// Observe notes a message from the master.
func (b *FrameworkBook) Observe(msg proto.Message) {
	switch msg := msg.(type) {
	case *mesosinternal.FrameworkRegisteredMessage:
		b.ID = msg.GetFrameworkId().GetValue()
	case *mesosinternal.FrameworkReregisteredMessage:
		b.ID = msg.GetFrameworkId().GetValue()
	case *mesosinternal.ResourceOffersMessage:
		for _, o := range msg.GetOffers() {
			b.Offers[o.GetId().GetValue()] = o
		}
	case *mesosinternal.RescindResourceOfferMessage:
		delete(b.Offers, msg.GetOfferId().GetValue())
	case *mesosinternal.StatusUpdateMessage:
		if len(msg.GetUpdate().GetUuid()) > 0 {
			b.Unacked[msg.GetUpdate().GetStatus().GetTaskId().GetValue()] = msg.GetUpdate()
		}
	case *mesosinternal.FrameworkErrorMessage:
		b.Errors = append(b.Errors, msg.GetMessage())
	}
}
