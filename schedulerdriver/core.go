package schedulerdriver

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	schedpb "github.com/gomesos/gomesos/messages/scheduler"
)

const (
	// registrationBackoffFactor is the first registration retry bound
	// (Mesos' scheduler registration_backoff_factor).
	registrationBackoffFactor = 2 * time.Second
	// registrationRetryIntervalMax bounds every registration retry.
	registrationRetryIntervalMax = time.Minute
	// minRetryDelay keeps retries from ever being immediate.
	minRetryDelay = time.Millisecond
)

// RedetectTimer is the key of the timer that, after the link to the master
// broke and the detector stayed silent, asks the shell to detect the
// master again from scratch (Redetect).
const RedetectTimer = "redetect"

// CoreConfig is what a Core needs besides its events.
type CoreConfig struct {
	// Framework is the FrameworkInfo to subscribe with, user and hostname
	// filled in; the core keeps a copy. With an id, the first SUBSCRIBE
	// fails the framework over (force).
	Framework *mesos.FrameworkInfo
	// Self is the driver's PID; only used to warn when it advertises a
	// loopback address to a remote master.
	Self actors.PID
	// Rand draws the registration and re-detection backoffs (default: a
	// fixed seed).
	Rand *rand.Rand
	// Log receives the core's log lines (default: discarded).
	Log *logrus.Entry
	// ExplicitAcknowledgements: the scheduler acknowledges each status
	// update itself (AcknowledgeStatusUpdate); OnStatusUpdate then carries
	// no Ack. Default: the driver acknowledges when StatusUpdate returns.
	ExplicitAcknowledgements bool
	// ShareMessages: the scheduler changes no message the driver gives it
	// (offers, statuses) and none it passes to LaunchTasks or AcceptOffers
	// (tasks, operations), then or later; it may keep them. The core then
	// hands it the received offers and statuses themselves and sends its
	// tasks and operations as they are, instead of copies. Default: copies,
	// as mesos-go's driver gives schedulers messages of their own.
	ShareMessages bool
}

// Core is the scheduler driver as pure state: it follows the detected
// master, subscribes and re-subscribes, keeps the offers' agent PIDs, turns
// the scheduler's requests into Calls, and turns the master's messages into
// callback effects (On*). It never blocks, reads no clock and has no
// goroutines; see the package documentation for the shell that runs it.
type Core struct {
	out  effect.Outbox
	log  *logrus.Entry
	rng  *rand.Rand
	self actors.PID
	// explicitAcks: the scheduler acknowledges updates itself.
	explicitAcks bool
	// share: see CoreConfig.ShareMessages.
	share bool

	framework *mesos.FrameworkInfo
	// failover: the next SUBSCRIBE carries force=true (the FrameworkInfo
	// came with an id); cleared after the first registration.
	failover        bool
	suppressedRoles map[string]bool

	follower  detector.Follower
	connected bool
	state     coreState
	// redetects counts the broken links to the master since the last
	// registration: the re-detection backoff step.
	redetects int

	savedOffers    map[string]savedOffer // by offer id
	savedSlavePids map[string]actors.PID // agent id -> agent PID

	// lastAck is the implicit ACKNOWLEDGE of the last update while it
	// has not been sent; nil otherwise.
	lastAck *ackBox
}

// savedOffer is the agent PID of an offer: one agent, as every offer has,
// and any other agent the same offer id came with.
type savedOffer struct {
	agent string
	pid   actors.PID
	more  map[string]actors.PID // agent id -> agent PID; nil if none
}

// agentPID returns the PID saved for the offer's agent id.
func (o savedOffer) agentPID(id string) (actors.PID, bool) {
	if id == o.agent {
		return o.pid, true
	}
	pid, ok := o.more[id]
	return pid, ok
}

type coreState int

const (
	coreRunning coreState = iota
	coreAborted
	coreStopped
)

var _ effect.Core = (*Core)(nil)

