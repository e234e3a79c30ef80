package master

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// The byte renderer writes what encoding/json writes of the maps, on a
// fresh cache, a warm one, and after agents and tasks changed.
func TestStateRenderMatchesEncodingJSON(t *testing.T) {
	s := buildScale(t, 20, 3, 5)
	c := s.c
	cache := newStateRenderer()
	check := func(what string) {
		t.Helper()
		want, err := json.Marshal(c.stateJSON())
		if err != nil {
			t.Fatal(err)
		}
		got, err := cache.renderCore(c, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			lo := max(0, i-200)
			t.Fatalf("%s: renderings differ at byte %d:\n got ...%s\nwant ...%s", what, i, got[lo:min(len(got), i+200)], want[lo:min(len(want), i+200)])
		}
	}
	check("fresh")
	check("cached")

	// an agent with reservations, attributes and odd characters
	pid := actors.PID{ID: "slave(99)", Address: "127.0.9.9:5051"}
	ai := agentInfo("cpus:4;cpus(dev):2;mem(dev):512;disk:10;ports:[1000-2000]")
	ai.Hostname = proto.String("odd<&>\"host\u00e9")
	ai.Attributes = []*mesos.Attribute{{Name: proto.String("rack"), Type: mesos.Value_TEXT.Enum(), Text: &mesos.Value_Text{Value: proto.String("r1")}}}
	var aid string
	for _, e := range scaleStored(c, c.Receive(t0, pid, &mesosinternal.RegisterSlaveMessage{Slave: ai, Version: proto.String("1.11.0")})) {
		if send, ok := e.(effect.Send); ok {
			if m, ok := send.Msg.(*mesosinternal.SlaveRegisteredMessage); ok {
				aid = m.GetSlaveId().GetValue()
			}
		}
	}
	check("new agent")

	// tasks finish (completed lists, used resources change), others on
	// the new agent have labels, a user, health and a tiny timestamp
	for i, task := range s.tasks[:12] {
		if i%2 == 0 {
			k := agentIndex(s, task[1])
			scaleStored(c, c.Receive(t0, s.agentPIDs[k], scaleUpdate(s.agentPIDs[k], task[1], task[0], task[2], mesos.TaskState_TASK_FINISHED, uint64(1000+i))))
		}
	}
	fid := s.frameworks[0]
	var offer *mesos.Offer
	for _, e := range c.Offer(t0, fid, allocator.Offers{"*": {aid: resources.MustParse("cpus:4;disk:10").Allocate("*")}}) {
		if send, ok := e.(effect.Send); ok {
			if m, ok := send.Msg.(*mesosinternal.ResourceOffersMessage); ok {
				offer = m.GetOffers()[0]
			}
		}
	}
	if offer == nil {
		t.Fatal("no offer")
	}
	var tasks []*mesos.TaskInfo
	for i := 0; i < 3; i++ {
		ti := commandTask(fmt.Sprintf("odd-%d", i), offer, "cpus:1")
		ti.Labels = &mesos.Labels{Labels: []*mesos.Label{{Key: proto.String("k"), Value: proto.String(fmt.Sprintf("v<%d>", i))}}}
		ti.Command.User = proto.String("nobody")
		tasks = append(tasks, ti)
	}
	scaleStored(c, c.Receive(t0, s.fwPIDs[0], launch(fid, ids(offer), nil, tasks...)))
	for i, ti := range tasks {
		u := scaleUpdate(pid, aid, fid, ti.GetTaskId().GetValue(), mesos.TaskState_TASK_RUNNING, uint64(2000+i))
		u.Update.Status.Healthy = proto.Bool(true)
		u.Update.Status.Timestamp = proto.Float64(1.5e-7)
		scaleStored(c, c.Receive(t0, pid, u))
	}
	check("after changes")
	// the last status replaced by one of the same state
	u := scaleUpdate(pid, aid, fid, "odd-1", mesos.TaskState_TASK_RUNNING, 3000)
	u.Update.Status.Healthy = proto.Bool(false)
	scaleStored(c, c.Receive(t0, pid, u))
	check("after a status replaced")
	check("after changes, cached")
	body, _ := cache.renderCore(c, time.Time{})
	for _, want := range []string{`"state":"TASK_FINISHED"`, `v\u003c1\u003e`, `"reserved_resources":{"dev":{`, `"healthy":true`, `"healthy":false`, `"user":"nobody"`, `"timestamp":1.5e-7`, `odd\u003c\u0026\u003e\"hosté`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("rendering lacks %s", want)
		}
	}
}

func agentIndex(s *scale, id string) int {
	for i, a := range s.agents {
		if a == id {
			return i
		}
	}
	return -1
}
