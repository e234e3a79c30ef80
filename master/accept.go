package master

import (
	"errors"
	"fmt"
	"slices"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

// offerView is what offer validation needs to know about one offer id.
type offerView struct {
	frameworkID string
	agentID     string
	role        string
}

// validateOffers applies Mesos' offer checks to an ACCEPT, first failure
// wins: at least one offer, no duplicates, all still valid, all the
// framework's, one allocation role, one agent.
func validateOffers(ids []*mesos.OfferID, frameworkID string, lookup func(id string) (offerView, bool)) error {
	if len(ids) == 0 {
		return errors.New("No offers specified")
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id.GetValue()] {
			return fmt.Errorf("Duplicate offer %s in offer list", id.GetValue())
		}
		seen[id.GetValue()] = true
	}
	var buf [4]offerView // most accepts name one offer
	views := buf[:0]
	if len(ids) > len(buf) {
		views = make([]offerView, 0, len(ids))
	}
	views = views[:len(ids)]
	for i, id := range ids {
		v, ok := lookup(id.GetValue())
		if !ok {
			return fmt.Errorf("Offer %s is no longer valid", id.GetValue())
		}
		views[i] = v
	}
	for i, v := range views {
		if v.frameworkID != frameworkID {
			return fmt.Errorf("Offer %s has invalid framework %s while framework %s is expected", ids[i].GetValue(), v.frameworkID, frameworkID)
		}
	}
	for i, v := range views {
		if v.role != views[0].role {
			return fmt.Errorf("Aggregated offers must be allocated to the same role. Offer %s uses role '%s' but another is using role '%s'", ids[i].GetValue(), v.role, views[0].role)
		}
	}
	for i, v := range views {
		if v.agentID != views[0].agentID {
			return fmt.Errorf("Aggregated offers must belong to one single agent. Offer %s uses agent %s and agent %s", ids[i].GetValue(), v.agentID, views[0].agentID)
		}
	}
	return nil
}

// accept handles ACCEPT: LAUNCH, RESERVE and UNRESERVE operations, in
// order, against what the accepted offers hold; others are dropped with a
// log line, as Mesos drops invalid operations.
func (c *Core) accept(f *framework, acc *scheduler.Call_Accept) {
	lookup := func(id string) (offerView, bool) {
		o := c.offers[id]
		if o == nil {
			return offerView{}, false
		}
		return offerView{o.frameworkID, o.agentID, o.role}, true
	}
	if err := validateOffers(acc.GetOfferIds(), f.id, lookup); err != nil {
		c.acceptInvalidOffers(f, acc, err)
		return
	}

	// Consume the offers.
	var offered resources.Resources
	var a *agent
	var role string
	for _, id := range acc.GetOfferIds() {
		o := c.offers[id.GetValue()]
		a, role = c.agents[o.agentID], o.role
		offered = offered.Add(o.resources)
		c.removeOffer(o, false)
	}
	if a == nil || !a.connected {
		c.acceptOnGoneAgent(f, acc, a, offered)
		return
	}

	remaining := offered
	var conversions []allocator.Conversion
	for _, op := range acc.GetOperations() {
		if op == nil {
			continue
		}
		switch op.GetType() {
		case mesos.Offer_Operation_RESERVE, mesos.Offer_Operation_UNRESERVE:
			next, cs, ok := c.reserveOrUnreserve(f, a, role, op, remaining)
			if ok {
				remaining = next
				conversions = append(conversions, cs...)
			}
		case mesos.Offer_Operation_LAUNCH_GROUP:
			// Task groups need the default executor, which gomesos does
			// not have yet: answer every task rather than lose it.
			for _, t := range op.GetLaunchGroup().GetTaskGroup().GetTasks() {
				c.taskError(f, t, mesos.TaskStatus_REASON_TASK_GROUP_INVALID, "LAUNCH_GROUP operations are not supported by this master")
			}
		case mesos.Offer_Operation_LAUNCH:
			if op.Id != nil {
				for _, t := range op.GetLaunch().GetTaskInfos() {
					c.taskError(f, t, mesos.TaskStatus_REASON_TASK_INVALID, "The `id` field cannot be set on LAUNCH operations")
				}
				continue
			}
			for _, t := range op.GetLaunch().GetTaskInfos() {
				if t != nil {
					remaining = c.launchTask(f, a, role, t, remaining)
				}
			}
		default:
			c.fwLog(f.id).Warnf("dropping unsupported %s operation", op.GetType())
		}
	}

	// The allocator learns what the operations changed; then what is
	// left comes back: resources the operations converted without a
	// filter (so that a fresh reservation is offered again), the rest
	// declined with the ACCEPT's filters.
	if len(conversions) > 0 {
		c.out.Add(AllocUpdateAllocation{FrameworkID: f.id, AgentID: a.id, Offered: offered, Conversions: conversions})
	}
	filters := acc.GetFilters()
	if filters == nil {
		filters = &mesos.Filters{}
	}
	converted := remaining.Subtract(offered)
	declined := remaining.Subtract(converted)
	if !converted.IsEmpty() {
		c.out.Add(AllocRecoverResources{FrameworkID: f.id, AgentID: a.id, Resources: converted})
	}
	if !declined.IsEmpty() {
		c.out.Add(AllocRecoverResources{FrameworkID: f.id, AgentID: a.id, Resources: declined, Filters: filters})
	}
}

