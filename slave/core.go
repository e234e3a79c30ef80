package slave

import (
	"encoding/binary"
	"math/rand"
	"sort"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/checkpoint"
	"github.com/gomesos/gomesos/slave/statusupdate"
)

// Timing constants of Mesos' agent.
const (
	registerRetryIntervalMax = time.Minute
	defaultMasterPingTimeout = 75 * time.Second
)

// Timer keys of the core (besides detector.RegisterTimer).
const (
	// PingTimer fires when the master has not pinged for its ping timeout.
	PingTimer = "ping"
	// updateTimerPrefix + <framework-id>/<task-id> retries a status update.
	updateTimerPrefix = "update/"
	// executorRegistrationPrefix + <container-id> ends an executor that did
	// not register in time.
	executorRegistrationPrefix = "executor-registration/"
	// executorShutdownPrefix + <container-id> kills an executor that did
	// not exit within its shutdown grace period.
	executorShutdownPrefix = "executor-shutdown/"
	// executorExitPrefix + <container-id> bounds the wait, after the
	// container ended, for the executor's last messages.
	executorExitPrefix = "executor-exit/"
)

// executorExitWait bounds how long an ended container's executor may
// take to deliver its last messages (its link's Exited).
const executorExitWait = 5 * time.Second

func updateKey(id statusupdate.StreamID) string {
	return updateTimerPrefix + id.FrameworkID + "/" + id.TaskID
}

func executorRegistrationKey(cid string) string { return executorRegistrationPrefix + cid }
func executorShutdownKey(cid string) string     { return executorShutdownPrefix + cid }
func executorExitKey(cid string) string         { return executorExitPrefix + cid }

// Deps are the core's injected sources of identity and chance, so that a
// test or the simulator gets the same run from the same seed.
type Deps struct {
	// UUIDs makes the uuids of the agent's own status updates.
	UUIDs protocol.UUIDs
	// ContainerIDs makes a new container id.
	ContainerIDs func() string
	// Rand draws the registration backoff.
	Rand *rand.Rand
	// CommandExecutor is the resolved path of <launcher_dir>/mesos-executor,
	// empty if there is none (command tasks then fail, saying so).
	CommandExecutor string
	// Log receives the core's log lines (default: the standard logger).
	Log *logrus.Entry
	// Limits says the containerizer can tell a container's limitation
	// (containerizer.Limiter): an executor's terminal update then waits
	// for CheckLimitation's answer, and a limitation replaces it.
	Limits bool
	// BootID is the host's boot id (checkpointed to tell a restart from
	// a reboot); empty if unknown.
	BootID string
}

// randomRand returns a math/rand source seeded from crypto/rand.
func randomRand() *rand.Rand {
	u := protocol.RandomUUIDs().NewUUID()
	return rand.New(rand.NewSource(int64(binary.BigEndian.Uint64(u[:8]))))
}

// contain records e's container as one the core launched (or adopted),
// from LaunchContainer until its end arrives: containers names the
// executor, which may have ended since (then e.fw is nil).
func (c *Core) contain(e *executor) {
	if c.containers == nil {
		c.containers = map[string]*executor{}
	}
	c.containers[e.containerID] = e
	e.contained = true
}

// uncontain records that e's container ended.
func (c *Core) uncontain(e *executor) {
	delete(c.containers, e.containerID)
	if len(c.containers) == 0 {
		c.containers = nil // a map keeps its room when emptied
	}
	e.contained = false
}

// live is the executor and its framework while the executor is live,
// else nils.
func (e *executor) live() (*framework, *executor) {
	if e.fw == nil {
		return nil, nil
	}
	return e.fw, e
}

