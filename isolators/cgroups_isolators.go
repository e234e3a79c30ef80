package isolators

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	"github.com/gomesos/gomesos/isolators/cgroups"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/protobuf/proto"
)

// Mesos' cgroups constants.
const (
	CPUSharesPerCPU = 1024
	MinCPUShares    = 2
	CFSPeriod       = 100 * time.Millisecond
	MinCFSQuota     = time.Millisecond
	MinMemory       = 32 << 20 // bytes
)

func cpusOf(res []*mesos.Resource) float64 { return resources.Resources(res).Scalar("cpus") }

// memOf is the container's memory in bytes (resources are in MB).
func memOf(res []*mesos.Resource) int64 {
	return int64(resources.Resources(res).Scalar("mem") * (1 << 20))
}

// CPUShares is cpu.shares for cpus: 1024 per CPU, at least 2.
func CPUShares(cpus float64) uint64 {
	return max(uint64(cpus*CPUSharesPerCPU), MinCPUShares)
}

// CFSQuota is cpu.cfs_quota_us for cpus over a 100 ms period, at least 1 ms.
func CFSQuota(cpus float64) int64 {
	q := int64(cpus * float64(CFSPeriod.Microseconds()))
	return max(q, MinCFSQuota.Microseconds())
}

// cpuWeight maps cgroup v1 shares (2..262144) onto cgroup v2's cpu.weight
// (1..10000) linearly.
func cpuWeight(shares uint64) uint64 {
	shares = min(max(shares, 2), 262144)
	return 1 + (shares-2)*9999/262142
}

// CgroupsCPU is the "cgroups/cpu" isolator: cpu.shares in proportion to the
// container's cpus, a CFS hard cap when EnableCFS is set, and CPU
// accounting (cpuacct on v1, cpu.stat on v2).
type CgroupsCPU struct {
	*cgroupsBase
	enableCFS bool
}

// NewCgroupsCPU returns a cgroups/cpu isolator, or an error if the host
// lacks the cpu or cpuacct controller.
func NewCgroupsCPU(l *cgroups.Layout, enableCFS bool) (*CgroupsCPU, error) {
	b, err := newCgroupsBase("cgroups/cpu", l, "cpu", "cpuacct")
	if err != nil {
		return nil, err
	}
	return &CgroupsCPU{cgroupsBase: b, enableCFS: enableCFS}, nil
}

func (i *CgroupsCPU) limits(res []*mesos.Resource) (*specs.LinuxResources, *cgroup2.Resources) {
	cpus := cpusOf(res)
	shares := CPUShares(cpus)
	r1 := &specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: &shares}}
	w := cpuWeight(shares)
	r2 := &cgroup2.Resources{CPU: &cgroup2.CPU{Weight: &w}}
	if i.enableCFS {
		period := uint64(CFSPeriod.Microseconds())
		quota := CFSQuota(cpus)
		// On v1 the period is left at the kernel's default, which is
		// CFSPeriod: every write of cpu.cfs_period_us or cfs_quota_us
		// walks all of the host's CPU cgroups to check the bandwidth,
		// so with a thousand containers each write counts.
		r1.CPU.Quota = &quota
		r2.CPU.Max = cgroup2.NewCPUMax(&quota, &period)
	}
	return r1, r2
}

func (i *CgroupsCPU) Recover(ctx context.Context, states []RecoverState, orphans []string) error {
	return i.recover(states, orphans, nil)
}

func (i *CgroupsCPU) Prepare(ctx context.Context, id string, cfg ContainerConfig) (*LaunchInfo, error) {
	r1, r2 := i.limits(cfg.Resources)
	if _, err := i.prepare(id, cfg.Resources, r1, r2); err != nil {
		return nil, err
	}
	return i.launchInfo(id), nil
}

func (i *CgroupsCPU) Watch(ctx context.Context, id string) (*Limitation, error) {
	return i.watchNothing(ctx, id)
}

func (i *CgroupsCPU) Update(ctx context.Context, id string, res []*mesos.Resource) error {
	c, err := i.get(id)
	if err != nil {
		return err
	}
	r1, r2 := i.limits(res)
	if c.v1 != nil {
		err = c.v1.Update(r1)
	} else if c.v2 != nil {
		err = c.v2.Update(r2)
	}
	if err != nil {
		return fmt.Errorf("%s: update container %s: %w", i.name, id, err)
	}
	i.mu.Lock()
	c.res = res
	i.mu.Unlock()
	return nil
}

