package resources

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
)

// ---- helpers ----

func scalar(name string, v float64) *mesos.Resource {
	return &mesos.Resource{Name: proto.String(name), Type: mesos.Value_SCALAR.Enum(),
		Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
}

func ranges(name string, bounds ...uint64) *mesos.Resource {
	rs := &mesos.Value_Ranges{}
	for i := 0; i+1 < len(bounds); i += 2 {
		rs.Range = append(rs.Range, &mesos.Value_Range{Begin: proto.Uint64(bounds[i]), End: proto.Uint64(bounds[i+1])})
	}
	return &mesos.Resource{Name: proto.String(name), Type: mesos.Value_RANGES.Enum(), Ranges: rs}
}

func set(name string, items ...string) *mesos.Resource {
	return &mesos.Resource{Name: proto.String(name), Type: mesos.Value_SET.Enum(),
		Set: &mesos.Value_Set{Item: items}}
}

func static(role string) *mesos.Resource_ReservationInfo {
	return &mesos.Resource_ReservationInfo{Type: mesos.Resource_ReservationInfo_STATIC.Enum(), Role: proto.String(role)}
}

func dynamic(role, principal string) *mesos.Resource_ReservationInfo {
	return &mesos.Resource_ReservationInfo{Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(),
		Role: proto.String(role), Principal: proto.String(principal)}
}

func reserved(r *mesos.Resource, stack ...*mesos.Resource_ReservationInfo) *mesos.Resource {
	r.Reservations = stack
	return r
}

func volume(id string, size float64, shared bool, stack ...*mesos.Resource_ReservationInfo) *mesos.Resource {
	r := scalar("disk", size)
	r.Disk = &mesos.Resource_DiskInfo{Persistence: &mesos.Resource_DiskInfo_Persistence{Id: proto.String(id)}}
	if shared {
		r.Shared = &mesos.Resource_SharedInfo{}
	}
	r.Reservations = stack
	return r
}

func mustParse(t testing.TB, text string) Resources {
	t.Helper()
	r, err := Parse(text, "*")
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return r
}

// ---- Round ----

func TestRound(t *testing.T) {
	cases := []struct {
		in, want float64
	}{
		{0.1 + 0.2, 0.3},
		{1.0 / 3, 0.333},
		{2.0 / 3, 0.667},
		{0.0005, 0.001},
		{0.00049, 0},
		{-0.0005, -0.001},
		{1024, 1024},
		{123456.7894, 123456.789},
		{1e17, 1e17}, // beyond fixed point: unchanged
	}
	for _, c := range cases {
		if got := Round(c.in); got != c.want {
			t.Errorf("Round(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if !math.IsNaN(Round(math.NaN())) || !math.IsInf(Round(math.Inf(1)), 1) {
		t.Error("Round must pass NaN and Inf through")
	}

	// Ten additions of 0.1 make exactly 1, and taking them away again
	// leaves exactly nothing.
	var r Resources
	tenth := New(scalar("cpus", 0.1))
	for i := 0; i < 10; i++ {
		r = r.Add(tenth)
	}
	if got := r.Scalar("cpus"); got != 1 {
		t.Fatalf("10 x 0.1 = %v, want 1", got)
	}
	for i := 0; i < 10; i++ {
		r = r.Subtract(tenth)
	}
	if !r.IsEmpty() {
		t.Fatalf("after subtracting back: %v, want empty", r)
	}
}

// ---- Parse ----

func TestParseGood(t *testing.T) {
	cases := []struct {
		text, role string
		want       string
	}{
		{"", "", "{}"},
		{"cpus:4;mem:8192;disk:0;ports:[31000-32000];name:{a,b}", "",
			"cpus:4; mem:8192; ports:[31000-32000]; name:{a, b}"},
		{"  cpus : 4 ;\n mem: 81 92 ; ports:[ 1-2 , 5-6 ];", "", "cpus:4; mem:8192; ports:[1-2, 5-6]"},
		{"ports:[5-6,1-2,3-4]", "", "ports:[1-6]"},
		{"ports:[1-10,5-20]", "", "ports:[1-20]"},
		{"cpus:1;cpus:2.5", "", "cpus:3.5"},
		{"cpus:0.1234", "", "cpus:0.123"},
		{"cpus:1e2", "", "cpus:100"},
		{"cpus(eng):2;cpus:1", "", "cpus(reservations: [(STATIC,eng)]):2; cpus:1"},
		{"cpus(*):2", "eng", "cpus:2"},
		{"cpus:2", "eng/web", "cpus(reservations: [(STATIC,eng/web)]):2"},
		{"gpus:0;ports:[];disks:{}", "", "{}"},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":2}},
		   {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":1,"end":3}]}},
		   {"name":"mem","type":"SCALAR","scalar":{"value":64},"role":"eng"},
		   {"name":"disk","type":"SCALAR","scalar":{"value":5},
		    "reservations":[{"type":"STATIC","role":"ops"}]}]`, "",
			"cpus:2; ports:[1-3]; mem(reservations: [(STATIC,eng)]):64; disk(reservations: [(STATIC,ops)]):5"},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":2}}]`, "eng",
			"cpus(reservations: [(STATIC,eng)]):2"},
		{`[]`, "", "{}"},
	}
	for _, c := range cases {
		got, err := Parse(c.text, c.role)
		if err != nil {
			t.Errorf("Parse(%q, %q): %v", c.text, c.role, err)
			continue
		}
		if got.String() != c.want {
			t.Errorf("Parse(%q, %q) = %q, want %q", c.text, c.role, got, c.want)
		}
		if err := Validate(got); err != nil {
			t.Errorf("Parse(%q) gave invalid resources: %v", c.text, err)
		}
	}
}

func TestParseFillsReservationAndLegacyRole(t *testing.T) {
	r := mustParse(t, "cpus(eng):2;mem:10")
	if len(r) != 2 {
		t.Fatalf("got %d entries", len(r))
	}
	cpus, mem := r[0], r[1]
	if len(cpus.Reservations) != 1 ||
		cpus.Reservations[0].GetType() != mesos.Resource_ReservationInfo_STATIC ||
		cpus.Reservations[0].GetRole() != "eng" || cpus.Role == nil || *cpus.Role != "eng" {
		t.Errorf("static reservation not filled as Mesos does: %v", cpus)
	}
	if len(mem.Reservations) != 0 || mem.Role == nil || *mem.Role != "*" {
		t.Errorf("unreserved resource not filled as Mesos does: %v", mem)
	}
}

func TestParseBad(t *testing.T) {
	cases := []struct {
		text, role, want string
	}{
		{"cpus", "", `"cpus": expected exactly one ':'`},
		{"cpus:1:2", "", `"cpus:1:2": expected exactly one ':'`},
		{"cpus:", "", `"cpus:": missing value`},
		{":4", "", "empty resource name"},
		{"cpus:abc", "", `value "abc" is not a number`},
		{"cpus:-1", "", `value "-1" is negative`},
		{"cpus:nan", "", `"nan" is not a number`},
		{"cpus:inf", "", `"inf" is not a number`},
		{"cpus:1e999", "", "out of range"},
		{"cpus:0x10", "", "not a number"},
		{"cpus:0.0001", "", "rounds to 0"},
		{"cpus(eng:1", "", "mismatched parentheses"},
		{"cpus)eng(:1", "", "mismatched parentheses"},
		{"cpus(eng)x:1", "", `unexpected "x" after the role`},
		{"cpus():1", "", "Role names cannot be the empty string"},
		{"cpus(/eng):1", "", "cannot start with a slash"},
		{"cpus(a b):1", "", "whitespace"},
		{"cp{us:1", "", "invalid character '{'"},
		{"ports:[1-2", "", "must end with ']'"},
		{"ports:[1-2]]", "", "mismatched brackets"},
		{"ports:[1-2,]", "", `range "" is not of the form begin-end`},
		{"ports:[1]", "", `range "1" is not of the form begin-end`},
		{"ports:[1-2-3]", "", `range "1-2-3"`},
		{"ports:[a-3]", "", "non-negative integer"},
		{"ports:[5-3]", "", `range "5-3" has begin > end`},
		{"s:{a,b", "", "must end with '}'"},
		{"s:{a,,b}", "", "empty item"},
		{"s:{a,a}", "", `duplicated item "a"`},
		{"s:{a}x", "", "must end with '}'"},
		{"x:1;x:[1-2]", "", "same name ('x') but different types"},
		{"cpus:1", "/bad", `invalid default role "/bad"`},
		{"[1,2", "", "invalid JSON"},
		{`[{"name":"cpus"}]`, "", "JSON resource #0"},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":-1}}]`, "", "negative"},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"revocable":{}}]`, "", "revocable"},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"reservations":[{"type":"DYNAMIC","role":"a","principal":"p"}]}]`, "", "dynamic reservations"},
		{`[{"name":"disk","type":"SCALAR","scalar":{"value":1},"role":"a","disk":{"persistence":{"id":"v"}}}]`, "", "persistent volumes"},
		{`[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"role":"*","reservation":{"principal":"p"}}]`, "", `role "*" cannot be dynamically reserved`},
		{`[{"name":"cpus","type":"RANGES","scalar":{"value":1}}]`, "", "invalid ranges resource"},
	}
	for _, c := range cases {
		got, err := Parse(c.text, c.role)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want error containing %q", c.text, got, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) error %q, want it to contain %q", c.text, err, c.want)
		}
	}
}