// Core is the agent as a pure state machine: registration with the
// leading master, frameworks, executors and tasks, and the status update
// streams. It does no I/O, reads no clock and starts no goroutines; each
// event method takes the current time and returns effects (effect.Send,
// Link, Unlink, StartTimer, CancelTimer and the container effects of
// effects.go). Not safe for concurrent use: one goroutine drives it.
type Core struct {
	cfg  Config
	deps Deps
	ckpt checkpoint.Paths // of cfg.WorkDir
	self actors.PID
	log  *logrus.Entry
	out  effect.Outbox
	now  time.Time

	info  *mesos.SlaveInfo
	total resources.Resources
	state agentState

	follower    detector.Follower
	pingTimeout time.Duration

	frameworks          map[string]*framework
	frameworkOrder      []string
	completedFrameworks []*framework

	tsum *statusupdate.Manager

	// launchQueues hold the launch steps under way, by executor; like
	// launching, the map is made on demand and dropped when emptied (a
	// map keeps its room, and launches come in bursts).
	launchQueues map[launchKey]*launchQueue
	// containers are the executors of the containers the core launched
	// or adopted, by container id (contain); nil while there are none.
	containers map[string]*executor
	// held are the executors' updates that wait for the answer to
	// CheckLimitation, in arrival order; the first of each is terminal.
	// defaultGraceText is the default shutdown grace period graceTextOf
	// as text (graceText).
	defaultGraceText string
	graceTextOf      time.Duration

	held map[*executor][]heldUpdate
	// launchWaiting are the executor launches held back by
	// MaxLaunchesInFlight, in order; launching counts those started and
	// not yet registered or ended (their executors' inFlight).
	launchWaiting []*LaunchContainer
	launching     int
	// exiting holds the containers that ended while their executor's
	// last messages may still be on their way (finishExit); made on
	// demand and dropped when emptied, like launchQueues.
	exiting map[string]*executor

	startTime time.Time

	// recovering is set from Recover until the executors had their
	// chance to reregister; cleanup is set with --recover=cleanup.
	recovering, cleanup bool
	// shuttingDown is set by Shutdown or the master's ShutdownMessage.
	shuttingDown bool
	// infoChanged: the recovered agent's SlaveInfo grew (additive
	// reconfiguration); slave.info is rewritten once it reregisters.
	infoChanged bool

	stats agentCounters // event counts for /metrics/snapshot (metrics.go)

	// Made once: the command executor's command when there is no
	// mesos-executor, and the fixed part of executors' environment
	// (executorEnvBase).
	missingExecutor *string
	// The command executor's command (commandExecutorCommand): the real
	// executor's path and arguments, and the command of plain tasks.
	realExecutor     *string
	realExecutorArgs []string
	plainCommand     *mesos.CommandInfo
	envBase          map[string]string
	selfTextCache    *string

	hint taskHint // see taskOf

	// lastFrameworkDir is the sandbox folder frameworkDir made last.
	lastFrameworkDir struct{ sid, fid, dir string }
}

// selfText is the agent's pid as text, which messages share (read only).
func (c *Core) selfText() *string {
	if c.selfTextCache == nil {
		c.selfTextCache = proto.String(c.self.String())
	}
	return c.selfTextCache
}

var _ effect.Core = (*Core)(nil)

