package slave

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/isolators"
	"github.com/gomesos/gomesos/launcher"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/metrics"
	"github.com/gomesos/gomesos/slave/checkpoint"
	"github.com/gomesos/gomesos/slave/containerizer"
	"github.com/gomesos/gomesos/slave/fetcher"
)

// Timing constants of the shell.
const (
	detectionRetryInterval = time.Second
	stopTimeout            = time.Minute
)

// Slave is an agent: the actor (a shell around Core) plus its HTTP
// endpoints.
type Slave struct {
	node *actors.Node
	cfg  Config
	det  detector.Detector
	cont Containerizer
	// hosted runs the command executors the agent hosts.
	hosted *hostedExecutors
	info   *mesos.SlaveInfo
	deps   Deps
	p      *process

	// recovered is the checkpoint read at New, handed to the core at start.
	recovered   *checkpoint.State
	cleanupDone chan struct{}
	terminated  chan struct{}
	metrics     *metrics.Registry
	collector   *agentCollector

	mu      sync.Mutex
	pid     actors.PID
	started bool
	stopped bool
}

// New builds an agent on node. It checks the configuration, detects the
// machine's resources and prepares the containerizer, but starts nothing.
func New(node *actors.Node, cfg Config) (*Slave, error) {
	if node == nil {
		return nil, errors.New("slave: nil node")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	workDir, err := filepath.Abs(cfg.WorkDir)
	if err != nil {
		return nil, fmt.Errorf("--work_dir: %w", err)
	}
	cfg.WorkDir = workDir
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return nil, fmt.Errorf("--work_dir: %w", err)
	}
	total, err := totalResources(cfg.Resources, cfg.DefaultRole, workDir)
	if err != nil {
		return nil, err
	}
	attrs, err := ParseAttributes(cfg.Attributes)
	if err != nil {
		return nil, fmt.Errorf("--attributes: %w", err)
	}
	det := cfg.Detector
	if det == nil {
		if det, err = detector.New(cfg.Master); err != nil {
			return nil, fmt.Errorf("--master: %w", err)
		}
	}
	log := logrus.NewEntry(node.Log())
	cont := cfg.Containerizer
	if cont == nil {
		isos, err := isolators.New(cfg.Isolation, cfg.isolatorOptions())
		if err != nil {
			return nil, fmt.Errorf("--isolation: %w", err)
		}
		l, err := launcher.NewWithOptions(cfg.Launcher, cfg.launcherOptions())
		if err != nil {
			return nil, fmt.Errorf("--launcher: %w", err)
		}
		cont = containerizer.NewMesos(containerizer.Options{
			Launcher:  l,
			Isolators: isos,
			Fetcher:   &fetcher.Fetcher{},
			Now:       node.Clock().Now,
			Log:       log.WithField("component", "containerizer"),
		})
	}
	bootID := readBootID()
	info := &mesos.SlaveInfo{
		Hostname:   proto.String(cfg.Hostname),
		Port:       proto.Int32(int32(cfg.Port)),
		Resources:  total,
		Attributes: attrs,
	}
	recovered, err := readCheckpoint(workDir, !cfg.NonStrict, log)
	if err != nil {
		return nil, err
	}
	if err := checkRecoveredInfo(cfg.ReconfigurationPolicy, recovered, info, bootID, workDir, cfg.PortPicked); err != nil {
		return nil, err
	}
	s := &Slave{node: node, cfg: cfg, det: det, cont: cont, recovered: recovered, cleanupDone: make(chan struct{}), terminated: make(chan struct{}), metrics: cfg.Metrics}
	if s.metrics == nil {
		s.metrics = metrics.NewRegistry()
	}
	s.info = info
	s.hosted = newHostedExecutors(node, cont, workDir, log.WithField("component", "hosted-executors"))
	killHostedLeftovers(workDir, log)
	s.deps = Deps{
		Rand:            randomRand(),
		CommandExecutor: commandExecutorPath(cfg.LauncherDir),
		BootID:          bootID,
	}
	_, s.deps.Limits = cont.(containerizer.Limiter)
	s.p = newProcess(s)
	return s, nil
}

// readBootID is the host's boot id ("" if unknown).
func readBootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// readCheckpoint reads and parses <work_dir>/meta. With strict, a corrupt
// file is a start-up error that names it; otherwise its entity is
// skipped with a warning. Journals with a torn last record are cut back
// to their complete records before anything is appended to them.
func readCheckpoint(workDir string, strict bool, log *logrus.Entry) (*checkpoint.State, error) {
	files, err := checkpoint.ReadFiles(workDir)
	if err != nil {
		return nil, fmt.Errorf("agent recovery: %w", err)
	}
	st, warnings, err := checkpoint.Parse(files, strict)
	for _, w := range warnings {
		log.WithError(w).Warn("agent recovery")
	}
	if err != nil {
		return nil, fmt.Errorf("agent recovery failed (a corrupt checkpoint under %s; start with --strict=false to skip what is corrupt, or remove the folder to start as a new agent): %w",
			checkpoint.Paths{WorkDir: workDir}.Meta(), err)
	}
	if st.Slave != nil {
		for _, f := range st.Slave.Frameworks {
			for _, e := range f.Executors {
				for _, r := range e.Runs {
					for _, t := range r.Tasks {
						if t.TornAt >= 0 {
							if err := checkpoint.Truncate(filepath.Join(workDir, t.UpdatesPath), int64(t.TornAt)); err != nil {
								return nil, fmt.Errorf("agent recovery: %w", err)
							}
						}
					}
				}
			}
		}
	}
	return st, nil
}

