package master

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/master/allocator/sorter"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/metrics"
)

// Config configures a master. The zero value is not usable; start from
// DefaultConfig and override what the command line sets.
type Config struct {
	// Hostname goes into MasterInfo.hostname and /state. Default: the
	// machine's host name.
	Hostname string
	// IP is the address of the HTTP side (MasterInfo.ip and address.ip).
	IP string
	// Port is the HTTP port (MasterInfo.port). Default 5050.
	Port int

	// AllocationInterval is the period of the batch allocation loop.
	AllocationInterval time.Duration
	// AgentPingTimeout is how long the master waits for a pong.
	AgentPingTimeout time.Duration
	// MaxAgentPingTimeouts is how many pongs an agent may miss before it is
	// marked unreachable.
	MaxAgentPingTimeouts int
	// AgentReregisterTimeout is how long a disconnected agent has to
	// reregister before it is marked unreachable (at least 10 minutes).
	AgentReregisterTimeout time.Duration
	// AgentRemovalRateLimit limits how fast agents are marked unreachable
	// (--agent_removal_rate_limit): "<agents>/<duration>", e.g. "1/10mins";
	// empty means no limit.
	AgentRemovalRateLimit string
	// OfferTimeout rescinds offers that are neither accepted nor declined
	// in time; 0 means offers never expire.
	OfferTimeout time.Duration
	// MinAllocatableResources lists, separated by '|', the smallest offers
	// worth making, e.g. "cpus:0.01|mem:32": an offer must contain at least
	// one of the alternatives. Empty means any non-empty offer.
	MinAllocatableResources string
	// MaxCompletedFrameworks bounds the completed_frameworks list.
	MaxCompletedFrameworks int
	// MaxCompletedTasksPerFramework bounds each framework's completed tasks.
	MaxCompletedTasksPerFramework int
	// MaxUnreachableTasksPerFramework bounds each framework's unreachable
	// tasks. Zero means the default (1000).
	MaxUnreachableTasksPerFramework int
	// Roles is the role whitelist (--roles); nil allows any role. The
	// default role "*" is always allowed.
	Roles []string
	// Weights are role weights as --weights gives them:
	// "role=weight,role=weight". Runtime updates go through PUT /weights.
	Weights string
	// RoleSorter and FrameworkSorter choose how roles, and the frameworks
	// of a role, are ordered: "drf" (the default) or "random"
	// (--role_sorter, --framework_sorter).
	RoleSorter      string
	FrameworkSorter string
	// FairSharingExcludedResourceNames are resources left out of DRF
	// shares (--fair_sharing_excluded_resource_names, e.g. gpus).
	FairSharingExcludedResourceNames []string
	// FilterGPUResources keeps GPU agents for frameworks with the
	// GPU_RESOURCES capability (--filter_gpu_resources, default true).
	FilterGPUResources bool
	// Metrics is the registry /metrics/snapshot renders. Nil: the master
	// makes its own. Processes that run a master and agents (mesos-local)
	// pass one registry to all of them, as libprocess has one.
	Metrics *metrics.Registry
	// RootSubmissions allows frameworks whose user is root.
	RootSubmissions bool
	// Cluster is the name shown in /state and the web UI.
	Cluster string
	// Flags are rendered under "flags" in /state and /flags, as given.
	Flags map[string]string
	// LogFile is the master's log file (--log_dir), served by /files as
	// /master/log.
	LogFile string

	// Registry stores the registry: what the master writes before it acts
	// on it (admitted, unreachable and gone agents, weights, quota) and
	// recovers when it starts. Nil: the master keeps its registry in its
	// own memory, unencoded (standalone; nothing survives the process).
	// A registry.Memory is stored at once, on the master actor; any other
	// store off it.
	Registry registry.Store
	// OnLeadershipLost is called once, on a goroutine of its own, when a
	// registry store fails (not leader any more, conflict, unknown
	// outcome, timeout): by then the master actor has stopped acting as
	// the leader and drops everything it receives; the owner should Stop
	// it. Nil: the failure is only logged. A failure while Start recovers
	// is Start's error instead.
	OnLeadershipLost func(error)
	// RegistryFetchTimeout bounds the fetch of the registry at Start
	// (--registry_fetch_timeout). Zero: 1 minute.
	RegistryFetchTimeout time.Duration
	// RegistryStoreTimeout bounds each registry store
	// (--registry_store_timeout); a store that takes longer ends the
	// master's leadership. Zero: 20 seconds.
	RegistryStoreTimeout time.Duration
	// RegistryMaxAgentAge and RegistryMaxAgentCount bound the registry's
	// unreachable and gone lists, each (--registry_max_agent_age,
	// --registry_max_agent_count); older or further entries are pruned,
	// every RegistryGCInterval (--registry_gc_interval) and when an agent
	// joins a list. Zero: 2 weeks, 102400 and 15 minutes.
	RegistryMaxAgentAge   time.Duration
	RegistryMaxAgentCount int
	RegistryGCInterval    time.Duration
}

