package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
)

// Script drives a cluster step by step for protocol transcripts: the
// frameworks do only what the script says, containers start at once and
// end only when the script says, and every command answers with the
// messages that flowed while it ran, one "from -> to: Type {fields}" line
// each. The clock moves only on advance.
type Script struct {
	sim    *Sim
	master *Node
	out    strings.Builder
	uuids  protocol.UUIDs
	boots  map[string]int
	agRes  map[string]resources.Resources
	hosts  map[string]*agentHost
}

// NewScript returns a script with a master (master.Core, or the stand-in)
// and nothing else. The master's offer timeout is 30s.
func NewScript(standIn bool) (*Script, error) {
	sc := &Script{sim: New(Options{Seed: 1}), uuids: protocol.SequentialUUIDs(1), boots: map[string]int{}, agRes: map[string]resources.Resources{}, hosts: map[string]*agentHost{}}
	mpid := actors.PID{ID: "master", Address: "127.0.0.1:5050"}
	master, sweep, err := addMaster(sc.sim, mpid, standIn, DefaultMasterTimes, 1)
	if err != nil {
		return nil, err
	}
	sc.master = master
	sc.sim.Trace = func(s *Sim, d Delivery) {
		sc.out.WriteString(s.Line(d))
		sc.out.WriteByte('\n')
	}
	sc.sim.Check = func(s *Sim) error {
		if s.LastNode() != sc.master {
			return nil
		}
		return sweep()
	}
	return sc, sc.sim.Settle()
}

// scriptFramework is a framework that only sends what the script tells it
// to and remembers what it got.
type scriptFramework struct {
	effect.Outbox
	FrameworkBook
}

func (f *scriptFramework) Receive(_ time.Time, _ actors.PID, msg proto.Message) []effect.Effect {
	f.Observe(msg)
	return nil
}
func (f *scriptFramework) Timer(time.Time, string) []effect.Effect      { return nil }
func (f *scriptFramework) Exited(time.Time, actors.PID) []effect.Effect { return nil }

// Exec runs one command and returns the messages it caused (or what it
// printed), or an error for a bad command.
func (sc *Script) Exec(cmd string, args []Arg) (string, error) {
	sc.out.Reset()
	var err error
	switch cmd {
	case "add-agent":
		err = sc.addAgent(args)
	case "add-framework":
		err = sc.addFramework(args)
	case "subscribe":
		err = sc.asFramework(args, func(n *Node, f *scriptFramework) error {
			info := &mesos.FrameworkInfo{User: proto.String("sim"), Name: proto.String(n.Name)}
			if f.ID != "" {
				info.Id = &mesos.FrameworkID{Value: proto.String(f.ID)}
				return sc.send(n, &mesosinternal.ReregisterFrameworkMessage{Framework: info, Failover: proto.Bool(true)})
			}
			return sc.send(n, &mesosinternal.RegisterFrameworkMessage{Framework: info})
		})
	case "launch":
		err = sc.launch(args)
	case "decline":
		err = sc.asFramework(args, func(n *Node, f *scriptFramework) error {
			ids, err := OfferIDs(args)
			if err != nil {
				return err
			}
			return sc.send(n, &mesosinternal.LaunchTasksMessage{FrameworkId: FrameworkID(f.ID), Filters: Refuse(args), OfferIds: ids})
		})
	case "ack":
		err = sc.asFramework(args, func(n *Node, f *scriptFramework) error {
			tid := ArgVal(args, "task")
			up := f.Unacked[tid]
			if up == nil {
				return fmt.Errorf("%s has no update of task %q to acknowledge", n.Name, tid)
			}
			delete(f.Unacked, tid)
			return sc.send(n, &mesosinternal.StatusUpdateAcknowledgementMessage{
				SlaveId: up.GetSlaveId(), FrameworkId: up.GetFrameworkId(), TaskId: up.GetStatus().GetTaskId(), Uuid: up.GetUuid(),
			})
		})
	case "kill":
		err = sc.asFramework(args, func(n *Node, f *scriptFramework) error {
			return sc.send(n, &mesosinternal.KillTaskMessage{FrameworkId: FrameworkID(f.ID), TaskId: &mesos.TaskID{Value: proto.String(ArgVal(args, "task"))}})
		})
	case "reconcile":
		err = sc.asFramework(args, func(n *Node, f *scriptFramework) error {
			return sc.send(n, &mesosinternal.ReconcileTasksMessage{FrameworkId: FrameworkID(f.ID), Statuses: ReconcileStatuses(args)})
		})
	case "status":
		err = sc.status(args)
	case "advance":
		err = sc.sim.Advance(args)
	case "drop":
		err = sc.sim.Drop(args)
	case "crash":
		err = sc.onNode(args, func(n *Node) error {
			sc.sim.Crash(n)
			if h := sc.hosts[n.Name]; h != nil {
				h.lost() // an agent's executors end with it
			}
			return sc.sim.Settle()
		})
	case "restart":
		err = sc.onNode(args, sc.restart)
	case "partition":
		err = sc.sim.PartitionNodes(args)
	case "heal":
		sc.sim.Net.Heal()
	case "state":
		sc.state()
	default:
		return "", fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		return "", err
	}
	return sc.out.String(), nil
}

