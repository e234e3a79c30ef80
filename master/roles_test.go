package master

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/scheduler"
	"github.com/gomesos/gomesos/resources"
)

func send(t *testing.T, srv *httptest.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, strings.TrimSpace(sb.String())
}

func roleInfo(name, role string) *mesos.FrameworkInfo {
	info := frameworkInfo(name)
	info.Role = proto.String(role)
	return info
}

func allocatorWeights(t *testing.T, c *cluster) map[string]float64 {
	t.Helper()
	var out map[string]float64
	if err := c.m.alloc.Inspect(func(core *allocator.Core) {
		out = map[string]float64{}
		for _, role := range core.RoleOrder() {
			out[role] = core.RoleShare(role)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWeightsEndpoint(t *testing.T) {
	c := newCluster(t, func(cfg *Config) {
		cfg.Weights = "dev=2,prod=3.5"
		cfg.Roles = []string{"dev", "prod", "web"}
	})
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()

	code, body := send(t, srv, "GET", "/master/weights", "")
	if code != 200 || body != `[{"weight":2,"role":"dev"},{"weight":3.5,"role":"prod"}]` {
		t.Fatalf("GET /weights: %d %s", code, body)
	}

	bad := []struct{ body, want string }{
		{`not json`, "Failed to parse update weights request JSON 'not json'"},
		{`{"weight":1,"role":"dev"}`, "Failed to parse update weights request JSON"},
		{`[{"role":"dev"}]`, "Failed to convert weights JSON array to protobuf"},
		{`[{"weight":"x","role":"dev"}]`, "Failed to convert weights JSON array to protobuf"},
		{`[{"weight":1,"role":"-bad"}]`, "Failed to validate update weights request JSON: Invalid role '-bad'"},
		{`[{"weight":1,"role":"other"}]`, "Failed to validate update weights request JSON: Unknown role 'other'"},
		{`[{"weight":1,"role":"web"},{"weight":0,"role":"dev"}]`, "Failed to validate update weights request JSON for role 'dev': Invalid weight '0': Weights must be positive"},
		{`[{"weight":-1.5,"role":"dev"}]`, "Invalid weight '-1.5': Weights must be positive"},
	}
	for _, b := range bad {
		code, body := send(t, srv, "PUT", "/master/weights", b.body)
		if code != http.StatusBadRequest || !strings.Contains(body, b.want) {
			t.Errorf("PUT %s: %d %q, want 400 with %q", b.body, code, body, b.want)
		}
	}
	// Nothing changed.
	if _, body := send(t, srv, "GET", "/weights", ""); body != `[{"weight":2,"role":"dev"},{"weight":3.5,"role":"prod"}]` {
		t.Fatalf("weights changed by bad requests: %s", body)
	}
	if code, body := send(t, srv, "POST", "/master/weights", "[]"); code != http.StatusMethodNotAllowed ||
		body != "405 Method Not Allowed. Expecting one of { 'GET', 'PUT' }, but received 'POST'." {
		t.Errorf("POST /weights: %d %q", code, body)
	}

	// A framework in role web holds an offer; changing web's weight
	// rescinds it and the allocator uses the new weight.
	c.addAgent("cpus:4;mem:4096")
	s, _ := c.subscribe(roleInfo("f", "web"))
	o := next[*mesosinternal.ResourceOffersMessage](t, s).GetOffers()[0]
	if code, body := send(t, srv, "PUT", "/master/weights", `[{"weight":4,"role":" web "}]`); code != 200 {
		t.Fatalf("PUT: %d %s", code, body)
	}
	if r := next[*mesosinternal.RescindResourceOfferMessage](t, s); r.GetOfferId().GetValue() != o.GetId().GetValue() {
		t.Fatalf("rescinded %v, want %v", r.GetOfferId(), o.GetId())
	}
	if _, body := send(t, srv, "GET", "/master/weights", ""); !strings.Contains(body, `{"weight":4,"role":"web"}`) {
		t.Fatalf("GET after PUT: %s", body)
	}
	c.advance(time.Second)
	next[*mesosinternal.ResourceOffersMessage](t, s)
	// web holds the whole cluster: its share is 1, divided by weight 4.
	if w := allocatorWeights(t, c)["web"]; w != 0.25 {
		t.Fatalf("web's weighted share %v, want 0.25", w)
	}
}

func TestQuotaEndpoint(t *testing.T) {
	c := newCluster(t, func(cfg *Config) { cfg.Roles = []string{"dev", "prod", "eng", "eng/a"} })
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	c.addAgent("cpus:4;mem:4096;ports:[31000-31010]")

	if code, body := send(t, srv, "GET", "/master/quota", ""); code != 200 || body != "{}" {
		t.Fatalf("GET /quota: %d %s", code, body)
	}
	quota := func(role, res string, force bool) string {
		var g []any
		for _, r := range resources.MustParse(res) {
			g = append(g, map[string]any{"name": r.GetName(), "type": "SCALAR", "scalar": map[string]any{"value": r.GetScalar().GetValue()}})
		}
		b, _ := json.Marshal(map[string]any{"role": role, "guarantee": g, "force": force})
		return string(b)
	}
	bad := []struct {
		body string
		code int
		want string
	}{
		{`{`, 400, "Failed to parse set quota request JSON '{'"},
		{`{"role": 3}`, 400, "Failed to validate set quota request JSON"},
		{`{"guarantee":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}}]}`, 400, "Failed to validate set quota request: QuotaInfo must specify a role"},
		{`{"role":"dev"}`, 400, "Failed to validate set quota request: QuotaInfo with empty 'guarantee'"},
		{`{"role":"dev","guarantee":[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":1,"end":2}]}}]}`, 400, "QuotaInfo must not include non-scalar resources"},
		{`{"role":"dev","guarantee":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}},{"name":"cpus","type":"SCALAR","scalar":{"value":1}}]}`, 400, "QuotaInfo contains duplicate resource name 'cpus'"},
		{`{"role":"dev","guarantee":[{"name":"cpus","type":"SCALAR","scalar":{"value":-1}}]}`, 400, "Failed to validate set quota request: QuotaInfo with invalid resource"},
		{quota("other", "cpus:1", false), 400, "Failed to validate set quota request: Unknown role 'other'"},
		{quota("dev", "cpus:5;mem:512", false), 409, "Quota guarantees overcommit the cluster (use 'force' to bypass this check): Total quota guarantees 'cpus:5; mem:512' exceed cluster capacity 'cpus:4; mem:4096'"},
		{quota("eng/a", "cpus:1", false), 400, "Invalid quota configuration. Parent role 'eng' with guarantees ({}) does not contain the sum of its children's guarantees (cpus:1)"},
	}
	for _, b := range bad {
		code, body := send(t, srv, "POST", "/master/quota", b.body)
		if code != b.code || !strings.Contains(body, b.want) {
			t.Errorf("POST %s: %d %q, want %d with %q", b.body, code, body, b.code, b.want)
		}
	}
	if _, body := send(t, srv, "GET", "/master/quota", ""); body != "{}" {
		t.Fatalf("bad requests set quota: %s", body)
	}

	if code, body := send(t, srv, "POST", "/master/quota", quota("dev", "cpus:1;mem:512", false)); code != 200 {
		t.Fatalf("POST: %d %s", code, body)
	}
	if code, body := send(t, srv, "POST", "/master/quota", quota("dev", "cpus:1", false)); code != 400 || !strings.Contains(body, "Cannot set quota for role 'dev' which already has quota") {
		t.Errorf("second POST: %d %s", code, body)
	}
	// Over capacity, but forced.
	if code, body := send(t, srv, "POST", "/quota", quota("prod", "cpus:8", true)); code != 200 {
		t.Fatalf("forced POST: %d %s", code, body)
	}
	code, body := send(t, srv, "GET", "/master/quota", "")
	var st map[string][]map[string]any
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil || len(st["infos"]) != 2 || len(st["configs"]) != 2 {
		t.Fatalf("GET /quota: %d %s (%v)", code, body, err)
	}
	if !strings.Contains(body, `"configs":[{"role":"dev","guarantees":{`) || !strings.Contains(body, `"limits":{`) ||
		!strings.Contains(body, `{"name":"cpus","type":"SCALAR","scalar":{"value":1}}`) {
		t.Fatalf("GET /quota: %s", body)
	}
	var q allocator.Quantities
	c.m.alloc.Inspect(func(core *allocator.Core) { q = core.Stats(t0).Quotas["dev"].Guarantees })
	if q["cpus"] != 1 || q["mem"] != 512 {
		t.Fatalf("allocator quota for dev: %v", q)
	}

	for _, b := range []struct {
		path string
		want string
	}{
		{"/master/quota", "Failed to parse remove quota request for path '/master/quota': expected 3 tokens, found 2 tokens"},
		{"/master/quota/other", "Failed to validate remove quota request for path '/master/quota/other': Unknown role 'other'"},
		{"/master/quota/eng", "Failed to remove quota for path '/master/quota/eng': Role 'eng' has no quota set"},
	} {
		if code, body := send(t, srv, "DELETE", b.path, ""); code != 400 || body != b.want {
			t.Errorf("DELETE %s: %d %q, want %q", b.path, code, body, b.want)
		}
	}
	if code, body := send(t, srv, "DELETE", "/master/quota/dev", ""); code != 200 {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	if code, _ := send(t, srv, "DELETE", "/quota/prod", ""); code != 200 {
		t.Fatalf("DELETE /quota/prod: %d", code)
	}
	if _, body := send(t, srv, "GET", "/master/quota", ""); body != "{}" {
		t.Fatalf("after DELETE: %s", body)
	}
	if code, _ := send(t, srv, "PUT", "/master/quota", ""); code != http.StatusMethodNotAllowed {
		t.Errorf("PUT /quota: %d", code)
	}
}

func TestRolesEndpoint(t *testing.T) {
	c := newCluster(t, func(cfg *Config) { cfg.Weights = "eng/x=2" })
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	a, _ := c.addAgent("cpus:4;mem:4096;cpus(db):1;ports:[31000-31009]")
	s, fid := c.subscribe(roleInfo("f", "web"))
	o := next[*mesosinternal.ResourceOffersMessage](t, s).GetOffers()[0]
	s.send(launch(fid, ids(o), &mesos.Filters{RefuseSeconds: proto.Float64(0)}, commandTask("t1", o, "cpus:1;mem:128;ports:[31000-31001]")))
	next[*mesosinternal.RunTaskMessage](t, a)
	c.advance(time.Second)
	next[*mesosinternal.ResourceOffersMessage](t, s) // the rest, offered again

	roles := getJSON(t, srv, "/master/roles")["roles"].([]any)
	var names []string
	byName := map[string]map[string]any{}
	for _, r := range roles {
		m := r.(map[string]any)
		names = append(names, m["name"].(string))
		byName[m["name"].(string)] = m
	}
	if strings.Join(names, ",") != "db,eng,eng/x,web" {
		t.Fatalf("roles %v", names)
	}
	web := byName["web"]
	hasKeys(t, "role web", web, "name", "weight", "quota", "resources", "allocated", "offered", "reserved", "frameworks")
	want := `{"allocated":{"cpus":1,"mem":128,"ports":2},"frameworks":["` + fid + `"],"name":"web","offered":{"cpus":3,"mem":3968,"ports":8},` +
		`"quota":{"consumed":{"cpus":1,"mem":128,"ports":2},"guarantee":{},"limit":{},"role":"web"},` +
		`"reserved":{},"resources":{"cpus":4,"mem":4096,"ports":10},"weight":1}`
	if got, _ := json.Marshal(web); string(got) != want {
		t.Errorf("role web:\n got %s\nwant %s", got, want)
	}
	if byName["eng/x"]["weight"] != 2.0 || byName["eng"]["weight"] != 1.0 {
		t.Errorf("weights: %v %v", byName["eng/x"]["weight"], byName["eng"]["weight"])
	}
	if got, _ := json.Marshal(byName["db"]["reserved"]); string(got) != `{"cpus":1}` {
		t.Errorf("db reserved %s", got)
	}
	if got, _ := json.Marshal(byName["db"]["quota"].(map[string]any)["consumed"]); string(got) != `{"cpus":1}` {
		t.Errorf("db consumed %s (unallocated reservations count)", got)
	}

}

// With a whitelist, /roles lists exactly the whitelist, its ancestors
// and "*".
func TestRolesEndpointWhitelist(t *testing.T) {
	w := newCluster(t, func(cfg *Config) { cfg.Roles = []string{"a/b", "c"} })
	srv2 := httptest.NewServer(w.m.Handler())
	defer srv2.Close()
	var names []string
	for _, r := range getJSON(t, srv2, "/roles")["roles"].([]any) {
		names = append(names, r.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "*,a,a/b,c" {
		t.Fatalf("whitelisted roles %v", names)
	}
}

func TestMetricsSnapshot(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	c.addAgent("cpus:2;mem:1024;disk:512")
	s, fid := c.subscribe(roleInfo("f", "web"))
	o := next[*mesosinternal.ResourceOffersMessage](t, s).GetOffers()[0]
	d := call(fid, scheduler.Call_DECLINE)
	d.Decline = &scheduler.Call_Decline{OfferIds: ids(o), Filters: &mesos.Filters{RefuseSeconds: proto.Float64(100)}}
	s.send(d)
	c.advance(time.Second)
	if code, body := send(t, srv, "POST", "/master/quota", `{"role":"dev","guarantee":[{"name":"cpus","type":"SCALAR","scalar":{"value":1}}]}`); code != 200 {
		t.Fatalf("quota: %d %s", code, body)
	}
	c.settle()

	snap := getJSON(t, srv, "/metrics/snapshot")
	want := map[string]float64{
		"allocator/mesos/resources/cpus/total":                                2,
		"allocator/mesos/resources/mem/total":                                 1024,
		"allocator/mesos/resources/disk/total":                                512,
		"allocator/mesos/resources/cpus/offered_or_allocated":                 0,
		"allocator/mesos/roles/web/shares/dominant":                           0,
		"allocator/mesos/offer_filters/roles/web/active":                      1,
		"allocator/mesos/quota/roles/dev/resources/cpus/guarantee":            1,
		"allocator/mesos/quota/roles/dev/resources/cpus/limit":                1,
		"allocator/mesos/quota/roles/dev/resources/cpus/offered_or_allocated": 0,
		"master/elected":                         1,
		"master/slaves_active":                   1,
		"master/frameworks_active":               1,
		"master/outstanding_offers":              0,
		"master/cpus_total":                      2,
		"allocator/mesos/event_queue_dispatches": 0,
	}
	for k, v := range want {
		got, ok := snap[k].(float64)
		if !ok || got != v {
			t.Errorf("%s = %v, want %v", k, snap[k], v)
		}
	}
	for _, k := range []string{"allocator/mesos/allocation_runs", "allocator/mesos/allocation_run_ms", "allocator/mesos/allocation_run_ms/count",
		"allocator/mesos/allocation_run_ms/p50", "allocator/mesos/allocation_run_ms/p9999", "allocator/mesos/allocation_run_latency_ms", "master/uptime_secs"} {
		if _, ok := snap[k]; !ok {
			t.Errorf("snapshot lacks %s", k)
		}
	}
	if runs := snap["allocator/mesos/allocation_runs"].(float64); runs < 2 {
		t.Errorf("allocation_runs %v", runs)
	}
}

func accept(fid string, offers []*mesos.OfferID, filters *mesos.Filters, ops ...*mesos.Offer_Operation) *scheduler.Call {
	c := call(fid, scheduler.Call_ACCEPT)
	c.Accept = &scheduler.Call_Accept{OfferIds: offers, Operations: ops, Filters: filters}
	return c
}

func reserveOp(rs resources.Resources) *mesos.Offer_Operation {
	return &mesos.Offer_Operation{Type: mesos.Offer_Operation_RESERVE.Enum(), Reserve: &mesos.Offer_Operation_Reserve{Resources: rs}}
}

func unreserveOp(rs resources.Resources) *mesos.Offer_Operation {
	return &mesos.Offer_Operation{Type: mesos.Offer_Operation_UNRESERVE.Enum(), Unreserve: &mesos.Offer_Operation_Unreserve{Resources: rs}}
}

// legacyReserved is what a framework without RESERVATION_REFINEMENT
// writes: role and reservation{principal}.
func legacyReserved(text, role, principal string) resources.Resources {
	rs := resources.MustParse(text)
	for _, r := range rs {
		r.Role = proto.String(role)
		r.Reservation = &mesos.Resource_ReservationInfo{Principal: proto.String(principal)}
	}
	return rs
}

func offeredResources(o *mesos.Offer) resources.Resources { return resources.New(o.GetResources()...) }

func TestReserveAndUnreserve(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID := c.addAgent("cpus:4;mem:4096")
	info := roleInfo("f", "web")
	info.Principal = proto.String("ops")
	s, fid := c.subscribe(info)
	o := next[*mesosinternal.ResourceOffersMessage](t, s).GetOffers()[0]

	// RESERVE 1 cpu and 512 mem for web; nothing launched.
	s.send(accept(fid, ids(o), nil, reserveOp(legacyReserved("cpus:1;mem:512", "web", "ops"))))
	cp := next[*mesosinternal.CheckpointResourcesMessage](t, a)
	if got := resources.New(cp.GetResources()...).Upgrade(); got.Scalar("cpus") != 1 || got.Scalar("mem") != 512 || !resources.IsDynamicallyReserved(got[0]) {
		t.Fatalf("checkpointed %v", got)
	}
	// The reservation comes back without a filter, the rest with the
	// default 5 s one; a filter only covers an offer it contains, so the
	// next run offers the whole agent again, the reservation in the
	// legacy format this framework understands.
	c.advance(time.Second)
	o = next[*mesosinternal.ResourceOffersMessage](t, s).GetOffers()[0]
	if got := offeredResources(o).Reserved("web"); got.Scalar("cpus") != 1 || got.Scalar("mem") != 512 || got[0].GetRole() != "web" || got[0].GetReservation().GetPrincipal() != "ops" {
		t.Fatalf("offer after RESERVE: %v", offeredResources(o))
	}
	var total resources.Resources
	c.inspect(func(p *Core) { total = p.agents[agentID].total })
	if !total.Reserved("web").Equal(resources.MustParse("cpus:1;mem:512").PushReservation(&mesos.Resource_ReservationInfo{
		Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum(), Role: proto.String("web"), Principal: proto.String("ops")})) {
		t.Fatalf("agent total %v", total)
	}

	// Another role never sees the reservation.
	d := call(fid, scheduler.Call_DECLINE)
	d.Decline = &scheduler.Call_Decline{OfferIds: ids(o), Filters: &mesos.Filters{RefuseSeconds: proto.Float64(1000)}}
	s.send(d)
	s2, _ := c.subscribe(roleInfo("g", "batch"))
	c.advance(5 * time.Second)
	for _, o2 := range next[*mesosinternal.ResourceOffersMessage](t, s2).GetOffers() {
		if !offeredResources(o2).Reserved("").IsEmpty() {
			t.Fatalf("role batch offered reserved resources: %v", offeredResources(o2))
		}
	}

	// Bad operations are dropped and change nothing: reserving for
	// another role, more than offered, with another principal, and an
	// UNRESERVE of unreserved resources.
	for _, op := range []*mesos.Offer_Operation{
		reserveOp(legacyReserved("cpus:0.5", "batch", "ops")),
		reserveOp(legacyReserved("cpus:100", "web", "ops")),
		reserveOp(legacyReserved("cpus:0.5", "web", "mallory")),
		unreserveOp(resources.MustParse("cpus:1")),
	} {
		drain[*mesosinternal.ResourceOffersMessage](s)
		s.send(&mesosinternal.ReviveOffersMessage{FrameworkId: frameworkID(fid)})
		c.settle()
		offers := next[*mesosinternal.ResourceOffersMessage](t, s).GetOffers()
		s.send(accept(fid, ids(offers...), &mesos.Filters{RefuseSeconds: proto.Float64(0)}, op))
		c.settle()
		none[*mesosinternal.CheckpointResourcesMessage](t, a)
		var after resources.Resources
		c.inspect(func(p *Core) { after = p.agents[agentID].total })
		if !after.Equal(total) {
			t.Fatalf("%v changed the total to %v", op, after)
		}
	}

	// UNRESERVE gives the resources back to everyone.
	drain[*mesosinternal.ResourceOffersMessage](s)
	s.send(&mesosinternal.ReviveOffersMessage{FrameworkId: frameworkID(fid)})
	c.settle()
	var reservedOffer *mesos.Offer
	for _, o := range next[*mesosinternal.ResourceOffersMessage](t, s).GetOffers() {
		if !offeredResources(o).Reserved("web").IsEmpty() {
			reservedOffer = o
		}
	}
	if reservedOffer == nil {
		t.Fatal("reservation not offered after revive")
	}
	s.send(accept(fid, ids(reservedOffer), nil, unreserveOp(offeredResources(reservedOffer).Reserved("web"))))
	cp = next[*mesosinternal.CheckpointResourcesMessage](t, a)
	if len(cp.GetResources()) != 0 {
		t.Fatalf("checkpointed after UNRESERVE: %v", cp.GetResources())
	}
	c.inspect(func(p *Core) { total = p.agents[agentID].total })
	if !total.Equal(resources.MustParse("cpus:4;mem:4096").Upgrade()) {
		t.Fatalf("total after UNRESERVE %v", total)
	}

	// Operation feedback needs the HTTP API: the driver gets an error.
	drain[*mesosinternal.ResourceOffersMessage](s)
	s.send(&mesosinternal.ReviveOffersMessage{FrameworkId: frameworkID(fid)})
	c.settle()
	offers := next[*mesosinternal.ResourceOffersMessage](t, s).GetOffers()
	op := reserveOp(legacyReserved("cpus:1", "web", "ops"))
	op.Id = &mesos.OperationID{Value: proto.String("op1")}
	s.send(accept(fid, ids(offers...), nil, op))
	if e := next[*mesosinternal.FrameworkErrorMessage](t, s); !strings.Contains(e.GetMessage(), "operation feedback is not supported for the SchedulerDriver API") {
		t.Fatalf("error %q", e.GetMessage())
	}
}

// An agent that reregisters keeps the reservations made through the
// master (gomesos agents do not checkpoint them yet).
func TestReservationsSurviveReregistration(t *testing.T) {
	c := newCluster(t, nil)
	a, agentID := c.addAgent("cpus:4;mem:4096")
	info := roleInfo("f", "web")
	s, fid := c.subscribe(info)
	o := next[*mesosinternal.ResourceOffersMessage](t, s).GetOffers()[0]
	s.send(accept(fid, ids(o), nil, reserveOp(legacyReserved("cpus:1", "web", ""))))
	next[*mesosinternal.CheckpointResourcesMessage](t, a)
	var before resources.Resources
	c.inspect(func(p *Core) { before = p.agents[agentID].total })

	si := agentInfo("cpus:4;mem:4096")
	si.Id = slaveID(agentID)
	a.send(&mesosinternal.ReregisterSlaveMessage{Slave: si, Version: proto.String("1.11.0")})
	next[*mesosinternal.SlaveReregisteredMessage](t, a)
	c.settle()
	var after resources.Resources
	c.inspect(func(p *Core) { after = p.agents[agentID].total })
	if !after.Equal(before) || after.Reserved("web").IsEmpty() {
		t.Fatalf("total after reregistration %v, want %v", after, before)
	}
}

func TestConfigValidateRolesAndSorters(t *testing.T) {
	for _, c := range []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.Weights = "a=0" }, "Weights must be positive"},
		{func(c *Config) { c.Weights = "a" }, "--weights should be of the form 'role=weight,role=weight'"},
		{func(c *Config) { c.Weights = "x=1"; c.Roles = []string{"y"} }, "x is not a valid role"},
		{func(c *Config) { c.Weights = "-x=1" }, "-x is not a valid role"},
		{func(c *Config) { c.RoleSorter = "fair" }, "role_sorter: unknown sorter 'fair'"},
		{func(c *Config) { c.FrameworkSorter = "fifo" }, "framework_sorter: unknown sorter 'fifo'"},
		{func(c *Config) { c.FairSharingExcludedResourceNames = []string{""} }, "fair_sharing_excluded_resource_names"},
	} {
		cfg := DefaultConfig()
		c.mutate(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	ok := DefaultConfig()
	ok.Weights, ok.Roles, ok.RoleSorter = "x=2,*=0.5", []string{"x"}, "random"
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}
