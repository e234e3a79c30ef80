package slave

import (
	"context"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/isolators"
	"github.com/gomesos/gomesos/launcher"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/containerizer"
	"github.com/gomesos/gomesos/slave/fetcher"
	"github.com/gomesos/gomesos/slave/statusupdate"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

// Timing constants of Mesos' agent.
const (
	registerRetryIntervalMax = time.Minute
	defaultMasterPingTimeout = 75 * time.Second
	detectionRetryInterval   = time.Second
	stopTimeout              = time.Minute
)

// Slave is an agent: the actor plus its HTTP endpoints.
type Slave struct {
	node *actors.Node
	cfg  Config
	det  detector.Detector
	cont Containerizer
	a    *agent

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
		isos, err := isolators.Create(cfg.Isolation)
		if err != nil {
			return nil, fmt.Errorf("--isolation: %w", err)
		}
		l, err := launcher.New(cfg.Launcher)
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
	s := &Slave{node: node, cfg: cfg, det: det, cont: cont}
	info := &mesos.SlaveInfo{
		Hostname:   proto.String(cfg.Hostname),
		Port:       proto.Int32(int32(cfg.Port)),
		Resources:  total,
		Attributes: attrs,
	}
	s.a = newAgent(s, info, total)
	return s, nil
}

// Start spawns the agent actor; it begins detecting the master at once.
func (s *Slave) Start() (actors.PID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return s.pid, errors.New("slave: already started")
	}
	pid, err := s.node.Spawn(s.cfg.ID, s.a)
	if err != nil {
		return actors.PID{}, fmt.Errorf("slave: spawn %s: %w", s.cfg.ID, err)
	}
	s.pid = pid
	s.started = true
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
func (s *Slave) Stop() {
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
	if v, err := s.node.Call(ctx, pid, func() any { return s.a.beginStop() }); err == nil {
		ids, _ = v.([]string)
	}
	seen := map[string]bool{}
	for _, id := range s.cont.Containers() {
		ids = append(ids, id)
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
				s.node.Log().WithField("container_id", id).Errorf("Failed to destroy container on stop: %v", err)
			}
		}(id)
	}
	wg.Wait()
	s.node.Stop(pid)
	s.a.cancelRoot()
}

// Handler serves /state, /health and /flags (relative paths).
func (s *Slave) Handler() http.Handler { return newHTTP(s) }

// agent is the actor; all its fields belong to its goroutine.
type agent struct {
	s   *Slave
	cfg Config
	ctx *actors.Context
	log *logrus.Entry

	info  *mesos.SlaveInfo
	total resources.Resources
	state agentState

	master     actors.PID
	masterInfo *mesos.MasterInfo

	root       context.Context
	cancelRoot context.CancelFunc

	detectGen    uint64
	detectCancel context.CancelFunc
	regGen       uint64
	pingGen      uint64
	pingTimeout  time.Duration

	frameworks          map[string]*framework
	frameworkOrder      []string
	completedFrameworks []*framework

	tsum *statusupdate.Manager

	launchQueues map[string][]*launchRequest
	launchBusy   map[string]bool

	startTime time.Time

	// Hooks replaced by tests.
	random        func() float64
	prepareLaunch func(ctx context.Context, dir string) error
}

func newAgent(s *Slave, info *mesos.SlaveInfo, total resources.Resources) *agent {
	root, cancel := context.WithCancel(context.Background())
	return &agent{
		s:             s,
		cfg:           s.cfg,
		info:          info,
		total:         total,
		state:         disconnected,
		root:          root,
		cancelRoot:    cancel,
		pingTimeout:   defaultMasterPingTimeout,
		frameworks:    map[string]*framework{},
		tsum:          statusupdate.New(),
		launchQueues:  map[string][]*launchRequest{},
		launchBusy:    map[string]bool{},
		random:        randomFloat,
		prepareLaunch: func(ctx context.Context, dir string) error { return os.MkdirAll(dir, 0o755) },
	}
}

// Initialize implements actors.Process.
func (a *agent) Initialize(ctx *actors.Context) {
	a.ctx = ctx
	a.log = ctx.Log()
	a.startTime = ctx.Clock().Now()

	actors.Install(ctx, a.registered)
	actors.Install(ctx, a.reregistered)
	actors.Install(ctx, a.ping)
	actors.Install(ctx, a.runTask)
	actors.Install(ctx, a.runTaskGroup)
	actors.Install(ctx, a.killTask)
	actors.Install(ctx, a.shutdownFramework)
	actors.Install(ctx, a.shutdownExecutor)
	actors.Install(ctx, a.updateFramework)
	actors.Install(ctx, a.frameworkToExecutor)
	actors.Install(ctx, a.executorToFramework)
	actors.Install(ctx, a.registerExecutor)
	actors.Install(ctx, a.reregisterExecutor)
	actors.Install(ctx, a.statusUpdateMessage)
	actors.Install(ctx, a.statusUpdateAcknowledgement)
	actors.Install(ctx, a.shutdownMessage)
	actors.Install(ctx, a.checkpointResources)

	a.log.WithField("resources", a.total.String()).Infof("Agent %s started on %s", ctx.Self(), a.info.GetHostname())
	a.detect(nil)
}

