package allocator

import (
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func fw(role string, caps ...mesos.FrameworkInfo_Capability_Type) *mesos.FrameworkInfo {
	info := &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("f"), Role: proto.String(role)}
	for _, c := range caps {
		info.Capabilities = append(info.Capabilities, &mesos.FrameworkInfo_Capability{Type: c.Enum()})
	}
	return info
}

func res(text string) resources.Resources { return resources.MustParse(text).Upgrade() }

func newCore(t *testing.T, min string) *Core {
	t.Helper()
	mins, err := ParseMinAllocatable(min)
	if err != nil {
		t.Fatal(err)
	}
	return NewCore(Options{AllocationInterval: time.Second, MinAllocatable: mins, FilterGPUResources: true})
}

func addAgent(c *Core, id, text string) {
	c.AddSlave(id, &mesos.SlaveInfo{Hostname: proto.String(id)}, nil, res(text), nil)
}

// granted flattens one run's result to framework → agent → resources text.
func granted(out map[string]Offers) map[string]map[string]string {
	m := map[string]map[string]string{}
	for fid, byRole := range out {
		for _, byAgent := range byRole {
			for aid, r := range byAgent {
				if m[fid] == nil {
					m[fid] = map[string]string{}
				}
				m[fid][aid] = r.Unallocate().String()
			}
		}
	}
	return m
}

func TestOneFrameworkGetsTheWholeAgent(t *testing.T) {
	c := newCore(t, "cpus:0.01|mem:32")
	addAgent(c, "a1", "cpus:2;mem:1024;ports:[31000-32000]")
	c.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	got := out["f1"]["*"]["a1"]
	if !got.Unallocate().Equal(res("cpus:2;mem:1024;ports:[31000-32000]")) {
		t.Fatalf("f1 got %v, want the whole agent", got)
	}
	for _, r := range got {
		if r.GetAllocationInfo().GetRole() != "*" {
			t.Fatalf("resource %v has no allocation role", r)
		}
	}
	// Nothing is left for a second run.
	if out := c.Allocate(t0, nil); len(out) != 0 {
		t.Fatalf("second run offered %v", granted(out))
	}
}

func TestSameShareFairnessAlternates(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:2;mem:1024")
	c.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
	c.AddFramework("f2", fw("*"), nil, true, FrameworkOptions{})
	counts := map[string]int{}
	var order []string
	for i := 0; i < 10; i++ {
		out := c.Allocate(t0, nil)
		if len(out) != 1 {
			t.Fatalf("run %d: %d frameworks offered, want 1", i, len(out))
		}
		for fid, byRole := range out {
			counts[fid]++
			order = append(order, fid)
			c.RecoverResources(t0, fid, "a1", byRole["*"]["a1"], nil)
		}
	}
	if counts["f1"] != 5 || counts["f2"] != 5 {
		t.Fatalf("counts %v, want 5 each (order %v)", counts, order)
	}
	for i := 1; i < len(order); i++ {
		if order[i] == order[i-1] {
			t.Fatalf("not alternating: %v", order)
		}
	}
}