// NewCore returns an agent core for the agent self, described by info
// (hostname, port, resources, attributes; its id is set on registration).
// cfg should have its defaults applied (DefaultConfig); the core uses its
// work dir, timeouts, backoff factor, IP, launcher dir, executor
// environment and tracing switches. Missing Deps get random sources.
func NewCore(cfg Config, info *mesos.SlaveInfo, self actors.PID, deps Deps) *Core {
	if deps.UUIDs == nil {
		deps.UUIDs = protocol.RandomUUIDs()
	}
	if deps.ContainerIDs == nil {
		uuids := protocol.RandomUUIDs()
		deps.ContainerIDs = func() string { return uuids.NewUUID().String() }
	}
	if deps.Rand == nil {
		deps.Rand = randomRand()
	}
	if deps.Log == nil {
		deps.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	c := &Core{
		cfg:         cfg,
		deps:        deps,
		ckpt:        checkpoint.NewPaths(cfg.WorkDir),
		self:        self,
		log:         deps.Log,
		info:        proto.Clone(info).(*mesos.SlaveInfo),
		state:       disconnected,
		pingTimeout: defaultMasterPingTimeout,
		frameworks:  map[string]*framework{},
		tsum:        statusupdate.New(),
	}
	// The core's own copy of info, whose parts nobody changes in place.
	c.total = resources.Resources(c.info.GetResources())
	c.tsum.Journal = journal{c}
	c.follower.Backoff = protocol.Backoff{Initial: cfg.RegistrationBackoffFactor, Max: registerRetryIntervalMax}
	return c
}

// Started records the agent's start time; the shell calls it once.
func (c *Core) Started(now time.Time) []effect.Effect {
	c.now, c.startTime = now, now
	c.log.WithFields(logrus.Fields{"pid": c.self.String(), "hostname": c.info.GetHostname(), "resources": c.total.String()}).
		Info("agent started")
	return c.out.Take()
}

// ID is the agent id the master gave (empty before registration).
func (c *Core) ID() string { return c.info.GetId().GetValue() }

// Registered reports whether the agent is registered with a master.
func (c *Core) Registered() bool { return c.state == running }

// leader is the detected master (zero if none).
func (c *Core) leader() actors.PID { return c.follower.Leader() }

// Receive handles one message from a peer.
func (c *Core) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	c.now = now
	switch m := msg.(type) {
	case *mesosinternal.SlaveRegisteredMessage:
		c.registered(from, m)
	case *mesosinternal.SlaveReregisteredMessage:
		c.reregistered(from, m)
	case *mesosinternal.PingSlaveMessage:
		c.ping(from, m)
	case *mesosinternal.RunTaskMessage:
		c.runTask(from, m)
	case *mesosinternal.RunTaskGroupMessage:
		c.runTaskGroup(from, m)
	case *mesosinternal.KillTaskMessage:
		c.killTask(from, m)
	case *mesosinternal.ShutdownFrameworkMessage:
		c.shutdownFramework(from, m)
	case *mesosinternal.ShutdownExecutorMessage:
		c.shutdownExecutor(from, m)
	case *mesosinternal.UpdateFrameworkMessage:
		c.updateFramework(from, m)
	case *mesosinternal.FrameworkToExecutorMessage:
		c.frameworkToExecutor(from, m)
	case *mesosinternal.ExecutorToFrameworkMessage:
		c.executorToFramework(from, m)
	case *mesosinternal.RegisterExecutorMessage:
		c.registerExecutor(from, m)
	case *mesosinternal.ReregisterExecutorMessage:
		c.reregisterExecutor(from, m)
	case *mesosinternal.StatusUpdateMessage:
		c.statusUpdateMessage(from, m)
	case *mesosinternal.StatusUpdateAcknowledgementMessage:
		c.statusUpdateAcknowledgement(from, m)
	case *mesosinternal.ShutdownMessage:
		c.shutdownMessage(from, m)
	case *mesosinternal.CheckpointResourcesMessage:
		c.checkpointResources(from, m)
	default:
		c.log.WithFields(logrus.Fields{"from": from.String(), "type": string(proto.MessageName(msg))}).
			Warn("ignoring a message the agent does not handle")
	}
	return c.out.Take()
}

