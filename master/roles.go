package master

// Roles, weights and quotas: the /roles, /weights and /quota endpoints and
// the state behind them. The checks are Mesos' (weights_handler.cpp,
// quota_handler.cpp, quota.cpp), with its messages; a rejected request
// changes nothing.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/internal/httpjson"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// maxRequestBody bounds what the operator endpoints read.
const maxRequestBody = 1 << 20

// inSubtree reports whether role is ancestor or one of its descendants.
func inSubtree(role, ancestor string) bool {
	return role == ancestor || strings.HasPrefix(role, ancestor+"/")
}

// addWithAncestors adds role and every ancestor of it to set.
func addWithAncestors(set map[string]bool, role string) {
	for {
		set[role] = true
		i := strings.LastIndexByte(role, '/')
		if i < 0 {
			return
		}
		role = role[:i]
	}
}

// subscribedRoles maps each role to the frameworks subscribed to it.
func (p *process) subscribedRoles() map[string][]string {
	out := map[string][]string{}
	for _, id := range sortedKeys(p.frameworks) {
		for _, r := range p.frameworks[id].roles() {
			out[r] = append(out[r], id)
		}
	}
	return out
}

// knownRoles returns the roles /roles shows: the whitelist if there is
// one, else every role with frameworks, reservations, a weight or a quota,
// with their ancestors; sorted.
func (p *process) knownRoles() []string {
	set := map[string]bool{}
	if p.cfg.Roles != nil {
		set["*"] = true
		for _, r := range p.cfg.Roles {
			addWithAncestors(set, r)
		}
	} else {
		for r := range p.subscribedRoles() {
			addWithAncestors(set, r)
		}
		for _, a := range p.agents {
			for r := range a.total.Reservations() {
				addWithAncestors(set, r)
			}
		}
		for r := range p.weights {
			addWithAncestors(set, r)
		}
		for r := range p.quotas {
			addWithAncestors(set, r)
		}
	}
	return sortedKeys(set)
}

// quantities renders resources as Mesos' ResourceQuantities JSON: name to
// amount, ranges and sets counted by their elements.
func quantities(r resources.Resources) map[string]float64 {
	out := map[string]float64{}
	for k, v := range allocator.QuantitiesOf(r) {
		if v != 0 {
			out[k] = resources.Round(v)
		}
	}
	return out
}

func allocatedToSubtree(r resources.Resources, role string) resources.Resources {
	return r.Filter(func(x *mesos.Resource) bool {
		return x.AllocationInfo != nil && inSubtree(x.GetAllocationInfo().GetRole(), role)
	})
}

func reservedToSubtree(r resources.Resources, role string) resources.Resources {
	return r.Filter(func(x *mesos.Resource) bool {
		return !resources.IsUnreserved(x) && inSubtree(resources.ReservationRole(x), role)
	})
}

func addQ(a, b map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for k, v := range a {
		out[k] += v
	}
	for k, v := range b {
		out[k] += v
	}
	return out
}

// rolesJSON is /master/roles.
func (p *process) rolesJSON() any {
	subscribed := p.subscribedRoles()
	list := []any{}
	for _, role := range p.knownRoles() {
		var used, offered, reserved, unusedReserved resources.Resources
		for _, f := range p.frameworks {
			used = used.Add(allocatedToSubtree(f.usedResources(), role))
			offered = offered.Add(allocatedToSubtree(f.offeredResources(), role))
		}
		for _, a := range p.agents {
			total := reservedToSubtree(a.total, role)
			reserved = reserved.Add(total)
			unusedReserved = unusedReserved.Add(total.Subtract(reservedToSubtree(a.totalUsed().Unallocate(), role)))
		}
		allocated := quantities(used)
		weight, ok := p.weights[role]
		if !ok {
			weight = 1
		}
		q := p.quotas[role]
		frameworks := subscribed[role]
		if frameworks == nil {
			frameworks = []string{}
		}
		list = append(list, object{
			"name":   role,
			"weight": weight,
			"quota": object{
				"role":      role,
				"guarantee": nonNil(q.Guarantees),
				"limit":     nonNil(q.Limits),
				"consumed":  addQ(allocated, quantities(unusedReserved)),
			},
			"resources":  addQ(allocated, quantities(offered)),
			"allocated":  allocated,
			"offered":    quantities(offered),
			"reserved":   quantities(reserved),
			"frameworks": frameworks,
		})
	}
	return object{"roles": list}
}

