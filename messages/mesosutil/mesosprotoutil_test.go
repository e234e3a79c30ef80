package mesosutil

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
)

func TestResourceConstructors(t *testing.T) {
	rw := mesos.Volume_RW.Enum()
	cases := []struct {
		name string
		got  *mesos.Resource
		want string // resources' text form
		rev  bool
		role string
	}{
		{"scalar", NewScalarResource("mem", 200), "mem:200", false, "*"},
		{"ranges", NewRangesResource("ports", []*mesos.Value_Range{NewValueRange(31000, 31005), NewValueRange(1, 2)}), "ports:[1-2, 31000-31005]", false, "*"},
		{"set", NewSetResource("zones", []string{"a", "b"}), "zones:{a, b}", false, "*"},
		{"revocable", NewScalarResourceWithRevocable("cpus", 1.5), "cpus{REV}:1.5", true, "*"},
		{"reserved scalar", NewScalarResourceWithReservation("cpus", 2, "alice", "eng"), "cpus(reservations: [(DYNAMIC,eng,alice)]):2", false, "eng"},
		{"reserved ranges", NewRangesResourceWithReservation("ports", []*mesos.Value_Range{NewValueRange(1, 3)}, "alice", "eng"), "ports(reservations: [(DYNAMIC,eng,alice)]):[1-3]", false, "eng"},
		{"reserved set", NewSetResourceWithReservation("zones", []string{"a"}, "alice", "eng"), "zones(reservations: [(DYNAMIC,eng,alice)]):{a}", false, "eng"},
		{"volume", NewVolumeResource(64, "data", "vol-1", rw), "disk[vol-1:data]:64", false, "*"},
		{"reserved volume", NewVolumeResourceWithReservation(64, "data", "vol-1", rw, "alice", "eng"), "disk(reservations: [(DYNAMIC,eng,alice)])[vol-1:data]:64", false, "eng"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := resources.ValidateResource(c.got); err != nil {
				t.Fatalf("invalid: %v", err)
			}
			if got := resources.New(c.got).String(); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			if (c.got.Revocable != nil) != c.rev {
				t.Errorf("revocable = %v", c.got.Revocable != nil)
			}
			if c.got.GetRole() != c.role {
				t.Errorf("role = %q, want %q", c.got.GetRole(), c.role)
			}
		})
	}
	if r := NewVolumeResource(1, "p", "id", rw); r.GetDisk().GetVolume().GetMode() != mesos.Volume_RW ||
		r.GetDisk().GetPersistence().GetId() != "id" || r.GetName() != "disk" {
		t.Errorf("volume fields: %v", r)
	}
	if v := NewValueRange(20, 40); v.GetBegin() != 20 || v.GetEnd() != 40 {
		t.Errorf("NewValueRange = %v", v)
	}
}

func TestFilters(t *testing.T) {
	isMem := func(r *mesos.Resource) bool { return r.GetName() == "mem" }
	rs := []*mesos.Resource{NewScalarResource("mem", 200), NewScalarResource("cpus", 4), NewScalarResource("mem", 500)}
	if got := FilterResources(rs, isMem); len(got) != 2 {
		t.Errorf("FilterResources kept %d", len(got))
	}
	offers := []*mesos.Offer{
		{Resources: rs},
		{Resources: []*mesos.Resource{NewScalarResource("mem", 1)}},
		{},
	}
	if got := FilterOffersResources(offers, isMem); len(got) != 3 {
		t.Errorf("FilterOffersResources kept %d, want 3", len(got))
	}
	if got := FilterResources(nil, isMem); got != nil {
		t.Errorf("FilterResources(nil) = %v", got)
	}
}

