package master

// A cluster built through the core for measuring the read endpoints at
// scale: agents register, frameworks subscribe, each agent is offered to
// a framework, which launches tasks that report RUNNING.

import (
	"encoding/json"
	"fmt"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
)

const scaleAgentResources = "cpus:16;mem:65536;disk:100000;ports:[31000-32000]"

// scale is a core with what buildScale put in it.
type scale struct {
	c          *Core
	agents     []string
	agentPIDs  []actors.PID
	frameworks []string
	fwPIDs     []actors.PID
	tasks      [][3]string // framework, agent, task
}

// buildScale registers agents agents and frameworks frameworks, and runs
// perAgent tasks on every agent (agent i's tasks belong to framework
// i mod frameworks), all RUNNING.
func buildScale(tb testing.TB, agents, frameworks, perAgent int) *scale {
	return buildScaleWith(tb, agents, frameworks, perAgent, func(int) string { return "cpus:1;mem:1024" })
}

// buildScaleWith is buildScale with the resources of each agent's j-th task.
func buildScaleWith(tb testing.TB, agents, frameworks, perAgent int, taskResources func(j int) string) *scale {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.Hostname, cfg.IP, cfg.Cluster = "localhost", "127.0.0.1", "scale"
	c, err := NewCore(cfg, testInfo(), Deps{})
	if err != nil {
		tb.Fatal(err)
	}
	c.Start(t0)
	s := &scale{c: c}
	find := func(effects []effect.Effect, what string, pick func(proto.Message) bool) {
		tb.Helper()
		effects = scaleStored(c, effects)
		for _, e := range effects {
			if send, ok := e.(effect.Send); ok && pick(send.Msg) {
				return
			}
		}
		tb.Fatalf("%s: no answer in %d effects", what, len(effects))
	}
	for i := 0; i < frameworks; i++ {
		pid := actors.PID{ID: fmt.Sprintf("scheduler-%d", i), Address: "127.0.0.1:40000"}
		info := frameworkInfo(fmt.Sprintf("framework-%d", i))
		find(c.Receive(t0, pid, &mesosinternal.RegisterFrameworkMessage{Framework: info}), "register framework", func(m proto.Message) bool {
			r, ok := m.(*mesosinternal.FrameworkRegisteredMessage)
			if ok {
				s.frameworks = append(s.frameworks, r.GetFrameworkId().GetValue())
				s.fwPIDs = append(s.fwPIDs, pid)
			}
			return ok
		})
	}
	for i := 0; i < agents; i++ {
		pid := actors.PID{ID: fmt.Sprintf("slave(%d)", i+1), Address: fmt.Sprintf("127.0.%d.%d:5051", i/250, i%250+1)}
		ai := agentInfo(scaleAgentResources)
		ai.Hostname = proto.String(fmt.Sprintf("agent-%05d.example.org", i))
		find(c.Receive(t0, pid, &mesosinternal.RegisterSlaveMessage{Slave: ai, Version: proto.String("1.11.0")}), "register agent", func(m proto.Message) bool {
			r, ok := m.(*mesosinternal.SlaveRegisteredMessage)
			if ok {
				s.agents = append(s.agents, r.GetSlaveId().GetValue())
				s.agentPIDs = append(s.agentPIDs, pid)
			}
			return ok
		})
	}
	if frameworks == 0 || perAgent == 0 {
		return s
	}
	for i, aid := range s.agents {
		fi := i % frameworks
		fid := s.frameworks[fi]
		var offer *mesos.Offer
		r := resources.MustParse(scaleAgentResources).Allocate("*")
		find(c.Offer(t0, fid, allocator.Offers{"*": {aid: r}}), "offer", func(m proto.Message) bool {
			o, ok := m.(*mesosinternal.ResourceOffersMessage)
			if ok {
				offer = o.GetOffers()[0]
			}
			return ok
		})
		var tasks []*mesos.TaskInfo
		for j := 0; j < perAgent; j++ {
			tid := fmt.Sprintf("task-%06d-%02d", i, j)
			tasks = append(tasks, commandTask(tid, offer, taskResources(j)))
			s.tasks = append(s.tasks, [3]string{fid, aid, tid})
		}
		scaleStored(c, c.Receive(t0, s.fwPIDs[fi], launch(fid, ids(offer), nil, tasks...)))
		for j, task := range tasks {
			scaleStored(c, c.Receive(t0, s.agentPIDs[i], scaleUpdate(s.agentPIDs[i], aid, fid, task.GetTaskId().GetValue(), mesos.TaskState_TASK_RUNNING, uint64(i*perAgent+j))))
		}
	}
	return s
}