// Messages are the message types Receive handles (the shell installs a
// handler for each).
func Messages() []proto.Message {
	return []proto.Message{
		&mesosinternal.SlaveRegisteredMessage{}, &mesosinternal.SlaveReregisteredMessage{},
		&mesosinternal.PingSlaveMessage{}, &mesosinternal.RunTaskMessage{},
		&mesosinternal.RunTaskGroupMessage{}, &mesosinternal.KillTaskMessage{},
		&mesosinternal.ShutdownFrameworkMessage{}, &mesosinternal.ShutdownExecutorMessage{},
		&mesosinternal.UpdateFrameworkMessage{}, &mesosinternal.FrameworkToExecutorMessage{},
		&mesosinternal.ExecutorToFrameworkMessage{}, &mesosinternal.RegisterExecutorMessage{},
		&mesosinternal.ReregisterExecutorMessage{}, &mesosinternal.StatusUpdateMessage{},
		&mesosinternal.StatusUpdateAcknowledgementMessage{}, &mesosinternal.ShutdownMessage{},
		&mesosinternal.CheckpointResourcesMessage{},
	}
}

// Timer handles the timer key that fired.
func (c *Core) Timer(now time.Time, key string) []effect.Effect {
	c.now = now
	switch {
	case key == detector.RegisterTimer:
		c.registrationTimer()
	case key == PingTimer:
		c.log.WithField("timeout", protocol.FormatDuration(c.pingTimeout)).Info("no pings from master received in time")
		c.redetect()
	case strings.HasPrefix(key, updateTimerPrefix):
		fid, tid, ok := strings.Cut(strings.TrimPrefix(key, updateTimerPrefix), "/")
		if ok {
			c.retryUpdate(statusupdate.StreamID{FrameworkID: fid, TaskID: tid})
		}
	case strings.HasPrefix(key, executorRegistrationPrefix):
		c.registerExecutorTimeout(strings.TrimPrefix(key, executorRegistrationPrefix))
	case key == ExecutorReregistrationTimer:
		c.reregistrationTimeout()
	case key == ExecutorReconnectTimer:
		c.resendReconnects()
	case strings.HasPrefix(key, executorShutdownPrefix):
		c.shutdownGraceOver(strings.TrimPrefix(key, executorShutdownPrefix))
	case strings.HasPrefix(key, executorExitPrefix):
		c.executorExitTimeout(strings.TrimPrefix(key, executorExitPrefix))
	default:
		c.log.WithField("timer", key).Warn("ignoring an unknown timer")
	}
	return c.out.Take()
}

// Exited handles the end of a linked peer (the master or an executor).
func (c *Core) Exited(now time.Time, pid actors.PID) []effect.Effect {
	c.now = now
	if pid == c.leader() && !pid.IsZero() {
		if c.state != running {
			// Still registering: the registration retries (with their
			// backoff) go on; re-detecting here would only spin.
			c.log.WithFields(logrus.Fields{"master": pid.String(), "state": c.state.String()}).Warn("master exited while the agent is not registered")
			return c.out.Take()
		}
		c.log.WithField("master", pid.String()).Warn("master exited; re-detecting the leading master")
		c.redetect()
		return c.out.Take()
	}
	if c.executorPeerExited(pid) {
		if c.logsAt(logrus.DebugLevel) {
			c.log.WithField("pid", pid.String()).Debug("executor exited")
		}
		return c.out.Take()
	}
	if c.logsAt(logrus.DebugLevel) {
		c.log.WithField("pid", pid.String()).Debug("linked process exited")
	}
	return c.out.Take()
}

// Detected handles the detector's answer: the leading master, or none
// (info nil). The agent starts registering with it after a drawn part of
// --registration_backoff_factor.
func (c *Core) Detected(now time.Time, info *mesos.MasterInfo) []effect.Effect {
	c.now = now
	if c.state == terminating {
		return c.out.Take()
	}
	c.disconnect()
	if err := c.follower.Detected(info, c.deps.Rand.Float64(), &c.out); err != nil {
		c.log.WithField("master", info.GetPid()).WithError(err).Error("detected a master with an unusable pid")
		return c.out.Take()
	}
	if info == nil {
		c.log.Info("lost leading master")
		return c.out.Take()
	}
	c.log.WithField("master", c.leader().String()).Info("new master detected")
	return c.out.Take()
}