func nonNil(q allocator.Quantities) allocator.Quantities {
	if q == nil {
		return allocator.Quantities{}
	}
	return q
}

// ---- /weights ----

// weightJSON is one WeightInfo as Mesos renders it (proto field order).
type weightJSON struct {
	Weight float64 `json:"weight"`
	Role   string  `json:"role"`
}

func (m *Master) serveWeights(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		m.serveJSON(w, r, func(p *process) any {
			out := []weightJSON{}
			for _, role := range sortedKeys(p.weights) {
				out = append(out, weightJSON{Weight: p.weights[role], Role: role})
			}
			return out
		})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	if err != nil {
		http.Error(w, "Failed to read the request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	weights, err := parseWeightsRequest(string(body), m.cfg)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	m.apply(w, r, func(p *process) (int, string) {
		p.updateWeights(weights)
		return http.StatusOK, ""
	})
}

// parseWeightsRequest checks a PUT /weights body: a JSON array of
// WeightInfo, each with a valid, whitelisted role and a positive weight.
// Roles keep the order they came in; the last weight of a role wins.
func parseWeightsRequest(body string, cfg Config) ([]*mesos.WeightInfo, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		return nil, fmt.Errorf("Failed to parse update weights request JSON '%s': %v", body, err)
	}
	infos := make([]*mesos.WeightInfo, 0, len(raw))
	for _, item := range raw {
		wi := &mesos.WeightInfo{}
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(item, wi); err != nil {
			return nil, fmt.Errorf("Failed to convert weights JSON array to protobuf '%s': %v", body, err)
		}
		infos = append(infos, wi)
	}
	for _, wi := range infos {
		role := strings.TrimSpace(wi.GetRole())
		if err := ValidateRole(role); err != nil {
			return nil, fmt.Errorf("Failed to validate update weights request JSON: Invalid role '%s': %v", role, err)
		}
		if !cfg.whitelisted(role) {
			return nil, fmt.Errorf("Failed to validate update weights request JSON: Unknown role '%s'", role)
		}
		if !(wi.GetWeight() > 0) {
			return nil, fmt.Errorf("Failed to validate update weights request JSON for role '%s': Invalid weight '%s': Weights must be positive",
				role, strconv.FormatFloat(wi.GetWeight(), 'g', 6, 64))
		}
		wi.Role = proto.String(role)
	}
	return infos, nil
}

// updateWeights stores new weights, tells the allocator and, when one of
// the roles has frameworks, rescinds every outstanding offer so that the
// new weights apply at once (Mesos does the same).
func (p *process) updateWeights(infos []*mesos.WeightInfo) {
	update := map[string]float64{}
	rescind := false
	subscribed := p.subscribedRoles()
	for _, wi := range infos {
		p.weights[wi.GetRole()] = wi.GetWeight()
		update[wi.GetRole()] = wi.GetWeight()
		if len(subscribed[wi.GetRole()]) > 0 {
			rescind = true
		}
	}
	p.log.Infof("updated weights %v", update)
	p.alloc.UpdateWeights(update)
	if rescind {
		for _, aid := range sortedKeys(p.agents) {
			a := p.agents[aid]
			for _, oid := range sortedKeys(a.offers) {
				p.rescindOffer(a.offers[oid])
			}
		}
	}
}

// ---- /quota ----

