package master

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
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

// Renderings of /master/state run off the actor while it keeps changing
// the state: each one shows the state as it was when its snapshot was
// taken, byte for byte, and (under -race) nothing the rendering reads is
// written by the actor meanwhile.
func TestStateRenderRacingChanges(t *testing.T) {
	s := buildScale(t, 40, 3, 4)
	c := s.c

	type snapped struct {
		snap *stateSnap
		want []byte
	}
	requests, replies := make(chan struct{}), make(chan snapped)
	done := make(chan struct{})
	actorDone := make(chan int)

	// The actor: owns c, applies one change after another, and takes a
	// snapshot (and what encoding/json makes of the state then) whenever
	// asked.
	go func() {
		rnd := rand.New(rand.NewSource(1))
		changes, newAgents, n := 0, 0, uint64(10000)
		step := func() {
			n++
			k := rnd.Intn(len(s.tasks))
			fid, aid, tid := s.tasks[k][0], s.tasks[k][1], s.tasks[k][2]
			ai := agentIndex(s, aid)
			from := s.agentPIDs[ai]
			switch rnd.Intn(6) {
			case 0, 1: // a health check: the last status replaced in place
				u := scaleUpdate(from, aid, fid, tid, mesos.TaskState_TASK_RUNNING, n)
				u.Update.Status.Healthy = proto.Bool(rnd.Intn(2) == 0)
				scaleStored(c, c.Receive(t0, from, u))
			case 2: // the task ends
				scaleStored(c, c.Receive(t0, from, scaleUpdate(from, aid, fid, tid, mesos.TaskState_TASK_FINISHED, n)))
			case 3: // the agent reregisters with what it runs: new info and total
				raceReregister(c, aid, from)
			case 4: // a new agent, offered and given a task
				if newAgents < 200 {
					newAgents++
					raceNewAgentTask(s, int(n), fid)
				}
			case 5: // nothing changes
			}
			changes++
		}
		for {
			select {
			case <-requests:
				snap := c.stateSnapshot(time.Time{})
				want, err := json.Marshal(c.stateJSON())
				if err != nil {
					panic(err)
				}
				replies <- snapped{snap, want}
			case <-done:
				actorDone <- changes
				return
			default:
				step()
			}
		}
	}()

	r := newStateRenderer()
	for i := 0; i < 30; i++ {
		requests <- struct{}{}
		got := <-replies
		body, err := r.render(got.snap) // while the actor goes on
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(body, got.want) {
			at := 0
			for at < len(body) && at < len(got.want) && body[at] == got.want[at] {
				at++
			}
			lo := max(0, at-200)
			close(done)
			<-actorDone
			t.Fatalf("rendering %d differs from the state at its snapshot at byte %d:\n got ...%s\nwant ...%s", i, at, body[lo:min(len(body), at+200)], got.want[lo:min(len(got.want), at+200)])
		}
	}
	close(done)
	if n := <-actorDone; n == 0 {
		t.Fatal("the actor changed nothing while renderings ran")
	}
}

// raceReregister reregisters agent aid with the tasks it runs, as a
// known agent does after a broken connection.
func raceReregister(c *Core, aid string, from actors.PID) {
	a := c.agents[aid]
	if a == nil {
		return
	}
	var tasks []*mesos.Task
	for _, e := range a.tasks.list {
		tasks = append(tasks, clone(e.t))
	}
	info := clone(a.info)
	scaleStored(c, c.Receive(t0, from, &mesosinternal.ReregisterSlaveMessage{Slave: info, Version: proto.String("1.11.0"), Tasks: tasks}))
}

// raceNewAgentTask registers a new agent and runs a task of framework fid
// on it.
func raceNewAgentTask(s *scale, n int, fid string) {
	c := s.c
	pid := actors.PID{ID: fmt.Sprintf("slave(new-%d)", n), Address: "127.0.99.1:5051"}
	ai := agentInfo("cpus:2;mem:2048;disk:100")
	ai.Hostname = proto.String(fmt.Sprintf("new-%d", n))
	var aid string
	for _, e := range scaleStored(c, c.Receive(t0, pid, &mesosinternal.RegisterSlaveMessage{Slave: ai, Version: proto.String("1.11.0")})) {
		if send, ok := e.(effect.Send); ok {
			if m, ok := send.Msg.(*mesosinternal.SlaveRegisteredMessage); ok {
				aid = m.GetSlaveId().GetValue()
			}
		}
	}
	if aid == "" {
		return
	}
	var offer *mesos.Offer
	for _, e := range c.Offer(t0, fid, allocator.Offers{"*": {aid: resources.MustParse("cpus:2;mem:2048").Allocate("*")}}) {
		if send, ok := e.(effect.Send); ok {
			if m, ok := send.Msg.(*mesosinternal.ResourceOffersMessage); ok {
				offer = m.GetOffers()[0]
			}
		}
	}
	if offer == nil {
		return
	}
	fi := 0
	for i, f := range s.frameworks {
		if f == fid {
			fi = i
		}
	}
	tid := fmt.Sprintf("new-task-%d", n)
	scaleStored(c, c.Receive(t0, s.fwPIDs[fi], launch(fid, ids(offer), nil, commandTask(tid, offer, "cpus:1;mem:512"))))
	scaleStored(c, c.Receive(t0, pid, scaleUpdate(pid, aid, fid, tid, mesos.TaskState_TASK_RUNNING, uint64(n))))
}