// scaleStored answers every registry write among effects as stored at once,
// and returns effects with what the writes released.
func scaleStored(c *Core, effects []effect.Effect) []effect.Effect {
	for i := 0; i < len(effects); i++ {
		if w, ok := effects[i].(RegistryApply); ok {
			effects = append(effects, c.RegistryApplied(t0, w.Seq, nil)...)
		}
	}
	return effects
}

// scaleUpdate is an agent's status update with a UUID made from n.
func scaleUpdate(from actors.PID, agentID, fid, tid string, state mesos.TaskState, n uint64) *mesosinternal.StatusUpdateMessage {
	id := make([]byte, 16)
	for i := 0; i < 8; i++ {
		id[i] = byte(n >> (8 * i))
	}
	id[15] = byte(state)
	return &mesosinternal.StatusUpdateMessage{
		Pid: proto.String(from.String()),
		Update: &mesosinternal.StatusUpdate{
			FrameworkId: frameworkID(fid),
			SlaveId:     slaveID(agentID),
			Timestamp:   proto.Float64(1e9 + float64(n)),
			Uuid:        id,
			Status: &mesos.TaskStatus{
				TaskId:    &mesos.TaskID{Value: proto.String(tid)},
				State:     state.Enum(),
				Source:    mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
				SlaveId:   slaveID(agentID),
				Uuid:      id,
				Timestamp: proto.Float64(1e9 + float64(n)),
			},
		},
	}
}

func TestBuildScaleSmall(t *testing.T) {
	s := buildScale(t, 20, 3, 5)
	v := s.c.View()
	if len(v.Agents) != 20 || len(v.Frameworks) != 3 {
		t.Fatalf("agents %d frameworks %d", len(v.Agents), len(v.Frameworks))
	}
	running := 0
	for _, f := range v.Frameworks {
		for _, task := range f.Tasks {
			if task.GetState() == mesos.TaskState_TASK_RUNNING {
				running++
			}
		}
	}
	if running != 100 {
		t.Fatalf("running %d, want 100", running)
	}
}

