// Package daemon holds what the mesos-master, mesos-agent and mesos-local
// binaries share: their flag sets (Mesos' names and defaults), logging set-up
// and the serve-until-signalled loop.
//
// Errors about the command line are UsageErrors (Parse, CheckCommon,
// Usage): Exit prints them with a "--help" hint and exits 2; any other
// error is printed alone and exits 1.
package daemon

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gomesos/gomesos/detector/zkgroup"
	"github.com/gomesos/gomesos/internal/flagutil"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/tracing"
)

// Common are the flags every daemon has.
type Common struct {
	IP            string
	AdvertiseIP   string
	Hostname      string
	RemotingPort  int
	LoggingLevel  string
	LogDir        string
	LogFormat     string
	WorkDir       string
	TraceFile     string
	TracePayloads bool
	TraceRingSize int
}

func registerCommon(fs *flag.FlagSet, c *Common, defaultIP string) {
	fs.StringVar(&c.IP, "ip", defaultIP, "IP address to listen on (HTTP and actor remoting).")
	fs.StringVar(&c.AdvertiseIP, "advertise_ip", "", "IP address peers use to reach this process (default --ip).")
	fs.StringVar(&c.Hostname, "hostname", "", "Hostname to advertise (default: the machine's hostname).")
	fs.IntVar(&c.RemotingPort, "remoting_port", 0, "Port of the actor remoting endpoint (0: the OS picks). gomesos only.")
	fs.StringVar(&c.LoggingLevel, "logging_level", "INFO", "Log level: ERROR, WARNING, INFO or VERBOSE/DEBUG (any case).")
	fs.StringVar(&c.LogDir, "log_dir", "", "Directory to write the log to as well, as <program>.log (default: stderr only). The agent serves it as /slave/log under /files.")
	fs.StringVar(&c.LogFormat, "log_format", "text", "Log line format: text or json. gomesos only.")
}

// MasterFlags binds Mesos' master flags onto fs, filling cfg.
func MasterFlags(fs *flag.FlagSet, cfg *master.Config, c *Common) {
	registerCommon(fs, c, "127.0.0.1")
	fs.IntVar(&cfg.Port, "port", cfg.Port, "Port to listen on for HTTP.")
	fs.StringVar(&c.WorkDir, "work_dir", "", "Directory for the master's state (the in-memory registry needs none yet).")
	fs.StringVar(&cfg.Cluster, "cluster", cfg.Cluster, "Human readable name for the cluster, shown in /state.")
	fs.Var(flagutil.Duration{D: &cfg.AllocationInterval}, "allocation_interval", "Amount of time to wait between allocations.")
	fs.Var(flagutil.Duration{D: &cfg.AgentPingTimeout}, "agent_ping_timeout", "How long the master waits for an agent's pong.")
	fs.IntVar(&cfg.MaxAgentPingTimeouts, "max_agent_ping_timeouts", cfg.MaxAgentPingTimeouts, "Missed pongs before an agent is marked unreachable.")
	fs.Var(flagutil.Duration{D: &cfg.AgentReregisterTimeout}, "agent_reregister_timeout", "How long a disconnected agent has to reregister (at least 10mins).")
	fs.StringVar(&cfg.AgentRemovalRateLimit, "agent_removal_rate_limit", cfg.AgentRemovalRateLimit,
		"Maximum rate at which agents are marked unreachable, as '<agents>/<duration>', e.g. 1/10mins (default: no limit).")
	fs.Var(flagutil.Duration{D: &cfg.OfferTimeout}, "offer_timeout", "Duration after which an unused offer is rescinded (default: never).")
	fs.StringVar(&cfg.MinAllocatableResources, "min_allocatable_resources", cfg.MinAllocatableResources, "One or more sets of resources, separated by '|', one of which an offer must contain.")
	fs.IntVar(&cfg.MaxCompletedFrameworks, "max_completed_frameworks", cfg.MaxCompletedFrameworks, "Completed frameworks kept in memory.")
	fs.IntVar(&cfg.MaxCompletedTasksPerFramework, "max_completed_tasks_per_framework", cfg.MaxCompletedTasksPerFramework, "Completed tasks kept per framework.")
	fs.Var(flagutil.StringList{L: &cfg.Roles}, "roles", "Comma-separated whitelist of roles (default: any role).")
	fs.BoolVar(&cfg.RootSubmissions, "root_submissions", cfg.RootSubmissions, "Whether frameworks may run as root.")
	fs.StringVar(&cfg.Weights, "weights", cfg.Weights, "Role weights, e.g. 'role1=2.0,role2=3.5' (default weight 1.0).")
	fs.StringVar(&cfg.RoleSorter, "role_sorter", cfg.RoleSorter, "Policy sorting roles for allocation: drf or random.")
	fs.StringVar(&cfg.FrameworkSorter, "framework_sorter", cfg.FrameworkSorter, "Policy sorting frameworks within a role: drf or random.")
	fs.Var(flagutil.StringList{L: &cfg.FairSharingExcludedResourceNames}, "fair_sharing_excluded_resource_names",
		"Comma-separated resource names left out of DRF shares, e.g. 'gpus'.")
	fs.BoolVar(&cfg.FilterGPUResources, "filter_gpu_resources", cfg.FilterGPUResources, "Offer GPU agents only to frameworks with the GPU_RESOURCES capability.")
	registerTrace(fs, c, "")
}

