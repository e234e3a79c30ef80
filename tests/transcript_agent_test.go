package tests

import (
	"fmt"
	"math/rand"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/sim"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/slave/checkpoint"
	"github.com/gomesos/gomesos/slave/containerizer"
)

// txWorkDir is the agents' --work_dir; their disk is a map of files under
// it, as checkpoint.ReadFiles would read them.
const txWorkDir = "/var/tx/agent"

// txQuiet discards the cores' log lines.
var txQuiet = func() *logrus.Entry {
	l := logrus.New()
	l.SetLevel(logrus.PanicLevel)
	return logrus.NewEntry(l)
}()

// txAgent is one agent machine: the agent core on its node, a disk that
// survives the agent, and containers whose executors are nodes of their
// own and outlive a crashed agent until they decide to exit.
type txAgent struct {
	c     *txCluster
	name  string
	node  *sim.Node
	core  *slave.Core
	total resources.Resources
	disk  checkpoint.Files
	conts map[string]*txContainer
	next  int // container ids are c-1, c-2, ... for the machine's life
	boot  int // incarnation of the agent process
	// hold: sandboxes are prepared only on release (a slow disk), so that
	// messages can arrive between the parts of a launch.
	hold bool
	held []func(time.Time) []effect.Effect
}

// release prepares the held sandboxes and stops holding them.
func (a *txAgent) release() error {
	a.hold = false
	for _, fn := range a.held {
		a.node.Post(0, fn)
	}
	a.held = nil
	return a.c.s.Settle()
}

// txContainer is one container: its executor, while it runs, and how it
// ended. waited says the current agent process waits for its end.
type txContainer struct {
	id       string
	fid, eid string
	exec     *sim.Node
	x        *txExecutor
	ended    bool
	status   int32
	waited   bool
	// custom: the framework's own executor (it stays up until shut down);
	// checkpoint: MESOS_CHECKPOINT=1 in its environment.
	custom, checkpoint bool
}

func (c *txCluster) addAgent(args []sim.Arg) error {
	if len(args) == 0 || args[0].Vals != nil {
		return fmt.Errorf("add-agent wants a name")
	}
	text := argVal(args, "resources")
	if text == "" {
		text = "cpus:2;mem:1024"
	}
	res, err := resources.Parse(text, "*")
	if err != nil {
		return err
	}
	c.nAgent++
	pid := actors.PID{ID: "slave(1)", Address: fmt.Sprintf("127.0.0.%d:5051", c.nAgent+1)}
	n, err := c.s.Add(args[0].Key, pid, nil, nil)
	if err != nil {
		return err
	}
	a := &txAgent{c: c, name: n.Name, node: n, total: res, disk: checkpoint.Files{}, conts: map[string]*txContainer{}}
	c.agents[n.Name] = a
	return a.boot1(nil, "")
}

// txBackoff is the agents' --registration_backoff_factor: starting an
// agent runs the clock this far so that it has registered.
const txBackoff = 10 * time.Millisecond

// boot1 starts an agent process on the machine: Started, then recovery
// from st (nil: nothing checkpointed), as the agent daemon does.
func (a *txAgent) boot1(st *checkpoint.State, recover string) error {
	cfg := slave.DefaultConfig()
	cfg.WorkDir = txWorkDir
	cfg.Hostname = a.name
	cfg.MaxLaunchesInFlight = 8
	cfg.RegistrationBackoffFactor = txBackoff
	if recover != "" {
		cfg.Recover = recover
	}
	info := &mesos.SlaveInfo{Hostname: proto.String(a.name), Port: proto.Int32(5051), Resources: a.total}
	a.boot++
	a.held = nil
	core := slave.NewCore(cfg, info, a.node.PID, slave.Deps{
		UUIDs:        a.c.uuids,
		ContainerIDs: a.containerID,
		Rand:         rand.New(rand.NewSource(int64(a.boot))),
		Log:          txQuiet,
	})
	a.core = core
	a.down()
	if a.boot == 1 {
		a.node.Core = core
	} else {
		a.c.s.Restart(a.node, core)
	}
	a.node.Custom = a.apply
	a.c.s.Start(a.node, func(now time.Time) []effect.Effect {
		return append(core.Started(now), core.Recover(now, st)...)
	})
	return a.c.s.RunFor(txBackoff)
}

func (a *txAgent) containerID() string {
	a.next++
	return fmt.Sprintf("c-%d", a.next)
}

// info is the SlaveInfo a registry would have admitted.
func (a *txAgent) info(id string) *mesos.SlaveInfo {
	return &mesos.SlaveInfo{Id: &mesos.SlaveID{Value: proto.String(id)}, Hostname: proto.String(a.name), Port: proto.Int32(5051), Resources: a.total}
}

// detected gives the agent the master the detector appoints.
func (a *txAgent) detected(info *mesos.MasterInfo) {
	core := a.core
	a.node.Post(0, func(now time.Time) []effect.Effect { return core.Detected(now, info) })
}

