package slave

import (
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/slave/checkpoint"
	"github.com/gomesos/gomesos/slave/statusupdate"
)

// What the core checkpoints under <work_dir>/meta (package checkpoint),
// as disk effects. slave.info and boot_id are always written; framework,
// executor, run and task files only for frameworks with
// FrameworkInfo.checkpoint set.

func (c *Core) paths() checkpoint.Paths { return c.ckpt }

// runMeta is the meta folder of e's run, kept on e (its agent, framework,
// executor and container ids never change).
func (c *Core) runMeta(f *framework, e *executor) string {
	if e.metaRun == "" {
		e.metaRun = c.ckpt.Run(c.ID(), f.id, e.id, e.containerID)
	}
	return e.metaRun
}

// executorMeta is the meta folder of e's executor, cut from its run's
// (runMeta) when that ends in runs/<container id>.
func (c *Core) executorMeta(f *framework, e *executor) string {
	run, cid := c.runMeta(f, e), e.containerID
	const runs = "/runs/"
	if cid != "" && cid != "." && cid != ".." && !strings.Contains(cid, "/") &&
		len(run) > len(runs)+len(cid) && strings.HasSuffix(run, cid) && strings.HasSuffix(run[:len(run)-len(cid)], runs) {
		return run[:len(run)-len(runs)-len(cid)]
	}
	return c.ckpt.Executor(c.ID(), f.id, e.id)
}

func (c *Core) writeProto(path string, m proto.Message) {
	b, err := checkpoint.Marshal(m)
	if err != nil {
		c.log.WithField("path", path).WithError(err).Error("failed to encode a checkpoint")
		return
	}
	c.out.Add(Checkpoint{Path: path, Data: b})
}

func (c *Core) checkpointSlaveInfo() {
	sid, p := c.ID(), c.paths()
	c.writeProto(p.SlaveInfo(sid), c.info)
	c.out.Add(CheckpointLink{Path: p.LatestSlave(), Target: p.Slave(sid)})
}

func (c *Core) checkpointBootID() {
	if c.deps.BootID != "" {
		c.out.Add(Checkpoint{Path: c.paths().BootID(), Data: []byte(c.deps.BootID + "\n")})
	}
}

func (c *Core) checkpointing(f *framework) bool {
	return f != nil && f.checkpoint && c.ID() != ""
}

func (c *Core) checkpointFramework(f *framework) {
	if !c.checkpointing(f) {
		return
	}
	if f.written && f.writtenInfo == f.info && f.writtenPID == f.pid {
		return // on disk as it is (info is replaced, never changed in place)
	}
	f.written, f.writtenInfo, f.writtenPID = true, f.info, f.pid
	p := c.paths()
	c.writeProto(p.FrameworkInfo(c.ID(), f.id), f.info)
	if !f.pid.IsZero() {
		c.out.Add(Checkpoint{Path: p.FrameworkPID(c.ID(), f.id), Data: []byte(f.pid.String())})
	}
}

func (c *Core) checkpointExecutor(f *framework, e *executor) {
	if !c.checkpointing(f) {
		return
	}
	dir := c.executorMeta(f, e)
	c.writeProto(checkpoint.JoinClean(dir, checkpoint.ExecutorInfoFile), e.info)
	c.out.Add(CheckpointLink{Path: checkpoint.JoinClean(dir, "runs", checkpoint.Latest), Target: e.containerID})
}

// forkedPIDFile is where the containerizer checkpoints the executor's
// pid ("" for a framework that does not checkpoint).
func (c *Core) forkedPIDFile(f *framework, e *executor) string {
	if !c.checkpointing(f) {
		return ""
	}
	return checkpoint.JoinClean(c.runMeta(f, e), "pids", checkpoint.ForkedPIDFile)
}

func (c *Core) checkpointTask(f *framework, e *executor, t *mesos.TaskInfo) {
	if !c.checkpointing(f) {
		return
	}
	tid := t.GetTaskId().GetValue()
	c.writeProto(checkpoint.RunTaskInfo(c.runMeta(f, e), tid), createTask(t, mesos.TaskState_TASK_STAGING, f.idMsg))
}

func (c *Core) checkpointExecutorPID(f *framework, e *executor) {
	if !c.checkpointing(f) || e.pid.IsZero() {
		return
	}
	c.out.Add(Checkpoint{Path: checkpoint.JoinClean(c.runMeta(f, e), "pids", checkpoint.LibprocessPIDFile), Data: pidBytes(e.pid)})
}

// checkpointHosted marks the run as one of a hosted command executor, so
// that a restarted agent hosts it again.
func (c *Core) checkpointHosted(f *framework, e *executor) {
	if !c.checkpointing(f) {
		return
	}
	c.out.Add(Checkpoint{Path: checkpoint.JoinClean(c.runMeta(f, e), checkpoint.HostedMarkerFile)})
}

func (c *Core) checkpointSentinel(f *framework, e *executor) {
	if !c.checkpointing(f) {
		return
	}
	c.out.Add(Checkpoint{Path: checkpoint.JoinClean(c.runMeta(f, e), checkpoint.SentinelFile)})
}

// forgetExecutor removes a finished executor's meta folder: everything it
// ran is acknowledged.
func (c *Core) forgetExecutor(f *framework, e *executor) {
	if c.checkpointing(f) {
		c.out.Add(CheckpointRemove{Path: c.executorMeta(f, e)})
	}
}

func (c *Core) forgetFramework(f *framework) {
	if c.checkpointing(f) {
		c.out.Add(CheckpointRemove{Path: c.paths().Framework(c.ID(), f.id)})
	}
}

// journal is the status update manager's Journal: each record becomes a
// CheckpointAppend to the task's task.updates, for checkpointing
// frameworks' tasks that have an executor.
type journal struct{ c *Core }

func (j journal) Append(id statusupdate.StreamID, tag any, rec *mesosinternal.StatusUpdateRecord) error {
	c := j.c
	f, e := c.resolveTask(id.FrameworkID, id.TaskID, tag)
	if !c.checkpointing(f) || e == nil {
		return nil
	}
	b, err := checkpoint.EncodeRecord(rec)
	if err != nil {
		return err
	}
	c.out.Add(CheckpointAppend{Path: checkpoint.RunTaskUpdates(c.runMeta(f, e), id.TaskID), Data: b})
	return nil
}

// pidBytes is []byte(p.String()) for a pid that is not zero, made in one
// allocation.
func pidBytes(p actors.PID) []byte {
	b := make([]byte, 0, len(p.ID)+1+len(p.Address))
	return append(append(append(b, p.ID...), '@'), p.Address...)
}
