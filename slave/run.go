package slave

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/checkpoint"
	"github.com/gomesos/gomesos/slave/containerizer"
	"github.com/gomesos/gomesos/tracing"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

// Command executor constants (Mesos' DEFAULT_EXECUTOR_CPUS/MEM).
const (
	commandExecutorName = "mesos-executor"
	defaultExecutorCPUs = 0.1
	defaultExecutorMem  = 32
	// maxReapInterval is libprocess' MAX_REAP_INTERVAL, added with 1 s to a
	// task's kill grace period to get its command executor's shutdown grace.
	maxReapInterval = time.Second
)

// launchQueue is an executor's tasks waiting for their launch step, in
// arrival order; busy: the first one's step is under way. Most executors
// get one task, which takes no slice of its own.
type launchQueue struct {
	busy    bool
	waiting []*pendingTask
	one     [1]*pendingTask
}

// push adds p at the end of the queue.
func (q *launchQueue) push(p *pendingTask) {
	if q.waiting == nil {
		q.waiting = q.one[:0]
	}
	q.waiting = append(q.waiting, p)
}

// launchKey names an executor's launch queue.
type launchKey struct{ frameworkID, executorID string }

// setID gives the agent its id. c.info is replaced, not changed in place,
// so messages may share it; the new one shares the old one's parts.
func (c *Core) setID(id string) {
	info := copySlaveInfo(c.info)
	info.Id = &mesos.SlaveID{Value: proto.String(id)}
	c.info = info
}

// copySlaveInfo returns a new SlaveInfo with s's fields, sharing their
// values (which nobody changes in place). A field added to SlaveInfo must
// be added here (a test checks).
func copySlaveInfo(s *mesos.SlaveInfo) *mesos.SlaveInfo {
	c := &mesos.SlaveInfo{
		Hostname:   s.Hostname,
		Resources:  s.Resources,
		Attributes: s.Attributes,
		Id:         s.Id,
		Checkpoint: s.Checkpoint,
		Port:       s.Port,
		Domain:     s.Domain,
	}
	if unknown := s.ProtoReflect().GetUnknown(); len(unknown) > 0 {
		c.ProtoReflect().SetUnknown(unknown)
	}
	return c
}

// logsAt reports whether the core's lines at level l are written.
func (c *Core) logsAt(l logrus.Level) bool { return c.log.Logger.IsLevelEnabled(l) }

// withField is l.WithField(k, v), or l itself when nothing the core logs
// would be written.
func (c *Core) withField(l *logrus.Entry, k string, v any) *logrus.Entry {
	if !c.logsAt(logrus.ErrorLevel) {
		return l
	}
	return l.WithField(k, v)
}

func (c *Core) logFor(fid, eid, tid string) *logrus.Entry {
	if !c.logsAt(logrus.ErrorLevel) {
		// Nothing the core logs would be written: skip building fields.
		return c.log
	}
	f := logrus.Fields{"agent_id": c.info.GetId().GetValue()}
	if fid != "" {
		f["framework_id"] = fid
	}
	if eid != "" {
		f["executor_id"] = eid
	}
	if tid != "" {
		f["task_id"] = tid
	}
	return c.log.WithFields(f)
}

func (c *Core) runTask(from actors.PID, m *mesosinternal.RunTaskMessage) {
	task := m.GetTask()
	fid := m.GetFramework().GetId().GetValue()
	if fid == "" {
		fid = m.GetFrameworkId().GetValue()
	}
	tid := task.GetTaskId().GetValue()
	log := c.logFor(fid, "", tid)
	if from != c.leader() || c.leader().IsZero() {
		log.WithFields(notMaster(from, c.leader())).Warn("ignoring run task message: not from the expected master")
		return
	}
	if c.state == terminating {
		log.Warn("ignoring run task message: the agent is terminating")
		return
	}
	if fid == "" || tid == "" || m.GetFramework() == nil {
		log.Warn("ignoring run task message without a framework, framework id or task id")
		return
	}
	if sid := task.GetSlaveId().GetValue(); sid != c.info.GetId().GetValue() {
		log.WithField("for_agent_id", sid).Warn("ignoring run task message for another agent")
		return
	}
	log.Info("got assigned task")

	schedPID := parsePIDOrZero(m.GetPid())
	f := c.frameworks[fid]
	info := m.GetFramework()
	if f != nil && (info == f.infoFrom || proto.Equal(f.info, info)) {
		// The same info again (a message is not changed once sent, so
		// the same one is the same): keep the one the agent has.
		info = f.info
	} else {
		info = proto.Clone(info).(*mesos.FrameworkInfo)
		if info.Id == nil {
			info.Id = &mesos.FrameworkID{Value: proto.String(fid)}
		}
	}
	if f == nil {
		f = newFramework(info, schedPID)
		f.infoFrom = m.GetFramework()
		c.frameworks[fid] = f
		c.frameworkOrder = append(c.frameworkOrder, fid)
	} else if f.state == frameworkRunning {
		f.setInfo(info, m.GetFramework())
		if !schedPID.IsZero() {
			f.pid = schedPID
		}
	}
	if f.state == frameworkTerminating {
		log.Warn("ignoring run task message: the framework is terminating")
		return
	}
	if f.pending[tid] != nil || f.executorOf(tid) != nil {
		log.Warn("ignoring run task message for a task the agent already has")
		return
	}

	hasCommand, hasExecutor := task.GetCommand() != nil, task.GetExecutor() != nil
	if hasCommand == hasExecutor {
		// The master validates this; answer bad input all the same.
		c.sendDropped(f, []*mesos.TaskInfo{task}, "", mesos.TaskStatus_REASON_TASK_INVALID,
			"Task must have exactly one of 'command' and 'executor'")
		c.removeFrameworkIfIdle(f)
		return
	}

	execInfo, commandTask := c.executorInfoFor(f, task)
	// The agent keeps the TaskInfo as received: nobody writes into a
	// message once it is sent, and the agent does not either.
	p := &pendingTask{task: task, executorInfo: execInfo, commandTask: commandTask}
	if m.LaunchExecutor != nil {
		p.launchExecutor = proto.Bool(m.GetLaunchExecutor())
	}
	f.addPending(tid, p)
	key := launchKey{fid, execInfo.GetExecutorId().GetValue()}
	q := c.launchQueues[key]
	if q == nil {
		if c.launchQueues == nil {
			c.launchQueues = map[launchKey]*launchQueue{}
		}
		q = &launchQueue{}
		c.launchQueues[key] = q
	}
	q.push(p)
	c.startLaunches(key, q)
}

func (c *Core) runTaskGroup(from actors.PID, m *mesosinternal.RunTaskGroupMessage) {
	fid := m.GetFramework().GetId().GetValue()
	if from != c.leader() || c.leader().IsZero() {
		c.logFor(fid, "", "").WithFields(notMaster(from, c.leader())).Warn("ignoring run task group message: not from the expected master")
		return
	}
	if c.state == terminating || fid == "" {
		return
	}
	f := c.frameworks[fid]
	created := false
	if f == nil {
		f = newFramework(proto.Clone(m.GetFramework()).(*mesos.FrameworkInfo), actors.PID{})
		c.frameworks[fid] = f
		c.frameworkOrder = append(c.frameworkOrder, fid)
		created = true
	}
	if f.state == frameworkTerminating {
		return
	}
	c.logFor(fid, m.GetExecutor().GetExecutorId().GetValue(), "").Warn("dropping a task group: task groups are not supported yet (no default executor)")
	c.sendDropped(f, m.GetTaskGroup().GetTasks(), m.GetExecutor().GetExecutorId().GetValue(),
		mesos.TaskStatus_REASON_TASK_GROUP_INVALID, "Task groups are not supported by this agent yet")
	if m.GetLaunchExecutor() {
		c.sendExitedExecutor(fid, m.GetExecutor().GetExecutorId().GetValue(), -1)
	}
	if created {
		c.removeFrameworkIfIdle(f)
	}
}

