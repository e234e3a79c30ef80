package sim

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// LaunchContainer asks the simulated containerizer to run a task; it
// answers with ContainerStarted and then ContainerExited on the agent.
type LaunchContainer struct {
	Container string
}

// DestroyContainer asks the simulated containerizer to kill a container.
type DestroyContainer struct {
	Container string
}

// ContainerOutcome is how a simulated container ends.
type ContainerOutcome int

// The outcomes of a container.
const (
	ContainerFinished ContainerOutcome = iota
	ContainerFailed
	ContainerKilled
)

// pingTimeout is how long an agent waits for a ping before it asks the
// master whether it is still registered (the master's 15s x 5).
const pingTimeout = 75 * time.Second

type aTask struct {
	fid       string
	info      *mesos.TaskInfo
	state     mesos.TaskState
	container string
	stream    []*mesosinternal.StatusUpdate // unacknowledged, oldest first
}

// standInAgent is the stand-in agent core: registration with retries,
// pings, tasks in simulated containers and reliable, ordered status updates
// per task.
type standInAgent struct {
	effect.Outbox
	pid, master actors.PID
	hostname    string
	boot        int
	total       resources.Resources
	uuids       protocol.UUIDs
	id          string
	tasks       map[string]*aTask // by container id
	byTask      map[taskKey]*aTask
	nextCont    int
	retry       time.Duration
}

func newStandInAgent(pid, master actors.PID, hostname string, boot int, total resources.Resources, uuids protocol.UUIDs) *standInAgent {
	return &standInAgent{
		pid: pid, master: master, hostname: hostname, boot: boot, total: total, uuids: uuids,
		tasks: map[string]*aTask{}, byTask: map[taskKey]*aTask{}, retry: 10 * time.Second,
	}
}

func (a *standInAgent) start(time.Time) []effect.Effect {
	a.register()
	return a.Take()
}

func (a *standInAgent) register() {
	a.Send(a.master, a.registration())
	a.StartTimer("register", 2*time.Second)
}

// agentVersion is the Mesos version the stand-in agent reports.
const agentVersion = "1.11.0"

func (a *standInAgent) registration() *mesosinternal.RegisterSlaveMessage {
	return &mesosinternal.RegisterSlaveMessage{
		Slave: &mesos.SlaveInfo{
			Hostname:  proto.String(fmt.Sprintf("%s-boot%d", a.hostname, a.boot)),
			Resources: a.total,
		},
		Version: proto.String(agentVersion),
	}
}

func (a *standInAgent) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	if from != a.master {
		return nil
	}
	switch msg := msg.(type) {
	case *mesosinternal.SlaveRegisteredMessage:
		if a.id == "" {
			a.id = msg.GetSlaveId().GetValue()
			a.CancelTimer("register")
			a.Link(a.master)
			a.StartTimer("pings", pingTimeout)
		}
	case *mesosinternal.PingSlaveMessage:
		a.Send(a.master, &mesosinternal.PongSlaveMessage{})
		if a.id != "" {
			a.StartTimer("pings", pingTimeout)
		}
	case *mesosinternal.RunTaskMessage:
		a.run(msg)
	case *mesosinternal.KillTaskMessage:
		if t := a.byTask[taskKey{msg.GetFrameworkId().GetValue(), msg.GetTaskId().GetValue()}]; t != nil && !protocol.IsTerminal(t.state) {
			a.Add(DestroyContainer{Container: t.container})
		}
	case *mesosinternal.StatusUpdateAcknowledgementMessage:
		a.ack(msg)
	case *mesosinternal.ShutdownMessage:
		// Removed by the master: kill everything and come back as a new agent.
		a.CancelTimer("pings")
		for _, t := range a.sortedTasks() {
			if !protocol.IsTerminal(t.state) {
				a.Add(DestroyContainer{Container: t.container})
			}
			a.CancelTimer("retry/" + t.container)
		}
		a.tasks, a.byTask = map[string]*aTask{}, map[taskKey]*aTask{}
		a.id = ""
		a.boot++
		a.Unlink(a.master)
		a.register()
	}
	return a.Take()
}

func (a *standInAgent) sortedTasks() []*aTask {
	out := make([]*aTask, 0, len(a.tasks))
	for i := 1; i <= a.nextCont; i++ {
		if t := a.tasks[containerID(i)]; t != nil {
			out = append(out, t)
		}
	}
	return out
}

func containerID(i int) string { return fmt.Sprintf("c-%d", i) }