// ---- arithmetic ----

func TestAddSubtract(t *testing.T) {
	cases := []struct {
		a, b       string
		sum, minus string
	}{
		{"cpus:1;mem:128", "cpus:0.5;mem:64", "cpus:1.5; mem:192", "cpus:0.5; mem:64"},
		{"cpus:0.1", "cpus:0.2", "cpus:0.3", "{}"},
		{"cpus:1", "cpus:2", "cpus:3", "{}"},           // removes what it can
		{"cpus:1", "mem:2", "cpus:1; mem:2", "cpus:1"}, // nothing in common
		{"cpus(a):1", "cpus:1", "cpus(reservations: [(STATIC,a)]):1; cpus:1", "cpus(reservations: [(STATIC,a)]):1"},
		{"ports:[1-10]", "ports:[4-6]", "ports:[1-10]", "ports:[1-3, 7-10]"},      // splits
		{"ports:[1-3, 7-10]", "ports:[4-6]", "ports:[1-10]", "ports:[1-3, 7-10]"}, // merges adjacent
		{"ports:[1-3]", "ports:[10-12]", "ports:[1-3, 10-12]", "ports:[1-3]"},
		{"ports:[1-10]", "ports:[1-10]", "ports:[1-10]", "{}"},
		{"ports:[1-10]", "ports:[0-3, 8-20]", "ports:[0-20]", "ports:[4-7]"},
		{"ports:[1-5, 10-15, 20-25]", "ports:[3-12, 22-22]", "ports:[1-15, 20-25]", "ports:[1-2, 13-15, 20-21, 23-25]"},
		{"ports:[31000-32000]", "ports:[31000-31000, 32000-32000]", "ports:[31000-32000]", "ports:[31001-31999]"},
		{"s:{a,b}", "s:{b,c}", "s:{a, b, c}", "s:{a}"},
		{"s:{a,b}", "s:{a,b}", "s:{a, b}", "{}"},
		{"disk:0", "cpus:1", "cpus:1", "{}"},
		{"", "", "{}", "{}"},
	}
	for _, c := range cases {
		a, b := mustParse(t, c.a), mustParse(t, c.b)
		if got := a.Add(b); !got.Equal(mustParse(t, tidy(c.sum))) || got.String() != c.sum {
			t.Errorf("(%s) + (%s) = %s, want %s", c.a, c.b, got, c.sum)
		}
		if got := a.Subtract(b); got.String() != c.minus {
			t.Errorf("(%s) - (%s) = %s, want %s", c.a, c.b, got, c.minus)
		}
		// Laws that hold whatever the overlap.
		if s := a.Add(b); !s.Contains(a) || !s.Contains(b) || !a.Contains(a.Subtract(b)) {
			t.Errorf("containment laws broken for (%s), (%s)", c.a, c.b)
		}
		if !a.Add(b).Equal(b.Add(a)) {
			t.Errorf("addition must commute for (%s), (%s)", c.a, c.b)
		}
	}
}

// tidy turns a String() rendering of unreserved resources back into
// parseable text.
func tidy(s string) string {
	if s == "{}" {
		return ""
	}
	if strings.Contains(s, "reservations") {
		s = strings.ReplaceAll(s, "(reservations: [(STATIC,a)])", "(a)")
	}
	return s
}