// NewCore returns a running core that waits for a detected master.
func NewCore(cfg CoreConfig) *Core {
	fw := &mesos.FrameworkInfo{}
	if cfg.Framework != nil {
		fw = proto.Clone(cfg.Framework).(*mesos.FrameworkInfo)
	}
	c := &Core{
		log:             cfg.Log,
		rng:             cfg.Rand,
		self:            cfg.Self,
		explicitAcks:    cfg.ExplicitAcknowledgements,
		share:           cfg.ShareMessages,
		framework:       fw,
		failover:        fw.GetId().GetValue() != "",
		suppressedRoles: map[string]bool{},
		savedOffers:     map[string]savedOffer{},
		savedSlavePids:  map[string]actors.PID{},
	}
	if c.log == nil {
		l := logrus.New()
		l.SetOutput(nopWriter{})
		l.SetLevel(logrus.PanicLevel) // nothing is formatted to be discarded
		c.log = logrus.NewEntry(l)
	}
	if c.rng == nil {
		c.rng = rand.New(rand.NewPCG(1, 2))
	}
	if id := fw.GetId().GetValue(); id != "" {
		c.log = c.log.WithField("framework_id", id)
	}
	maxBackoff := registrationRetryIntervalMax
	if ft := fw.GetFailoverTimeout(); ft > 0 && ft/10 < maxBackoff.Seconds() {
		maxBackoff = time.Duration(ft / 10 * float64(time.Second))
	}
	c.follower = detector.Follower{
		Immediate: true,
		// The follower's first retry is attempt 1, whose bound is twice
		// Initial: the factor itself, as in Mesos.
		Backoff: protocol.Backoff{
			Initial: registrationBackoffFactor / 2,
			Max:     max(maxBackoff, minRetryDelay),
			Min:     minRetryDelay,
		},
	}
	return c
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// Connected reports whether the framework is registered with the leader.
func (c *Core) Connected() bool { return c.connected }

// Running reports whether the core still handles the master's messages
// (neither stopped nor aborted).
func (c *Core) Running() bool { return c.state == coreRunning }

// FrameworkID is the framework's id (empty before the first registration
// of a new framework).
func (c *Core) FrameworkID() string { return c.framework.GetId().GetValue() }

// ExplicitAcknowledgements reports whether the scheduler acknowledges
// status updates itself.
func (c *Core) ExplicitAcknowledgements() bool { return c.explicitAcks }

// Leader is the PID of the detected leading master (zero if none).
func (c *Core) Leader() actors.PID { return c.follower.Leader() }

func (c *Core) draw() float64 { return c.rng.Float64() }

// ---- Master detection ----

// Detected handles an answer from the master detector: a new leader, or
// none (info nil).
func (c *Core) Detected(_ time.Time, info *mesos.MasterInfo) []effect.Effect {
	if c.state != coreRunning {
		return nil
	}
	// The detector spoke: no need to look again from scratch.
	c.out.CancelTimer(RedetectTimer)
	if c.connected {
		// The master failed, failed over, or was re-detected: in every
		// case the driver registers again.
		c.connected = false
		c.out.Add(OnDisconnected{})
	}
	old := c.follower.Leader()
	var follow effect.Outbox
	err := c.follower.Detected(info, c.draw(), &follow)
	for _, e := range follow.Take() {
		// The first attempt is made right here rather than through a
		// zero timer.
		if st, ok := e.(effect.StartTimer); ok && st.Key == detector.RegisterTimer && st.After == 0 {
			continue
		}
		c.out.Add(e)
	}
	if info == nil {
		c.log.Info("no master detected; waiting for one")
		if !old.IsZero() {
			c.out.Unlink(old)
		}
		return c.out.Take()
	}
	if err != nil {
		c.log.WithError(err).Warn("ignoring a detected master with a bad pid")
		return c.out.Take()
	}
	pid := c.follower.Leader()
	if !old.IsZero() && old != pid {
		c.out.Unlink(old)
	}
	c.log.WithField("master", pid.String()).Info("new master detected")
	if isLoopback(c.self.Address) && !isLoopback(pid.Address) {
		c.log.WithField("master", pid.String()).Warn("the driver's node advertises a loopback address, which a remote " +
			"master cannot reach; set LIBPROCESS_IP (or LIBPROCESS_ADVERTISE_IP) to a routable address")
	}
	c.out.Link(pid)
	c.register()
	return c.out.Take()
}

// DetectionFailed handles a detector that gave up: the driver aborts.
func (c *Core) DetectionFailed(_ time.Time, err error) []effect.Effect {
	if c.state != coreRunning {
		return nil
	}
	if err == nil {
		err = errors.New("the detector stopped")
	}
	c.fatal("Failed to detect a master: " + err.Error())
	return c.out.Take()
}

// Exited handles a broken link: when it is the leader's, the driver is
// disconnected and, unless the detector speaks first, detects the master
// again after a backoff (the detector may never call a fixed master gone).
func (c *Core) Exited(_ time.Time, pid actors.PID) []effect.Effect {
	if c.state != coreRunning || pid.IsZero() || pid != c.follower.Leader() {
		return nil
	}
	c.log.WithField("master", pid.String()).Warn("lost the link to the master")
	if c.connected {
		c.connected = false
		c.out.Add(OnDisconnected{})
	}
	_ = c.follower.Detected(nil, 0, &c.out)
	b := protocol.Backoff{Initial: registrationBackoffFactor, Max: registrationRetryIntervalMax, Min: minRetryDelay}
	c.out.StartTimer(RedetectTimer, b.Delay(c.redetects, c.draw()))
	c.redetects++
	return c.out.Take()
}

// Timer handles detector.RegisterTimer (retry the SUBSCRIBE) and
// RedetectTimer.
func (c *Core) Timer(_ time.Time, key string) []effect.Effect {
	if c.state != coreRunning {
		return nil
	}
	switch key {
	case detector.RegisterTimer:
		if !c.connected {
			c.register()
		}
	case RedetectTimer:
		if !c.connected {
			c.log.Info("detecting the master again")
			c.out.Add(Redetect{})
		}
	}
	return c.out.Take()
}

// register sends SUBSCRIBE if the follower says it is time, and arms the
// next retry.
func (c *Core) register() {
	if !c.follower.Fire(c.draw(), &c.out) {
		return
	}
	call := &schedpb.Call{
		Type: schedpb.Call_SUBSCRIBE.Enum(),
		Subscribe: &schedpb.Call_Subscribe{
			FrameworkInfo:   proto.Clone(c.framework).(*mesos.FrameworkInfo),
			SuppressedRoles: c.suppressedList(),
		},
	}
	if c.framework.GetId().GetValue() != "" {
		call.FrameworkId = proto.Clone(c.framework.GetId()).(*mesos.FrameworkID)
		call.Subscribe.Force = proto.Bool(c.failover)
	}
	c.log.WithField("master", c.follower.Leader().String()).Debug("sending SUBSCRIBE")
	c.out.Send(c.follower.Leader(), call)
}

func (c *Core) suppressedList() []string {
	if len(c.suppressedRoles) == 0 {
		return nil
	}
	out := make([]string, 0, len(c.suppressedRoles))
	for r := range c.suppressedRoles {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
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

// ---- Messages ----

// Receive handles a message from the master (or, for framework messages,
// from an agent). Messages of other types are ignored.
func (c *Core) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	switch m := msg.(type) {
	case *mesosinternal.FrameworkRegisteredMessage:
		if c.state == coreRunning && !c.connected && c.fromLeader(from, "FrameworkRegisteredMessage") {
			c.registeredWith(m.GetFrameworkId(), m.GetMasterInfo(), false)
		}
	case *mesosinternal.FrameworkReregisteredMessage:
		if c.state == coreRunning && !c.connected && c.fromLeader(from, "FrameworkReregisteredMessage") {
			c.registeredWith(m.GetFrameworkId(), m.GetMasterInfo(), true)
		}
	case *mesosinternal.ResourceOffersMessage:
		if c.state == coreRunning && c.connected && c.fromLeader(from, "ResourceOffersMessage") {
			c.resourceOffers(m)
		}
	case *mesosinternal.RescindResourceOfferMessage:
		if c.state == coreRunning && c.connected && c.fromLeader(from, "RescindResourceOfferMessage") {
			delete(c.savedOffers, m.GetOfferId().GetValue())
			c.out.Add(OnOfferRescinded{OfferID: cloneOne(m.GetOfferId())})
		}
	case *mesosinternal.StatusUpdateMessage:
		if from.IsZero() {
			// Only the driver itself may deliver sender-less updates.
			c.log.Warn("ignoring a status update without a sender")
			break
		}
		c.statusUpdate(from, m.GetUpdate(), m.GetPid())
	case *mesosinternal.LostSlaveMessage:
		if c.state == coreRunning && c.connected && c.fromLeader(from, "LostSlaveMessage") {
			delete(c.savedSlavePids, m.GetSlaveId().GetValue())
			c.out.Add(OnSlaveLost{SlaveID: cloneOne(m.GetSlaveId())})
		}
	case *mesosinternal.ExitedExecutorMessage:
		if c.state == coreRunning && c.connected && c.fromLeader(from, "ExitedExecutorMessage") {
			c.out.Add(OnExecutorLost{
				ExecutorID: cloneOne(m.GetExecutorId()),
				SlaveID:    cloneOne(m.GetSlaveId()),
				Status:     int(m.GetStatus()),
			})
		}
	case *mesosinternal.ExecutorToFrameworkMessage:
		// From any sender: agents send them straight to the scheduler once
		// they know its PID.
		if c.state == coreRunning {
			c.out.Add(OnFrameworkMessage{
				ExecutorID: cloneOne(m.GetExecutorId()),
				SlaveID:    cloneOne(m.GetSlaveId()),
				Data:       string(m.GetData()),
			})
		}
	case *mesosinternal.FrameworkErrorMessage:
		if c.state == coreRunning && c.fromLeader(from, "FrameworkErrorMessage") {
			c.fatal(m.GetMessage())
		}
	default:
		c.log.WithField("from", from.String()).Debugf("ignoring an unexpected %T", msg)
	}
	return c.out.Take()
}

// fromLeader reports whether a message from `from` may be handled: it
// must come from the leading master.
func (c *Core) fromLeader(from actors.PID, what string) bool {
	leader := c.follower.Leader()
	if leader.IsZero() || from != leader {
		c.log.WithFields(logrus.Fields{"from": from.String(), "leader": leader.String(), "message": what}).
			Warn("ignoring a message not sent by the leading master")
		return false
	}
	return true
}

func (c *Core) registeredWith(fid *mesos.FrameworkID, info *mesos.MasterInfo, re bool) {
	if fid.GetValue() == "" {
		c.log.Warn("ignoring a registration reply without a framework id")
		return
	}
	if info == nil {
		info = c.follower.Info()
	}
	if c.framework.GetId().GetValue() != fid.GetValue() {
		c.log = c.log.WithField("framework_id", fid.GetValue())
	}
	c.framework.Id = proto.Clone(fid).(*mesos.FrameworkID)
	c.connected = true
	c.failover = false
	c.follower.Acknowledged(&c.out)
	c.redetects = 0
	if re {
		c.log.Info("framework re-registered")
		c.out.Add(OnReregistered{MasterInfo: cloneOne(info)})
	} else {
		c.log.Info("framework registered")
		c.out.Add(OnRegistered{FrameworkID: cloneOne(fid), MasterInfo: cloneOne(info)})
	}
}

func (c *Core) resourceOffers(m *mesosinternal.ResourceOffersMessage) {
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
			c.log.WithError(err).WithField("offer_id", offer.GetId().GetValue()).Debug("ignoring a bad agent pid in an offer")
			continue
		}
		oid, aid := offer.GetId().GetValue(), offer.GetSlaveId().GetValue()
		o, ok := c.savedOffers[oid]
		switch {
		case !ok || o.agent == aid:
			o.agent, o.pid = aid, pid
		case o.more == nil:
			o.more = map[string]actors.PID{aid: pid}
		default:
			o.more[aid] = pid
		}
		c.savedOffers[oid] = o
	}
	if c.share {
		// The list is the scheduler's: it may sort it.
		c.out.Add(OnResourceOffers{Offers: append([]*mesos.Offer(nil), m.GetOffers()...)})
		return
	}
	c.out.Add(OnResourceOffers{Offers: cloneOffers(m.GetOffers())})
}

