package master

import (
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
)

// process is the master actor. Every field is owned by the actor's
// goroutine: handlers, Delay and Dispatch callbacks, and the functions that
// HTTP snapshots run through Node.Call.
type process struct {
	m     *Master
	cfg   Config
	info  *mesos.MasterInfo
	alloc allocator.Allocator
	ctx   *actors.Context
	log   *logrus.Entry

	// The gate: only an elected master whose state is recovered handles
	// messages. A standalone master is both as soon as it starts.
	elected   bool
	recovered bool

	startTime   time.Time
	electedTime time.Time

	frameworks map[string]*framework // registered (incl. recovered)
	completed  []*framework          // bounded, oldest first

	agents      map[string]*agent // registered, by id
	agentsByPID map[string]*agent // registered, by PID text
	unreachable map[string]*unreachableAgent
	removed     map[string]bool // agents removed for good

	offers map[string]*offer

	// Roles: weights (--weights and PUT /weights) and quotas (POST and
	// DELETE /quota), as the master's registry would hold them.
	weights map[string]float64
	quotas  map[string]allocator.Quota

	nextFrameworkID int64
	nextAgentID     int64
	nextOfferID     int64

	dropped uint64 // messages dropped by the gate
}

func newProcess(m *Master) *process {
	p := &process{
		m:           m,
		cfg:         m.cfg,
		info:        m.info,
		alloc:       m.alloc,
		log:         m.log,
		frameworks:  map[string]*framework{},
		agents:      map[string]*agent{},
		agentsByPID: map[string]*agent{},
		unreachable: map[string]*unreachableAgent{},
		removed:     map[string]bool{},
		offers:      map[string]*offer{},
		weights:     map[string]float64{},
		quotas:      map[string]allocator.Quota{},
	}
	for role, w := range m.weights {
		p.weights[role] = w
	}
	return p
}

func (p *process) now() time.Time { return p.ctx.Clock().Now() }

// on installs h for M behind the gate: messages are dropped unless the
// master is elected and recovered, and a nil message is never handled.
func on[M proto.Message](p *process, h func(from actors.PID, m M)) {
	actors.Install(p.ctx, func(from actors.PID, m M) {
		if !m.ProtoReflect().IsValid() {
			return
		}
		if !p.elected || !p.recovered {
			p.dropped++
			p.log.WithFields(logrus.Fields{"from": from.String(), "message": string(m.ProtoReflect().Descriptor().FullName())}).
				Debug("dropping message: master is not the elected, recovered leader")
			return
		}
		h(from, m)
	})
}

// Initialize implements actors.Process.
func (p *process) Initialize(ctx *actors.Context) {
	p.ctx = ctx
	p.startTime = p.now()

	// Scheduler calls, and the legacy messages that map onto them.
	on(p, p.receiveCall)
	on(p, p.registerFramework)
	on(p, p.reregisterFramework)
	on(p, p.unregisterFramework)
	on(p, p.deactivateFramework)
	on(p, p.launchTasks)
	on(p, p.reviveOffers)
	on(p, p.killTask)
	on(p, p.statusUpdateAcknowledgement)
	on(p, p.frameworkToExecutor)
	on(p, p.reconcileTasks)
	on(p, p.resourceRequest)

	// Agents.
	on(p, p.registerSlave)
	on(p, p.reregisterSlave)
	on(p, p.unregisterSlave)
	on(p, p.statusUpdate)
	on(p, p.exitedExecutor)
	on(p, p.executorToFramework)
	on(p, p.pong)
	on(p, p.updateSlave)

	// Standalone: elected at once, nothing to recover.
	p.elected = true
	p.recovered = true
	p.electedTime = p.now()
}

// Exited implements actors.Exiter: a linked scheduler or agent went away.
func (p *process) Exited(_ *actors.Context, pid actors.PID) {
	if !p.elected || !p.recovered {
		return
	}
	for _, f := range p.frameworks {
		if f.pid == pid && f.connected {
			// The link may have broken one way only: tell the scheduler so
			// its driver aborts instead of waiting forever.
			p.send(pid, &mesosinternal.FrameworkErrorMessage{Message: proto.String("Framework disconnected")})
			p.frameworkExited(f)
			return
		}
	}
	if a := p.agentsByPID[pid.String()]; a != nil {
		p.agentExited(a)
	}
}

