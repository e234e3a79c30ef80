package sim

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/slave/containerizer"
)

// agentWorkDir is the simulated agents' work dir (their disk is a map).
const agentWorkDir = "/var/sim/agent"

// quietLog discards the cores' log lines: a simulation makes millions.
var quietLog = func() *logrus.Entry {
	l := logrus.New()
	l.SetLevel(logrus.PanicLevel)
	return logrus.NewEntry(l)
}()

// TaskPlan is how a simulated executor runs its tasks: each starts after
// a drawn delay and runs a drawn virtual time before it finishes or fails.
type TaskPlan struct {
	Time     time.Duration // mean run time
	FailRate float64       // share of tasks that fail
	// Manual: tasks run at once and end only when told (transcripts).
	Manual bool
}

// agentHost is one simulated agent machine: slave.Core on its node, a
// simulated containerizer whose containers are simulated executor nodes,
// and a disk held in memory. An agent process that crashes and restarts
// gets a new host over the old one's disk and live containers.
type agentHost struct {
	s      *Sim
	node   *Node
	core   *slave.Core
	disk   *simDisk
	plan   TaskPlan
	uuids  protocol.UUIDs
	conts  map[string]*simContainer
	nextID int
	master func() *mesos.MasterInfo
	// instant: container operations take no virtual time (transcripts).
	instant bool
	// adopted: the containers a restarted agent took over, still to be
	// matched with what it recovered from its checkpoint.
	adopted map[string]*simContainer
	// detecting: recovery is over and the agent has asked for its master.
	detecting bool
	// workDir is the agent's --work_dir (agentWorkDir unless a Machine's).
	workDir string
	// noPIDFile: the containerizer checkpoints no forked pid (a Machine's).
	noPIDFile bool
	// onEnd, if set, is told of an executor's own exit instead of exited
	// (a Machine's containers).
	onEnd func(c *simContainer, status int32)
}

// simContainer is one container of an agent host: its executor node once
// it has started, and whether its end was reported.
type simContainer struct {
	id         string
	fid, eid   string
	checkpoint bool // the framework checkpoints: the executor outlives its agent
	host       *agentHost
	exec       *Node
	core       *simExecutor
	destroyed  bool
	ended      bool
	// custom: the framework's own executor (no TaskInfo), which stays up
	// until it is shut down. status and waited are a Machine's: the wait
	// status, and whether the current agent process waits for the end.
	custom bool
	status int32
	waited bool
}

// bootID is the simulated hosts' boot id: no host reboots.
const bootID = "sim-boot"

// newAgentHost builds an agent process over a new, empty disk (takeOver
// gives it a crashed process's disk). backoff, if not zero, replaces
// --registration_backoff_factor.
func newAgentHost(s *Sim, pid actors.PID, hostname string, total resources.Resources, plan TaskPlan, uuids protocol.UUIDs, master func() *mesos.MasterInfo, backoff time.Duration) *agentHost {
	cfg := slave.DefaultConfig()
	cfg.WorkDir = agentWorkDir
	// A fixed launch cap: DefaultConfig's follows the machine's CPUs, and a
	// seed must give the same run everywhere.
	cfg.MaxLaunchesInFlight = 8
	if backoff > 0 {
		cfg.RegistrationBackoffFactor = backoff
	}
	info := &mesos.SlaveInfo{Hostname: proto.String(hostname), Port: proto.Int32(5051), Resources: total}
	h := &agentHost{s: s, disk: newSimDisk(), plan: plan, uuids: uuids, conts: map[string]*simContainer{}, master: master, instant: plan.Manual, workDir: agentWorkDir}
	h.core = slave.NewCore(cfg, info, pid, slave.Deps{
		UUIDs:        uuids,
		ContainerIDs: h.containerID,
		Rand:         rand.New(newReplaySource(int64(s.Rand().Uint64()))),
		Log:          quietLog,
		BootID:       bootID,
	})
	return h
}

