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

// The same list sent again (a scheduler launching several tasks with
// one) gets the list it got before for the same role only.
func TestLaunchMemoSameListAgain(t *testing.T) {
	var m launchMemo
	roleA := &mesos.Resource_AllocationInfo{Role: proto.String("a")}
	roleB := &mesos.Resource_AllocationInfo{Role: proto.String("b")}
	sent := resources.MustParse("cpus:1;mem:128")
	first := m.resources(sent, roleA)
	if again := m.resources(sent, roleA); &again[0] != &first[0] {
		t.Fatalf("the same list again got another list")
	}
	other := m.resources(sent, roleB)
	if &other[0] == &first[0] || !equalResourceLists(other, launchResources(resources.Resources(sent).Clone(), roleB)) {
		t.Fatalf("the same list for another role got %v", other)
	}
	part := m.resources(sent[:1], roleB)
	if len(part) != 1 || part[0].GetName() != "cpus" || part[0].GetAllocationInfo().GetRole() != "b" {
		t.Fatalf("a shorter list from the same entries got %v", part)
	}
	if again := m.resources(sent, roleA); &again[0] != &first[0] {
		t.Fatalf("the list again after others is not the memo's")
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

func TestDowngradeMemoSharesOnlyAlikeLists(t *testing.T) {
	var m downgradeMemo
	offered := func(text string) resources.Resources { return resources.MustParse(text).Allocate("*") }
	want := func(r resources.Resources) resources.Resources {
		down, err := r.Clone().Downgrade()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range down {
			x.AllocationInfo = nil
		}
		return down
	}
	const agent = "cpus:16;mem:65536;disk:1000;ports:[31000-32000]"
	first, ok := m.of(offered(agent))
	if !ok || !equalResourceLists(first, want(offered(agent))) {
		t.Fatalf("got %v, want %v", first, want(offered(agent)))
	}
	again, _ := m.of(offered(agent))
	if &again[0] != &first[0] {
		t.Fatalf("agents alike got a list each")
	}
	for _, text := range []string{"cpus:15;mem:65536;disk:1000;ports:[31000-32000]", "cpus:16;mem:65536;disk:1000;ports:[31000-31999]"} {
		got, _ := m.of(offered(text))
		if &got[0] == &first[0] || !equalResourceLists(got, want(offered(text))) {
			t.Errorf("%s: got %v, want %v of its own", text, got, want(offered(text)))
		}
	}
	for i, mark := range []func(r resources.Resources){
		func(r resources.Resources) { r[1].GetScalar().ProtoReflect().SetUnknown([]byte{0xf8, 0x7f, 0x01}) },
		func(r resources.Resources) {
			r[3].GetRanges().GetRange()[0].ProtoReflect().SetUnknown([]byte{0xf8, 0x7f, 0x01})
		},
		func(r resources.Resources) { r[0].ProtoReflect().SetUnknown([]byte{0xf8, 0x7f, 0x01}) },
	} {
		odd := offered(agent)
		mark(odd)
		if got, _ := m.of(odd); &got[0] == &first[0] {
			t.Errorf("%d: a list with unknown fields shares the first list", i)
		}
	}
}
