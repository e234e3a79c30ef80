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
// The posix isolators ("posix/cpu", "posix/mem") enforce nothing and
// measure the container's process tree through /proc. The cgroups
// isolators ("cgroups/cpu", "cgroups/mem", "cgroups/pids") give each
// container a cgroup under --cgroups_root in each of their controllers
// (cgroup v1 or v2, through github.com/containerd/cgroups/v3), enforce its
// cpu and mem, and measure through the cgroup; the plumbing they share with
// the linux launcher is in the cgroups subpackage. "namespaces/pid" only
// asks the (linux) launcher for namespaces. README.md says how a
// containerizer drives them.
package isolators

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/gomesos/gomesos/isolators/cgroups"
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
	// Namespaces asks the launcher for new pid, mount, ipc and uts
	// namespaces (launcher.Spec.Namespaces; only the linux launcher has
	// them).
	Namespaces bool
	// Cgroup is a cgroup directory that will hold every process of the
	// container once Isolate has run (the cgroups isolators give one of
	// theirs): the launcher may list the container's processes there
	// (launcher.Spec.Cgroup).
	Cgroup string
}

// Limiter is an isolator that can say, once a container's processes are
// gone, whether it ran into a limitation: the kernel may reap a process it
// killed for a limit before the isolator's Watch has reported it.
type Limiter interface {
	Limited(ctx context.Context, containerID string) *Limitation
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

// OrphanFinder is implemented by isolators that find containers on the
// host by themselves (the cgroups isolators list the cgroups under their
// root). After Recover, a listed container that is neither known to the
// agent nor an orphan the launcher reported is an unknown orphan: the
// containerizer should clean it up (Cleanup kills what is left in its
// cgroups and removes them).
type OrphanFinder interface {
	Containers() ([]string, error)
}

// Options configure the isolators built by New; the zero value means
// Mesos' defaults.
type Options struct {
	// CgroupsHierarchy is --cgroups_hierarchy (default /sys/fs/cgroup).
	CgroupsHierarchy string
	// CgroupsRoot is --cgroups_root (default "mesos"), always taken as an
	// absolute path inside each hierarchy.
	CgroupsRoot string
	// CgroupsEnableCFS is --cgroups_enable_cfs: cap each container's CPU
	// time at its cpus with a CFS quota.
	CgroupsEnableCFS bool
	// PidsMax caps each container's processes and threads (cgroups/pids);
	// 0 means no cap.
	PidsMax int64
}

// constructors are the isolators that can be named in --isolation.
var constructors = map[string]func(*env) (Isolator, error){
	"posix/cpu":      func(*env) (Isolator, error) { return NewPosixCPU(), nil },
	"posix/mem":      func(*env) (Isolator, error) { return NewPosixMem(), nil },
	"namespaces/pid": func(*env) (Isolator, error) { return NamespacesPID{}, nil },
	"cgroups/cpu": func(e *env) (Isolator, error) {
		l, err := e.layout()
		if err != nil {
			return nil, err
		}
		return NewCgroupsCPU(l, e.opts.CgroupsEnableCFS)
	},
	"cgroups/mem": func(e *env) (Isolator, error) {
		l, err := e.layout()
		if err != nil {
			return nil, err
		}
		return NewCgroupsMem(l)
	},
	"cgroups/pids": func(e *env) (Isolator, error) {
		l, err := e.layout()
		if err != nil {
			return nil, err
		}
		return NewCgroupsPids(l, e.opts.PidsMax)
	},
}

// aliases expand to several isolators.
var aliases = map[string][]string{
	"cgroups/all": {"cgroups/cpu", "cgroups/mem", "cgroups/pids"},
}

// env is what constructors share: one layout for all cgroups isolators.
type env struct {
	opts Options
	l    *cgroups.Layout
}

func (e *env) layout() (*cgroups.Layout, error) {
	if e.l == nil {
		l, err := cgroups.NewLayout(e.opts.CgroupsHierarchy, e.opts.CgroupsRoot)
		if err != nil {
			return nil, err
		}
		e.l = l
	}
	return e.l, nil
}

// later are isolators Mesos has that are planned but not built yet.
var later = map[string]bool{
	"cgroups/devices": true, "cgroups/blkio": true, "cgroups/net_cls": true,
	"cgroups/perf_event": true, "cgroups/hugetlb": true, "cgroups/cpuset": true,
	"disk/du": true, "disk/xfs": true, "filesystem/linux": true, "filesystem/posix": true,
	"namespaces/ipc": true, "network/cni": true,
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
		if exp, ok := aliases[n]; ok {
			for _, e := range exp {
				if !seen[e] {
					seen[e] = true
					names = append(names, e)
				}
			}
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

// Create builds the isolators named in an --isolation value with default
// options.
func Create(isolation string) ([]Isolator, error) {
	return New(isolation, Options{})
}

// New builds the isolators named in an --isolation value. An unknown name,
// or a cgroups isolator on a host without the cgroup controllers it needs,
// is an error.
func New(isolation string, opts Options) ([]Isolator, error) {
	names, err := Parse(isolation)
	if err != nil {
		return nil, err
	}
	e := &env{opts: opts}
	out := make([]Isolator, 0, len(names))
	for _, n := range names {
		iso, err := constructors[n](e)
		if err != nil {
			return nil, err
		}
		out = append(out, iso)
	}
	return out, nil
}

// Unclaimed lists the containers that the isolators find on the host by
// themselves (OrphanFinder) and that are not in known, sorted. The
// containerizer passes them to Recover as orphans along with the
// launcher's, then destroys them.
func Unclaimed(isos []Isolator, known []string) ([]string, error) {
	claimed := map[string]bool{}
	for _, id := range known {
		claimed[id] = true
	}
	set := map[string]bool{}
	for _, iso := range isos {
		f, ok := iso.(OrphanFinder)
		if !ok {
			continue
		}
		ids, err := f.Containers()
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if !claimed[id] {
				set[id] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}