// registerTrace adds the message tracing flags (see package tracing).
func registerTrace(fs *flag.FlagSet, c *Common, executors string) {
	fs.StringVar(&c.TraceFile, "trace_file", "", "Append a JSON Lines trace of every message this process sends and receives to this file (read it with mesos-trace)."+executors+" gomesos only.")
	fs.BoolVar(&c.TracePayloads, "trace_payloads", false, "Add every traced message, as protobuf JSON, to its event (in the file and the in-memory ring). gomesos only.")
	fs.IntVar(&c.TraceRingSize, "trace_ring_size", tracing.DefaultRingSize, "Number of recent message events kept in memory for /trace, /trace/stream and /trace/ui (0: none). gomesos only.")
}

// AgentFlags binds Mesos' agent flags onto fs, filling cfg. withMaster says
// whether --master is a flag (mesos-local supplies the master itself).
func AgentFlags(fs *flag.FlagSet, cfg *slave.Config, c *Common, withMaster bool) {
	if withMaster {
		registerCommon(fs, c, "127.0.0.1")
		fs.StringVar(&cfg.Master, "master", "", "The master: host:port (its HTTP address), master@host:port, zk://[user:pass@]host:port,.../path, or file:///path.")
		fs.IntVar(&cfg.Port, "port", cfg.Port, "Port to listen on for HTTP.")
		registerTrace(fs, c, ExecutorTraceNote)
	}
	fs.StringVar(&cfg.WorkDir, "work_dir", cfg.WorkDir, "Directory for sandboxes and checkpoints (required).")
	fs.StringVar(&cfg.Resources, "resources", cfg.Resources, "Total consumable resources, e.g. 'cpus:4;mem:8192;ports:[31000-32000]' or JSON.")
	fs.StringVar(&cfg.Attributes, "attributes", cfg.Attributes, "Attributes of the machine, e.g. 'rack:2;u:1'.")
	fs.StringVar(&cfg.DefaultRole, "default_role", cfg.DefaultRole, "Role for resources without one in --resources.")
	fs.StringVar(&cfg.Isolation, "isolation", cfg.Isolation, "Comma-separated isolators: posix/cpu, posix/mem, cgroups/cpu, cgroups/mem, cgroups/pids, cgroups/all, namespaces/pid.")
	fs.StringVar(&cfg.Launcher, "launcher", cfg.Launcher, "Launcher: posix, or linux (runc's libcontainer: needs root and a binary built with cgo; new namespaces with namespaces/pid, a freezer cgroup per container).")
	fs.StringVar(&cfg.CgroupsHierarchy, "cgroups_hierarchy", "/sys/fs/cgroup", "Where the cgroup hierarchies are mounted.")
	fs.StringVar(&cfg.CgroupsRoot, "cgroups_root", "mesos", "Cgroup (taken as absolute in each hierarchy) under which each container gets its own.")
	fs.BoolVar(&cfg.CgroupsEnableCFS, "cgroups_enable_cfs", cfg.CgroupsEnableCFS, "Cap each container's CPU time at its cpus with a CFS quota (cgroups/cpu).")
	fs.Int64Var(&cfg.CgroupsPidsMax, "cgroups_pids_max", cfg.CgroupsPidsMax, "Most processes and threads per container under cgroups/pids (0: no cap). gomesos only.")
	fs.StringVar(&cfg.CommandExecutor, "command_executor", cfg.CommandExecutor, "Who runs a command task's executor: 'process' (a mesos-executor process per task) or 'agent' (the agent hosts it and starts the task's command itself: no executor process). gomesos only.")
	fs.StringVar(&cfg.LauncherDir, "launcher_dir", cfg.LauncherDir, "Directory holding mesos-executor (default: this binary's directory).")
	fs.Var(flagutil.Duration{D: &cfg.ExecutorRegistrationTimeout}, "executor_registration_timeout", "How long an executor has to register.")
	fs.Var(flagutil.Duration{D: &cfg.ExecutorReregistrationTimeout}, "executor_reregistration_timeout", "How long executors have to reregister after an agent restart (at most 15secs).")
	fs.Var(flagutil.Duration{D: &cfg.ExecutorReregistrationRetryInterval}, "executor_reregistration_retry_interval", "During recovery, resend the reconnect message to executors that have not reregistered yet this often (default: sent once).")
	fs.StringVar(&cfg.ReconfigurationPolicy, "reconfiguration_policy", cfg.ReconfigurationPolicy, "Agent changes a restart on the same --work_dir accepts: 'equal' (none) or 'additive' (new or larger resources, new attributes; nothing removed or changed).")
	fs.StringVar(&cfg.Recover, "recover", cfg.Recover, "After a restart: 'reconnect' to the executors of checkpointing frameworks, or 'cleanup' (kill them and exit without registering).")
	fs.Var(notBool{&cfg.NonStrict}, "strict", "Fail to start on a corrupt checkpoint file (true), or skip what it describes with a warning (false).")
	fs.Var(flagutil.Duration{D: &cfg.ExecutorShutdownGracePeriod}, "executor_shutdown_grace_period", "Time an executor has to shut down before it is killed.")
	fs.Var(flagutil.Duration{D: &cfg.RegistrationBackoffFactor}, "registration_backoff_factor", "Initial backoff of (re)registration with the master.")
}

