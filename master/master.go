package master

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/metrics"
)

// ProcessID is the id of the master actor: its PID is "master@host:port".
const ProcessID = "master"

// AllocatorProcessID is the id of the allocator actor.
const AllocatorProcessID = "allocator"

// Master is a Mesos master: the master actor, its allocator actor and its
// HTTP endpoints. Create it with New, then Start it.
type Master struct {
	node *actors.Node
	cfg  Config
	log  *logrus.Entry

	info     *mesos.MasterInfo
	minAlloc []allocator.Quantities
	metrics  *metrics.Registry

	alloc     *allocator.Process
	proc      *process
	collector *masterCollector

	history         *allocHistory // the last hour, for the UI (history.go)
	historyInterval time.Duration

	// Set by a Supervisor before Start: told of a panic in the master
	// actor, and the process' start time for /master/state (zero: when
	// this master started).
	onPanic   func(what string, value any)
	startTime time.Time

	mu      sync.Mutex
	pid     actors.PID
	started bool
	stopped bool
}

// New validates cfg and prepares a master on node. Nothing runs until
// Start.
func New(node *actors.Node, cfg Config) (*Master, error) {
	return newMaster(node, cfg, "")
}

// newMaster is New announcing id ("": a random one).
func newMaster(node *actors.Node, cfg Config, id string) (*Master, error) {
	if node == nil {
		return nil, errors.New("master: nil node")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("master: invalid configuration: %w", err)
	}
	minAlloc, err := allocator.ParseMinAllocatable(cfg.MinAllocatableResources)
	if err != nil {
		return nil, fmt.Errorf("master: min_allocatable_resources: %w", err)
	}
	if cfg.Hostname == "" {
		cfg.Hostname = DefaultConfig().Hostname
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewRegistry()
	}
	if cfg.MaxUnreachableTasksPerFramework == 0 {
		cfg.MaxUnreachableTasksPerFramework = DefaultMaxUnreachableTasksPerFramework
	}
	if id == "" {
		id = NewMasterID()
	}
	m := &Master{
		node:     node,
		cfg:      cfg,
		minAlloc: minAlloc,
		metrics:  cfg.Metrics,
		log:      node.Log().WithField("component", "master"),
	}
	m.info = NewMasterInfo(id, actors.PID{ID: ProcessID, Address: node.Address()}, cfg)
	core, err := NewCore(cfg, m.info, Deps{Log: m.log})
	if err != nil {
		return nil, err
	}
	m.alloc = allocator.NewProcess(node, AllocatorProcessID)
	m.proc = newProcess(core, m.alloc, m.log, cfg)
	m.history, m.historyInterval = newAllocHistory(HistorySamples), HistoryInterval
	m.proc.history = newHistorySampler(m.history, m.historyInterval)
	return m, nil
}

// NewMasterID is a fresh master id (a random UUID): every start of a
// master, and every term of a supervised one, has its own.
func NewMasterID() string { return protocol.RandomUUIDs().NewUUID().String() }

// NewMasterInfo is the MasterInfo of a master with the given id whose
// actor is pid, serving HTTP at cfg's IP, port and hostname.
func NewMasterInfo(id string, pid actors.PID, cfg Config) *mesos.MasterInfo {
	return &mesos.MasterInfo{
		Id:       proto.String(id),
		Ip:       proto.Uint32(packIPv4(cfg.IP)),
		Port:     proto.Uint32(uint32(cfg.Port)),
		Pid:      proto.String(pid.String()),
		Hostname: proto.String(cfg.Hostname),
		Version:  proto.String(Version),
		Address: &mesos.Address{
			Hostname: proto.String(cfg.Hostname),
			Ip:       proto.String(cfg.IP),
			Port:     proto.Int32(int32(cfg.Port)),
		},
	}
}

// packIPv4 encodes an IPv4 address as MasterInfo.ip does: the in_addr's
// four bytes, in network order, read as a little-endian uint32 (what
// libprocess stores on the x86 machines Mesos runs on). Anything else is 0.
func packIPv4(s string) uint32 {
	ip := net.ParseIP(s).To4()
	if ip == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(ip)
}