// statusUpdate delivers an update; from is zero for updates the driver
// made itself. Updates that carry a uuid and came from the master keep it
// in the status; with implicit acknowledgements they are acknowledged
// after the callback (OnStatusUpdate.Ack).
func (c *Core) statusUpdate(from actors.PID, update *mesosinternal.StatusUpdate, ackPID string) {
	if c.state != coreRunning {
		return
	}
	if !from.IsZero() && (!c.connected || !c.fromLeader(from, "StatusUpdateMessage")) {
		return
	}
	if update.GetStatus() == nil {
		c.log.Warn("ignoring a status update without a status")
		return
	}
	if fid := update.GetFrameworkId().GetValue(); fid != c.framework.GetId().GetValue() {
		c.log.WithField("update_framework_id", fid).Warn("ignoring a status update for another framework")
		return
	}
	ack := len(update.GetUuid()) > 0 && !from.IsZero() && ackPID != ""
	var uuid []byte // the status's: the update's if it is acknowledged
	if ack {
		uuid = update.GetUuid()
	}
	implicit := ack && !c.explicitAcks
	var status *mesos.TaskStatus
	var ackCall *schedpb.Call_Acknowledge
	if st := update.GetStatus(); c.share && sameUUID(st.Uuid, uuid) && !(ack && st.SlaveId == nil && c.explicitAcks) {
		// The scheduler gets the status as it came: it already has the
		// uuid it should.
		status = st
		if implicit {
			b := &ackBox{}
			ackCall, c.lastAck = &b.ack, b
		}
	} else if implicit {
		// The status copy, its uuid and the ACKNOWLEDGE in one
		// allocation: the call goes out as soon as the callback returns,
		// and a scheduler that does not acknowledge has no use for the
		// uuid once it returned.
		b := &struct {
			statusCopy
			ackBox
			uuid [16]byte
		}{}
		status = cloneStatusInto(&b.statusCopy, update.GetStatus(), uuid, b.uuid[:])
		ackCall, c.lastAck = &b.ack, &b.ackBox
	} else {
		status = cloneStatusUUID(update.GetStatus(), uuid)
	}
	if ack && status.SlaveId == nil && c.explicitAcks {
		// An explicit acknowledgement names the agent from the status.
		status.SlaveId = cloneOne(update.GetSlaveId())
	}
	if c.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		c.log.WithFields(logrus.Fields{
			"task_id": status.GetTaskId().GetValue(),
			"state":   status.GetState().String(),
		}).Debug("received status update")
	}
	cb := OnStatusUpdate{Status: status}
	if implicit {
		// The ACKNOWLEDGE shares the update's ids and uuid: no one
		// changes a message once sent or received (the status the
		// scheduler gets is a copy).
		cb.Ack = ackCall
		cb.Ack.SlaveId = update.GetSlaveId()
		cb.Ack.TaskId = update.GetStatus().GetTaskId()
		cb.Ack.Uuid = update.GetUuid()
		if cb.Ack.SlaveId == nil {
			cb.Ack.SlaveId = update.GetStatus().GetSlaveId()
		}
	}
	c.out.Add(cb)
}