// acceptInvalidOffers answers an ACCEPT whose offers failed validation:
// the framework's valid offers among them are discarded and every task is
// dropped (TASK_LOST for frameworks that are not partition aware).
func (c *Core) acceptInvalidOffers(f *framework, acc *scheduler.Call_Accept, err error) {
	log := c.fwLog(f.id)
	log.WithError(err).Warn("accept call used invalid offers")
	for _, id := range acc.GetOfferIds() {
		if o := c.offers[id.GetValue()]; o != nil && o.frameworkID == f.id {
			c.discardOffer(o)
		}
	}
	state := protocol.VisibleState(f.partitionAware(), mesos.TaskState_TASK_DROPPED)
	for _, op := range acc.GetOperations() {
		tasks := op.GetLaunch().GetTaskInfos()
		switch op.GetType() {
		case mesos.Offer_Operation_LAUNCH:
		case mesos.Offer_Operation_LAUNCH_GROUP:
			tasks = op.GetLaunchGroup().GetTaskGroup().GetTasks()
		default:
			log.WithError(err).Warnf("dropping %s operation attempted with invalid offers", op.GetType())
			continue
		}
		for _, t := range tasks {
			c.stats.taskEnded(state, mesos.TaskStatus_SOURCE_MASTER, mesos.TaskStatus_REASON_INVALID_OFFERS)
			c.forward(f, newUpdate(updateSpec{
				frameworkID: f.id, agentID: t.GetSlaveId().GetValue(), taskID: t.GetTaskId().GetValue(),
				state: state, message: "Task launched with invalid offers: " + err.Error(),
				reason: mesos.TaskStatus_REASON_INVALID_OFFERS, now: c.now(),
			}), actors.PID{})
		}
	}
}