func TestDominantShareDecides(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:2;mem:1024")
	c.AddFramework("f1", fw("r1"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	if _, ok := out["f1"]; !ok {
		t.Fatalf("f1 not offered: %v", granted(out))
	}
	// f2 arrives with nothing; the next agent goes to it, and so does the
	// one after (role r2's share stays below r1's).
	c.AddFramework("f2", fw("r2"), nil, true, FrameworkOptions{})
	addAgent(c, "a2", "cpus:1;mem:512")
	addAgent(c, "a3", "cpus:3;mem:2048")
	out = c.Allocate(t0, []string{"a2"})
	if g := granted(out); g["f2"]["a2"] == "" {
		t.Fatalf("a2 went to %v, want f2", g)
	}
	out = c.Allocate(t0, []string{"a3"})
	if g := granted(out); g["f2"]["a3"] == "" {
		t.Fatalf("a3 went to %v, want f2 (r2 share 0.16 < r1 0.33)", g)
	}
}

func TestFilters(t *testing.T) {
	tests := []struct {
		name          string
		filters       *mesos.Filters
		blockedUntil  time.Duration // offered again at this offset, not before
		expectFilters int
	}{
		{"no filters", nil, 0, 0},
		{"refuse 0 installs none", &mesos.Filters{RefuseSeconds: proto.Float64(0)}, 0, 0},
		{"default 5s", &mesos.Filters{}, 5 * time.Second, 1},
		{"negative means default", &mesos.Filters{RefuseSeconds: proto.Float64(-1)}, 5 * time.Second, 1},
		{"10s", &mesos.Filters{RefuseSeconds: proto.Float64(10)}, 10 * time.Second, 1},
		{"shorter than the interval lasts an interval", &mesos.Filters{RefuseSeconds: proto.Float64(0.1)}, time.Second, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t, "")
			addAgent(c, "a1", "cpus:2;mem:1024")
			c.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
			out := c.Allocate(t0, nil)
			c.RecoverResources(t0, "f1", "a1", out["f1"]["*"]["a1"], tc.filters)
			if n := c.ActiveFilters(t0); n != tc.expectFilters {
				t.Fatalf("active filters %d, want %d", n, tc.expectFilters)
			}
			if tc.blockedUntil > 0 {
				if out := c.Allocate(t0.Add(tc.blockedUntil-time.Millisecond), nil); len(out) != 0 {
					t.Fatalf("offered before the filter expired: %v", granted(out))
				}
			}
			if out := c.Allocate(t0.Add(tc.blockedUntil), nil); len(out["f1"]) != 1 {
				t.Fatalf("not offered once the filter expired: %v", granted(out))
			}
		})
	}
}

func TestFilterOnlyCoversWhatWasRefused(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:2;mem:1024")
	c.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
	c.AddFramework("f2", fw("*"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	// f1 is first (tie on share and count, then name); it declines half
	// with a long filter and keeps the other half.
	whole := out["f1"]["*"]["a1"]
	half := res("cpus:1;mem:512").Allocate("*")
	c.RecoverResources(t0, "f1", "a1", half, &mesos.Filters{RefuseSeconds: proto.Float64(100)})
	// f2 now has the lower share and takes the half.
	if g := granted(c.Allocate(t0.Add(time.Second), nil)); g["f2"]["a1"] == "" {
		t.Fatalf("the refused half went to %v, want f2", g)
	}
	c.RecoverResources(t0, "f2", "a1", half, nil)
	c.RecoverResources(t0, "f1", "a1", whole.Subtract(half), nil)
	// The agent now has more than f1 refused, so the filter does not
	// apply; shares and allocation counts are equal and the name picks f1.
	if g := granted(c.Allocate(t0.Add(2*time.Second), nil)); g["f1"]["a1"] == "" {
		t.Fatalf("whole agent went to %v, want f1 (filter covers only half)", g)
	}
}

func TestSuppressAndRevive(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:2;mem:1024")
	c.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	// Revive while nothing is free: no new offer.
	c.ReviveOffers("f1", nil)
	if out := c.Allocate(t0, nil); len(out) != 0 {
		t.Fatalf("offered with nothing free: %v", granted(out))
	}
	c.RecoverResources(t0, "f1", "a1", out["f1"]["*"]["a1"], nil)
	c.SuppressOffers("f1", nil)
	if out := c.Allocate(t0.Add(time.Second), nil); len(out) != 0 {
		t.Fatalf("offered while suppressed: %v", granted(out))
	}
	c.ReviveOffers("f1", nil)
	if g := granted(c.Allocate(t0.Add(2*time.Second), nil)); g["f1"]["a1"] != res("cpus:2;mem:1024").String() {
		t.Fatalf("after revive got %v, want the whole agent", g)
	}
}

func TestReviveClearsFilters(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:2;mem:1024")
	c.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	c.RecoverResources(t0, "f1", "a1", out["f1"]["*"]["a1"], &mesos.Filters{RefuseSeconds: proto.Float64(1000)})
	c.ReviveOffers("f1", nil)
	if len(c.Allocate(t0, nil)["f1"]) != 1 {
		t.Fatal("revive did not clear the filter")
	}
}

func TestDeactivatedFrameworkGetsNothingAndLosesFilters(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:2;mem:1024")
	c.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	c.RecoverResources(t0, "f1", "a1", out["f1"]["*"]["a1"], &mesos.Filters{RefuseSeconds: proto.Float64(1000)})
	c.DeactivateFramework("f1")
	if c.ActiveFilters(t0) != 0 {
		t.Fatal("deactivation kept the filters")
	}
	if out := c.Allocate(t0, nil); len(out) != 0 {
		t.Fatalf("inactive framework offered: %v", granted(out))
	}
	c.ActivateFramework("f1")
	if len(c.Allocate(t0, nil)["f1"]) != 1 {
		t.Fatal("reactivated framework not offered")
	}
}

func TestMinAllocatable(t *testing.T) {
	tests := []struct {
		name, min, agent string
		offered          bool
	}{
		{"cpus alternative met", "cpus:0.01|mem:32", "cpus:0.01;mem:1", true},
		{"mem alternative met", "cpus:0.01|mem:32", "cpus:0.001;mem:32", true},
		{"neither met", "cpus:0.01|mem:32", "cpus:0.001;mem:31", false},
		{"no minimum", "", "disk:1", true},
		{"both needed", "cpus:1;mem:64", "cpus:1;mem:32", false},
		{"ranges count elements", "ports:5", "ports:[1-5]", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t, tc.min)
			addAgent(c, "a1", tc.agent)
			c.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
			if got := len(c.Allocate(t0, nil)) == 1; got != tc.offered {
				t.Fatalf("offered = %v, want %v", got, tc.offered)
			}
		})
	}
}

