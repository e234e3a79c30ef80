package master

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

// IDs makes the ids the master hands out.
type IDs interface {
	FrameworkID() string
	AgentID() string
	OfferID() string
}

// counterIDs are Mesos' ids: "<masterId>-0000" (frameworks),
// "<masterId>-S<n>" (agents), "<masterId>-O<n>" (offers), each counting
// from 0.
type counterIDs struct {
	master                     string
	frameworks, agents, offers int64
}

// CounterIDs returns Mesos' ids for the master masterID, counting from 0.
func CounterIDs(masterID string) IDs { return &counterIDs{master: masterID} }

func (c *counterIDs) FrameworkID() string {
	id := fmt.Sprintf("%s-%04d", c.master, c.frameworks)
	c.frameworks++
	return id
}

func (c *counterIDs) AgentID() string {
	id := fmt.Sprintf("%s-S%d", c.master, c.agents)
	c.agents++
	return id
}

func (c *counterIDs) OfferID() string {
	var buf [64]byte // one allocation per offer: the id itself
	id := string(strconv.AppendInt(append(append(buf[:0], c.master...), "-O"...), c.offers, 10))
	c.offers++
	return id
}

// Deps are what a Core takes from outside besides its configuration.
type Deps struct {
	// IDs makes framework, agent and offer ids; nil means
	// CounterIDs(info.id).
	IDs IDs
	// Log receives the core's log lines; nil discards them.
	Log *logrus.Entry
}

// Timer keys. Each names the one timer of its kind for an id; the shell
// (or the simulator) calls Core.Timer with the key when it fires.
const (
	offerTimerPrefix      = "offer/"      // offer/<offer-id>: offer_timeout
	failoverTimerPrefix   = "failover/"   // failover/<framework-id>: failover_timeout
	pingTimerPrefix       = "ping/"       // ping/<agent-id>: agent_ping_timeout
	reregisterTimerPrefix = "reregister/" // reregister/<agent-id>: agent_reregister_timeout
)

// Core is the master's state and rules, with no actors, timers, clock or
// I/O: every event (a message from a PID, a timer that fired, a linked peer
// that exited, an allocation, an operator request) comes with the current
// time and returns effects as data. The common kinds are package effect's;
// allocator calls are AllocatorCall values. A Core is not safe for
// concurrent use: one goroutine (the master actor, or the simulator) owns
// it.
type Core struct {
	cfg  Config
	info *mesos.MasterInfo
	ids  IDs
	log  *logrus.Entry
	out  effect.Outbox
	at   time.Time // the time of the event being handled

	// The gate: only an elected master whose state is recovered handles
	// messages. A standalone master is both once started.
	elected   bool
	recovered bool

	startTime   time.Time
	electedTime time.Time

	frameworks map[string]*framework // registered (incl. recovered)
	completed  []*framework          // bounded, oldest first
	journal    *taskJournal          // tasks changed in place, for /master/stream (streamwatch.go)

	agents      map[string]*agent // registered, by id
	agentsByPID map[string]*agent // registered, by PID text
	unreachable map[string]*unreachableAgent
	removed     map[string]bool // agents removed for good
	// recoveredAgents are agents a registry admitted that have not
	// reregistered with this master yet (RecoverAgents).
	recoveredAgents map[string]*mesos.SlaveInfo
	gone            map[string]time.Time // agents the operator marked gone

	// Marking agents unreachable, under --agent_removal_rate_limit.
	removalRate   RateLimit
	removalQueue  []pendingRemoval
	permitGranted bool      // a permit was ever granted
	lastPermit    time.Time // when the last one was
	removals      AgentRemovals

	offers map[string]*offer

	// Roles: weights (--weights and PUT /weights) and quotas (POST and
	// DELETE /quota), as the master's registry would hold them.
	weights map[string]float64
	quotas  map[string]allocator.Quota

	dropped uint64 // messages dropped by the gate

	registrar registrar // registry operations in flight (registrar.go)

	stats counters // event counts for /metrics/snapshot (metrics.go)

	launched   launchMemo    // tasks' resources lists, shared (launchmemo.go)
	downgraded downgradeMemo // offers' resources for plain frameworks, shared (offers.go)
}

