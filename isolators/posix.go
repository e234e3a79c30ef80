package isolators

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// posixBase tracks the pid of each isolated container.
type posixBase struct {
	name string
	mu   sync.Mutex
	pids map[string]int
}

func (b *posixBase) Name() string { return b.name }

func (b *posixBase) Recover(ctx context.Context, states []RecoverState, orphans []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range states {
		if s.Pid > 0 {
			b.pids[s.ContainerID] = s.Pid
		}
	}
	return nil
}

func (b *posixBase) Prepare(ctx context.Context, containerID string, cfg ContainerConfig) (*LaunchInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.pids[containerID]; ok {
		return nil, fmt.Errorf("%s: container %s has already been prepared", b.name, containerID)
	}
	b.pids[containerID] = 0
	return nil, nil
}

func (b *posixBase) Isolate(ctx context.Context, containerID string, pid int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.pids[containerID]; !ok {
		return fmt.Errorf("%s: unknown container %s", b.name, containerID)
	}
	if pid <= 0 {
		return fmt.Errorf("%s: invalid pid %d", b.name, pid)
	}
	b.pids[containerID] = pid
	return nil
}

// Watch never reports a limitation: posix isolators do not enforce.
func (b *posixBase) Watch(ctx context.Context, containerID string) (*Limitation, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (b *posixBase) Update(ctx context.Context, containerID string, resources []*mesos.Resource) error {
	return nil
}

func (b *posixBase) Cleanup(ctx context.Context, containerID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.pids, containerID)
	return nil
}

func (b *posixBase) tree(containerID string) ([]ProcStat, error) {
	b.mu.Lock()
	pid, ok := b.pids[containerID]
	b.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%s: unknown container %s", b.name, containerID)
	}
	if pid == 0 {
		return nil, nil // not forked yet
	}
	return ProcessTree(pid), nil
}

// PosixCPU is the "posix/cpu" isolator: it measures CPU time only.
type PosixCPU struct{ posixBase }

// NewPosixCPU returns a posix/cpu isolator.
func NewPosixCPU() *PosixCPU {
	return &PosixCPU{posixBase{name: "posix/cpu", pids: map[string]int{}}}
}

// Usage reports user and system CPU time of the container's process tree.
func (c *PosixCPU) Usage(ctx context.Context, containerID string) (*mesos.ResourceStatistics, error) {
	procs, err := c.tree(containerID)
	if err != nil {
		return nil, err
	}
	var user, sys uint64
	threads := 0
	for _, p := range procs {
		user += p.UTime
		sys += p.STime
		threads += p.NumThreads
	}
	return &mesos.ResourceStatistics{
		Timestamp:          proto.Float64(float64(time.Now().UnixNano()) / 1e9),
		CpusUserTimeSecs:   proto.Float64(float64(user) / clockTicks),
		CpusSystemTimeSecs: proto.Float64(float64(sys) / clockTicks),
		Processes:          proto.Uint32(uint32(len(procs))),
		Threads:            proto.Uint32(uint32(threads)),
	}, nil
}

// PosixMem is the "posix/mem" isolator: it measures resident memory only.
type PosixMem struct{ posixBase }

// NewPosixMem returns a posix/mem isolator.
func NewPosixMem() *PosixMem {
	return &PosixMem{posixBase{name: "posix/mem", pids: map[string]int{}}}
}

// Usage reports the resident set size of the container's process tree.
func (m *PosixMem) Usage(ctx context.Context, containerID string) (*mesos.ResourceStatistics, error) {
	procs, err := m.tree(containerID)
	if err != nil {
		return nil, err
	}
	var rss int64
	for _, p := range procs {
		rss += p.RSSPages
	}
	return &mesos.ResourceStatistics{
		Timestamp:   proto.Float64(float64(time.Now().UnixNano()) / 1e9),
		MemRssBytes: proto.Uint64(uint64(rss) * uint64(os.Getpagesize())),
	}, nil
}
