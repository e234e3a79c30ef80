package slave

import (
	"fmt"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/slave/containerizer"
)

// The agent core's own effects. The shell carries each out off the
// mailbox and feeds its result back to the core as the event named.

// PrepareSandbox makes the framework's sandbox folder Dir (with parents);
// the result is SandboxPrepared(now, the effect, err). At most one is in
// flight per (framework, executor).
type PrepareSandbox struct {
	FrameworkID, ExecutorID string
	Dir                     string
}

// LaunchContainer starts an executor's container; the result is
// ContainerLaunched(now, ContainerID, err).
type LaunchContainer struct {
	ContainerID             string
	FrameworkID, ExecutorID string
	// Config lacks what Complete adds: its ExecutorInfo, Resources and
	// Env are nil.
	Config containerizer.LaunchConfig
	// Hosted is set for a command task whose executor the agent hosts
	// (--command_executor=agent): the executor info Complete makes runs
	// the task's own command, and once it runs the shell starts the
	// executor's actor for it.
	Hosted *HostedExecutor

	// What Complete makes the rest of the config from (read only).
	info *mesos.ExecutorInfo
	task *mesos.TaskInfo
	env  executorVars
}

// HostedExecutor is what the shell needs to run a command executor for
// a command task on the agent's node.
type HostedExecutor struct {
	Task      *mesos.TaskInfo
	Framework *mesos.FrameworkInfo
}

// StartHostedExecutor starts again, after the agent restarted, the hosted
// executor of a recovered container whose task's command still runs
// (pid PID): it reregisters with Task and reports the command's end.
// There is no result event: the executor's messages follow.
type StartHostedExecutor struct {
	ContainerID             string
	FrameworkID, ExecutorID string
	PID                     int
	Env                     map[string]string
	HostedExecutor
}

// WaitContainer waits for a launched container to end; the result is
// ContainerExited(now, ContainerID, termination, err).
type WaitContainer struct{ ContainerID string }

// UpdateContainer gives a container its new resources; the result is
// ContainerUpdated(now, the effect, err). Tasks are the queued tasks to
// send to the executor once the update has succeeded (none when the
// container only shrinks).
type UpdateContainer struct {
	ContainerID string
	Resources   []*mesos.Resource
	Tasks       []string
}

// DestroyContainer kills a container; the result is
// ContainerDestroyed(now, ContainerID, err), and its end arrives through
// the pending WaitContainer.
type DestroyContainer struct{ ContainerID string }

// CheckLimitation asks the containerizer whether the container has run
// into a limitation (Deps.Limits); the result is
// ContainerLimitation(now, ContainerID, termination or nil).
type CheckLimitation struct{ ContainerID string }

// Redetect asks the shell to drop its detection and ask the detector for
// the leading master anew; the answer comes back as Detected.
type Redetect struct{}

func (e PrepareSandbox) String() string  { return "prepare sandbox " + e.Dir }
func (e LaunchContainer) String() string { return "launch container " + e.ContainerID }
func (e WaitContainer) String() string   { return "wait container " + e.ContainerID }
func (e StartHostedExecutor) String() string {
	return "start hosted executor " + e.ExecutorID + " of container " + e.ContainerID
}
func (e DestroyContainer) String() string { return "destroy container " + e.ContainerID }
func (e CheckLimitation) String() string  { return "check limitation " + e.ContainerID }
func (e Redetect) String() string         { return "redetect" }
func (e UpdateContainer) String() string {
	return fmt.Sprintf("update container %s tasks %v", e.ContainerID, e.Tasks)
}

// Disk effects: the shell writes them off the mailbox, one at a time and
// in order, and applies none of the effects that follow a disk effect
// (from this or any later event) until it is on disk. So an update's
// journal record is durable before the update is forwarded or the
// executor acknowledged, and an acknowledgement's record before the next
// update is sent. Paths are absolute.

// Checkpoint replaces the file Path with Data atomically.
type Checkpoint struct {
	Path string
	Data []byte
}

// CheckpointAppend appends Data to the file Path and syncs it (a
// task.updates record).
type CheckpointAppend struct {
	Path string
	Data []byte
}

// CheckpointLink points the symlink Path at Target atomically.
type CheckpointLink struct{ Path, Target string }

// CheckpointRemove deletes Path and everything under it.
type CheckpointRemove struct{ Path string }

// RecoverContainers asks the containerizer to adopt the containers of the
// previous agent run; the result is ContainersRecovered(now, err).
type RecoverContainers struct{ Containers []containerizer.Recovered }

// RecoveryCleanupDone says that --recover=cleanup has killed every
// recovered executor: the agent does not register, and the daemon exits.
type RecoveryCleanupDone struct{}

func (e Checkpoint) String() string       { return "checkpoint " + e.Path }
func (e CheckpointAppend) String() string { return "checkpoint append " + e.Path }
func (e CheckpointLink) String() string   { return "checkpoint link " + e.Path + " -> " + e.Target }
func (e CheckpointRemove) String() string { return "checkpoint remove " + e.Path }
func (e RecoverContainers) String() string {
	return fmt.Sprintf("recover %d containers", len(e.Containers))
}
func (e RecoveryCleanupDone) String() string { return "recovery cleanup done" }

// isDisk reports whether e is a disk effect.
func isDisk(e any) bool {
	switch e.(type) {
	case Checkpoint, CheckpointAppend, CheckpointLink, CheckpointRemove:
		return true
	}
	return false
}