// acceptOnGoneAgent answers an ACCEPT whose agent is gone or disconnected.
// Offers die with their agent, so this cannot happen; answer anyway rather
// than lose the tasks.
func (c *Core) acceptOnGoneAgent(f *framework, acc *scheduler.Call_Accept, a *agent, offered resources.Resources) {
	reason, msg := mesos.TaskStatus_REASON_SLAVE_REMOVED, "Agent removed"
	if a != nil {
		reason, msg = mesos.TaskStatus_REASON_SLAVE_DISCONNECTED, "Agent disconnected"
	}
	for _, op := range acc.GetOperations() {
		for _, t := range op.GetLaunch().GetTaskInfos() {
			c.stats.taskEnded(protocol.VisibleState(f.partitionAware(), mesos.TaskState_TASK_DROPPED), mesos.TaskStatus_SOURCE_MASTER, reason)
			c.forward(f, newUpdate(updateSpec{
				frameworkID: f.id, agentID: t.GetSlaveId().GetValue(), taskID: t.GetTaskId().GetValue(),
				state: protocol.VisibleState(f.partitionAware(), mesos.TaskState_TASK_DROPPED), message: msg, reason: reason, now: c.now(),
			}), actors.PID{})
		}
	}
	if a != nil {
		c.out.Add(AllocRecoverResources{FrameworkID: f.id, AgentID: a.id, Resources: offered})
	}
}

// taskError answers an invalid task with TASK_ERROR.
func (c *Core) taskError(f *framework, t *mesos.TaskInfo, reason mesos.TaskStatus_Reason, msg string) {
	c.taskLog(f.id, t.GetTaskId().GetValue()).Warnf("task is invalid: %s", msg)
	c.stats.taskEnded(mesos.TaskState_TASK_ERROR, mesos.TaskStatus_SOURCE_MASTER, reason)
	c.forward(f, newUpdate(updateSpec{
		frameworkID: f.id, agentID: t.GetSlaveId().GetValue(), taskID: t.GetTaskId().GetValue(),
		state: mesos.TaskState_TASK_ERROR, message: msg, reason: reason, now: c.now(),
	}), actors.PID{})
}

// reserveOrUnreserve validates and applies a RESERVE or UNRESERVE to what
// is left of the offers and to the agent. It returns what is left then and
// the conversions, or ok false when the operation was dropped.
func (c *Core) reserveOrUnreserve(f *framework, a *agent, role string, op *mesos.Offer_Operation, remaining resources.Resources) (resources.Resources, []allocator.Conversion, bool) {
	log := c.fwLog(f.id)
	drop := func(msg string) (resources.Resources, []allocator.Conversion, bool) {
		log.Warnf("dropping %s operation: %s", op.GetType(), msg)
		return nil, nil, false
	}
	if op.Id != nil {
		// Driver-based frameworks cannot get operation feedback.
		c.send(f.pid, &mesosinternal.FrameworkErrorMessage{Message: proto.String(operationFeedbackError)})
		return drop(operationFeedbackError)
	}
	var cs []allocator.Conversion
	if op.GetType() == mesos.Offer_Operation_RESERVE {
		if len(op.GetReserve().GetSource()) > 0 {
			return drop("Operation attempted with invalid resources: Reservation updates are not yet implemented for the scheduler API.")
		}
		rs, err := operationResources(op.GetReserve().GetResources(), role)
		if err != nil {
			return drop("Operation attempted with invalid resources: " + err.Error())
		}
		if err := validateReserve(rs, f, a); err != nil {
			return drop(err.Error() + "; on agent " + agentString(a))
		}
		cs = reserveConversions(rs)
	} else {
		rs, err := operationResources(op.GetUnreserve().GetResources(), role)
		if err != nil {
			return drop("Operation attempted with invalid resources: " + err.Error())
		}
		if err := validateUnreserve(rs); err != nil {
			return drop(err.Error() + "; on agent " + agentString(a))
		}
		cs = unreserveConversions(rs)
	}
	next, err := applyConversions(remaining, cs)
	if err != nil {
		return drop(err.Error())
	}
	log.WithField("agent_id", a.id).Infof("applying %s operation for resources %s", op.GetType(), cs[0].Converted)
	c.applyToAgent(a, cs)
	return next, cs, true
}

