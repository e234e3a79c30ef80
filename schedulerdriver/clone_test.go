package schedulerdriver

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

func TestCloneOfferIsADeepCopy(t *testing.T) {
	full := &mesos.Offer{
		Id:          &mesos.OfferID{Value: proto.String("o1")},
		FrameworkId: &mesos.FrameworkID{Value: proto.String("f1")},
		SlaveId:     &mesos.SlaveID{Value: proto.String("s1")},
		Hostname:    proto.String("h"),
		Resources:   resources.MustParse("cpus:2;mem:64;ports:[1-3]").Allocate("r"),
		ExecutorIds: []*mesos.ExecutorID{{Value: proto.String("e")}},
		Attributes: []*mesos.Attribute{{Name: proto.String("rack"), Type: mesos.Value_TEXT.Enum(),
			Text: &mesos.Value_Text{Value: proto.String("a")}}},
		Url:            &mesos.URL{Scheme: proto.String("http"), Address: &mesos.Address{Hostname: proto.String("h"), Port: proto.Int32(1)}},
		Unavailability: &mesos.Unavailability{Start: &mesos.TimeInfo{Nanoseconds: proto.Int64(1)}},
		AllocationInfo: &mesos.Resource_AllocationInfo{Role: proto.String("r")},
		Domain:         &mesos.DomainInfo{},
	}
	unknownID := &mesos.Offer{Id: &mesos.OfferID{Value: proto.String("o2")}}
	unknownID.Id.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 9, protowire.VarintType), 1))
	unknown := proto.Clone(full).(*mesos.Offer)
	unknown.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 1))
	for _, o := range []*mesos.Offer{full, unknownID, unknown, {Id: &mesos.OfferID{}}, {}} {
		before := proto.Clone(o)
		c := cloneOffer(o)
		if !proto.Equal(c, o) {
			t.Fatalf("cloneOffer(%v) = %v", o, c)
		}
		if c.Id != nil && c.Id.Value != nil {
			*c.Id.Value = "changed"
		}
		if c.Hostname != nil {
			*c.Hostname = "changed"
		}
		for _, r := range c.Resources {
			if r.Scalar != nil {
				*r.Scalar.Value = 99
			}
		}
		if !proto.Equal(o, before) {
			t.Fatalf("changing the copy changed the offer: %v", o)
		}
	}
	if cloneOffers(nil) != nil || cloneOffer(nil) != nil {
		t.Fatal("nil in, not nil out")
	}
	query := proto.Clone(full).(*mesos.Offer)
	query.Url.Query = []*mesos.Parameter{{Key: proto.String("k"), Value: proto.String("v")}}
	for _, o := range []*mesos.Offer{query, {Url: &mesos.URL{}}, {Url: &mesos.URL{Address: &mesos.Address{}}}} {
		if c := cloneOffer(o); !proto.Equal(c, o) {
			t.Fatalf("cloneOffer(%v) = %v", o, c)
		}
	}
	c := cloneOffer(full)
	*c.Url.Address.Hostname, *c.Url.Scheme = "changed", "changed"
	if full.Url.Address.GetHostname() != "h" || full.Url.GetScheme() != "http" {
		t.Fatal("changing the copy's url changed the offer's")
	}
	for _, c := range []struct {
		m    proto.Message
		want int
	}{{&mesos.URL{}, 5}, {&mesos.Address{}, 3}} {
		if n := c.m.ProtoReflect().Descriptor().Fields().Len(); n != c.want {
			t.Fatalf("%s has %d fields; cloneURL copies %d", c.m.ProtoReflect().Descriptor().FullName(), n, c.want)
		}
	}
	// A field added to Offer must be added to cloneOffer.
	if n := (&mesos.Offer{}).ProtoReflect().Descriptor().Fields().Len(); n != 11 {
		t.Fatalf("Offer has %d fields; cloneOffer copies 11", n)
	}
}