var _ effect.Core = (*Core)(nil)

// NewCore returns the core of a master that announces info, configured by
// cfg (checked as New checks it).
func NewCore(cfg Config, info *mesos.MasterInfo, deps Deps) (*Core, error) {
	if info == nil || info.GetId() == "" {
		return nil, fmt.Errorf("master: MasterInfo with an id is required")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("master: invalid configuration: %w", err)
	}
	cfg = cfg.withRegistryDefaults()
	weights, err := cfg.parseWeights()
	if err != nil {
		return nil, fmt.Errorf("master: weights: %w", err)
	}
	if cfg.MaxUnreachableTasksPerFramework == 0 {
		cfg.MaxUnreachableTasksPerFramework = DefaultMaxUnreachableTasksPerFramework
	}
	rate, err := ParseRateLimit(cfg.AgentRemovalRateLimit)
	if err != nil {
		return nil, fmt.Errorf("master: agent_removal_rate_limit: %w", err)
	}
	if deps.IDs == nil {
		deps.IDs = CounterIDs(info.GetId())
	}
	if deps.Log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		l.SetLevel(logrus.PanicLevel) // nothing is formatted to be discarded
		deps.Log = logrus.NewEntry(l)
	}
	c := &Core{
		cfg:         cfg,
		info:        info,
		ids:         deps.IDs,
		log:         deps.Log,
		frameworks:  map[string]*framework{},
		agents:      map[string]*agent{},
		agentsByPID: map[string]*agent{},
		unreachable: map[string]*unreachableAgent{},
		removed:     map[string]bool{},

		recoveredAgents: map[string]*mesos.SlaveInfo{},
		gone:            map[string]time.Time{},
		removalRate:     rate,
		offers:          map[string]*offer{},
		weights:         weights,
		quotas:          map[string]allocator.Quota{},
		registrar:       registrar{busy: map[string]string{}, admitting: map[string]bool{}},
	}
	return c, nil
}

// Start begins the master's life at now as the elected leader of a new
// cluster, recovered at once from an empty registry without writing to it
// (Recover is the start that reads and writes the registry); the
// allocator is given the --weights.
func (c *Core) Start(now time.Time) []effect.Effect {
	c.at = now
	c.startTime = now
	c.elected, c.recovered = true, true
	c.electedTime = now
	if len(c.weights) > 0 {
		w := make(map[string]float64, len(c.weights))
		for role, v := range c.weights {
			w[role] = v
		}
		c.out.Add(AllocUpdateWeights{Weights: w})
	}
	c.out.StartTimer(registryGCTimerKey, c.cfg.RegistryGCInterval)
	return c.out.Take()
}

// Info returns a copy of the MasterInfo the core announces.
func (c *Core) Info() *mesos.MasterInfo { return clone(c.info) }

func (c *Core) now() time.Time { return c.at }