// Start spawns the allocator and the master actor. The master leads at
// once: a Supervisor starts it only once elected.
func (m *Master) Start() (actors.PID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return m.pid, errors.New("master: already started")
	}
	if err := m.proc.registry.fetch(); err != nil {
		return actors.PID{}, err
	}
	if _, err := m.alloc.Start(); err != nil {
		return actors.PID{}, err
	}
	opts := allocator.Options{
		AllocationInterval:           m.cfg.AllocationInterval,
		MinAllocatable:               m.minAlloc,
		FilterGPUResources:           m.cfg.FilterGPUResources,
		RoleSorter:                   m.cfg.RoleSorter,
		FrameworkSorter:              m.cfg.FrameworkSorter,
		FairnessExcludeResourceNames: m.cfg.FairSharingExcludedResourceNames,
		Metrics:                      m.metrics,
	}
	// The allocator is initialized before the master runs, so that it is
	// ready for the first agent or framework the master adds.
	self := actors.PID{ID: ProcessID, Address: m.node.Address()}
	m.alloc.Initialize(opts, func(frameworkID string, offers allocator.Offers) {
		m.node.Dispatch(self, func() { m.proc.offer(frameworkID, offers) })
	})
	m.registerMetrics()
	var proc actors.Process = m.proc
	if m.onPanic != nil {
		proc = supervised{process: m.proc, onPanic: m.onPanic}
	}
	pid, err := m.node.Spawn(ProcessID, proc)
	if err != nil {
		m.alloc.Stop()
		return actors.PID{}, fmt.Errorf("master: spawn %q: %w", ProcessID, err)
	}
	if err := m.proc.awaitRecovery(); err != nil {
		m.node.Stop(pid)
		m.alloc.Stop()
		m.unregisterMetrics()
		return actors.PID{}, err
	}
	m.pid = pid
	m.started = true
	m.log.WithFields(logrus.Fields{"pid": pid.String(), "id": m.info.GetId()}).Info("master started")
	return pid, nil
}

// supervised is the master actor with a supervisor listening for its
// panics (after one its state may be broken; the supervisor replaces it).
type supervised struct {
	*process
	onPanic func(what string, value any)
}

// Panicked implements actors.Panicker.
func (s supervised) Panicked(_ *actors.Context, what string, value any) { s.onPanic(what, value) }

// PID returns the master actor's PID (zero before Start).
func (m *Master) PID() actors.PID {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pid
}

// Info returns a copy of the MasterInfo this master announces.
func (m *Master) Info() *mesos.MasterInfo { return proto.Clone(m.info).(*mesos.MasterInfo) }

// Allocator returns the allocator the master drives.
func (m *Master) Allocator() allocator.Allocator { return m.alloc }

// Stop terminates the master actor and the allocator. Safe to call twice.
func (m *Master) Stop() {
	m.mu.Lock()
	if !m.started || m.stopped {
		m.stopped = true
		m.mu.Unlock()
		return
	}
	m.stopped = true
	pid := m.pid
	m.mu.Unlock()
	m.node.Stop(pid)
	m.alloc.Stop()
	m.unregisterMetrics()
}

// Metrics returns the registry /metrics/snapshot renders.
func (m *Master) Metrics() *metrics.Registry { return m.metrics }

// MarkAgentGone is the operator's MARK_AGENT_GONE, run on the master actor
// (see Core.MarkAgentGone). Errors are RequestErrors, or say the master is
// not running or ctx ended.
func (m *Master) MarkAgentGone(ctx context.Context, id string) error {
	v, err := m.call(ctx, func() any {
		p := m.proc
		effects, err := p.core.MarkAgentGone(p.now(), id)
		if err != nil {
			return err
		}
		return p.applyWait(effects)
	})
	if err != nil {
		return err
	}
	if done, ok := v.(<-chan error); ok {
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return v.(error)
}

// call runs f on the master actor and returns its result.
func (m *Master) call(ctx context.Context, f func() any) (any, error) {
	pid := m.PID()
	if pid.IsZero() {
		return nil, errors.New("master is not running")
	}
	return m.node.Call(ctx, pid, f)
}

func seconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
