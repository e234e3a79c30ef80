package slave

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/isolators"
	"github.com/gomesos/gomesos/launcher"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/metrics"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/containerizer"
	"google.golang.org/protobuf/proto"
)

// Containerizer is what the agent runs executors with; see package
// containerizer. Tests inject their own.
type Containerizer = containerizer.Containerizer

// LaunchConfig is what the agent asks a Containerizer to run.
type LaunchConfig = containerizer.LaunchConfig

// Termination is how a container ended.
type Termination = containerizer.Termination

// Config configures an agent. Zero fields take the defaults of
// DefaultConfig, except WorkDir, which is required.
type Config struct {
	Master   string            // detector spec (used when Detector is nil)
	Detector detector.Detector // optional
	ID       string            // actor id, default "slave(1)"

	Hostname string // SlaveInfo.hostname; default the machine's name
	IP       string // the agent's address; also LIBPROCESS_IP of executors
	Port     int    // HTTP port (SlaveInfo.port); default 5051
	// PortPicked says the operator let the OS pick Port (--port=0): a
	// restart on another port is then no reconfiguration.
	PortPicked bool

	WorkDir     string // required
	Resources   string // Mesos text or JSON; missing cpus/mem/disk/ports are detected
	Attributes  string // "rack:2;u:1"
	DefaultRole string // "*"

	LauncherDir string // where mesos-executor lives; default the folder of os.Executable()
	Isolation   string // "posix/cpu,posix/mem"
	Launcher    string // "posix" or "linux"
	// CommandExecutor is --command_executor: who runs the executor of a
	// command task. CommandExecutorProcess (default): a mesos-executor
	// process per task. CommandExecutorAgent: the agent hosts it as an
	// actor on its own node and starts the task's command as the
	// container's process (no executor process). gomesos only.
	CommandExecutor string

	// The cgroups isolators' and the linux launcher's cgroups:
	// --cgroups_hierarchy (default /sys/fs/cgroup), --cgroups_root (default
	// mesos, always absolute inside each hierarchy), --cgroups_enable_cfs
	// (cap CPU time at the container's cpus), and --cgroups_pids_max (a
	// gomesos flag, Mesos has none: cgroups/pids caps each container's
	// processes and threads at it; 0 = no cap).
	CgroupsHierarchy string
	CgroupsRoot      string
	CgroupsEnableCFS bool
	CgroupsPidsMax   int64

	ExecutorRegistrationTimeout   time.Duration // 1m
	ExecutorReregistrationTimeout time.Duration // 2s, at most 15s
	// ExecutorReregistrationRetryInterval resends ReconnectExecutorMessage
	// to recovered executors that have not reregistered yet, every so
	// often (0: sent once, Mesos' default); a reregistration from an
	// executor already back is then ignored rather than shut down.
	ExecutorReregistrationRetryInterval time.Duration

	// ReconfigurationPolicy is --reconfiguration_policy: which changes of
	// the agent's resources, attributes, hostname and port a restart on
	// the same --work_dir accepts (ReconfigureEqual, the default, or
	// ReconfigureAdditive); any other change fails the start.
	ReconfigurationPolicy string

	// MaxLaunchesInFlight caps the executors starting at once (launched
	// but not yet registered or ended); the others wait in arrival order,
	// and their registration timeout counts from their actual launch.
	// gomesos only (Mesos has no such cap); default 4 per CPU; negative:
	// no cap (the core also takes 0 as no cap).
	MaxLaunchesInFlight int

	// Recover is --recover: "reconnect" (default) or "cleanup".
	Recover string
	// NonStrict is --strict=false: a corrupt checkpoint file skips its
	// entity with a warning instead of failing the start.
	NonStrict                   bool
	ExecutorShutdownGracePeriod time.Duration // 5s
	RegistrationBackoffFactor   time.Duration // 1s

	ExecutorEnvironment map[string]string // extra env for every executor
	Containerizer       Containerizer     // optional override; default the posix containerizer
	Flags               map[string]string // rendered under "flags" in /state
	LogFile             string            // the agent's log file (--log_dir), served as /slave/log by /files
	Metrics             *metrics.Registry // where slave/* and system/* are published; nil: a registry of its own

	// TraceExecutors gives every executor a message trace file of its own,
	// <sandbox>/trace.jsonl, named in its environment by GOMESOS_TRACE_FILE
	// (set it when the agent traces to a file; see package tracing).
	// TraceExecutorPayloads adds GOMESOS_TRACE_PAYLOADS=1.
	TraceExecutors        bool
	TraceExecutorPayloads bool
}

