// Package isolators holds the isolator interface of the containerizer and
// the isolators built so far.
//
// An isolator takes part in a container's life: Prepare runs before the
// executor is forked (and may add environment variables), Isolate once its
// pid is known, Watch reports a resource limitation that should end the
// container, Update follows resource changes, Usage measures, and Cleanup
// runs after the container's processes are gone. Recover rebuilds state after
// an agent restart.
//
// Only the posix isolators exist now ("posix/cpu", "posix/mem"): they
// enforce nothing and measure the container's process tree through /proc.
// The cgroups isolators come later and will implement the same interface.
package isolators

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/gomesos/gomesos/messages/mesos"
)

// ContainerConfig is what an isolator learns about a container to be
// launched.
type ContainerConfig struct {
	ExecutorInfo *mesos.ExecutorInfo
	Resources    []*mesos.Resource // executor + task resources
	Directory    string            // the sandbox
	User         string            // may be empty: the agent's user
}

// LaunchInfo is what Prepare may ask of the launch.
type LaunchInfo struct {
	// Env is added to the executor's environment.
	Env map[string]string
}

// Limitation is a resource limit a container ran into; the containerizer
// destroys the container and reports it in the termination.
type Limitation struct {
	Resources []*mesos.Resource
	Message   string
	Reason    mesos.TaskStatus_Reason
}

// RecoverState describes a container the agent knows after a restart.
type RecoverState struct {
	ContainerID string
	Pid         int
	Directory   string
}

// Isolator is one isolation mechanism. Calls for one container come in the
// order Prepare, Isolate, (Watch, Update, Usage)*, Cleanup; calls for
// different containers may be concurrent.
type Isolator interface {
	// Name is the --isolation name, e.g. "posix/cpu".
	Name() string
	Recover(ctx context.Context, states []RecoverState, orphans []string) error
	Prepare(ctx context.Context, containerID string, cfg ContainerConfig) (*LaunchInfo, error)
	Isolate(ctx context.Context, containerID string, pid int) error
	// Watch blocks until the container runs into a limitation, or ctx ends
	// (then it returns ctx.Err()).
	Watch(ctx context.Context, containerID string) (*Limitation, error)
	Update(ctx context.Context, containerID string, resources []*mesos.Resource) error
	// Usage fills in the statistics this isolator measures.
	Usage(ctx context.Context, containerID string) (*mesos.ResourceStatistics, error)
	Cleanup(ctx context.Context, containerID string) error
}

// constructors are the isolators that can be named in --isolation.
var constructors = map[string]func() Isolator{
	"posix/cpu": func() Isolator { return NewPosixCPU() },
	"posix/mem": func() Isolator { return NewPosixMem() },
}

// later are isolators Mesos has that are planned but not built yet.
var later = map[string]bool{
	"cgroups/cpu": true, "cgroups/mem": true, "cgroups/pids": true, "cgroups/all": true,
	"cgroups/devices": true, "cgroups/blkio": true, "cgroups/net_cls": true,
	"cgroups/perf_event": true, "cgroups/hugetlb": true, "cgroups/cpuset": true,
	"disk/du": true, "disk/xfs": true, "filesystem/linux": true, "filesystem/posix": true,
	"namespaces/pid": true, "namespaces/ipc": true, "network/cni": true,
	"docker/runtime": true, "linux/capabilities": true, "gpu/nvidia": true,
	"volume/sandbox_path": true, "volume/host_path": true, "posix/disk": true,
	"posix/rlimits": true, "linux/seccomp": true, "network/port_mapping": true,
}

// Names lists the isolators that can be built, sorted.
func Names() []string {
	out := make([]string, 0, len(constructors))
	for n := range constructors {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Parse checks an --isolation value ("posix/cpu,posix/mem") and returns the
// names in order, without duplicates. Empty means the default.
func Parse(isolation string) ([]string, error) {
	if strings.TrimSpace(isolation) == "" {
		isolation = "posix/cpu,posix/mem"
	}
	seen := map[string]bool{}
	var names []string
	for _, n := range strings.Split(isolation, ",") {
		n = strings.TrimSpace(n)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		if _, ok := constructors[n]; !ok {
			if later[n] {
				return nil, fmt.Errorf("isolator %q is not supported yet (supported: %s)", n, strings.Join(Names(), ", "))
			}
			return nil, fmt.Errorf("unknown isolator %q (supported: %s)", n, strings.Join(Names(), ", "))
		}
		names = append(names, n)
	}
	return names, nil
}

// Create builds the isolators named in an --isolation value.
func Create(isolation string) ([]Isolator, error) {
	names, err := Parse(isolation)
	if err != nil {
		return nil, err
	}
	out := make([]Isolator, 0, len(names))
	for _, n := range names {
		out = append(out, constructors[n]())
	}
	return out, nil
}
