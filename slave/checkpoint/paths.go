// Package checkpoint is the agent's on-disk state under <work_dir>/meta:
// the layout of Mesos' slave/paths (Paths), the binary form of its files
// (task.updates records), atomic writes and appends for the shell (Write,
// Append, Symlink, Remove), a reader that loads the meta tree into memory
// (ReadFiles) and a pure parser (Parse) that turns those bytes into the
// recovered State the agent core starts from.
//
// Layout (relative to the work dir):
//
//	meta/boot_id
//	meta/slaves/latest -> <agent id>
//	meta/slaves/<agent>/slave.info
//	meta/slaves/<agent>/frameworks/<fw>/framework.info, framework.pid
//	  executors/<ex>/executor.info
//	    runs/latest -> <container>
//	    runs/<container>/pids/forked.pid, pids/libprocess.pid
//	    runs/<container>/executor.sentinel (the run is over)
//	    runs/<container>/tasks/<task>/task.info, task.updates
//
// .info files hold one binary protobuf (SlaveInfo, FrameworkInfo,
// ExecutorInfo, Task); pid files hold text; task.updates is a sequence of
// StatusUpdateRecords, each prefixed by its length as a 4-byte
// little-endian integer.
package checkpoint

import (
	"path/filepath"
	"strings"
)

// File names of the layout.
const (
	BootIDFile        = "boot_id"
	SlaveInfoFile     = "slave.info"
	FrameworkInfoFile = "framework.info"
	FrameworkPIDFile  = "framework.pid"
	ExecutorInfoFile  = "executor.info"
	ForkedPIDFile     = "forked.pid"
	LibprocessPIDFile = "libprocess.pid"
	HostedMarkerFile  = "hosted.marker"
	SentinelFile      = "executor.sentinel"
	TaskInfoFile      = "task.info"
	TaskUpdatesFile   = "task.updates"
	Latest            = "latest"
)

// Paths names the checkpoint files under one work dir. NewPaths keeps the
// meta folder's path, so that each name costs one string; a Paths written
// as a literal works the same, cleaning its work dir on every call.
type Paths struct {
	WorkDir string
	// work and meta are Clean(WorkDir) and Join(WorkDir, "meta"), if set
	// by NewPaths.
	work, meta string
}

// NewPaths returns the Paths of workDir.
func NewPaths(workDir string) Paths {
	return Paths{WorkDir: workDir, work: filepath.Clean(workDir), meta: filepath.Join(workDir, "meta")}
}

// Meta is <work_dir>/meta.
func (p Paths) Meta() string {
	if p.meta != "" {
		return p.meta
	}
	return filepath.Join(p.WorkDir, "meta")
}