// Receive handles a message from a scheduler or an agent. Messages are
// dropped unless the master is elected and recovered; nil and unknown
// messages are dropped with a log line.
func (c *Core) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	c.at = now
	if msg == nil || !msg.ProtoReflect().IsValid() {
		c.log.WithField("from", from.String()).Warn("dropping an empty message")
		return nil
	}
	if !c.acting() {
		c.dropped++
		c.log.WithFields(logrus.Fields{"from": from.String(), "message": string(msg.ProtoReflect().Descriptor().FullName())}).
			Debug("dropping message: master is not the elected, recovered leader")
		return nil
	}
	c.stats.message(msg)
	switch m := msg.(type) {
	// Scheduler calls, and the legacy messages that map onto them.
	case *scheduler.Call:
		c.receiveCall(from, m)
	case *mesosinternal.RegisterFrameworkMessage:
		c.registerFramework(from, m)
	case *mesosinternal.ReregisterFrameworkMessage:
		c.reregisterFramework(from, m)
	case *mesosinternal.UnregisterFrameworkMessage:
		c.unregisterFramework(from, m)
	case *mesosinternal.DeactivateFrameworkMessage:
		c.deactivateFramework(from, m)
	case *mesosinternal.LaunchTasksMessage:
		c.launchTasks(from, m)
	case *mesosinternal.ReviveOffersMessage:
		c.reviveOffers(from, m)
	case *mesosinternal.KillTaskMessage:
		c.killTask(from, m)
	case *mesosinternal.StatusUpdateAcknowledgementMessage:
		c.statusUpdateAcknowledgement(from, m)
	case *mesosinternal.FrameworkToExecutorMessage:
		c.frameworkToExecutor(from, m)
	case *mesosinternal.ReconcileTasksMessage:
		c.reconcileTasks(from, m)
	case *mesosinternal.ResourceRequestMessage:
		c.resourceRequest(from, m)
	// Agents.
	case *mesosinternal.RegisterSlaveMessage:
		c.registerSlave(from, m)
	case *mesosinternal.ReregisterSlaveMessage:
		c.reregisterSlave(from, m)
	case *mesosinternal.UnregisterSlaveMessage:
		c.unregisterSlave(from, m)
	case *mesosinternal.StatusUpdateMessage:
		c.statusUpdate(from, m)
	case *mesosinternal.ExitedExecutorMessage:
		c.exitedExecutor(from, m)
	case *mesosinternal.ExecutorToFrameworkMessage:
		c.executorToFramework(from, m)
	case *mesosinternal.PongSlaveMessage:
		c.pong(from, m)
	case *mesosinternal.UpdateSlaveMessage:
		c.updateSlave(from, m)
	default:
		c.log.WithFields(logrus.Fields{"from": from.String(), "message": string(msg.ProtoReflect().Descriptor().FullName())}).
			Warn("dropping a message the master does not handle")
	}
	return c.out.Take()
}

// Timer handles a timer that fired, by its key.
func (c *Core) Timer(now time.Time, key string) []effect.Effect {
	c.at = now
	if c.registrar.failed != nil {
		return nil
	}
	kind, id, _ := strings.Cut(key, "/")
	switch kind + "/" {
	case offerTimerPrefix:
		c.offerTimedOut(id)
	case failoverTimerPrefix:
		c.failoverTimedOut(id)
	case pingTimerPrefix:
		c.pingTimedOut(id)
	case reregisterTimerPrefix:
		c.reregisterTimedOut(id)
	case removalTimerPrefix:
		c.grantRemovals()
	case recoveryTimerPrefix:
		c.recoveredAgentsTimedOut()
	case registryTimerPrefix:
		c.registryGC()
	default:
		c.log.WithField("key", key).Warn("ignoring an unknown timer")
	}
	return c.out.Take()
}

// Exited handles a linked scheduler or agent that went away.
func (c *Core) Exited(now time.Time, pid actors.PID) []effect.Effect {
	c.at = now
	if !c.acting() {
		return nil
	}
	for _, id := range sortedKeys(c.frameworks) {
		if f := c.frameworks[id]; f.pid == pid && f.connected {
			// The link may have broken one way only: tell the scheduler so
			// its driver aborts instead of waiting forever.
			c.send(pid, &mesosinternal.FrameworkErrorMessage{Message: proto.String("Framework disconnected")})
			c.frameworkExited(f)
			return c.out.Take()
		}
	}
	if a := c.agentsByPID[pid.String()]; a != nil {
		c.agentExited(a)
	}
	return c.out.Take()
}

// Offer handles the allocator's grant to one framework: resources by
// role and agent become offers, and what cannot be offered goes back.
func (c *Core) Offer(now time.Time, frameworkID string, grants allocator.Offers) []effect.Effect {
	c.at = now
	if !c.acting() {
		return nil
	}
	c.offer(frameworkID, grants)
	return c.out.Take()
}

