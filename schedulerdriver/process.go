package schedulerdriver

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sort"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	schedpb "github.com/gomesos/gomesos/messages/scheduler"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

// process is the driver's actor. Everything below runs on its goroutine,
// except where a comment says otherwise.
type process struct {
	d    *MesosSchedulerDriver
	det  detector.Detector
	ctx  *actors.Context
	self actors.PID
	log  *logrus.Entry

	framework *mesos.FrameworkInfo
	// failover: the next SUBSCRIBE carries force=true (the FrameworkInfo
	// came with an id); cleared after the first registration.
	failover        bool
	suppressedRoles map[string]bool

	master    *mesos.MasterInfo // leading master, nil if none
	masterPID actors.PID
	connected bool
	regTimer  actors.Timer

	// detection: one goroutine per generation feeds detected().
	detectGen    uint64
	detectCancel context.CancelFunc
	// detectEvents counts detector answers, so that a pending re-detection
	// (after the master's link broke) is skipped once the detector spoke.
	detectEvents  uint64
	redetectDelay time.Duration

	savedOffers    map[string]map[string]actors.PID // offer id -> agent id -> agent PID
	savedSlavePids map[string]actors.PID            // agent id -> agent PID

	finished chan struct{} // closed in Finalize
}

var (
	_ actors.Process   = (*process)(nil)
	_ actors.Exiter    = (*process)(nil)
	_ actors.Finalizer = (*process)(nil)
)

func newProcess(d *MesosSchedulerDriver, det detector.Detector, framework *mesos.FrameworkInfo) *process {
	return &process{
		d:               d,
		det:             det,
		log:             d.log,
		framework:       framework,
		failover:        framework.GetId().GetValue() != "",
		suppressedRoles: map[string]bool{},
		redetectDelay:   registrationBackoffFactor,
		savedOffers:     map[string]map[string]actors.PID{},
		savedSlavePids:  map[string]actors.PID{},
		finished:        make(chan struct{}),
	}
}

// Initialize installs the handlers and starts detecting the master.
func (p *process) Initialize(ctx *actors.Context) {
	p.ctx = ctx
	p.self = ctx.Self()
	p.log = p.log.WithField("pid", p.self.String())

	actors.Install(ctx, p.frameworkRegistered)
	actors.Install(ctx, p.frameworkReregistered)
	actors.Install(ctx, p.resourceOffers)
	actors.Install(ctx, p.rescindOffer)
	actors.Install(ctx, p.statusUpdateMessage)
	actors.Install(ctx, p.lostSlave)
	actors.Install(ctx, p.exitedExecutor)
	actors.Install(ctx, p.executorToFramework)
	actors.Install(ctx, p.frameworkError)

	p.startDetection(nil)
}

// Finalize runs when the actor terminates.
func (p *process) Finalize(*actors.Context) {
	p.stopDetection()
	p.stopRegistrationTimer()
	p.setConnected(false)
	close(p.finished)
	p.d.life.Callbacks.Close()
}

func (p *process) running() bool { return p.d.life.Running() }

func (p *process) setConnected(c bool) {
	p.connected = c
	p.d.connected.Store(c)
}

// enqueue queues a callback (dropped if the driver stops before it runs).
func (p *process) enqueue(f func()) {
	p.d.life.Callbacks.Push(callback{Run: f})
}

// ---- Master detection ----

// startDetection (re)starts the detector loop from previous.
func (p *process) startDetection(previous *mesos.MasterInfo) {
	p.stopDetection()
	p.detectGen++
	gen := p.detectGen
	ctx, cancel := context.WithCancel(context.Background())
	p.detectCancel = cancel
	node, self, det := p.d.node, p.self, p.det
	// The detector blocks, so it runs on a goroutine of its own and hands
	// every answer back to the actor.
	go func() {
		prev := previous
		for {
			info, err := det.Detect(ctx, prev)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				node.Dispatch(self, func() { p.detectionFailed(gen, err) })
				return
			}
			if !node.Dispatch(self, func() { p.detected(gen, info) }) {
				return
			}
			prev = info
		}
	}()
}

func (p *process) stopDetection() {
	if p.detectCancel != nil {
		p.detectCancel()
		p.detectCancel = nil
	}
}

func (p *process) detectionFailed(gen uint64, err error) {
	if gen != p.detectGen || !p.running() {
		return
	}
	p.fatal("Failed to detect a master: " + err.Error())
}

