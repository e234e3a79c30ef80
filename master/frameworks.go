package master

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

// newFrameworkID returns "<masterId>-<4-digit counter>".
func (p *process) newFrameworkID() string {
	id := fmt.Sprintf("%s-%04d", p.info.GetId(), p.nextFrameworkID)
	p.nextFrameworkID++
	return id
}

func (p *process) isCompletedFramework(id string) bool {
	for _, f := range p.completed {
		if f.id == id {
			return true
		}
	}
	return false
}

// subscribe handles SUBSCRIBE (and the legacy (re)register messages).
func (p *process) subscribe(from actors.PID, sub *scheduler.Call_Subscribe) {
	info := proto.Clone(sub.GetFrameworkInfo()).(*mesos.FrameworkInfo)
	policy := frameworkPolicy{roles: p.cfg.Roles, rootSubmissions: p.cfg.RootSubmissions, isCompleted: p.isCompletedFramework}
	if err := validateFrameworkInfo(info, policy); err != nil {
		p.refuse(from, err.Error())
		return
	}
	suppressed := slices.Clone(sub.GetSuppressedRoles())
	if err := validateSuppressedRoles(frameworkRoles(info), suppressed); err != nil {
		p.refuse(from, err.Error())
		return
	}
	log := p.log.WithField("from", from.String())
	log.Infof("received SUBSCRIBE for framework '%s'", info.GetName())

	if info.GetId().GetValue() == "" {
		// First subscription; a retry from the same scheduler gets the
		// same answer again.
		for _, f := range p.frameworks {
			if f.pid == from {
				p.fwLog(f.id).Info("framework already subscribed; resending the acknowledgement")
				p.send(from, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: frameworkID(f.id), MasterInfo: clone(p.info)})
				return
			}
		}
		id := p.newFrameworkID()
		info.Id = frameworkID(id)
		f := newFramework(id, info, p.cfg.MaxCompletedTasksPerFramework, p.cfg.MaxUnreachableTasksPerFramework)
		f.suppressedRoles = suppressed
		p.addFramework(f, from)
		p.send(from, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: frameworkID(id), MasterInfo: clone(p.info)})
		return
	}

	id := info.GetId().GetValue()
	// A different framework already connected from this PID: drop.
	for _, f := range p.frameworks {
		if f.pid == from && f.id != id && f.connected {
			p.fwLog(id).WithField("from", from.String()).Errorf("dropping SUBSCRIBE: framework %s is already connected at this address", f.id)
			return
		}
	}

	f := p.frameworks[id]
	if f == nil {
		// Unknown but not completed (a master failover, no agent has
		// reported it yet): rebuild it from what the scheduler says.
		f = newFramework(id, info, p.cfg.MaxCompletedTasksPerFramework, p.cfg.MaxUnreachableTasksPerFramework)
		f.recovered = true
		p.frameworks[id] = f
		p.alloc.AddFramework(id, info, nil, false, allocatorOptions(f))
	}

	// user and checkpoint cannot change; the principal must not.
	info.User = proto.String(f.info.GetUser())
	info.Checkpoint = proto.Bool(f.info.GetCheckpoint())
	if err := validateFrameworkUpdate(f.info, info); err != nil {
		p.refuse(from, err.Error())
		return
	}

	if !f.recovered && f.pid != from && !sub.GetForce() {
		p.fwLog(id).WithField("from", from.String()).Error("refusing subscription: another scheduler is the framework's and force is not set")
		p.send(from, &mesosinternal.FrameworkErrorMessage{Message: proto.String("Framework failed over")})
		return
	}

	p.updateFrameworkInfo(f, info, suppressed)

	now := p.now()
	switch {
	case f.recovered:
		f.recovered = false
		f.registeredTime, f.reregisteredTime = now, now
		p.connect(f, from)
		p.send(from, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: frameworkID(id), MasterInfo: clone(p.info)})
	case sub.GetForce():
		f.reregisteredTime = now
		p.fwLog(id).WithField("from", from.String()).Info("framework failed over")
		if f.pid != from && f.connected {
			p.send(f.pid, &mesosinternal.FrameworkErrorMessage{Message: proto.String("Framework failed over")})
		}
		if f.pid != from {
			p.ctx.Unlink(f.pid)
		}
		// Offers made to the old scheduler are discarded, not rescinded.
		for _, o := range p.frameworkOffers(f) {
			p.discardOffer(o)
		}
		p.connect(f, from)
		p.send(from, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: frameworkID(id), MasterInfo: clone(p.info)})
	default:
		f.reregisteredTime = now
		p.fwLog(id).Info("framework resubscribed with its id")
		// The scheduler may have answered offers whose replies its driver
		// dropped while disconnected: rescind them all.
		for _, o := range p.frameworkOffers(f) {
			p.rescindOffer(o)
		}
		p.connect(f, from)
		p.send(from, &mesosinternal.FrameworkReregisteredMessage{FrameworkId: frameworkID(id), MasterInfo: clone(p.info)})
	}
	p.sendFrameworkUpdates(f)
}

// addFramework registers a brand-new framework connected at pid.
func (p *process) addFramework(f *framework, pid actors.PID) {
	now := p.now()
	f.registeredTime, f.reregisteredTime = now, now
	f.pid = pid
	f.connected, f.active = true, true
	p.frameworks[f.id] = f
	p.ctx.Link(pid)
	p.fwLog(f.id).Infof("added framework '%s' (roles %v) at %s", f.info.GetName(), f.roles(), pid)
	p.alloc.AddFramework(f.id, f.info, nil, true, allocatorOptions(f))
}