func (c *Core) send(to actors.PID, msg proto.Message) {
	if to.IsZero() {
		return
	}
	c.out.Send(to, msg)
}

// logsAt reports whether the core's logger writes lines of level l (it is
// read on each call, so a level changed at run time takes effect).
func (c *Core) logsAt(l logrus.Level) bool { return c.log.Logger.IsLevelEnabled(l) }

// fwLog, agentLog and taskLog return loggers with the ids as fields; when
// the logger writes not even errors (the simulator's cores), the bare
// logger, so that no fields are built for lines nobody sees.
func (c *Core) fwLog(id string) *logrus.Entry {
	if !c.logsAt(logrus.ErrorLevel) {
		return c.log
	}
	return c.log.WithField("framework_id", id)
}

func (c *Core) agentLog(id string) *logrus.Entry {
	if !c.logsAt(logrus.ErrorLevel) {
		return c.log
	}
	return c.log.WithField("agent_id", id)
}

func (c *Core) taskLog(fid, tid string) *logrus.Entry {
	if !c.logsAt(logrus.ErrorLevel) {
		return c.log
	}
	return c.log.WithFields(logrus.Fields{"framework_id": fid, "task_id": tid})
}

// taskAgentLog is taskLog with the agent's id too.
func (c *Core) taskAgentLog(fid, tid, aid string) *logrus.Entry {
	if !c.logsAt(logrus.ErrorLevel) {
		return c.log
	}
	return c.log.WithFields(logrus.Fields{"framework_id": fid, "task_id": tid, "agent_id": aid})
}

// ---- Scheduler calls ----

// receiveCall applies the gating rules common to every scheduler call and
// hands the call to its handler.
func (c *Core) receiveCall(from actors.PID, call *scheduler.Call) {
	if err := validateCall(call); err != nil {
		c.log.WithField("from", from.String()).Warnf("dropping invalid %s call: %v", call.GetType(), err)
		return
	}
	if call.GetType() == scheduler.Call_SUBSCRIBE {
		c.subscribe(from, call.GetSubscribe())
		return
	}
	id := call.GetFrameworkId().GetValue()
	f := c.frameworks[id]
	if f == nil {
		c.fwLog(id).Warnf("dropping %s call: framework cannot be found", call.GetType())
		return
	}
	if f.pid != from {
		c.fwLog(id).WithField("from", from.String()).Warnf("dropping %s call: it is not from the registered framework", call.GetType())
		return
	}
	if !f.connected {
		c.fwLog(id).Infof("refusing %s call: framework disconnected", call.GetType())
		c.send(from, &mesosinternal.FrameworkErrorMessage{Message: proto.String("Framework disconnected")})
		return
	}
	switch call.GetType() {
	case scheduler.Call_TEARDOWN:
		c.teardown(f)
	case scheduler.Call_ACCEPT:
		c.accept(f, call.GetAccept())
	case scheduler.Call_DECLINE:
		c.decline(f, call.GetDecline())
	case scheduler.Call_REVIVE:
		c.revive(f, call.GetRevive())
	case scheduler.Call_SUPPRESS:
		c.suppress(f, call.GetSuppress())
	case scheduler.Call_KILL:
		c.kill(f, call.GetKill())
	case scheduler.Call_SHUTDOWN:
		c.shutdownExecutor(f, call.GetShutdown())
	case scheduler.Call_ACKNOWLEDGE:
		c.acknowledge(f, call.GetAcknowledge())
	case scheduler.Call_RECONCILE:
		c.reconcile(f, call.GetReconcile())
	case scheduler.Call_MESSAGE:
		c.message(f, call.GetMessage())
	case scheduler.Call_REQUEST:
		c.fwLog(id).Info("ignoring REQUEST call: the allocator does not use resource requests")
	default:
		c.fwLog(id).Warnf("dropping unsupported %s call", call.GetType())
	}
}

