package master

import (
	"slices"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

func (c *Core) isCompletedFramework(id string) bool {
	for _, f := range c.completed {
		if f.id == id {
			return true
		}
	}
	return false
}

// subscribe handles SUBSCRIBE (and the legacy (re)register messages).
func (c *Core) subscribe(from actors.PID, sub *scheduler.Call_Subscribe) {
	info := proto.Clone(sub.GetFrameworkInfo()).(*mesos.FrameworkInfo)
	policy := frameworkPolicy{roles: c.cfg.Roles, rootSubmissions: c.cfg.RootSubmissions, isCompleted: c.isCompletedFramework}
	if err := validateFrameworkInfo(info, policy); err != nil {
		c.refuse(from, err.Error())
		return
	}
	suppressed := slices.Clone(sub.GetSuppressedRoles())
	if err := validateSuppressedRoles(protocol.FrameworkRoles(info), suppressed); err != nil {
		c.refuse(from, err.Error())
		return
	}
	log := c.log.WithField("from", from.String())
	log.Infof("received SUBSCRIBE for framework '%s'", info.GetName())

	if info.GetId().GetValue() == "" {
		c.subscribeNew(from, info, suppressed)
		return
	}
	c.resubscribe(from, info, sub.GetForce(), suppressed)
}

// subscribeNew handles a first subscription; a retry from the same
// scheduler gets the same answer again.
func (c *Core) subscribeNew(from actors.PID, info *mesos.FrameworkInfo, suppressed []string) {
	for _, fid := range sortedKeys(c.frameworks) {
		if f := c.frameworks[fid]; f.pid == from {
			c.fwLog(f.id).Info("framework already subscribed; resending the acknowledgement")
			c.send(from, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: frameworkID(f.id), MasterInfo: clone(c.info)})
			return
		}
	}
	id := c.ids.FrameworkID()
	info.Id = frameworkID(id)
	f := newFramework(id, info, c.cfg.MaxCompletedTasksPerFramework, c.cfg.MaxUnreachableTasksPerFramework)
	f.suppressedRoles = suppressed
	c.addFramework(f, from)
	c.send(from, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: frameworkID(id), MasterInfo: clone(c.info)})
}

// resubscribe handles a subscription with an id: a scheduler that
// reconnects, fails over (force), or subscribes to a new master.
func (c *Core) resubscribe(from actors.PID, info *mesos.FrameworkInfo, force bool, suppressed []string) {
	id := info.GetId().GetValue()
	// A different framework already connected from this PID: drop.
	for _, fid := range sortedKeys(c.frameworks) {
		if f := c.frameworks[fid]; f.pid == from && f.id != id && f.connected {
			c.fwLog(id).WithFields(logrus.Fields{"from": from.String(), "connected_framework_id": f.id}).Error("dropping SUBSCRIBE: another framework is already connected at this address")
			return
		}
	}

	f := c.frameworks[id]
	if f == nil {
		// Unknown but not completed (a master failover, no agent has
		// reported it yet): rebuild it from what the scheduler says.
		f = newFramework(id, info, c.cfg.MaxCompletedTasksPerFramework, c.cfg.MaxUnreachableTasksPerFramework)
		f.recovered = true
		c.frameworks[id] = f
		c.out.Add(AllocAddFramework{FrameworkID: id, Info: info, Options: allocatorOptions(f)})
	}

	// user and checkpoint cannot change; the principal must not.
	info.User = proto.String(f.info.GetUser())
	info.Checkpoint = proto.Bool(f.info.GetCheckpoint())
	if err := validateFrameworkUpdate(f.info, info); err != nil {
		c.refuse(from, err.Error())
		return
	}

	if !f.recovered && f.pid != from && !force {
		c.fwLog(id).WithField("from", from.String()).Error("refusing subscription: another scheduler is the framework's and force is not set")
		c.send(from, &mesosinternal.FrameworkErrorMessage{Message: proto.String("Framework failed over")})
		return
	}

	c.updateFrameworkInfo(f, info, suppressed)

	now := c.now()
	switch {
	case f.recovered:
		f.recovered = false
		f.registeredTime, f.reregisteredTime = now, now
		c.connect(f, from)
		c.send(from, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: frameworkID(id), MasterInfo: clone(c.info)})
	case force:
		f.reregisteredTime = now
		c.fwLog(id).WithField("from", from.String()).Info("framework failed over")
		if f.pid != from && f.connected {
			c.send(f.pid, &mesosinternal.FrameworkErrorMessage{Message: proto.String("Framework failed over")})
		}
		if f.pid != from {
			c.out.Unlink(f.pid)
		}
		// Offers made to the old scheduler are discarded, not rescinded.
		for _, o := range c.frameworkOffers(f) {
			c.discardOffer(o)
		}
		c.connect(f, from)
		c.send(from, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: frameworkID(id), MasterInfo: clone(c.info)})
	default:
		f.reregisteredTime = now
		c.fwLog(id).Info("framework resubscribed with its id")
		// The scheduler may have answered offers whose replies its driver
		// dropped while disconnected: rescind them all.
		for _, o := range c.frameworkOffers(f) {
			c.rescindOffer(o)
		}
		c.connect(f, from)
		c.send(from, &mesosinternal.FrameworkReregisteredMessage{FrameworkId: frameworkID(id), MasterInfo: clone(c.info)})
	}
	c.sendFrameworkUpdates(f)
}