// detected handles a new answer from the detector (info nil: no leader).
func (p *process) detected(gen uint64, info *mesos.MasterInfo) {
	if gen != p.detectGen || !p.running() {
		return
	}
	p.detectEvents++
	if p.connected {
		// The master failed, failed over, or was re-detected: in every
		// case the driver registers again.
		p.setConnected(false)
		p.enqueue(func() { p.d.sched.Disconnected(p.d) })
	}
	p.stopRegistrationTimer()

	old := p.masterPID
	p.master, p.masterPID = nil, actors.PID{}
	if info == nil {
		p.log.Info("No master detected; waiting for one")
		if !old.IsZero() {
			p.ctx.Unlink(old)
		}
		return
	}
	pid, err := detector.LeaderPID(info)
	if err != nil {
		p.log.WithError(err).Warn("Ignoring a detected master with a bad PID")
		return
	}
	if !old.IsZero() && old != pid {
		p.ctx.Unlink(old)
	}
	p.log.WithField("master", pid.String()).Info("New master detected")
	if isLoopback(p.self.Address) && !isLoopback(pid.Address) {
		p.log.WithField("master", pid.String()).Warn("The driver's node advertises a loopback address, which a remote " +
			"master cannot reach; set LIBPROCESS_IP (or LIBPROCESS_ADVERTISE_IP) to a routable address")
	}
	p.master, p.masterPID = info, pid
	p.ctx.Link(pid)
	p.doReliableRegistration(registrationBackoffFactor)
}

// Exited fires when the link to the master breaks.
func (p *process) Exited(_ *actors.Context, pid actors.PID) {
	if !p.running() || pid.IsZero() || pid != p.masterPID {
		return
	}
	p.log.WithField("master", pid.String()).Warn("Lost the link to the master")
	if p.connected {
		p.setConnected(false)
		p.enqueue(func() { p.d.sched.Disconnected(p.d) })
	}
	p.stopRegistrationTimer()
	p.master, p.masterPID = nil, actors.PID{}

	// Wait for the detector. It may never call this master gone (a fixed
	// PID), or report it back unchanged once it returns, so unless it
	// speaks first, look again from scratch after a backoff.
	events := p.detectEvents
	delay := randomDelay(p.redetectDelay)
	p.redetectDelay = min(2*p.redetectDelay, registrationRetryIntervalMax)
	p.ctx.Delay(delay, func() {
		if !p.running() || p.detectEvents != events || p.connected {
			return
		}
		p.log.Info("Detecting the master again")
		p.startDetection(nil)
	})
}

// ---- Registration ----

// doReliableRegistration sends SUBSCRIBE and schedules a retry, until the
// master answers.
func (p *process) doReliableRegistration(maxBackoff time.Duration) {
	if !p.running() || p.connected || p.masterPID.IsZero() {
		return
	}
	call := &schedpb.Call{
		Type: schedpb.Call_SUBSCRIBE.Enum(),
		Subscribe: &schedpb.Call_Subscribe{
			FrameworkInfo:   proto.Clone(p.framework).(*mesos.FrameworkInfo),
			SuppressedRoles: p.suppressedList(),
		},
	}
	if p.framework.GetId().GetValue() != "" {
		call.FrameworkId = proto.Clone(p.framework.GetId()).(*mesos.FrameworkID)
		call.Subscribe.Force = proto.Bool(p.failover)
	}
	p.log.WithField("master", p.masterPID.String()).Debug("Sending SUBSCRIBE")
	p.ctx.Send(p.masterPID, call)

	maxBackoff = min(maxBackoff, registrationRetryIntervalMax)
	if ft := p.framework.GetFailoverTimeout(); ft > 0 && ft/10 < maxBackoff.Seconds() {
		maxBackoff = time.Duration(ft / 10 * float64(time.Second))
	}
	maxBackoff = max(maxBackoff, minRetryDelay)
	delay := randomDelay(maxBackoff)
	p.stopRegistrationTimer()
	p.regTimer = p.ctx.Delay(delay, func() {
		p.regTimer = nil
		p.doReliableRegistration(2 * maxBackoff)
	})
}

// isLoopback reports whether the host of host:port is a loopback address.
func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// randomDelay picks a uniformly random delay in (0, bound], never below
// minRetryDelay.
func randomDelay(bound time.Duration) time.Duration {
	d := time.Duration((1 - rand.Float64()) * float64(bound))
	return max(d, minRetryDelay)
}