// validateCall checks that a call carries what its type needs.
func validateCall(c *scheduler.Call) error {
	if c.Type == nil {
		return errf("Expecting 'type' to be present")
	}
	if c.GetType() == scheduler.Call_SUBSCRIBE {
		if c.Subscribe == nil || c.GetSubscribe().FrameworkInfo == nil {
			return errf("Expecting 'subscribe' to be present")
		}
		if c.FrameworkId != nil && c.GetSubscribe().GetFrameworkInfo().GetId().GetValue() != c.GetFrameworkId().GetValue() {
			return errf("'framework_id' differs from 'subscribe.framework_info.id'")
		}
		return nil
	}
	if c.FrameworkId == nil {
		return errf("Expecting 'framework_id' to be present")
	}
	need := func(ok bool, field string) error {
		if !ok {
			return errf("Expecting '%s' to be present", field)
		}
		return nil
	}
	switch c.GetType() {
	case scheduler.Call_ACCEPT:
		return need(c.Accept != nil, "accept")
	case scheduler.Call_DECLINE:
		return need(c.Decline != nil, "decline")
	case scheduler.Call_KILL:
		if c.Kill == nil || c.GetKill().TaskId == nil {
			return errf("Expecting 'kill' to be present")
		}
	case scheduler.Call_SHUTDOWN:
		if c.Shutdown == nil || c.GetShutdown().ExecutorId == nil || c.GetShutdown().SlaveId == nil {
			return errf("Expecting 'shutdown' to be present")
		}
	case scheduler.Call_ACKNOWLEDGE:
		a := c.GetAcknowledge()
		if c.Acknowledge == nil || a.SlaveId == nil || a.TaskId == nil {
			return errf("Expecting 'acknowledge' to be present")
		}
		if len(a.GetUuid()) != 16 {
			return errf("Invalid UUID in 'acknowledge': expecting 16 bytes, got %d", len(a.GetUuid()))
		}
	case scheduler.Call_RECONCILE:
		if c.Reconcile == nil {
			return errf("Expecting 'reconcile' to be present")
		}
		for _, t := range c.GetReconcile().GetTasks() {
			if t.GetTaskId() == nil {
				return errf("Expecting 'task_id' in every reconciled task")
			}
		}
	case scheduler.Call_MESSAGE:
		m := c.GetMessage()
		if c.Message == nil || m.SlaveId == nil || m.ExecutorId == nil {
			return errf("Expecting 'message' to be present")
		}
	case scheduler.Call_REQUEST:
		return need(c.Request != nil, "request")
	}
	return nil
}

// ---- Legacy scheduler messages, converted to calls ----

func (c *Core) registerFramework(from actors.PID, m *mesosinternal.RegisterFrameworkMessage) {
	info := m.GetFramework()
	if info == nil {
		c.refuse(from, "Expecting 'framework' to be present")
		return
	}
	if info.GetId().GetValue() != "" {
		c.refuse(from, "Registering with 'id' already set")
		return
	}
	c.receiveCall(from, &scheduler.Call{
		Type:      scheduler.Call_SUBSCRIBE.Enum(),
		Subscribe: &scheduler.Call_Subscribe{FrameworkInfo: info},
	})
}

func (c *Core) reregisterFramework(from actors.PID, m *mesosinternal.ReregisterFrameworkMessage) {
	info := m.GetFramework()
	if info == nil {
		c.refuse(from, "Expecting 'framework' to be present")
		return
	}
	if info.GetId().GetValue() == "" {
		c.refuse(from, "Re-registering without an 'id'")
		return
	}
	c.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_SUBSCRIBE.Enum(),
		FrameworkId: info.GetId(),
		Subscribe:   &scheduler.Call_Subscribe{FrameworkInfo: info, Force: proto.Bool(m.GetFailover())},
	})
}