// send makes n send msg now and runs what it causes at this instant.
func (sc *Script) send(n *Node, msg proto.Message) error {
	sc.sim.Start(n, func(time.Time) []effect.Effect {
		return []effect.Effect{effect.Send{To: sc.master.PID, Msg: msg}}
	})
	return sc.sim.Settle()
}

func (sc *Script) onNode(args []Arg, fn func(*Node) error) error {
	n, err := sc.sim.NamedNode(args)
	if err != nil {
		return err
	}
	return fn(n)
}

func (sc *Script) asFramework(args []Arg, fn func(*Node, *scriptFramework) error) error {
	n, err := sc.sim.NamedNode(args)
	if err != nil {
		return err
	}
	f, ok := n.Core.(*scriptFramework)
	if !ok {
		return fmt.Errorf("%s is not a framework", n.Name)
	}
	return fn(n, f)
}

func (sc *Script) addAgent(args []Arg) error {
	if len(args) == 0 || args[0].Vals != nil {
		return fmt.Errorf("add-agent wants a name")
	}
	name := args[0].Key
	text := ArgVal(args, "resources")
	if text == "" {
		text = "cpus:2;mem:1024"
	}
	res, err := resources.Parse(text, "*")
	if err != nil {
		return err
	}
	i := len(sc.agRes) + 1
	pid := actors.PID{ID: "slave(1)", Address: fmt.Sprintf("127.0.0.%d:5051", i+1)}
	sc.agRes[name] = res
	n, err := sc.sim.Add(name, pid, nil, nil)
	if err != nil {
		return err
	}
	return sc.startAgent(n)
}

// scriptBackoff is the script agents' --registration_backoff_factor:
// add-agent runs the clock this far so that the agent has registered.
const scriptBackoff = 10 * time.Millisecond

// startAgent puts a new agent core (empty disk) on n and lets it register.
func (sc *Script) startAgent(n *Node) error {
	hostname := n.Name
	if b := sc.boots[n.Name]; b > 0 {
		hostname = fmt.Sprintf("%s-boot%d", n.Name, b)
	}
	h := newAgentHost(sc.sim, n.PID, hostname, sc.agRes[n.Name], TaskPlan{Manual: true}, sc.uuids, sc.masterInfo, scriptBackoff)
	h.node = n
	if old := sc.hosts[n.Name]; old != nil {
		old.lost()
		sc.sim.Restart(n, agentCore{h.core})
	} else {
		n.Core = agentCore{h.core}
	}
	sc.hosts[n.Name] = h
	n.Custom = h.apply
	sc.sim.Start(n, h.start)
	return sc.sim.RunFor(scriptBackoff)
}

func (sc *Script) masterInfo() *mesos.MasterInfo {
	if m, ok := sc.master.Core.(*realMaster); ok {
		return m.core.Info()
	}
	return sc.master.Core.(*standInMaster).info()
}