func TestCloneStatusIsADeepCopy(t *testing.T) {
	full := &mesos.TaskStatus{
		TaskId: &mesos.TaskID{Value: proto.String("t")}, State: mesos.TaskState_TASK_RUNNING.Enum(),
		Data: []byte("d"), Message: proto.String("m"), SlaveId: &mesos.SlaveID{Value: proto.String("s")},
		Timestamp: proto.Float64(1.5), ExecutorId: &mesos.ExecutorID{Value: proto.String("e")},
		Healthy: proto.Bool(true), Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(),
		Reason: mesos.TaskStatus_REASON_COMMAND_EXECUTOR_FAILED.Enum(), Uuid: []byte("0123456789abcdef"),
		Labels:          &mesos.Labels{Labels: []*mesos.Label{{Key: proto.String("k")}}},
		ContainerStatus: &mesos.ContainerStatus{ExecutorPid: proto.Uint32(3)},
		UnreachableTime: &mesos.TimeInfo{Nanoseconds: proto.Int64(1)},
		CheckStatus:     &mesos.CheckStatusInfo{},
		Limitation:      &mesos.TaskResourceLimitation{},
	}
	empty := &mesos.TaskStatus{Data: []byte{}, Uuid: []byte{}}
	unknown := proto.Clone(full).(*mesos.TaskStatus)
	unknown.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 1))
	for _, s := range []*mesos.TaskStatus{full, empty, unknown, {}} {
		before := proto.Clone(s)
		c := cloneStatus(s)
		if !proto.Equal(c, s) {
			t.Fatalf("cloneStatus(%v) = %v", s, c)
		}
		if (c.Data == nil) != (s.Data == nil) || (c.Uuid == nil) != (s.Uuid == nil) {
			t.Fatalf("cloneStatus(%v) changed presence of bytes", s)
		}
		if c.TaskId != nil {
			*c.TaskId.Value = "changed"
		}
		if len(c.Uuid) > 0 {
			c.Uuid[0] = 'X'
		}
		if c.Message != nil {
			*c.Message = "changed"
		}
		if !proto.Equal(s, before) {
			t.Fatalf("changing the copy changed the status: %v", s)
		}
	}
	if n := (&mesos.TaskStatus{}).ProtoReflect().Descriptor().Fields().Len(); n != 16 {
		t.Fatalf("TaskStatus has %d fields; cloneStatus copies 16", n)
	}
}

func TestCloneOperationsIsADeepCopy(t *testing.T) {
	task := &mesos.TaskInfo{
		Name: proto.String("n"), TaskId: &mesos.TaskID{Value: proto.String("t")}, SlaveId: &mesos.SlaveID{Value: proto.String("s")},
		Resources: resources.MustParse("cpus:1;mem:32"), Data: []byte("d"),
		Command:  &mesos.CommandInfo{Value: proto.String("true")},
		Executor: &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("e")}},
		Labels:   &mesos.Labels{}, KillPolicy: &mesos.KillPolicy{}, Container: &mesos.ContainerInfo{},
		HealthCheck: &mesos.HealthCheck{}, Discovery: &mesos.DiscoveryInfo{}, Check: &mesos.CheckInfo{},
		MaxCompletionTime: &mesos.DurationInfo{Nanoseconds: proto.Int64(1)},
		Limits:            map[string]*mesos.Value_Scalar{"cpus": {Value: proto.Float64(2)}},
	}
	launch := &mesos.Offer_Operation{Type: mesos.Offer_Operation_LAUNCH.Enum(),
		Launch: &mesos.Offer_Operation_Launch{TaskInfos: []*mesos.TaskInfo{task, {}}}}
	reserve := &mesos.Offer_Operation{Type: mesos.Offer_Operation_RESERVE.Enum(),
		Reserve: &mesos.Offer_Operation_Reserve{Resources: resources.MustParse("cpus:1")}}
	empty := &mesos.Offer_Operation{Type: mesos.Offer_Operation_LAUNCH.Enum(), Launch: &mesos.Offer_Operation_Launch{}}
	ops := []*mesos.Offer_Operation{launch, reserve, empty}
	before := cloneAll(ops)
	got := cloneOperations(ops)
	for i := range ops {
		if !proto.Equal(got[i], ops[i]) {
			t.Fatalf("cloneOperations: %v, want %v", got[i], ops[i])
		}
	}
	c := got[0].Launch.TaskInfos[0]
	*c.TaskId.Value, *c.Name, c.Data[0] = "x", "x", 'x'
	*c.Resources[0].Scalar.Value = 9
	*c.Limits["cpus"].Value = 9
	for i := range ops {
		if !proto.Equal(ops[i], before[i]) {
			t.Fatalf("changing the copy changed the operation: %v", ops[i])
		}
	}
	if cloneOperations(nil) != nil {
		t.Fatal("nil in, not nil out")
	}
	for _, c := range []struct {
		m    proto.Message
		want int
	}{{&mesos.TaskInfo{}, 15}, {&mesos.Offer_Operation{}, 12}, {&mesos.Offer_Operation_Launch{}, 1}} {
		if n := c.m.ProtoReflect().Descriptor().Fields().Len(); n != c.want {
			t.Fatalf("%s has %d fields; the copies know %d", c.m.ProtoReflect().Descriptor().FullName(), n, c.want)
		}
	}
}