// sameUUID reports whether a status's uuid is the one the scheduler
// should see: both unset, or both set to the same bytes.
func sameUUID(have, want []byte) bool {
	if have == nil || want == nil {
		return have == nil && want == nil
	}
	return bytes.Equal(have, want)
}

// fatal aborts the driver and reports message through Error.
func (c *Core) fatal(message string) {
	c.log.WithField("error", message).Error("scheduler driver aborted")
	c.out.Add(OnError{Message: message})
	c.abort()
}

// ---- Requests from the scheduler ----

// Acknowledge sends an ACKNOWLEDGE: the Ack of an OnStatusUpdate once its
// callback returned (and the driver still runs), or what
// AcknowledgeStatusUpdate made of the scheduler's explicit one. While
// disconnected it is dropped: the agent resends the update. The core
// sends ack itself: the caller hands it over (both kinds are made afresh
// for this call).
func (c *Core) Acknowledge(_ time.Time, ack *schedpb.Call_Acknowledge) []effect.Effect {
	if !c.connected {
		c.log.WithFields(logrus.Fields{"task_id": ack.GetTaskId().GetValue(), "agent_id": ack.GetSlaveId().GetValue()}).
			Info("not acknowledging a status update: disconnected (the agent will resend it)")
		return nil
	}
	var call *schedpb.Call
	if b := c.lastAck; b != nil && ack == &b.ack {
		// The implicit acknowledgement of the last update: its call was
		// allocated with it.
		call, c.lastAck = b.call.init(c, schedpb.Call_ACKNOWLEDGE), nil
	} else {
		call = c.newCall(schedpb.Call_ACKNOWLEDGE)
	}
	call.Acknowledge = ack
	c.sendCall(call)
	return c.out.Take()
}