func (c *Core) refuse(to actors.PID, msg string) {
	c.log.WithField("from", to.String()).Infof("refusing subscription: %s", msg)
	c.send(to, &mesosinternal.FrameworkErrorMessage{Message: proto.String(msg)})
}

func (c *Core) unregisterFramework(from actors.PID, m *mesosinternal.UnregisterFrameworkMessage) {
	c.receiveCall(from, &scheduler.Call{Type: scheduler.Call_TEARDOWN.Enum(), FrameworkId: m.GetFrameworkId()})
}

func (c *Core) launchTasks(from actors.PID, m *mesosinternal.LaunchTasksMessage) {
	filters := m.GetFilters()
	if filters == nil {
		filters = &mesos.Filters{}
	}
	if len(m.GetTasks()) == 0 {
		c.receiveCall(from, &scheduler.Call{
			Type:        scheduler.Call_DECLINE.Enum(),
			FrameworkId: m.GetFrameworkId(),
			Decline:     &scheduler.Call_Decline{OfferIds: m.GetOfferIds(), Filters: filters},
		})
		return
	}
	c.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_ACCEPT.Enum(),
		FrameworkId: m.GetFrameworkId(),
		Accept: &scheduler.Call_Accept{
			OfferIds: m.GetOfferIds(),
			Filters:  filters,
			Operations: []*mesos.Offer_Operation{{
				Type:   mesos.Offer_Operation_LAUNCH.Enum(),
				Launch: &mesos.Offer_Operation_Launch{TaskInfos: m.GetTasks()},
			}},
		},
	})
}

func (c *Core) reviveOffers(from actors.PID, m *mesosinternal.ReviveOffersMessage) {
	c.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_REVIVE.Enum(),
		FrameworkId: m.GetFrameworkId(),
		Revive:      &scheduler.Call_Revive{Roles: m.GetRoles()},
	})
}

func (c *Core) killTask(from actors.PID, m *mesosinternal.KillTaskMessage) {
	c.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_KILL.Enum(),
		FrameworkId: m.GetFrameworkId(),
		Kill:        &scheduler.Call_Kill{TaskId: m.GetTaskId()},
	})
}

func (c *Core) statusUpdateAcknowledgement(from actors.PID, m *mesosinternal.StatusUpdateAcknowledgementMessage) {
	c.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_ACKNOWLEDGE.Enum(),
		FrameworkId: m.GetFrameworkId(),
		Acknowledge: &scheduler.Call_Acknowledge{SlaveId: m.GetSlaveId(), TaskId: m.GetTaskId(), Uuid: m.GetUuid()},
	})
}

func (c *Core) frameworkToExecutor(from actors.PID, m *mesosinternal.FrameworkToExecutorMessage) {
	c.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_MESSAGE.Enum(),
		FrameworkId: m.GetFrameworkId(),
		Message:     &scheduler.Call_Message{SlaveId: m.GetSlaveId(), ExecutorId: m.GetExecutorId(), Data: m.GetData()},
	})
}

func (c *Core) reconcileTasks(from actors.PID, m *mesosinternal.ReconcileTasksMessage) {
	r := &scheduler.Call_Reconcile{}
	for _, s := range m.GetStatuses() {
		r.Tasks = append(r.Tasks, &scheduler.Call_Reconcile_Task{TaskId: s.GetTaskId(), SlaveId: s.GetSlaveId()})
	}
	c.receiveCall(from, &scheduler.Call{Type: scheduler.Call_RECONCILE.Enum(), FrameworkId: m.GetFrameworkId(), Reconcile: r})
}

func (c *Core) resourceRequest(from actors.PID, m *mesosinternal.ResourceRequestMessage) {
	c.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_REQUEST.Enum(),
		FrameworkId: m.GetFrameworkId(),
		Request:     &scheduler.Call_Request{Requests: m.GetRequests()},
	})
}