func TestAddSubtractDoNotMutate(t *testing.T) {
	a := mustParse(t, "cpus:2;mem:256;ports:[1-100];s:{x,y}")
	b := mustParse(t, "cpus:1;mem:128;ports:[50-60];s:{y}")
	ac, bc := a.Clone(), b.Clone()
	_ = a.Add(b)
	_ = a.Subtract(b)
	_ = a.Allocate("r").Unallocate()
	_ = a.Contains(b)
	for i := range a {
		if !proto.Equal(a[i], ac[i]) {
			t.Errorf("left operand changed: %v -> %v", ac[i], a[i])
		}
	}
	for i := range b {
		if !proto.Equal(b[i], bc[i]) {
			t.Errorf("right operand changed: %v -> %v", bc[i], b[i])
		}
	}
}

func TestNormalisesRawInput(t *testing.T) {
	raw := Resources{scalar("cpus", 1), nil, scalar("cpus", 1), scalar("mem", 0), ranges("ports", 6, 7, 1, 5), scalar("bad", -1)}
	if got := New(raw...).String(); got != "cpus:2; ports:[1-7]" {
		t.Errorf("New = %s", got)
	}
	if got := raw.Add(nil).String(); got != "cpus:2; ports:[1-7]" {
		t.Errorf("raw.Add(nil) = %s", got)
	}
	// A raw list asking for the same thing twice needs twice as much.
	twice := Resources{scalar("cpus", 1), scalar("cpus", 1)}
	if New(scalar("cpus", 1)).Contains(twice) {
		t.Error("cpus:1 must not contain cpus:1 + cpus:1")
	}
	if !New(scalar("cpus", 2)).Contains(twice) {
		t.Error("cpus:2 must contain cpus:1 + cpus:1")
	}
	if !(Resources{ranges("ports", 1, 5), ranges("ports", 6, 9)}).Contains(New(ranges("ports", 4, 7))) {
		t.Error("uncoalesced ranges must still contain a range spanning them")
	}
}

func TestContains(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"cpus:2;mem:10", "cpus:1", true},
		{"cpus:2;mem:10", "cpus:2;mem:10", true},
		{"cpus:2", "cpus:2.001", false},
		{"cpus:0.3", "cpus:0.1;cpus:0.2", true},
		{"cpus:1", "mem:1", false},
		{"cpus:1", "", true},
		{"", "", true},
		{"", "cpus:1", false},
		{"cpus(a):2", "cpus:1", false},    // reserved does not hold unreserved
		{"cpus:2", "cpus(a):1", false},    // and vice versa
		{"cpus(a):2", "cpus(b):1", false}, // different reservations
		{"cpus(a):2", "cpus(a):1", true},
		{"cpus(a):1;cpus:1", "cpus:1;cpus(a):1", true},
		{"ports:[1-10]", "ports:[3-4, 7-10]", true},
		{"ports:[1-10]", "ports:[3-11]", false},
		{"ports:[1-5, 7-10]", "ports:[4-8]", false},
		{"s:{a,b,c}", "s:{c,a}", true},
		{"s:{a,b}", "s:{b,d}", false},
	}
	for _, c := range cases {
		if got := mustParse(t, c.a).Contains(mustParse(t, c.b)); got != c.want {
			t.Errorf("(%s).Contains(%s) = %v, want %v", c.a, c.b, got, c.want)
		}
	}

	// Dynamic reservations differing in principal or labels, and
	// different refinement stacks, are distinct.
	d1 := New(reserved(scalar("cpus", 4), dynamic("eng", "alice")))
	d2 := New(reserved(scalar("cpus", 1), dynamic("eng", "bob")))
	refined := New(reserved(scalar("cpus", 1), dynamic("eng", "alice"), dynamic("eng/web", "alice")))
	if d1.Contains(d2) || d1.Contains(refined) || refined.Contains(d1) {
		t.Error("different reservation stacks must not contain each other")
	}
	if !d1.Contains(New(reserved(scalar("cpus", 2), dynamic("eng", "alice")))) {
		t.Error("same dynamic reservation must be contained")
	}

	// Allocation info, revocability and provider separate resources too.
	alloc := mustParse(t, "cpus:4").Allocate("eng")
	if alloc.Contains(mustParse(t, "cpus:1")) || mustParse(t, "cpus:4").Contains(alloc) {
		t.Error("allocated and unallocated resources must not contain each other")
	}
	rev := scalar("cpus", 1)
	rev.Revocable = &mesos.Resource_RevocableInfo{}
	if mustParse(t, "cpus:4").Contains(New(rev)) {
		t.Error("non-revocable must not contain revocable")
	}
	prov := scalar("cpus", 1)
	prov.ProviderId = &mesos.ResourceProviderID{Value: proto.String("p1")}
	if mustParse(t, "cpus:4").Contains(New(prov)) {
		t.Error("resources without provider must not contain provider resources")
	}
}

func TestEqual(t *testing.T) {
	a := mustParse(t, "cpus:1;mem:2;ports:[1-2,3-4]")
	b := New(ranges("ports", 1, 4), scalar("mem", 2), scalar("cpus", 1))
	if !a.Equal(b) || !b.Equal(a) {
		t.Errorf("%s should equal %s", a, b)
	}
	if a.Equal(mustParse(t, "cpus:1;mem:2")) {
		t.Error("subset must not be equal")
	}
	if !Resources(nil).Equal(Resources{}) {
		t.Error("nil and empty must be equal")
	}
}

func TestLegacyFormatCombines(t *testing.T) {
	legacy := scalar("cpus", 1)
	legacy.Role = proto.String("eng")
	modern := reserved(scalar("cpus", 2), static("eng"))
	sum := New(legacy).Add(New(modern))
	if len(sum) != 1 || sum.Scalar("cpus") != 3 {
		t.Fatalf("legacy and upgraded static reservations must combine: %s", sum)
	}

	legacyDyn := scalar("mem", 10)
	legacyDyn.Role = proto.String("eng")
	legacyDyn.Reservation = &mesos.Resource_ReservationInfo{Principal: proto.String("alice")}
	if !New(reserved(scalar("mem", 20), dynamic("eng", "alice"))).Contains(New(legacyDyn)) {
		t.Error("legacy dynamic reservation must match its upgraded form")
	}
	star := scalar("cpus", 1)
	star.Role = proto.String("*")
	if got := New(star).Add(New(scalar("cpus", 1))); len(got) != 1 {
		t.Errorf("role \"*\" and no role are both unreserved: %s", got)
	}
}