// ExecutorTraceNote says what --trace_file does to the executors of an
// agent (mesos-agent, mesos-local).
const ExecutorTraceNote = " Each executor then writes its own trace to trace.jsonl in its sandbox (the agent passes the path in GOMESOS_TRACE_FILE)."

// UsageError is a bad command line: an unknown flag, a bad flag value, a
// missing required flag, an unexpected argument. Exit adds the "--help"
// hint for these only; other errors (a port in use, a directory that cannot
// be created) are about the machine, not the flags.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usage marks err as a UsageError (nil stays nil; a UsageError is returned
// as it is).
func Usage(err error) error {
	var ue *UsageError
	if err == nil || errors.As(err, &ue) {
		return err
	}
	return &UsageError{Err: err}
}

// Usagef is fmt.Errorf as a UsageError.
func Usagef(format string, args ...any) error { return Usage(fmt.Errorf(format, args...)) }

// Parse parses args and reports a clear error: ErrHelp for --help, a
// UsageError for anything wrong with the command line.
func Parse(fs *flag.FlagSet, args []string) error {
	err := flagutil.Parse(fs, args, nil, fs.Output())
	if err == nil || errors.Is(err, flagutil.ErrHelp) {
		return err
	}
	return Usage(err)
}

// CheckCommon validates the common flags (a UsageError if they are wrong),
// so that binaries can reject them before they start anything.
func CheckCommon(c *Common) error {
	if _, err := Level(c.LoggingLevel); err != nil {
		return err
	}
	if _, err := LogFormatter(c.LogFormat); err != nil {
		return err
	}
	if net.ParseIP(c.IP) == nil {
		return Usagef("--ip=%s is not an IP address", c.IP)
	}
	if c.AdvertiseIP != "" && net.ParseIP(c.AdvertiseIP) == nil {
		return Usagef("--advertise_ip=%s is not an IP address", c.AdvertiseIP)
	}
	if c.RemotingPort < 0 || c.RemotingPort > 65535 {
		return Usagef("--remoting_port=%d is out of range", c.RemotingPort)
	}
	if c.TraceRingSize < 0 {
		return Usagef("--trace_ring_size=%d: want 0 or more", c.TraceRingSize)
	}
	return nil
}