func TestInactiveAgentAndRemoval(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:2;mem:1024")
	c.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
	c.DeactivateSlave("a1")
	if out := c.Allocate(t0, nil); len(out) != 0 {
		t.Fatalf("inactive agent offered: %v", granted(out))
	}
	c.ActivateSlave("a1")
	if len(c.Allocate(t0, nil)) != 1 {
		t.Fatal("reactivated agent not offered")
	}
	c.RemoveSlave("a1")
	if c.Available("a1") != nil || len(c.Allocate(t0, nil)) != 0 {
		t.Fatal("removed agent still known")
	}
}

func TestReservedResourcesGoToTheirRole(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus(web):1;mem(web):256;cpus:1;mem:256")
	c.AddFramework("f1", fw("other"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	if got := out["f1"]["other"]["a1"].Unallocate(); !got.Equal(res("cpus:1;mem:256")) {
		t.Fatalf("role other got %v, want only the unreserved part", got)
	}
	c.AddFramework("f2", fw("web"), nil, true, FrameworkOptions{})
	out = c.Allocate(t0, nil)
	if got := out["f2"]["web"]["a1"].Unallocate(); !got.Equal(res("cpus(web):1;mem(web):256")) {
		t.Fatalf("role web got %v, want its reservation", got)
	}
}

func TestRevocableNeedsCapability(t *testing.T) {
	c := newCore(t, "")
	rev := res("cpus:1")
	rev[0].Revocable = &mesos.Resource_RevocableInfo{}
	c.AddSlave("a1", &mesos.SlaveInfo{Hostname: proto.String("a1")}, nil, res("mem:512").Add(rev), nil)
	c.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	if got := out["f1"]["*"]["a1"].Unallocate(); !got.Equal(res("mem:512")) {
		t.Fatalf("got %v, want no revocable resources", got)
	}
}

func TestUsedResourcesCount(t *testing.T) {
	c := newCore(t, "")
	used := map[string]resources.Resources{"f1": res("cpus:1;mem:512").Allocate("*")}
	c.AddSlave("a1", &mesos.SlaveInfo{Hostname: proto.String("a1")}, nil, res("cpus:2;mem:1024"), used)
	c.AddFramework("f1", fw("*"), map[string]resources.Resources{"a1": used["f1"]}, true, FrameworkOptions{})
	if got := c.Available("a1"); !got.Equal(res("cpus:1;mem:512")) {
		t.Fatalf("available %v, want half (used counted once)", got)
	}
	c.RecoverResources(t0, "f1", "a1", used["f1"], nil)
	if got := c.Available("a1"); !got.Equal(res("cpus:2;mem:1024")) {
		t.Fatalf("available %v after recovery, want all", got)
	}
}

func TestRefuseTimeout(t *testing.T) {
	sec := func(v float64) *mesos.Filters { return &mesos.Filters{RefuseSeconds: proto.Float64(v)} }
	tests := []struct {
		f    *mesos.Filters
		want time.Duration
	}{
		{nil, 0},
		{&mesos.Filters{}, 5 * time.Second},
		{sec(0), 0},
		{sec(-3), 5 * time.Second},
		{sec(math.NaN()), 5 * time.Second},
		{sec(0.5), time.Second},
		{sec(30), 30 * time.Second},
		{sec(1e12), 365 * 24 * time.Hour},
		{sec(math.Inf(1)), 365 * 24 * time.Hour},
	}
	for _, tc := range tests {
		if got := RefuseTimeout(tc.f, time.Second); got != tc.want {
			t.Errorf("RefuseTimeout(%v) = %v, want %v", tc.f, got, tc.want)
		}
	}
}

func TestParseMinAllocatable(t *testing.T) {
	got, err := ParseMinAllocatable("cpus:0.01|mem:32")
	if err != nil {
		t.Fatal(err)
	}
	want := []Quantities{{"cpus": 0.01}, {"mem": 32}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"cpus", "cpus:x", "cpus:-1", "|", "mem:1|"} {
		if _, err := ParseMinAllocatable(bad); err == nil {
			t.Errorf("ParseMinAllocatable(%q) succeeded", bad)
		}
	}
}

func TestParseWeightsAndQuantities(t *testing.T) {
	w, err := ParseWeights("a=2,b/c=0.5")
	if err != nil || w["a"] != 2 || w["b/c"] != 0.5 || len(w) != 2 {
		t.Fatalf("ParseWeights: %v %v", w, err)
	}
	for _, bad := range []string{"a", "a=", "a=x", "a=0", "a=-1", "a=1=2", "=1"} {
		if _, err := ParseWeights(bad); err == nil {
			t.Errorf("ParseWeights(%q) succeeded", bad)
		}
	}
	q, err := ParseQuantities("cpus:1;mem:0;disk:2.5")
	if err != nil || !reflect.DeepEqual(q, Quantities{"cpus": 1, "disk": 2.5}) {
		t.Fatalf("ParseQuantities: %v %v", q, err)
	}
	if got := (Quantities{"mem": 512, "cpus": 1}).String(); got != "cpus:1;mem:512" {
		t.Fatalf("String: %q", got)
	}
}

// Filters expire in order of their expiry whatever else happened to them
// (revived, their framework removed and added again): after each run,
// exactly the filters not yet expired are in force, and the agents whose
// filters expired are offered again.
func TestFiltersExpireInOrder(t *testing.T) {
	c := newCore(t, "")
	for i := range 12 {
		addAgent(c, fmt.Sprintf("a%02d", i), "cpus:1;mem:64")
	}
	c.AddFramework("f1", fw("r1"), nil, true, FrameworkOptions{})
	c.AddFramework("f2", fw("r2"), nil, true, FrameworkOptions{})
	type key struct{ fid, aid string }
	model := map[key]time.Time{} // the filters in force, by expiry
	declineAll := func(now time.Time, out map[string]Offers) {
		for fid, byRole := range out {
			for _, byAgent := range byRole {
				for aid, r := range byAgent {
					secs := 1 + len(model)%5
					c.RecoverResources(now, fid, aid, r, &mesos.Filters{RefuseSeconds: proto.Float64(float64(secs))})
					model[key{fid, aid}] = now.Add(time.Duration(secs) * time.Second)
				}
			}
		}
	}
	for step := range 12 {
		now := t0.Add(time.Duration(step) * time.Second)
		switch step {
		case 3:
			c.ReviveOffers("f2", nil)
			for k := range model {
				if k.fid == "f2" {
					delete(model, k)
				}
			}
		case 6:
			c.RemoveFramework("f1")
			c.AddFramework("f1", fw("r1"), nil, true, FrameworkOptions{})
			for k := range model {
				if k.fid == "f1" {
					delete(model, k)
				}
			}
		}
		for k, exp := range model {
			if !now.Before(exp) {
				delete(model, k)
			}
		}
		out := c.Allocate(now, nil)
		for fid, byRole := range out {
			for _, byAgent := range byRole {
				for aid := range byAgent {
					if exp, ok := model[key{fid, aid}]; ok {
						t.Fatalf("step %d: %s offered %s, filtered until %v", step, fid, aid, exp.Sub(t0))
					}
				}
			}
		}
		held := 0
		for fid, f := range c.frameworks {
			n := 0
			for k, fs := range f.filters {
				for _, x := range fs {
					n++
					if want, ok := model[key{fid, k.agent}]; !ok || !want.Equal(x.expires) {
						t.Fatalf("step %d: %s has a filter on %s until %v, model %v (%v)", step, fid, k.agent, x.expires.Sub(t0), want.Sub(t0), ok)
					}
				}
			}
			if n != f.nFilters {
				t.Fatalf("step %d: %s counts %d filters, holds %d", step, fid, f.nFilters, n)
			}
			held += n
		}
		if held != len(model) {
			t.Fatalf("step %d: %d filters in force, want %d", step, held, len(model))
		}
		declineAll(now, out)
	}
}

// A framework that declines more than it holds (the master returns the
// whole offer, the allocator held less) is filtered for all it declined:
// when the agent grows to that size the framework is still not offered it.
func TestFilterCoversAllDeclinedWhenMoreThanHeld(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:2;mem:64")
	c.AddFramework("f1", fw("r1"), nil, true, FrameworkOptions{})
	held := c.Allocate(t0, nil)["f1"]["r1"]["a1"]
	declined := held.Add(res("cpus:3").Allocate("r1"))
	c.RecoverResources(t0, "f1", "a1", declined, &mesos.Filters{RefuseSeconds: proto.Float64(60)})
	c.UpdateSlave("a1", nil, nil, res("cpus:5;mem:64"))
	if g := granted(c.Allocate(t0.Add(time.Second), nil)); len(g) != 0 {
		t.Fatalf("offered %v, though it declined %s for 60s", g, declined.Unallocate())
	}
	if g := granted(c.Allocate(t0.Add(time.Minute), nil)); g["f1"]["a1"] != res("cpus:5;mem:64").String() {
		t.Fatalf("after the filter expired got %v, want the whole agent", g)
	}
}

// Declining with a long filter and reviving, over and over, leaves the
// allocator holding bookkeeping for the filters in force only (not one
// entry per decline until each would have expired), and filters that
// stay in force through it all still last exactly as long as asked.
func TestDeclineReviveLoopDoesNotAccumulate(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:1;mem:64")
	addAgent(c, "a2", "cpus:1;mem:64")
	c.AddFramework("f2", fw("r2"), nil, true, FrameworkOptions{})
	if n := recoverAll(c, t0, c.Allocate(t0, nil), &mesos.Filters{RefuseSeconds: proto.Float64(20000)}); n != 2 {
		t.Fatalf("f2 offered %d agents, want 2", n)
	}
	// f2 holds a 20000s filter on each agent; f1 comes and loops.
	c.AddFramework("f1", fw("r1"), nil, true, FrameworkOptions{})
	year := &mesos.Filters{RefuseSeconds: proto.Float64(365 * 24 * 3600)}
	const cycles = 10000
	now := t0
	for i := range cycles {
		now = t0.Add(time.Duration(i+1) * time.Second)
		out := c.Allocate(now, nil)
		if len(out["f2"]) != 0 {
			t.Fatalf("cycle %d: f2 offered %v while its filters are in force", i, granted(out))
		}
		if n := recoverAll(c, now, out, year); n != 2 {
			t.Fatalf("cycle %d: f1 offered %d agents, want 2", i, n)
		}
		c.ReviveOffers("f1", nil)
	}
	if n := len(c.expiries); n > cycles/5 {
		t.Errorf("%d decline-revive cycles leave %d expiry entries for %d filters in force", cycles, n, c.ActiveFilters(now))
	}
	// f2's filters outlived the loop and expire when asked, not before.
	c.SuppressOffers("f1", nil)
	if g := granted(c.Allocate(t0.Add(20000*time.Second-time.Millisecond), nil)); len(g) != 0 {
		t.Fatalf("offered %v before f2's filters expired", g)
	}
	if g := granted(c.Allocate(t0.Add(20000*time.Second), nil)); len(g["f2"]) != 2 {
		t.Fatalf("got %v once f2's filters expired, want f2 both agents", g)
	}
}

// A framework removed with long filters, and added again under the same
// id, leaves nothing behind: repeated, the allocator's bookkeeping stays
// bounded, and the new framework's own short filters expire on time.
func TestRemovedFrameworksLeaveNoFilterBookkeeping(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:1;mem:64")
	year := &mesos.Filters{RefuseSeconds: proto.Float64(365 * 24 * 3600)}
	const cycles = 5000
	now := t0
	for i := range cycles {
		now = t0.Add(time.Duration(i) * time.Second)
		c.AddFramework("f1", fw("r1"), nil, true, FrameworkOptions{})
		if recoverAll(c, now, c.Allocate(now, nil), year) != 1 {
			t.Fatalf("cycle %d: f1 not offered a1", i)
		}
		c.RemoveFramework("f1")
	}
	if n := len(c.expiries); n > cycles/2 {
		t.Errorf("%d removed frameworks leave %d expiry entries", cycles, n)
	}
	c.AddFramework("f1", fw("r1"), nil, true, FrameworkOptions{})
	now = now.Add(time.Second)
	recoverAll(c, now, c.Allocate(now, nil), &mesos.Filters{RefuseSeconds: proto.Float64(10)})
	if g := granted(c.Allocate(now.Add(10*time.Second-time.Millisecond), nil)); len(g) != 0 {
		t.Fatalf("offered %v before the 10s filter expired", g)
	}
	if g := granted(c.Allocate(now.Add(10*time.Second), nil)); g["f1"]["a1"] == "" {
		t.Fatalf("not offered a1 once the 10s filter expired: %v", g)
	}
}

// Tasks launched alike share one resources list; as they end in turn,
// with other lists coming back between them, each takes its own amount
// out of the shares.
func TestRecoverSharedListsInTurn(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:4;mem:4096")
	addAgent(c, "a2", "cpus:4;mem:4096")
	c.AddFramework("f1", fw("*"), nil, true, FrameworkOptions{})
	c.Allocate(t0, nil) // f1 holds both agents
	small := res("cpus:1;mem:1024").Allocate("*")
	big := res("cpus:2;mem:2048").Allocate("*")
	check := func(step string, want float64) {
		t.Helper()
		if got := c.FrameworkShare("*", "f1"); math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: f1's share %v, want %v", step, got, want)
		}
	}
	check("all held", 1)
	c.RecoverResources(t0, "f1", "a1", small, nil)
	check("a small list back", 7.0/8)
	c.RecoverResources(t0, "f1", "a1", small, nil)
	check("the same small list again", 6.0/8)
	c.RecoverResources(t0, "f1", "a2", big, nil)
	check("a big list back", 4.0/8)
	c.RecoverResources(t0, "f1", "a2", small, nil)
	check("the small list after the big", 3.0/8)
}