// startLaunches starts the launch step of the first waiting task of an
// executor: the shell makes the framework's sandbox folder (PrepareSandbox)
// and the task continues in SandboxPrepared.
func (c *Core) startLaunches(key launchKey, q *launchQueue) {
	if q.busy || len(q.waiting) == 0 {
		return
	}
	q.busy = true
	c.out.Add(PrepareSandbox{
		FrameworkID: key.frameworkID,
		ExecutorID:  key.executorID,
		Dir:         c.frameworkDir(key.frameworkID),
	})
}

// SandboxPrepared is the result of PrepareSandbox: the launch of the
// executor's first waiting task goes on.
func (c *Core) SandboxPrepared(now time.Time, p PrepareSandbox, err error) []effect.Effect {
	c.now = now
	key := launchKey{p.FrameworkID, p.ExecutorID}
	q := c.launchQueues[key]
	if q == nil || !q.busy || len(q.waiting) == 0 {
		c.log.WithFields(logrus.Fields{"framework_id": p.FrameworkID, "executor_id": p.ExecutorID}).
			Debug("ignoring a sandbox result nobody waits for")
		return c.out.Take()
	}
	first := q.waiting[0]
	q.waiting[0] = nil
	q.waiting = q.waiting[1:]
	q.busy = false
	if len(q.waiting) == 0 {
		delete(c.launchQueues, key)
		if len(c.launchQueues) == 0 {
			c.launchQueues = nil
		}
	}
	c.launch(key.frameworkID, first, err)
	if len(q.waiting) > 0 {
		c.startLaunches(key, q)
	}
	return c.out.Take()
}

// frameworkDir is the framework's sandbox folder; the last one made is
// kept, as launches come in runs of one framework's tasks.
func (c *Core) frameworkDir(fid string) string {
	sid := c.ID()
	if d := &c.lastFrameworkDir; d.dir == "" || d.sid != sid || d.fid != fid {
		d.sid, d.fid, d.dir = sid, fid, c.ckpt.FrameworkSandbox(sid, fid)
	}
	return c.lastFrameworkDir.dir
}

// executorRunDir is the run's sandbox (Paths.Sandbox).
func (c *Core) executorRunDir(fid, eid, cid string) string {
	return checkpoint.JoinClean(c.frameworkDir(fid), "executors", eid, "runs", cid)
}

// sandbox is e's run's sandbox folder, made anew on each call.
func (c *Core) sandbox(e *executor) string {
	if e.rare != nil && e.rare.sandbox != "" {
		return e.rare.sandbox
	}
	if e.sid != c.ID() {
		return c.ckpt.Sandbox(e.sid, e.frameworkID(), e.id, e.containerID)
	}
	return c.executorRunDir(e.frameworkID(), e.id, e.containerID)
}

// launch hands a pending task to its executor (Mesos' __run).
func (c *Core) launch(fid string, p *pendingTask, prepErr error) {
	task := p.task
	tid := task.GetTaskId().GetValue()
	eid := p.executorInfo.GetExecutorId().GetValue()
	log := c.logFor(fid, eid, tid)
	launchExecutor := p.launchExecutor != nil && *p.launchExecutor

	f := c.frameworks[fid]
	if f == nil {
		log.Warn("ignoring running task: the framework does not exist")
		if launchExecutor {
			c.sendExitedExecutor(fid, eid, -1)
		}
		return
	}
	if f.state == frameworkTerminating {
		log.Warn("ignoring running task: the framework is terminating")
		f.dropPending(tid)
		c.removeFrameworkIfIdle(f)
		if launchExecutor {
			c.sendExitedExecutor(fid, eid, -1)
		}
		return
	}
	if f.pending[tid] != p {
		log.Warn("ignoring running task: it was killed in the meantime")
		if launchExecutor {
			c.sendExitedExecutor(fid, eid, -1)
		}
		return
	}
	f.dropPending(tid)

	if c.state == terminating {
		log.Warn("ignoring running task: the agent is terminating")
		c.removeFrameworkIfIdle(f)
		return
	}
	if prepErr != nil {
		c.sendDropped(f, []*mesos.TaskInfo{task}, eid, mesos.TaskStatus_REASON_EXECUTOR_TERMINATED,
			fmt.Sprintf("Failed to create the framework's sandbox: %v", prepErr))
		c.removeFrameworkIfIdle(f)
		if launchExecutor {
			c.sendExitedExecutor(fid, eid, -1)
		}
		return
	}

	e := f.executor(eid)
	if p.launchExecutor != nil {
		if p.commandTask {
			if e != nil {
				c.sendDropped(f, []*mesos.TaskInfo{task}, eid, mesos.TaskStatus_REASON_TASK_INVALID,
					"Cannot reuse an already existing executor for a command task")
				return
			}
		} else {
			if launchExecutor && e != nil {
				c.sendDropped(f, []*mesos.TaskInfo{task}, eid, mesos.TaskStatus_REASON_EXECUTOR_TERMINATED,
					"Master wants to launch executor, but one already exists")
				if e.state == executorTerminated {
					c.sendExitedExecutor(fid, eid, -1)
				} else {
					c.doShutdownExecutor(f, e)
				}
				return
			}
			if !launchExecutor && e == nil {
				c.sendDropped(f, []*mesos.TaskInfo{task}, eid, mesos.TaskStatus_REASON_EXECUTOR_TERMINATED,
					"No executor is expected to launch and there is none running")
				c.removeFrameworkIfIdle(f)
				return
			}
		}
	} else if p.commandTask && e != nil {
		c.sendDropped(f, []*mesos.TaskInfo{task}, eid, mesos.TaskStatus_REASON_TASK_INVALID,
			"Cannot reuse an already existing executor for a command task")
		return
	}

	if e == nil {
		e = c.addExecutor(f, p)
		c.launchExecutor(f, e, task)
	}

	switch e.state {
	case executorTerminating, executorTerminated:
		word := "terminating"
		if e.state == executorTerminated {
			word = "terminated"
		}
		log.WithField("executor_state", word).Warn("asked to run a task on an executor that is not running")
		c.sendDropped(f, []*mesos.TaskInfo{task}, "", mesos.TaskStatus_REASON_EXECUTOR_TERMINATED, "Executor "+word)
	case executorRegistering:
		e.enqueue(task)
		c.checkpointTask(f, e, task)
		log.Info("queued task for executor")
	case executorRunning:
		e.enqueue(task)
		c.checkpointTask(f, e, task)
		log.Info("queued task for executor")
		c.updateContainerThenSend(f, e, []*mesos.TaskInfo{task})
	}
}

