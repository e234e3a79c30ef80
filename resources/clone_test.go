package resources

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
)

func TestCloneResourceIsADeepCopy(t *testing.T) {
	withUnknown := MustParse("cpus:2")[0]
	withUnknown.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 7))
	allocated := MustParse("cpus:1.5;mem:128;ports:[31000-31005,32000-32000]").Allocate("web")
	cases := []*mesos.Resource{
		MustParse("cpus:2")[0],
		MustParse("ports:[1-2,5-9]")[0],
		MustParse("disks:{a,b}")[0],
		MustParse("cpus(web):3")[0],
		allocated[0], allocated[1], allocated[2],
		{Name: proto.String("cpus"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{}},
		{Name: proto.String("ports"), Type: mesos.Value_RANGES.Enum(), Ranges: &mesos.Value_Ranges{}},
		{Name: proto.String("cpus"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(1)},
			Revocable: &mesos.Resource_RevocableInfo{}},
		{Name: proto.String("disk"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(1)},
			Reservations: []*mesos.Resource_ReservationInfo{{Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(), Role: proto.String("r")}},
			Disk:         &mesos.Resource_DiskInfo{Persistence: &mesos.Resource_DiskInfo_Persistence{Id: proto.String("v")}}},
		withUnknown,
		{},
	}
	for _, x := range cases {
		y := CloneResource(x)
		if !proto.Equal(x, y) {
			t.Fatalf("CloneResource(%v) = %v", x, y)
		}
		if string(y.ProtoReflect().GetUnknown()) != string(x.ProtoReflect().GetUnknown()) {
			t.Fatalf("CloneResource(%v) lost unknown fields", x)
		}
		before := proto.Clone(x)
		// Change every part of the copy: the original stays as it was.
		if y.Name != nil {
			*y.Name = "changed"
		}
		if y.Scalar != nil && y.Scalar.Value != nil {
			*y.Scalar.Value = 42
		}
		for _, rg := range y.GetRanges().GetRange() {
			*rg.Begin, *rg.End = 0, 0
		}
		if y.AllocationInfo != nil && y.AllocationInfo.Role != nil {
			*y.AllocationInfo.Role = "changed"
		}
		if y.Role != nil {
			*y.Role = "changed"
		}
		if !proto.Equal(x, before) {
			t.Fatalf("changing the copy changed the original: %v, was %v", x, before)
		}
	}
	if CloneResource(nil) != nil {
		t.Fatal("CloneResource(nil) is not nil")
	}
}

// The fast copy knows every field of Resource, Value.Scalar, Value.Ranges,
// Value.Range and Resource.AllocationInfo: a field added to one of them
// must be added to CloneResource (or to what Plain refuses).
func TestCloneResourceKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		m    proto.Message
		want int
	}{
		{&mesos.Resource{}, 13}, {&mesos.Value_Scalar{}, 1}, {&mesos.Value_Ranges{}, 1},
		{&mesos.Value_Range{}, 2}, {&mesos.Resource_AllocationInfo{}, 1},
	} {
		if got := c.m.ProtoReflect().Descriptor().Fields().Len(); got != c.want {
			t.Errorf("%s has %d fields, CloneResource knows %d", c.m.ProtoReflect().Descriptor().FullName(), got, c.want)
		}
	}
}

func BenchmarkCloneOffer4(b *testing.B) {
	r := MustParse("cpus:16;mem:65536;disk:1048576;ports:[31000-32000]").Allocate("*")
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			_ = r.Clone()
		}
	})
	b.Run("proto.Clone", func(b *testing.B) {
		for b.Loop() {
			out := make(Resources, len(r))
			for i, x := range r {
				out[i] = proto.Clone(x).(*mesos.Resource)
			}
		}
	})
}

func TestWithAllocationLeavesTheEntry(t *testing.T) {
	x := MustParse("ports:[1-5]")[0]
	x.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 99, protowire.VarintType), 7))
	for _, e := range []*mesos.Resource{MustParse("cpus(r):2")[0], x} {
		before := proto.Clone(e)
		info := &mesos.Resource_AllocationInfo{Role: proto.String("r")}
		y := WithAllocation(e, info)
		if !proto.Equal(e, before) {
			t.Fatalf("WithAllocation changed its entry: %v", e)
		}
		want := proto.Clone(e).(*mesos.Resource)
		want.AllocationInfo = info
		if !proto.Equal(y, want) {
			t.Fatalf("WithAllocation(%v) = %v, want %v", e, y, want)
		}
	}
}

func TestUnallocateOneRoleAndMixed(t *testing.T) {
	r := MustParse("cpus:2;mem:64;ports:[1-5]")
	one := r.Allocate("a")
	if got := one.Unallocate(); !got.Equal(r) || len(got) != 3 || got[0].AllocationInfo != nil {
		t.Fatalf("Unallocate(%v) = %v, want %v", one, got, r)
	}
	if one[0].AllocationInfo == nil {
		t.Fatal("Unallocate changed its operand")
	}
	// Two roles' cpus merge once unallocated.
	mixed := r.Allocate("a").Add(MustParse("cpus:1").Allocate("b"))
	if got, want := mixed.Unallocate(), MustParse("cpus:3;mem:64;ports:[1-5]"); !got.Equal(want) || len(got) != 3 {
		t.Fatalf("Unallocate(%v) = %v, want %v", mixed, got, want)
	}
}
