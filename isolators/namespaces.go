package isolators

import (
	"context"

	"github.com/gomesos/gomesos/messages/mesos"
)

// NamespacesPID is the "namespaces/pid" isolator: it asks the launcher to
// start the executor in new pid, mount, ipc and uts namespaces (the
// executor is PID 1 there and sees only its own processes, a fresh /proc
// and a private /tmp). Only the linux launcher can do that; the posix
// launcher refuses such a launch.
type NamespacesPID struct{}

func (NamespacesPID) Name() string { return "namespaces/pid" }

func (NamespacesPID) Recover(ctx context.Context, states []RecoverState, orphans []string) error {
	return nil
}

func (NamespacesPID) Prepare(ctx context.Context, containerID string, cfg ContainerConfig) (*LaunchInfo, error) {
	return &LaunchInfo{Namespaces: true}, nil
}

func (NamespacesPID) Isolate(ctx context.Context, containerID string, pid int) error { return nil }

func (NamespacesPID) Watch(ctx context.Context, containerID string) (*Limitation, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (NamespacesPID) Update(ctx context.Context, containerID string, resources []*mesos.Resource) error {
	return nil
}

// Usage measures nothing.
func (NamespacesPID) Usage(ctx context.Context, containerID string) (*mesos.ResourceStatistics, error) {
	return nil, nil
}

func (NamespacesPID) Cleanup(ctx context.Context, containerID string) error { return nil }