// Usage reports CPU time, throttling, the limit and the process count.
func (i *CgroupsCPU) Usage(ctx context.Context, id string) (*mesos.ResourceStatistics, error) {
	c, err := i.get(id)
	if err != nil {
		return nil, err
	}
	i.mu.Lock()
	res := c.res
	i.mu.Unlock()
	out := &mesos.ResourceStatistics{Timestamp: proto.Float64(float64(time.Now().UnixNano()) / 1e9)}
	if cpus := cpusOf(res); cpus > 0 {
		out.CpusLimit = proto.Float64(cpus)
	}
	switch {
	case c.v1 != nil:
		st, err := c.v1.Stat(cgroup1.IgnoreNotExist)
		if err != nil {
			return nil, fmt.Errorf("%s: usage of container %s: %w", i.name, id, err)
		}
		u, t := st.GetCPU().GetUsage(), st.GetCPU().GetThrottling()
		out.CpusUserTimeSecs = proto.Float64(float64(u.GetUser()) / 1e9)
		out.CpusSystemTimeSecs = proto.Float64(float64(u.GetKernel()) / 1e9)
		out.CpusNrPeriods = proto.Uint32(uint32(t.GetPeriods()))
		out.CpusNrThrottled = proto.Uint32(uint32(t.GetThrottledPeriods()))
		out.CpusThrottledTimeSecs = proto.Float64(float64(t.GetThrottledTime()) / 1e9)
	case c.v2 != nil:
		st, err := c.v2.Stat()
		if err != nil {
			return nil, fmt.Errorf("%s: usage of container %s: %w", i.name, id, err)
		}
		cpu := st.GetCPU()
		out.CpusUserTimeSecs = proto.Float64(float64(cpu.GetUserUsec()) / 1e6)
		out.CpusSystemTimeSecs = proto.Float64(float64(cpu.GetSystemUsec()) / 1e6)
		out.CpusNrPeriods = proto.Uint32(uint32(cpu.GetNrPeriods()))
		out.CpusNrThrottled = proto.Uint32(uint32(cpu.GetNrThrottled()))
		out.CpusThrottledTimeSecs = proto.Float64(float64(cpu.GetThrottledUsec()) / 1e6)
	}
	p, t := i.countProcs("cpu", id)
	out.Processes, out.Threads = proto.Uint32(p), proto.Uint32(t)
	return out, nil
}

// CgroupsMem is the "cgroups/mem" isolator: a hard memory limit equal to the
// container's mem (at least 32 MB; raised on update, never lowered, as
// lowering it could OOM the container), the soft limit following mem, and an
// OOM watch that reports REASON_CONTAINER_LIMITATION_MEMORY at once.
type CgroupsMem struct {
	*cgroupsBase
}

// NewCgroupsMem returns a cgroups/mem isolator, or an error if the host
// lacks the memory controller.
func NewCgroupsMem(l *cgroups.Layout) (*CgroupsMem, error) {
	b, err := newCgroupsBase("cgroups/mem", l, "memory")
	if err != nil {
		return nil, err
	}
	return &CgroupsMem{cgroupsBase: b}, nil
}

func (i *CgroupsMem) limits(res []*mesos.Resource, hard int64) (*specs.LinuxResources, *cgroup2.Resources) {
	soft := max(memOf(res), MinMemory)
	r1 := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &hard, Reservation: &soft}}
	r2 := &cgroup2.Resources{Memory: &cgroup2.Memory{Max: &hard, Low: &soft}}
	return r1, r2
}

func (i *CgroupsMem) Recover(ctx context.Context, states []RecoverState, orphans []string) error {
	return i.recover(states, orphans, func(c *cgContainer) error {
		file := filepath.Join(i.layout.Dir("memory", c.id), "memory.limit_in_bytes")
		if i.layout.Version == cgroups.V2 {
			file = filepath.Join(i.layout.Dir("memory", c.id), "memory.max")
		}
		limit, err := readInt(file)
		if err != nil {
			return err
		}
		c.limit = limit
		return i.watchOOM(c)
	})
}

func (i *CgroupsMem) Prepare(ctx context.Context, id string, cfg ContainerConfig) (*LaunchInfo, error) {
	hard := max(memOf(cfg.Resources), MinMemory)
	r1, r2 := i.limits(cfg.Resources, hard)
	c, err := i.prepare(id, cfg.Resources, r1, r2)
	if err != nil {
		return nil, err
	}
	i.mu.Lock()
	c.limit = hard
	i.mu.Unlock()
	if err := i.startOOMWatch(c, cgroups.WatchNewOOM); err != nil {
		_ = i.Cleanup(ctx, id)
		return nil, err
	}
	return i.launchInfo(id), nil
}

