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

import "path/filepath"

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

// Paths names the checkpoint files under one work dir.
type Paths struct{ WorkDir string }

// Meta is <work_dir>/meta.
func (p Paths) Meta() string { return filepath.Join(p.WorkDir, "meta") }

// BootID is meta/boot_id.
func (p Paths) BootID() string { return filepath.Join(p.Meta(), BootIDFile) }

// Slaves is meta/slaves.
func (p Paths) Slaves() string { return filepath.Join(p.Meta(), "slaves") }

// LatestSlave is the meta/slaves/latest symlink.
func (p Paths) LatestSlave() string { return filepath.Join(p.Slaves(), Latest) }

// Slave is meta/slaves/<agent>.
func (p Paths) Slave(sid string) string { return filepath.Join(p.Slaves(), sid) }

// SlaveInfo is meta/slaves/<agent>/slave.info.
func (p Paths) SlaveInfo(sid string) string { return filepath.Join(p.Slave(sid), SlaveInfoFile) }

// Framework is the framework's meta folder.
func (p Paths) Framework(sid, fid string) string {
	return filepath.Join(p.Slave(sid), "frameworks", fid)
}

// FrameworkInfo is the framework's framework.info.
func (p Paths) FrameworkInfo(sid, fid string) string {
	return filepath.Join(p.Framework(sid, fid), FrameworkInfoFile)
}

// FrameworkPID is the framework's framework.pid.
func (p Paths) FrameworkPID(sid, fid string) string {
	return filepath.Join(p.Framework(sid, fid), FrameworkPIDFile)
}

// Executor is the executor's meta folder.
func (p Paths) Executor(sid, fid, eid string) string {
	return filepath.Join(p.Framework(sid, fid), "executors", eid)
}

// ExecutorInfo is the executor's executor.info.
func (p Paths) ExecutorInfo(sid, fid, eid string) string {
	return filepath.Join(p.Executor(sid, fid, eid), ExecutorInfoFile)
}

// LatestRun is the executor's runs/latest symlink.
func (p Paths) LatestRun(sid, fid, eid string) string {
	return filepath.Join(p.Executor(sid, fid, eid), "runs", Latest)
}

// Run is one run (container) of an executor.
func (p Paths) Run(sid, fid, eid, cid string) string {
	return filepath.Join(p.Executor(sid, fid, eid), "runs", cid)
}

// ForkedPID is the run's pids/forked.pid (the executor's process).
func (p Paths) ForkedPID(sid, fid, eid, cid string) string {
	return filepath.Join(p.Run(sid, fid, eid, cid), "pids", ForkedPIDFile)
}

// LibprocessPID is the run's pids/libprocess.pid (the executor's actor).
func (p Paths) LibprocessPID(sid, fid, eid, cid string) string {
	return filepath.Join(p.Run(sid, fid, eid, cid), "pids", LibprocessPIDFile)
}

// HostedMarker marks a run whose command executor the agent hosts
// (gomesos only).
func (p Paths) HostedMarker(sid, fid, eid, cid string) string {
	return filepath.Join(p.Run(sid, fid, eid, cid), HostedMarkerFile)
}

// Sentinel marks a run as over.
func (p Paths) Sentinel(sid, fid, eid, cid string) string {
	return filepath.Join(p.Run(sid, fid, eid, cid), SentinelFile)
}

// Task is a task's meta folder inside a run.
func (p Paths) Task(sid, fid, eid, cid, tid string) string {
	return filepath.Join(p.Run(sid, fid, eid, cid), "tasks", tid)
}

// TaskInfo is the task's task.info.
func (p Paths) TaskInfo(sid, fid, eid, cid, tid string) string {
	return filepath.Join(p.Task(sid, fid, eid, cid, tid), TaskInfoFile)
}

// TaskUpdates is the task's task.updates journal.
func (p Paths) TaskUpdates(sid, fid, eid, cid, tid string) string {
	return filepath.Join(p.Task(sid, fid, eid, cid, tid), TaskUpdatesFile)
}

// Sandbox is the run's sandbox, <work_dir>/slaves/<agent>/frameworks/<fw>/
// executors/<ex>/runs/<container>.
func (p Paths) Sandbox(sid, fid, eid, cid string) string {
	return filepath.Join(p.WorkDir, "slaves", sid, "frameworks", fid, "executors", eid, "runs", cid)
}