func (m *Master) serveQuota(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		if _, ok := httpjson.Callback(w, r); !ok {
			return
		}
		v, err := m.snapshot(r, func(p *process) any { return p.quotaStatus() })
		if err != nil {
			http.Error(w, "Master is unavailable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		body, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(v.(*mesos.QuotaStatus))
		if err != nil {
			http.Error(w, "Failed to render JSON: "+err.Error(), http.StatusInternalServerError)
			return
		}
		// protojson varies its spacing on purpose: render it compact.
		var compact bytes.Buffer
		if json.Compact(&compact, body) != nil || compact.Len() == 0 {
			compact.Reset()
			compact.WriteString("{}")
		}
		httpjson.WriteBytes(w, r, compact.Bytes())
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
		if err != nil {
			http.Error(w, "Failed to read the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		req, err := parseQuotaRequest(string(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		m.apply(w, r, func(p *process) (int, string) { return p.setQuota(req) })
	case http.MethodDelete:
		path := r.URL.Path
		if !strings.HasPrefix(path, "/master/") {
			path = "/master" + path
		}
		m.apply(w, r, func(p *process) (int, string) { return p.removeQuota(path) })
	}
}

// apply runs f on the master actor and answers with its status and text.
func (m *Master) apply(w http.ResponseWriter, r *http.Request, f func(p *process) (int, string)) {
	ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout)
	defer cancel()
	type answer struct {
		code int
		text string
	}
	v, err := m.call(ctx, func() any { c, t := f(m.proc); return answer{c, t} })
	if err != nil {
		http.Error(w, "Master is unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	a := v.(answer)
	if a.code != http.StatusOK {
		http.Error(w, a.text, a.code)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// quotaStatus renders the quotas as Mesos' QuotaStatus: the legacy infos
// (guarantees as resources) and the configs.
func (p *process) quotaStatus() *mesos.QuotaStatus {
	st := &mesos.QuotaStatus{}
	for _, role := range sortedKeys(p.quotas) {
		q := p.quotas[role]
		info := &mesos.QuotaInfo{Role: proto.String(role)}
		cfg := &mesos.QuotaConfig{Role: proto.String(role), Guarantees: map[string]*mesos.Value_Scalar{}, Limits: map[string]*mesos.Value_Scalar{}}
		for _, name := range sortedKeys(q.Guarantees) {
			v := q.Guarantees[name]
			info.Guarantee = append(info.Guarantee, &mesos.Resource{
				Name: proto.String(name), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)},
			})
			cfg.Guarantees[name] = &mesos.Value_Scalar{Value: proto.Float64(v)}
		}
		for name, v := range q.Limits {
			cfg.Limits[name] = &mesos.Value_Scalar{Value: proto.Float64(v)}
		}
		st.Infos = append(st.Infos, info)
		st.Configs = append(st.Configs, cfg)
	}
	return st
}

// parseQuotaRequest turns a POST /quota body into a QuotaRequest.
func parseQuotaRequest(body string) (*mesos.QuotaRequest, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &obj); err != nil {
		return nil, fmt.Errorf("Failed to parse set quota request JSON '%s': %v", body, err)
	}
	req := &mesos.QuotaRequest{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal([]byte(body), req); err != nil {
		return nil, fmt.Errorf("Failed to validate set quota request JSON '%s': %v", body, err)
	}
	return req, nil
}

// validateQuotaInfo applies Mesos' QuotaInfo checks to a request.
func validateQuotaInfo(role string, hasRole bool, guarantee resources.Resources) error {
	if !hasRole {
		return fmt.Errorf("QuotaInfo must specify a role")
	}
	if err := ValidateRole(role); err != nil {
		return fmt.Errorf("QuotaInfo with invalid role: %v", err)
	}
	if len(guarantee) == 0 {
		return fmt.Errorf("QuotaInfo with empty 'guarantee'")
	}
	names := map[string]bool{}
	for _, r := range guarantee {
		switch {
		case len(r.GetReservations()) > 0:
			return fmt.Errorf("QuotaInfo must not contain any ReservationInfo")
		case r.Disk != nil:
			return fmt.Errorf("QuotaInfo must not contain DiskInfo")
		case r.Revocable != nil:
			return fmt.Errorf("QuotaInfo must not contain RevocableInfo")
		case r.GetType() != mesos.Value_SCALAR:
			return fmt.Errorf("QuotaInfo must not include non-scalar resources")
		case names[r.GetName()]:
			return fmt.Errorf("QuotaInfo contains duplicate resource name '%s'", r.GetName())
		}
		names[r.GetName()] = true
	}
	return nil
}

// formatQuantities renders quantities as Mesos does: "cpus:1; mem:512",
// "{}" when empty.
func formatQuantities(q allocator.Quantities) string {
	if len(q) == 0 {
		return "{}"
	}
	parts := make([]string, 0, len(q))
	for _, k := range sortedKeys(q) {
		parts = append(parts, k+":"+strconv.FormatFloat(resources.Round(q[k]), 'f', -1, 64))
	}
	return strings.Join(parts, "; ")
}

// validateQuotaTree checks that every parent role's guarantees contain
// the sum of its children's (Mesos' QuotaTree).
func validateQuotaTree(quotas map[string]allocator.Quota) error {
	type node struct {
		name     string
		quota    allocator.Quota
		children map[string]*node
	}
	root := &node{children: map[string]*node{}}
	for _, role := range sortedKeys(quotas) {
		cur := root
		for _, tok := range strings.Split(role, "/") {
			next := cur.children[tok]
			if next == nil {
				next = &node{name: tok, children: map[string]*node{}}
				cur.children[tok] = next
			}
			cur = next
		}
		cur.quota = quotas[role]
	}
	var check func(n *node) error
	check = func(n *node) error {
		sum := allocator.Quantities{}
		for _, name := range sortedKeys(n.children) {
			c := n.children[name]
			if err := check(c); err != nil {
				return err
			}
			for k, v := range c.quota.Guarantees {
				sum[k] += v
			}
		}
		if !allocator.Quantities(n.quota.Guarantees).Contains(sum) {
			return fmt.Errorf("Invalid quota configuration. Parent role '%s' with guarantees (%s) does not contain the sum of its children's guarantees (%s)",
				n.name, formatQuantities(n.quota.Guarantees), formatQuantities(sum))
		}
		return nil
	}
	for _, name := range sortedKeys(root.children) {
		if err := check(root.children[name]); err != nil {
			return err
		}
	}
	return nil
}

// setQuota handles POST /quota on the actor.
func (p *process) setQuota(req *mesos.QuotaRequest) (int, string) {
	bad := func(format string, args ...any) (int, string) {
		return http.StatusBadRequest, fmt.Sprintf(format, args...)
	}
	role := req.GetRole()
	if err := resources.Validate(req.GetGuarantee()); err != nil {
		return bad("Failed to validate set quota request: QuotaInfo with invalid resource: %v", err)
	}
	// Upgraded one by one: duplicates must stay visible to the checks.
	var guarantee resources.Resources
	for _, r := range req.GetGuarantee() {
		guarantee = append(guarantee, resources.Resources{r}.Upgrade()...)
	}
	if err := validateQuotaInfo(role, req.Role != nil, guarantee); err != nil {
		return bad("Failed to validate set quota request: %v", err)
	}
	guarantee = resources.New(guarantee...)
	if !p.cfg.whitelisted(role) {
		return bad("Failed to validate set quota request: Unknown role '%s'", role)
	}
	if _, ok := p.quotas[role]; ok {
		return bad("Failed to validate set quota request: Cannot set quota for role '%s' which already has quota", role)
	}
	q := allocator.ScalarQuantities(guarantee)
	quota := allocator.Quota{Guarantees: q, Limits: q}
	all := map[string]allocator.Quota{role: quota}
	for r, x := range p.quotas {
		all[r] = x
	}
	if err := validateQuotaTree(all); err != nil {
		return bad("Failed to validate set quota request: %v", err)
	}
	if strings.Contains(role, "/") {
		return bad("Setting quota on nested role '%s' is not supported yet", role)
	}
	if !req.GetForce() {
		total := allocator.Quantities{}
		for r, x := range all {
			if !strings.Contains(r, "/") {
				for k, v := range x.Guarantees {
					total[k] += v
				}
			}
		}
		capacity := allocator.Quantities{}
		for _, a := range p.agents {
			for k, v := range allocator.ScalarQuantities(a.total.NonRevocable()) {
				capacity[k] += v
			}
		}
		if !capacity.Contains(total) {
			return http.StatusConflict, fmt.Sprintf("Quota guarantees overcommit the cluster (use 'force' to bypass this check): Total quota guarantees '%s' exceed cluster capacity '%s'",
				formatQuantities(total), formatQuantities(capacity))
		}
	}
	p.quotas[role] = quota
	p.log.Infof("set quota for role '%s': %s", role, formatQuantities(q))
	p.alloc.UpdateQuota(role, quota)
	p.rescindForQuota(role, guarantee)
	return http.StatusOK, ""
}

// rescindForQuota rescinds offers so that a new guarantee can be met:
// whole agents' offers, until what was rescinded holds the guarantee and
// as many agents were visited as the role has active frameworks (Mesos'
// heuristic).
func (p *process) rescindForQuota(role string, guarantee resources.Resources) {
	frameworks := 0
	for _, f := range p.frameworks {
		if f.connected && f.active && hasRole(f.roles(), role) {
			frameworks++
		}
	}
	var rescinded resources.Resources
	visited := 0
	for _, aid := range sortedKeys(p.agents) {
		if rescinded.Contains(guarantee) && visited >= frameworks {
			break
		}
		a := p.agents[aid]
		if !a.connected || !a.active || len(a.offers) == 0 {
			continue
		}
		for _, oid := range sortedKeys(a.offers) {
			o := a.offers[oid]
			rescinded = rescinded.Add(o.resources.Unallocate())
			p.rescindOffer(o)
		}
		visited++
	}
}

func hasRole(roles []string, role string) bool {
	for _, r := range roles {
		if r == role {
			return true
		}
	}
	return false
}

// removeQuota handles DELETE /master/quota/<role> on the actor.
func (p *process) removeQuota(path string) (int, string) {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3)
	var tokens []string
	for _, t := range parts {
		if t != "" {
			tokens = append(tokens, t)
		}
	}
	if len(tokens) < 3 {
		return http.StatusBadRequest, fmt.Sprintf("Failed to parse remove quota request for path '%s': expected 3 tokens, found %d tokens", path, len(tokens))
	}
	role := tokens[2]
	if !p.cfg.whitelisted(role) {
		return http.StatusBadRequest, fmt.Sprintf("Failed to validate remove quota request for path '%s': Unknown role '%s'", path, role)
	}
	if _, ok := p.quotas[role]; !ok {
		return http.StatusBadRequest, fmt.Sprintf("Failed to remove quota for path '%s': Role '%s' has no quota set", path, role)
	}
	rest := map[string]allocator.Quota{}
	for r, q := range p.quotas {
		if r != role {
			rest[r] = q
		}
	}
	if err := validateQuotaTree(rest); err != nil {
		return http.StatusBadRequest, fmt.Sprintf("Failed to remove quota for path '%s': %v", path, err)
	}
	delete(p.quotas, role)
	p.log.Infof("removed quota for role '%s'", role)
	p.alloc.UpdateQuota(role, allocator.Quota{})
	return http.StatusOK, ""
}