// watchOOM starts the container's OOM watch; when the kernel OOM-kills one
// of its processes the limitation is recorded for Watch.
func (i *CgroupsMem) watchOOM(c *cgContainer) error {
	return i.startOOMWatch(c, cgroups.WatchOOM)
}

// startOOMWatch starts the container's OOM watch with open (WatchOOM, or
// WatchNewOOM for a cgroup just created).
func (i *CgroupsMem) startOOMWatch(c *cgContainer, open func(string, cgroups.Version) (*cgroups.OOMWatch, error)) error {
	w, err := open(i.layout.Dir("memory", c.id), i.layout.Version)
	if err != nil {
		return fmt.Errorf("%s: %w", i.name, err)
	}
	i.mu.Lock()
	c.oom = w
	i.mu.Unlock()
	go func() {
		if err := w.Wait(); err != nil {
			return // closed by Cleanup, or the cgroup went away
		}
		lim := i.oomLimitation(c)
		i.mu.Lock()
		c.lim = lim
		i.mu.Unlock()
		close(c.fired)
	}()
	return nil
}

// oomLimitation describes an OOM the way Mesos does: the limit, the peak
// usage and the cgroup's memory statistics.
func (i *CgroupsMem) oomLimitation(c *cgContainer) *Limitation {
	dir := i.layout.Dir("memory", c.id)
	peakFile, statFile := "memory.max_usage_in_bytes", "memory.stat"
	if i.layout.Version == cgroups.V2 {
		peakFile = "memory.peak"
	}
	peak, err := readInt(filepath.Join(dir, peakFile))
	if err != nil || peak <= 0 {
		peak = c.limit
	}
	i.mu.Lock()
	limit := c.limit
	i.mu.Unlock()
	var sb strings.Builder
	fmt.Fprintf(&sb, "Memory limit exceeded: Requested: %s Maximum Used: %s", megabytes(limit), megabytes(peak))
	if stat, err := os.ReadFile(filepath.Join(dir, statFile)); err == nil {
		sb.WriteString("\n\nMEMORY STATISTICS: \n")
		sb.Write(stat)
	}
	used, _ := resources.Parse(fmt.Sprintf("mem:%d", (peak+(1<<20)-1)>>20), "*")
	return &Limitation{
		Resources: used,
		Message:   sb.String(),
		Reason:    mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY,
	}
}

func megabytes(b int64) string { return fmt.Sprintf("%dMB", b>>20) }

// Watch returns the memory limitation once the container has been
// OOM-killed.
func (i *CgroupsMem) Watch(ctx context.Context, id string) (*Limitation, error) {
	c, err := i.get(id)
	if err != nil {
		return nil, err
	}
	select {
	case <-c.fired:
		i.mu.Lock()
		defer i.mu.Unlock()
		return c.lim, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.gone:
		return nil, fmt.Errorf("%s: container %s was cleaned up", i.name, id)
	}
}

// Limited implements Limiter: the memory limitation if the OOM killer
// acted in the container's cgroup since it was watched, even if Watch has
// not reported it yet.
func (i *CgroupsMem) Limited(ctx context.Context, id string) *Limitation {
	c, err := i.get(id)
	if err != nil {
		return nil
	}
	i.mu.Lock()
	lim, w := c.lim, c.oom
	i.mu.Unlock()
	if lim != nil || w == nil {
		return lim
	}
	if !w.Fired() {
		return nil
	}
	return i.oomLimitation(c)
}

// Update follows mem: the soft limit always, the hard limit only upwards.
func (i *CgroupsMem) Update(ctx context.Context, id string, res []*mesos.Resource) error {
	c, err := i.get(id)
	if err != nil {
		return err
	}
	i.mu.Lock()
	hard := max(c.limit, memOf(res), MinMemory)
	i.mu.Unlock()
	r1, r2 := i.limits(res, hard)
	if c.v1 != nil {
		err = c.v1.Update(r1)
	} else if c.v2 != nil {
		err = c.v2.Update(r2)
	}
	if err != nil {
		return fmt.Errorf("%s: update container %s: %w", i.name, id, err)
	}
	i.mu.Lock()
	c.res, c.limit = res, hard
	i.mu.Unlock()
	return nil
}