// Exited implements actors.Exiter.
func (a *agent) Exited(ctx *actors.Context, pid actors.PID) {
	if pid == a.master && !a.master.IsZero() {
		if a.state != running {
			// Still registering: the registration retries (with their
			// backoff) go on; re-detecting here would only spin.
			a.log.Warnf("Master %s exited while the agent is %s", pid, a.state)
			return
		}
		a.log.Warnf("Master %s exited; re-detecting the leading master", pid)
		a.redetect()
		return
	}
	a.log.Debugf("Linked process %s exited", pid)
}

// Finalize implements actors.Finalizer.
func (a *agent) Finalize(ctx *actors.Context) {
	if a.detectCancel != nil {
		a.detectCancel()
	}
	a.cancelRoot()
}

// beginStop runs on the actor for Slave.Stop: no more registration or
// launches, and the containers to destroy.
func (a *agent) beginStop() []string {
	a.state = terminating
	a.regGen++
	a.pingGen++
	if a.detectCancel != nil {
		a.detectCancel()
	}
	a.detectGen++
	a.tsum.Pause()
	var ids []string
	for _, fid := range a.frameworkOrder {
		f := a.frameworks[fid]
		for _, eid := range f.order {
			e := f.executors[eid]
			if e.state != executorTerminated {
				ids = append(ids, e.containerID)
			}
		}
	}
	return ids
}

// --- master detection and registration ---

// detect starts one Detect call; its answer comes back through Dispatch.
func (a *agent) detect(previous *mesos.MasterInfo) {
	if a.detectCancel != nil {
		a.detectCancel()
	}
	a.detectGen++
	gen := a.detectGen
	ctx, cancel := context.WithCancel(a.root)
	a.detectCancel = cancel
	det := a.s.det
	go func() {
		info, err := det.Detect(ctx, previous)
		if ctx.Err() != nil {
			return
		}
		a.ctx.Dispatch(func() {
			if gen != a.detectGen {
				return
			}
			a.detected(info, err, previous)
		})
	}()
}

// redetect drops the current master and asks the detector again, as Mesos
// does when it discards its detection (ping timeout, master exited).
func (a *agent) redetect() {
	if a.state == terminating {
		return
	}
	a.disconnect()
	a.log.Info("Re-detecting master")
	a.detect(nil)
}

func (a *agent) disconnect() {
	if a.state != terminating {
		a.state = disconnected
	}
	a.tsum.Pause()
	a.pingGen++
	if !a.master.IsZero() {
		a.ctx.Unlink(a.master)
	}
	a.master = actors.PID{}
	a.masterInfo = nil
}

func (a *agent) detected(info *mesos.MasterInfo, err error, previous *mesos.MasterInfo) {
	if a.state == terminating {
		return
	}
	if err != nil {
		a.log.Errorf("Failed to detect a master: %v; retrying in %s", err, detectionRetryInterval)
		gen := a.detectGen
		a.ctx.Delay(detectionRetryInterval, func() {
			if gen == a.detectGen {
				a.detect(previous)
			}
		})
		return
	}
	a.disconnect()
	if info == nil {
		a.log.Info("Lost leading master")
		a.detect(nil)
		return
	}
	pid, perr := detector.LeaderPID(info)
	if perr != nil {
		a.log.Errorf("Detected a master with an unusable pid %q: %v", info.GetPid(), perr)
		a.detect(info)
		return
	}
	a.master = pid
	a.masterInfo = info
	a.log.Infof("New master detected at %s", pid)
	a.regGen++
	factor := a.cfg.RegistrationBackoffFactor
	delay := time.Duration(float64(factor) * a.random())
	gen := a.regGen
	a.ctx.Delay(delay, func() {
		if gen == a.regGen {
			a.doReliableRegistration(2 * factor)
		}
	})
	a.detect(info)
}