func TestSharedAndVolumes(t *testing.T) {
	v := volume("v1", 100, true, dynamic("eng", "p"))
	one := New(v)
	two := one.Add(one)
	if len(two) != 2 {
		t.Fatalf("shared copies must stay separate entries: %s", two)
	}
	if !two.Contains(two) || one.Contains(two) || !two.Contains(one) {
		t.Error("shared counts must be respected by Contains")
	}
	if got := two.Subtract(one); !got.Equal(one) {
		t.Errorf("two - one = %s", got)
	}

	// Non-shared volumes never merge, and are only contained whole.
	pv := New(volume("v2", 100, false, dynamic("eng", "p")))
	if got := pv.Add(pv); len(got) != 2 {
		t.Errorf("volumes must not merge: %s", got)
	}
	if pv.Contains(New(volume("v2", 50, false, dynamic("eng", "p")))) {
		t.Error("a part of a volume is not contained")
	}
	if pv.Contains(New(volume("v3", 100, false, dynamic("eng", "p")))) {
		t.Error("volumes with different ids are different")
	}
	if got := pv.Subtract(pv); !got.IsEmpty() {
		t.Errorf("pv - pv = %s", got)
	}
	if got := pv.Subtract(New(volume("v2", 50, false, dynamic("eng", "p")))); !got.Equal(pv) {
		t.Errorf("subtracting part of a volume must leave it: %s", got)
	}

	// Volume info (how it is mounted) does not matter.
	mounted := volume("v2", 100, false, dynamic("eng", "p"))
	mounted.Disk.Volume = &mesos.Volume{ContainerPath: proto.String("data"), Mode: mesos.Volume_RW.Enum()}
	if !pv.Contains(New(mounted)) {
		t.Error("the volume field must be ignored when comparing")
	}
	if got := New(mounted).String(); got != "disk(reservations: [(DYNAMIC,eng,p)])[v2:data]:100" {
		t.Errorf("String = %s", got)
	}
}

func TestMountDisksAreWhole(t *testing.T) {
	mount := func(root string, size float64) *mesos.Resource {
		r := scalar("disk", size)
		r.Disk = &mesos.Resource_DiskInfo{Source: &mesos.Resource_DiskInfo_Source{
			Type: mesos.Resource_DiskInfo_Source_MOUNT.Enum(), Mount: &mesos.Resource_DiskInfo_Source_Mount{Root: proto.String(root)}}}
		return r
	}
	m := New(mount("/mnt/a", 100))
	if got := m.Add(m); len(got) != 2 {
		t.Errorf("mount disks must not merge: %s", got)
	}
	if m.Contains(New(mount("/mnt/a", 10))) {
		t.Error("part of a mount disk is not contained")
	}
	if got := m.Subtract(New(mount("/mnt/a", 10))); !got.Equal(m) {
		t.Errorf("subtracting part of a mount disk must leave it: %s", got)
	}
	if got := m.String(); got != "disk[MOUNT:/mnt/a]:100" {
		t.Errorf("String = %s", got)
	}
}

// ---- filters and allocation ----

func TestFilters(t *testing.T) {
	r := New(
		scalar("cpus", 8),
		reserved(scalar("cpus", 4), static("eng")),
		reserved(scalar("cpus", 2), dynamic("eng", "p"), dynamic("eng/web", "p")),
		reserved(scalar("cpus", 1), static("ops")),
	)
	cases := []struct {
		name string
		got  Resources
		want float64
	}{
		{"Unreserved", r.Unreserved(), 8},
		{"Reserved all", r.Reserved(""), 7},
		{"Reserved eng", r.Reserved("eng"), 4},
		{"Reserved eng/web", r.Reserved("eng/web"), 2},
		{"Reserved nobody", r.Reserved("qa"), 0},
		{"AllocatableTo eng", r.AllocatableTo("eng"), 12},
		{"AllocatableTo eng/web", r.AllocatableTo("eng/web"), 14},
		{"AllocatableTo eng/web/x", r.AllocatableTo("eng/web/x"), 14},
		{"AllocatableTo engineering", r.AllocatableTo("engineering"), 8},
		{"AllocatableTo ops", r.AllocatableTo("ops"), 9},
		{"AllocatableTo *", r.AllocatableTo("*"), 8},
		{"Filter", r.Filter(func(x *mesos.Resource) bool { return stackLen(x) == 1 }), 5},
	}
	for _, c := range cases {
		if got := c.got.Scalar("cpus"); got != c.want {
			t.Errorf("%s: cpus %v, want %v (%s)", c.name, got, c.want, c.got)
		}
	}
	if got := r.Reservations(); len(got) != 3 || got["eng"].Scalar("cpus") != 4 || got["eng/web"].Scalar("cpus") != 2 {
		t.Errorf("Reservations = %v", got)
	}
}

func TestAllocateUnallocate(t *testing.T) {
	r := mustParse(t, "cpus:2;mem:64;ports:[1-5]")
	a := r.Allocate("eng")
	for _, x := range a {
		if x.GetAllocationInfo().GetRole() != "eng" {
			t.Fatalf("entry not allocated: %v", x)
		}
	}
	for _, x := range r {
		if x.AllocationInfo != nil {
			t.Fatalf("Allocate changed its receiver: %v", x)
		}
	}
	if got := a.String(); got != "cpus(allocated: eng):2; mem(allocated: eng):64; ports(allocated: eng):[1-5]" {
		t.Errorf("String = %s", got)
	}
	if !a.Unallocate().Equal(r) {
		t.Errorf("Unallocate = %s, want %s", a.Unallocate(), r)
	}
	// Reallocating merges what only differed by allocation.
	mixed := r.Allocate("a").Add(r.Allocate("b"))
	if len(mixed) != 6 {
		t.Fatalf("different allocations must stay apart: %s", mixed)
	}
	if got := mixed.Allocate("c"); len(got) != 3 || got.Scalar("cpus") != 4 {
		t.Errorf("Allocate must merge: %s", got)
	}
	if got := mixed.Allocations(); len(got) != 2 || !got["a"].Unallocate().Equal(r) {
		t.Errorf("Allocations = %v", got)
	}
	if got := mixed.Unallocate(); !got.Equal(r.Add(r)) {
		t.Errorf("Unallocate must merge: %s", got)
	}
}