// Defaults of Mesos' agent flags.
const (
	DefaultID                            = "slave(1)"
	DefaultPort                          = 5051
	DefaultExecutorRegistrationTimeout   = time.Minute
	DefaultExecutorReregistrationTimeout = 2 * time.Second
	MaxExecutorReregistrationTimeout     = 15 * time.Second
	DefaultExecutorShutdownGracePeriod   = 5 * time.Second
	DefaultRegistrationBackoffFactor     = time.Second
	DefaultIsolation                     = "posix/cpu,posix/mem"
	DefaultLauncher                      = "posix"
	CommandExecutorProcess               = "process"
	CommandExecutorAgent                 = "agent"
	// LaunchesInFlightPerCPU sets the default MaxLaunchesInFlight.
	LaunchesInFlightPerCPU = 4
	// MesosVersion is the version the agent reports to the master.
	MesosVersion = "1.11.0"
)

// DefaultConfig returns Mesos' defaults.
func DefaultConfig() Config {
	return Config{
		ID:                            DefaultID,
		Port:                          DefaultPort,
		DefaultRole:                   "*",
		Isolation:                     DefaultIsolation,
		Launcher:                      DefaultLauncher,
		CommandExecutor:               CommandExecutorProcess,
		ExecutorRegistrationTimeout:   DefaultExecutorRegistrationTimeout,
		ExecutorReregistrationTimeout: DefaultExecutorReregistrationTimeout,
		Recover:                       RecoverReconnect,
		ReconfigurationPolicy:         ReconfigureEqual,
		ExecutorShutdownGracePeriod:   DefaultExecutorShutdownGracePeriod,
		RegistrationBackoffFactor:     DefaultRegistrationBackoffFactor,
		MaxLaunchesInFlight:           LaunchesInFlightPerCPU * runtime.NumCPU(),
	}
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.ID == "" {
		c.ID = d.ID
	}
	if c.Port == 0 {
		c.Port = d.Port
	}
	if c.DefaultRole == "" {
		c.DefaultRole = d.DefaultRole
	}
	if c.Isolation == "" {
		c.Isolation = d.Isolation
	}
	if c.Launcher == "" {
		c.Launcher = d.Launcher
	}
	if c.CommandExecutor == "" {
		c.CommandExecutor = d.CommandExecutor
	}
	if c.ExecutorRegistrationTimeout == 0 {
		c.ExecutorRegistrationTimeout = d.ExecutorRegistrationTimeout
	}
	if c.ExecutorReregistrationTimeout == 0 {
		c.ExecutorReregistrationTimeout = d.ExecutorReregistrationTimeout
	}
	if c.MaxLaunchesInFlight == 0 {
		c.MaxLaunchesInFlight = d.MaxLaunchesInFlight
	}
	if c.Recover == "" {
		c.Recover = d.Recover
	}
	if c.ReconfigurationPolicy == "" {
		c.ReconfigurationPolicy = d.ReconfigurationPolicy
	}
	if c.ExecutorShutdownGracePeriod == 0 {
		c.ExecutorShutdownGracePeriod = d.ExecutorShutdownGracePeriod
	}
	if c.RegistrationBackoffFactor == 0 {
		c.RegistrationBackoffFactor = d.RegistrationBackoffFactor
	}
	if c.LauncherDir == "" {
		if exe, err := os.Executable(); err == nil {
			c.LauncherDir = filepath.Dir(exe)
		}
	}
	if c.Hostname == "" {
		if h, err := os.Hostname(); err == nil {
			c.Hostname = h
		} else {
			c.Hostname = "localhost"
		}
	}
	return c
}