func TestMessageConstructors(t *testing.T) {
	fw := NewFrameworkID("fw-1")
	slave := NewSlaveID("S1")
	task := NewTaskID("t1")
	exec := NewExecutorID("e1")
	cmd := NewCommandInfo("sleep 1")
	status := NewTaskStatus(task, mesos.TaskState_TASK_RUNNING)
	res := []*mesos.Resource{NewScalarResource("cpus", 1)}
	ti := NewTaskInfo("task", task, slave, res)

	cases := []struct {
		name string
		got  proto.Message
		want proto.Message
	}{
		{"FrameworkID", fw, &mesos.FrameworkID{Value: proto.String("fw-1")}},
		{"OfferID", NewOfferID("O1"), &mesos.OfferID{Value: proto.String("O1")}},
		{"SlaveID", slave, &mesos.SlaveID{Value: proto.String("S1")}},
		{"TaskID", task, &mesos.TaskID{Value: proto.String("t1")}},
		{"ExecutorID", exec, &mesos.ExecutorID{Value: proto.String("e1")}},
		{"CommandInfo", cmd, &mesos.CommandInfo{Value: proto.String("sleep 1")}},
		{"FrameworkInfo", NewFrameworkInfo("root", "fw", fw),
			&mesos.FrameworkInfo{User: proto.String("root"), Name: proto.String("fw"), Id: fw}},
		{"MasterInfo", NewMasterInfo("m1", 0x0100007f, 5050),
			&mesos.MasterInfo{Id: proto.String("m1"), Ip: proto.Uint32(0x0100007f), Port: proto.Uint32(5050)}},
		{"Offer", NewOffer(NewOfferID("O1"), fw, slave, "host"),
			&mesos.Offer{Id: NewOfferID("O1"), FrameworkId: fw, SlaveId: slave, Hostname: proto.String("host")}},
		{"TaskInfo", ti, &mesos.TaskInfo{Name: proto.String("task"), TaskId: task, SlaveId: slave, Resources: res}},
		{"TaskStatus", status, &mesos.TaskStatus{TaskId: task, State: mesos.TaskState_TASK_RUNNING.Enum()}},
		{"ExecutorInfo", NewExecutorInfo(exec, cmd), &mesos.ExecutorInfo{ExecutorId: exec, Command: cmd}},
		{"StatusUpdate", NewStatusUpdate(fw, status, 12.5, []byte("0123456789abcdef")),
			&mesosinternal.StatusUpdate{FrameworkId: fw, Status: status, Timestamp: proto.Float64(12.5), Uuid: []byte("0123456789abcdef")}},
		{"Create", NewCreateOperation(res), &mesos.Offer_Operation{Type: mesos.Offer_Operation_CREATE.Enum(), Create: &mesos.Offer_Operation_Create{Volumes: res}}},
		{"Destroy", NewDestroyOperation(res), &mesos.Offer_Operation{Type: mesos.Offer_Operation_DESTROY.Enum(), Destroy: &mesos.Offer_Operation_Destroy{Volumes: res}}},
		{"Reserve", NewReserveOperation(res), &mesos.Offer_Operation{Type: mesos.Offer_Operation_RESERVE.Enum(), Reserve: &mesos.Offer_Operation_Reserve{Resources: res}}},
		{"Unreserve", NewUnreserveOperation(res), &mesos.Offer_Operation{Type: mesos.Offer_Operation_UNRESERVE.Enum(), Unreserve: &mesos.Offer_Operation_Unreserve{Resources: res}}},
		{"Launch", NewLaunchOperation([]*mesos.TaskInfo{ti}), &mesos.Offer_Operation{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: []*mesos.TaskInfo{ti}}}},
	}
	for _, c := range cases {
		if !proto.Equal(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}

	// The required fields are all set: the messages marshal strictly.
	for _, m := range []proto.Message{fw, slave, task, exec, ti, status,
		NewFrameworkInfo("u", "n", nil), NewMasterInfo("m", 1, 2), NewOffer(NewOfferID("o"), fw, slave, "h"),
		NewExecutorInfo(exec, cmd), NewStatusUpdate(fw, status, 1, nil)} {
		if _, err := proto.Marshal(m); err != nil {
			t.Errorf("marshal %T: %v", m, err)
		}
	}
}

func TestConstantsAndHostname(t *testing.T) {
	if MesosVersion != "1.11.0" {
		t.Errorf("MesosVersion = %s", MesosVersion)
	}
	if got := GetHostname("  override.example  "); got != "override.example" {
		t.Errorf("GetHostname(override) = %q", got)
	}
	if got := GetHostname(""); got == "" || strings.ContainsAny(got, " \n") {
		t.Errorf("GetHostname() = %q", got)
	}
}