// restart starts a new agent process on the machine. It recovers from
// what the last one checkpointed, unless wipe (a new --work_dir).
func (a *txAgent) restart(wipe bool, recover string) error {
	if a.node.Up() {
		a.down()
		a.c.s.Crash(a.node)
		if err := a.c.s.Settle(); err != nil {
			return err
		}
	}
	if wipe {
		a.disk = checkpoint.Files{}
	}
	files := checkpoint.Files{}
	for k, v := range a.disk {
		files[k] = v
	}
	st, _, err := checkpoint.Parse(files, true)
	if err != nil {
		return fmt.Errorf("%s: agent recovery: %w", a.name, err)
	}
	return a.boot1(st, recover)
}

// apply carries out the agent core's own effects. Container operations
// take no virtual time.
func (a *txAgent) apply(n *sim.Node, e effect.Effect) {
	core := a.core
	switch e := e.(type) {
	case slave.PrepareSandbox:
		prepared := func(now time.Time) []effect.Effect { return core.SandboxPrepared(now, e, nil) }
		if a.hold {
			a.held = append(a.held, prepared)
			return
		}
		n.Post(0, prepared)
	case slave.LaunchContainer:
		ct := &txContainer{id: e.ContainerID, fid: e.FrameworkID, eid: e.ExecutorID,
			custom: e.Config.TaskInfo == nil, checkpoint: e.Config.Env["MESOS_CHECKPOINT"] == "1"}
		a.conts[ct.id] = ct
		n.Post(0, func(now time.Time) []effect.Effect {
			out := core.ContainerLaunched(now, ct.id, nil)
			if !ct.ended {
				a.spawn(ct)
			}
			return out
		})
	case slave.WaitContainer:
		ct := a.conts[e.ContainerID]
		if ct == nil {
			// Nothing of it is left on the machine: it ended long ago.
			n.Post(0, func(now time.Time) []effect.Effect {
				return core.ContainerExited(now, e.ContainerID, nil, fmt.Errorf("unknown container %s", e.ContainerID))
			})
			return
		}
		ct.waited = true
		if ct.ended {
			a.report(ct)
		}
	case slave.UpdateContainer:
		n.Post(0, func(now time.Time) []effect.Effect { return core.ContainerUpdated(now, e, nil) })
	case slave.DestroyContainer:
		ct := a.conts[e.ContainerID]
		n.Post(0, func(now time.Time) []effect.Effect {
			out := core.ContainerDestroyed(now, e.ContainerID, nil)
			if ct != nil && !ct.ended {
				a.end(ct, 9) // SIGKILL
			}
			return out
		})
	case slave.RecoverContainers:
		adopt := map[string]bool{}
		for _, r := range e.Containers {
			adopt[r.ID] = true
		}
		// What the last agent run did not checkpoint is an orphan: the
		// containerizer destroys it.
		for _, ct := range a.sorted() {
			if !adopt[ct.id] && !ct.ended {
				a.end(ct, 9)
			}
			if !adopt[ct.id] {
				delete(a.conts, ct.id)
			}
		}
		n.Post(0, func(now time.Time) []effect.Effect { return core.ContainersRecovered(now, nil) })
	case slave.RecoveryCleanupDone:
		n.Post(0, func(time.Time) []effect.Effect {
			a.down()
			a.c.s.Crash(n) // the daemon exits
			return nil
		})
	case slave.Redetect:
		// A standalone detector: the master, if one is up; otherwise the
		// agent waits until one is appointed (restart master).
		if info := a.c.masterInfo(); info != nil {
			n.Post(0, func(now time.Time) []effect.Effect { return core.Detected(now, info) })
		}
	case slave.Checkpoint:
		a.disk[a.rel(e.Path)] = checkpoint.File{Data: append([]byte(nil), e.Data...)}
	case slave.CheckpointAppend:
		f := a.disk[a.rel(e.Path)]
		a.disk[a.rel(e.Path)] = checkpoint.File{Data: append(append([]byte(nil), f.Data...), e.Data...)}
	case slave.CheckpointLink:
		a.disk[a.rel(e.Path)] = checkpoint.File{Link: e.Target, IsLink: true}
	case slave.CheckpointRemove:
		p := a.rel(e.Path)
		for k := range a.disk {
			if k == p || strings.HasPrefix(k, p+"/") {
				delete(a.disk, k)
			}
		}
	default:
		a.c.s.Fail(fmt.Errorf("%s returned an effect the transcript harness cannot apply: %T", n.Name, e))
	}
}

func (a *txAgent) rel(p string) string {
	r, err := filepath.Rel(txWorkDir, p)
	if err != nil {
		return p
	}
	return r
}