// executorInfoFor returns the task's executor, synthesising the command
// executor for command tasks (Mesos' getExecutorInfo).
func (c *Core) executorInfoFor(f *framework, t *mesos.TaskInfo) (*mesos.ExecutorInfo, bool) {
	if t.GetExecutor() != nil {
		e := proto.Clone(t.GetExecutor()).(*mesos.ExecutorInfo)
		if e.FrameworkId == nil {
			e.FrameworkId = &mesos.FrameworkID{Value: proto.String(f.id)}
		}
		return e, false
	}
	// The parts shared with the task, the framework and other command
	// executors are read only, and so are those made here. The id and
	// the source are the task's id (runTask checked it is set).
	p := &commandExecutorParts{name: commandExecutorTitle(t)}
	p.executorID.Value = t.GetTaskId().Value
	e := &p.info
	e.ExecutorId, e.FrameworkId, e.Name, e.Source = &p.executorID, f.idMsg, &p.name, t.GetTaskId().Value
	e.Container, e.Labels, e.Discovery = t.GetContainer(), t.GetLabels(), t.GetDiscovery()
	e.Command = c.commandExecutorCommand(t.GetCommand())
	if gp := t.GetKillPolicy().GetGracePeriod(); gp != nil && gp.Nanoseconds != nil {
		grace := time.Duration(gp.GetNanoseconds()) + maxReapInterval + time.Second
		e.ShutdownGracePeriod = &mesos.DurationInfo{Nanoseconds: proto.Int64(int64(grace))}
	}
	role := ""
	for _, r := range t.GetResources() {
		if r.GetAllocationInfo() != nil {
			role = r.GetAllocationInfo().GetRole()
			break
		}
	}
	e.Resources = c.executorOverhead(role)
	return e, true
}

// commandExecutorParts is a command executor's info and the parts made
// for it, in one allocation: they live as long as each other.
type commandExecutorParts struct {
	info       mesos.ExecutorInfo
	executorID mesos.ExecutorID
	name       string
}

// commandExecutorCommand is the command executor's command for a task
// whose command is cmd. Every task whose command has no uris, environment
// or user gets the same one (read only).
func (c *Core) commandExecutorCommand(cmd *mesos.CommandInfo) *mesos.CommandInfo {
	plain := cmd == nil || len(cmd.Uris) == 0 && cmd.Environment == nil && cmd.User == nil
	if plain && c.plainCommand != nil {
		return c.plainCommand
	}
	x := &mesos.CommandInfo{}
	if real := c.deps.CommandExecutor; real != "" {
		if c.realExecutor == nil {
			c.realExecutor = proto.String(real)
			c.realExecutorArgs = []string{commandExecutorName, "--launcher_dir=" + c.cfg.LauncherDir}
		}
		x.Shell, x.Value, x.Arguments = shellOff, c.realExecutor, c.realExecutorArgs
	} else {
		if c.missingExecutor == nil {
			path := filepath.Join(c.cfg.LauncherDir, commandExecutorName)
			c.missingExecutor = proto.String(fmt.Sprintf("echo '%s: No such file or directory'; exit 1", strings.ReplaceAll(path, "'", "")))
		}
		x.Shell, x.Value = shellOn, c.missingExecutor
	}
	if plain {
		c.plainCommand = x
		return x
	}
	x.Uris, x.Environment = cmd.GetUris(), cmd.GetEnvironment()
	if cmd.User != nil {
		x.User = proto.String(cmd.GetUser())
	}
	return x
}

// The command executors' shell flags, shared, read only.
var shellOn, shellOff = proto.Bool(true), proto.Bool(false)

// executorOverhead is the command executor's own resources, allocated to
// role if it is not empty. Resources are never changed in place, so every
// command executor of a role shares one, in every core of the process.
func (c *Core) executorOverhead(role string) resources.Resources {
	if r, ok := overheads.Load(role); ok {
		return r.(resources.Resources)
	}
	r := resources.MustParse(fmt.Sprintf("cpus:%g;mem:%d", defaultExecutorCPUs, defaultExecutorMem))
	if role != "" {
		r = r.Allocate(role)
	}
	got, _ := overheads.LoadOrStore(role, r)
	return got.(resources.Resources)
}

// overheads holds executorOverhead's answers by role (read only).
var overheads sync.Map

// commandExecutorTitle is a command executor's name, "Command Executor
// (Task: …) (Command: …)" (Mesos' wording), each form made in one
// concatenation.
func commandExecutorTitle(t *mesos.TaskInfo) string {
	const prefix = "Command Executor (Task: "
	tid := t.GetTaskId().GetValue()
	cmd := t.GetCommand()
	if cmd.Shell == nil || cmd.GetShell() {
		if cmd.Value == nil {
			return prefix + tid + ") (Command: NO COMMAND)"
		}
		v := cmd.GetValue()
		if len(v) > 15 {
			return prefix + tid + ") (Command: sh -c '" + v[:12] + "...')"
		}
		return prefix + tid + ") (Command: sh -c '" + v + "')"
	}
	if cmd.Value == nil {
		return prefix + tid + ") (Command: NO EXECUTABLE)"
	}
	args := cmd.GetValue() + ", " + strings.Join(cmd.GetArguments(), ", ")
	if len(args) > 15 {
		return prefix + tid + ") (Command: [" + args[:12] + "...])"
	}
	return prefix + tid + ") (Command: [" + args + "])"
}

func (c *Core) addExecutor(f *framework, p *pendingTask) *executor {
	cid := c.deps.ContainerIDs()
	eid := p.executorInfo.GetExecutorId().GetValue()
	e := newExecutor(f, p.executorInfo, p.commandTask, cid, c.ID())
	e.state = executorRegistering
	f.addExecutor(e)
	c.contain(e)
	c.checkpointFramework(f)
	c.checkpointExecutor(f, e)
	if c.logsAt(logrus.InfoLevel) {
		c.logFor(f.id, eid, "").WithFields(logrus.Fields{
			"container_id": cid, "resources": resources.Resources(e.info.GetResources()).String(), "directory": c.sandbox(e),
		}).Info("launching executor")
	}
	return e
}

// launchExecutor asks the containerizer to start the executor (off the
// mailbox) and arms the registration timeout.
func (c *Core) launchExecutor(f *framework, e *executor, task *mesos.TaskInfo) {
	dir := c.sandbox(e)
	cfg := containerizer.LaunchConfig{
		Directory:  dir,
		User:       executorUser(f, e.info),
		PIDFile:    c.forkedPIDFile(f, e),
		Checkpoint: f.checkpoint,
	}
	if e.commandTask {
		cfg.TaskInfo = task // read only, as the agent keeps it
	}
	l := &LaunchContainer{ContainerID: e.containerID, FrameworkID: f.id, ExecutorID: e.id, Config: cfg, info: e.info, task: task, env: c.executorEnv(f, e, dir)}
	if e.commandTask && c.cfg.CommandExecutor == CommandExecutorAgent {
		e.hosted = true
		c.checkpointHosted(f, e)
		// The executor's own trace file is not the task's.
		l.env.trace, l.env.tracePayloads = false, false
		l.Hosted = &HostedExecutor{Task: proto.Clone(task).(*mesos.TaskInfo), Framework: proto.Clone(f.info).(*mesos.FrameworkInfo)}
	}
	c.launchWaiting = append(c.launchWaiting, l)
	c.startWaitingLaunches()
}

// Complete is l's Config with the parts the core leaves to the shell (a
// simulated container needs none of them): the executor's info with its
// task's resources added (running the task's command if the agent hosts
// the executor), those resources, and the environment.
func (l *LaunchContainer) Complete() containerizer.LaunchConfig {
	cfg := l.Config
	// A copy of the executor's info's fields, whose parts are read only.
	info := copyExecutorInfo(l.info)
	total := resources.Resources(l.info.GetResources()).Add(resources.Resources(l.task.GetResources()))
	info.Resources = total
	cfg.ExecutorInfo, cfg.Resources = info, total
	if l.Hosted != nil {
		hostCommand(&cfg, l.task)
	}
	cfg.Env = l.env.Map()
	return cfg
}