func TestCloneCommandFiltersAndOfferIDsAreDeepCopies(t *testing.T) {
	for _, c := range []*mesos.CommandInfo{
		{Value: proto.String("v"), User: proto.String("u"), Shell: proto.Bool(false), Arguments: []string{"a", "b"}},
		{Value: proto.String("v"), Uris: []*mesos.CommandInfo_URI{{Value: proto.String("http://x")}}},
		{Environment: &mesos.Environment{}}, {Arguments: []string{}}, {},
	} {
		before := proto.Clone(c)
		got := cloneCommand(c)
		if !proto.Equal(got, c) || (got.Arguments == nil) != (c.Arguments == nil) {
			t.Fatalf("cloneCommand(%v) = %v", c, got)
		}
		if got.Value != nil {
			*got.Value = "changed"
		}
		if len(got.Arguments) > 0 {
			got.Arguments[0] = "changed"
		}
		if !proto.Equal(c, before) {
			t.Fatalf("changing the copy changed the command: %v", c)
		}
	}
	if n := (&mesos.CommandInfo{}).ProtoReflect().Descriptor().Fields().Len(); n != 6 {
		t.Fatalf("CommandInfo has %d fields; cloneCommand knows 6", n)
	}

	for _, f := range []*mesos.Filters{{RefuseSeconds: proto.Float64(5)}, {}} {
		got := cloneFilters(f)
		if !proto.Equal(got, f) {
			t.Fatalf("cloneFilters(%v) = %v", f, got)
		}
		if got.RefuseSeconds != nil {
			*got.RefuseSeconds = 9
			if f.GetRefuseSeconds() == 9 {
				t.Fatal("changing the copy changed the filters")
			}
		}
	}
	if n := (&mesos.Filters{}).ProtoReflect().Descriptor().Fields().Len(); n != 1 {
		t.Fatalf("Filters has %d fields; cloneFilters copies 1", n)
	}

	// An id with an empty value keeps its presence.
	ids := []*mesos.OfferID{{Value: proto.String("o")}, {Value: proto.String("")}, {}}
	got := cloneOfferIDs(ids)
	for i := range ids {
		if !proto.Equal(got[i], ids[i]) || (got[i].Value == nil) != (ids[i].Value == nil) {
			t.Fatalf("cloneOfferIDs: %v, want %v", got[i], ids[i])
		}
	}
	*got[0].Value = "changed"
	if ids[0].GetValue() != "o" {
		t.Fatal("changing the copy changed the offer id")
	}
	if cloneOfferIDs(nil) != nil || cloneFilters(nil) != nil || cloneCommand(nil) != nil {
		t.Fatal("nil in, not nil out")
	}
}