func TestReservationOps(t *testing.T) {
	r := mustParse(t, "cpus:4;mem:128")
	res := r.PushReservation(dynamic("eng", "alice"))
	if got := res.Reserved("eng"); !got.Equal(res) || len(got) != 2 {
		t.Fatalf("PushReservation = %s", res)
	}
	refined := res.PushReservation(dynamic("eng/web", "alice"))
	if err := Validate(refined); err != nil {
		t.Fatalf("refined invalid: %v", err)
	}
	if got := refined.PopReservation(); !got.Equal(res) {
		t.Errorf("PopReservation = %s, want %s", got, res)
	}
	if got := refined.ToUnreserved(); !got.Equal(r) {
		t.Errorf("ToUnreserved = %s", got)
	}
	if _, err := refined.Downgrade(); err == nil {
		t.Error("refined reservations cannot be downgraded")
	}
	down, err := res.Add(r).Downgrade()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range down {
		if len(x.Reservations) != 0 || x.Role == nil {
			t.Fatalf("not downgraded: %v", x)
		}
		if *x.Role == "eng" && x.Reservation.GetPrincipal() != "alice" {
			t.Fatalf("dynamic reservation lost: %v", x)
		}
	}
	if err := Validate(down); err != nil {
		t.Errorf("downgraded invalid: %v", err)
	}
	if !down.Equal(res.Add(r)) || !down.Upgrade().Equal(res.Add(r)) {
		t.Error("format conversion must not change meaning")
	}
	for _, x := range down.Upgrade() {
		if x.Role != nil || x.Reservation != nil {
			t.Errorf("not upgraded: %v", x)
		}
	}
}