// JoinClean is filepath.Join(base, names...) for a clean base (one that
// Join or Clean returned): when every name is one plain element (the ids
// of the layout are), it only concatenates, in one allocation.
func JoinClean(base string, names ...string) string {
	n := len(base)
	for _, s := range names {
		if s == "" || s == "." || s == ".." || strings.IndexByte(s, '/') >= 0 {
			return filepath.Join(append([]string{base}, names...)...)
		}
		n += 1 + len(s)
	}
	if base == "" || base == "/" || base == "." {
		return filepath.Join(append([]string{base}, names...)...)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(base)
	for _, s := range names {
		b.WriteByte('/')
		b.WriteString(s)
	}
	return b.String()
}

// BootID is meta/boot_id.
func (p Paths) BootID() string { return JoinClean(p.Meta(), BootIDFile) }

// Slaves is meta/slaves.
func (p Paths) Slaves() string { return JoinClean(p.Meta(), "slaves") }

// LatestSlave is the meta/slaves/latest symlink.
func (p Paths) LatestSlave() string { return JoinClean(p.Meta(), "slaves", Latest) }

// Slave is meta/slaves/<agent>.
func (p Paths) Slave(sid string) string { return JoinClean(p.Meta(), "slaves", sid) }

// SlaveInfo is meta/slaves/<agent>/slave.info.
func (p Paths) SlaveInfo(sid string) string { return JoinClean(p.Slave(sid), SlaveInfoFile) }

// Framework is the framework's meta folder.
func (p Paths) Framework(sid, fid string) string {
	return JoinClean(p.Meta(), "slaves", sid, "frameworks", fid)
}

// FrameworkInfo is the framework's framework.info.
func (p Paths) FrameworkInfo(sid, fid string) string {
	return JoinClean(p.Framework(sid, fid), FrameworkInfoFile)
}

// FrameworkPID is the framework's framework.pid.
func (p Paths) FrameworkPID(sid, fid string) string {
	return JoinClean(p.Framework(sid, fid), FrameworkPIDFile)
}

// Executor is the executor's meta folder.
func (p Paths) Executor(sid, fid, eid string) string {
	return JoinClean(p.Meta(), "slaves", sid, "frameworks", fid, "executors", eid)
}

// ExecutorInfo is the executor's executor.info.
func (p Paths) ExecutorInfo(sid, fid, eid string) string {
	return JoinClean(p.Executor(sid, fid, eid), ExecutorInfoFile)
}

// LatestRun is the executor's runs/latest symlink.
func (p Paths) LatestRun(sid, fid, eid string) string {
	return JoinClean(p.Executor(sid, fid, eid), "runs", Latest)
}

// Run is one run (container) of an executor.
func (p Paths) Run(sid, fid, eid, cid string) string {
	return JoinClean(p.Meta(), "slaves", sid, "frameworks", fid, "executors", eid, "runs", cid)
}

// ForkedPID is the run's pids/forked.pid (the executor's process).
func (p Paths) ForkedPID(sid, fid, eid, cid string) string {
	return JoinClean(p.Run(sid, fid, eid, cid), "pids", ForkedPIDFile)
}

// LibprocessPID is the run's pids/libprocess.pid (the executor's actor).
func (p Paths) LibprocessPID(sid, fid, eid, cid string) string {
	return JoinClean(p.Run(sid, fid, eid, cid), "pids", LibprocessPIDFile)
}

// HostedMarker marks a run whose command executor the agent hosts
// (gomesos only).
func (p Paths) HostedMarker(sid, fid, eid, cid string) string {
	return JoinClean(p.Run(sid, fid, eid, cid), HostedMarkerFile)
}

// Sentinel marks a run as over.
func (p Paths) Sentinel(sid, fid, eid, cid string) string {
	return JoinClean(p.Run(sid, fid, eid, cid), SentinelFile)
}

// Task is a task's meta folder inside a run.
func (p Paths) Task(sid, fid, eid, cid, tid string) string {
	return JoinClean(p.Run(sid, fid, eid, cid), "tasks", tid)
}

// TaskInfo is the task's task.info.
func (p Paths) TaskInfo(sid, fid, eid, cid, tid string) string {
	return RunTaskInfo(p.Run(sid, fid, eid, cid), tid)
}

// TaskUpdates is the task's task.updates journal.
func (p Paths) TaskUpdates(sid, fid, eid, cid, tid string) string {
	return RunTaskUpdates(p.Run(sid, fid, eid, cid), tid)
}

// RunTaskInfo is TaskInfo for the run folder run (Paths.Run).
func RunTaskInfo(run, tid string) string { return JoinClean(run, "tasks", tid, TaskInfoFile) }

// RunTaskUpdates is TaskUpdates for the run folder run (Paths.Run).
func RunTaskUpdates(run, tid string) string { return JoinClean(run, "tasks", tid, TaskUpdatesFile) }

// Sandbox is the run's sandbox, <work_dir>/slaves/<agent>/frameworks/<fw>/
// executors/<ex>/runs/<container>.
func (p Paths) Sandbox(sid, fid, eid, cid string) string {
	return JoinClean(p.FrameworkSandbox(sid, fid), "executors", eid, "runs", cid)
}

// FrameworkSandbox is the framework's sandbox folder,
// <work_dir>/slaves/<agent>/frameworks/<fw>.
func (p Paths) FrameworkSandbox(sid, fid string) string {
	if p.work == "" {
		return filepath.Join(p.WorkDir, "slaves", sid, "frameworks", fid)
	}
	return JoinClean(p.work, "slaves", sid, "frameworks", fid)
}