// executorUser is the user an executor runs as: its command's, else its
// framework's.
func executorUser(f *framework, info *mesos.ExecutorInfo) string {
	if cmd := info.GetCommand(); cmd != nil && cmd.User != nil {
		return cmd.GetUser()
	}
	return f.info.GetUser()
}

// copyExecutorInfo returns a new ExecutorInfo with e's fields, sharing
// their values (which nobody changes in place). A field added to
// ExecutorInfo must be added here (a test checks).
func copyExecutorInfo(e *mesos.ExecutorInfo) *mesos.ExecutorInfo {
	c := &mesos.ExecutorInfo{
		ExecutorId:          e.ExecutorId,
		Data:                e.Data,
		Resources:           e.Resources,
		Command:             e.Command,
		FrameworkId:         e.FrameworkId,
		Name:                e.Name,
		Source:              e.Source,
		Container:           e.Container,
		Discovery:           e.Discovery,
		ShutdownGracePeriod: e.ShutdownGracePeriod,
		Labels:              e.Labels,
		Type:                e.Type,
	}
	if unknown := e.ProtoReflect().GetUnknown(); len(unknown) > 0 {
		c.ProtoReflect().SetUnknown(unknown)
	}
	return c
}

// hostCommand makes the container of a hosted command executor run the
// task's command itself, in the environment the command executor would
// have given it.
func hostCommand(cfg *containerizer.LaunchConfig, task *mesos.TaskInfo) {
	info := cfg.ExecutorInfo
	cmd := proto.Clone(task.GetCommand()).(*mesos.CommandInfo)
	if cmd == nil {
		cmd = &mesos.CommandInfo{}
	}
	if cmd.User == nil && info.GetCommand().User != nil {
		cmd.User = proto.String(info.GetCommand().GetUser())
	}
	info.Command = cmd
}

// startWaitingLaunches starts the waiting launches, in order, while fewer
// than MaxLaunchesInFlight executors are starting; each one's
// registration timeout counts from here.
func (c *Core) startWaitingLaunches() {
	for len(c.launchWaiting) > 0 && (c.cfg.MaxLaunchesInFlight <= 0 || c.launching < c.cfg.MaxLaunchesInFlight) {
		l := c.launchWaiting[0]
		c.launchWaiting = c.launchWaiting[1:]
		var e *executor
		if f := c.frameworks[l.FrameworkID]; f != nil {
			e = f.executor(l.ExecutorID)
		}
		if e == nil || e.containerID != l.ContainerID || !e.contained {
			continue
		}
		e.launchedContainer = true
		e.inFlight = true
		c.launching++
		c.out.Add(*l)
		c.out.StartTimer(executorRegistrationKey(l.ContainerID), c.cfg.ExecutorRegistrationTimeout)
	}
	if len(c.launchWaiting) == 0 {
		c.launchWaiting = nil
	}
}

// launchSettled frees the launch slot of e's container: its executor
// registered or ended.
func (c *Core) launchSettled(e *executor) {
	if e.inFlight {
		e.inFlight = false
		c.launching--
		c.startWaitingLaunches()
	}
}

// dropWaitingLaunch takes a launch that has not started off the queue;
// false if it is not waiting.
func (c *Core) dropWaitingLaunch(cid string) bool {
	for i, l := range c.launchWaiting {
		if l.ContainerID == cid {
			c.launchWaiting = append(c.launchWaiting[:i:i], c.launchWaiting[i+1:]...)
			return true
		}
	}
	return false
}

// executorEnv is the executor's environment (Mesos' executorEnvironment),
// as the parts its map is made of (executorVars.Map); dir is its sandbox.
func (c *Core) executorEnv(f *framework, e *executor, dir string) executorVars {
	env := executorVars{
		base:        c.executorEnvBase(),
		frameworkID: f.id,
		executorID:  e.id,
		directory:   dir,
		agentID:     c.info.GetId().GetValue(),
		grace:       c.graceText(c.shutdownGrace(e)),
		checkpoint:  f.checkpoint,
	}
	if c.cfg.TraceExecutors {
		env.trace = true
		env.tracePayloads = c.cfg.TraceExecutorPayloads
	}
	return env
}

// executorVars is an executor's environment before it is made into a map:
// the agent's part, shared and read only, and the executor's own values.
type executorVars struct {
	base                                        map[string]string
	frameworkID, executorID, directory, agentID string
	grace                                       string
	checkpoint, trace, tracePayloads            bool
}

// Map is the environment as a new map.
func (env executorVars) Map() map[string]string {
	// Room for the keys below (a map's room goes by powers of two).
	m := make(map[string]string, len(env.base)+8)
	for k, v := range env.base {
		m[k] = v
	}
	m["MESOS_FRAMEWORK_ID"] = env.frameworkID
	m["MESOS_EXECUTOR_ID"] = env.executorID
	m["MESOS_DIRECTORY"] = env.directory
	m["MESOS_SLAVE_ID"] = env.agentID
	m["MESOS_CHECKPOINT"] = "0"
	if env.checkpoint {
		m["MESOS_CHECKPOINT"] = "1"
	}
	m["MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"] = env.grace
	if env.checkpoint {
		m["MESOS_RECOVERY_TIMEOUT"] = recoveryTimeoutText
		m["MESOS_SUBSCRIPTION_BACKOFF_MAX"] = subscriptionBackoffMaxText
	}
	if env.trace {
		m[tracing.EnvTraceFile] = filepath.Join(env.directory, tracing.ExecutorTraceFileName)
		if env.tracePayloads {
			m[tracing.EnvTracePayloads] = "1"
		}
	}
	return m
}

// graceText is d as the executor's environment gives it; the agent's
// default grace period's text is made once.
func (c *Core) graceText(d time.Duration) string {
	if d != c.cfg.ExecutorShutdownGracePeriod {
		return protocol.FormatDuration(d)
	}
	if c.graceTextOf != d || c.defaultGraceText == "" {
		c.graceTextOf, c.defaultGraceText = d, protocol.FormatDuration(d)
	}
	return c.defaultGraceText
}

// The executor environment's fixed durations.
var (
	recoveryTimeoutText        = protocol.FormatDuration(15 * time.Minute)
	subscriptionBackoffMaxText = protocol.FormatDuration(2 * time.Second)
)

// executorEnvBase is the part of every executor's environment that
// depends only on the agent's configuration and address (made once).
func (c *Core) executorEnvBase() map[string]string {
	if c.envBase != nil {
		return c.envBase
	}
	env := map[string]string{"LIBPROCESS_IP": c.libprocessIP()}
	for k, v := range c.cfg.ExecutorEnvironment {
		env[k] = v
	}
	env["LIBPROCESS_PORT"] = "0"
	env["MESOS_SLAVE_PID"] = c.self.String()
	env["MESOS_AGENT_ENDPOINT"] = c.self.Address
	env["MESOS_HTTP_COMMAND_EXECUTOR"] = "0"
	// Message tracing: each executor writes a file of its own, so that no
	// two processes write one file.
	delete(env, tracing.EnvTraceFile)
	delete(env, tracing.EnvTracePayloads)
	c.envBase = env
	return env
}

func (c *Core) shutdownGrace(e *executor) time.Duration {
	if gp := e.info.GetShutdownGracePeriod(); gp != nil && gp.Nanoseconds != nil {
		return time.Duration(gp.GetNanoseconds())
	}
	return c.cfg.ExecutorShutdownGracePeriod
}