func TestKindFilters(t *testing.T) {
	rev := scalar("cpus", 1)
	rev.Revocable = &mesos.Resource_RevocableInfo{}
	pv := volume("v", 10, false, dynamic("eng", "p"))
	sh := volume("w", 10, true, dynamic("eng", "p"))
	r := New(scalar("cpus", 2), rev, pv, sh)
	cases := []struct {
		name string
		got  Resources
		want string
	}{
		{"Revocable", r.Revocable(), "cpus{REV}:1"},
		{"NonRevocable", r.NonRevocable(), "cpus:2; disk(reservations: [(DYNAMIC,eng,p)])[v]:10; disk(reservations: [(DYNAMIC,eng,p)])[w]<SHARED>:10"},
		{"Shared", r.Shared(), "disk(reservations: [(DYNAMIC,eng,p)])[w]<SHARED>:10"},
		{"NonShared", r.NonShared(), "cpus:2; cpus{REV}:1; disk(reservations: [(DYNAMIC,eng,p)])[v]:10"},
		{"PersistentVolumes", r.PersistentVolumes(), "disk(reservations: [(DYNAMIC,eng,p)])[v]:10; disk(reservations: [(DYNAMIC,eng,p)])[w]<SHARED>:10"},
	}
	for _, c := range cases {
		if c.got.String() != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	if ReservationRole(pv) != "eng" || ReservationRole(rev) != "" || !IsUnreserved(rev) || IsUnreserved(pv) ||
		!IsRevocable(rev) || !IsShared(sh) || IsShared(pv) || !IsDynamicallyReserved(pv) {
		t.Error("per-resource predicates disagree")
	}
	if Format(nil) != "<nil>" || Format(scalar("cpus", 1)) != "cpus:1" {
		t.Error("Format")
	}
}

func TestReservationLabels(t *testing.T) {
	withLabels := func(v float64, kv ...string) *mesos.Resource {
		ri := dynamic("eng", "p")
		ri.Labels = &mesos.Labels{}
		for i := 0; i+1 < len(kv); i += 2 {
			ri.Labels.Labels = append(ri.Labels.Labels, &mesos.Label{Key: proto.String(kv[i]), Value: proto.String(kv[i+1])})
		}
		return reserved(scalar("cpus", v), ri)
	}
	a := New(withLabels(2, "a", "1", "b", "2"))
	if !a.Contains(New(withLabels(1, "b", "2", "a", "1"))) {
		t.Error("label order must not matter")
	}
	if a.Contains(New(withLabels(1, "a", "1", "b", "3"))) || a.Contains(New(withLabels(1, "a", "1"))) {
		t.Error("different labels are different reservations")
	}
	if a.Contains(New(reserved(scalar("cpus", 1), dynamic("eng", "p")))) {
		t.Error("labels versus no labels are different reservations")
	}
}

// ---- queries and rendering ----

func TestQueries(t *testing.T) {
	r := mustParse(t, "cpus:1.5;cpus(eng):0.5;mem:64;ports:[1-3];ports(eng):[4-5,10-10];s:{a};s(eng):{b,a}")
	if got := r.Scalar("cpus"); got != 2 {
		t.Errorf("Scalar(cpus) = %v", got)
	}
	if got := r.Scalar("gpus"); got != 0 {
		t.Errorf("Scalar(gpus) = %v", got)
	}
	if got := formatRanges(r.Ranges("ports")); got != "[1-5, 10-10]" {
		t.Errorf("Ranges(ports) = %s", got)
	}
	if got := r.Ranges("nothing"); got != nil {
		t.Errorf("Ranges(nothing) = %v", got)
	}
	if got := r.Set("s"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Set(s) = %v", got)
	}
	if got := r.ScalarQuantities(); !reflect.DeepEqual(got, map[string]float64{"cpus": 2, "mem": 64}) {
		t.Errorf("ScalarQuantities = %v", got)
	}
	if got := r.Names(); !reflect.DeepEqual(got, []string{"cpus", "mem", "ports", "s"}) {
		t.Errorf("Names = %v", got)
	}
	if got := r.Get("mem"); got.String() != "mem:64" {
		t.Errorf("Get(mem) = %s", got)
	}
	q := []struct {
		q    map[string]float64
		want bool
	}{
		{map[string]float64{"cpus": 0.01}, true},
		{map[string]float64{"cpus": 2}, true},
		{map[string]float64{"cpus": 2.001}, false},
		{map[string]float64{"ports": 6}, true},
		{map[string]float64{"ports": 7}, false},
		{map[string]float64{"s": 3}, true},
		{map[string]float64{"mem": 32, "gpus": 1}, false},
		{nil, true},
	}
	for _, c := range q {
		if got := r.ContainsQuantities(c.q); got != c.want {
			t.Errorf("ContainsQuantities(%v) = %v", c.q, got)
		}
	}
}

func TestString(t *testing.T) {
	rev := scalar("cpus", 1)
	rev.Revocable = &mesos.Resource_RevocableInfo{}
	lab := reserved(scalar("mem", 1), &mesos.Resource_ReservationInfo{
		Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(), Role: proto.String("eng"),
		Labels: &mesos.Labels{Labels: []*mesos.Label{{Key: proto.String("k"), Value: proto.String("v")}, {Key: proto.String("flag")}}},
	})
	cases := []struct {
		r    Resources
		want string
	}{
		{nil, "{}"},
		{mustParse(t, "cpus:1;mem:128;ports:[31000-32000]"), "cpus:1; mem:128; ports:[31000-32000]"},
		{mustParse(t, "cpus:0.333333;mem:1000000;disk:1e15"), "cpus:0.333; mem:1000000; disk:1e+15"},
		{New(rev), "cpus{REV}:1"},
		{New(lab), "mem(reservations: [(DYNAMIC,eng,{k: v, flag})]):1"},
		{New(volume("v", 5, true, dynamic("eng", "p"))), "disk(reservations: [(DYNAMIC,eng,p)])[v]<SHARED>:5"},
		{mustParse(t, "cpus(eng):1").Allocate("eng"), "cpus(allocated: eng)(reservations: [(STATIC,eng)]):1"},
	}
	for _, c := range cases {
		if got := c.r.String(); got != c.want {
			t.Errorf("String = %q, want %q", got, c.want)
		}
	}
}

func TestJSON(t *testing.T) {
	rev := scalar("cpus", 0.5)
	rev.Revocable = &mesos.Resource_RevocableInfo{}
	r := mustParse(t, "cpus:1;cpus(eng):1;mem:128;ports:[31000-31005,32000-32000];ports(eng):[1-2];zones:{a,b}").Add(New(rev))
	want := map[string]any{
		"cpus": 2.0, "mem": 128.0, "disk": 0.0, "gpus": 0.0,
		"ports": "[1-2, 31000-31005, 32000-32000]", "zones": "{a, b}",
		"cpus_revocable": 0.5,
	}
	if got := r.JSON(); !reflect.DeepEqual(got, want) {
		t.Errorf("JSON = %v, want %v", got, want)
	}
	if got := Resources(nil).JSON(); !reflect.DeepEqual(got, map[string]any{"cpus": 0.0, "mem": 0.0, "disk": 0.0, "gpus": 0.0}) {
		t.Errorf("empty JSON = %v", got)
	}
}

// ---- Validate ----

func TestValidate(t *testing.T) {
	mod := func(r *mesos.Resource, f func(*mesos.Resource)) *mesos.Resource { f(r); return r }
	good := []*mesos.Resource{
		scalar("cpus", 1),
		scalar("cpus", 0),
		ranges("ports", 1, 2, 4, 5),
		ranges("ports"),
		set("s", "a", "b"),
		reserved(scalar("cpus", 1), static("eng")),
		reserved(scalar("cpus", 1), static("eng"), dynamic("eng/web", "p")),
		mod(reserved(scalar("cpus", 1), static("eng")), func(r *mesos.Resource) { r.Role = proto.String("eng") }),
		mod(scalar("cpus", 1), func(r *mesos.Resource) { r.Role = proto.String("eng") }),
		mod(scalar("cpus", 1), func(r *mesos.Resource) {
			r.Role = proto.String("eng")
			r.Reservation = &mesos.Resource_ReservationInfo{Principal: proto.String("p")}
		}),
		volume("v", 1, true, dynamic("eng", "p")),
	}
	for _, r := range good {
		if err := ValidateResource(r); err != nil {
			t.Errorf("ValidateResource(%s) = %v", Format(r), err)
		}
	}
	if err := Validate(good); err != nil {
		t.Errorf("Validate(good) = %v", err)
	}

	bad := []struct {
		r    *mesos.Resource
		want string
	}{
		{nil, "nil"},
		{scalar("", 1), "empty resource name"},
		{mod(scalar("cpus", 1), func(r *mesos.Resource) { r.Type = nil }), "type is not set"},
		{mod(scalar("cpus", 1), func(r *mesos.Resource) { r.Type = mesos.Value_Type(9).Enum() }), "invalid resource type 9"},
		{mod(scalar("cpus", 1), func(r *mesos.Resource) { r.Type = mesos.Value_TEXT.Enum() }), "unsupported resource type TEXT"},
		{mod(scalar("cpus", 1), func(r *mesos.Resource) { r.Type = mesos.Value_RANGES.Enum() }), "invalid ranges resource"},
		{mod(scalar("cpus", 1), func(r *mesos.Resource) { r.Set = &mesos.Value_Set{} }), "invalid scalar resource"},
		{mod(set("s"), func(r *mesos.Resource) { r.Type = mesos.Value_SCALAR.Enum() }), "invalid scalar resource"},
		{scalar("cpus", -1), "negative"},
		{scalar("cpus", math.NaN()), "not finite"},
		{scalar("cpus", math.Inf(1)), "not finite"},
		{scalar("cpus", 0.0004), "rounds to 0"},
		{ranges("ports", 5, 1), "begin > end"},
		{ranges("ports", 1, 5, 5, 8), "overlap"},
		{ranges("ports", 10, 20, 1, 12), "overlap"},
		{set("s", "a", ""), "empty item"},
		{set("s", "a", "b", "a"), "duplicated item"},
		{mod(scalar("cpus", 1), func(r *mesos.Resource) { r.Disk = &mesos.Resource_DiskInfo{} }), "DiskInfo should not be set for cpus"},
		{mod(scalar("disk", 1), func(r *mesos.Resource) {
			r.Disk = &mesos.Resource_DiskInfo{Source: &mesos.Resource_DiskInfo_Source{Type: mesos.Resource_DiskInfo_Source_RAW.Enum(),
				Mount: &mesos.Resource_DiskInfo_Source_Mount{}}}
		}), "mount should not be set for RAW"},
		{mod(scalar("disk", 1), func(r *mesos.Resource) {
			r.Disk = &mesos.Resource_DiskInfo{Source: &mesos.Resource_DiskInfo_Source{Type: mesos.Resource_DiskInfo_Source_UNKNOWN.Enum()}}
		}), "unsupported DiskInfo.Source.Type"},
		{mod(scalar("cpus", 1), func(r *mesos.Resource) { r.Role = proto.String("a//b") }), "two adjacent slashes"},
		{mod(scalar("cpus", 1), func(r *mesos.Resource) { r.Reservation = &mesos.Resource_ReservationInfo{} }), `role "*" cannot be dynamically reserved`},
		{mod(scalar("cpus", 1), func(r *mesos.Resource) {
			r.Role = proto.String("eng")
			r.Reservation = &mesos.Resource_ReservationInfo{Role: proto.String("eng")}
		}), "'Resource.ReservationInfo.role' must not be set"},
		{reserved(scalar("cpus", 1), &mesos.Resource_ReservationInfo{Role: proto.String("eng")}), "type' field must be set"},
		{reserved(scalar("cpus", 1), &mesos.Resource_ReservationInfo{Type: mesos.Resource_ReservationInfo_STATIC.Enum()}), "role' field must be set"},
		{reserved(scalar("cpus", 1), static("*")), `role "*" cannot be reserved`},
		{reserved(scalar("cpus", 1), static("eng/")), "cannot end with a slash"},
		{reserved(scalar("cpus", 1), static("eng/.")), "cannot include '.'"},
		{reserved(scalar("cpus", 1), static("-eng")), "starts with a dash"},
		{reserved(scalar("cpus", 1), static("eng"), static("eng/web")), "cannot be STATIC"},
		{reserved(scalar("cpus", 1), static("eng"), dynamic("ops", "p")), "not a refinement of 'eng'"},
		{reserved(scalar("cpus", 1), static("eng"), dynamic("eng", "p")), "not a refinement of 'eng'"},
		{reserved(scalar("cpus", 1), &mesos.Resource_ReservationInfo{Type: mesos.Resource_ReservationInfo_UNKNOWN.Enum(), Role: proto.String("eng")}), "unsupported 'Resource.ReservationInfo.Type'"},
		{mod(reserved(scalar("cpus", 1), static("eng")), func(r *mesos.Resource) { r.Role = proto.String("ops") }), "does not match the role 'eng'"},
		{mod(reserved(scalar("cpus", 1), static("eng"), dynamic("eng/a", "p")), func(r *mesos.Resource) { r.Role = proto.String("eng/a") }), "more than one reservation"},
		{mod(reserved(scalar("cpus", 1), dynamic("eng", "p")), func(r *mesos.Resource) { r.Role = proto.String("eng") }), "both set or both not set"},
		{mod(reserved(scalar("cpus", 1), dynamic("eng", "p")), func(r *mesos.Resource) {
			r.Role = proto.String("eng")
			r.Reservation = &mesos.Resource_ReservationInfo{Principal: proto.String("q")}
		}), "principal' field with 'q'"},
		{mod(scalar("cpus", 1), func(r *mesos.Resource) { r.Shared = &mesos.Resource_SharedInfo{} }), "cpus cannot be shared"},
		{mod(scalar("disk", 1), func(r *mesos.Resource) { r.Shared = &mesos.Resource_SharedInfo{} }), "only persistent volumes can be shared"},
	}
	for _, c := range bad {
		err := ValidateResource(c.r)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ValidateResource(%s) = %v, want error containing %q", Format(c.r), err, c.want)
		}
	}
	err := Validate([]*mesos.Resource{scalar("cpus", 1), scalar("mem", -5)})
	if err == nil || !strings.Contains(err.Error(), "resource #1 'mem:-5' is invalid: invalid scalar resource: value -5 is negative") {
		t.Errorf("Validate error = %v", err)
	}
}