// launchTask validates one task of a LAUNCH against what is left of the
// offers and, if it is valid, records it and sends it to the agent. It
// returns what is left of the offers.
func (c *Core) launchTask(f *framework, a *agent, role string, ti *mesos.TaskInfo, remaining resources.Resources) resources.Resources {
	t := taskCopy(ti)
	// The master fills in what frameworks leave out: the executor's
	// framework id, and the offers' allocation role on resources without
	// one (Mesos injects it for every framework). Resources come in the
	// post-refinement format, as offers hold them.
	if t.Executor != nil && t.Executor.FrameworkId == nil {
		t.Executor.FrameworkId = frameworkID(f.id)
	}
	info := f.allocationInfo(role)
	t.Resources = c.launched.resources(t.Resources, info)
	if e := t.Executor; e != nil { // the master's own copy
		if rs := resources.Resources(e.GetResources()); !rs.Upgraded() && resources.Validate(rs) == nil {
			e.Resources = rs.Upgrade()
		}
		stampRole(e.Resources, info)
	}
	var rest restOf
	if err := validateTask(t, taskContext{f: f, a: a}, remaining, &rest); err != nil {
		c.taskError(f, t, mesos.TaskStatus_REASON_TASK_INVALID, err.Error())
		return remaining
	}

	var consumed resources.Resources
	launchExecutor := true
	if t.Executor != nil {
		eid := t.Executor.GetExecutorId().GetValue()
		launchExecutor = !a.hasExecutor(f.id, eid)
		if launchExecutor {
			e := proto.Clone(t.Executor).(*mesos.ExecutorInfo)
			a.addExecutor(f.id, e)
			if f.executors[a.id] == nil {
				f.executors[a.id] = map[string]*mesos.ExecutorInfo{}
			}
			f.executors[a.id][eid] = e
			consumed = consumed.Add(resources.Resources(t.Executor.GetResources()))
		}
	}
	rec := newTask(t, f.idMsg)
	rec.SlaveId = a.idMsg // validated: the same id, shared (onAgent)
	c.addTask(f, a, rec)
	fused := false
	if own := resources.Resources(t.GetResources()); consumed == nil && resources.Normal(own) {
		consumed = own   // Subtract takes it as Add would have made it
		fused = rest.set // rest.left is remaining.Subtract(own)
	} else {
		consumed = consumed.Add(own)
	}

	if c.logsAt(logrus.InfoLevel) {
		c.taskLog(f.id, t.GetTaskId().GetValue()).WithFields(logrus.Fields{"agent_id": a.id, "hostname": a.hostname()}).
			Infof("launching task with %s (%s executor)", resources.Resources(t.GetResources()), map[bool]string{true: "new", false: "existing"}[launchExecutor])
	}
	c.send(a.pid, &mesosinternal.RunTaskMessage{
		Framework:      f.info, // replaced on update, never changed in place; the agent copies it
		FrameworkId:    f.idMsg,
		Pid:            f.pidText(),
		Task:           t,
		LaunchExecutor: proto.Bool(launchExecutor),
	})
	if fused {
		return rest.left
	}
	return remaining.Subtract(consumed)
}

// launchResources returns a task's resources as the master keeps and
// sends them: in the post-refinement format (frameworks without
// RESERVATION_REFINEMENT send reservations in the legacy fields), with
// the offers' allocation role on entries without one. rs is left as it
// is: what changes is a copy (Upgrade's entries are new, values shared).
// Invalid resources are not upgraded; validateTask reports them.
func launchResources(rs []*mesos.Resource, info *mesos.Resource_AllocationInfo) []*mesos.Resource {
	if r := resources.Resources(rs); !r.Upgraded() && resources.Validate(r) == nil {
		up := r.Upgrade()
		stampRole(up, info)
		return up
	}
	return stampedRole(rs, info)
}