func (p *process) stopRegistrationTimer() {
	if p.regTimer != nil {
		p.regTimer.Stop()
		p.regTimer = nil
	}
}

func (p *process) suppressedList() []string {
	if len(p.suppressedRoles) == 0 {
		return nil
	}
	out := make([]string, 0, len(p.suppressedRoles))
	for r := range p.suppressedRoles {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// fromLeader reports whether a message from `from` may be handled: it
// must come from the leading master.
func (p *process) fromLeader(from actors.PID, what string) bool {
	if p.masterPID.IsZero() || from != p.masterPID {
		p.log.WithFields(logrus.Fields{"from": from.String(), "leader": p.masterPID.String()}).
			Warnf("Ignoring %s: not sent by the leading master", what)
		return false
	}
	return true
}

func (p *process) frameworkRegistered(from actors.PID, m *mesosinternal.FrameworkRegisteredMessage) {
	if !p.running() || p.connected || !p.fromLeader(from, "FrameworkRegisteredMessage") {
		return
	}
	p.registeredWith(m.GetFrameworkId(), m.GetMasterInfo(), false)
}

func (p *process) frameworkReregistered(from actors.PID, m *mesosinternal.FrameworkReregisteredMessage) {
	if !p.running() || p.connected || !p.fromLeader(from, "FrameworkReregisteredMessage") {
		return
	}
	p.registeredWith(m.GetFrameworkId(), m.GetMasterInfo(), true)
}

func (p *process) registeredWith(fid *mesos.FrameworkID, info *mesos.MasterInfo, re bool) {
	if fid.GetValue() == "" {
		p.log.Warn("Ignoring a registration reply without a framework ID")
		return
	}
	if info == nil {
		info = p.master
	}
	p.framework.Id = proto.Clone(fid).(*mesos.FrameworkID)
	p.log = p.log.WithField("framework_id", fid.GetValue())
	p.setConnected(true)
	p.failover = false
	p.stopRegistrationTimer()
	p.redetectDelay = registrationBackoffFactor

	fidCopy := proto.Clone(fid).(*mesos.FrameworkID)
	var infoCopy *mesos.MasterInfo
	if info != nil {
		infoCopy = proto.Clone(info).(*mesos.MasterInfo)
	}
	if re {
		p.log.Info("Framework re-registered")
		p.enqueue(func() { p.d.sched.Reregistered(p.d, infoCopy) })
	} else {
		p.log.Info("Framework registered")
		p.enqueue(func() { p.d.sched.Registered(p.d, fidCopy, infoCopy) })
	}
}

// ---- Events from the master ----

func (p *process) resourceOffers(from actors.PID, m *mesosinternal.ResourceOffersMessage) {
	if !p.running() || !p.connected || !p.fromLeader(from, "ResourceOffersMessage") {
		return
	}
	if len(m.GetOffers()) == 0 {
		return
	}
	// Remember each agent's PID, to send framework messages directly.
	for i, offer := range m.GetOffers() {
		if i >= len(m.GetPids()) {
			break
		}
		pid, err := actors.ParsePID(m.GetPids()[i])
		if err != nil {
			p.log.WithError(err).Debug("Ignoring a bad agent PID in an offer")
			continue
		}
		oid := offer.GetId().GetValue()
		if p.savedOffers[oid] == nil {
			p.savedOffers[oid] = map[string]actors.PID{}
		}
		p.savedOffers[oid][offer.GetSlaveId().GetValue()] = pid
	}
	offers := cloneAll(m.GetOffers())
	p.enqueue(func() { p.d.sched.ResourceOffers(p.d, offers) })
}

func (p *process) rescindOffer(from actors.PID, m *mesosinternal.RescindResourceOfferMessage) {
	if !p.running() || !p.connected || !p.fromLeader(from, "RescindResourceOfferMessage") {
		return
	}
	delete(p.savedOffers, m.GetOfferId().GetValue())
	oid := cloneOne(m.GetOfferId())
	p.enqueue(func() { p.d.sched.OfferRescinded(p.d, oid) })
}

func (p *process) statusUpdateMessage(from actors.PID, m *mesosinternal.StatusUpdateMessage) {
	if from.IsZero() {
		// Only the driver itself may deliver sender-less updates.
		p.log.Warn("Ignoring a status update without a sender")
		return
	}
	p.statusUpdate(from, m.GetUpdate(), m.GetPid())
}

// statusUpdate delivers an update; from is zero for updates the driver
// made itself. With implicit acknowledgements, the ACKNOWLEDGE follows the
// callback, for updates that carry a uuid.
func (p *process) statusUpdate(from actors.PID, update *mesosinternal.StatusUpdate, ackPID string) {
	if !p.running() {
		return
	}
	if !from.IsZero() && (!p.connected || !p.fromLeader(from, "StatusUpdateMessage")) {
		return
	}
	if update.GetStatus() == nil {
		p.log.Warn("Ignoring a status update without a status")
		return
	}
	if fid := update.GetFrameworkId().GetValue(); fid != p.framework.GetId().GetValue() {
		p.log.WithField("update_framework_id", fid).Warn("Ignoring a status update for another framework")
		return
	}
	status := proto.Clone(update.GetStatus()).(*mesos.TaskStatus)
	ack := len(update.GetUuid()) > 0 && !from.IsZero() && ackPID != ""
	if ack {
		status.Uuid = append([]byte(nil), update.GetUuid()...)
	} else {
		status.Uuid = nil
	}
	p.log.WithFields(logrus.Fields{
		"task_id": status.GetTaskId().GetValue(),
		"state":   status.GetState().String(),
	}).Debug("Received status update")

	var ackCall *schedpb.Call_Acknowledge
	if ack {
		ackCall = &schedpb.Call_Acknowledge{
			SlaveId: cloneOne(update.GetSlaveId()),
			TaskId:  cloneOne(update.GetStatus().GetTaskId()),
			Uuid:    append([]byte(nil), update.GetUuid()...),
		}
		if ackCall.SlaveId == nil {
			ackCall.SlaveId = cloneOne(update.GetStatus().GetSlaveId())
		}
	}
	node, self := p.d.node, p.self
	p.enqueue(func() {
		p.d.sched.StatusUpdate(p.d, status)
		// Acknowledge unless the driver stopped or aborted during the
		// callback; the ACKNOWLEDGE is queued on the actor ahead of
		// anything the scheduler asks for later.
		if ackCall != nil && p.running() {
			node.Dispatch(self, func() { p.acknowledge(ackCall) })
		}
	})
}

func (p *process) acknowledge(ack *schedpb.Call_Acknowledge) {
	if !p.connected {
		p.log.Debug("Not acknowledging a status update: disconnected (the agent will resend it)")
		return
	}
	p.sendCall(schedpb.Call_ACKNOWLEDGE, &schedpb.Call{Acknowledge: ack})
}

func (p *process) lostSlave(from actors.PID, m *mesosinternal.LostSlaveMessage) {
	if !p.running() || !p.connected || !p.fromLeader(from, "LostSlaveMessage") {
		return
	}
	delete(p.savedSlavePids, m.GetSlaveId().GetValue())
	sid := cloneOne(m.GetSlaveId())
	p.enqueue(func() { p.d.sched.SlaveLost(p.d, sid) })
}

func (p *process) exitedExecutor(from actors.PID, m *mesosinternal.ExitedExecutorMessage) {
	if !p.running() || !p.connected || !p.fromLeader(from, "ExitedExecutorMessage") {
		return
	}
	eid, sid, status := cloneOne(m.GetExecutorId()), cloneOne(m.GetSlaveId()), int(m.GetStatus())
	p.enqueue(func() { p.d.sched.ExecutorLost(p.d, eid, sid, status) })
}

// executorToFramework accepts messages from any sender: agents send them
// directly to the scheduler once they know its PID.
func (p *process) executorToFramework(_ actors.PID, m *mesosinternal.ExecutorToFrameworkMessage) {
	if !p.running() {
		return
	}
	eid, sid, data := cloneOne(m.GetExecutorId()), cloneOne(m.GetSlaveId()), string(m.GetData())
	p.enqueue(func() { p.d.sched.FrameworkMessage(p.d, eid, sid, data) })
}

func (p *process) frameworkError(from actors.PID, m *mesosinternal.FrameworkErrorMessage) {
	if !p.running() || !p.fromLeader(from, "FrameworkErrorMessage") {
		return
	}
	p.fatal(m.GetMessage())
}

// fatal aborts the driver and then reports message through Error.
func (p *process) fatal(message string) {
	if !p.d.life.AbortedByDriver() {
		return
	}
	p.log.WithField("error", message).Error("Scheduler driver aborted")
	p.abort()
	p.d.life.Callbacks.Push(callback{Always: true, Run: func() { p.d.sched.Error(p.d, message) }})
}

// ---- Requests from the scheduler (dispatched by driver methods) ----

// stop terminates the actor, tearing the framework down unless failover.
// A TEARDOWN is flushed to the master's node before the actor goes, so
// that a process exiting right after Stop(false) does not lose it.
func (p *process) stop(failover bool) {
	p.stopDetection()
	p.stopRegistrationTimer()
	if !p.connected || failover {
		p.ctx.Terminate()
		return
	}
	p.sendCall(schedpb.Call_TEARDOWN, &schedpb.Call{})
	node, self, master, log := p.ctx.Node(), p.ctx.Self(), p.masterPID, p.log
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), teardownFlushTimeout)
		defer cancel()
		if err := node.Flush(ctx, master); err != nil && !errors.Is(err, actors.ErrNoRemoting) {
			log.WithError(err).Warn("Could not confirm that TEARDOWN reached the master")
		}
		node.Dispatch(self, func() { p.ctx.Terminate() })
	}()
}