func TestIsEmpty(t *testing.T) {
	cases := []struct {
		r    Resources
		want bool
	}{
		{nil, true},
		{Resources{}, true},
		{Resources{scalar("cpus", 0), ranges("ports"), set("s"), nil}, true},
		{Resources{scalar("cpus", 0.001)}, false},
		{mustParse(t, "ports:[1-1]"), false},
	}
	for _, c := range cases {
		if got := c.r.IsEmpty(); got != c.want {
			t.Errorf("IsEmpty(%s) = %v", c.r, got)
		}
	}
}

// ---- benchmark ----

// BenchmarkAddSubtract models the allocator's bookkeeping for a typical
// agent: take a task's resources out of the agent's free pool, check the
// pool, and put them back.
func BenchmarkAddSubtract(b *testing.B) {
	agent := mustParse(b, "cpus:16;mem:65536;disk:1048576;ports:[31000-32000]")
	task := mustParse(b, "cpus:0.5;mem:512;disk:1024;ports:[31500-31501]")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		free := agent.Subtract(task)
		if !agent.Contains(task) {
			b.Fatal("agent must contain task")
		}
		back := free.Add(task)
		if len(back) != 4 {
			b.Fatal(back)
		}
	}
}

// TestRangesModel checks range arithmetic against a bitmap model over a
// small universe, on random inputs.
func TestRangesModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randRanges := func() (*mesos.Resource, uint64) {
		var bits uint64
		var bounds []uint64
		for i := rng.IntN(4); i > 0; i-- {
			b := rng.Uint64N(64)
			e := b + rng.Uint64N(64-b)
			bounds = append(bounds, b, e)
			for x := b; x <= e; x++ {
				bits |= 1 << x
			}
		}
		return ranges("ports", bounds...), bits
	}
	model := func(rs Resources) uint64 {
		var bits uint64
		for _, rg := range rs.Ranges("ports") {
			for x := rg.GetBegin(); x <= rg.GetEnd(); x++ {
				bits |= 1 << x
			}
		}
		return bits
	}
	for i := 0; i < 2000; i++ {
		ra, a := randRanges()
		rb, b := randRanges()
		// Raw (possibly overlapping) inputs go through Add from empty.
		A, B := Resources(nil).Add(Resources{ra}), Resources(nil).Add(Resources{rb})
		if model(A) != a || !isNormal(A) {
			t.Fatalf("normalising %v gave %s", ra, A)
		}
		if got := model(A.Add(B)); got != a|b {
			t.Fatalf("%s + %s = %s", A, B, A.Add(B))
		}
		diff := A.Subtract(B)
		if got := model(diff); got != a&^b || !isNormal(diff) {
			t.Fatalf("%s - %s = %s", A, B, diff)
		}
		if got, want := A.Contains(B), b&^a == 0; got != want {
			t.Fatalf("%s contains %s = %v, want %v", A, B, got, want)
		}
	}
}