// ContainerLaunched is the result of LaunchContainer.
func (c *Core) ContainerLaunched(now time.Time, cid string, err error) []effect.Effect {
	c.now = now
	ref := c.containers[cid]
	if ref == nil {
		c.log.WithField("container_id", cid).Debug("ignoring the launch result of an unknown container")
		return c.out.Take()
	}
	// Wait in every case: a failed launch also ends in a termination.
	c.out.Add(WaitContainer{ContainerID: cid})
	c.stats.containerLaunched(err)
	c.executorLaunched(ref, cid, err)
	return c.out.Take()
}

// ContainerExited is the result of WaitContainer: the container ended as
// t says, or waiting for it failed (err).
func (c *Core) ContainerExited(now time.Time, cid string, t *containerizer.Termination, err error) []effect.Effect {
	c.now = now
	c.containerEnded(cid, t, err)
	return c.out.Take()
}

func (c *Core) containerEnded(cid string, t *containerizer.Termination, err error) {
	ref := c.containers[cid]
	if ref == nil {
		c.log.WithField("container_id", cid).Debug("ignoring the end of an unknown container")
		return
	}
	c.uncontain(ref)
	c.launchSettled(ref)
	c.out.CancelTimer(executorRegistrationKey(cid))
	if ref.shutdownArmed {
		c.out.CancelTimer(executorShutdownKey(cid))
	}
	if f, e := ref.live(); f != nil {
		// A recovered executor that ended before it reregistered.
		if e != nil && e.recovered && e.state == executorRegistering && e.pendingTermination() == nil {
			e.more().pendingTermination = c.reregistrationTermination(f)
		}
		// The executor's last updates may still be on their way: its
		// link's Exited comes after every message it sent, so wait for
		// that (or for its tasks to end), bounded, before failing them.
		if e != nil && e.containerID == cid && e.state != executorTerminated && e.exit() == nil &&
			e.linked && !e.peerExited && c.state != terminating && f.state != frameworkTerminating && e.unfinishedLaunched() {
			c.logFor(f.id, e.id, "").WithField("container_id", cid).
				Info("container ended; waiting for the executor's last messages")
			e.more().exit = &containerExit{termination: t, err: err}
			if e.state == executorRegistering || e.state == executorRunning {
				e.state = executorTerminating // nothing new goes to it
			}
			if c.exiting == nil {
				c.exiting = map[string]*executor{}
			}
			c.exiting[cid] = ref
			c.out.StartTimer(executorExitKey(cid), executorExitWait)
			return
		}
	}
	c.executorTerminated(ref.frameworkID(), ref.id, cid, t, err)
	c.cleanupIfDone()
}

// finishExit ends an executor whose container's end was held back
// (ContainerExited): its link's Exited came, its tasks ended, the bound
// ran out, or the agent or framework is going away.
func (c *Core) finishExit(cid string) {
	ref := c.exiting[cid]
	if ref == nil {
		return
	}
	delete(c.exiting, cid)
	if len(c.exiting) == 0 {
		c.exiting = nil
	}
	c.out.CancelTimer(executorExitKey(cid))
	var x containerExit
	if _, e := ref.live(); e != nil && e.exit() != nil {
		x, e.rare.exit = *e.rare.exit, nil
	}
	c.executorTerminated(ref.frameworkID(), ref.id, cid, x.termination, x.err)
	c.cleanupIfDone()
}

// executorExitTimeout: the executor's Exited did not come in time; its
// unfinished tasks fail.
func (c *Core) executorExitTimeout(cid string) {
	if ref := c.exiting[cid]; ref != nil {
		c.logFor(ref.frameworkID(), ref.id, "").WithFields(logrus.Fields{"container_id": cid, "timeout": protocol.FormatDuration(executorExitWait)}).
			Warn("no word from the ended executor in time; failing its unfinished tasks")
	}
	c.finishExit(cid)
}

// executorPeerExited handles the Exited of a linked executor: once its
// container has ended too, the executor is done.
func (c *Core) executorPeerExited(pid actors.PID) bool {
	// A walk over the executors' records: a map by pid would cost more
	// memory per executor than this costs time.
	exited := c.linkedTo(pid)
	for _, e := range exited {
		e.peerExited = true
		if e.exit() != nil {
			c.finishExit(e.containerID)
		}
	}
	return len(exited) > 0
}

// link records that the agent linked e's process, pid (it registered).
func (c *Core) link(e *executor, pid actors.PID) {
	e.pid = pid
	e.linked, e.peerExited = true, false
	c.out.Link(pid)
}