// Defaults, as Mesos ships them.
const (
	DefaultPort                            = 5050
	DefaultAllocationInterval              = time.Second
	DefaultAgentPingTimeout                = 15 * time.Second
	DefaultMaxAgentPingTimeouts            = 5
	DefaultAgentReregisterTimeout          = 10 * time.Minute
	DefaultMinAllocatableResources         = "cpus:0.01|mem:32"
	DefaultMaxCompletedFrameworks          = 50
	DefaultMaxCompletedTasksPerFramework   = 1000
	DefaultMaxUnreachableTasksPerFramework = 1000

	DefaultRegistryFetchTimeout  = registry.DefaultFetchTimeout
	DefaultRegistryStoreTimeout  = registry.DefaultStoreTimeout
	DefaultRegistryMaxAgentAge   = 14 * 24 * time.Hour
	DefaultRegistryMaxAgentCount = 100 * 1024
	DefaultRegistryGCInterval    = 15 * time.Minute

	// MinAgentReregisterTimeout is the smallest allowed
	// --agent_reregister_timeout.
	MinAgentReregisterTimeout = 10 * time.Minute
)

// Version is the Mesos version this master speaks and reports.
const Version = "1.11.0"

// DefaultConfig returns Mesos' defaults. Hostname is the machine's host name
// and IP is left empty (the caller knows what it binds).
func DefaultConfig() Config {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	return Config{
		Hostname:                        host,
		Port:                            DefaultPort,
		AllocationInterval:              DefaultAllocationInterval,
		AgentPingTimeout:                DefaultAgentPingTimeout,
		MaxAgentPingTimeouts:            DefaultMaxAgentPingTimeouts,
		AgentReregisterTimeout:          DefaultAgentReregisterTimeout,
		MinAllocatableResources:         DefaultMinAllocatableResources,
		MaxCompletedFrameworks:          DefaultMaxCompletedFrameworks,
		MaxCompletedTasksPerFramework:   DefaultMaxCompletedTasksPerFramework,
		MaxUnreachableTasksPerFramework: DefaultMaxUnreachableTasksPerFramework,
		RootSubmissions:                 true,
		RoleSorter:                      sorter.KindDRF,
		FrameworkSorter:                 sorter.KindDRF,
		FilterGPUResources:              true,
		RegistryFetchTimeout:            DefaultRegistryFetchTimeout,
		RegistryStoreTimeout:            DefaultRegistryStoreTimeout,
		RegistryMaxAgentAge:             DefaultRegistryMaxAgentAge,
		RegistryMaxAgentCount:           DefaultRegistryMaxAgentCount,
		RegistryGCInterval:              DefaultRegistryGCInterval,
	}
}

// withRegistryDefaults fills the registry settings left zero.
func (c Config) withRegistryDefaults() Config {
	if c.RegistryFetchTimeout == 0 {
		c.RegistryFetchTimeout = DefaultRegistryFetchTimeout
	}
	if c.RegistryStoreTimeout == 0 {
		c.RegistryStoreTimeout = DefaultRegistryStoreTimeout
	}
	if c.RegistryMaxAgentAge == 0 {
		c.RegistryMaxAgentAge = DefaultRegistryMaxAgentAge
	}
	if c.RegistryMaxAgentCount == 0 {
		c.RegistryMaxAgentCount = DefaultRegistryMaxAgentCount
	}
	if c.RegistryGCInterval == 0 {
		c.RegistryGCInterval = DefaultRegistryGCInterval
	}
	return c
}

