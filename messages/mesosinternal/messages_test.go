package mesosinternal_test

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
)

func roundTrip[T proto.Message](t *testing.T, in T, out T) {
	t.Helper()
	b, err := proto.Marshal(in)
	if err != nil {
		t.Fatalf("marshal %s: %v", in.ProtoReflect().Descriptor().FullName(), err)
	}
	if err := proto.Unmarshal(b, out); err != nil {
		t.Fatalf("unmarshal %s: %v", in.ProtoReflect().Descriptor().FullName(), err)
	}
	if !proto.Equal(in, out) {
		t.Fatalf("round trip mismatch:\n in: %v\nout: %v", in, out)
	}
}

func TestRoundTrip(t *testing.T) {
	run := &mesosinternal.RunTaskMessage{
		Framework: &mesos.FrameworkInfo{
			User:  proto.String("root"),
			Name:  proto.String("fw"),
			Id:    &mesos.FrameworkID{Value: proto.String("fw-1")},
			Roles: []string{"a", "b"},
		},
		Pid: proto.String("scheduler@127.0.0.1:5050"),
		Task: &mesos.TaskInfo{
			Name:    proto.String("t"),
			TaskId:  &mesos.TaskID{Value: proto.String("t-1")},
			SlaveId: &mesos.SlaveID{Value: proto.String("s-1")},
			Resources: []*mesos.Resource{{
				Name:   proto.String("cpus"),
				Type:   mesos.Value_SCALAR.Enum(),
				Scalar: &mesos.Value_Scalar{Value: proto.Float64(0.5)},
			}},
			Command: &mesos.CommandInfo{Value: proto.String("sleep 1")},
		},
	}
	roundTrip(t, run, &mesosinternal.RunTaskMessage{})

	call := &scheduler.Call{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		Type:        scheduler.Call_ACCEPT.Enum(),
		Accept: &scheduler.Call_Accept{
			OfferIds: []*mesos.OfferID{{Value: proto.String("o-1")}},
			Operations: []*mesos.Offer_Operation{{
				Type:   mesos.Offer_Operation_LAUNCH.Enum(),
				Launch: &mesos.Offer_Operation_Launch{TaskInfos: []*mesos.TaskInfo{run.Task}},
			}},
			Filters: &mesos.Filters{RefuseSeconds: proto.Float64(10)},
		},
	}
	roundTrip(t, call, &scheduler.Call{})
}

func TestNamesAndNumbers(t *testing.T) {
	names := map[protoreflect.FullName]proto.Message{
		"mesos.internal.RunTaskMessage": &mesosinternal.RunTaskMessage{},
		"mesos.scheduler.Call":          &scheduler.Call{},
		"mesos.TaskInfo":                &mesos.TaskInfo{},
		"mesos.quota.QuotaConfig":       &mesos.QuotaConfig{},
	}
	for want, m := range names {
		if got := m.ProtoReflect().Descriptor().FullName(); got != want {
			t.Errorf("full name %s, want %s", got, want)
		}
	}

	fields := []struct {
		m    proto.Message
		name protoreflect.Name
		num  protoreflect.FieldNumber
	}{
		{&mesos.TaskStatus{}, "reason", 10},
		{&mesos.FrameworkInfo{}, "roles", 12},
		{&mesosinternal.StatusUpdateMessage{}, "pid", 2},
		{&mesos.Resource{}, "reservations", 13},
		{&scheduler.Call{}, "update_framework", 19},
	}
	for _, f := range fields {
		d := f.m.ProtoReflect().Descriptor()
		fd := d.Fields().ByName(f.name)
		if fd == nil {
			t.Errorf("%s has no field %s", d.FullName(), f.name)
			continue
		}
		if fd.Number() != f.num {
			t.Errorf("%s.%s is %d, want %d", d.FullName(), f.name, fd.Number(), f.num)
		}
	}

	if v := mesos.TaskState_TASK_DROPPED.Number(); v != 9 {
		t.Errorf("TASK_DROPPED = %d, want 9", v)
	}
	if v := mesos.Status_DRIVER_NOT_STARTED.Number(); v != 1 {
		t.Errorf("DRIVER_NOT_STARTED = %d, want 1", v)
	}
	if d := (&mesos.FrameworkInfo{}).GetRole(); d != "*" {
		t.Errorf("FrameworkInfo.role default %q, want *", d)
	}
}
