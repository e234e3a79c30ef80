package tests

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/schedulerdriver"
	"github.com/gomesos/gomesos/sim"
)

// txFramework is a scheduler. Without a driver it sends only what the
// script tells it to, as raw messages, and remembers what it got; with
// one it is the real scheduler driver (schedulerdriver.Inline) under a
// scheduler that prints every callback.
type txFramework struct {
	c      *txCluster
	name   string
	info   *mesos.FrameworkInfo // what it subscribes with (no id)
	idOf   string               // subscribe with this framework's id (failover)
	driver *schedulerdriver.Inline
	pid    actors.PID
	seed   uint64

	checkpoint bool
	role       string
	// The raw framework's id, offers and updates (a driver framework's
	// offers only).
	sim.FrameworkBook
	// explicitAcks: the driver leaves acknowledgements to the script's ack.
	explicitAcks bool
	statuses     map[string]*mesos.TaskStatus // driver: by task, the latest delivered
}

func (c *txCluster) addFramework(args []sim.Arg, driver bool) error {
	if len(args) == 0 || args[0].Vals != nil {
		return fmt.Errorf("add-framework wants a name")
	}
	name := args[0].Key
	info := &mesos.FrameworkInfo{User: proto.String("sim"), Name: proto.String(name)}
	if sim.HasArg(args, "explicit-acks") && !driver {
		return fmt.Errorf("explicit-acks is an option of add-driver (a raw framework always acknowledges with ack)")
	}
	if sim.HasArg(args, "checkpoint") {
		info.Checkpoint = proto.Bool(true)
	}
	if sim.HasArg(args, "partition-aware") {
		info.Capabilities = append(info.Capabilities, &mesos.FrameworkInfo_Capability{Type: mesos.FrameworkInfo_Capability_PARTITION_AWARE.Enum()})
	}
	if v := sim.ArgVal(args, "failover_timeout"); v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("failover_timeout=%q: %w", v, err)
		}
		info.FailoverTimeout = proto.Float64(x)
	}
	role := "*"
	if v := sim.ArgVal(args, "role"); v != "" {
		role = v
		info.Role = proto.String(v)
	}
	if v := sim.ArgVal(args, "principal"); v != "" {
		info.Principal = proto.String(v)
	}
	c.nFw++
	pid := actors.PID{ID: "scheduler(1)", Address: fmt.Sprintf("127.0.1.%d:9000", c.nFw)}
	f := &txFramework{c: c, name: name, info: info, idOf: sim.ArgVal(args, "id-of"), checkpoint: info.GetCheckpoint(), role: role,
		FrameworkBook: sim.NewFrameworkBook(""), explicitAcks: sim.HasArg(args, "explicit-acks")}
	var custom func(*sim.Node, effect.Effect)
	if driver {
		f.pid, f.seed = pid, uint64(c.nFw)
		f.newDriver("")
		custom = f.driverEffect
	}
	_, err := c.s.Add(name, pid, f, custom)
	return err
}

// newDriver makes the framework's driver; with an id it fails over.
func (f *txFramework) newDriver(id string) {
	info := proto.Clone(f.info).(*mesos.FrameworkInfo)
	info.Hostname = proto.String("localhost")
	if id != "" {
		info.Id = sim.FrameworkID(id)
	}
	core := schedulerdriver.NewCore(schedulerdriver.CoreConfig{Framework: info, Self: f.pid, Rand: rand.New(rand.NewPCG(f.seed, 7)),
		ExplicitAcknowledgements: f.explicitAcks})
	f.driver = schedulerdriver.NewInline(core, &txScheduler{f: f})
	f.statuses = map[string]*mesos.TaskStatus{}
}

// restarted is the framework's new process: it remembers its id only.
func (f *txFramework) restarted() *txFramework {
	return &txFramework{c: f.c, name: f.name, info: f.info, checkpoint: f.checkpoint, role: f.role, FrameworkBook: sim.NewFrameworkBook(f.ID)}
}

func (f *txFramework) id() string {
	if f.driver != nil {
		return f.driver.Core().FrameworkID()
	}
	return f.ID
}

func (f *txFramework) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	if f.driver != nil {
		return f.driver.Receive(now, from, msg)
	}
	f.Observe(msg)
	return nil
}

func (f *txFramework) Timer(now time.Time, key string) []effect.Effect {
	if f.driver != nil {
		return f.driver.Timer(now, key)
	}
	return nil
}

func (f *txFramework) Exited(now time.Time, pid actors.PID) []effect.Effect {
	if f.driver != nil {
		return f.driver.Exited(now, pid)
	}
	return nil
}

// driverEffect carries out the driver's own effects: detection is a
// standalone detector's.
func (f *txFramework) driverEffect(n *sim.Node, e effect.Effect) {
	switch e.(type) {
	case schedulerdriver.Redetect:
		if info := f.c.masterInfo(); info != nil {
			d := f.driver
			n.Post(0, func(now time.Time) []effect.Effect { return d.Detected(now, info) })
		}
	case schedulerdriver.StopDetection, schedulerdriver.Terminate:
	default:
		f.c.s.Fail(fmt.Errorf("%s returned an effect the transcript harness cannot apply: %T", n.Name, e))
	}
}