// Finalize implements actors.Finalizer: stop timers.
func (p *process) Finalize(*actors.Context) {
	for _, f := range p.frameworks {
		stopTimer(&f.failoverTimer)
	}
	for _, a := range p.agents {
		stopTimer(&a.reregisterTimer)
		stopTimer(&a.pingTimer)
	}
	for _, o := range p.offers {
		stopTimer(&o.timer)
	}
}

func stopTimer(t *actors.Timer) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}

func (p *process) send(to actors.PID, msg proto.Message) {
	if to.IsZero() {
		return
	}
	p.ctx.Send(to, msg)
}

// fwLog and agentLog return loggers with the ids as fields.
func (p *process) fwLog(id string) *logrus.Entry { return p.log.WithField("framework_id", id) }

func (p *process) agentLog(id string) *logrus.Entry { return p.log.WithField("agent_id", id) }

func (p *process) taskLog(fid, tid string) *logrus.Entry {
	return p.log.WithFields(logrus.Fields{"framework_id": fid, "task_id": tid})
}

// ---- Scheduler calls ----

// receiveCall applies the gating rules common to every scheduler call and
// hands the call to its handler.
func (p *process) receiveCall(from actors.PID, call *scheduler.Call) {
	if err := validateCall(call); err != nil {
		p.log.WithField("from", from.String()).Warnf("dropping invalid %s call: %v", call.GetType(), err)
		return
	}
	if call.GetType() == scheduler.Call_SUBSCRIBE {
		p.subscribe(from, call.GetSubscribe())
		return
	}
	id := call.GetFrameworkId().GetValue()
	f := p.frameworks[id]
	if f == nil {
		p.fwLog(id).Warnf("dropping %s call: framework cannot be found", call.GetType())
		return
	}
	if f.pid != from {
		p.fwLog(id).WithField("from", from.String()).Warnf("dropping %s call: it is not from the registered framework", call.GetType())
		return
	}
	if !f.connected {
		p.fwLog(id).Infof("refusing %s call: framework disconnected", call.GetType())
		p.send(from, &mesosinternal.FrameworkErrorMessage{Message: proto.String("Framework disconnected")})
		return
	}
	switch call.GetType() {
	case scheduler.Call_TEARDOWN:
		p.teardown(f)
	case scheduler.Call_ACCEPT:
		p.accept(f, call.GetAccept())
	case scheduler.Call_DECLINE:
		p.decline(f, call.GetDecline())
	case scheduler.Call_REVIVE:
		p.revive(f, call.GetRevive())
	case scheduler.Call_SUPPRESS:
		p.suppress(f, call.GetSuppress())
	case scheduler.Call_KILL:
		p.kill(f, call.GetKill())
	case scheduler.Call_SHUTDOWN:
		p.shutdownExecutor(f, call.GetShutdown())
	case scheduler.Call_ACKNOWLEDGE:
		p.acknowledge(f, call.GetAcknowledge())
	case scheduler.Call_RECONCILE:
		p.reconcile(f, call.GetReconcile())
	case scheduler.Call_MESSAGE:
		p.message(f, call.GetMessage())
	case scheduler.Call_REQUEST:
		p.fwLog(id).Info("ignoring REQUEST call: the allocator does not use resource requests")
	default:
		p.fwLog(id).Warnf("dropping unsupported %s call", call.GetType())
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

func (p *process) registerFramework(from actors.PID, m *mesosinternal.RegisterFrameworkMessage) {
	info := m.GetFramework()
	if info == nil {
		p.refuse(from, "Expecting 'framework' to be present")
		return
	}
	if info.GetId().GetValue() != "" {
		p.refuse(from, "Registering with 'id' already set")
		return
	}
	p.receiveCall(from, &scheduler.Call{
		Type:      scheduler.Call_SUBSCRIBE.Enum(),
		Subscribe: &scheduler.Call_Subscribe{FrameworkInfo: info},
	})
}

func (p *process) reregisterFramework(from actors.PID, m *mesosinternal.ReregisterFrameworkMessage) {
	info := m.GetFramework()
	if info == nil {
		p.refuse(from, "Expecting 'framework' to be present")
		return
	}
	if info.GetId().GetValue() == "" {
		p.refuse(from, "Re-registering without an 'id'")
		return
	}
	p.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_SUBSCRIBE.Enum(),
		FrameworkId: info.GetId(),
		Subscribe:   &scheduler.Call_Subscribe{FrameworkInfo: info, Force: proto.Bool(m.GetFailover())},
	})
}