// teardownFlushTimeout bounds how long Stop(false) waits for TEARDOWN to
// reach the master's node.
const teardownFlushTimeout = 2 * time.Second

// abort deactivates the framework; the actor stays until Stop.
func (p *process) abort() {
	p.stopDetection()
	p.stopRegistrationTimer()
	if !p.connected {
		return
	}
	p.ctx.Send(p.masterPID, &mesosinternal.DeactivateFrameworkMessage{
		FrameworkId: cloneOne(p.framework.GetId()),
	})
}

// sendCall fills the call's type and framework id and sends it to the
// leading master.
func (p *process) sendCall(t schedpb.Call_Type, call *schedpb.Call) {
	call.Type = t.Enum()
	call.FrameworkId = cloneOne(p.framework.GetId())
	p.ctx.Send(p.masterPID, call)
}

func (p *process) requestResources(requests []*mesos.Request) {
	if !p.connected {
		p.log.Debug("Ignoring RequestResources: disconnected")
		return
	}
	p.sendCall(schedpb.Call_REQUEST, &schedpb.Call{Request: &schedpb.Call_Request{Requests: requests}})
}

func (p *process) launchTasks(offerIDs []*mesos.OfferID, tasks []*mesos.TaskInfo, filters *mesos.Filters) {
	if len(tasks) == 0 {
		p.declineOffers(offerIDs, filters)
		return
	}
	p.acceptOffers(offerIDs, []*mesos.Offer_Operation{{
		Type:   mesos.Offer_Operation_LAUNCH.Enum(),
		Launch: &mesos.Offer_Operation_Launch{TaskInfos: tasks},
	}}, filters)
}