// ValidateDuration rejects durations below min with the flag's name (a
// UsageError).
func ValidateDuration(name string, d, min time.Duration) error {
	if d < min {
		return Usagef("--%s=%s is too small (minimum %s)", name, flagutil.FormatDuration(d), flagutil.FormatDuration(min))
	}
	return nil
}

// Values renders every flag of fs as text.
func Values(fs *flag.FlagSet) map[string]string { return flagutil.Values(fs) }

// Level maps Mesos' logging levels to logrus names.
func Level(s string) (string, error) {
	switch strings.ToUpper(s) {
	case "ERROR":
		return "error", nil
	case "WARNING", "WARN":
		return "warning", nil
	case "INFO", "":
		return "info", nil
	case "VERBOSE", "DEBUG":
		return "debug", nil
	}
	return "", Usagef("--logging_level=%s: want ERROR, WARNING, INFO or VERBOSE", s)
}

// notBool is a boolean flag stored negated (--strict sets NonStrict).
type notBool struct{ p *bool }

func (b notBool) String() string {
	if b.p == nil {
		return "true"
	}
	return strconv.FormatBool(!*b.p)
}

func (b notBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b.p = !v
	return nil
}

func (b notBool) IsBoolFlag() bool { return true }

// HA are mesos-master's leader election and registry flags.
type HA struct {
	ZK                    string
	ZKSessionTimeout      time.Duration
	Registry              string
	Quorum                int
	RegistryFetchTimeout  time.Duration
	RegistryStoreTimeout  time.Duration
	RegistryMaxAgentAge   time.Duration
	RegistryMaxAgentCount int
	RegistryGCInterval    time.Duration
}

// Registry kinds (--registry).
const (
	RegistryInMemory = "in_memory"
	RegistryZK       = "zk"
)

// Defaults of the HA flags, as Mesos ships them.
const (
	DefaultZKSessionTimeout      = 10 * time.Second
	DefaultRegistryFetchTimeout  = time.Minute
	DefaultRegistryStoreTimeout  = 20 * time.Second
	DefaultRegistryMaxAgentAge   = 14 * 24 * time.Hour
	DefaultRegistryMaxAgentCount = 100 * 1024
	DefaultRegistryGCInterval    = 15 * time.Minute
)

// HAFlags binds the leader election and registry flags onto fs.
func HAFlags(fs *flag.FlagSet, h *HA) {
	h.ZKSessionTimeout = DefaultZKSessionTimeout
	h.RegistryFetchTimeout = DefaultRegistryFetchTimeout
	h.RegistryStoreTimeout = DefaultRegistryStoreTimeout
	h.RegistryMaxAgentAge = DefaultRegistryMaxAgentAge
	h.RegistryMaxAgentCount = DefaultRegistryMaxAgentCount
	h.RegistryGCInterval = DefaultRegistryGCInterval
	fs.StringVar(&h.ZK, "zk", "", "ZooKeeper group of the masters, for leader election: zk://[user:pass@]host:port,.../path, "+
		"or file:///path holding it. Every master of a cluster is given the same URL; the one elected leads, the others "+
		"are standbys that redirect to it. Agents and frameworks find the leader with --master=<the same URL>. "+
		"Without --zk the master leads alone (standalone).")
	fs.Var(flagutil.Duration{D: &h.ZKSessionTimeout}, "zk_session_timeout", "ZooKeeper session timeout: a leader cut off from "+
		"ZooKeeper steps down within it, and a standby takes over after it.")
	fs.StringVar(&h.Registry, "registry", "", "Where the registry (admitted, unreachable and gone agents, weights, quota) lives: "+
		"'zk', in ZooKeeper next to the --zk group (the default with --zk; every write is fenced by the writer's leadership), "+
		"or 'in_memory' (the default without --zk: kept for the life of the process; with --zk for tests only: "+
		"each master has its own, so a new leader starts without the old leader's). "+
		"Mesos' 'replicated_log' is not implemented: gomesos replicates through ZooKeeper.")
	fs.IntVar(&h.Quorum, "quorum", 0, "Accepted for Mesos compatibility and ignored: Mesos' replicated log needs a quorum of "+
		"masters, but gomesos keeps its registry in ZooKeeper (--registry=zk), whose own ensemble quorum is what counts "+
		"(run 3 or 5 ZooKeeper servers to survive 1 or 2 failures).")
	fs.Var(flagutil.Duration{D: &h.RegistryFetchTimeout}, "registry_fetch_timeout", "How long a newly elected master waits to read the registry before it steps down.")
	fs.Var(flagutil.Duration{D: &h.RegistryStoreTimeout}, "registry_store_timeout", "How long a registry write may take before the master steps down.")
	fs.Var(flagutil.Duration{D: &h.RegistryMaxAgentAge}, "registry_max_agent_age", "How long an unreachable or gone agent stays in the registry.")
	fs.IntVar(&h.RegistryMaxAgentCount, "registry_max_agent_count", h.RegistryMaxAgentCount, "Most unreachable or gone agents kept in the registry.")
	fs.Var(flagutil.Duration{D: &h.RegistryGCInterval}, "registry_gc_interval", "How often the registry is pruned of agents past --registry_max_agent_age or --registry_max_agent_count.")
}