// deactivateFramework handles a driver's abort: the framework stays
// registered but gets no offers until it subscribes again.
func (c *Core) deactivateFramework(from actors.PID, m *mesosinternal.DeactivateFrameworkMessage) {
	id := m.GetFrameworkId().GetValue()
	f := c.frameworks[id]
	switch {
	case f == nil:
		c.fwLog(id).Warn("ignoring deactivate framework message: framework cannot be found")
	case f.pid != from:
		c.fwLog(id).WithField("from", from.String()).Warn("ignoring deactivate framework message: not from the framework")
	case !f.connected:
		c.fwLog(id).Info("ignoring deactivate framework message: framework is disconnected")
	case f.active:
		c.deactivate(f, true)
	}
}

// AgentBooks is one agent's resource books as the master holds them: what
// it has offered of the agent and what the agent's live tasks and
// executors use.
type AgentBooks struct {
	ID        string
	PID       actors.PID
	Connected bool
	Offered   resources.Resources
	Used      resources.Resources
}

// EachAgent calls fn with the books of every agent, in id order, until fn
// returns an error, which it returns. Unlike View it copies no task
// records (the simulator checks the books this way, often); fn must not
// change the resources it is given.
func (c *Core) EachAgent(fn func(AgentBooks) error) error {
	for _, id := range sortedKeys(c.agents) {
		a := c.agents[id]
		if err := fn(AgentBooks{ID: id, PID: a.pid, Connected: a.connected, Offered: a.offeredResources(), Used: a.totalUsed()}); err != nil {
			return err
		}
	}
	return nil
}

// EachAgentTask calls fn with every task the master holds on agent id, by
// framework and task id, until fn returns an error, which it returns. fn
// must neither keep nor change the task.
func (c *Core) EachAgentTask(id string, fn func(*mesos.Task) error) error {
	a := c.agents[id]
	if a == nil {
		return nil
	}
	for _, t := range a.tasks.sorted() {
		if err := fn(t); err != nil {
			return err
		}
	}
	return nil
}

// CompletedTasks counts the completed task records the master holds for
// its frameworks (each keeps --max_completed_tasks_per_framework).
func (c *Core) CompletedTasks() int {
	n := 0
	for _, f := range c.frameworks {
		n += len(f.completedTasks.byID)
	}
	return n
}

// FrameworkIDs lists the ids of the frameworks the master holds, sorted.
func (c *Core) FrameworkIDs() []string { return sortedKeys(c.frameworks) }

// Unreachable reports whether the master holds agent id as unreachable.
func (c *Core) Unreachable(id string) bool { return c.unreachable[id] != nil }

// RegistryWriter applies registry operations to a registry one at a
// time, as ApplyRegistryOps does, and remembers the admitted agents' ids
// from one admission to the next, so that agents registering in bulk do
// not each cost a scan of the admitted list (quadratic at 50,000 agents;
// the shell's batches avoid it the same way, applyBatch). Any other
// operation, or a registry changed behind its back, makes it look again.
type RegistryWriter struct {
	r        *mesosinternal.Registry
	n        int             // the admitted list's length when admitted was right
	admitted map[string]bool // nil: not known
}

// Apply applies op to r.
func (w *RegistryWriter) Apply(r *mesosinternal.Registry, op RegistryOp) {
	a, ok := op.(AdmitSlave)
	if !ok {
		op.Apply(r)
		w.admitted = nil
		return
	}
	if w.admitted == nil || w.r != r || w.n != len(r.GetSlaves().GetSlaves()) {
		w.r, w.admitted = r, map[string]bool{}
		for _, x := range r.GetSlaves().GetSlaves() {
			w.admitted[x.GetInfo().GetId().GetValue()] = true
		}
	}
	if id := a.Info.GetId().GetValue(); !w.admitted[id] {
		appendAdmitted(r, a.Info)
		w.admitted[id] = true
	} else {
		a.Apply(r)
	}
	w.n = len(r.GetSlaves().GetSlaves())
}