// addFramework registers a brand-new framework connected at pid.
func (c *Core) addFramework(f *framework, pid actors.PID) {
	now := c.now()
	f.registeredTime, f.reregisteredTime = now, now
	f.pid = pid
	f.connected, f.active = true, true
	c.frameworks[f.id] = f
	c.out.Link(pid)
	c.fwLog(f.id).Infof("added framework '%s' (roles %v) at %s", f.info.GetName(), f.roles(), pid)
	c.out.Add(AllocAddFramework{FrameworkID: f.id, Info: f.info, Active: true, Options: allocatorOptions(f)})
}

// connect points f at pid, links and (re)activates it.
func (c *Core) connect(f *framework, pid actors.PID) {
	c.cancelFailover(f)
	f.pid = pid
	f.connected = true
	c.out.Link(pid)
	if !f.active {
		f.active = true
		c.out.Add(AllocActivateFramework{FrameworkID: f.id})
	}
}

// updateFrameworkInfo stores a resubscription's info in master and
// allocator.
func (c *Core) updateFrameworkInfo(f *framework, info *mesos.FrameworkInfo, suppressed []string) {
	f.info = info
	f.suppressedRoles = suppressed
	c.out.Add(AllocUpdateFramework{FrameworkID: f.id, Info: info, Options: allocatorOptions(f)})
}

// sendFrameworkUpdates tells every registered agent the framework's
// (new) PID and info.
func (c *Core) sendFrameworkUpdates(f *framework) {
	msg := &mesosinternal.UpdateFrameworkMessage{
		FrameworkId:   frameworkID(f.id),
		Pid:           proto.String(f.pid.String()),
		FrameworkInfo: clone(f.info),
	}
	for _, id := range sortedKeys(c.agents) {
		if a := c.agents[id]; a.connected {
			c.send(a.pid, msg)
		}
	}
}

// frameworkOffers returns f's offers in id order.
func (c *Core) frameworkOffers(f *framework) []*offer {
	out := make([]*offer, 0, len(f.offers))
	for _, id := range sortedKeys(f.offers) {
		out = append(out, f.offers[id])
	}
	return out
}

// deactivate stops offers to f; rescind says whether its outstanding offers
// are rescinded (sending RescindResourceOfferMessage) or only discarded.
func (c *Core) deactivate(f *framework, rescind bool) {
	f.active = false
	c.out.Add(AllocDeactivateFramework{FrameworkID: f.id})
	for _, o := range c.frameworkOffers(f) {
		if rescind {
			c.rescindOffer(o)
		} else {
			c.discardOffer(o)
		}
	}
}