// Resolve checks the HA flags (UsageErrors) and returns the ZooKeeper URL
// (read from the file of a file:// --zk; "" without --zk) and the registry
// kind (--registry, or its default).
func (h *HA) Resolve() (zkURL, registry string, err error) {
	var errs []error
	zkURL, err = resolveZK(h.ZK, 0)
	if err != nil {
		errs = append(errs, fmt.Errorf("--zk=%s: %w", hidePassword(h.ZK), err))
	}
	registry = h.Registry
	switch registry {
	case "":
		registry = RegistryInMemory
		if h.ZK != "" {
			registry = RegistryZK
		}
	case RegistryInMemory:
	case RegistryZK:
		if h.ZK == "" {
			errs = append(errs, errors.New("--registry=zk needs --zk (the registry lives in the masters' ZooKeeper group)"))
		}
	case "replicated_log":
		errs = append(errs, errors.New("--registry=replicated_log is not implemented: use --registry=zk with --zk (or in_memory for tests)"))
	default:
		errs = append(errs, fmt.Errorf("--registry=%s: want zk or in_memory", registry))
	}
	if h.Quorum < 0 {
		errs = append(errs, fmt.Errorf("--quorum=%d: want a positive number (it is ignored; see --help)", h.Quorum))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"zk_session_timeout", h.ZKSessionTimeout}, {"registry_fetch_timeout", h.RegistryFetchTimeout},
		{"registry_store_timeout", h.RegistryStoreTimeout}, {"registry_max_agent_age", h.RegistryMaxAgentAge},
		{"registry_gc_interval", h.RegistryGCInterval},
	} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("--%s=%s: want a positive duration", d.name, flagutil.FormatDuration(d.v)))
		}
	}
	if h.RegistryMaxAgentCount < 1 {
		errs = append(errs, fmt.Errorf("--registry_max_agent_count=%d: want at least 1", h.RegistryMaxAgentCount))
	}
	if len(errs) > 0 {
		return "", "", Usage(errors.Join(errs...))
	}
	return zkURL, registry, nil
}

// resolveZK checks a --zk value, following file:// to the URL it holds.
func resolveZK(s string, depth int) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", nil
	case strings.HasPrefix(s, "zk://"):
		if _, err := zkgroup.ParseURL(s); err != nil {
			return "", errors.New(strings.ReplaceAll(err.Error(), s, hidePassword(s)))
		}
		return s, nil
	case strings.HasPrefix(s, "file://"):
		if depth > 0 {
			return "", errors.New("a file:// URL in a file:// URL")
		}
		path := strings.TrimPrefix(s, "file://")
		data, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		inner := strings.TrimSpace(string(data))
		if !strings.HasPrefix(inner, "zk://") {
			return "", fmt.Errorf("file %s holds %q, want zk://host:port,.../path", path, inner)
		}
		return resolveZK(inner, depth+1)
	}
	return "", errors.New("want zk://[user:pass@]host:port,.../path or file:///path")
}

// hidePassword hides the password of a zk://user:pass@... URL.
func hidePassword(s string) string {
	rest, ok := strings.CutPrefix(s, "zk://")
	if !ok {
		return s
	}
	at := strings.IndexByte(rest, '@')
	colon := strings.IndexByte(rest, ':')
	if at < 0 || colon < 0 || colon > at {
		return s
	}
	return "zk://" + rest[:colon] + ":***" + rest[at:]
}
