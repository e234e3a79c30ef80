package sim

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// checker holds the cluster invariants. What frameworks see is checked as
// each message is delivered; the resource books are swept after steps.
type checker struct {
	c    *Cluster
	isFw map[string]*fwState // the stand-in frameworks, by node name
	// stray: what was seen of tasks by a framework id not their
	// framework's (the rest is in fwState.tasks).
	stray   map[taskKey]*seenTask
	pending error
	trace   io.Writer

	// updates: by uuid, the updates executors got to their agents (sent,
	// until the agent acknowledges them) and those the agent acknowledged
	// to the executor (owed), until a framework has them. One map, so an
	// update's way costs one entry.
	updates map[string]trackedUpdate
	owed    int // the entries owed
}

// trackedUpdate is a status update as an executor sent it, and once owed,
// the acknowledgement that binds the agent to see it reach the framework.
type trackedUpdate struct {
	fid, tid string
	at       time.Duration // owed since
	state    mesos.TaskState
	inc      uint32 // the agent node's incarnation when it acknowledged
	agent    int32  // index in c.agents
	boot     int32  // the agent machine's boot count then
	// sent: the agent has it and did not acknowledge it (since it was
	// last sent); owed: the agent acknowledged it.
	sent, owed bool
}

type seenTask struct {
	state mesos.TaskState
	n     uint8 // uuids in two
	// agentID is the agent id of the latest update, as its status holds
	// it (nil for none): a pointer, not a copy, keeps fwTask in 64 B.
	agentID *string
	// The uuids of the updates seen: most tasks have two, of 16 bytes;
	// more, and any of another length, go to more.
	two  [2][16]byte
	more *[]string
}

// agent is the agent id of the task's latest update ("" for none).
func (t *seenTask) agent() string {
	if t.agentID == nil {
		return ""
	}
	return *t.agentID
}

// agentOf is st's agent id field (nil for none).
func agentOf(st *mesos.TaskStatus) *string {
	if id := st.GetSlaveId(); id != nil {
		return id.Value
	}
	return nil
}

func (t *seenTask) had(uuid []byte) bool {
	for i := range t.n {
		if string(t.two[i][:]) == string(uuid) {
			return true
		}
	}
	return t.more != nil && slices.Contains(*t.more, string(uuid))
}

func (t *seenTask) add(uuid []byte) {
	if len(uuid) == len(t.two[0]) && int(t.n) < len(t.two) {
		copy(t.two[t.n][:], uuid)
		t.n++
		return
	}
	if t.more == nil {
		t.more = new([]string)
	}
	*t.more = append(*t.more, string(uuid))
}

func newChecker(c *Cluster) *checker {
	return &checker{c: c, isFw: map[string]*fwState{}, stray: map[taskKey]*seenTask{}, trace: c.cfg.Trace,
		updates: map[string]trackedUpdate{}}
}

// allowed says whether a framework may see to after from for one task,
// along Mesos' task state machine.
func allowed(from, to mesos.TaskState) bool {
	if from == mesos.TaskState_TASK_LOST {
		// Not final for a framework without PARTITION_AWARE: a task of a
		// partitioned agent can come back when the agent does.
		return true
	}
	if protocol.IsTerminal(from) {
		return false
	}
	switch from {
	case mesos.TaskState_TASK_STAGING:
		return true
	case mesos.TaskState_TASK_STARTING:
		return to != mesos.TaskState_TASK_STAGING
	case mesos.TaskState_TASK_RUNNING:
		return to == mesos.TaskState_TASK_KILLING || protocol.IsTerminal(to) || to == mesos.TaskState_TASK_UNREACHABLE
	case mesos.TaskState_TASK_KILLING:
		return protocol.IsTerminal(to)
	case mesos.TaskState_TASK_UNREACHABLE:
		return true
	}
	return false
}