// frameworkExited handles a broken link to f's scheduler.
func (c *Core) frameworkExited(f *framework) {
	c.fwLog(f.id).Info("framework disconnected")
	f.connected = false
	f.unregisteredTime = c.now()
	if f.active {
		c.deactivate(f, true)
	}
	timeout := failoverTimeout(f.info)
	c.fwLog(f.id).WithField("timeout", protocol.FormatDuration(timeout)).Info("giving framework time to fail over")
	f.failoverPending = true
	c.out.StartTimer(failoverTimerPrefix+f.id, timeout)
}

// failoverTimedOut removes a framework whose scheduler did not come back
// in time.
func (c *Core) failoverTimedOut(id string) {
	f := c.frameworks[id]
	if f == nil || !f.failoverPending {
		return
	}
	f.failoverPending = false
	if f.connected {
		return
	}
	c.fwLog(id).Info("framework failover timeout; removing the framework")
	c.removeFramework(f)
}

// cancelFailover stops f's failover timer if it runs.
func (c *Core) cancelFailover(f *framework) {
	if f.failoverPending {
		f.failoverPending = false
		c.out.CancelTimer(failoverTimerPrefix + f.id)
	}
}

// teardown handles TEARDOWN.
func (c *Core) teardown(f *framework) {
	c.fwLog(f.id).Info("processing TEARDOWN call")
	c.removeFramework(f)
}

// removeFramework tears f down: offers discarded, agents told to shut its
// executors down, tasks marked TASK_KILLED (REASON_FRAMEWORK_REMOVED),
// allocator told, framework moved to the completed list.
func (c *Core) removeFramework(f *framework) {
	log := c.fwLog(f.id)
	log.Info("removing framework")
	c.cancelFailover(f)
	if f.active {
		c.deactivate(f, false)
	}
	f.active = false
	for _, id := range sortedKeys(c.agents) {
		a := c.agents[id]
		if a.connected {
			c.send(a.pid, &mesosinternal.ShutdownFrameworkMessage{FrameworkId: frameworkID(f.id)})
		}
	}
	if f.connected {
		c.out.Unlink(f.pid)
	}
	f.connected = false

	now := c.now()
	for _, tid := range sortedKeys(f.tasks) {
		t := f.tasks[tid]
		if !protocol.IsTerminal(t.GetState()) {
			u := newUpdate(updateSpec{
				frameworkID: f.id, agentID: t.GetSlaveId().GetValue(), taskID: tid,
				executorID: t.GetExecutorId().GetValue(), state: mesos.TaskState_TASK_KILLED,
				message: "Framework " + f.id + " removed", reason: mesos.TaskStatus_REASON_FRAMEWORK_REMOVED, now: now,
			})
			c.updateTask(t, u)
		}
		c.removeTask(t, false)
	}
	for _, t := range f.unreachableTasks.list() {
		f.completedTasks.add(t)
	}
	f.unreachableTasks = newTaskList(0)
	for agentID, byID := range f.executors {
		for eid := range byID {
			if a := c.agents[agentID]; a != nil {
				a.removeExecutor(f.id, eid)
			}
		}
	}
	f.executors = map[string]map[string]*mesos.ExecutorInfo{}

	c.out.Add(AllocRemoveFramework{FrameworkID: f.id})
	delete(c.frameworks, f.id)
	f.unregisteredTime = now
	c.completed = append(c.completed, f)
	if max := c.cfg.MaxCompletedFrameworks; len(c.completed) > max {
		c.completed = slices.Delete(c.completed, 0, len(c.completed)-max)
	}
}

// recoverFramework makes a framework known from an agent's report (its
// scheduler has not subscribed to this master yet).
func (c *Core) recoverFramework(info *mesos.FrameworkInfo, used map[string]resources.Resources) *framework {
	id := info.GetId().GetValue()
	if f := c.frameworks[id]; f != nil {
		return f
	}
	f := newFramework(id, proto.Clone(info).(*mesos.FrameworkInfo), c.cfg.MaxCompletedTasksPerFramework, c.cfg.MaxUnreachableTasksPerFramework)
	f.recovered = true
	c.frameworks[id] = f
	c.out.Add(AllocAddFramework{FrameworkID: id, Info: f.info, Used: used, Options: allocatorOptions(f)})
	c.fwLog(id).Info("recovered framework from an agent's report")
	return f
}