// taskCopy returns the master's own TaskInfo for a scheduler's: what
// launchTask changes (the executor, the resources list) is its own, the
// rest is shared with the call, which no one changes once sent. A task
// with unknown fields is copied whole.
func taskCopy(ti *mesos.TaskInfo) *mesos.TaskInfo {
	if len(ti.ProtoReflect().GetUnknown()) > 0 {
		return clone(ti)
	}
	return &mesos.TaskInfo{
		Name:              ti.Name,
		TaskId:            ti.TaskId,
		SlaveId:           ti.SlaveId,
		Resources:         ti.Resources, // replaced, not changed, by launchResources
		Executor:          clone(ti.Executor),
		Data:              ti.Data,
		Command:           ti.Command,
		HealthCheck:       ti.HealthCheck,
		Container:         ti.Container,
		Labels:            ti.Labels,
		Discovery:         ti.Discovery,
		KillPolicy:        ti.KillPolicy,
		Check:             ti.Check,
		MaxCompletionTime: ti.MaxCompletionTime,
		Limits:            ti.Limits,
	}
}

// stampedRole returns rs with allocation_info.role set on the entries
// that have none: those entries are copies, and so is the list if any
// changed; rs itself is left as it is.
func stampedRole(rs []*mesos.Resource, info *mesos.Resource_AllocationInfo) []*mesos.Resource {
	var out []*mesos.Resource
	for i, r := range rs {
		if r == nil || r.AllocationInfo != nil {
			continue
		}
		if out == nil {
			out = slices.Clone(rs)
		}
		out[i] = resources.WithAllocation(r, info)
	}
	if out == nil {
		return rs
	}
	return out
}

// stampRole sets info (shared) as the allocation info of resources that
// have none.
func stampRole(rs []*mesos.Resource, info *mesos.Resource_AllocationInfo) {
	for _, r := range rs {
		if r != nil && r.AllocationInfo == nil {
			r.AllocationInfo = info
		}
	}
}

func hasAgentCapability(a *agent, t mesos.SlaveInfo_Capability_Type) bool {
	for _, c := range a.capabilities {
		if c == t {
			return true
		}
	}
	return false
}

// taskContext is what task validation needs to know besides the task:
// the framework launching it and the agent it is for.
type taskContext struct {
	f *framework
	a *agent
}

// taskExists: the framework has an active task with this id.
func (c taskContext) taskExists(id string) bool { return c.f.tasks[id] != nil }

func (c taskContext) unreachableExists(id string) bool { return c.f.unreachableTasks.get(id) != nil }

// existingExecutor is the framework's executor with this id on the agent.
func (c taskContext) existingExecutor(id string) *mesos.ExecutorInfo {
	return c.a.executors[c.f.id][id]
}