// Validate checks the configuration and says what is wrong.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.WorkDir == "" {
		errs = append(errs, errors.New("--work_dir is required"))
	}
	if c.Detector == nil && c.Master == "" {
		errs = append(errs, errors.New("--master is required"))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("--port=%d is not a valid port", c.Port))
	}
	if strings.ContainsAny(c.ID, "@/ ") {
		errs = append(errs, fmt.Errorf("agent id %q may not contain '@', '/' or spaces", c.ID))
	}
	if c.ExecutorRegistrationTimeout < 0 {
		errs = append(errs, errors.New("--executor_registration_timeout must not be negative"))
	}
	if c.ExecutorReregistrationTimeout < 0 || c.ExecutorReregistrationTimeout > MaxExecutorReregistrationTimeout {
		errs = append(errs, fmt.Errorf("--executor_reregistration_timeout must be between 0 and %s", MaxExecutorReregistrationTimeout))
	}
	if c.ExecutorReregistrationRetryInterval < 0 {
		errs = append(errs, errors.New("--executor_reregistration_retry_interval must not be negative"))
	}
	if c.ReconfigurationPolicy != ReconfigureEqual && c.ReconfigurationPolicy != ReconfigureAdditive {
		errs = append(errs, fmt.Errorf("--reconfiguration_policy=%q: must be %q or %q", c.ReconfigurationPolicy, ReconfigureEqual, ReconfigureAdditive))
	}
	if c.CommandExecutor != CommandExecutorProcess && c.CommandExecutor != CommandExecutorAgent {
		errs = append(errs, fmt.Errorf("--command_executor=%q: must be %q or %q", c.CommandExecutor, CommandExecutorProcess, CommandExecutorAgent))
	}
	if c.Recover != RecoverReconnect && c.Recover != RecoverCleanup {
		errs = append(errs, fmt.Errorf("--recover=%q: must be %q or %q", c.Recover, RecoverReconnect, RecoverCleanup))
	}
	if c.ExecutorShutdownGracePeriod < 0 {
		errs = append(errs, errors.New("--executor_shutdown_grace_period must not be negative"))
	}
	if c.RegistrationBackoffFactor < 0 {
		errs = append(errs, errors.New("--registration_backoff_factor must not be negative"))
	}
	if c.CgroupsPidsMax < 0 {
		errs = append(errs, errors.New("--cgroups_pids_max must not be negative"))
	}
	if c.Containerizer == nil {
		// Building them checks the names and the host (cgroup controllers,
		// root for the linux launcher) without touching any cgroup.
		if _, err := isolators.New(c.Isolation, c.isolatorOptions()); err != nil {
			errs = append(errs, fmt.Errorf("--isolation: %w", err))
		}
		if _, err := launcher.NewWithOptions(c.Launcher, c.launcherOptions()); err != nil {
			errs = append(errs, fmt.Errorf("--launcher: %w", err))
		}
	}
	if strings.TrimSpace(c.Resources) != "" {
		if _, err := resources.Parse(c.Resources, c.DefaultRole); err != nil {
			errs = append(errs, fmt.Errorf("--resources: %w", err))
		}
	}
	if _, err := ParseAttributes(c.Attributes); err != nil {
		errs = append(errs, fmt.Errorf("--attributes: %w", err))
	}
	return errors.Join(errs...)
}

func (c Config) isolatorOptions() isolators.Options {
	return isolators.Options{
		CgroupsHierarchy: c.CgroupsHierarchy,
		CgroupsRoot:      c.CgroupsRoot,
		CgroupsEnableCFS: c.CgroupsEnableCFS,
		PidsMax:          c.CgroupsPidsMax,
	}
}

func (c Config) launcherOptions() launcher.Options {
	return launcher.Options{CgroupsHierarchy: c.CgroupsHierarchy, CgroupsRoot: c.CgroupsRoot}
}