// AcknowledgeStatusUpdate is the scheduler's explicit acknowledgement of
// a status it got through OnStatusUpdate: ACKNOWLEDGE for an update with
// a uuid (one an agent sent), nothing for one without (master- and
// driver-generated updates, reconciliation answers), nothing while
// disconnected. It fails, sending nothing, when the core acknowledges
// implicitly or status is malformed (nil; a uuid not of 16 bytes, or without
// task_id or slave_id).
func (c *Core) AcknowledgeStatusUpdate(now time.Time, status *mesos.TaskStatus) ([]effect.Effect, error) {
	ack, err := checkAcknowledgement(c.explicitAcks, status)
	if err != nil || ack == nil {
		return nil, err
	}
	return c.Acknowledge(now, ack), nil
}

// checkAcknowledgement checks an explicit acknowledgement of status by a
// driver with (explicit) or without explicit acknowledgements, and
// returns the ACKNOWLEDGE it asks for: nil when the status carries no
// uuid, for there is nothing to acknowledge. Mesos' driver kills the
// process when asked to acknowledge in implicit mode; this returns an
// error instead.
func checkAcknowledgement(explicit bool, status *mesos.TaskStatus) (*schedpb.Call_Acknowledge, error) {
	const what = "Unable to AcknowledgeStatusUpdate: "
	switch {
	case !explicit:
		return nil, errors.New(what + "implicit acknowledgements are enabled " +
			"(the driver acknowledges when StatusUpdate returns; set DriverConfig.ExplicitAcknowledgements)")
	case status == nil:
		return nil, errors.New(what + "nil status")
	case len(status.GetUuid()) == 0:
		return nil, nil
	case len(status.GetUuid()) != 16:
		return nil, fmt.Errorf(what+"the status's uuid has %d bytes, not the 16 of a UUID", len(status.GetUuid()))
	case status.GetTaskId().GetValue() == "":
		return nil, errors.New(what + "the status has a uuid but no task_id")
	case status.GetSlaveId().GetValue() == "":
		return nil, errors.New(what + "the status has a uuid but no slave_id")
	}
	return &schedpb.Call_Acknowledge{
		SlaveId: cloneOne(status.GetSlaveId()),
		TaskId:  cloneOne(status.GetTaskId()),
		Uuid:    append([]byte(nil), status.GetUuid()...),
	}, nil
}

// Stop stops the driver: TEARDOWN unless failover (or disconnected), then
// Terminate.
func (c *Core) Stop(_ time.Time, failover bool) []effect.Effect {
	c.state = coreStopped
	c.out.Add(StopDetection{})
	c.out.CancelTimer(detector.RegisterTimer)
	c.out.CancelTimer(RedetectTimer)
	if !c.connected || failover {
		c.out.Add(Terminate{})
		return c.out.Take()
	}
	c.sendCall(c.newCall(schedpb.Call_TEARDOWN))
	c.out.Add(Terminate{Flush: c.follower.Leader()})
	return c.out.Take()
}

// Abort deactivates the framework (the master stops offering) and stops
// handling the master's messages; Stop may follow.
func (c *Core) Abort(time.Time) []effect.Effect {
	c.abort()
	return c.out.Take()
}

func (c *Core) abort() {
	c.state = coreAborted
	c.out.Add(StopDetection{})
	c.out.CancelTimer(detector.RegisterTimer)
	c.out.CancelTimer(RedetectTimer)
	if !c.connected {
		return
	}
	c.out.Send(c.follower.Leader(), &mesosinternal.DeactivateFrameworkMessage{
		FrameworkId: cloneOne(c.framework.GetId()),
	})
}

// newCall returns a call of type t from the framework, its type in the
// same allocation.
func (c *Core) newCall(t schedpb.Call_Type) *schedpb.Call {
	return (&callBox{}).init(c, t)
}

// init makes b's call a call of type t from c's framework.
func (b *callBox) init(c *Core, t schedpb.Call_Type) *schedpb.Call {
	b.typ = t
	b.call.Type = &b.typ
	b.call.FrameworkId = c.framework.GetId() // replaced when it changes, never changed in place
	return &b.call
}