// observe checks, for each update a framework receives, that the task
// moves along the state machine: a new update (a UUID the framework has
// not had) never takes a task back or out of a terminal state. Duplicates
// of an update and the master's answers to reconciliation are exempt.
func (k *checker) observe(s *Sim, d Delivery) {
	if k.trace != nil {
		fmt.Fprintf(k.trace, "%v %s\n", s.Elapsed(), s.Line(d))
	}
	if k.pending != nil {
		return
	}
	k.executorTraffic(s, d)
	if d.Dropped != "" {
		return
	}
	up, ok := d.Msg.(*mesosinternal.StatusUpdateMessage)
	if !ok {
		return
	}
	to := d.to.Name // delivered: its node is To's
	st := k.isFw[to]
	if st == nil {
		return
	}
	k.see(d.to, to, st, nil, up.GetUpdate().GetFrameworkId().GetValue(), up.GetUpdate().GetStatus(), up.GetUpdate().GetUuid())
}

func (k *checker) fail(err error) {
	if s := k.c.Sim; s.par {
		// Frameworks run side by side in a window: keep the least.
		s.parMu.Lock()
		defer s.parMu.Unlock()
		if k.pending == nil || err.Error() < k.pending.Error() {
			k.pending = err
		}
		return
	}
	if k.pending == nil {
		k.pending = err
	}
}

// executorTraffic notes the updates executors send their agents and the
// acknowledgements the agents send back (an acknowledgement lost on its
// way to an executor that died still binds the agent).
func (k *checker) executorTraffic(s *Sim, d Delivery) {
	switch m := d.Msg.(type) {
	case *mesosinternal.StatusUpdateMessage:
		if d.Dropped != "" {
			return
		}
		// The address first: it rules out most messages for less.
		if d.From.Address == d.To.Address && k.c.agentOf(d.to) >= 0 {
			u := m.GetUpdate()
			t := k.updates[string(u.GetUuid())] // owed still, if sent again
			t.fid, t.tid, t.state, t.sent = u.GetFrameworkId().GetValue(), u.GetStatus().GetTaskId().GetValue(), u.GetStatus().GetState(), true
			k.updates[string(u.GetUuid())] = t
		}
	case *mesosinternal.StatusUpdateAcknowledgementMessage:
		if d.From.Address != d.To.Address {
			return
		}
		// The agent of the executor's machine, if From is that agent.
		i := -1
		if d.to != nil && d.to.agentNo > 0 {
			if a := k.c.agents[d.to.agentNo-1]; a.PID == d.From {
				i = int(d.to.agentNo - 1)
			}
		} else {
			i = k.c.agentIndex(d.From)
		}
		if i < 0 {
			return
		}
		if t, ok := k.updates[string(m.GetUuid())]; ok && t.sent {
			if !t.owed {
				k.owed++
			}
			t.sent, t.owed = false, true
			t.at, t.agent, t.inc, t.boot = s.Elapsed(), int32(i), k.c.agents[i].inc, int32(k.c.boots[i])
			k.updates[string(m.GetUuid())] = t
		}
	}
}

// see checks one update framework n, named to, was given for framework
// id fid. fw is n's state; t, if not nil, the update's task in fw.tasks.
func (k *checker) see(n *Node, to string, fw *fwState, t *fwTask, fid string, st *mesos.TaskStatus, uuid []byte) {
	if fw != nil && fid != fw.id {
		fw, t = nil, nil // kept in stray, as fw's id was when it came
	}
	if s := k.c.Sim; s.par && s.deferTo(n, func() { k.see(n, to, fw, t, fid, st, uuid) }) {
		return // seen in its lane's order when the window is merged
	}
	if k.pending != nil || st.GetReason() == mesos.TaskStatus_REASON_RECONCILIATION {
		return
	}
	if len(uuid) > 0 {
		// Had before the agent acknowledged it, or after: either way it
		// is no longer owed.
		if t, ok := k.updates[string(uuid)]; ok {
			if t.owed {
				k.owed--
			}
			delete(k.updates, string(uuid))
		}
	}
	tid := st.GetTaskId().GetValue()
	var r *seenTask
	switch {
	case t != nil:
		r = &t.seenTask
	case fw != nil:
		r = &fw.task(tid).seenTask
	default:
		key := taskKey{fid, tid}
		if r = k.stray[key]; r == nil {
			r = &seenTask{state: mesos.TaskState_TASK_STAGING}
			k.stray[key] = r
		}
	}
	k.saw(r, to, tid, st, uuid)
}

