package sim

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// The stand-in master, agent and framework below speak Mesos' messages
// with the least behaviour a run needs. They stand in for master.Core,
// slave.Core and schedulerdriver.Core until those land; the engine, the
// invariants and the binary do not depend on them.

// MasterTimes are the stand-in master's intervals.
type MasterTimes struct {
	Allocation time.Duration // allocation interval
	Ping       time.Duration // agent ping interval
	MaxMissed  int           // pings an agent may miss before removal
	Offer      time.Duration // offer timeout (0: never)
}

// DefaultMasterTimes are Mesos' defaults, with a 30s offer timeout.
var DefaultMasterTimes = MasterTimes{Allocation: time.Second, Ping: 15 * time.Second, MaxMissed: 5, Offer: 30 * time.Second}

type mAgent struct {
	id       string
	pid      actors.PID
	hostname string
	total    resources.Resources
	ponged   bool
	missed   int
	tasks    []*mTask
}

type mFramework struct {
	id     string
	pid    actors.PID
	active bool
}

type mOffer struct {
	id, fid, aid string
	res          resources.Resources
}

type mTask struct {
	fid, tid, aid string
	res           resources.Resources
	state         mesos.TaskState
}

type taskKey struct{ fid, tid string }

// standInMaster is the stand-in master core over the real allocator core.
type standInMaster struct {
	effect.Outbox
	pid   actors.PID
	times MasterTimes
	alloc *allocator.Core

	nextFw, nextAgent, nextOffer int
	frameworks                   map[string]*mFramework
	fwByPID                      map[actors.PID]*mFramework
	agents                       map[string]*mAgent
	agentByPID                   map[actors.PID]*mAgent
	removed                      map[actors.PID]string // removed agents' PIDs, to their hostnames
	offers                       map[string]*mOffer
	tasks                        map[taskKey]*mTask
	fwIDs                        []string // every framework, in order
	completed                    int
}

func newStandInMaster(pid actors.PID, times MasterTimes, seed uint64) *standInMaster {
	return &standInMaster{
		pid:        pid,
		times:      times,
		alloc:      allocator.NewCore(allocator.Options{AllocationInterval: times.Allocation, Seed: seed + 1}),
		frameworks: map[string]*mFramework{},
		fwByPID:    map[actors.PID]*mFramework{},
		agents:     map[string]*mAgent{},
		agentByPID: map[actors.PID]*mAgent{},
		removed:    map[actors.PID]string{},
		offers:     map[string]*mOffer{},
		tasks:      map[taskKey]*mTask{},
	}
}

func (m *standInMaster) start(time.Time) []effect.Effect {
	m.StartTimer("allocate", m.times.Allocation)
	return m.Take()
}

func (m *standInMaster) info() *mesos.MasterInfo {
	return &mesos.MasterInfo{Id: proto.String("master"), Ip: proto.Uint32(0x7f000001), Port: proto.Uint32(5050), Pid: proto.String(m.pid.String())}
}

func (m *standInMaster) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	if host, gone := m.removed[from]; gone && m.agentByPID[from] == nil {
		// A removed agent is told to shut down, unless it comes back as
		// a new one (a new boot registers under a new hostname).
		if reg, ok := msg.(*mesosinternal.RegisterSlaveMessage); !ok || reg.GetSlave().GetHostname() == host {
			m.Send(from, &mesosinternal.ShutdownMessage{Message: proto.String("agent removed")})
			return m.Take()
		}
	}
	switch msg := msg.(type) {
	case *mesosinternal.RegisterFrameworkMessage:
		m.registerFramework(from, msg.GetFramework(), false)
	case *mesosinternal.ReregisterFrameworkMessage:
		m.registerFramework(from, msg.GetFramework(), true)
	case *mesosinternal.RegisterSlaveMessage:
		m.registerAgent(now, from, msg.GetSlave())
	case *mesosinternal.PongSlaveMessage:
		if a := m.agentByPID[from]; a != nil {
			a.ponged = true
			a.missed = 0
		}
	case *mesosinternal.LaunchTasksMessage:
		m.launch(now, from, msg)
	case *mesosinternal.StatusUpdateMessage:
		m.statusUpdate(now, from, msg)
	case *mesosinternal.StatusUpdateAcknowledgementMessage:
		if f := m.fwByPID[from]; f != nil && f.id == msg.GetFrameworkId().GetValue() {
			if a := m.agents[msg.GetSlaveId().GetValue()]; a != nil {
				m.Send(a.pid, msg)
			}
		}
	case *mesosinternal.KillTaskMessage:
		m.kill(from, msg)
	case *mesosinternal.ReconcileTasksMessage:
		m.reconcile(from, msg)
	}
	return m.Take()
}