// connect points f at pid, links and (re)activates it.
func (p *process) connect(f *framework, pid actors.PID) {
	stopTimer(&f.failoverTimer)
	f.pid = pid
	f.connected = true
	p.ctx.Link(pid)
	if !f.active {
		f.active = true
		p.alloc.ActivateFramework(f.id)
	}
}

// updateFrameworkInfo stores a resubscription's info in master and
// allocator.
func (p *process) updateFrameworkInfo(f *framework, info *mesos.FrameworkInfo, suppressed []string) {
	f.info = info
	f.suppressedRoles = suppressed
	p.alloc.UpdateFramework(f.id, info, allocatorOptions(f))
}

// sendFrameworkUpdates tells every registered agent the framework's
// (new) PID and info.
func (p *process) sendFrameworkUpdates(f *framework) {
	msg := &mesosinternal.UpdateFrameworkMessage{
		FrameworkId:   frameworkID(f.id),
		Pid:           proto.String(f.pid.String()),
		FrameworkInfo: clone(f.info),
	}
	for _, id := range sortedKeys(p.agents) {
		if a := p.agents[id]; a.connected {
			p.send(a.pid, msg)
		}
	}
}

// frameworkOffers returns f's offers in id order.
func (p *process) frameworkOffers(f *framework) []*offer {
	out := make([]*offer, 0, len(f.offers))
	for _, id := range sortedKeys(f.offers) {
		out = append(out, f.offers[id])
	}
	return out
}

// deactivate stops offers to f; rescind says whether its outstanding offers
// are rescinded (sending RescindResourceOfferMessage) or only discarded.
func (p *process) deactivate(f *framework, rescind bool) {
	f.active = false
	p.alloc.DeactivateFramework(f.id)
	for _, o := range p.frameworkOffers(f) {
		if rescind {
			p.rescindOffer(o)
		} else {
			p.discardOffer(o)
		}
	}
}

// frameworkExited handles a broken link to f's scheduler.
func (p *process) frameworkExited(f *framework) {
	p.fwLog(f.id).Info("framework disconnected")
	f.connected = false
	f.unregisteredTime = p.now()
	if f.active {
		p.deactivate(f, true)
	}
	timeout := failoverTimeout(f.info)
	reregistered := f.reregisteredTime
	p.fwLog(f.id).Infof("giving framework %s to fail over", timeout)
	stopTimer(&f.failoverTimer)
	f.failoverTimer = p.ctx.Delay(timeout, func() {
		cur := p.frameworks[f.id]
		if cur != f || f.connected || !f.reregisteredTime.Equal(reregistered) {
			return
		}
		p.fwLog(f.id).Info("framework failover timeout; removing the framework")
		p.removeFramework(f)
	})
}

// teardown handles TEARDOWN.
func (p *process) teardown(f *framework) {
	p.fwLog(f.id).Info("processing TEARDOWN call")
	p.removeFramework(f)
}

// removeFramework tears f down: offers discarded, agents told to shut its
// executors down, tasks marked TASK_KILLED (REASON_FRAMEWORK_REMOVED),
// allocator told, framework moved to the completed list.
func (p *process) removeFramework(f *framework) {
	log := p.fwLog(f.id)
	log.Info("removing framework")
	stopTimer(&f.failoverTimer)
	if f.active {
		p.deactivate(f, false)
	}
	f.active = false
	for _, id := range sortedKeys(p.agents) {
		a := p.agents[id]
		if a.connected {
			p.send(a.pid, &mesosinternal.ShutdownFrameworkMessage{FrameworkId: frameworkID(f.id)})
		}
	}
	if f.connected {
		p.ctx.Unlink(f.pid)
	}
	f.connected = false

	now := p.now()
	for _, tid := range sortedKeys(f.tasks) {
		t := f.tasks[tid]
		if !terminal(t.GetState()) {
			u := newUpdate(updateSpec{
				frameworkID: f.id, agentID: t.GetSlaveId().GetValue(), taskID: tid,
				executorID: t.GetExecutorId().GetValue(), state: mesos.TaskState_TASK_KILLED,
				message: "Framework " + f.id + " removed", reason: mesos.TaskStatus_REASON_FRAMEWORK_REMOVED, now: now,
			})
			p.updateTask(t, u)
		}
		p.removeTask(t, false)
	}
	for _, t := range f.unreachableTasks.list() {
		f.completedTasks.add(t)
	}
	f.unreachableTasks = newTaskList(0)
	for agentID, byID := range f.executors {
		for eid := range byID {
			if a := p.agents[agentID]; a != nil {
				a.removeExecutor(f.id, eid)
			}
		}
	}
	f.executors = map[string]map[string]*mesos.ExecutorInfo{}

	p.alloc.RemoveFramework(f.id)
	delete(p.frameworks, f.id)
	f.unregisteredTime = now
	p.completed = append(p.completed, f)
	if max := p.cfg.MaxCompletedFrameworks; len(p.completed) > max {
		p.completed = slices.Delete(p.completed, 0, len(p.completed)-max)
	}
}

// recoverFramework makes a framework known from an agent's report (its
// scheduler has not subscribed to this master yet).
func (p *process) recoverFramework(info *mesos.FrameworkInfo, used map[string]resources.Resources) *framework {
	id := info.GetId().GetValue()
	if f := p.frameworks[id]; f != nil {
		return f
	}
	f := newFramework(id, proto.Clone(info).(*mesos.FrameworkInfo), p.cfg.MaxCompletedTasksPerFramework, p.cfg.MaxUnreachableTasksPerFramework)
	f.recovered = true
	p.frameworks[id] = f
	p.alloc.AddFramework(id, f.info, used, false, allocatorOptions(f))
	p.fwLog(id).Info("recovered framework from an agent's report")
	return f
}