// saw checks one update for task t, whose id is tid.
func (k *checker) saw(t *seenTask, to, tid string, st *mesos.TaskStatus, uuid []byte) {
	next := st.GetState()
	if st.GetSource() == mesos.TaskStatus_SOURCE_MASTER && st.GetReason() == mesos.TaskStatus_REASON_SLAVE_REREGISTERED {
		// When an agent it does not know reregisters (after a restart
		// without a registry, or once unreachable), Mesos' master tells
		// each framework its task's latest state as the agent reports it
		// (Master::__reregisterSlave, "Unknown agent reregistered"); the
		// agent's own stream of updates, which may still have older ones
		// unacknowledged, follows. Like a reconciliation answer, it says
		// where the task is, not a step of its stream.
		return
	}
	if (next == mesos.TaskState_TASK_LOST || next == mesos.TaskState_TASK_UNREACHABLE) && st.GetSource() == mesos.TaskStatus_SOURCE_MASTER &&
		(st.GetReason() == mesos.TaskStatus_REASON_SLAVE_DISCONNECTED || st.GetReason() == mesos.TaskStatus_REASON_SLAVE_REMOVED) {
		// Mesos' master reports every task it still holds as lost (or
		// unreachable, to a PARTITION_AWARE framework) when the agent
		// goes, terminal ones whose update was not yet acknowledged
		// included (Master::_removeSlave, __removeSlave,
		// removeFramework(Slave*, Framework*)); the framework may see
		// FINISHED, then LOST or UNREACHABLE.
		t.state = next
		t.agentID = agentOf(st)
		return
	}
	if len(uuid) > 0 {
		if t.had(uuid) {
			return // at-least-once: a duplicate
		}
		t.add(uuid)
	} else if next == t.state {
		return // the master's updates carry no UUID: a copy looks the same
	}
	if next == t.state && protocol.IsTerminal(next) {
		// The master tells of a readmitted agent's latest task states
		// (no UUID); the agent's own update of that state follows.
		return
	}
	if !allowed(t.state, next) {
		k.pending = fmt.Errorf("task state machine: %s saw task %s go %s -> %s", to, tid, t.state, next)
		return
	}
	t.state = next
	t.agentID = agentOf(st)
}

func (k *checker) step(s *Sim) error {
	if k.pending != nil {
		return k.pending
	}
	// Only the master's steps change its books; a hook may crash or cut
	// off nodes, which the master hears of in steps of its own.
	if s.ran(k.c.master) && s.crossed(k.c.cfg.SweepEvery) {
		return k.sweep()
	}
	return nil
}

// sweep checks the resource books of every agent: the allocator's free
// plus allocated equals the agent's total, and what the master has
// offered plus what its tasks use is exactly what the allocator counts as
// allocated, so nothing is offered twice or lost.
func (k *checker) sweep() error { return k.c.sweep() }

func sweepBooks(m *standInMaster) error {
	offered := map[string]resources.Resources{}
	for _, o := range m.offers {
		offered[o.aid] = offered[o.aid].Add(o.res)
	}
	for _, aid := range m.alloc.Agents() {
		a := m.agents[aid]
		if a == nil {
			return fmt.Errorf("resources: the allocator has agent %s, the master does not", aid)
		}
		var alloc resources.Resources
		for _, fid := range m.fwIDs {
			alloc = alloc.Add(m.alloc.Allocation(fid, aid))
		}
		total := m.alloc.Total(aid)
		free := m.alloc.Available(aid)
		if got := free.Add(alloc.Unallocate()); !got.Equal(total) {
			return fmt.Errorf("resources: agent %s: free %s + allocated %s != total %s", aid, free, alloc, total)
		}
		used := offered[aid]
		for _, t := range a.tasks {
			used = used.Add(t.res)
		}
		if !used.Equal(alloc) {
			return fmt.Errorf("resources: agent %s: offered + used by tasks %s != allocated %s", aid, used, alloc)
		}
	}
	return nil
}