func (a *standInAgent) run(msg *mesosinternal.RunTaskMessage) {
	info := msg.GetTask()
	fid := msg.GetFramework().GetId().GetValue()
	k := taskKey{fid, info.GetTaskId().GetValue()}
	if a.id == "" || info.GetSlaveId().GetValue() != a.id || a.byTask[k] != nil {
		return
	}
	a.nextCont++
	t := &aTask{fid: fid, info: info, state: mesos.TaskState_TASK_STAGING, container: containerID(a.nextCont)}
	a.tasks[t.container] = t
	a.byTask[k] = t
	a.Add(LaunchContainer{Container: t.container})
}

// ContainerStarted is the containerizer's word that a task runs.
func (a *standInAgent) ContainerStarted(now time.Time, container string) []effect.Effect {
	if t := a.tasks[container]; t != nil && t.state == mesos.TaskState_TASK_STAGING {
		a.update(now, t, mesos.TaskState_TASK_RUNNING, mesos.TaskStatus_SOURCE_EXECUTOR, nil)
	}
	return a.Take()
}

// ContainerExited is the containerizer's word that a task's container ended.
func (a *standInAgent) ContainerExited(now time.Time, container string, how ContainerOutcome) []effect.Effect {
	t := a.tasks[container]
	if t == nil || protocol.IsTerminal(t.state) {
		return nil
	}
	switch how {
	case ContainerFinished:
		a.update(now, t, mesos.TaskState_TASK_FINISHED, mesos.TaskStatus_SOURCE_EXECUTOR, nil)
	case ContainerFailed:
		a.update(now, t, mesos.TaskState_TASK_FAILED, mesos.TaskStatus_SOURCE_EXECUTOR, nil)
	case ContainerKilled:
		a.update(now, t, mesos.TaskState_TASK_KILLED, mesos.TaskStatus_SOURCE_SLAVE, nil)
	}
	return a.Take()
}

func (a *standInAgent) update(now time.Time, t *aTask, state mesos.TaskState, src mesos.TaskStatus_Source, reason *mesos.TaskStatus_Reason) {
	t.state = state
	u := a.uuids.NewUUID()
	up := &mesosinternal.StatusUpdate{
		FrameworkId: &mesos.FrameworkID{Value: proto.String(t.fid)},
		SlaveId:     &mesos.SlaveID{Value: proto.String(a.id)},
		Status: &mesos.TaskStatus{
			TaskId: t.info.GetTaskId(), State: state.Enum(), Source: src.Enum(), Reason: reason,
			SlaveId: &mesos.SlaveID{Value: proto.String(a.id)}, Uuid: u.Bytes(),
		},
		Timestamp: proto.Float64(float64(now.UnixNano()) / 1e9),
		Uuid:      u.Bytes(),
	}
	t.stream = append(t.stream, up)
	if len(t.stream) == 1 {
		a.forward(t)
	}
}

func (a *standInAgent) forward(t *aTask) {
	a.Send(a.master, &mesosinternal.StatusUpdateMessage{Update: t.stream[0], Pid: proto.String(a.pid.String())})
	a.StartTimer("retry/"+t.container, a.retry)
}

func (a *standInAgent) ack(msg *mesosinternal.StatusUpdateAcknowledgementMessage) {
	t := a.byTask[taskKey{msg.GetFrameworkId().GetValue(), msg.GetTaskId().GetValue()}]
	if t == nil || len(t.stream) == 0 || string(t.stream[0].GetUuid()) != string(msg.GetUuid()) {
		return // a duplicate or stale acknowledgement
	}
	t.stream = t.stream[1:]
	if len(t.stream) > 0 {
		a.forward(t)
		return
	}
	a.CancelTimer("retry/" + t.container)
	if protocol.IsTerminal(t.state) {
		delete(a.tasks, t.container)
		delete(a.byTask, taskKey{t.fid, t.info.GetTaskId().GetValue()})
	}
}

func (a *standInAgent) Timer(now time.Time, key string) []effect.Effect {
	switch {
	case key == "register":
		if a.id == "" {
			a.register()
		}
	case key == "pings":
		// No ping for the master's whole ping timeout: say who we are
		// again; a master that removed us answers with ShutdownMessage.
		a.Send(a.master, a.registration())
		a.StartTimer("pings", pingTimeout)
	case len(key) > 6 && key[:6] == "retry/":
		if t := a.tasks[key[6:]]; t != nil && len(t.stream) > 0 {
			a.forward(t)
		}
	}
	return a.Take()
}

func (a *standInAgent) Exited(time.Time, actors.PID) []effect.Effect { return nil }

// running counts the agent's tasks that are not terminal.
func (a *standInAgent) running(fid, tid string) bool {
	t := a.byTask[taskKey{fid, tid}]
	return t != nil && !protocol.IsTerminal(t.state)
}