func (p *process) declineOffers(offerIDs []*mesos.OfferID, filters *mesos.Filters) {
	if !p.connected {
		p.log.Debug("Ignoring DeclineOffer: disconnected")
		return
	}
	for _, id := range offerIDs {
		delete(p.savedOffers, id.GetValue())
	}
	p.sendCall(schedpb.Call_DECLINE, &schedpb.Call{Decline: &schedpb.Call_Decline{OfferIds: offerIDs, Filters: filters}})
}

func (p *process) acceptOffers(offerIDs []*mesos.OfferID, operations []*mesos.Offer_Operation, filters *mesos.Filters) {
	if !p.connected {
		p.loseTasks(operations)
		return
	}
	for _, id := range offerIDs {
		oid := id.GetValue()
		agents, ok := p.savedOffers[oid]
		if !ok {
			p.log.WithField("offer_id", oid).Warn("Accepting an unknown offer")
			continue
		}
		// Keep the PIDs of the agents that will run tasks, to send
		// framework messages directly.
		for _, op := range operations {
			if op.GetType() != mesos.Offer_Operation_LAUNCH {
				continue
			}
			for _, task := range op.GetLaunch().GetTaskInfos() {
				if pid, ok := agents[task.GetSlaveId().GetValue()]; ok {
					p.savedSlavePids[task.GetSlaveId().GetValue()] = pid
				}
			}
		}
		delete(p.savedOffers, oid)
	}
	p.sendCall(schedpb.Call_ACCEPT, &schedpb.Call{Accept: &schedpb.Call_Accept{
		OfferIds:   offerIDs,
		Operations: operations,
		Filters:    filters,
	}})
}

