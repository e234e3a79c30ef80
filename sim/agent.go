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
	"github.com/gomesos/gomesos/slave/checkpoint"
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
// and a disk held in memory.
type agentHost struct {
	s      *Sim
	node   *Node
	core   *slave.Core
	disk   checkpoint.Files
	plan   TaskPlan
	uuids  protocol.UUIDs
	conts  map[string]*simContainer
	nextID int
	master func() *mesos.MasterInfo
	// instant: container operations take no virtual time (transcripts).
	instant bool
}

// simContainer is one container of an agent host: its executor node once
// it has started, and whether its end was reported.
type simContainer struct {
	id        string
	fid, eid  string
	exec      *Node
	core      *simExecutor
	destroyed bool
	ended     bool
}

// newAgentHost builds the agent core of n's machine (a new agent: the
// disk starts empty) and installs it on n.
// backoff, if not zero, replaces --registration_backoff_factor.
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
	h := &agentHost{s: s, disk: checkpoint.Files{}, plan: plan, uuids: uuids, conts: map[string]*simContainer{}, master: master, instant: plan.Manual}
	h.core = slave.NewCore(cfg, info, pid, slave.Deps{
		UUIDs:        uuids,
		ContainerIDs: h.containerID,
		Rand:         rand.New(rand.NewSource(int64(s.Rand().Uint64()))),
		Log:          quietLog,
	})
	return h
}

func (h *agentHost) containerID() string {
	h.nextID++
	return fmt.Sprintf("c-%d", h.nextID)
}

// start is the agent's first event: started, and the master detected.
func (h *agentHost) start(now time.Time) []effect.Effect {
	return append(h.core.Started(now), h.core.Detected(now, h.master())...)
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

// lost ends every executor of a crashed host with it.
func (h *agentHost) lost() {
	for _, c := range h.sorted() {
		if c.exec != nil {
			h.s.Remove(c.exec)
		}
	}
	h.conts = map[string]*simContainer{}
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
	ms := func(d int) time.Duration {
		if h.instant {
			return 0
		}
		return time.Duration(d) * time.Millisecond
	}
	switch e := e.(type) {
	case slave.PrepareSandbox:
		n.Post(ms(1), func(now time.Time) []effect.Effect { return h.core.SandboxPrepared(now, e, nil) })
	case slave.LaunchContainer:
		c := &simContainer{id: e.ContainerID, fid: e.FrameworkID, eid: e.ExecutorID}
		h.conts[c.id] = c
		d := ms(0)
		if !h.instant {
			d = time.Duration(1+n.Rand().IntN(20)) * time.Millisecond
		}
		n.Post(d, func(now time.Time) []effect.Effect {
			out := h.core.ContainerLaunched(now, c.id, nil)
			if !c.destroyed && !c.ended {
				h.spawn(c)
			}
			return out
		})
	case slave.WaitContainer:
		// The container's lifetime is the executor node's; its end is fed
		// back as ContainerExited when the executor exits or is destroyed.
	case slave.UpdateContainer:
		n.Post(ms(1), func(now time.Time) []effect.Effect { return h.core.ContainerUpdated(now, e, nil) })
	case slave.DestroyContainer:
		c := h.conts[e.ContainerID]
		n.Post(ms(10), func(now time.Time) []effect.Effect {
			out := h.core.ContainerDestroyed(now, e.ContainerID, nil)
			if c != nil && !c.ended {
				c.destroyed = true
				out = append(out, h.end(now, c, 9)...) // SIGKILL
			}
			return out
		})
	case slave.Redetect:
		n.Post(ms(1000), func(now time.Time) []effect.Effect { return h.core.Detected(now, h.master()) })
	case slave.Checkpoint:
		h.disk[h.rel(e.Path)] = checkpoint.File{Data: append([]byte(nil), e.Data...)}
	case slave.CheckpointAppend:
		f := h.disk[h.rel(e.Path)]
		h.disk[h.rel(e.Path)] = checkpoint.File{Data: append(f.Data, e.Data...)}
	case slave.CheckpointLink:
		h.disk[h.rel(e.Path)] = checkpoint.File{Link: e.Target, IsLink: true}
	case slave.CheckpointRemove:
		prefix := h.rel(e.Path) + "/"
		for k := range h.disk {
			if k == prefix[:len(prefix)-1] || strings.HasPrefix(k, prefix) {
				delete(h.disk, k)
			}
		}
	default:
		n.sim.Fail(fmt.Errorf("%s returned an effect the simulator cannot apply: %T", n.Name, e))
	}
}

func (h *agentHost) rel(p string) string {
	r, err := filepath.Rel(agentWorkDir, p)
	if err != nil {
		return p
	}
	return r
}

// spawn starts the executor of c as a node of its own on the agent's host.
func (h *agentHost) spawn(c *simContainer) {
	pid := actors.PID{ID: "executor(" + c.id + ")", Address: h.node.PID.Address}
	x := &simExecutor{
		pid: pid, agent: h.node.PID, fid: c.fid, eid: c.eid, plan: h.plan, rng: h.s.Rand(),
		uuids: h.uuids, tasks: map[string]*xTask{},
	}
	n, err := h.s.Add(h.node.Name+"/"+c.id, pid, x, func(n *Node, e effect.Effect) {
		if _, ok := e.(execExit); ok {
			h.exited(c)
			return
		}
		n.sim.Fail(fmt.Errorf("%s returned an effect the simulator cannot apply: %T", n.Name, e))
	})
	if err != nil {
		h.s.Fail(err)
		return
	}
	c.exec, c.core = n, x
	h.s.Start(n, x.start)
}

// exited is the executor's own exit: its container ends with status 0.
func (h *agentHost) exited(c *simContainer) {
	if c.exec != nil {
		h.s.Remove(c.exec)
		c.exec = nil
	}
	d := time.Millisecond
	if h.instant {
		d = 0
	}
	h.node.Post(d, func(now time.Time) []effect.Effect { return h.end(now, c, 0) })
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

// finish makes the executor running task tid end it in state (the script's
// status command); it reports false if no executor runs tid.
func (h *agentHost) finish(tid string, state mesos.TaskState) bool {
	for _, c := range h.sorted() {
		if c.core != nil && c.core.running(tid) {
			x, n := c.core, c.exec
			n.Post(0, func(now time.Time) []effect.Effect {
				if x.running(tid) {
					x.CancelTimer("end/" + tid)
					x.update(now, tid, state)
				}
				return x.Take()
			})
			return true
		}
	}
	return false
}
