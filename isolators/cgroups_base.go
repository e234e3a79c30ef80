package isolators

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	"github.com/gomesos/gomesos/isolators/cgroups"
	"github.com/gomesos/gomesos/messages/mesos"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// cgroupsBase is what the cgroups isolators share: one cgroup per container
// under the layout's root in each of the isolator's controllers, created in
// Prepare, joined in Isolate, and killed and removed in Cleanup.
type cgroupsBase struct {
	name   string
	layout *cgroups.Layout
	ctrls  []string // v1 controllers (hierarchies) this isolator owns

	mu         sync.Mutex
	containers map[string]*cgContainer
}

type cgContainer struct {
	id    string
	v1    cgroup1.Cgroup
	v2    *cgroup2.Manager
	res   []*mesos.Resource
	limit int64 // memory hard limit in bytes (cgroups/mem)

	// Set by cgroups/mem: the OOM watch and what it found.
	oom   *cgroups.OOMWatch
	fired chan struct{} // closed once lim is set
	lim   *Limitation
	gone  chan struct{} // closed by Cleanup
}

func newCgroupsBase(name string, l *cgroups.Layout, ctrls ...string) (*cgroupsBase, error) {
	need := ctrls
	if err := l.Require(name, need...); err != nil {
		return nil, err
	}
	return &cgroupsBase{name: name, layout: l, ctrls: ctrls, containers: map[string]*cgContainer{}}, nil
}

func (b *cgroupsBase) Name() string { return b.name }

// hierarchy is the v1 subsystems of this isolator, mounted under the
// layout's hierarchy (never the library's default discovery).
func (b *cgroupsBase) hierarchy() ([]cgroup1.Subsystem, error) {
	var out []cgroup1.Subsystem
	h := b.layout.Hierarchy
	for _, c := range b.ctrls {
		switch c {
		case "cpu":
			out = append(out, cgroup1.NewCpu(h))
		case "cpuacct":
			out = append(out, cgroup1.NewCpuacct(h))
		case "memory":
			out = append(out, cgroup1.NewMemory(h, cgroup1.OptionalSwap()))
		case "pids":
			out = append(out, cgroup1.NewPids(h))
		case "freezer":
			out = append(out, cgroup1.NewFreezer(h))
		default:
			return nil, fmt.Errorf("unsupported controller %q", c)
		}
	}
	return out, nil
}

// create makes the container's cgroups with the given limits.
func (b *cgroupsBase) create(c *cgContainer, r1 *specs.LinuxResources, r2 *cgroup2.Resources) error {
	var err error
	switch b.layout.Version {
	case cgroups.V1:
		c.v1, err = cgroup1.New(cgroup1.StaticPath(b.layout.Path(c.id)), r1, cgroup1.WithHierarchy(b.hierarchy))
	case cgroups.V2:
		c.v2, err = cgroup2.NewManager(b.layout.Hierarchy, b.layout.Path(c.id), r2)
	default:
		err = errors.New("no cgroups")
	}
	return err
}

// load attaches to the container's existing cgroups. ok is false when
// they do not exist.
func (b *cgroupsBase) load(id string) (*cgContainer, bool, error) {
	c := &cgContainer{id: id, fired: make(chan struct{}), gone: make(chan struct{})}
	switch b.layout.Version {
	case cgroups.V1:
		for _, ctrl := range b.ctrls {
			if !b.layout.Exists(ctrl, id) {
				return nil, false, nil
			}
		}
		cg, err := cgroup1.Load(cgroup1.StaticPath(b.layout.Path(id)), cgroup1.WithHierarchy(b.hierarchy))
		if errors.Is(err, cgroup1.ErrCgroupDeleted) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		c.v1 = cg
	case cgroups.V2:
		if !b.layout.Exists("", id) {
			return nil, false, nil
		}
		m, err := cgroup2.Load(b.layout.Path(id), cgroup2.WithMountpoint(b.layout.Hierarchy))
		if err != nil {
			return nil, false, err
		}
		c.v2 = m
	}
	return c, true, nil
}

func (b *cgroupsBase) get(id string) (*cgContainer, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.containers[id]
	if !ok {
		return nil, fmt.Errorf("%s: unknown container %s", b.name, id)
	}
	return c, nil
}

// prepare registers a new container and creates its cgroups.
func (b *cgroupsBase) prepare(id string, res []*mesos.Resource, r1 *specs.LinuxResources, r2 *cgroup2.Resources) (*cgContainer, error) {
	if err := cgroups.CheckID(id); err != nil {
		return nil, fmt.Errorf("%s: %w", b.name, err)
	}
	b.mu.Lock()
	if _, ok := b.containers[id]; ok {
		b.mu.Unlock()
		return nil, fmt.Errorf("%s: container %s has already been prepared", b.name, id)
	}
	c := &cgContainer{id: id, res: res, fired: make(chan struct{}), gone: make(chan struct{})}
	b.containers[id] = c
	b.mu.Unlock()
	for _, ctrl := range b.ctrls {
		// On cgroup v2 the isolators share one directory per container.
		if b.layout.Version == cgroups.V1 && b.layout.Exists(ctrl, id) {
			b.forget(id)
			return nil, fmt.Errorf("%s: the cgroup of container %s already exists (%s)", b.name, id, b.layout.Dir(ctrl, id))
		}
	}
	if err := b.create(c, r1, r2); err != nil {
		_ = b.layout.Destroy(context.Background(), id, b.ctrls...)
		b.forget(id)
		return nil, fmt.Errorf("%s: create the cgroup of container %s: %w", b.name, id, err)
	}
	return c, nil
}