// takeOver makes h the restarted agent process of old's machine: it
// keeps old's disk, its container numbering, and the containers whose
// executors are still alive (those of checkpointing frameworks), which
// recovery either adopts or, if the checkpoint does not name them,
// destroys as orphans.
func (h *agentHost) takeOver(old *agentHost) {
	h.disk = old.disk
	h.disk.crashAtWrite = false
	h.nextID = old.nextID
	h.adopted = map[string]*simContainer{}
	for _, c := range old.withAdopted() {
		if c.exec != nil && c.exec.Up() && !c.ended {
			c.host = h // its exit is the new process's to hear of
			h.adopted[c.id] = c
		}
	}
}

func (h *agentHost) containerID() string {
	h.nextID++
	return fmt.Sprintf("c-%d", h.nextID)
}

// start is the agent's first event: started, and recovery from its disk
// as the agent's shell does it (the meta tree parsed strictly, torn
// journal tails cut back); recovery ends with a Redetect.
func (h *agentHost) start(now time.Time) []effect.Effect {
	out := h.core.Started(now)
	st, err := h.disk.recovered()
	if err != nil {
		h.node.Fail(fmt.Errorf("agent recovery: %s cannot start from its checkpoint: %w", h.node.Name, err))
		return out
	}
	return append(out, diskFirst(h.core.Recover(now, st))...)
}

// post runs fn on the agent's node after d, its effects ordered as the
// agent's shell applies them.
func (h *agentHost) post(d time.Duration, fn func(now time.Time) []effect.Effect) {
	h.node.Post(d, func(now time.Time) []effect.Effect { return diskFirst(fn(now)) })
}

// agentCore is slave.Core with its effects ordered as the agent's shell
// applies them (diskFirst).
type agentCore struct{ c *slave.Core }

func (a agentCore) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	return diskFirst(a.c.Receive(now, from, msg))
}
func (a agentCore) Timer(now time.Time, key string) []effect.Effect {
	return diskFirst(a.c.Timer(now, key))
}
func (a agentCore) Exited(now time.Time, pid actors.PID) []effect.Effect {
	return diskFirst(a.c.Exited(now, pid))
}

// isDisk reports whether e is a checkpoint write.
func isDisk(e effect.Effect) bool {
	switch e.(type) {
	case slave.Checkpoint, slave.CheckpointAppend, slave.CheckpointLink, slave.CheckpointRemove:
		return true
	}
	return false
}

// diskFirst orders a batch of the agent core's effects as the agent's
// shell applies them: from the first disk write on, every write of the
// batch lands (in order) before any other effect that follows it. It
// reorders effs in place (its caller's to give).
func diskFirst(effs []effect.Effect) []effect.Effect {
	for i, e := range effs {
		if !isDisk(e) {
			continue
		}
		var room [8]effect.Effect
		rest := room[:0] // the other effects from i on, in order
		w := i
		for _, x := range effs[i:] {
			if isDisk(x) {
				effs[w] = x // w is at most the index read
				w++
			} else {
				rest = append(rest, x)
			}
		}
		copy(effs[w:], rest)
		return effs
	}
	return effs
}

// running reports whether a task of fid runs in one of the host's
// executors.
func (h *agentHost) running(fid, tid string) bool {
	for _, c := range h.conts {
		if c.core != nil && c.fid == fid && c.core.running(tid) {
			return true
		}
	}
	return false
}

// lost ends every executor of a host that went away with its machine,
// those a restarted agent took over and has not yet recovered included.
func (h *agentHost) lost() {
	for _, c := range h.withAdopted() {
		if c.exec != nil {
			h.s.Remove(c.exec)
		}
	}
	h.conts, h.adopted = map[string]*simContainer{}, nil
}

// withAdopted is sorted's containers and the adopted ones, by id.
func (h *agentHost) withAdopted() []*simContainer {
	if len(h.adopted) == 0 {
		return h.sorted()
	}
	out := make([]*simContainer, 0, len(h.conts)+len(h.adopted))
	for i := 1; i <= h.nextID; i++ {
		id := fmt.Sprintf("c-%d", i)
		if c := h.conts[id]; c != nil {
			out = append(out, c)
		} else if c := h.adopted[id]; c != nil {
			out = append(out, c)
		}
	}
	return out
}