// The endpoints' cost at 10,000 agents and 100,000 running tasks (10
// frameworks): go test -run '^$' -bench BenchmarkReadEndpoints -benchtime 5x ./master/
func BenchmarkReadEndpoints(b *testing.B) {
	s := buildScale(b, 10000, 10, 10)
	c := s.c
	for _, ep := range []struct {
		name  string
		build func() any
	}{
		{"state", c.stateJSON},
		{"state-summary", func() any { return c.summary() }},
		{"metrics", func() any { return c.gauges(t0) }},
	} {
		if testing.Short() {
			break
		}
		b.Run(ep.name+"/on-actor", func(b *testing.B) {
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				_ = ep.build()
			}
			reportCPU(b, cpu)
		})
		if ep.name == "state" {
			// what /master/state does: a snapshot on the actor, then bytes
			// off it (cold: a renderer's first request, memos empty)
			b.Run("state/snapshot", func(b *testing.B) {
				cpu := cpuTime()
				for i := 0; i < b.N; i++ {
					_ = c.stateSnapshot(time.Time{})
				}
				reportCPU(b, cpu)
			})
			b.Run("state/bytes-cold", func(b *testing.B) {
				cpu := cpuTime()
				n := 0
				for i := 0; i < b.N; i++ {
					body, err := newStateRenderer().renderCore(c, time.Time{})
					if err != nil {
						b.Fatal(err)
					}
					n = len(body)
				}
				reportCPU(b, cpu)
				b.ReportMetric(float64(n), "bytes")
			})
			b.Run("state/bytes-warm", func(b *testing.B) {
				r := newStateRenderer()
				if _, err := r.renderCore(c, time.Time{}); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				cpu := cpuTime()
				for i := 0; i < b.N; i++ {
					if _, err := r.renderCore(c, time.Time{}); err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, cpu)
			})
			// a request after 1,000 tasks had a status update since the
			// last (a health check: the last status replaced)
			b.Run("state/bytes-churn", func(b *testing.B) {
				r := newStateRenderer()
				if _, err := r.renderCore(c, time.Time{}); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				var spent time.Duration
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					for j := 0; j < 1000; j++ {
						k := (i*1000 + j*(len(s.tasks)/1000)) % len(s.tasks)
						fid, aid, tid := s.tasks[k][0], s.tasks[k][1], s.tasks[k][2]
						from := s.agentPIDs[k/(len(s.tasks)/len(s.agents))] // buildScale: agent i runs tasks i*perAgent...
						u := scaleUpdate(from, aid, fid, tid, mesos.TaskState_TASK_RUNNING, uint64(1e6+i*1000+j))
						u.Update.Status.Healthy = proto.Bool(i%2 == 0)
						scaleStored(c, c.Receive(t0, from, u))
					}
					b.StartTimer()
					cpu := cpuTime()
					if _, err := r.renderCore(c, time.Time{}); err != nil {
						b.Fatal(err)
					}
					spent += cpuTime() - cpu
				}
				b.ReportMetric(float64(spent.Milliseconds())/float64(b.N), "cpu-ms/op")
			})
		}
		b.Run(ep.name+"/encode", func(b *testing.B) {
			v := ep.build()
			b.ResetTimer()
			cpu := cpuTime()
			n := 0
			for i := 0; i < b.N; i++ {
				body, err := json.Marshal(v)
				if err != nil {
					b.Fatal(err)
				}
				n = len(body)
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(n), "bytes")
		})
	}
}

// The stream's tick at the same scale: a first tick (every summary) and
// steady ticks where 1,000 tasks changed state since the last.
func BenchmarkStreamTick(b *testing.B) {
	s := buildScale(b, 10000, 10, 10)
	b.Run("first", func(b *testing.B) {
		cpu := cpuTime()
		for i := 0; i < b.N; i++ {
			newStreamWatch(streamMaxTaskChanges).tick(s.c)
		}
		reportCPU(b, cpu)
	})
	b.Run("1000-changes", func(b *testing.B) {
		w := newStreamWatch(streamMaxTaskChanges)
		w.tick(s.c)
		b.ResetTimer()
		var spent time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			for j := 0; j < 1000; j++ {
				k := j * (len(s.tasks) / 1000)
				f := s.c.frameworks[s.tasks[k][0]]
				task := f.tasks[s.tasks[k][2]]
				if task.GetState() == mesos.TaskState_TASK_RUNNING {
					task.State = mesos.TaskState_TASK_KILLING.Enum()
				} else {
					task.State = mesos.TaskState_TASK_RUNNING.Enum()
				}
				s.c.journal.note(task) // as updateTask does
			}
			b.StartTimer()
			cpu := cpuTime()
			tk := w.tick(s.c)
			spent += cpuTime() - cpu
			if len(tk.tasks)+tk.tasksOmitted != 1000 {
				b.Fatalf("%d changes seen", len(tk.tasks)+tk.tasksOmitted)
			}
		}
		b.ReportMetric(float64(spent.Milliseconds())/float64(b.N), "cpu-ms/op")
	})
}

// cpuTime is the CPU time this process has used (user and system): on a
// machine shared with other work it says more than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since start (GC included).
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
}
