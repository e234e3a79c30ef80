package master

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

func TestLaunchMemoSharesOnlyAlikeLists(t *testing.T) {
	var m launchMemo
	roleA := &mesos.Resource_AllocationInfo{Role: proto.String("a")}
	roleB := &mesos.Resource_AllocationInfo{Role: proto.String("b")}
	first := m.resources(resources.MustParse("cpus:1;mem:128"), roleA)
	again := m.resources(resources.MustParse("cpus:1;mem:128"), roleA)
	if &first[0] != &again[0] {
		t.Fatalf("tasks asking alike got a list each")
	}
	for _, c := range []struct {
		name string
		rs   []*mesos.Resource
		info *mesos.Resource_AllocationInfo
	}{
		{"other role", resources.MustParse("cpus:1;mem:128"), roleB},
		{"other amount", resources.MustParse("cpus:1;mem:256"), roleA},
		{"other order", resources.MustParse("mem:128;cpus:1"), roleA},
		{"ranges", resources.MustParse("cpus:1;ports:[31000-31001]"), roleA},
	} {
		got := m.resources(c.rs, c.info)
		want := launchResources(resources.Resources(c.rs).Clone(), c.info)
		if len(got) == len(first) && &got[0] == &first[0] {
			t.Errorf("%s: shares the first list", c.name)
		}
		if !equalResourceLists(got, want) {
			t.Errorf("%s: got %v, want %v", c.name, got, want)
		}
	}
	// a resource with fields this master does not know is not keyed
	odd := resources.MustParse("cpus:1;mem:128")
	odd[0].ProtoReflect().SetUnknown([]byte{0xf8, 0x7f, 0x01})
	if got := m.resources(odd, roleA); &got[0] == &first[0] {
		t.Errorf("a list with unknown fields shares the first list")
	}
}

func equalResourceLists(a, b []*mesos.Resource) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