// Usage reports the memory the container uses and its limits.
func (i *CgroupsMem) Usage(ctx context.Context, id string) (*mesos.ResourceStatistics, error) {
	c, err := i.get(id)
	if err != nil {
		return nil, err
	}
	i.mu.Lock()
	limit, soft := c.limit, max(memOf(c.res), MinMemory)
	i.mu.Unlock()
	out := &mesos.ResourceStatistics{
		Timestamp:         proto.Float64(float64(time.Now().UnixNano()) / 1e9),
		MemLimitBytes:     proto.Uint64(uint64(limit)),
		MemSoftLimitBytes: proto.Uint64(uint64(soft)),
	}
	switch {
	case c.v1 != nil:
		st, err := c.v1.Stat(cgroup1.IgnoreNotExist)
		if err != nil {
			return nil, fmt.Errorf("%s: usage of container %s: %w", i.name, id, err)
		}
		m := st.GetMemory()
		out.MemTotalBytes = proto.Uint64(m.GetUsage().GetUsage())
		out.MemRssBytes = proto.Uint64(m.GetTotalRSS())
		out.MemAnonBytes = proto.Uint64(m.GetTotalRSS())
		out.MemCacheBytes = proto.Uint64(m.GetTotalCache())
		out.MemFileBytes = proto.Uint64(m.GetTotalCache())
		out.MemMappedFileBytes = proto.Uint64(m.GetTotalMappedFile())
		out.MemUnevictableBytes = proto.Uint64(m.GetTotalUnevictable())
		if sw := m.GetSwap(); sw != nil && sw.GetUsage() >= m.GetUsage().GetUsage() {
			out.MemTotalMemswBytes = proto.Uint64(sw.GetUsage())
			out.MemSwapBytes = proto.Uint64(sw.GetUsage() - m.GetUsage().GetUsage())
		}
	case c.v2 != nil:
		st, err := c.v2.Stat()
		if err != nil {
			return nil, fmt.Errorf("%s: usage of container %s: %w", i.name, id, err)
		}
		m := st.GetMemory()
		out.MemTotalBytes = proto.Uint64(m.GetUsage())
		out.MemRssBytes = proto.Uint64(m.GetAnon())
		out.MemAnonBytes = proto.Uint64(m.GetAnon())
		out.MemCacheBytes = proto.Uint64(m.GetFile())
		out.MemFileBytes = proto.Uint64(m.GetFile())
		out.MemMappedFileBytes = proto.Uint64(m.GetFileMapped())
		out.MemUnevictableBytes = proto.Uint64(m.GetUnevictable())
		out.MemSwapBytes = proto.Uint64(m.GetSwapUsage())
	}
	return out, nil
}

// CgroupsPids is the "cgroups/pids" isolator: it caps the number of
// processes and threads a container may have (Max; 0 means no cap), so a
// fork bomb stops at the cap.
type CgroupsPids struct {
	*cgroupsBase
	max int64
}

// NewCgroupsPids returns a cgroups/pids isolator, or an error if the host
// lacks the pids controller.
func NewCgroupsPids(l *cgroups.Layout, maxPids int64) (*CgroupsPids, error) {
	if maxPids < 0 {
		return nil, fmt.Errorf("cgroups/pids: the pids limit %d is negative", maxPids)
	}
	b, err := newCgroupsBase("cgroups/pids", l, "pids")
	if err != nil {
		return nil, err
	}
	return &CgroupsPids{cgroupsBase: b, max: maxPids}, nil
}

func (i *CgroupsPids) Recover(ctx context.Context, states []RecoverState, orphans []string) error {
	return i.recover(states, orphans, nil)
}

func (i *CgroupsPids) Prepare(ctx context.Context, id string, cfg ContainerConfig) (*LaunchInfo, error) {
	r1 := &specs.LinuxResources{}
	r2 := &cgroup2.Resources{}
	if i.max > 0 {
		r1.Pids = &specs.LinuxPids{Limit: &i.max}
		r2.Pids = &cgroup2.Pids{Max: i.max}
	}
	if _, err := i.prepare(id, cfg.Resources, r1, r2); err != nil {
		return nil, err
	}
	return i.launchInfo(id), nil
}

func (i *CgroupsPids) Watch(ctx context.Context, id string) (*Limitation, error) {
	return i.watchNothing(ctx, id)
}

func (i *CgroupsPids) Update(ctx context.Context, id string, res []*mesos.Resource) error {
	_, err := i.get(id)
	return err
}

// Usage reports the number of processes and threads.
func (i *CgroupsPids) Usage(ctx context.Context, id string) (*mesos.ResourceStatistics, error) {
	if _, err := i.get(id); err != nil {
		return nil, err
	}
	p, t := i.countProcs("pids", id)
	return &mesos.ResourceStatistics{
		Timestamp: proto.Float64(float64(time.Now().UnixNano()) / 1e9),
		Processes: proto.Uint32(p),
		Threads:   proto.Uint32(t),
	}, nil
}