// validateTask applies Mesos' LAUNCH task checks, in Mesos' order, against
// the resources still available in the accepted offers. With a non-nil
// rest, a task that needs only its own resources gets available minus
// them there (the containment check computes it).
func validateTask(t *mesos.TaskInfo, c taskContext, available resources.Resources, rest *restOf) error {
	tid := t.GetTaskId().GetValue()
	if t.TaskId == nil {
		return errors.New("Task has an invalid TaskID: ID must not be empty")
	}
	if err := ValidateID(tid); err != nil {
		return fmt.Errorf("Task has an invalid TaskID: %v", err)
	}
	if c.taskExists(tid) {
		return fmt.Errorf("Task has duplicate ID: %s", tid)
	}
	if c.unreachableExists(tid) {
		return fmt.Errorf("Task reuses the ID of an unreachable task: %s", tid)
	}
	if t.GetSlaveId().GetValue() != c.a.id {
		return fmt.Errorf("Task uses invalid agent %s while agent %s is expected", t.GetSlaveId().GetValue(), c.a.id)
	}
	if gp := t.GetKillPolicy().GetGracePeriod(); gp != nil && gp.GetNanoseconds() < 0 {
		return errors.New("Task's 'kill_policy.grace_period' must be non-negative")
	}
	if t.MaxCompletionTime != nil && t.GetMaxCompletionTime().GetNanoseconds() < 0 {
		return errors.New("Task's `max_completion_time` must be non-negative")
	}
	if err := validateTaskResources(t.GetResources()); err != nil {
		return err
	}
	if t.Command != nil {
		if err := validateEnvironment(t.GetCommand().GetEnvironment()); err != nil {
			return fmt.Errorf("Task's `CommandInfo` is invalid: %v", err)
		}
	}
	if len(t.GetLimits()) > 0 {
		if !hasAgentCapability(c.a, mesos.SlaveInfo_Capability_TASK_RESOURCE_LIMITS) {
			return errors.New("Agent is not capable of handling task resource limits")
		}
		if err := validateLimits(t); err != nil {
			return err
		}
	}

	// Executor checks.
	if (t.Executor != nil) == (t.Command != nil) {
		return errors.New("Task should have at least one (but not both) of CommandInfo or ExecutorInfo present")
	}
	total := resources.Resources(t.GetResources())
	extended := false // total is more than the task's own, validated, resources
	if e := t.Executor; e != nil {
		if err := validateExecutor(e, c); err != nil {
			return err
		}
		if e.Type != nil && e.GetType() != mesos.ExecutorInfo_CUSTOM {
			return errors.New("'ExecutorInfo.type' must be 'CUSTOM'")
		}
		if e.Command == nil {
			return errors.New("'ExecutorInfo.command' must be set")
		}
		if !resources.Resources(e.GetResources()).Shared().IsEmpty() {
			return fmt.Errorf("Executor resources %s should not contain any shared resources", resources.Resources(e.GetResources()))
		}
		if c.existingExecutor(e.GetExecutorId().GetValue()) == nil {
			total = total.Add(resources.Resources(e.GetResources()))
			extended = true
		}
	}
	if extended {
		if err := resources.Validate(total); err != nil {
			return fmt.Errorf("Task and its executor use invalid resources: %v", err)
		}
	}
	if !extended && rest != nil {
		var ok bool
		if rest.left, ok = available.SubtractContained(total); !ok {
			return fmt.Errorf("Total resources %s required by task and its executor is more than available %s", total, available)
		}
		rest.set = true
		return nil
	}
	if !available.Contains(total) {
		return fmt.Errorf("Total resources %s required by task and its executor is more than available %s", total, available)
	}
	return nil
}

// restOf is what validateTask leaves of the offers, when it computed it.
type restOf struct {
	left resources.Resources
	set  bool
}

// validateTaskResources checks a task's own resources.
func validateTaskResources(rs []*mesos.Resource) error {
	if len(rs) == 0 {
		return errors.New("Task uses no resources")
	}
	if err := resources.Validate(rs); err != nil {
		return fmt.Errorf("Task uses invalid resources: %v", err)
	}
	if err := singleAllocationRole(rs); err != nil {
		return fmt.Errorf("Invalid task resources: %v", err)
	}
	r := resources.Resources(rs)
	var revocable, other bool // r.Revocable() and r.NonRevocable() are not empty
	for _, x := range r {
		if resources.Counts(x) {
			revocable, other = revocable || x.Revocable != nil, other || x.Revocable == nil
		}
	}
	if revocable && other {
		return fmt.Errorf("Task mixes revocable and non-revocable resources: %s", r)
	}
	if r.IsEmpty() {
		return errors.New("Task uses no resources")
	}
	return nil
}

// singleAllocationRole checks that resources are allocated to one role.
func singleAllocationRole(rs []*mesos.Resource) error {
	role := ""
	for i, r := range rs {
		if r.AllocationInfo == nil || r.GetAllocationInfo().Role == nil {
			return errors.New("The resources are not allocated to a role")
		}
		if i == 0 {
			role = r.GetAllocationInfo().GetRole()
		} else if r.GetAllocationInfo().GetRole() != role {
			return fmt.Errorf("The resources have multiple allocation roles ('%s' and '%s') but only one allocation role is allowed", role, r.GetAllocationInfo().GetRole())
		}
	}
	return nil
}