func (sc *Script) addFramework(args []Arg) error {
	if len(args) == 0 || args[0].Vals != nil {
		return fmt.Errorf("add-framework wants a name")
	}
	i := 0
	for _, n := range sc.sim.Nodes() {
		if _, ok := n.Core.(*scriptFramework); ok {
			i++
		}
	}
	pid := actors.PID{ID: "scheduler(1)", Address: fmt.Sprintf("127.0.1.%d:9000", i+1)}
	_, err := sc.sim.Add(args[0].Key, pid, &scriptFramework{FrameworkBook: NewFrameworkBook("")}, nil)
	return err
}

// launch: launch sched1 offers=(o-1) task=t1 [res=cpus:1;mem:128] [refuse=5]
// (task=(t1,t2) launches several of the same size; see LaunchTasks).
func (sc *Script) launch(args []Arg) error {
	return sc.asFramework(args, func(n *Node, f *scriptFramework) error {
		ids, tasks, err := LaunchTasks(args, f.Offers, "*", f.ID)
		if err != nil {
			return err
		}
		return sc.send(n, &mesosinternal.LaunchTasksMessage{FrameworkId: FrameworkID(f.ID), Tasks: tasks, Filters: Refuse(args), OfferIds: ids})
	})
}

// status: status agent1 task=t1 state=finished|failed|killed (the
// task's executor sends that update).
func (sc *Script) status(args []Arg) error {
	return sc.onNode(args, func(n *Node) error {
		h := sc.hosts[n.Name]
		if h == nil {
			return fmt.Errorf("%s is not an agent", n.Name)
		}
		how := map[string]mesos.TaskState{"finished": mesos.TaskState_TASK_FINISHED, "failed": mesos.TaskState_TASK_FAILED, "killed": mesos.TaskState_TASK_KILLED}
		st, ok := how[ArgVal(args, "state")]
		if !ok {
			return fmt.Errorf("state= wants finished, failed or killed")
		}
		tid := ArgVal(args, "task")
		if !h.taskUpdate(tid, st, true) {
			return fmt.Errorf("%s runs no task %q", n.Name, tid)
		}
		return sc.sim.Settle()
	})
}

func (sc *Script) restart(n *Node) error {
	if sc.hosts[n.Name] != nil {
		sc.boots[n.Name]++
		return sc.startAgent(n)
	}
	switch n.Core.(type) {
	case *scriptFramework:
		old := n.Core.(*scriptFramework)
		sc.sim.Restart(n, &scriptFramework{FrameworkBook: NewFrameworkBook(old.ID)})
	default:
		return fmt.Errorf("%s cannot be restarted (master failover comes with the fault-tolerance issue)", n.Name)
	}
	return sc.sim.Settle()
}

// state dumps the master's books.
func (sc *Script) state() {
	if m, ok := sc.master.Core.(*realMaster); ok {
		sc.realState(m)
		return
	}
	m := sc.master.Core.(*standInMaster)
	w := &sc.out
	fmt.Fprintf(w, "time %v\n", sc.sim.Elapsed())
	for _, id := range m.fwIDs {
		f := m.frameworks[id]
		fmt.Fprintf(w, "framework %s (%s) active=%v\n", id, sc.sim.Name(f.pid), f.active)
	}
	aids := m.alloc.Agents()
	slices.SortFunc(aids, cmpOfferID)
	for _, aid := range aids {
		a := m.agents[aid]
		fmt.Fprintf(w, "agent %s (%s) total=%s free=%s\n", aid, sc.sim.Name(a.pid), compact(m.alloc.Total(aid)), compact(m.alloc.Available(aid)))
		for _, t := range a.tasks {
			fmt.Fprintf(w, "  task %s framework=%s %s res=%s\n", t.tid, t.fid, t.state, compact(t.res.Unallocate()))
		}
	}
	for _, o := range m.sortedOffers(func(*mOffer) bool { return true }) {
		fmt.Fprintf(w, "offer %s framework=%s agent=%s res=%s\n", o.id, o.fid, o.aid, compact(o.res.Unallocate()))
	}
	fmt.Fprintf(w, "completed tasks %d\n", m.completed)
}

func compact(r resources.Resources) string { return strings.ReplaceAll(r.String(), "; ", ";") }

func (sc *Script) realState(m *realMaster) {
	fmt.Fprintf(&sc.out, "time %v\n", sc.sim.Elapsed())
	writeMasterState(&sc.out, sc.sim, m, false)
}