func (a *agent) doReliableRegistration(maxBackoff time.Duration) {
	if a.master.IsZero() || a.state != disconnected {
		return
	}
	a.ctx.Link(a.master)
	caps := []*mesos.SlaveInfo_Capability{
		{Type: mesos.SlaveInfo_Capability_MULTI_ROLE.Enum()},
		{Type: mesos.SlaveInfo_Capability_HIERARCHICAL_ROLE.Enum()},
		{Type: mesos.SlaveInfo_Capability_RESERVATION_REFINEMENT.Enum()},
	}
	if a.info.GetId().GetValue() == "" {
		a.log.Infof("Registering with master %s", a.master)
		a.ctx.Send(a.master, &mesosinternal.RegisterSlaveMessage{
			Slave:             proto.Clone(a.info).(*mesos.SlaveInfo),
			Version:           proto.String(MesosVersion),
			AgentCapabilities: caps,
		})
	} else {
		a.log.Infof("Reregistering with master %s", a.master)
		a.ctx.Send(a.master, a.reregisterMessage(caps))
	}
	if maxBackoff > registerRetryIntervalMax {
		maxBackoff = registerRetryIntervalMax
	}
	delay := time.Duration(float64(maxBackoff) * a.random())
	gen := a.regGen
	a.ctx.Delay(delay, func() {
		if gen == a.regGen {
			a.doReliableRegistration(maxBackoff * 2)
		}
	})
}

func (a *agent) reregisterMessage(caps []*mesos.SlaveInfo_Capability) *mesosinternal.ReregisterSlaveMessage {
	m := &mesosinternal.ReregisterSlaveMessage{
		Slave:             proto.Clone(a.info).(*mesos.SlaveInfo),
		Version:           proto.String(MesosVersion),
		AgentCapabilities: caps,
	}
	for _, fid := range a.frameworkOrder {
		f := a.frameworks[fid]
		m.Frameworks = append(m.Frameworks, proto.Clone(f.info).(*mesos.FrameworkInfo))
		for _, p := range sortedPending(f) {
			m.Tasks = append(m.Tasks, createTask(p.task, mesos.TaskState_TASK_STAGING, f.id))
		}
		for _, eid := range f.order {
			e := f.executors[eid]
			for _, t := range e.launchedTasks() {
				m.Tasks = append(m.Tasks, proto.Clone(t).(*mesos.Task))
			}
			for _, t := range e.terminatedTasks() {
				m.Tasks = append(m.Tasks, proto.Clone(t).(*mesos.Task))
			}
			for _, t := range e.queued {
				m.Tasks = append(m.Tasks, createTask(t, mesos.TaskState_TASK_STAGING, f.id))
			}
			if !e.commandTask && e.state != executorTerminated {
				m.ExecutorInfos = append(m.ExecutorInfos, proto.Clone(e.info).(*mesos.ExecutorInfo))
			}
		}
	}
	for _, f := range a.completedFrameworks {
		cf := &mesosinternal.Archive_Framework{FrameworkInfo: proto.Clone(f.info).(*mesos.FrameworkInfo)}
		if !f.pid.IsZero() {
			cf.Pid = proto.String(f.pid.String())
		}
		for _, e := range f.completedExecutors {
			for _, t := range e.terminatedTasks() {
				cf.Tasks = append(cf.Tasks, proto.Clone(t).(*mesos.Task))
			}
			for _, t := range e.completed {
				cf.Tasks = append(cf.Tasks, proto.Clone(t).(*mesos.Task))
			}
		}
		m.CompletedFrameworks = append(m.CompletedFrameworks, cf)
	}
	return m
}

func (a *agent) setPingTimeout(c *mesosinternal.MasterSlaveConnection) {
	if c != nil && c.TotalPingTimeoutSeconds != nil && c.GetTotalPingTimeoutSeconds() > 0 {
		a.pingTimeout = time.Duration(int64(c.GetTotalPingTimeoutSeconds())) * time.Second
	} else {
		a.pingTimeout = defaultMasterPingTimeout
	}
}

// armPingTimer restarts the timer that re-detects the master when pings
// stop coming.
func (a *agent) armPingTimer() {
	a.pingGen++
	gen, detectGen := a.pingGen, a.detectGen
	timeout := a.pingTimeout
	a.ctx.Delay(timeout, func() {
		if gen != a.pingGen || detectGen != a.detectGen {
			return
		}
		a.log.Infof("No pings from master received within %s", timeout)
		a.redetect()
	})
}

func (a *agent) registered(from actors.PID, m *mesosinternal.SlaveRegisteredMessage) {
	if from != a.master || a.master.IsZero() {
		a.log.Warnf("Ignoring registration message from %s because it is not the expected master: %s", from, pidOrNone(a.master))
		return
	}
	id := m.GetSlaveId().GetValue()
	a.setPingTimeout(m.GetConnection())
	switch a.state {
	case disconnected:
		if id == "" {
			a.log.Errorf("Ignoring registration with an empty agent id from %s", from)
			return
		}
		if cur := a.info.GetId().GetValue(); cur != "" && cur != id {
			a.log.Errorf("Registered with id %s, but this agent already has id %s; ignoring", id, cur)
			return
		}
		a.log.WithField("agent_id", id).Infof("Registered with master %s; given agent ID %s", from, id)
		a.state = running
		a.regGen++
		a.info.Id = &mesos.SlaveID{Value: proto.String(id)}
		a.armPingTimer()
		a.resumeUpdates()
	case running:
		if a.info.GetId().GetValue() != id {
			a.log.Errorf("Registered but got wrong id: %s (expected: %s); ignoring", id, a.info.GetId().GetValue())
			return
		}
		a.log.Warnf("Already registered with master %s", from)
	default:
		a.log.Warn("Ignoring registration because agent is terminating")
	}
}