func (h *agentHost) sorted() []*simContainer {
	out := make([]*simContainer, 0, len(h.conts))
	for i := 1; i <= h.nextID; i++ {
		if c := h.conts[fmt.Sprintf("c-%d", i)]; c != nil {
			out = append(out, c)
		}
	}
	return out
}

// apply carries out the agent core's own effects.
func (h *agentHost) apply(n *Node, e effect.Effect) {
	ms := h.ms
	switch e := e.(type) {
	case slave.PrepareSandbox:
		// One closure, not post's two: this runs for every task.
		h.node.Post(ms(1), func(now time.Time) []effect.Effect { return diskFirst(h.core.SandboxPrepared(now, e, nil)) })
	case slave.LaunchContainer:
		c := &simContainer{id: e.ContainerID, fid: e.FrameworkID, eid: e.ExecutorID, host: h, checkpoint: e.Config.Checkpoint, custom: e.Config.TaskInfo == nil}
		h.conts[c.id] = c
		d := ms(0)
		if !h.instant {
			d = time.Duration(1+n.Rand().IntN(20)) * time.Millisecond
		}
		pidFile := e.Config.PIDFile
		if h.noPIDFile {
			pidFile = ""
		}
		h.node.Post(d, func(now time.Time) []effect.Effect {
			if pidFile != "" {
				// The containerizer checkpoints the forked pid itself.
				h.disk.writeFile(h, pidFile, []byte("4242"))
			}
			out := h.core.ContainerLaunched(now, c.id, nil)
			if !c.destroyed && !c.ended {
				h.spawn(c)
			}
			return diskFirst(out)
		})
	case slave.WaitContainer:
		// The container's lifetime is the executor node's; its end is fed
		// back as ContainerExited when the executor exits or is destroyed.
	case slave.RecoverContainers:
		h.recoverContainers(e)
	case slave.UpdateContainer:
		if len(e.Tasks) == 0 {
			// A shrink: the simulated containerizer's update cannot fail,
			// and its success changes nothing in the core.
			return
		}
		h.node.Post(ms(1), func(now time.Time) []effect.Effect { return diskFirst(h.core.ContainerUpdated(now, e, nil)) })
	case slave.DestroyContainer:
		c := h.conts[e.ContainerID]
		h.post(ms(10), func(now time.Time) []effect.Effect {
			out := h.core.ContainerDestroyed(now, e.ContainerID, nil)
			if c != nil && !c.ended {
				c.destroyed = true
				out = append(out, h.end(now, c, 9)...) // SIGKILL
			}
			return out
		})
	case slave.Redetect:
		// The first detection, when recovery ends, is at once; a standalone
		// detector answers again a second later.
		d := ms(1000)
		if !h.detecting {
			h.detecting, d = true, 0
		}
		h.post(d, func(now time.Time) []effect.Effect { return h.core.Detected(now, h.master()) })
	case slave.Checkpoint, slave.CheckpointAppend, slave.CheckpointLink, slave.CheckpointRemove:
		if h.disk.crashAtWrite {
			h.disk.crashAtWrite = false
			h.disk.tear(h, e, n.Rand())
			h.disk.onCrash(n)
			return
		}
		h.disk.write(h, e)
	default:
		n.Fail(fmt.Errorf("%s returned an effect the simulator cannot apply: %T", n.Name, e))
	}
}