func (a *txAgent) sorted() []*txContainer {
	out := make([]*txContainer, 0, len(a.conts))
	for i := 1; i <= a.next; i++ {
		if ct := a.conts[fmt.Sprintf("c-%d", i)]; ct != nil {
			out = append(out, ct)
		}
	}
	return out
}

// spawn starts ct's executor as a node of its own on the machine.
func (a *txAgent) spawn(ct *txContainer) {
	pid := actors.PID{ID: "executor(" + ct.id + ")", Address: a.node.PID.Address}
	x := &txExecutor{pid: pid, agent: a.node.PID, fid: ct.fid, eid: ct.eid, uuids: a.c.uuids, checkpoint: ct.checkpoint, custom: ct.custom}
	n, err := a.c.s.Add(a.name+"/"+ct.id, pid, x, func(n *sim.Node, e effect.Effect) {
		if _, ok := e.(txExecExit); ok {
			a.end(ct, 0)
			return
		}
		a.c.s.Fail(fmt.Errorf("%s returned an effect the transcript harness cannot apply: %T", n.Name, e))
	})
	if err != nil {
		a.c.s.Fail(err)
		return
	}
	ct.exec, ct.x = n, x
	a.c.s.Start(n, x.start)
}

// end finishes ct with a wait status: its executor is gone, and the
// agent, if it waits for it, is told.
func (a *txAgent) end(ct *txContainer, status int32) {
	if ct.ended {
		return
	}
	ct.ended, ct.status = true, status
	if ct.exec != nil {
		a.c.s.Remove(ct.exec)
		ct.exec = nil
	}
	if ct.waited && a.node.Up() {
		a.report(ct)
	}
}

// down is the agent process's end: nobody waits for the containers now.
func (a *txAgent) down() {
	for _, ct := range a.conts {
		ct.waited = false
	}
}

// report tells the current agent process that ct ended.
func (a *txAgent) report(ct *txContainer) {
	core, status := a.core, ct.status
	ct.waited = false
	delete(a.conts, ct.id)
	a.node.Post(0, func(now time.Time) []effect.Effect {
		return core.ContainerExited(now, ct.id, &containerizer.Termination{Status: &status}, nil)
	})
}

// crashExecutor kills executor eid's process (kill -9).
func (a *txAgent) crashExecutor(eid string) error {
	for _, ct := range a.sorted() {
		if ct.eid == eid && !ct.ended {
			a.end(ct, 9)
			return a.c.s.Settle()
		}
	}
	return fmt.Errorf("%s runs no executor %q", a.name, eid)
}

// status makes the executor of a task send an update.
func (a *txAgent) status(args []sim.Arg) error {
	how := map[string]mesos.TaskState{
		"starting": mesos.TaskState_TASK_STARTING, "running": mesos.TaskState_TASK_RUNNING,
		"finished": mesos.TaskState_TASK_FINISHED, "failed": mesos.TaskState_TASK_FAILED, "killed": mesos.TaskState_TASK_KILLED,
	}
	st, ok := how[argVal(args, "state")]
	if !ok {
		return fmt.Errorf("state= wants starting, running, finished, failed or killed")
	}
	tid := argVal(args, "task")
	for _, ct := range a.sorted() {
		if ct.x != nil && !ct.ended && ct.x.tasks[tid] != nil {
			x, n := ct.x, ct.exec
			n.Post(0, func(now time.Time) []effect.Effect {
				x.update(now, tid, st)
				return x.Take()
			})
			return a.c.s.Settle()
		}
	}
	return fmt.Errorf("%s runs no task %q", a.name, tid)
}

// dumpState prints the agent's own view: registered or not, and its
// containers.
func (a *txAgent) dumpState(w *strings.Builder) {
	up := "down"
	switch {
	case a.node.Up() && a.core.Recovering():
		up = "recovering"
	case a.node.Up() && a.core.Registered():
		up = "registered"
	case a.node.Up():
		up = "not registered"
	}
	fmt.Fprintf(w, "%s: %s id=%s\n", a.name, up, a.core.ID())
	for _, ct := range a.sorted() {
		tasks := []string{}
		if ct.x != nil {
			for _, tid := range ct.x.order {
				tasks = append(tasks, tid+"="+ct.x.tasks[tid].state.String())
			}
		}
		life := "running"
		if ct.ended {
			life = fmt.Sprintf("ended status=%d", ct.status)
		}
		fmt.Fprintf(w, "  container %s executor=%s %s tasks=%v\n", ct.id, ct.eid, life, tasks)
	}
}

// dumpDisk lists the agent's checkpoint files.
func (a *txAgent) dumpDisk(w *strings.Builder) {
	keys := make([]string, 0, len(a.disk))
	for k := range a.disk {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if f := a.disk[k]; f.IsLink {
			fmt.Fprintf(w, "%s -> %s\n", k, f.Link)
		} else {
			fmt.Fprintf(w, "%s (%d bytes)\n", k, len(f.Data))
		}
	}
}
