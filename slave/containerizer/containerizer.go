// Package containerizer runs executors in containers for the agent.
//
// The Containerizer interface is what the agent talks to; its methods block
// and are safe for concurrent use, so the agent calls them from goroutines
// and hands the results back to its own mailbox. InMem runs nothing: a
// test decides when each executor starts and ends (tests may also inject
// their own implementation).
//
// Mesos (NewMesos) is the default implementation, after Mesos' "mesos"
// containerizer without images: for each container it makes the sandbox
// (its stdout and stderr files are created by the launcher as it forks),
// fetches the command's URIs (logging to stderr),
// lets every isolator prepare, forks the executor through the launcher
// (held at the launcher's gate until every isolator has isolated it, and in
// new namespaces when an isolator asks for them), watches for limitations
// (one ends the container TASK_FAILED with the isolator's reason and
// message), and reaps the executor. Destroy kills the container's
// processes (or aborts a launch in progress) and cleans the isolators up in
// reverse order; Wait then reports the termination. Usage merges what the
// isolators measure; the allocation stands in only for limits they do not
// report. After an agent restart, recoverIsolation (orphans.go) destroys
// the containers nobody claims. The sequence is isolators/README.md's.
package containerizer

import (
	"context"
	"errors"

	"github.com/gomesos/gomesos/messages/mesos"
)

// LaunchConfig is what the agent asks to run.
type LaunchConfig struct {
	// ExecutorInfo holds the executor's command (URIs, environment, value,
	// arguments, shell).
	ExecutorInfo *mesos.ExecutorInfo
	// TaskInfo is set for command tasks (the executor was synthesised).
	TaskInfo *mesos.TaskInfo
	// Resources are the executor's plus its tasks' resources.
	Resources []*mesos.Resource
	// Directory is the sandbox; it is created if missing.
	Directory string
	// User to run as; empty means the agent's user. (Switching users is
	// not implemented yet: the executor runs as the agent's user.)
	User string
	// Env is the environment the agent computed (MESOS_* variables and
	// LIBPROCESS_*). The containerizer adds MESOS_SANDBOX, a default PATH,
	// and the command's own environment (which wins).
	Env map[string]string
	// Checkpoint is true if the framework checkpoints (Env's
	// MESOS_CHECKPOINT is "1").
	Checkpoint bool
	// PIDFile, if set, is where the executor's pid is checkpointed
	// (atomically, as text) once it is forked, so that a restarted agent
	// finds it again (Mesos' forked.pid).
	PIDFile string
	// Forked, if set, is called with the executor's pid once it is forked
	// (after PIDFile is written), before Launch returns; an error kills
	// the executor and fails the launch.
	Forked func(pid int) error
}

// Termination says how a container ended (Mesos' ContainerTermination).
type Termination struct {
	// Status is the executor's raw wait status, if it was reaped.
	Status *int32
	// State and Reason are set when the containerizer itself ended the
	// container for a reason tasks should see (a resource limitation).
	State  *mesos.TaskState
	Reason *mesos.TaskStatus_Reason
	// Message explains State/Reason, or a launch failure.
	Message string
	// LimitedResources are the resources whose limit was hit.
	LimitedResources []*mesos.Resource
}

// Containerizer runs containers. All methods are safe for concurrent use.
type Containerizer interface {
	// Launch starts a container and returns once its executor runs, or
	// with an error if the launch failed (then Wait reports its end too).
	// A Destroy during Launch makes Launch fail.
	Launch(ctx context.Context, containerID string, cfg LaunchConfig) error
	// Wait blocks until the container has terminated. It returns
	// ErrUnknownContainer for ids it never saw (or forgot long ago).
	Wait(ctx context.Context, containerID string) (*Termination, error)
	// Destroy kills the container and returns once it has terminated.
	// Destroying an unknown or finished container is not an error.
	Destroy(ctx context.Context, containerID string) error
	// Update tells the container its new resources.
	Update(ctx context.Context, containerID string, resources []*mesos.Resource) error
	// Usage measures the container.
	Usage(ctx context.Context, containerID string) (*mesos.ResourceStatistics, error)
	// Containers lists the containers that have not terminated.
	Containers() []string
}

// Recovered is a container a restarted agent found in its checkpoint.
type Recovered struct {
	ID        string
	PID       int // the executor's forked pid; 0 if it was never written
	Directory string
	Resources []*mesos.Resource
}

// Recoverer is a Containerizer that can adopt the containers of a
// previous agent run after a restart: Wait, Destroy, Update and Usage then
// work on them. A container whose process is gone (or whose pid is 0)
// terminates at once, with an unknown status.
type Recoverer interface {
	Recover(ctx context.Context, containers []Recovered) error
}

// Limiter is a Containerizer that can say whether a container has run
// into a limitation before the container has ended on it: an executor may
// report its task's end (the kernel killed the task for a limit) before
// the containerizer has destroyed the container.
type Limiter interface {
	// Limitation returns the termination the container's limitation
	// gives it (State, Reason, Message and LimitedResources set), or nil
	// if no isolator reports one.
	Limitation(ctx context.Context, containerID string) *Termination
}

// ErrUnknownContainer is returned for container ids never launched.
var ErrUnknownContainer = errors.New("unknown container")