// sendCall sends call to the leading master.
func (c *Core) sendCall(call *schedpb.Call) {
	c.out.Send(c.follower.Leader(), call)
}

type callBox struct {
	call schedpb.Call
	typ  schedpb.Call_Type
}

// ackBox is an implicit ACKNOWLEDGE made with its status update, with
// room for its call.
type ackBox struct {
	ack  schedpb.Call_Acknowledge
	call callBox
}

// RequestResources sends REQUEST (dropped while disconnected).
func (c *Core) RequestResources(_ time.Time, requests []*mesos.Request) []effect.Effect {
	if !c.connected {
		c.log.Debug("ignoring RequestResources: disconnected")
		return nil
	}
	call := c.newCall(schedpb.Call_REQUEST)
	call.Request = &schedpb.Call_Request{Requests: cloneAll(requests)}
	c.sendCall(call)
	return c.out.Take()
}

// LaunchTasks is AcceptOffers with one LAUNCH operation, or DeclineOffers
// when tasks is empty.
func (c *Core) LaunchTasks(now time.Time, offerIDs []*mesos.OfferID, tasks []*mesos.TaskInfo, filters *mesos.Filters) []effect.Effect {
	if len(tasks) == 0 && !c.connected {
		c.log.Debug("ignoring DeclineOffer: disconnected")
		return nil
	}
	if len(tasks) == 0 && len(offerIDs) == 1 {
		if b := copyDecline(offerIDs[0], filters); b != nil {
			return c.declineIn(b)
		}
	}
	return c.launch(now, copyLaunch(offerIDs, tasks, filters, c.share))
}

// oneOffer is the copied offer id and filters of a call on one offer.
type oneOffer struct {
	ids     [1]*mesos.OfferID
	id      mesos.OfferID
	idv     string
	filters mesos.Filters
	refuse  float64
}

// copy copies id and filters into b, and reports whether it could: the
// id and the filters must be the plain kind (a value, refuse seconds, no
// unknown fields).
func (b *oneOffer) copy(id *mesos.OfferID, filters *mesos.Filters) bool {
	if id.GetValue() == "" || len(id.ProtoReflect().GetUnknown()) > 0 ||
		(filters != nil && len(filters.ProtoReflect().GetUnknown()) > 0) {
		return false
	}
	b.idv = id.GetValue()
	b.id.Value = &b.idv
	b.ids[0] = &b.id
	if filters != nil && filters.RefuseSeconds != nil {
		b.refuse, b.filters.RefuseSeconds = *filters.RefuseSeconds, &b.refuse
	}
	return true
}

// filtersFor is b's copy of filters (nil for nil).
func (b *oneOffer) filtersFor(filters *mesos.Filters) *mesos.Filters {
	if filters == nil {
		return nil
	}
	return &b.filters
}

// declineBox is a DECLINE of one offer with its copied arguments, made in
// one allocation: the master reads them and keeps none.
type declineBox struct {
	call    callBox
	decline schedpb.Call_Decline
	oneOffer
}

// copyDecline copies a decline of offer id with filters into a box; nil
// when they are not the plain kind (see oneOffer.copy).
func copyDecline(id *mesos.OfferID, filters *mesos.Filters) *declineBox {
	b := &declineBox{}
	if !b.copy(id, filters) {
		return nil
	}
	b.decline.OfferIds = b.ids[:]
	b.decline.Filters = b.filtersFor(filters)
	return b
}

// launchBox is an ACCEPT of one offer with one LAUNCH, its copied
// arguments but the tasks made in one allocation.
type launchBox struct {
	call   callBox
	accept schedpb.Call_Accept
	oneOffer
	ops    [1]*mesos.Offer_Operation
	op     mesos.Offer_Operation
	typ    mesos.Offer_Operation_Type
	launch mesos.Offer_Operation_Launch
}

// declineIn sends the DECLINE of b (dropped while disconnected).
func (c *Core) declineIn(b *declineBox) []effect.Effect {
	if !c.connected {
		c.log.Debug("ignoring DeclineOffer: disconnected")
		return nil
	}
	delete(c.savedOffers, b.idv)
	call := b.call.init(c, schedpb.Call_DECLINE)
	call.Decline = &b.decline
	c.sendCall(call)
	return c.out.Take()
}

// oneLaunchBox returns a launch box with copies of offerIDs, if one
// offer's, and filters; nil if they are not the plain kind.
func oneLaunchBox(offerIDs []*mesos.OfferID, filters *mesos.Filters) *launchBox {
	if len(offerIDs) != 1 {
		return nil
	}
	if b := (&launchBox{}); b.copy(offerIDs[0], filters) {
		return b
	}
	return nil
}

// launchCopy is a LaunchTasks call's arguments, copied for the core to
// keep: ops is one LAUNCH of the tasks, nil for a decline; box, when not
// nil, holds the copies and room for the ACCEPT.
type launchCopy struct {
	offerIDs []*mesos.OfferID
	ops      []*mesos.Offer_Operation
	filters  *mesos.Filters
	box      *launchBox
}