// Terminate stops the agent (Slave.Stop): no more registration, updates
// or launches; it returns a DestroyContainer for every container still
// running, which the shell carries out before stopping.
func (c *Core) Terminate(now time.Time) []effect.Effect {
	return c.stop(now, false)
}

// Exit stops the agent as SIGTERM does in Mesos: the process goes away
// but its executors run on, so that a restarted agent recovers them from
// the checkpoint. Only the containers of frameworks that do not
// checkpoint are destroyed (returned as DestroyContainer): nothing could
// recover them. Nothing is written: the checkpoint stays as it is.
func (c *Core) Exit(now time.Time) []effect.Effect {
	return c.stop(now, true)
}

func (c *Core) stop(now time.Time, keepCheckpointed bool) []effect.Effect {
	c.now = now
	c.state = terminating
	c.out.CancelTimer(detector.RegisterTimer)
	c.out.CancelTimer(PingTimer)
	c.tsum.Pause()
	if !keepCheckpointed {
		// Containers already ended need no destroying: their executors
		// end now.
		ended := make([]string, 0, len(c.exiting))
		for cid := range c.exiting {
			ended = append(ended, cid)
		}
		sort.Strings(ended)
		for _, cid := range ended {
			c.finishExit(cid)
		}
	}
	c.launchWaiting = nil // never started: nothing to destroy
	for _, fid := range c.frameworkOrder {
		f := c.frameworks[fid]
		if keepCheckpointed && c.checkpointing(f) {
			continue
		}
		for _, e := range f.executors {
			if e.state != executorTerminated && e.launchedContainer {
				c.out.Add(DestroyContainer{ContainerID: e.containerID})
			}
		}
	}
	if keepCheckpointed {
		// The next agent recovers from what is on disk; nothing this
		// one would still write may change it.
		var keep []effect.Effect
		for _, e := range c.out.Take() {
			if !isDisk(e) {
				keep = append(keep, e)
			}
		}
		return keep
	}
	return c.out.Take()
}

// --- registration ---

// redetect drops the current master and asks the shell to detect again,
// as Mesos does when it discards its detection (ping timeout, master
// exited).
func (c *Core) redetect() {
	if c.state == terminating {
		return
	}
	c.disconnect()
	_ = c.follower.Detected(nil, 0, &c.out)
	c.log.Info("re-detecting master")
	c.out.Add(Redetect{})
}

func (c *Core) disconnect() {
	if c.state != terminating {
		c.state = disconnected
	}
	c.tsum.Pause()
	c.out.CancelTimer(PingTimer)
	if l := c.leader(); !l.IsZero() {
		c.out.Unlink(l)
	}
}

// registrationTimer sends one (re)registration attempt; the follower arms
// the next one.
func (c *Core) registrationTimer() {
	if c.leader().IsZero() || c.state != disconnected {
		return
	}
	if !c.follower.Fire(c.deps.Rand.Float64(), &c.out) {
		return
	}
	master := c.leader()
	c.out.Link(master)
	caps := []*mesos.SlaveInfo_Capability{
		{Type: mesos.SlaveInfo_Capability_MULTI_ROLE.Enum()},
		{Type: mesos.SlaveInfo_Capability_HIERARCHICAL_ROLE.Enum()},
		{Type: mesos.SlaveInfo_Capability_RESERVATION_REFINEMENT.Enum()},
	}
	if c.ID() == "" {
		c.log.WithField("master", master.String()).Info("registering with master")
		c.out.Send(master, &mesosinternal.RegisterSlaveMessage{
			Slave:             proto.Clone(c.info).(*mesos.SlaveInfo),
			Version:           proto.String(MesosVersion),
			AgentCapabilities: caps,
		})
		return
	}
	c.log.WithFields(logrus.Fields{"master": master.String(), "agent_id": c.ID()}).Info("reregistering with master")
	c.out.Send(master, c.reregisterMessage(caps))
}