func (m *standInMaster) registerFramework(from actors.PID, info *mesos.FrameworkInfo, re bool) {
	if info == nil {
		return
	}
	if f := m.fwByPID[from]; f != nil && !re {
		m.Send(from, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: &mesos.FrameworkID{Value: proto.String(f.id)}, MasterInfo: m.info()})
		return
	}
	id := info.GetId().GetValue()
	f := m.frameworks[id]
	if f == nil {
		if id == "" {
			m.nextFw++
			id = fmt.Sprintf("fw-%d", m.nextFw)
		}
		info = proto.Clone(info).(*mesos.FrameworkInfo)
		info.Id = &mesos.FrameworkID{Value: proto.String(id)}
		f = &mFramework{id: id}
		m.frameworks[id] = f
		m.fwIDs = append(m.fwIDs, id)
		m.alloc.AddFramework(id, info, nil, true, allocator.FrameworkOptions{})
	} else if !f.active {
		m.alloc.ActivateFramework(id)
	}
	delete(m.fwByPID, f.pid)
	f.pid, f.active = from, true
	m.fwByPID[from] = f
	m.Link(from)
	fid := &mesos.FrameworkID{Value: proto.String(id)}
	if re {
		m.Send(from, &mesosinternal.FrameworkReregisteredMessage{FrameworkId: fid, MasterInfo: m.info()})
	} else {
		m.Send(from, &mesosinternal.FrameworkRegisteredMessage{FrameworkId: fid, MasterInfo: m.info()})
	}
}

func (m *standInMaster) registerAgent(now time.Time, from actors.PID, info *mesos.SlaveInfo) {
	if info == nil {
		return
	}
	if a := m.agentByPID[from]; a != nil {
		if a.hostname == info.GetHostname() {
			m.Send(from, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(a.id)}})
			return
		}
		m.removeAgent(now, a, mesos.TaskStatus_REASON_SLAVE_RESTARTED)
	}
	delete(m.removed, from)
	m.nextAgent++
	a := &mAgent{id: fmt.Sprintf("agent-%d", m.nextAgent), pid: from, hostname: info.GetHostname(), total: resources.Resources(info.GetResources()).Clone(), ponged: true}
	m.agents[a.id] = a
	m.agentByPID[from] = a
	info = proto.Clone(info).(*mesos.SlaveInfo)
	info.Id = &mesos.SlaveID{Value: proto.String(a.id)}
	m.alloc.AddSlave(a.id, info, nil, a.total, nil)
	m.Link(from)
	m.Send(from, &mesosinternal.SlaveRegisteredMessage{SlaveId: info.Id})
	m.StartTimer("ping/"+a.id, m.times.Ping)
}

func (m *standInMaster) removeAgent(now time.Time, a *mAgent, reason mesos.TaskStatus_Reason) {
	for _, o := range m.sortedOffers(func(o *mOffer) bool { return o.aid == a.id }) {
		m.rescind(now, o)
	}
	for _, t := range a.tasks {
		if !protocol.IsTerminal(t.state) {
			t.state = mesos.TaskState_TASK_LOST
			m.masterUpdate(t.fid, t.tid, a.id, mesos.TaskState_TASK_LOST, reason)
			m.completed++
		}
		delete(m.tasks, taskKey{t.fid, t.tid})
	}
	m.alloc.RemoveSlave(a.id)
	delete(m.agents, a.id)
	delete(m.agentByPID, a.pid)
	m.removed[a.pid] = a.hostname
	m.CancelTimer("ping/" + a.id)
	m.Unlink(a.pid)
	for _, id := range m.fwIDs {
		if f := m.frameworks[id]; f.active {
			m.Send(f.pid, &mesosinternal.LostSlaveMessage{SlaveId: &mesos.SlaveID{Value: proto.String(a.id)}})
		}
	}
}

// masterUpdate sends a master-generated update (no uuid: not acknowledged).
func (m *standInMaster) masterUpdate(fid, tid, aid string, state mesos.TaskState, reason mesos.TaskStatus_Reason) {
	f := m.frameworks[fid]
	if f == nil || !f.active {
		return
	}
	st := &mesos.TaskStatus{
		TaskId: &mesos.TaskID{Value: proto.String(tid)},
		State:  state.Enum(),
		Source: mesos.TaskStatus_SOURCE_MASTER.Enum(),
		Reason: reason.Enum(),
	}
	if aid != "" {
		st.SlaveId = &mesos.SlaveID{Value: proto.String(aid)}
	}
	m.Send(f.pid, &mesosinternal.StatusUpdateMessage{Update: &mesosinternal.StatusUpdate{
		FrameworkId: &mesos.FrameworkID{Value: proto.String(fid)}, Status: st, Timestamp: proto.Float64(0),
	}})
}