// linkedTo lists the live executors linked to pid, in the order of their
// frameworks and their creation.
func (c *Core) linkedTo(pid actors.PID) []*executor {
	var out []*executor
	for _, fid := range c.frameworkOrder {
		if f := c.frameworks[fid]; f != nil {
			for _, e := range f.executors {
				if e.linked && e.pid == pid {
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// exitSettled ends a held-back executor once none of its tasks can get
// an update from it any more.
func (c *Core) exitSettled(e *executor) {
	if e != nil && e.exit() != nil && !e.unfinishedLaunched() {
		c.finishExit(e.containerID)
	}
}

// ContainerDestroyed is the result of DestroyContainer; the container's
// end itself arrives through ContainerExited.
func (c *Core) ContainerDestroyed(now time.Time, cid string, err error) []effect.Effect {
	c.now = now
	ref := c.containers[cid]
	if err != nil {
		c.log.WithField("container_id", cid).WithError(err).Error("failed to destroy container")
		if ref != nil {
			ref.destroying = false // a later destroy tries again
		}
	}
	return c.out.Take()
}

// ContainerUpdated is the result of UpdateContainer. Queued tasks named in
// u go to the executor once the container has grown; a result for a
// container that is unknown or being destroyed is ignored, since its tasks
// are accounted for when it ends.
func (c *Core) ContainerUpdated(now time.Time, u UpdateContainer, err error) []effect.Effect {
	c.now = now
	log := c.withField(c.log, "container_id", u.ContainerID)
	ref := c.containers[u.ContainerID]
	if ref == nil || ref.destroying {
		log.Debug("ignoring the update result of an unknown or destroyed container")
		return c.out.Take()
	}
	if len(u.Tasks) == 0 {
		if err != nil {
			log.WithError(err).Warn("failed to update resources of container")
		}
		return c.out.Take()
	}
	c.sendQueued(ref, u.Tasks, err)
	return c.out.Take()
}

func (c *Core) executorLaunched(ref *executor, cid string, err error) {
	fid, eid := ref.frameworkID(), ref.id
	log := c.withField(c.logFor(fid, eid, ""), "container_id", cid)
	f, e := ref.live()
	if f == nil {
		f = c.frameworks[fid]
	}
	if err != nil {
		log.WithError(err).Error("container failed to start")
		c.destroyContainer(cid)
		if e != nil {
			e.more().pendingTermination = &containerizer.Termination{
				State:   mesos.TaskState_TASK_FAILED.Enum(),
				Reason:  mesos.TaskStatus_REASON_CONTAINER_LAUNCH_FAILED.Enum(),
				Message: "Failed to launch container: " + err.Error(),
			}
		}
		return
	}
	switch {
	case f == nil:
		log.Warn("killing executor: its framework is gone")
		c.destroyContainer(cid)
	case f.state == frameworkTerminating:
		log.Warn("killing executor: the framework is terminating")
		c.destroyContainer(cid)
	case e == nil:
		log.Warn("killing unknown executor")
		c.destroyContainer(cid)
	case e.state == executorTerminating:
		log.Warn("killing executor: it is terminating")
		c.destroyContainer(cid)
	default:
		log.Info("container started")
	}
}

// destroyContainer asks the shell to destroy a container (once); its end
// arrives through the pending WaitContainer.
func (c *Core) destroyContainer(cid string) {
	ref := c.containers[cid]
	if ref == nil || ref.destroying {
		return
	}
	ref.destroying = true
	if c.dropWaitingLaunch(cid) {
		// Never started: it ends here.
		c.containerEnded(cid, &containerizer.Termination{Message: "Executor destroyed before its launch"}, nil)
		return
	}
	c.out.Add(DestroyContainer{ContainerID: cid})
}

// destroying reports whether e's container is being destroyed (or gone).
func destroying(e *executor) bool {
	return !e.contained || e.destroying
}

func (c *Core) registerExecutorTimeout(cid string) {
	ref := c.containers[cid]
	if ref == nil {
		return
	}
	fid, eid := ref.frameworkID(), ref.id
	f := c.frameworks[fid]
	if f == nil || f.state == frameworkTerminating {
		return
	}
	e := f.executor(eid)
	if e == nil || e.containerID != cid || e.state != executorRegistering {
		return
	}
	c.logFor(fid, eid, "").WithFields(logrus.Fields{"container_id": cid, "timeout": protocol.FormatDuration(c.cfg.ExecutorRegistrationTimeout)}).
		Info("terminating executor: it did not register in time")
	c.destroyContainer(cid)
	e.state = executorTerminating
	e.more().pendingTermination = &containerizer.Termination{
		State:   mesos.TaskState_TASK_FAILED.Enum(),
		Reason:  mesos.TaskStatus_REASON_EXECUTOR_REGISTRATION_TIMEOUT.Enum(),
		Message: "Executor did not register within " + protocol.FormatDuration(c.cfg.ExecutorRegistrationTimeout),
	}
}

func (c *Core) registerExecutor(from actors.PID, m *mesosinternal.RegisterExecutorMessage) {
	fid, eid := m.GetFrameworkId().GetValue(), m.GetExecutorId().GetValue()
	log := c.logFor(fid, eid, "")
	if c.logsAt(logrus.InfoLevel) {
		log.WithField("from", from.String()).Info("got executor registration")
	}
	shutdown := func(why string) {
		log.WithField("why", why).Warn("shutting down registering executor")
		c.out.Send(from, &mesosinternal.ShutdownExecutorMessage{
			ExecutorId: m.GetExecutorId(), FrameworkId: m.GetFrameworkId(),
		})
	}
	if c.state == terminating {
		shutdown("the agent is terminating")
		return
	}
	f := c.frameworks[fid]
	if f == nil {
		shutdown("the framework does not exist")
		return
	}
	if f.state == frameworkTerminating {
		shutdown("the framework is terminating")
		return
	}
	e := f.executor(eid)
	if e == nil {
		shutdown("the executor is unknown")
		return
	}
	if e.state != executorRegistering {
		shutdown("it is in unexpected state " + e.state.String())
		return
	}
	e.state = executorRunning
	c.link(e, from)
	c.launchSettled(e)
	c.checkpointExecutorPID(f, e)
	if !e.everSent && len(e.queued) == 0 {
		log.Warn("shutting down registering executor: it has no tasks to run")
		c.doShutdownExecutor(f, e)
		return
	}
	c.out.Send(from, &mesosinternal.ExecutorRegisteredMessage{
		// The agent's, the executor's and the framework's infos and ids
		// are replaced, never changed in place, so the message may share
		// them.
		ExecutorInfo:  e.info,
		FrameworkId:   f.idMsg,
		FrameworkInfo: f.info,
		SlaveId:       c.info.GetId(),
		SlaveInfo:     c.info,
	})
	c.updateContainerThenSend(f, e, e.queued)
}

// updateContainerThenSend gives the container its new resources
// (UpdateContainer) and then sends the queued tasks to the executor
// (Mesos' ___run). Nothing is sent into a container being destroyed: its
// queued tasks end with it.
// Only the tasks' ids are read, before anything changes: tasks may be
// e.queued itself.
func (c *Core) updateContainerThenSend(f *framework, e *executor, tasks []*mesos.TaskInfo) {
	if destroying(e) {
		return
	}
	ids := make([]string, len(tasks))
	for i, t := range tasks {
		ids[i] = t.GetTaskId().GetValue()
	}
	if e.hosted {
		// Its container started with the task's resources: nothing to
		// update, and the task's command may have ended already.
		c.sendQueued(e, ids, nil)
		return
	}
	c.out.Add(UpdateContainer{ContainerID: e.containerID, Resources: e.allocated(), Tasks: ids})
}

// sendQueued sends e the queued tasks named in tasks, now that its
// container was updated (or failed to be: updateErr); nothing goes to an
// executor that ended or whose framework is terminating.
func (c *Core) sendQueued(e *executor, tasks []string, updateErr error) {
	f := e.fw
	if f == nil || f.state == frameworkTerminating {
		return
	}
	fid, eid, cid := f.id, e.id, e.containerID
	log := c.logFor(fid, eid, "")
	if updateErr != nil {
		log.WithField("container_id", cid).WithError(updateErr).Error("failed to update resources of container; destroying it")
		c.destroyContainer(cid)
		state := mesos.TaskState_TASK_LOST
		if f.partitionAware() {
			state = mesos.TaskState_TASK_GONE
		}
		e.more().pendingTermination = &containerizer.Termination{
			State:   state.Enum(),
			Reason:  mesos.TaskStatus_REASON_CONTAINER_UPDATE_FAILED.Enum(),
			Message: "Failed to update resources for container: " + updateErr.Error(),
		}
		return
	}
	if e.state != executorRunning {
		log.WithField("executor_state", e.state.String()).Warn("not sending queued tasks: the executor is not running")
		return
	}
	for _, tid := range tasks {
		if e.queuedIndex(tid) < 0 {
			log.WithField("task_id", tid).Warn("not sending queued task: it was killed")
			continue
		}
		info := e.dequeue(tid)
		e.addLaunched(info)
		if c.logsAt(logrus.InfoLevel) {
			log.WithField("task_id", tid).Info("sending queued task to executor")
		}
		msg := &mesosinternal.RunTaskMessage{
			// f.info is replaced, never changed in place; info and the
			// ids are read only.
			Framework:   f.info,
			FrameworkId: f.idMsg,
			Task:        info,
			Pid:         f.pidText(),
		}
		c.out.Send(e.pid, msg)
	}
}

// executorTerminated handles the end of an executor's container.
func (c *Core) executorTerminated(fid, eid, cid string, t *containerizer.Termination, werr error) {
	status := int32(-1)
	if werr == nil && t != nil && t.Status != nil {
		status = *t.Status
	}
	log := c.withField(c.logFor(fid, eid, ""), "container_id", cid)
	if werr != nil {
		log.WithError(werr).Error("waiting for the executor's end failed")
	} else if c.logsAt(logrus.InfoLevel) {
		log.WithField("status", status).Info("executor terminated")
	}
	f := c.frameworks[fid]
	if f == nil {
		return
	}
	e := f.executor(eid)
	if e == nil || e.containerID != cid || e.state == executorTerminated {
		return
	}
	e.state = executorTerminated
	c.checkpointSentinel(f, e)
	if werr == nil {
		c.releaseHeld(e, t)
	} else {
		c.releaseHeld(e, nil)
	}
	if f.state != frameworkTerminating {
		for _, task := range e.launchedTasks() {
			if !protocol.IsTerminal(task.GetState()) {
				c.sendExecutorTerminatedUpdate(f, e, task.GetTaskId().GetValue(), t, werr)
			}
		}
		for _, q := range append([]*mesos.TaskInfo(nil), e.queued...) {
			c.sendExecutorTerminatedUpdate(f, e, q.GetTaskId().GetValue(), t, werr)
		}
	} else {
		for _, task := range e.launchedTasks() {
			e.setTerminated(task, false)
		}
	}
	if !e.commandTask {
		c.sendExitedExecutor(fid, eid, status)
	}
	if c.state == terminating || f.state == frameworkTerminating || !e.incompleteTasks() {
		c.removeExecutor(f, e)
	}
	c.removeFrameworkIfIdle(f)
}

func (c *Core) sendExecutorTerminatedUpdate(f *framework, e *executor, tid string, t *containerizer.Termination, werr error) {
	state := mesos.TaskState_TASK_FAILED
	reason := mesos.TaskStatus_REASON_EXECUTOR_TERMINATED
	have := werr == nil && t != nil
	pt := e.pendingTermination()
	switch {
	case have && t.State != nil:
		state = *t.State
	case pt != nil && pt.State != nil:
		state = *pt.State
	}
	switch {
	case have && t.Reason != nil:
		reason = *t.Reason
	case pt != nil && pt.Reason != nil:
		reason = *pt.Reason
	}
	var msgs []string
	if pt != nil && pt.Message != "" {
		msgs = append(msgs, pt.Message)
	}
	if werr != nil {
		msgs = append(msgs, "Abnormal executor termination: "+werr.Error())
	} else if t == nil {
		msgs = append(msgs, "Abnormal executor termination: unknown container")
	} else if t.Message != "" {
		msgs = append(msgs, t.Message)
	}
	message := "Executor terminated"
	if len(msgs) > 0 {
		message = strings.Join(msgs, "; ")
	}
	u := c.newUpdate(f.id, tid, e.id, state, reason, message)
	if have && len(t.LimitedResources) > 0 {
		u.Status.Limitation = &mesos.TaskResourceLimitation{Resources: t.LimitedResources}
	}
	c.statusUpdate(u, actors.PID{})
}

func (c *Core) sendExitedExecutor(fid, eid string, status int32) {
	if c.leader().IsZero() || c.info.GetId() == nil {
		return
	}
	c.out.Send(c.leader(), &mesosinternal.ExitedExecutorMessage{
		SlaveId:     proto.Clone(c.info.GetId()).(*mesos.SlaveID),
		FrameworkId: &mesos.FrameworkID{Value: proto.String(fid)},
		ExecutorId:  &mesos.ExecutorID{Value: proto.String(eid)},
		Status:      proto.Int32(status),
	})
}

// --- kill and shutdown ---

func (c *Core) killTask(from actors.PID, m *mesosinternal.KillTaskMessage) {
	fid, tid := m.GetFrameworkId().GetValue(), m.GetTaskId().GetValue()
	log := c.logFor(fid, "", tid)
	if from != c.leader() || c.leader().IsZero() {
		log.WithFields(notMaster(from, c.leader())).Warn("ignoring kill task message: not from the expected master")
		return
	}
	log.Info("asked to kill task")
	if c.state == terminating {
		log.Warn("cannot kill task: the agent is terminating")
		return
	}
	f := c.frameworks[fid]
	if f == nil {
		log.Warn("ignoring kill task: no such framework is running")
		return
	}
	if f.state == frameworkTerminating {
		log.Warn("ignoring kill task: the framework is terminating")
		return
	}
	if p := f.pending[tid]; p != nil {
		log.Warn("killing task before it was launched")
		u := c.newUpdate(fid, tid, p.executorInfo.GetExecutorId().GetValue(), mesos.TaskState_TASK_KILLED,
			mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH, "Killed before delivery to the executor")
		c.statusUpdate(u, actors.PID{})
		return
	}
	e := f.executorOf(tid)
	if e == nil {
		log.Warn("cannot kill task: no executor of it is running")
		state := mesos.TaskState_TASK_LOST
		if f.partitionAware() {
			state = mesos.TaskState_TASK_DROPPED
		}
		c.statusUpdate(c.newUpdate(fid, tid, "", state, mesos.TaskStatus_REASON_EXECUTOR_TERMINATED, "Cannot find executor"), actors.PID{})
		return
	}
	switch e.state {
	case executorRegistering:
		log.WithField("executor_id", e.id).Warn("killing task: its executor is not registered")
		c.statusUpdate(c.newUpdate(fid, tid, e.id, mesos.TaskState_TASK_KILLED,
			mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH, "Killed before delivery to the executor"), actors.PID{})
		if !e.launchedContainer && !e.everSent && len(e.queued) == 0 {
			// Its launch is still waiting and it has nothing left to run.
			c.doShutdownExecutor(f, e)
		}
	case executorTerminating, executorTerminated:
		log.WithFields(logrus.Fields{"executor_id": e.id, "executor_state": e.state.String()}).Warn("ignoring kill task: its executor is not running")
	case executorRunning:
		if e.queuedIndex(tid) >= 0 {
			c.statusUpdate(c.newUpdate(fid, tid, e.id, mesos.TaskState_TASK_KILLED,
				mesos.TaskStatus_REASON_TASK_KILLED_DURING_LAUNCH, "Killed before delivery to the executor"), actors.PID{})
			if !e.everSent && len(e.queued) == 0 {
				log.WithField("executor_id", e.id).Warn("shutting down executor: it was never sent a task and its queued tasks were killed")
				c.doShutdownExecutor(f, e)
			}
			return
		}
		msg := &mesosinternal.KillTaskMessage{FrameworkId: m.GetFrameworkId(), TaskId: m.GetTaskId(), KillPolicy: m.GetKillPolicy()}
		c.out.Send(e.pid, msg)
	}
}

func (c *Core) shutdownFramework(from actors.PID, m *mesosinternal.ShutdownFrameworkMessage) {
	fid := m.GetFrameworkId().GetValue()
	if from != c.leader() || c.leader().IsZero() {
		c.logFor(fid, "", "").WithFields(notMaster(from, c.leader())).Warn("ignoring shutdown framework message: not from the registered master")
		return
	}
	if c.state != running {
		c.logFor(fid, "", "").Warn("ignoring shutdown framework message: the agent is not registered")
		return
	}
	c.doShutdownFramework(fid)
}

func (c *Core) doShutdownFramework(fid string) {
	f := c.frameworks[fid]
	if f == nil || f.state == frameworkTerminating {
		return
	}
	c.logFor(fid, "", "").Info("shutting down framework")
	f.state = frameworkTerminating
	// Nothing it sends can be acknowledged any more.
	c.tsum.Cleanup(fid)
	for _, e := range append([]*executor(nil), f.executors...) {
		if e.fw != f {
			continue // gone meanwhile
		}
		switch e.state {
		case executorRegistering, executorRunning:
			c.doShutdownExecutor(f, e)
		case executorTerminating:
			if e.exit() != nil { // its updates would be dropped anyway
				c.finishExit(e.containerID)
			}
		case executorTerminated:
			c.removeExecutor(f, e)
		}
	}
	c.removeFrameworkIfIdle(f)
}

func (c *Core) shutdownExecutor(from actors.PID, m *mesosinternal.ShutdownExecutorMessage) {
	fid, eid := m.GetFrameworkId().GetValue(), m.GetExecutorId().GetValue()
	log := c.logFor(fid, eid, "")
	if from != c.leader() || c.leader().IsZero() {
		log.WithFields(notMaster(from, c.leader())).Warn("ignoring shutdown executor message: not from the registered master")
		return
	}
	log.WithField("from", from.String()).Info("asked to shut down executor")
	if c.state != running {
		log.Warn("ignoring shutdown executor message: the agent is not registered")
		return
	}
	f := c.frameworks[fid]
	if f == nil {
		log.Warn("cannot shut down executor of an unknown framework")
		return
	}
	if f.state == frameworkTerminating {
		log.Warn("ignoring shutdown executor: the framework is terminating")
		return
	}
	e := f.executor(eid)
	if e == nil {
		log.Warn("ignoring shutdown of an unknown executor")
		return
	}
	if e.state == executorTerminating || e.state == executorTerminated {
		log.WithField("executor_state", e.state.String()).Warn("ignoring shutdown executor: it is already ending")
		return
	}
	c.doShutdownExecutor(f, e)
}

// doShutdownExecutor asks the executor to shut down and destroys its
// container after the grace period (Mesos' _shutdownExecutor).
func (c *Core) doShutdownExecutor(f *framework, e *executor) {
	if e.state != executorRegistering && e.state != executorRunning {
		return
	}
	c.logFor(f.id, e.id, "").Info("shutting down executor")
	e.state = executorTerminating
	if !e.launchedContainer && !e.recovered {
		c.destroyContainer(e.containerID) // not started yet: it ends now
		return
	}
	if !e.pid.IsZero() {
		c.out.Send(e.pid, &mesosinternal.ShutdownExecutorMessage{
			ExecutorId:  &mesos.ExecutorID{Value: proto.String(e.id)},
			FrameworkId: &mesos.FrameworkID{Value: proto.String(f.id)},
		})
	}
	if e.contained {
		e.shutdownArmed = true
	}
	c.out.StartTimer(executorShutdownKey(e.containerID), c.shutdownGrace(e))
}

// shutdownGraceOver kills an executor that did not exit within its grace
// period.
func (c *Core) shutdownGraceOver(cid string) {
	ref := c.containers[cid]
	if ref == nil {
		return
	}
	f := c.frameworks[ref.frameworkID()]
	if f == nil {
		return
	}
	e := f.executor(ref.id)
	if e == nil || e.containerID != cid || e.state != executorTerminating {
		return
	}
	c.logFor(f.id, e.id, "").Info("killing executor after its shutdown grace period")
	c.destroyContainer(cid)
}

func (c *Core) removeExecutor(f *framework, e *executor) {
	c.logFor(f.id, e.id, "").Info("cleaning up executor")
	delete(c.held, e)
	c.forgetExecutor(f, e)
	f.destroyExecutor(e.id)
}

func (c *Core) removeFrameworkIfIdle(f *framework) {
	if f == nil || !f.idle() || c.frameworks[f.id] != f {
		return
	}
	c.logFor(f.id, "", "").Info("cleaning up framework")
	c.forgetFramework(f)
	delete(c.frameworks, f.id)
	for i, id := range c.frameworkOrder {
		if id == f.id {
			c.frameworkOrder = append(c.frameworkOrder[:i:i], c.frameworkOrder[i+1:]...)
			break
		}
	}
	c.completedFrameworks = append(c.completedFrameworks, f)
	if len(c.completedFrameworks) > maxCompletedFrameworks {
		c.completedFrameworks = c.completedFrameworks[1:]
	}
}

// sendDropped reports tasks that never reached an executor as
// TASK_DROPPED (partition-aware frameworks) or TASK_LOST.
func (c *Core) sendDropped(f *framework, tasks []*mesos.TaskInfo, eid string, reason mesos.TaskStatus_Reason, message string) {
	state := mesos.TaskState_TASK_LOST
	if f.partitionAware() {
		state = mesos.TaskState_TASK_DROPPED
	}
	for _, t := range tasks {
		c.statusUpdate(c.newUpdate(f.id, t.GetTaskId().GetValue(), eid, state, reason, message), actors.PID{})
	}
}

// --- framework messages ---

func (c *Core) updateFramework(from actors.PID, m *mesosinternal.UpdateFrameworkMessage) {
	fid := m.GetFrameworkId().GetValue()
	log := c.logFor(fid, "", "")
	if c.state != running {
		log.WithField("state", c.state.String()).Warn("dropping update framework message: the agent is not registered")
		return
	}
	f := c.frameworks[fid]
	if f == nil {
		log.Info("ignoring info update for a framework the agent does not have")
		return
	}
	if f.state == frameworkTerminating {
		log.Warn("ignoring info update: the framework is terminating")
		return
	}
	if m.GetFrameworkInfo() != nil {
		f.setInfo(proto.Clone(m.GetFrameworkInfo()).(*mesos.FrameworkInfo), nil)
	}
	f.pid = parsePIDOrZero(m.GetPid())
	log.WithField("scheduler", pidOrNone(f.pid)).Info("updating framework info")
	if len(f.executors) > 0 {
		c.checkpointFramework(f)
	}
	c.resumeUpdates()
}

func (c *Core) frameworkToExecutor(from actors.PID, m *mesosinternal.FrameworkToExecutorMessage) {
	fid, eid := m.GetFrameworkId().GetValue(), m.GetExecutorId().GetValue()
	log := c.logFor(fid, eid, "")
	if c.state != running {
		log.WithField("state", c.state.String()).Warn("dropping framework message: the agent is not registered")
		return
	}
	f := c.frameworks[fid]
	if f == nil || f.state == frameworkTerminating {
		log.Warn("dropping framework message: the framework does not exist or is terminating")
		return
	}
	e := f.executor(eid)
	if e == nil {
		log.Warn("dropping framework message: the executor does not exist")
		return
	}
	if e.state != executorRunning {
		log.WithField("executor_state", e.state.String()).Warn("dropping framework message: the executor is not running")
		return
	}
	c.out.Send(e.pid, m)
}

func (c *Core) executorToFramework(from actors.PID, m *mesosinternal.ExecutorToFrameworkMessage) {
	fid, eid := m.GetFrameworkId().GetValue(), m.GetExecutorId().GetValue()
	log := c.logFor(fid, eid, "")
	if c.state != running {
		log.WithField("state", c.state.String()).Warn("dropping executor message: the agent is not registered")
		return
	}
	f := c.frameworks[fid]
	if f == nil || f.state == frameworkTerminating {
		log.Warn("dropping executor message: the framework does not exist or is terminating")
		return
	}
	msg := &mesosinternal.ExecutorToFrameworkMessage{
		SlaveId:     proto.Clone(c.info.GetId()).(*mesos.SlaveID),
		FrameworkId: m.GetFrameworkId(),
		ExecutorId:  m.GetExecutorId(),
		Data:        m.GetData(),
	}
	if msg.Data == nil {
		msg.Data = []byte{}
	}
	if !f.pid.IsZero() {
		c.out.Send(f.pid, msg)
	} else {
		c.out.Send(c.leader(), msg)
	}
}

func parsePIDOrZero(s string) actors.PID {
	if s == "" {
		return actors.PID{}
	}
	p, err := actors.ParsePID(s)
	if err != nil {
		return actors.PID{}
	}
	return p
}

func sortedPending(f *framework) []*pendingTask {
	ids := make([]string, 0, len(f.pending))
	for id := range f.pending {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]*pendingTask, 0, len(ids))
	for _, id := range ids {
		out = append(out, f.pending[id])
	}
	return out
}