func TestCloneResourcesIsADeepCopy(t *testing.T) {
	rs := resources.MustParse("cpus:2;mem:64;ports:[1-3,5-6];ephemeral_ports:[7-9]").Allocate("r")
	rs = append(rs, &mesos.Resource{Name: proto.String("disk"), Type: mesos.Value_SCALAR.Enum(),
		Scalar: &mesos.Value_Scalar{Value: proto.Float64(1)}, Disk: &mesos.Resource_DiskInfo{}},
		&mesos.Resource{Name: proto.String("x"), Role: proto.String("*"), Ranges: &mesos.Value_Ranges{}},
		&mesos.Resource{Name: proto.String("y"), Scalar: &mesos.Value_Scalar{Value: proto.Float64(1)},
			Ranges: &mesos.Value_Ranges{Range: []*mesos.Value_Range{{Begin: proto.Uint64(1), End: proto.Uint64(2)}}}},
		&mesos.Resource{Name: proto.String("z")})
	before := resources.Resources(rs).Clone()
	got := cloneResources(rs)
	if len(got) != len(rs) {
		t.Fatalf("cloneResources: %d entries, want %d", len(got), len(rs))
	}
	for i := range rs {
		if !proto.Equal(got[i], rs[i]) {
			t.Fatalf("cloneResources: %v, want %v", got[i], rs[i])
		}
	}
	for _, r := range got {
		*r.Name = "changed"
		if r.Scalar != nil {
			*r.Scalar.Value = 99
		}
		for _, rg := range r.GetRanges().GetRange() {
			*rg.Begin, *rg.End = 7, 8
		}
		if r.AllocationInfo != nil {
			*r.AllocationInfo.Role = "changed"
		}
		if r.Role != nil {
			*r.Role = "changed"
		}
	}
	for i := range rs {
		if !proto.Equal(rs[i], before[i]) {
			t.Fatalf("changing the copy changed the resources: %v", rs[i])
		}
	}
	for _, c := range []struct {
		m    proto.Message
		want int
	}{{&mesos.Resource{}, 13}, {&mesos.Value_Range{}, 2}, {&mesos.Value_Ranges{}, 1}, {&mesos.Resource_AllocationInfo{}, 1}, {&mesos.Value_Scalar{}, 1}} {
		if n := c.m.ProtoReflect().Descriptor().Fields().Len(); n != c.want {
			t.Fatalf("%s has %d fields; cloneResources knows %d", c.m.ProtoReflect().Descriptor().FullName(), n, c.want)
		}
	}
}

// Tasks of one launch that share a command and a resources list share
// their copies, which are still apart from the scheduler's.
func TestLaunchCopiesSharedPartsOnce(t *testing.T) {
	cmd := &mesos.CommandInfo{Value: proto.String("true")}
	res := resources.MustParse("cpus:1;mem:32")
	other := resources.MustParse("cpus:2")
	task := func(id string, rs resources.Resources) *mesos.TaskInfo {
		return &mesos.TaskInfo{Name: proto.String(id), TaskId: &mesos.TaskID{Value: proto.String(id)},
			SlaveId: &mesos.SlaveID{Value: proto.String("s")}, Command: cmd, Resources: rs}
	}
	tasks := []*mesos.TaskInfo{task("a", res), task("b", res), task("c", other), task("d", res[:1])}
	l := copyLaunch(nil, tasks, nil, false)
	got := l.ops[0].GetLaunch().GetTaskInfos()
	for i := range tasks {
		if !proto.Equal(got[i], tasks[i]) {
			t.Fatalf("task %d: copy %v, want %v", i, got[i], tasks[i])
		}
		if got[i].Command == cmd || &got[i].Resources[0] == &tasks[i].Resources[0] || got[i].Resources[0] == tasks[i].Resources[0] {
			t.Fatalf("task %d: the copy shares the scheduler's parts", i)
		}
	}
	if got[0].Command != got[1].Command || &got[0].Resources[0] != &got[1].Resources[0] {
		t.Error("tasks with the same command and resources got copies of their own")
	}
	if &got[2].Resources[0] == &got[0].Resources[0] || &got[3].Resources[0] == &got[0].Resources[0] {
		t.Error("tasks with other resources share a copy")
	}
	*got[0].Command.Value = "x"
	*got[0].Resources[0].Scalar.Value = 9
	if cmd.GetValue() != "true" || res[0].GetScalar().GetValue() != 1 {
		t.Error("changing the copies changed the scheduler's task")
	}
}