func (m *standInMaster) sortedOffers(keep func(*mOffer) bool) []*mOffer {
	var out []*mOffer
	for _, o := range m.offers {
		if keep(o) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b *mOffer) int { return cmpOfferID(a.id, b.id) })
	return out
}

func cmpOfferID(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func (m *standInMaster) rescind(now time.Time, o *mOffer) {
	delete(m.offers, o.id)
	m.CancelTimer("offer/" + o.id)
	m.alloc.RecoverResources(now, o.fid, o.aid, o.res, nil)
	if f := m.frameworks[o.fid]; f != nil && f.active {
		m.Send(f.pid, &mesosinternal.RescindResourceOfferMessage{OfferId: &mesos.OfferID{Value: proto.String(o.id)}})
	}
}

func (m *standInMaster) launch(now time.Time, from actors.PID, msg *mesosinternal.LaunchTasksMessage) {
	f := m.fwByPID[from]
	if f == nil || f.id != msg.GetFrameworkId().GetValue() {
		return
	}
	var taken []*mOffer
	valid := true
	seen := map[string]bool{}
	for _, oid := range msg.GetOfferIds() {
		o := m.offers[oid.GetValue()]
		if o == nil || o.fid != f.id || seen[o.id] || (len(taken) > 0 && taken[0].aid != o.aid) {
			valid = false
			continue
		}
		seen[o.id] = true
		taken = append(taken, o)
	}
	var total resources.Resources
	for _, o := range taken {
		delete(m.offers, o.id)
		m.CancelTimer("offer/" + o.id)
		total = total.Add(o.res)
	}
	if !valid || len(taken) == 0 {
		for _, t := range msg.GetTasks() {
			m.masterUpdate(f.id, t.GetTaskId().GetValue(), "", mesos.TaskState_TASK_LOST, mesos.TaskStatus_REASON_INVALID_OFFERS)
		}
		if len(taken) > 0 {
			m.alloc.RecoverResources(now, f.id, taken[0].aid, total, nil)
		}
		return
	}
	a := m.agents[taken[0].aid]
	for _, t := range msg.GetTasks() {
		res := resources.Resources(t.GetResources())
		k := taskKey{f.id, t.GetTaskId().GetValue()}
		if _, dup := m.tasks[k]; dup || res.IsEmpty() || !total.Contains(res) || t.GetSlaveId().GetValue() != a.id {
			m.masterUpdate(f.id, k.tid, a.id, mesos.TaskState_TASK_ERROR, mesos.TaskStatus_REASON_TASK_INVALID)
			continue
		}
		total = total.Subtract(res)
		task := &mTask{fid: f.id, tid: k.tid, aid: a.id, res: res.Clone(), state: mesos.TaskState_TASK_STAGING}
		m.tasks[k] = task
		a.tasks = append(a.tasks, task)
		m.Send(a.pid, &mesosinternal.RunTaskMessage{
			FrameworkId: msg.GetFrameworkId(),
			Framework:   &mesos.FrameworkInfo{Id: msg.GetFrameworkId(), User: proto.String("sim"), Name: proto.String(f.id)},
			Pid:         proto.String(f.pid.String()),
			Task:        t,
		})
	}
	m.alloc.RecoverResources(now, f.id, a.id, total, msg.GetFilters())
}

func (m *standInMaster) statusUpdate(now time.Time, from actors.PID, msg *mesosinternal.StatusUpdateMessage) {
	a := m.agentByPID[from]
	up := msg.GetUpdate()
	if a == nil || up.GetSlaveId().GetValue() != a.id {
		return
	}
	k := taskKey{up.GetFrameworkId().GetValue(), up.GetStatus().GetTaskId().GetValue()}
	if t := m.tasks[k]; t != nil && t.aid == a.id {
		state := up.GetStatus().GetState()
		if protocol.IsTerminal(state) && !protocol.IsTerminal(t.state) {
			m.alloc.RecoverResources(now, t.fid, t.aid, t.res, nil)
			m.completed++
		}
		if !protocol.IsTerminal(t.state) {
			t.state = state
		}
		if protocol.IsTerminal(t.state) {
			delete(m.tasks, k)
			a.tasks = slices.DeleteFunc(a.tasks, func(x *mTask) bool { return x == t })
		}
	}
	if f := m.frameworks[k.fid]; f != nil && f.active {
		m.Send(f.pid, msg)
	}
}

// kill forwards a kill to the task's agent; an unknown task gets TASK_LOST
// as Mesos answers (a reconciliation answer).
func (m *standInMaster) kill(from actors.PID, msg *mesosinternal.KillTaskMessage) {
	f := m.fwByPID[from]
	if f == nil || f.id != msg.GetFrameworkId().GetValue() {
		return
	}
	t := m.tasks[taskKey{f.id, msg.GetTaskId().GetValue()}]
	if t == nil {
		m.masterUpdate(f.id, msg.GetTaskId().GetValue(), "", mesos.TaskState_TASK_LOST, mesos.TaskStatus_REASON_RECONCILIATION)
		return
	}
	if a := m.agents[t.aid]; a != nil {
		m.Send(a.pid, msg)
	}
}

func (m *standInMaster) reconcile(from actors.PID, msg *mesosinternal.ReconcileTasksMessage) {
	f := m.fwByPID[from]
	if f == nil || f.id != msg.GetFrameworkId().GetValue() {
		return
	}
	for _, st := range msg.GetStatuses() {
		k := taskKey{f.id, st.GetTaskId().GetValue()}
		if t := m.tasks[k]; t != nil {
			m.masterUpdate(f.id, k.tid, t.aid, t.state, mesos.TaskStatus_REASON_RECONCILIATION)
		} else {
			m.masterUpdate(f.id, k.tid, "", mesos.TaskState_TASK_LOST, mesos.TaskStatus_REASON_RECONCILIATION)
		}
	}
}

func (m *standInMaster) Timer(now time.Time, key string) []effect.Effect {
	switch {
	case key == "allocate":
		m.allocate(now)
		m.StartTimer("allocate", m.times.Allocation)
	case len(key) > 5 && key[:5] == "ping/":
		if a := m.agents[key[5:]]; a != nil {
			if !a.ponged {
				a.missed++
			}
			if a.missed >= m.times.MaxMissed {
				m.removeAgent(now, a, mesos.TaskStatus_REASON_SLAVE_REMOVED)
			} else {
				a.ponged = false
				m.Send(a.pid, &mesosinternal.PingSlaveMessage{Connected: proto.Bool(true)})
				m.StartTimer(key, m.times.Ping)
			}
		}
	case len(key) > 6 && key[:6] == "offer/":
		if o := m.offers[key[6:]]; o != nil {
			m.rescind(now, o)
		}
	}
	return m.Take()
}

func (m *standInMaster) allocate(now time.Time) {
	grants := m.alloc.Allocate(now, nil)
	for _, fid := range m.fwIDs {
		byRole, ok := grants[fid]
		f := m.frameworks[fid]
		if !ok || f == nil {
			continue
		}
		msg := &mesosinternal.ResourceOffersMessage{}
		roles := make([]string, 0, len(byRole))
		for r := range byRole {
			roles = append(roles, r)
		}
		slices.Sort(roles)
		for _, role := range roles {
			byAgent := byRole[role]
			aids := make([]string, 0, len(byAgent))
			for aid := range byAgent {
				aids = append(aids, aid)
			}
			slices.Sort(aids)
			for _, aid := range aids {
				res := byAgent[aid]
				a := m.agents[aid]
				if !f.active || a == nil {
					m.alloc.RecoverResources(now, fid, aid, res, nil)
					continue
				}
				m.nextOffer++
				o := &mOffer{id: fmt.Sprintf("o-%d", m.nextOffer), fid: fid, aid: aid, res: res}
				m.offers[o.id] = o
				if m.times.Offer > 0 {
					m.StartTimer("offer/"+o.id, m.times.Offer)
				}
				msg.Offers = append(msg.Offers, &mesos.Offer{
					Id:          &mesos.OfferID{Value: proto.String(o.id)},
					FrameworkId: &mesos.FrameworkID{Value: proto.String(fid)},
					SlaveId:     &mesos.SlaveID{Value: proto.String(aid)},
					Hostname:    proto.String(a.hostname),
					Resources:   res,
				})
				msg.Pids = append(msg.Pids, a.pid.String())
			}
		}
		if len(msg.Offers) > 0 {
			m.Send(f.pid, msg)
		}
	}
}

func (m *standInMaster) Exited(now time.Time, pid actors.PID) []effect.Effect {
	if f := m.fwByPID[pid]; f != nil && f.active {
		f.active = false
		m.alloc.DeactivateFramework(f.id)
		for _, o := range m.sortedOffers(func(o *mOffer) bool { return o.fid == f.id }) {
			m.rescind(now, o)
		}
	}
	return m.Take()
}