// totalResources parses --resources and adds what it leaves out, detected
// from the machine (Mesos' Containerizer::resources).
func totalResources(text, defaultRole, workDir string) (resources.Resources, error) {
	var given resources.Resources
	if strings.TrimSpace(text) != "" {
		r, err := resources.Parse(text, defaultRole)
		if err != nil {
			return nil, fmt.Errorf("--resources: %w", err)
		}
		given = r
	}
	var missing []string
	if given.Get("cpus").IsEmpty() {
		missing = append(missing, fmt.Sprintf("cpus:%d", detectCPUs()))
	}
	if given.Get("mem").IsEmpty() {
		missing = append(missing, fmt.Sprintf("mem:%d", detectMemMB()))
	}
	if given.Get("disk").IsEmpty() {
		missing = append(missing, fmt.Sprintf("disk:%d", detectDiskMB(workDir)))
	}
	if given.Get("ports").IsEmpty() {
		missing = append(missing, "ports:[31000-32000]")
	}
	if len(missing) == 0 {
		return given, nil
	}
	extra, err := resources.Parse(strings.Join(missing, ";"), defaultRole)
	if err != nil {
		return nil, fmt.Errorf("detected resources: %w", err)
	}
	return given.Add(extra), nil
}

func detectCPUs() int {
	if n := runtime.NumCPU(); n > 0 {
		return n
	}
	return 1
}

const (
	mb = 1 << 20
	gb = 1 << 30
)

// detectMemMB: total − 1 GB if total ≥ 2 GB, else half; 1 GB if unknown.
func detectMemMB() int64 {
	total, ok := memTotalBytes()
	if !ok {
		return 1024
	}
	if total >= 2*gb {
		return (total - gb) / mb
	}
	return total / 2 / mb
}

func memTotalBytes() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}

// detectDiskMB: size of the filesystem holding workDir − 5 GB if ≥ 10 GB,
// else half; 10 GB if unknown.
func detectDiskMB(workDir string) int64 {
	dir := workDir
	for dir != "" {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err == nil {
			total := int64(st.Blocks) * int64(st.Bsize)
			if total >= 10*gb {
				return (total - 5*gb) / mb
			}
			return total / 2 / mb
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return 10 * 1024
}

// ParseAttributes parses Mesos' --attributes text: "name:value" pairs
// separated by ';'. A value is a scalar if it is a number, ranges if written
// "[a-b,c-d]", a set if "{a,b}", and text otherwise.
func ParseAttributes(text string) ([]*mesos.Attribute, error) {
	var out []*mesos.Attribute
	for _, item := range strings.Split(text, ";") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, value, ok := strings.Cut(item, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, fmt.Errorf("attribute %q is not of the form name:value", item)
		}
		a := &mesos.Attribute{Name: proto.String(name)}
		switch {
		case strings.HasPrefix(value, "["):
			rs, err := parseRanges(value)
			if err != nil {
				return nil, fmt.Errorf("attribute %q: %w", name, err)
			}
			a.Type = mesos.Value_RANGES.Enum()
			a.Ranges = &mesos.Value_Ranges{Range: rs}
		case strings.HasPrefix(value, "{"):
			if !strings.HasSuffix(value, "}") {
				return nil, fmt.Errorf("attribute %q: set %q lacks a closing '}'", name, value)
			}
			var items []string
			for _, s := range strings.Split(value[1:len(value)-1], ",") {
				if s = strings.TrimSpace(s); s != "" {
					items = append(items, s)
				}
			}
			a.Type = mesos.Value_SET.Enum()
			a.Set = &mesos.Value_Set{Item: items}
		default:
			if f, err := strconv.ParseFloat(value, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				a.Type = mesos.Value_SCALAR.Enum()
				a.Scalar = &mesos.Value_Scalar{Value: proto.Float64(f)}
			} else {
				a.Type = mesos.Value_TEXT.Enum()
				a.Text = &mesos.Value_Text{Value: proto.String(value)}
			}
		}
		out = append(out, a)
	}
	return out, nil
}

func parseRanges(v string) ([]*mesos.Value_Range, error) {
	if !strings.HasSuffix(v, "]") {
		return nil, fmt.Errorf("ranges %q lack a closing ']'", v)
	}
	var out []*mesos.Value_Range
	for _, part := range strings.Split(v[1:len(v)-1], ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, ok := strings.Cut(part, "-")
		if !ok {
			hi = lo
		}
		b, err1 := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		e, err2 := strconv.ParseUint(strings.TrimSpace(hi), 10, 64)
		if err1 != nil || err2 != nil || e < b {
			return nil, fmt.Errorf("bad range %q in %q", part, v)
		}
		out = append(out, &mesos.Value_Range{Begin: proto.Uint64(b), End: proto.Uint64(e)})
	}
	return out, nil
}
