package master

import (
	"bytes"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// The content key reads every field of Resource and of the messages in
// it: a field added to the protobuf must be added to appendResKey (or
// sent to the protobuf-encoded fallback) before this passes.
func TestResourceKeyCoversEveryField(t *testing.T) {
	for _, tc := range []struct {
		msg    proto.Message
		fields []string
	}{
		{&mesos.Resource{}, []string{"name", "type", "scalar", "ranges", "set", "role", "disk", "reservation", "revocable", "shared", "allocation_info", "provider_id", "reservations"}},
		{&mesos.Resource_ReservationInfo{}, []string{"principal", "labels", "role", "type"}},
		{&mesos.Resource_AllocationInfo{}, []string{"role"}},
		{&mesos.Resource_RevocableInfo{}, nil},
		{&mesos.Resource_SharedInfo{}, nil},
		{&mesos.ResourceProviderID{}, []string{"value"}},
		{&mesos.Value_Scalar{}, []string{"value"}},
		{&mesos.Value_Ranges{}, []string{"range"}},
		{&mesos.Value_Range{}, []string{"begin", "end"}},
		{&mesos.Value_Set{}, []string{"item"}},
	} {
		var got []string
		fs := tc.msg.ProtoReflect().Descriptor().Fields()
		for i := 0; i < fs.Len(); i++ {
			got = append(got, string(fs.Get(i).Name()))
		}
		slices.Sort(got)
		want := slices.Clone(tc.fields)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s has fields %v, the key knows %v", tc.msg.ProtoReflect().Descriptor().FullName(), got, want)
		}
	}
}

// Resources differing in any one field get different keys; equal ones
// the same; and what the memo renders equals rendering afresh.
func TestResourceKeyAndMemo(t *testing.T) {
	base := func() *mesos.Resource {
		return &mesos.Resource{
			Name: proto.String("cpus"), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(1)},
		}
	}
	variants := map[string]func(*mesos.Resource){
		"base":         func(*mesos.Resource) {},
		"name":         func(x *mesos.Resource) { x.Name = proto.String("mem") },
		"no type":      func(x *mesos.Resource) { x.Type = nil },
		"type":         func(x *mesos.Resource) { x.Type = mesos.Value_RANGES.Enum() },
		"scalar":       func(x *mesos.Resource) { x.Scalar.Value = proto.Float64(2) },
		"scalar unset": func(x *mesos.Resource) { x.Scalar.Value = nil },
		"no scalar":    func(x *mesos.Resource) { x.Scalar = nil },
		"ranges":       func(x *mesos.Resource) { x.Ranges = &mesos.Value_Ranges{} },
		"a range": func(x *mesos.Resource) {
			x.Ranges = &mesos.Value_Ranges{Range: []*mesos.Value_Range{{Begin: proto.Uint64(1), End: proto.Uint64(2)}}}
		},
		"another range": func(x *mesos.Resource) {
			x.Ranges = &mesos.Value_Ranges{Range: []*mesos.Value_Range{{Begin: proto.Uint64(1), End: proto.Uint64(3)}}}
		},
		"set":            func(x *mesos.Resource) { x.Set = &mesos.Value_Set{Item: []string{"a"}} },
		"set of two":     func(x *mesos.Resource) { x.Set = &mesos.Value_Set{Item: []string{"a", "b"}} },
		"set ab":         func(x *mesos.Resource) { x.Set = &mesos.Value_Set{Item: []string{"ab"}} },
		"role":           func(x *mesos.Resource) { x.Role = proto.String("r") },
		"revocable":      func(x *mesos.Resource) { x.Revocable = &mesos.Resource_RevocableInfo{} },
		"shared":         func(x *mesos.Resource) { x.Shared = &mesos.Resource_SharedInfo{} },
		"allocation":     func(x *mesos.Resource) { x.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String("r")} },
		"allocation nil": func(x *mesos.Resource) { x.AllocationInfo = &mesos.Resource_AllocationInfo{} },
		"provider":       func(x *mesos.Resource) { x.ProviderId = &mesos.ResourceProviderID{Value: proto.String("p")} },
		"reservation": func(x *mesos.Resource) {
			x.Reservations = []*mesos.Resource_ReservationInfo{{Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(), Role: proto.String("r")}}
		},
		"reservation principal": func(x *mesos.Resource) {
			x.Reservations = []*mesos.Resource_ReservationInfo{{Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(), Role: proto.String("r"), Principal: proto.String("p")}}
		},
		"reservation labels": func(x *mesos.Resource) {
			x.Reservations = []*mesos.Resource_ReservationInfo{{Role: proto.String("r"), Labels: &mesos.Labels{}}}
		},
		"disk":         func(x *mesos.Resource) { x.Disk = &mesos.Resource_DiskInfo{} },
		"legacy":       func(x *mesos.Resource) { x.Reservation = &mesos.Resource_ReservationInfo{Principal: proto.String("p")} },
		"legacy other": func(x *mesos.Resource) { x.Reservation = &mesos.Resource_ReservationInfo{Principal: proto.String("q")} },
	}
	keys := map[string]string{}
	m := newResMemo()
	for name, change := range variants {
		x := base()
		change(x)
		k, ok := appendResKey(nil, x)
		if !ok {
			t.Fatalf("%s: no key", name)
		}
		if other, dup := keys[string(k)]; dup {
			t.Errorf("%s and %s have the same key", name, other)
		}
		keys[string(k)] = name
		again, _ := appendResKey(nil, proto.Clone(x).(*mesos.Resource))
		if !bytes.Equal(k, again) {
			t.Errorf("%s: a copy has another key", name)
		}
		rs := resources.Resources{x}
		for i := 0; i < 2; i++ { // fresh, then from the memo
			l, err := m.list(rs)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := encodeRaw(resJSON(rs))
			if !bytes.Equal(l.json, want) {
				t.Errorf("%s: list %s, want %s", name, l.json, want)
			}
			if got, want := m.full(rs), compactFull(rs); !bytes.Equal(got, want) {
				t.Errorf("%s: full %s, want %s", name, got, want)
			}
		}
	}
}