func (p *process) refuse(to actors.PID, msg string) {
	p.log.WithField("from", to.String()).Infof("refusing subscription: %s", msg)
	p.send(to, &mesosinternal.FrameworkErrorMessage{Message: proto.String(msg)})
}

func (p *process) unregisterFramework(from actors.PID, m *mesosinternal.UnregisterFrameworkMessage) {
	p.receiveCall(from, &scheduler.Call{Type: scheduler.Call_TEARDOWN.Enum(), FrameworkId: m.GetFrameworkId()})
}

func (p *process) launchTasks(from actors.PID, m *mesosinternal.LaunchTasksMessage) {
	filters := m.GetFilters()
	if filters == nil {
		filters = &mesos.Filters{}
	}
	if len(m.GetTasks()) == 0 {
		p.receiveCall(from, &scheduler.Call{
			Type:        scheduler.Call_DECLINE.Enum(),
			FrameworkId: m.GetFrameworkId(),
			Decline:     &scheduler.Call_Decline{OfferIds: m.GetOfferIds(), Filters: filters},
		})
		return
	}
	p.receiveCall(from, &scheduler.Call{
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

func (p *process) reviveOffers(from actors.PID, m *mesosinternal.ReviveOffersMessage) {
	p.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_REVIVE.Enum(),
		FrameworkId: m.GetFrameworkId(),
		Revive:      &scheduler.Call_Revive{Roles: m.GetRoles()},
	})
}

func (p *process) killTask(from actors.PID, m *mesosinternal.KillTaskMessage) {
	p.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_KILL.Enum(),
		FrameworkId: m.GetFrameworkId(),
		Kill:        &scheduler.Call_Kill{TaskId: m.GetTaskId()},
	})
}

func (p *process) statusUpdateAcknowledgement(from actors.PID, m *mesosinternal.StatusUpdateAcknowledgementMessage) {
	p.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_ACKNOWLEDGE.Enum(),
		FrameworkId: m.GetFrameworkId(),
		Acknowledge: &scheduler.Call_Acknowledge{SlaveId: m.GetSlaveId(), TaskId: m.GetTaskId(), Uuid: m.GetUuid()},
	})
}

func (p *process) frameworkToExecutor(from actors.PID, m *mesosinternal.FrameworkToExecutorMessage) {
	p.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_MESSAGE.Enum(),
		FrameworkId: m.GetFrameworkId(),
		Message:     &scheduler.Call_Message{SlaveId: m.GetSlaveId(), ExecutorId: m.GetExecutorId(), Data: m.GetData()},
	})
}

func (p *process) reconcileTasks(from actors.PID, m *mesosinternal.ReconcileTasksMessage) {
	r := &scheduler.Call_Reconcile{}
	for _, s := range m.GetStatuses() {
		r.Tasks = append(r.Tasks, &scheduler.Call_Reconcile_Task{TaskId: s.GetTaskId(), SlaveId: s.GetSlaveId()})
	}
	p.receiveCall(from, &scheduler.Call{Type: scheduler.Call_RECONCILE.Enum(), FrameworkId: m.GetFrameworkId(), Reconcile: r})
}

func (p *process) resourceRequest(from actors.PID, m *mesosinternal.ResourceRequestMessage) {
	p.receiveCall(from, &scheduler.Call{
		Type:        scheduler.Call_REQUEST.Enum(),
		FrameworkId: m.GetFrameworkId(),
		Request:     &scheduler.Call_Request{Requests: m.GetRequests()},
	})
}

// deactivateFramework handles a driver's abort: the framework stays
// registered but gets no offers until it subscribes again.
func (p *process) deactivateFramework(from actors.PID, m *mesosinternal.DeactivateFrameworkMessage) {
	id := m.GetFrameworkId().GetValue()
	f := p.frameworks[id]
	switch {
	case f == nil:
		p.fwLog(id).Warn("ignoring deactivate framework message: framework cannot be found")
	case f.pid != from:
		p.fwLog(id).WithField("from", from.String()).Warn("ignoring deactivate framework message: not from the framework")
	case !f.connected:
		p.fwLog(id).Info("ignoring deactivate framework message: framework is disconnected")
	case f.active:
		p.deactivate(f, true)
	}
}