// lost reports the acknowledged updates no framework got, but for those
// Mesos lets go: the agent's machine was replaced (its disk with it), or
// the agent process restarted and the framework does not checkpoint.
func (k *checker) lost() error {
	var worst *trackedUpdate
	var uuid string
	for u, o := range k.updates {
		if !o.owed || k.excused(o) {
			continue
		}
		if worst == nil || o.at < worst.at || (o.at == worst.at && u < uuid) {
			o := o
			worst, uuid = &o, u
		}
	}
	if worst == nil {
		return nil
	}
	return fmt.Errorf("acknowledged update lost: %s acknowledged %s of task %s (framework %s, uuid %x) to its executor at %v and no framework got it",
		k.c.agents[worst.agent].Name, worst.state, worst.tid, worst.fid, []byte(uuid), worst.at)
}

// excused: Mesos lets the update go, as lost says.
func (k *checker) excused(o trackedUpdate) bool {
	fw := k.c.fwByID(o.fid)
	return int(o.boot) != k.c.boots[o.agent] || (fw != nil && !fw.checkpoint && o.inc != k.c.agents[o.agent].inc)
}

// owes reports whether an acknowledged update is still on its way.
func (k *checker) owes() bool {
	if k.owed == 0 {
		return false
	}
	for _, o := range k.updates {
		if o.owed && !k.excused(o) {
			return true
		}
	}
	return false
}

// final checks, once the run has ended and drained, that every task is
// accounted for: each task a framework launched ended (as the framework
// last saw it) or runs on a live agent, or its agent is unreachable and
// the framework was told (TASK_UNREACHABLE); and each task the master
// holds as live on a connected agent runs there.
func (k *checker) final() error {
	m, real := k.c.master.Core.(*realMaster)
	unreachable := func(id string) bool { return real && k.c.master.Up() && m.core.Unreachable(id) }
	for _, st := range k.c.fwst {
		for _, tid := range st.order {
			t := st.tasks[tid]
			if protocol.IsTerminal(t.last) {
				continue
			}
			live := false
			for i, n := range k.c.agents {
				if n.Up() && k.c.hosts[i].running(st.id, tid) {
					live = true
					break
				}
			}
			if live {
				continue
			}
			if t.last == mesos.TaskState_TASK_UNREACHABLE && t.agent() != "" && unreachable(t.agent()) {
				continue
			}
			if t.last == mesos.TaskState_TASK_UNKNOWN {
				continue // the master said it does not know the task, and nothing runs it
			}
			return fmt.Errorf("task accounted for: %s's task %s is %s but runs on no live agent", st.name, tid, t.last)
		}
	}
	if !real || !k.c.master.Up() {
		return nil
	}
	return m.core.EachAgent(func(a master.AgentBooks) error {
		i := k.c.agentIndex(a.PID)
		if !a.Connected || i < 0 || !k.c.agents[i].Up() {
			return nil
		}
		return m.core.EachAgentTask(a.ID, func(t *mesos.Task) error {
			fid, tid := t.GetFrameworkId().GetValue(), t.GetTaskId().GetValue()
			if !protocol.IsTerminal(t.GetState()) && !k.c.hosts[i].running(fid, tid) {
				return fmt.Errorf("task accounted for: the master holds task %s of framework %s as %s on %s (%s), which does not run it",
					tid, fid, t.GetState(), a.ID, k.c.agents[i].Name)
			}
			return nil
		})
	})
}