// copyLaunch copies a LaunchTasks call's arguments; with share, of the
// tasks only their list.
func copyLaunch(offerIDs []*mesos.OfferID, tasks []*mesos.TaskInfo, filters *mesos.Filters, share bool) launchCopy {
	var copies []*mesos.TaskInfo
	switch {
	case len(tasks) > 0 && share: // the list only (see CoreConfig.ShareMessages)
		copies = append([]*mesos.TaskInfo(nil), tasks...)
	case len(tasks) > 0:
		var shared sharedParts
		copies = make([]*mesos.TaskInfo, len(tasks))
		for i, t := range tasks {
			copies[i] = cloneTask(t, &shared)
		}
	}
	if len(tasks) > 0 {
		if b := oneLaunchBox(offerIDs, filters); b != nil {
			b.typ = mesos.Offer_Operation_LAUNCH
			b.op.Type, b.op.Launch = &b.typ, &b.launch
			b.launch.TaskInfos = copies
			b.ops[0] = &b.op
			return launchCopy{offerIDs: b.ids[:], ops: b.ops[:], filters: b.filtersFor(filters), box: b}
		}
	}
	l := launchCopy{offerIDs: cloneOfferIDs(offerIDs), filters: cloneFilters(filters)}
	if len(tasks) > 0 {
		l.ops = []*mesos.Offer_Operation{{
			Type:   mesos.Offer_Operation_LAUNCH.Enum(),
			Launch: &mesos.Offer_Operation_Launch{TaskInfos: copies},
		}}
	}
	return l
}

// launch sends what LaunchTasks asks for, of the copies l.
func (c *Core) launch(now time.Time, l launchCopy) []effect.Effect {
	if l.ops == nil {
		return c.declineOffers(now, l.offerIDs, l.filters)
	}
	return c.acceptOffers(now, l.offerIDs, l.ops, l.filters, l.box)
}

// DeclineOffers sends DECLINE (dropped while disconnected).
func (c *Core) DeclineOffers(now time.Time, offerIDs []*mesos.OfferID, filters *mesos.Filters) []effect.Effect {
	if !c.connected {
		c.log.Debug("ignoring DeclineOffer: disconnected")
		return nil
	}
	return c.declineOffers(now, cloneOfferIDs(offerIDs), cloneFilters(filters))
}

// declineOffers is DeclineOffers of arguments the caller hands over (made
// or copied for this call).
func (c *Core) declineOffers(_ time.Time, offerIDs []*mesos.OfferID, filters *mesos.Filters) []effect.Effect {
	if !c.connected {
		c.log.Debug("ignoring DeclineOffer: disconnected")
		return nil
	}
	for _, id := range offerIDs {
		delete(c.savedOffers, id.GetValue())
	}
	call := c.newCall(schedpb.Call_DECLINE)
	call.Decline = &schedpb.Call_Decline{OfferIds: offerIDs, Filters: filters}
	c.sendCall(call)
	return c.out.Take()
}

// AcceptOffers sends ACCEPT. While disconnected every task of a LAUNCH
// operation is reported lost (OnStatusUpdate, TASK_DROPPED for a
// PARTITION_AWARE framework) with REASON_MASTER_DISCONNECTED, stamped now.
func (c *Core) AcceptOffers(now time.Time, offerIDs []*mesos.OfferID, operations []*mesos.Offer_Operation, filters *mesos.Filters) []effect.Effect {
	if c.share {
		return c.acceptOffers(now, cloneOfferIDs(offerIDs), append([]*mesos.Offer_Operation(nil), operations...), cloneFilters(filters), nil)
	}
	return c.acceptOffers(now, cloneOfferIDs(offerIDs), cloneOperations(operations), cloneFilters(filters), nil)
}

// acceptOffers is AcceptOffers of arguments the caller hands over (made
// or copied for this call).
func (c *Core) acceptOffers(now time.Time, offerIDs []*mesos.OfferID, operations []*mesos.Offer_Operation, filters *mesos.Filters, b *launchBox) []effect.Effect {
	if !c.connected {
		c.loseTasks(now, operations)
		return c.out.Take()
	}
	for _, id := range offerIDs {
		oid := id.GetValue()
		saved, ok := c.savedOffers[oid]
		if !ok {
			c.log.WithField("offer_id", oid).Warn("accepting an unknown offer")
			continue
		}
		// Keep the PIDs of the agents that will run tasks, to send
		// framework messages directly.
		for _, op := range operations {
			if op.GetType() != mesos.Offer_Operation_LAUNCH {
				continue
			}
			for _, task := range op.GetLaunch().GetTaskInfos() {
				if pid, ok := saved.agentPID(task.GetSlaveId().GetValue()); ok {
					c.savedSlavePids[task.GetSlaveId().GetValue()] = pid
				}
			}
		}
		delete(c.savedOffers, oid)
	}
	var call *schedpb.Call
	var accept *schedpb.Call_Accept
	if b != nil { // room made with the copies
		call, accept = b.call.init(c, schedpb.Call_ACCEPT), &b.accept
	} else {
		call, accept = c.newCall(schedpb.Call_ACCEPT), &schedpb.Call_Accept{}
	}
	accept.OfferIds, accept.Operations, accept.Filters = offerIDs, operations, filters
	call.Accept = accept
	c.sendCall(call)
	return c.out.Take()
}