// checkRecoveredInfo refuses to start an agent whose configuration
// (info) is not compatible, under policy, with the agent it checkpointed
// on this host since its last boot (after a reboot the agent starts anew
// anyway), as Mesos' agent does. With portPicked (--port=0) the port is
// not compared.
func checkRecoveredInfo(policy string, st *checkpoint.State, info *mesos.SlaveInfo, bootID, workDir string, portPicked bool) error {
	if st == nil || st.Slave == nil || st.Slave.Info == nil {
		return nil
	}
	if st.BootID != "" && bootID != "" && st.BootID != bootID {
		return nil
	}
	if portPicked {
		// --port=0: whatever port the OS picked is this agent's.
		info = proto.Clone(info).(*mesos.SlaveInfo)
		info.Port = st.Slave.Info.Port
	}
	if err := CheckReconfiguration(policy, st.Slave.Info, info); err != nil {
		return fmt.Errorf("agent recovery failed: %w; start with the flags of agent %s again (or --reconfiguration_policy=additive to add resources or attributes), or remove the link %s to start as a new agent (its executors are then not recovered)",
			err, st.Slave.ID, checkpoint.Paths{WorkDir: workDir}.LatestSlave())
	}
	return nil
}

// CleanupDone is closed when --recover=cleanup has killed every recovered
// executor; the agent then does not register, and the daemon should exit.
func (s *Slave) CleanupDone() <-chan struct{} { return s.cleanupDone }

// commandExecutorPath resolves <dir>/mesos-executor, or "" if it is not a
// file.
func commandExecutorPath(dir string) string {
	real, err := filepath.EvalSymlinks(filepath.Join(dir, commandExecutorName))
	if err != nil {
		return ""
	}
	if st, err := os.Stat(real); err != nil || st.IsDir() {
		return ""
	}
	return real
}

// Start spawns the agent actor; it begins detecting the master at once.
func (s *Slave) Start() (actors.PID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return s.pid, errors.New("slave: already started")
	}
	pid, err := s.node.Spawn(s.cfg.ID, s.p)
	if err != nil {
		return actors.PID{}, fmt.Errorf("slave: spawn %s: %w", s.cfg.ID, err)
	}
	s.pid = pid
	s.started = true
	s.registerMetrics()
	return pid, nil
}

// PID is the agent actor's PID (zero before Start).
func (s *Slave) PID() actors.PID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pid
}

// Stop shuts the agent down: it stops detecting and registering, destroys
// every container it started and waits for them, then stops the actor.
// (Tests and mesos-local; the daemon's SIGTERM is Exit.)
func (s *Slave) Stop() { s.stop(false) }

// Exit stops the agent as SIGTERM stops Mesos' agent: the actor stops
// once the checkpoint writes in flight are on disk, and the executors of
// checkpointing frameworks run on in their containers, for the agent
// restarted on the same --work_dir to recover. Containers of frameworks
// that do not checkpoint are destroyed, since nothing could recover them.
func (s *Slave) Exit() { s.stop(true) }

func (s *Slave) stop(keep bool) {
	s.mu.Lock()
	if !s.started || s.stopped {
		s.stopped = true
		s.mu.Unlock()
		return
	}
	s.stopped = true
	pid := s.pid
	s.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	var ids []string
	if v, err := s.node.Call(ctx, pid, func() any { return s.p.terminate(keep) }); err == nil {
		ids, _ = v.([]string)
	}
	seen := map[string]bool{}
	if !keep {
		ids = append(ids, s.cont.Containers()...)
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			if err := s.cont.Destroy(ctx, id); err != nil {
				s.node.Log().WithField("container_id", id).WithError(err).Error("failed to destroy container on stop")
			}
		}(id)
	}
	wg.Wait()
	s.hosted.close()
	s.unregisterMetrics()
	s.node.Stop(pid)
	s.p.cancelRoot()
	s.p.diskWG.Wait()
}

// Shutdown starts Mesos' agent shutdown (SIGUSR1): the agent unregisters
// from the master, shuts down its executors and destroys their
// containers; Terminated is closed when that is done. It returns at once.
func (s *Slave) Shutdown(why string) {
	s.mu.Lock()
	started, stopped, pid := s.started, s.stopped, s.pid
	s.mu.Unlock()
	if !started || stopped {
		return
	}
	s.node.Dispatch(pid, func() { s.p.shutdown(why) })
}

// Terminated is closed when a shutdown (Shutdown, or the master's
// ShutdownMessage) is complete; the daemon should then exit.
func (s *Slave) Terminated() <-chan struct{} { return s.terminated }

// Metrics returns the registry /metrics/snapshot renders.
func (s *Slave) Metrics() *metrics.Registry { return s.metrics }

// Handler serves /state, /health, /flags, /metrics/snapshot, /metrics and
// /files/* (relative paths).
func (s *Slave) Handler() http.Handler { return newHTTP(s) }
