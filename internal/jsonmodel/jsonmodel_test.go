package jsonmodel

import (
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

func TestTaskShape(t *testing.T) {
	res := resources.MustParse("cpus:1;mem:128").Allocate("web")
	task := &mesos.Task{
		Name: proto.String("t"), TaskId: &mesos.TaskID{Value: proto.String("t1")},
		FrameworkId: &mesos.FrameworkID{Value: proto.String("f")}, SlaveId: &mesos.SlaveID{Value: proto.String("s")},
		State:     mesos.TaskState_TASK_RUNNING.Enum(),
		Resources: res,
		Statuses:  []*mesos.TaskStatus{{State: mesos.TaskState_TASK_RUNNING.Enum(), Timestamp: proto.Float64(12.5)}},
		Labels:    &mesos.Labels{Labels: []*mesos.Label{{Key: proto.String("k"), Value: proto.String("v")}}},
	}
	b, err := json.Marshal(Task(task))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"executor_id":"","framework_id":"f","id":"t1","labels":[{"key":"k","value":"v"}],"name":"t","resources":{"cpus":1,"disk":0,"gpus":0,"mem":128},"role":"web","slave_id":"s","state":"TASK_RUNNING","statuses":[{"state":"TASK_RUNNING","timestamp":12.5}]}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestAttributes(t *testing.T) {
	attrs := []*mesos.Attribute{
		{Name: proto.String("rack"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(2)}},
		{Name: proto.String("zone"), Type: mesos.Value_TEXT.Enum(), Text: &mesos.Value_Text{Value: proto.String("a")}},
		{Name: proto.String("ports"), Type: mesos.Value_RANGES.Enum(), Ranges: &mesos.Value_Ranges{Range: []*mesos.Value_Range{{Begin: proto.Uint64(1), End: proto.Uint64(5)}}}},
		{Name: proto.String("disks"), Type: mesos.Value_SET.Enum(), Set: &mesos.Value_Set{Item: []string{"a", "b"}}},
	}
	b, _ := json.Marshal(Attributes(attrs))
	want := `{"disks":"{a, b}","ports":"[1-5]","rack":2,"zone":"a"}`
	if string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
	if got := Proto(nil); len(got.(Object)) != 0 {
		t.Fatalf("Proto(nil) = %v", got)
	}
}