// framework is the framework named name.
func (c *txCluster) framework(name string) (*txFramework, error) {
	if n := c.s.Named(name); n != nil {
		if f, ok := n.Core.(*txFramework); ok {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%s is not a framework", name)
}

// frameworkCommand runs a command a framework carries out.
func (c *txCluster) frameworkCommand(cmd string, args []sim.Arg) error {
	n, err := c.s.NamedNode(args)
	if err != nil {
		return err
	}
	f, ok := n.Core.(*txFramework)
	if !ok {
		return fmt.Errorf("%s is not a framework", n.Name)
	}
	if f.driver != nil {
		return f.driverCommand(n, cmd, args)
	}
	var msg proto.Message
	switch cmd {
	case "subscribe":
		info := proto.Clone(f.info).(*mesos.FrameworkInfo)
		id := f.ID
		if id == "" && f.idOf != "" {
			other, err := c.framework(f.idOf)
			if err != nil {
				return err
			}
			id = other.id()
		}
		if id == "" {
			msg = &mesosinternal.RegisterFrameworkMessage{Framework: info}
			break
		}
		info.Id = sim.FrameworkID(id)
		msg = &mesosinternal.ReregisterFrameworkMessage{Framework: info, Failover: proto.Bool(sim.ArgVal(args, "failover") != "false")}
	case "launch":
		ids, tasks, err := f.tasks(args)
		if err != nil {
			return err
		}
		msg = &mesosinternal.LaunchTasksMessage{FrameworkId: sim.FrameworkID(f.ID), Tasks: tasks, Filters: sim.Refuse(args), OfferIds: ids}
	case "decline":
		ids, err := sim.OfferIDs(args)
		if err != nil {
			return err
		}
		msg = &mesosinternal.LaunchTasksMessage{FrameworkId: sim.FrameworkID(f.ID), Filters: sim.Refuse(args), OfferIds: ids}
	case "ack":
		tid := sim.ArgVal(args, "task")
		up := f.Unacked[tid]
		if up == nil {
			return fmt.Errorf("%s has no update of task %q to acknowledge", n.Name, tid)
		}
		uuid := up.GetUuid()
		if sim.ArgVal(args, "uuid") == "bogus" {
			uuid = c.uuids.NewUUID().Bytes()
		} else {
			delete(f.Unacked, tid)
		}
		msg = &mesosinternal.StatusUpdateAcknowledgementMessage{SlaveId: up.GetSlaveId(), FrameworkId: up.GetFrameworkId(), TaskId: up.GetStatus().GetTaskId(), Uuid: uuid}
	case "kill":
		msg = &mesosinternal.KillTaskMessage{FrameworkId: sim.FrameworkID(f.ID), TaskId: &mesos.TaskID{Value: proto.String(sim.ArgVal(args, "task"))}}
	case "reconcile":
		msg = &mesosinternal.ReconcileTasksMessage{FrameworkId: sim.FrameworkID(f.ID), Statuses: sim.ReconcileStatuses(args)}
	case "message":
		msg = &mesosinternal.FrameworkToExecutorMessage{SlaveId: &mesos.SlaveID{Value: proto.String(sim.ArgVal(args, "agent"))}, FrameworkId: sim.FrameworkID(f.ID),
			ExecutorId: sim.ExecutorID(sim.ArgVal(args, "executor")), Data: []byte(sim.ArgVal(args, "data"))}
	case "teardown":
		msg = &mesosinternal.UnregisterFrameworkMessage{FrameworkId: sim.FrameworkID(f.ID)}
	default:
		return fmt.Errorf("%s is not a driver framework (%s)", n.Name, cmd)
	}
	c.s.Start(n, func(time.Time) []effect.Effect { return []effect.Effect{effect.Send{To: txMasterPID, Msg: msg}} })
	return c.s.Settle()
}

// driverCommand makes the scheduler call its driver.
func (f *txFramework) driverCommand(n *sim.Node, cmd string, args []sim.Arg) error {
	d := f.driver
	var call func() error
	switch cmd {
	case "subscribe":
		if f.idOf != "" {
			other, err := f.c.framework(f.idOf)
			if err != nil {
				return err
			}
			f.newDriver(other.id())
			d = f.driver
		}
		if _, err := d.Start(); err != nil {
			return err
		}
		info := f.c.masterInfo()
		f.c.s.Start(n, func(now time.Time) []effect.Effect { return d.Detected(now, info) })
		return f.c.s.Settle()
	case "launch":
		ids, tasks, err := f.tasks(args)
		if err != nil {
			return err
		}
		call = func() error { _, err := d.LaunchTasks(ids, tasks, sim.Refuse(args)); return err }
	case "decline":
		ids, err := sim.OfferIDs(args)
		if err != nil {
			return err
		}
		call = func() error { _, err := d.DeclineOffer(ids[0], sim.Refuse(args)); return err }
	case "kill":
		call = func() error {
			_, err := d.KillTask(&mesos.TaskID{Value: proto.String(sim.ArgVal(args, "task"))})
			return err
		}
	case "reconcile":
		call = func() error { _, err := d.ReconcileTasks(sim.ReconcileStatuses(args)); return err }
	case "message":
		call = func() error {
			_, err := d.SendFrameworkMessage(sim.ExecutorID(sim.ArgVal(args, "executor")), &mesos.SlaveID{Value: proto.String(sim.ArgVal(args, "agent"))}, sim.ArgVal(args, "data"))
			return err
		}
	case "stop", "teardown":
		call = func() error { _, err := d.Stop(sim.HasArg(args, "failover")); return err }
	case "abort":
		call = func() error { _, err := d.Abort(); return err }
	case "ack":
		tid := sim.ArgVal(args, "task")
		st := f.statuses[tid]
		if st == nil {
			return fmt.Errorf("%s was told nothing of task %q to acknowledge", n.Name, tid)
		}
		if sim.ArgVal(args, "uuid") == "bogus" {
			st = proto.Clone(st).(*mesos.TaskStatus)
			st.Uuid = f.c.uuids.NewUUID().Bytes()
		}
		call = func() error { _, err := d.AcknowledgeStatusUpdate(st); return err }
	default:
		return fmt.Errorf("%s: a driver framework cannot %s", n.Name, cmd)
	}
	var callErr error
	f.c.s.Start(n, func(now time.Time) []effect.Effect {
		callErr = call()
		return d.Take(now)
	})
	if err := f.c.s.Settle(); err != nil {
		return err
	}
	if callErr != nil {
		fmt.Fprintf(&f.c.out, "%s: driver answered: %v\n", f.name, callErr)
	}
	fmt.Fprintf(&f.c.out, "%s: driver status %s\n", f.name, d.Status())
	return nil
}

// tasks builds a launch (sim.LaunchTasks) on the framework's offers.
func (f *txFramework) tasks(args []sim.Arg) ([]*mesos.OfferID, []*mesos.TaskInfo, error) {
	return sim.LaunchTasks(args, f.Offers, f.role, f.id())
}

// txScheduler prints every callback of a driver framework and keeps its
// offers for launch.
type txScheduler struct{ f *txFramework }

func (s *txScheduler) say(format string, a ...any) {
	fmt.Fprintf(&s.f.c.out, "%s callback: %s\n", s.f.name, fmt.Sprintf(format, a...))
}

func (s *txScheduler) Registered(_ schedulerdriver.SchedulerDriver, id *mesos.FrameworkID, m *mesos.MasterInfo) {
	s.say("registered {framework=%s master=%s}", id.GetValue(), m.GetId())
}
func (s *txScheduler) Reregistered(_ schedulerdriver.SchedulerDriver, m *mesos.MasterInfo) {
	s.say("reregistered {master=%s}", m.GetId())
}
func (s *txScheduler) Disconnected(schedulerdriver.SchedulerDriver) { s.say("disconnected") }
func (s *txScheduler) ResourceOffers(_ schedulerdriver.SchedulerDriver, offers []*mesos.Offer) {
	ids := make([]string, 0, len(offers))
	for _, o := range offers {
		s.f.Offers[o.GetId().GetValue()] = o
		ids = append(ids, o.GetId().GetValue())
	}
	s.say("resourceOffers %v", ids)
}
func (s *txScheduler) OfferRescinded(_ schedulerdriver.SchedulerDriver, id *mesos.OfferID) {
	delete(s.f.Offers, id.GetValue())
	s.say("offerRescinded %s", id.GetValue())
}
func (s *txScheduler) StatusUpdate(_ schedulerdriver.SchedulerDriver, st *mesos.TaskStatus) {
	s.f.statuses[st.GetTaskId().GetValue()] = st
	s.say("statusUpdate %s", sim.Summary(st))
}
func (s *txScheduler) FrameworkMessage(_ schedulerdriver.SchedulerDriver, e *mesos.ExecutorID, a *mesos.SlaveID, data string) {
	s.say("frameworkMessage {executor=%s agent=%s data=%q}", e.GetValue(), a.GetValue(), data)
}
func (s *txScheduler) SlaveLost(_ schedulerdriver.SchedulerDriver, a *mesos.SlaveID) {
	s.say("slaveLost %s", a.GetValue())
}
func (s *txScheduler) ExecutorLost(_ schedulerdriver.SchedulerDriver, e *mesos.ExecutorID, a *mesos.SlaveID, status int) {
	s.say("executorLost {executor=%s agent=%s status=%d}", e.GetValue(), a.GetValue(), status)
}
func (s *txScheduler) Error(_ schedulerdriver.SchedulerDriver, msg string) { s.say("error %q", msg) }
