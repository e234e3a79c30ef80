package effecttest

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
)

type custom struct {
	ID   *mesos.TaskID
	List []*mesos.TaskID
	N    int
}

func TestEqual(t *testing.T) {
	id := func(s string) *mesos.TaskID { return &mesos.TaskID{Value: proto.String(s)} }
	pid := actors.PID{ID: "a", Address: "127.0.0.1:1"}
	base := []effect.Effect{effect.Send{To: pid, Msg: id("x")}, effect.StartTimer{Key: "k", After: time.Second},
		custom{ID: id("y"), List: []*mesos.TaskID{id("z")}, N: 1}}
	same := []effect.Effect{effect.Send{To: pid, Msg: id("x")}, effect.StartTimer{Key: "k", After: time.Second},
		custom{ID: id("y"), List: []*mesos.TaskID{id("z")}, N: 1}}
	if !Equal(base, same) {
		t.Fatalf("equal lists differ:%s", Format(base))
	}
	for _, other := range [][]effect.Effect{
		base[:2],
		{effect.Send{To: pid, Msg: id("X")}, base[1], base[2]},
		{base[0], effect.StartTimer{Key: "k", After: 2 * time.Second}, base[2]},
		{base[0], base[1], custom{ID: id("y"), List: []*mesos.TaskID{id("w")}, N: 1}},
		{base[0], base[1], custom{List: []*mesos.TaskID{id("z")}, N: 1}},
		{base[0], effect.CancelTimer{Key: "k"}, base[2]},
	} {
		if Equal(base, other) {
			t.Errorf("different lists compare equal:%s", Format(other))
		}
	}
}