// validateExecutor applies the ExecutorInfo checks of a LAUNCH.
func validateExecutor(e *mesos.ExecutorInfo, c taskContext) error {
	if e.GetType() == mesos.ExecutorInfo_DEFAULT && e.Command != nil {
		return errors.New("'ExecutorInfo.command' must not be set for 'DEFAULT' executor")
	}
	if e.GetType() == mesos.ExecutorInfo_CUSTOM && e.Command == nil {
		return errors.New("'ExecutorInfo.command' must be set for 'CUSTOM' executor")
	}
	if err := ValidateID(e.GetExecutorId().GetValue()); err != nil {
		return err
	}
	if gp := e.GetShutdownGracePeriod(); gp != nil && gp.GetNanoseconds() < 0 {
		return errors.New("ExecutorInfo's 'shutdown_grace_period' must be non-negative")
	}
	if e.Command != nil {
		if err := validateEnvironment(e.GetCommand().GetEnvironment()); err != nil {
			return fmt.Errorf("Executor's `CommandInfo` is invalid: %v", err)
		}
	}
	if e.FrameworkId == nil {
		return errors.New("'ExecutorInfo.framework_id' must be set")
	}
	if e.GetFrameworkId().GetValue() != c.f.id {
		return fmt.Errorf("ExecutorInfo has an invalid FrameworkID (Actual: %s vs Expected: %s)", e.GetFrameworkId().GetValue(), c.f.id)
	}
	if len(e.GetResources()) > 0 {
		if err := resources.Validate(e.GetResources()); err != nil {
			return fmt.Errorf("Executor uses invalid resources: %v", err)
		}
		if err := singleAllocationRole(e.GetResources()); err != nil {
			return fmt.Errorf("Invalid executor resources: %v", err)
		}
		r := resources.Resources(e.GetResources())
		if !r.Revocable().IsEmpty() && !r.NonRevocable().IsEmpty() {
			return fmt.Errorf("Executor mixes revocable and non-revocable resources: %s", r)
		}
	}
	if old := c.existingExecutor(e.GetExecutorId().GetValue()); old != nil && !proto.Equal(old, e) {
		return fmt.Errorf("ExecutorInfo is not compatible with existing ExecutorInfo with same ExecutorID.\nExisting ExecutorInfo:\n%v\nExecutorInfo:\n%v", old, e)
	}
	return nil
}

// validateEnvironment checks CommandInfo.environment.
func validateEnvironment(env *mesos.Environment) error {
	for _, v := range env.GetVariables() {
		if v == nil {
			continue
		}
		switch v.GetType() {
		case mesos.Environment_Variable_SECRET:
			if v.Secret == nil {
				return fmt.Errorf("Environment variable '%s' of type 'SECRET' must have a secret set", v.GetName())
			}
			if v.Value != nil {
				return fmt.Errorf("Environment variable '%s' of type 'SECRET' must not have a value set", v.GetName())
			}
		case mesos.Environment_Variable_VALUE:
			if v.Value == nil {
				return fmt.Errorf("Environment variable '%s' of type 'VALUE' must have a value set", v.GetName())
			}
			if v.Secret != nil {
				return fmt.Errorf("Environment variable '%s' of type 'VALUE' must not have a secret set", v.GetName())
			}
		}
	}
	return nil
}

// validateLimits checks TaskInfo.limits: only cpus and mem, each at least
// the task's request.
func validateLimits(t *mesos.TaskInfo) error {
	r := resources.Resources(t.GetResources())
	for name, s := range t.GetLimits() {
		if name != "cpus" && name != "mem" {
			return fmt.Errorf("Task's `limits` contains resource '%s': only 'cpus' and 'mem' are allowed", name)
		}
		v := s.GetValue()
		if v < r.Scalar(name) {
			return fmt.Errorf("The %s limit must be greater than or equal to the %s request", name, name)
		}
	}
	return nil
}
