package master

// Roles, weights and quotas: the /roles, /weights and /quota endpoints and
// the state behind them. The checks are Mesos' (weights_handler.cpp,
// quota_handler.cpp, quota.cpp), with its messages; a rejected request
// changes nothing.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/internal/httpjson"
	"github.com/gomesos/gomesos/master/allocator"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
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
func (c *Core) subscribedRoles() map[string][]string {
	out := map[string][]string{}
	for _, id := range sortedKeys(c.frameworks) {
		for _, r := range c.frameworks[id].roles() {
			out[r] = append(out[r], id)
		}
	}
	return out
}

// knownRoles returns the roles /roles shows: the whitelist if there is
// one, else every role with frameworks, reservations, a weight or a quota,
// with their ancestors; sorted.
func (c *Core) knownRoles() []string {
	set := map[string]bool{}
	if c.cfg.Roles != nil {
		set["*"] = true
		for _, r := range c.cfg.Roles {
			addWithAncestors(set, r)
		}
	} else {
		for r := range c.subscribedRoles() {
			addWithAncestors(set, r)
		}
		for _, a := range c.agents {
			for r := range a.total.Reservations() {
				addWithAncestors(set, r)
			}
		}
		for r := range c.weights {
			addWithAncestors(set, r)
		}
		for r := range c.quotas {
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
func (c *Core) rolesJSON() any {
	subscribed := c.subscribedRoles()
	list := []any{}
	for _, role := range c.knownRoles() {
		var used, offered, reserved, unusedReserved resources.Resources
		for _, f := range c.frameworks {
			used = used.Add(allocatedToSubtree(f.usedResources(), role))
			offered = offered.Add(allocatedToSubtree(f.offeredResources(), role))
		}
		for _, a := range c.agents {
			total := reservedToSubtree(a.total, role)
			reserved = reserved.Add(total)
			unusedReserved = unusedReserved.Add(total.Subtract(reservedToSubtree(a.totalUsed().Unallocate(), role)))
		}
		allocated := quantities(used)
		weight, ok := c.weights[role]
		if !ok {
			weight = 1
		}
		q := c.quotas[role]
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
		m.serveJSON(w, r, func(c *Core) any {
			out := []weightJSON{}
			for _, role := range sortedKeys(c.weights) {
				out = append(out, weightJSON{Weight: c.weights[role], Role: role})
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
	m.change(w, r, func(p *process) ([]effect.Effect, error) {
		return p.core.UpdateWeights(p.now(), weights)
	}, nil)
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
		if err := protocol.ValidateRole(role); err != nil {
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

// UpdateWeights stores new weights (checked by the caller, as
// PUT /weights does) in the registry; once written, the master uses them,
// tells the allocator and, when one of the roles has frameworks, rescinds
// every outstanding offer so that the new weights apply at once (Mesos
// does the same). The error is a RequestError (Unavailable: not the
// leader).
func (c *Core) UpdateWeights(now time.Time, infos []*mesos.WeightInfo) ([]effect.Effect, error) {
	c.at = now
	if !c.acting() {
		return nil, &RequestError{Kind: Unavailable, Msg: ErrNotLeading.Error()}
	}
	infos = slices.Clone(infos)
	c.persist(UpdateWeights{Weights: infos}, func() { c.useWeights(infos) })
	return c.out.Take(), nil
}

func (c *Core) useWeights(infos []*mesos.WeightInfo) {
	update := map[string]float64{}
	rescind := false
	subscribed := c.subscribedRoles()
	for _, wi := range infos {
		c.weights[wi.GetRole()] = wi.GetWeight()
		update[wi.GetRole()] = wi.GetWeight()
		if len(subscribed[wi.GetRole()]) > 0 {
			rescind = true
		}
	}
	c.log.Infof("updated weights %v", update)
	c.out.Add(AllocUpdateWeights{Weights: update})
	if rescind {
		for _, aid := range sortedKeys(c.agents) {
			a := c.agents[aid]
			for _, oid := range sortedKeys(a.offers) {
				c.rescindOffer(a.offers[oid])
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
		v, err := m.snapshot(r, func(c *Core) any { return c.quotaStatus() })
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
		m.change(w, r, func(p *process) ([]effect.Effect, error) {
			return p.core.SetQuota(p.now(), req)
		}, func(kind RequestErrorKind) string {
			if kind == Invalid {
				return "Failed to validate set quota request: "
			}
			return ""
		})
	case http.MethodDelete:
		path := r.URL.Path
		if !strings.HasPrefix(path, "/master/") {
			path = "/master" + path
		}
		var tokens []string
		for _, t := range strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3) {
			if t != "" {
				tokens = append(tokens, t)
			}
		}
		if len(tokens) < 3 {
			http.Error(w, fmt.Sprintf("Failed to parse remove quota request for path '%s': expected 3 tokens, found %d tokens", path, len(tokens)), http.StatusBadRequest)
			return
		}
		role := tokens[2]
		m.change(w, r, func(p *process) ([]effect.Effect, error) {
			return p.core.RemoveQuota(p.now(), role)
		}, func(kind RequestErrorKind) string {
			if kind == Invalid {
				return fmt.Sprintf("Failed to validate remove quota request for path '%s': ", path)
			}
			return fmt.Sprintf("Failed to remove quota for path '%s': ", path)
		})
	}
}

// change runs f on the master actor, applies its effects and, once the
// registry writes they include are stored, answers 200; or the status of
// the RequestError f returns with prefix(kind) before its text.
func (m *Master) change(w http.ResponseWriter, r *http.Request, f func(p *process) ([]effect.Effect, error), prefix func(RequestErrorKind) string) {
	ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout+m.proc.storeTimeout())
	defer cancel()
	v, err := m.call(ctx, func() any {
		effects, err := f(m.proc)
		if err != nil {
			return err
		}
		return m.proc.applyWait(effects)
	})
	if err != nil {
		http.Error(w, "Master is unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if done, ok := v.(<-chan error); ok {
		select {
		case err := <-done:
			if err != nil {
				http.Error(w, "Master is no longer the leader: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusOK)
		case <-ctx.Done():
			http.Error(w, "Master is unavailable: "+ctx.Err().Error(), http.StatusServiceUnavailable)
		}
		return
	}
	var re *RequestError
	if !errors.As(v.(error), &re) {
		http.Error(w, v.(error).Error(), http.StatusInternalServerError)
		return
	}
	text := re.Msg
	if prefix != nil {
		text = prefix(re.Kind) + text
	}
	http.Error(w, text, re.status())
}

// quotaStatus renders the quotas as Mesos' QuotaStatus: the legacy infos
// (guarantees as resources) and the configs.
func (c *Core) quotaStatus() *mesos.QuotaStatus {
	st := &mesos.QuotaStatus{}
	for _, role := range sortedKeys(c.quotas) {
		q := c.quotas[role]
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
	if err := protocol.ValidateRole(role); err != nil {
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

// SetQuota sets a role's quota (POST /quota): its guarantee, and a limit
// equal to it. A refused request changes nothing and returns a
// *RequestError: Invalid, Refused, or Conflict when the guarantees would
// overcommit the cluster and the request is not forced.
func (c *Core) SetQuota(now time.Time, req *mesos.QuotaRequest) ([]effect.Effect, error) {
	c.at = now
	if !c.acting() {
		return nil, &RequestError{Kind: Unavailable, Msg: ErrNotLeading.Error()}
	}
	bad := func(format string, args ...any) ([]effect.Effect, error) {
		return nil, &RequestError{Kind: Invalid, Msg: fmt.Sprintf(format, args...)}
	}
	if req == nil {
		return bad("QuotaInfo must specify a role")
	}
	role := req.GetRole()
	if err := resources.Validate(req.GetGuarantee()); err != nil {
		return bad("QuotaInfo with invalid resource: %v", err)
	}
	// Upgraded one by one: duplicates must stay visible to the checks.
	var guarantee resources.Resources
	for _, r := range req.GetGuarantee() {
		guarantee = append(guarantee, resources.Resources{r}.Upgrade()...)
	}
	if err := validateQuotaInfo(role, req.Role != nil, guarantee); err != nil {
		return bad("%v", err)
	}
	guarantee = resources.New(guarantee...)
	if !c.cfg.whitelisted(role) {
		return bad("Unknown role '%s'", role)
	}
	if _, ok := c.quotas[role]; ok {
		return bad("Cannot set quota for role '%s' which already has quota", role)
	}
	q := allocator.ScalarQuantities(guarantee)
	quota := allocator.Quota{Guarantees: q, Limits: q}
	all := map[string]allocator.Quota{role: quota}
	for r, x := range c.quotas {
		all[r] = x
	}
	if err := validateQuotaTree(all); err != nil {
		return bad("%v", err)
	}
	if strings.Contains(role, "/") {
		return nil, &RequestError{Kind: Refused, Msg: fmt.Sprintf("Setting quota on nested role '%s' is not supported yet", role)}
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
		for _, a := range c.agents {
			for k, v := range allocator.ScalarQuantities(a.total.NonRevocable()) {
				capacity[k] += v
			}
		}
		if !capacity.Contains(total) {
			return nil, &RequestError{Kind: Conflict, Msg: fmt.Sprintf("Quota guarantees overcommit the cluster (use 'force' to bypass this check): Total quota guarantees '%s' exceed cluster capacity '%s'",
				formatQuantities(total), formatQuantities(capacity))}
		}
	}
	// The quota is the master's at once (later requests are checked
	// against it); the allocator gets it once the registry has it.
	c.quotas[role] = quota
	c.persist(UpdateQuota{Role: role, Config: quotaConfig(role, quota)}, func() {
		c.log.WithField("role", role).Infof("set quota %s", formatQuantities(q))
		c.out.Add(AllocUpdateQuota{Role: role, Quota: quota})
		c.rescindForQuota(role, guarantee)
	})
	return c.out.Take(), nil
}

// rescindForQuota rescinds offers so that a new guarantee can be met:
// whole agents' offers, until what was rescinded holds the guarantee and
// as many agents were visited as the role has active frameworks (Mesos'
// heuristic).
func (c *Core) rescindForQuota(role string, guarantee resources.Resources) {
	frameworks := 0
	for _, f := range c.frameworks {
		if f.connected && f.active && hasRole(f.roles(), role) {
			frameworks++
		}
	}
	var rescinded resources.Resources
	visited := 0
	for _, aid := range sortedKeys(c.agents) {
		if rescinded.Contains(guarantee) && visited >= frameworks {
			break
		}
		a := c.agents[aid]
		if !a.connected || !a.active || len(a.offers) == 0 {
			continue
		}
		for _, oid := range sortedKeys(a.offers) {
			o := a.offers[oid]
			rescinded = rescinded.Add(o.resources.Unallocate())
			c.rescindOffer(o)
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

// RemoveQuota removes a role's quota (DELETE /quota/<role>). A refused
// request changes nothing and returns a *RequestError: Invalid for a role
// that is not whitelisted, Refused for one without quota or whose removal
// breaks the quota tree.
func (c *Core) RemoveQuota(now time.Time, role string) ([]effect.Effect, error) {
	c.at = now
	if !c.acting() {
		return nil, &RequestError{Kind: Unavailable, Msg: ErrNotLeading.Error()}
	}
	if !c.cfg.whitelisted(role) {
		return nil, &RequestError{Kind: Invalid, Msg: fmt.Sprintf("Unknown role '%s'", role)}
	}
	if _, ok := c.quotas[role]; !ok {
		return nil, &RequestError{Kind: Refused, Msg: fmt.Sprintf("Role '%s' has no quota set", role)}
	}
	rest := map[string]allocator.Quota{}
	for r, q := range c.quotas {
		if r != role {
			rest[r] = q
		}
	}
	if err := validateQuotaTree(rest); err != nil {
		return nil, &RequestError{Kind: Refused, Msg: err.Error()}
	}
	delete(c.quotas, role)
	c.persist(UpdateQuota{Role: role}, func() {
		c.log.WithField("role", role).Info("removed quota")
		c.out.Add(AllocUpdateQuota{Role: role, Quota: allocator.Quota{}})
	})
	return c.out.Take(), nil
}

// RequestErrorKind says why an operator request was refused.
type RequestErrorKind int

const (
	// Invalid: the request fails validation (HTTP 400).
	Invalid RequestErrorKind = iota
	// Refused: the request is valid but the master's state refuses it
	// (HTTP 400).
	Refused
	// Conflict: the request conflicts with the cluster and may be forced
	// (HTTP 409).
	Conflict
	// Unavailable: this master is not the recovered leader (HTTP 503).
	Unavailable
)

// RequestError is an operator request the core refused; nothing changed.
type RequestError struct {
	Kind RequestErrorKind
	Msg  string
}

func (e *RequestError) Error() string { return e.Msg }

// status is the HTTP status of e.
func (e *RequestError) status() int {
	switch e.Kind {
	case Conflict:
		return http.StatusConflict
	case Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}