func (a *agent) reregistered(from actors.PID, m *mesosinternal.SlaveReregisteredMessage) {
	if from != a.master || a.master.IsZero() {
		a.log.Warnf("Ignoring re-registration message from %s because it is not the expected master: %s", from, pidOrNone(a.master))
		return
	}
	if m.GetSlaveId().GetValue() != a.info.GetId().GetValue() {
		a.log.Errorf("Re-registered but got wrong id: %s (expected: %s); ignoring", m.GetSlaveId().GetValue(), a.info.GetId().GetValue())
		return
	}
	a.setPingTimeout(m.GetConnection())
	switch a.state {
	case disconnected:
		a.log.Infof("Re-registered with master %s", from)
		a.state = running
		a.regGen++
		a.armPingTimer()
		a.resumeUpdates()
	case running:
		a.log.Warnf("Already reregistered with master %s", from)
	default:
		a.log.Warn("Ignoring re-registration because agent is terminating")
		return
	}
	for _, rec := range m.GetReconciliations() {
		fid := rec.GetFrameworkId().GetValue()
		f := a.frameworks[fid]
		for _, st := range rec.GetStatuses() {
			tid := st.GetTaskId().GetValue()
			if f != nil && (f.pending[tid] != nil || f.executorOf(tid) != nil) {
				continue
			}
			state := mesos.TaskState_TASK_LOST
			if protocol.PartitionAware(rec.GetFramework()) {
				state = mesos.TaskState_TASK_DROPPED
			}
			a.log.WithFields(logrus.Fields{"framework_id": fid, "task_id": tid}).
				Warnf("Agent reconciling task %s of framework %s in state %s: task unknown to the agent", tid, fid, state)
			u := a.newUpdate(fid, tid, "", state, mesos.TaskStatus_REASON_RECONCILIATION, "Reconciliation: task unknown to the agent")
			a.handToManager(u, actors.PID{})
		}
	}
}

func (a *agent) ping(from actors.PID, m *mesosinternal.PingSlaveMessage) {
	if !m.GetConnected() && a.state == running {
		a.log.Info("Master marked the agent as disconnected but the agent considers itself registered! Forcing re-registration.")
		a.redetect()
	}
	a.armPingTimer()
	a.ctx.Send(from, &mesosinternal.PongSlaveMessage{})
}

func (a *agent) shutdownMessage(from actors.PID, m *mesosinternal.ShutdownMessage) {
	if from != a.master || a.master.IsZero() {
		a.log.Warnf("Ignoring shutdown message from %s because it is not from the registered master (%s)", from, pidOrNone(a.master))
		return
	}
	a.log.Warnf("Agent asked to shut down by %s: %s", from, m.GetMessage())
	for _, fid := range append([]string(nil), a.frameworkOrder...) {
		a.doShutdownFramework(fid)
	}
	if id := a.info.GetId(); id != nil {
		a.ctx.Send(a.master, &mesosinternal.UnregisterSlaveMessage{SlaveId: id})
	}
	a.state = terminating
	a.regGen++
	a.tsum.Pause()
}

func (a *agent) checkpointResources(from actors.PID, m *mesosinternal.CheckpointResourcesMessage) {
	// Reservations and volumes are not supported yet; Mesos agents of this
	// version receive this only from legacy masters.
	a.log.Warnf("Ignoring CheckpointResourcesMessage from %s: checkpointed resources are not supported yet", from)
}

// --- helpers ---

func pidOrNone(p actors.PID) string {
	if p.IsZero() {
		return "None"
	}
	return p.String()
}

// newUUID returns a fresh random UUID's bytes.
func newUUID() []byte { return protocol.RandomUUIDs().NewUUID().Bytes() }

func randomFloat() float64 { return mathrand.Float64() }

func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// libprocessIP is what executors bind to: the agent's IP, or the host part
// of the node's address, or loopback.
func (a *agent) libprocessIP() string {
	ip := a.cfg.IP
	if ip == "" || ip == "0.0.0.0" || ip == "::" {
		if host, _, err := net.SplitHostPort(a.ctx.Node().Address()); err == nil && host != "" && host != "0.0.0.0" {
			ip = host
		} else {
			ip = "127.0.0.1"
		}
	}
	return ip
}

func (a *agent) now() float64 {
	return float64(a.ctx.Clock().Now().UnixNano()) / 1e9
}