// loseTasks reports every task of the LAUNCH operations lost: the driver
// cannot launch while disconnected.
func (p *process) loseTasks(operations []*mesos.Offer_Operation) {
	state := mesos.TaskState_TASK_LOST
	for _, c := range p.framework.GetCapabilities() {
		if c.GetType() == mesos.FrameworkInfo_Capability_PARTITION_AWARE {
			state = mesos.TaskState_TASK_DROPPED
		}
	}
	now := float64(p.ctx.Clock().Now().UnixNano()) / 1e9
	for _, op := range operations {
		if op.GetType() != mesos.Offer_Operation_LAUNCH {
			continue
		}
		for _, task := range op.GetLaunch().GetTaskInfos() {
			p.log.WithField("task_id", task.GetTaskId().GetValue()).
				Warn("Cannot launch a task while disconnected from the master")
			update := &mesosinternal.StatusUpdate{
				FrameworkId: cloneOne(p.framework.GetId()),
				Status: &mesos.TaskStatus{
					TaskId:    cloneOne(task.GetTaskId()),
					State:     state.Enum(),
					Source:    mesos.TaskStatus_SOURCE_MASTER.Enum(),
					Reason:    mesos.TaskStatus_REASON_MASTER_DISCONNECTED.Enum(),
					Message:   proto.String("Master disconnected"),
					Timestamp: proto.Float64(now),
				},
				Timestamp: proto.Float64(now),
			}
			p.statusUpdate(actors.PID{}, update, "")
		}
	}
}

func (p *process) killTask(taskID *mesos.TaskID) {
	if !p.connected {
		p.log.WithField("task_id", taskID.GetValue()).Debug("Ignoring KillTask: disconnected")
		return
	}
	p.sendCall(schedpb.Call_KILL, &schedpb.Call{Kill: &schedpb.Call_Kill{TaskId: taskID}})
}

func (p *process) reviveOffers() {
	clear(p.suppressedRoles)
	if !p.connected {
		return // the next SUBSCRIBE carries the (now empty) suppressed set
	}
	p.sendCall(schedpb.Call_REVIVE, &schedpb.Call{})
}

func (p *process) suppressOffers() {
	for _, r := range p.framework.GetRoles() {
		p.suppressedRoles[r] = true
	}
	if len(p.framework.GetRoles()) == 0 {
		p.suppressedRoles[p.framework.GetRole()] = true
	}
	if !p.connected {
		return // sent with the next SUBSCRIBE
	}
	p.sendCall(schedpb.Call_SUPPRESS, &schedpb.Call{})
}

func (p *process) sendFrameworkMessage(executorID *mesos.ExecutorID, slaveID *mesos.SlaveID, data string) {
	if !p.connected {
		p.log.Debug("Ignoring SendFrameworkMessage: disconnected")
		return
	}
	if pid, ok := p.savedSlavePids[slaveID.GetValue()]; ok {
		p.ctx.Send(pid, &mesosinternal.FrameworkToExecutorMessage{
			SlaveId:     slaveID,
			FrameworkId: cloneOne(p.framework.GetId()),
			ExecutorId:  executorID,
			Data:        []byte(data),
		})
		return
	}
	p.sendCall(schedpb.Call_MESSAGE, &schedpb.Call{Message: &schedpb.Call_Message{
		SlaveId:    slaveID,
		ExecutorId: executorID,
		Data:       []byte(data),
	}})
}

func (p *process) reconcileTasks(statuses []*mesos.TaskStatus) {
	if !p.connected {
		p.log.Debug("Ignoring ReconcileTasks: disconnected")
		return
	}
	rec := &schedpb.Call_Reconcile{}
	for _, s := range statuses {
		t := &schedpb.Call_Reconcile_Task{TaskId: s.GetTaskId()}
		if s.GetSlaveId() != nil {
			t.SlaveId = s.GetSlaveId()
		}
		rec.Tasks = append(rec.Tasks, t)
	}
	p.sendCall(schedpb.Call_RECONCILE, &schedpb.Call{Reconcile: rec})
}