// loseTasks reports every task of the LAUNCH operations lost: the driver
// cannot launch while disconnected.
func (c *Core) loseTasks(now time.Time, operations []*mesos.Offer_Operation) {
	state := mesos.TaskState_TASK_LOST
	if protocol.PartitionAware(c.framework) {
		state = mesos.TaskState_TASK_DROPPED
	}
	ts := float64(now.UnixNano()) / 1e9
	for _, op := range operations {
		if op.GetType() != mesos.Offer_Operation_LAUNCH {
			continue
		}
		for _, task := range op.GetLaunch().GetTaskInfos() {
			c.log.WithField("task_id", task.GetTaskId().GetValue()).
				Warn("cannot launch a task while disconnected from the master")
			update := &mesosinternal.StatusUpdate{
				FrameworkId: cloneOne(c.framework.GetId()),
				Status: &mesos.TaskStatus{
					TaskId:    cloneOne(task.GetTaskId()),
					State:     state.Enum(),
					Source:    mesos.TaskStatus_SOURCE_MASTER.Enum(),
					Reason:    mesos.TaskStatus_REASON_MASTER_DISCONNECTED.Enum(),
					Message:   proto.String("Master disconnected"),
					Timestamp: proto.Float64(ts),
				},
				Timestamp: proto.Float64(ts),
			}
			c.statusUpdate(actors.PID{}, update, "")
		}
	}
}

// KillTask sends KILL (dropped while disconnected).
func (c *Core) KillTask(_ time.Time, taskID *mesos.TaskID) []effect.Effect {
	if !c.connected {
		c.log.WithField("task_id", taskID.GetValue()).Debug("ignoring KillTask: disconnected")
		return nil
	}
	call := c.newCall(schedpb.Call_KILL)
	call.Kill = &schedpb.Call_Kill{TaskId: cloneOne(taskID)}
	c.sendCall(call)
	return c.out.Take()
}

// ReviveOffers clears the suppressed roles and sends REVIVE (or lets the
// next SUBSCRIBE carry the empty set).
func (c *Core) ReviveOffers(time.Time) []effect.Effect {
	clear(c.suppressedRoles)
	if !c.connected {
		return nil
	}
	c.sendCall(c.newCall(schedpb.Call_REVIVE))
	return c.out.Take()
}

// SuppressOffers suppresses the framework's roles and sends SUPPRESS (or
// lets the next SUBSCRIBE carry them).
func (c *Core) SuppressOffers(time.Time) []effect.Effect {
	for _, r := range c.framework.GetRoles() {
		c.suppressedRoles[r] = true
	}
	if len(c.framework.GetRoles()) == 0 {
		c.suppressedRoles[c.framework.GetRole()] = true
	}
	if !c.connected {
		return nil
	}
	c.sendCall(c.newCall(schedpb.Call_SUPPRESS))
	return c.out.Take()
}

// SendFrameworkMessage sends data to an executor: straight to its agent
// when a launch there made the agent's PID known, else through the master
// (dropped while disconnected).
func (c *Core) SendFrameworkMessage(_ time.Time, executorID *mesos.ExecutorID, slaveID *mesos.SlaveID, data string) []effect.Effect {
	if !c.connected {
		c.log.Debug("ignoring SendFrameworkMessage: disconnected")
		return nil
	}
	if pid, ok := c.savedSlavePids[slaveID.GetValue()]; ok {
		c.out.Send(pid, &mesosinternal.FrameworkToExecutorMessage{
			SlaveId:     cloneOne(slaveID),
			FrameworkId: cloneOne(c.framework.GetId()),
			ExecutorId:  cloneOne(executorID),
			Data:        []byte(data),
		})
		return c.out.Take()
	}
	call := c.newCall(schedpb.Call_MESSAGE)
	call.Message = &schedpb.Call_Message{
		SlaveId:    cloneOne(slaveID),
		ExecutorId: cloneOne(executorID),
		Data:       []byte(data),
	}
	c.sendCall(call)
	return c.out.Take()
}

// ReconcileTasks sends RECONCILE for the tasks' ids and agent ids (dropped
// while disconnected).
func (c *Core) ReconcileTasks(_ time.Time, statuses []*mesos.TaskStatus) []effect.Effect {
	if !c.connected {
		c.log.Debug("ignoring ReconcileTasks: disconnected")
		return nil
	}
	rec := &schedpb.Call_Reconcile{}
	for _, s := range statuses {
		t := &schedpb.Call_Reconcile_Task{TaskId: cloneOne(s.GetTaskId())}
		if s.GetSlaveId() != nil {
			t.SlaveId = cloneOne(s.GetSlaveId())
		}
		rec.Tasks = append(rec.Tasks, t)
	}
	call := c.newCall(schedpb.Call_RECONCILE)
	call.Reconcile = rec
	c.sendCall(call)
	return c.out.Take()
}
