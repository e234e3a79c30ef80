package allocator

import (
	"errors"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
)

// codes are the reason codes for agent a1 and the framework's first role.
func codes(t *testing.T, ex Explanation) (string, []string) {
	t.Helper()
	if len(ex.Agents) == 0 || len(ex.Agents[0].Roles) == 0 {
		t.Fatalf("explanation without agents or roles: %+v", ex)
	}
	ar := ex.Agents[0].Roles[0]
	var out []string
	for _, r := range ar.Reasons {
		if r.Message == "" {
			t.Errorf("reason %s has no message", r.Code)
		}
		out = append(out, r.Code)
	}
	return ar.Verdict, out
}

func TestExplainReasons(t *testing.T) {
	multi := &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("m"), Roles: []string{"web"},
		Capabilities: []*mesos.FrameworkInfo_Capability{{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE.Enum()}}}
	for _, tc := range []struct {
		name    string
		min     string
		setup   func(c *Core)
		verdict string
		want    []string
	}{
		{"free agent", "", func(c *Core) {
			addAgent(c, "a1", "cpus:2;mem:1024")
			c.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
		}, VerdictWouldBeOffered, nil},
		{"suppressed", "", func(c *Core) {
			addAgent(c, "a1", "cpus:2;mem:1024")
			c.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
			c.SuppressOffers("f1", []string{"web"})
		}, VerdictNotOffered, []string{ReasonSuppressed}},
		{"framework inactive", "", func(c *Core) {
			addAgent(c, "a1", "cpus:2;mem:1024")
			c.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
			c.DeactivateFramework("f1")
		}, VerdictNotOffered, []string{ReasonFrameworkInactive}},
		{"agent deactivated", "", func(c *Core) {
			addAgent(c, "a1", "cpus:2;mem:1024")
			c.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
			c.DeactivateSlave("a1")
		}, VerdictNotOffered, []string{ReasonAgentDeactivated}},
		{"GPU agent, framework without GPU_RESOURCES", "", func(c *Core) {
			addAgent(c, "a1", "cpus:2;mem:1024;gpus:1")
			c.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
		}, VerdictNotOffered, []string{ReasonMissingCapability}},
		{"MULTI_ROLE framework, old agent", "", func(c *Core) {
			addAgent(c, "a1", "cpus:2;mem:1024")
			c.AddFramework("f1", multi, nil, true, FrameworkOptions{})
		}, VerdictNotOffered, []string{ReasonMissingCapability}},
		{"hierarchical role, old agent", "", func(c *Core) {
			addAgent(c, "a1", "cpus:2;mem:1024")
			c.AddFramework("f1", fw("eng/web"), nil, true, FrameworkOptions{})
		}, VerdictNotOffered, []string{ReasonMissingCapability}},
		{"everything offered", "", func(c *Core) {
			addAgent(c, "a1", "cpus:2;mem:1024")
			c.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
			c.Allocate(t0, nil)
		}, VerdictNotOffered, []string{ReasonNothingAvailable}},
		{"reserved for another role", "", func(c *Core) {
			addAgent(c, "a1", "cpus(ops):2;mem(ops):1024")
			c.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
		}, VerdictNotOffered, []string{ReasonReservedForOther}},
		{"below the minimum offer", "cpus:4", func(c *Core) {
			addAgent(c, "a1", "cpus:2;mem:1024")
			c.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
		}, VerdictNotOffered, []string{ReasonBelowMinAllocation}},
		{"quota limit reached", "cpus:0.01", func(c *Core) {
			addAgent(c, "a1", "cpus:2;mem:1024")
			addAgent(c, "a0", "cpus:1;mem:1024")
			c.UpdateQuota("web", Quota{Limits: Quantities{"cpus": 1}})
			c.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
			c.Allocate(t0, []string{"a0"}) // takes the role's one cpu
		}, VerdictNotOffered, []string{ReasonQuotaLimit}},
		{"declined with a filter", "", func(c *Core) {
			addAgent(c, "a1", "cpus:2;mem:1024")
			c.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
			out := c.Allocate(t0, nil)
			c.RecoverResources(t0, "f1", "a1", out["f1"]["web"]["a1"], &mesos.Filters{RefuseSeconds: proto.Float64(100)})
		}, VerdictNotOffered, []string{ReasonDeclineFilter}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCore(t, tc.min)
			tc.setup(c)
			ex, err := c.Explain(t0.Add(time.Second), "f1")
			if err != nil {
				t.Fatal(err)
			}
			// a0 sorts first when present: look at a1.
			ex.Agents = slices.DeleteFunc(ex.Agents, func(a AgentExplained) bool { return a.AgentID != "a1" })
			verdict, got := codes(t, ex)
			if verdict != tc.verdict || !slices.Equal(got, tc.want) {
				t.Errorf("verdict %s, reasons %v; want %s, %v", verdict, got, tc.verdict, tc.want)
			}
		})
	}
}

