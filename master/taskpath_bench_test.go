package master

// The master core's cost per message of a task's life: the accept that
// launches it, its RUNNING and FINISHED updates from the agent and the
// scheduler's acknowledgement of each.
//
//	go test -run '^$' -bench BenchmarkTaskPath -benchmem -benchtime 50000x ./master/

import (
	"fmt"
	"runtime"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

const taskPathResources = "cpus:1;mem:128"

// taskPath is a cluster of 1,000 agents and 10 frameworks through which
// tasks are driven one message at a time.
type taskPath struct {
	s     *scale
	offer resources.Resources
	n     int // tasks launched
}

func newTaskPath(tb testing.TB) *taskPath {
	return &taskPath{s: buildScale(tb, 1000, 10, 0), offer: resources.MustParse(taskPathResources).Allocate("*")}
}

// pathTask is one task's messages, made before they are handled.
type pathTask struct {
	fw, agent           actors.PID
	accept              *scheduler.Call
	running, finished   *mesosinternal.StatusUpdateMessage
	ackRunning, ackDone *scheduler.Call
}

// next offers the next agent to the next framework and returns the
// messages of a task launched on the offer.
func (p *taskPath) next(tb testing.TB) *pathTask {
	k := p.n
	p.n++
	ai, fi := k%len(p.s.agents), k%len(p.s.frameworks)
	aid, fid := p.s.agents[ai], p.s.frameworks[fi]
	var offer *mesos.Offer
	for _, e := range p.s.c.Offer(t0, fid, allocator.Offers{"*": {aid: p.offer}}) {
		if send, ok := e.(effect.Send); ok {
			if o, ok := send.Msg.(*mesosinternal.ResourceOffersMessage); ok {
				offer = o.GetOffers()[0]
			}
		}
	}
	if offer == nil {
		tb.Fatal("no offer")
	}
	tid := fmt.Sprintf("task-%07d", k)
	acc := call(fid, scheduler.Call_ACCEPT)
	acc.Accept = &scheduler.Call_Accept{
		OfferIds: []*mesos.OfferID{offer.GetId()},
		Operations: []*mesos.Offer_Operation{{
			Type:   mesos.Offer_Operation_LAUNCH.Enum(),
			Launch: &mesos.Offer_Operation_Launch{TaskInfos: []*mesos.TaskInfo{commandTask(tid, offer, taskPathResources)}},
		}},
		Filters: &mesos.Filters{},
	}
	from := p.s.agentPIDs[ai]
	t := &pathTask{fw: p.s.fwPIDs[fi], agent: from, accept: acc,
		running:  scaleUpdate(from, aid, fid, tid, mesos.TaskState_TASK_RUNNING, uint64(2*k)),
		finished: scaleUpdate(from, aid, fid, tid, mesos.TaskState_TASK_FINISHED, uint64(2*k+1)),
	}
	ack := func(u *mesosinternal.StatusUpdateMessage) *scheduler.Call {
		c := call(fid, scheduler.Call_ACKNOWLEDGE)
		c.Acknowledge = &scheduler.Call_Acknowledge{
			SlaveId: slaveID(aid),
			TaskId:  &mesos.TaskID{Value: proto.String(tid)},
			Uuid:    append([]byte(nil), u.Update.GetUuid()...),
		}
		return c
	}
	t.ackRunning, t.ackDone = ack(t.running), ack(t.finished)
	return t
}

// step is one message of a task's life.
type step int

const (
	stepAccept step = iota
	stepRunning
	stepAckRunning
	stepFinished
	stepAckFinished
	nSteps
)

func (p *taskPath) handle(t *pathTask, s step) {
	c := p.s.c
	switch s {
	case stepAccept:
		c.Receive(t0, t.fw, t.accept)
	case stepRunning:
		c.Receive(t0, t.agent, t.running)
	case stepAckRunning:
		c.Receive(t0, t.fw, t.ackRunning)
	case stepFinished:
		c.Receive(t0, t.agent, t.finished)
	case stepAckFinished:
		c.Receive(t0, t.fw, t.ackDone)
	}
}

func TestTaskPathCompletes(t *testing.T) {
	p := newTaskPath(t)
	for i := 0; i < 30; i++ {
		pt := p.next(t)
		for s := stepAccept; s < nSteps; s++ {
			p.handle(pt, s)
		}
	}
	if n := p.s.c.CompletedTasks(); n != 30 {
		t.Fatalf("%d completed tasks, want 30", n)
	}
	for _, f := range p.s.c.View().Frameworks {
		if len(f.Tasks) != 0 {
			t.Fatalf("framework %s still has %d tasks", f.ID, len(f.Tasks))
		}
	}
}

// BenchmarkTaskPath measures each kind of message on its own: b.N tasks
// are brought (untimed) to the step before it, then the b.N messages of
// that kind are timed. "life" times all five messages of each task.
// cpu-ns/op (the process's CPU time, GC included) says more than ns/op on
// a shared machine.
func BenchmarkTaskPath(b *testing.B) {
	kinds := []struct {
		name string
		step step
	}{{"accept", stepAccept}, {"running", stepRunning}, {"ack-running", stepAckRunning}, {"finished", stepFinished}, {"ack-finished", stepAckFinished}}
	for _, k := range kinds {
		b.Run(k.name, func(b *testing.B) {
			p := newTaskPath(b)
			tasks := make([]*pathTask, b.N)
			for i := range tasks {
				tasks[i] = p.next(b)
				for s := stepAccept; s < k.step; s++ {
					p.handle(tasks[i], s)
				}
			}
			runtime.GC() // the setup's garbage is not the step's
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			for _, t := range tasks {
				p.handle(t, k.step)
			}
			b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
	b.Run("life", func(b *testing.B) {
		p := newTaskPath(b)
		tasks := make([]*pathTask, b.N)
		for i := range tasks {
			tasks[i] = p.next(b)
		}
		runtime.GC()
		b.ReportAllocs()
		b.ResetTimer()
		cpu := cpuTime()
		for _, t := range tasks {
			for s := stepAccept; s < nSteps; s++ {
				p.handle(t, s)
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	})
}