func TestRangesExtremes(t *testing.T) {
	const max = math.MaxUint64
	all := New(ranges("r", 0, max))
	if got := all.Subtract(New(ranges("r", 5, 5, max, max))).String(); got != "r:[0-4, 6-18446744073709551614]" {
		t.Errorf("got %s", got)
	}
	if got := New(ranges("r", 0, 10)).Add(New(ranges("r", 11, max))).String(); got != "r:[0-18446744073709551615]" {
		t.Errorf("got %s", got)
	}
	if !all.Contains(New(ranges("r", max, max))) || !all.ContainsQuantities(map[string]float64{"r": 1e19}) {
		t.Error("extremes")
	}
}

// Entries made by one Add or Subtract share an allocation; each still
// holds its own value, whether or not every operand entry merges.
func TestAddSubtractMixedOperands(t *testing.T) {
	base := MustParse("cpus:1;mem:1;ports:[1-2]")
	sum := base.Add(MustParse("gpus:1;cpus:2;ports:[3-4];disk:0;mem:3"))
	if got, want := sum.String(), "cpus:3; mem:4; ports:[1-4]; gpus:1"; got != want {
		t.Fatalf("sum = %s, want %s", got, want)
	}
	diff := sum.Subtract(MustParse("cpus:3;gpus:5;mem:1.5;ports:[2-2]"))
	if got, want := diff.String(), "mem:2.5; ports:[1-1, 3-4]"; got != want {
		t.Fatalf("diff = %s, want %s", got, want)
	}
	again := sum.Add(MustParse("mem:10"))
	if got, want := again.String(), "cpus:3; mem:14; ports:[1-4]; gpus:1"; got != want {
		t.Fatalf("again = %s, want %s", got, want)
	}
	if got, want := sum.String(), "cpus:3; mem:4; ports:[1-4]; gpus:1"; got != want {
		t.Fatalf("sum changed to %s", got)
	}
}

// randomEntry draws an entry from a small universe in which entries often
// merge, contain each other or only differ by their allocation, with some
// disks, shared volumes and empty entries.
func randomEntry(rng *rand.Rand, role string) *mesos.Resource {
	var x *mesos.Resource
	switch rng.IntN(7) {
	case 0, 1:
		x = scalar("cpus", float64(rng.IntN(4)))
	case 2:
		x = scalar("mem", float64(rng.IntN(3))*64)
	case 3:
		lo := uint64(rng.IntN(6))
		x = ranges("ports", lo, lo+uint64(rng.IntN(3)), 10+lo, 12+lo)
	case 4:
		x = set("zones", []string{"a", "b", "c"}[:1+rng.IntN(3)]...)
	case 5:
		x = volume("v", 10, rng.IntN(2) == 0, dynamic("eng", "p"))
	default:
		x = scalar("disk", float64(1+rng.IntN(2)))
		x.Disk = &mesos.Resource_DiskInfo{Source: &mesos.Resource_DiskInfo_Source{
			Type: mesos.Resource_DiskInfo_Source_MOUNT.Enum(), Mount: &mesos.Resource_DiskInfo_Source_Mount{Root: proto.String("/m")}}}
	}
	if rng.IntN(4) == 0 {
		x.Reservations = []*mesos.Resource_ReservationInfo{static("eng")}
	}
	if role != "" {
		x.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String(role)}
	}
	return x
}

func randomList(rng *rand.Rand, n int, role func() string) Resources {
	var out Resources
	for range n {
		out = append(out, randomEntry(rng, role()))
	}
	return out
}

// SubtractContained answers as Contains and Subtract do, on normal and raw
// operands alike, and changes neither.
func TestSubtractContainedModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	role := func() string { return []string{"", "r"}[rng.IntN(2)] }
	for i := range 20000 {
		a, b := randomList(rng, rng.IntN(6), role), randomList(rng, rng.IntN(3), role)
		if rng.IntN(2) == 0 {
			a, b = New(a...), New(b...)
		}
		if rng.IntN(3) == 0 {
			b = a.Subtract(b) // often contained
		}
		as, bs := a.String(), b.String()
		wantOK := a.Contains(b)
		want := a
		if wantOK {
			want = a.Subtract(b)
		}
		got, ok := a.SubtractContained(b)
		if ok != wantOK || got.String() != want.String() {
			t.Fatalf("case %d: %s SubtractContained %s = %s, %v; want %s, %v", i, as, bs, got, ok, want, wantOK)
		}
		if a.String() != as || b.String() != bs {
			t.Fatalf("case %d: operands changed: %s, %s", i, a, b)
		}
	}
}

// AddUnallocated is Add of the unallocated operand, and changes neither.
func TestAddUnallocatedModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 20000 {
		a := randomList(rng, rng.IntN(6), func() string { return "" })
		oneRole := "r"
		b := randomList(rng, rng.IntN(4), func() string {
			if rng.IntN(8) == 0 {
				return []string{"", "s"}[rng.IntN(2)] // sometimes not one role
			}
			return oneRole
		})
		if rng.IntN(2) == 0 {
			a, b = New(a...), New(b...)
		}
		as, bs := a.String(), b.String()
		want := a.Add(b.Unallocate())
		got := a.AddUnallocated(b)
		if got.String() != want.String() || len(got) != len(want) {
			t.Fatalf("case %d: %s AddUnallocated %s = %s; want %s", i, as, bs, got, want)
		}
		for _, x := range got {
			if x.AllocationInfo != nil {
				t.Fatalf("case %d: result entry %v is allocated", i, x)
			}
		}
		if a.String() != as || b.String() != bs {
			t.Fatalf("case %d: operands changed: %s, %s", i, a, b)
		}
	}
}

// A list with a nil entry (as a decoded message may hold) is added as Add
// of its unallocated form adds it, whether the nil comes first or later,
// and SubtractContained answers for it as Contains and Subtract do.
func TestNilEntryOperands(t *testing.T) {
	a := mustParse(t, "cpus:4;mem:256")
	cpus := mustParse(t, "cpus:1").Allocate("r")
	for _, b := range []Resources{
		{nil, cpus[0]},
		{cpus[0], nil},
		{nil},
	} {
		want := a.Add(b.Unallocate())
		got := a.AddUnallocated(b)
		if got.String() != want.String() {
			t.Errorf("%s AddUnallocated %s = %s; want %s", a, b, got, want)
		}
		u := b.Unallocate()
		left, ok := want.SubtractContained(u)
		if wantOK := want.Contains(u); ok != wantOK || (ok && left.String() != want.Subtract(u).String()) {
			t.Errorf("%s SubtractContained %s = %s, %v; want %v", want, u, left, ok, wantOK)
		}
	}
}