func TestExplainDetails(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:2;mem:1024")
	c.AddFramework("f1", fw("web"), nil, true, FrameworkOptions{})
	out := c.Allocate(t0, nil)
	c.RecoverResources(t0, "f1", "a1", out["f1"]["web"]["a1"], &mesos.Filters{RefuseSeconds: proto.Float64(100)})
	c.SuppressOffers("f1", []string{"web"})
	ex, err := c.Explain(t0.Add(time.Second), "f1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Reasons) != 1 || ex.Reasons[0].Code != ReasonSuppressed || !slices.Equal(ex.Reasons[0].Roles, []string{"web"}) {
		t.Errorf("framework-wide reasons %+v", ex.Reasons)
	}
	for _, r := range ex.Agents[0].Roles[0].Reasons {
		if r.Code == ReasonDeclineFilter {
			if want := float64(t0.Add(100*time.Second).UnixNano()) / 1e9; r.Until != want || r.Resources["cpus"] != 2.0 {
				t.Errorf("filter until %v (want %v), resources %v", r.Until, want, r.Resources)
			}
		}
	}
	// The filter has expired later on; only the suppression is left.
	ex, _ = c.Explain(t0.Add(200*time.Second), "f1")
	if _, got := codes(t, ex); !slices.Equal(got, []string{ReasonSuppressed}) {
		t.Errorf("after expiry: %v", got)
	}
	if _, err := c.Explain(t0, "nope"); !errors.Is(err, ErrUnknownFramework) {
		t.Errorf("unknown framework: %v", err)
	}
}

// Roles ahead in the DRF order are named with their shares.
func TestExplainDRFOrder(t *testing.T) {
	c := newCore(t, "")
	addAgent(c, "a1", "cpus:4;mem:4096")
	c.AddFramework("fa", fw("a"), nil, true, FrameworkOptions{})
	c.Allocate(t0, nil) // fa holds a1: half of the cluster once a2 is added
	c.AddFramework("fb", fw("b"), nil, true, FrameworkOptions{})
	addAgent(c, "a2", "cpus:4;mem:4096")

	ex, err := c.Explain(t0, "fa")
	if err != nil {
		t.Fatal(err)
	}
	st := ex.Roles[0]
	if st.Role != "a" || st.Position != 2 || len(st.Ahead) != 1 || st.Ahead[0] != (RoleShare{"b", 0}) || st.Share != 0.5 {
		t.Errorf("standing %+v", st)
	}
	if ex.Agents[0].Holding["cpus"] != 4.0 {
		t.Errorf("holding on a1: %v", ex.Agents[0].Holding)
	}
	if ex.Agents[1].Roles[0].Verdict != VerdictWouldBeOffered {
		t.Errorf("a2 for fa: %+v", ex.Agents[1].Roles[0])
	}
	// Explaining changes nothing: b is still served first on a2.
	out := c.Allocate(t0, nil)
	if _, ok := out["fb"]["b"]["a2"]; !ok {
		t.Errorf("after Explain, a2 went to %v", granted(out))
	}
}
