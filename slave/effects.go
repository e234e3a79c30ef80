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
	Config                  containerizer.LaunchConfig
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

// Redetect asks the shell to drop its detection and ask the detector for
// the leading master anew; the answer comes back as Detected.
type Redetect struct{}

func (e PrepareSandbox) String() string   { return "prepare sandbox " + e.Dir }
func (e LaunchContainer) String() string  { return "launch container " + e.ContainerID }
func (e WaitContainer) String() string    { return "wait container " + e.ContainerID }
func (e DestroyContainer) String() string { return "destroy container " + e.ContainerID }
func (e Redetect) String() string         { return "redetect" }
func (e UpdateContainer) String() string {
	return fmt.Sprintf("update container %s tasks %v", e.ContainerID, e.Tasks)
}