// Validate reports every setting Mesos would refuse at start-up, joined
// into one error, or nil.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.Port < 0 || c.Port > math.MaxUint16 {
		add("port %d is out of range (0-65535)", c.Port)
	}
	if c.AllocationInterval <= 0 {
		add("allocation_interval must be positive, got %s", c.AllocationInterval)
	}
	if c.AgentPingTimeout < time.Second || c.AgentPingTimeout > 15*time.Minute {
		add("agent_ping_timeout must be between 1secs and 15mins, got %s", c.AgentPingTimeout)
	}
	if c.MaxAgentPingTimeouts < 1 {
		add("max_agent_ping_timeouts must be at least 1, got %d", c.MaxAgentPingTimeouts)
	}
	if c.AgentReregisterTimeout < MinAgentReregisterTimeout {
		add("agent_reregister_timeout (%s) must be at least 10mins", c.AgentReregisterTimeout)
	}
	if _, err := ParseRateLimit(c.AgentRemovalRateLimit); err != nil {
		add("agent_removal_rate_limit: %v", err)
	}
	if c.OfferTimeout < 0 {
		add("offer_timeout must not be negative, got %s", c.OfferTimeout)
	}
	if _, err := allocator.ParseMinAllocatable(c.MinAllocatableResources); err != nil {
		add("min_allocatable_resources: %v", err)
	}
	if c.MaxCompletedFrameworks < 0 {
		add("max_completed_frameworks must not be negative, got %d", c.MaxCompletedFrameworks)
	}
	if c.MaxCompletedTasksPerFramework < 0 {
		add("max_completed_tasks_per_framework must not be negative, got %d", c.MaxCompletedTasksPerFramework)
	}
	if c.MaxUnreachableTasksPerFramework < 0 {
		add("max_unreachable_tasks_per_framework must not be negative, got %d", c.MaxUnreachableTasksPerFramework)
	}
	for _, r := range c.Roles {
		if err := protocol.ValidateRole(r); err != nil {
			add("roles: %v", err)
		}
	}
	if _, err := c.parseWeights(); err != nil {
		add("weights: %v", err)
	}
	for name, v := range map[string]string{"role_sorter": c.RoleSorter, "framework_sorter": c.FrameworkSorter} {
		if v != "" && !sorter.ValidKind(v) {
			add("%s: unknown sorter '%s' (want 'drf' or 'random')", name, v)
		}
	}
	for _, n := range c.FairSharingExcludedResourceNames {
		if strings.TrimSpace(n) == "" {
			add("fair_sharing_excluded_resource_names: empty resource name")
		}
	}
	for name, d := range map[string]time.Duration{
		"registry_fetch_timeout": c.RegistryFetchTimeout, "registry_store_timeout": c.RegistryStoreTimeout,
		"registry_max_agent_age": c.RegistryMaxAgentAge, "registry_gc_interval": c.RegistryGCInterval,
	} {
		if d < 0 {
			add("%s must not be negative, got %s", name, d)
		}
	}
	if c.RegistryMaxAgentCount < 0 {
		add("registry_max_agent_count must not be negative, got %d", c.RegistryMaxAgentCount)
	}
	return errors.Join(errs...)
}

// whitelisted reports whether role may be used (--roles; "*" always).
func (c Config) whitelisted(role string) bool {
	return c.Roles == nil || role == "*" || slices.Contains(c.Roles, role)
}

// parseWeights parses --weights and checks its roles, as Mesos does at
// start-up.
func (c Config) parseWeights() (map[string]float64, error) {
	w, err := allocator.ParseWeights(c.Weights)
	if err != nil {
		return nil, err
	}
	for role := range w {
		if err := protocol.ValidateRole(role); err != nil || !c.whitelisted(role) {
			return nil, fmt.Errorf("Invalid weight: '%s=%g'. %s is not a valid role", role, w[role], role)
		}
	}
	return w, nil
}