// recoverContainers is the containerizer's recovery: the containers the
// checkpoint names are adopted if their executors still run, and end at
// once if not (as a dead pid does); live containers it does not name
// are destroyed as orphans.
func (h *agentHost) recoverContainers(e slave.RecoverContainers) {
	var dead []*simContainer
	for _, r := range e.Containers {
		c := h.adopted[r.ID]
		delete(h.adopted, r.ID)
		if c != nil && c.exec != nil && c.exec.Up() && r.PID > 0 {
			h.conts[r.ID] = c
			continue
		}
		if c != nil && c.exec != nil {
			// Not checkpointed as forked: the agent cannot adopt it.
			c.ended = true
			h.s.Remove(c.exec)
		}
		c = &simContainer{id: r.ID, host: h}
		dead = append(dead, c)
		h.conts[r.ID] = c
	}
	var orphans []*simContainer
	for i := 1; i <= h.nextID; i++ {
		if c := h.adopted[fmt.Sprintf("c-%d", i)]; c != nil {
			orphans = append(orphans, c)
		}
	}
	h.adopted = nil
	for _, c := range orphans {
		c.ended = true
		if c.exec != nil {
			h.s.Remove(c.exec)
		}
	}
	h.post(h.ms(5), func(now time.Time) []effect.Effect {
		out := h.core.ContainersRecovered(now, nil)
		for _, c := range dead {
			if !c.ended {
				c.ended = true
				delete(h.conts, c.id)
				out = append(out, h.core.ContainerExited(now, c.id, &containerizer.Termination{Message: "the executor is gone"}, nil)...)
			}
		}
		return out
	})
}

func (h *agentHost) ms(d int) time.Duration {
	if h.instant {
		return 0
	}
	return time.Duration(d) * time.Millisecond
}

func (h *agentHost) rel(p string) string {
	if r, ok := strings.CutPrefix(p, h.workDir); ok && len(r) > 1 && r[0] == '/' && filepath.Clean(p) == p {
		return r[1:] // what Rel gives for a clean path under the work dir, cheaper
	}
	r, err := filepath.Rel(h.workDir, p)
	if err != nil {
		return p
	}
	return r
}

// spawn starts the executor of c as a node of its own on the agent's host.
func (h *agentHost) spawn(c *simContainer) {
	// The node's name, its pid's id and the pid as text, cut from one
	// string: "agent1/c-1" "executor(c-1)" "@127.0.0.2:5051".
	addr := h.node.PID.Address
	all := h.node.Name + "/" + c.id + "executor(" + c.id + ")@" + addr
	nameLen := len(h.node.Name) + 1 + len(c.id)
	name, pidText := all[:nameLen], all[nameLen:]
	pid := actors.PID{ID: pidText[:len(pidText)-1-len(addr)], Address: addr}
	x := &simExecutor{cont: c, checkpoint: c.checkpoint, custom: c.custom}
	x.ids(c.fid, c.eid, pidText)
	n, err := h.s.Add(name, pid, x, execEffects)
	if err != nil {
		h.node.Fail(err)
		return
	}
	n.agentNo = h.node.agentNo
	c.exec, c.core = n, x
	h.s.Start(n, x.start)
}

// execEffects applies a simulated executor's own effect: its exit ends
// its container. One function for every executor, not a closure each.
func execEffects(n *Node, e effect.Effect) {
	if _, ok := e.(execExit); ok {
		c := n.Core.(*simExecutor).cont
		c.host.exited(c)
		return
	}
	n.Fail(fmt.Errorf("%s returned an effect the simulator cannot apply: %T", n.Name, e))
}

// exited is the executor's own exit: its container ends with status 0.
func (h *agentHost) exited(c *simContainer) {
	if h.onEnd != nil {
		h.onEnd(c, 0)
		return
	}
	if c.exec != nil {
		h.s.Remove(c.exec)
		c.exec = nil
	}
	h.node.Post(h.ms(1), func(now time.Time) []effect.Effect { return diskFirst(h.end(now, c, 0)) })
}

// end removes c's executor and reports the container's end to the agent.
func (h *agentHost) end(now time.Time, c *simContainer, status int32) []effect.Effect {
	if c.ended {
		return nil
	}
	c.ended = true
	if c.exec != nil {
		h.s.Remove(c.exec)
	}
	delete(h.conts, c.id)
	return h.core.ContainerExited(now, c.id, &containerizer.Termination{Status: &status}, nil)
}