// launchInfo tells the launcher where the container's processes will be.
func (b *cgroupsBase) launchInfo(id string) *LaunchInfo {
	return &LaunchInfo{Cgroup: b.layout.Dir(b.ctrls[0], id)}
}

func (b *cgroupsBase) forget(id string) {
	b.mu.Lock()
	delete(b.containers, id)
	b.mu.Unlock()
}

func (b *cgroupsBase) Isolate(ctx context.Context, id string, pid int) error {
	c, err := b.get(id)
	if err != nil {
		return err
	}
	if pid <= 0 {
		return fmt.Errorf("%s: invalid pid %d", b.name, pid)
	}
	if c.v1 != nil {
		err = c.v1.Add(cgroup1.Process{Pid: pid})
	} else if c.v2 != nil {
		err = c.v2.AddProc(uint64(pid))
	}
	if err != nil {
		return fmt.Errorf("%s: move pid %d into the cgroup of container %s: %w", b.name, pid, id, err)
	}
	return nil
}

// Watch of cpu and pids: these limits throttle or refuse, they never end a
// container.
func (b *cgroupsBase) watchNothing(ctx context.Context, id string) (*Limitation, error) {
	c, err := b.get(id)
	if err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.gone:
		return nil, fmt.Errorf("%s: container %s was cleaned up", b.name, id)
	}
}

// Cleanup kills whatever is left in the container's cgroups and removes
// them. Unknown containers are not an error (Mesos ignores them too).
func (b *cgroupsBase) Cleanup(ctx context.Context, id string) error {
	b.mu.Lock()
	c, ok := b.containers[id]
	delete(b.containers, id)
	var oom *cgroups.OOMWatch
	if ok {
		oom = c.oom
	}
	b.mu.Unlock()
	if !ok {
		return nil
	}
	close(c.gone)
	if oom != nil {
		oom.Close()
	}
	if err := b.layout.Destroy(ctx, id, b.ctrls...); err != nil {
		return fmt.Errorf("%s: %w", b.name, err)
	}
	return nil
}

// Recover attaches to the cgroups of the containers the agent knows and of
// the orphans it will destroy. A known container without a cgroup is
// logged and left unisolated (it was launched without this isolator).
func (b *cgroupsBase) recover(states []RecoverState, orphans []string, after func(*cgContainer) error) error {
	ids := make([]string, 0, len(states)+len(orphans))
	for _, s := range states {
		ids = append(ids, s.ContainerID)
	}
	ids = append(ids, orphans...)
	for _, id := range ids {
		if cgroups.CheckID(id) != nil {
			continue
		}
		b.mu.Lock()
		_, known := b.containers[id]
		b.mu.Unlock()
		if known {
			continue
		}
		c, ok, err := b.load(id)
		if err != nil {
			return fmt.Errorf("%s: recover container %s: %w", b.name, id, err)
		}
		if !ok {
			logrus.WithFields(logrus.Fields{"container_id": id, "isolator": b.name}).Warn("no cgroup to recover for container")
			continue
		}
		if after != nil {
			if err := after(c); err != nil {
				return fmt.Errorf("%s: recover container %s: %w", b.name, id, err)
			}
		}
		b.mu.Lock()
		b.containers[id] = c
		b.mu.Unlock()
	}
	return nil
}

// Containers lists the containers that have a cgroup under the root in any
// of this isolator's controllers: after Recover, those that are neither
// known nor orphans are unknown orphans the containerizer should destroy.
func (b *cgroupsBase) Containers() ([]string, error) {
	set := map[string]bool{}
	ctrls := b.ctrls
	if b.layout.Version == cgroups.V2 {
		ctrls = []string{""}
	}
	for _, c := range ctrls {
		ids, err := b.layout.Containers(c)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", b.name, err)
		}
		for _, id := range ids {
			set[id] = true
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

// countProcs counts the processes and threads of the container's cgroup in
// controller ctrl.
func (b *cgroupsBase) countProcs(ctrl, id string) (procs, threads uint32) {
	dir := b.layout.Dir(ctrl, id)
	count := func(file string) uint32 {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return 0
		}
		return uint32(len(strings.Fields(string(data))))
	}
	if b.layout.Version == cgroups.V2 {
		return count("cgroup.procs"), count("cgroup.threads")
	}
	return count("cgroup.procs"), count("tasks")
}

func readInt(file string) (int64, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(data))
	if s == "max" {
		return -1, nil
	}
	return strconv.ParseInt(s, 10, 64)
}
