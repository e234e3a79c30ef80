package master

import (
	"encoding/json"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/internal/jsonmodel"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// taskDoc renders every task as jsonmodel.Task does.
func TestTaskDocMatchesJSONModel(t *testing.T) {
	plain := &mesos.Task{
		Name: proto.String("plain"), TaskId: &mesos.TaskID{Value: proto.String("t1")},
		FrameworkId: frameworkID("f"), SlaveId: slaveID("a"), State: mesos.TaskState_TASK_STAGING.Enum(),
	}
	full := proto.Clone(plain).(*mesos.Task)
	full.Name = proto.String("full")
	full.ExecutorId = &mesos.ExecutorID{Value: proto.String("e")}
	full.Resources = resources.MustParse("cpus:1;mem:128;ports:[31000-31001]").Allocate("web")
	full.User = proto.String("nobody")
	full.Labels = &mesos.Labels{Labels: []*mesos.Label{{Key: proto.String("k"), Value: proto.String("v")}}}
	full.Limits = map[string]*mesos.Value_Scalar{"cpus": {Value: proto.Float64(2)}}
	full.Discovery = &mesos.DiscoveryInfo{Visibility: mesos.DiscoveryInfo_FRAMEWORK.Enum(), Name: proto.String("d")}
	full.Container = &mesos.ContainerInfo{Type: mesos.ContainerInfo_MESOS.Enum()}
	full.HealthCheck = &mesos.HealthCheck{Type: mesos.HealthCheck_TCP.Enum(), Tcp: &mesos.HealthCheck_TCPCheckInfo{Port: proto.Uint32(80)}}
	full.Statuses = []*mesos.TaskStatus{
		{State: mesos.TaskState_TASK_RUNNING.Enum(), Timestamp: proto.Float64(12.5), Healthy: proto.Bool(true),
			Labels:          &mesos.Labels{},
			ContainerStatus: &mesos.ContainerStatus{ExecutorPid: proto.Uint32(42)}},
		{State: mesos.TaskState_TASK_FINISHED.Enum(), Timestamp: proto.Float64(13)},
	}
	empty := proto.Clone(plain).(*mesos.Task)
	empty.Labels = &mesos.Labels{}
	for _, task := range []*mesos.Task{plain, full, empty} {
		var want, got any
		a, _ := json.Marshal(jsonmodel.Task(task))
		b, _ := json.Marshal(newTaskDoc(task))
		json.Unmarshal(a, &want)
		json.Unmarshal(b, &got)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("task %s:\n got %s\nwant %s", task.GetName(), b, a)
		}
	}
}
