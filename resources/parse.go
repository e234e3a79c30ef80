package resources

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
)

// Parse reads resources in the forms Mesos accepts for --resources:
//
//   - text: "cpus:4;mem:8192;disk:0;ports:[31000-32000];name:{a,b}", where
//     "name(role):value" statically reserves the resource to role and
//     whitespace around tokens and inside values is ignored;
//   - JSON: an array of Resource objects, e.g.
//     [{"name":"cpus","type":"SCALAR","scalar":{"value":4}}].
//
// Resources without a role get defaultRole ("" means "*", unreserved).
// A reservation to a role other than "*" is recorded as a STATIC
// ReservationInfo and, as Mesos does when it reports resources, in the
// deprecated role field too (which is "*" for unreserved resources).
// Every resource is validated; dynamic reservations, persistent volumes,
// revocable resources and one name used with two types are rejected, as
// on Mesos' command line. Zero-valued resources ("disk:0") are dropped.
func Parse(text, defaultRole string) (Resources, error) {
	if defaultRole == "" {
		defaultRole = "*"
	}
	if err := ValidateRole(defaultRole); err != nil {
		return nil, errorf("invalid default role %q: %v", defaultRole, err)
	}
	trimmed := strings.TrimSpace(text)
	var (
		list []*mesos.Resource
		err  error
	)
	if strings.HasPrefix(trimmed, "[") {
		list, err = parseJSON(trimmed, defaultRole)
	} else {
		list, err = parseText(trimmed, defaultRole)
	}
	if err != nil {
		return nil, err
	}

	types := map[string]mesos.Value_Type{}
	for _, x := range list {
		switch {
		case IsPersistentVolume(x):
			return nil, errorf("'%s': persistent volumes cannot be specified at the command line", formatResource(x))
		case x.Revocable != nil:
			return nil, errorf("'%s': revocable resources cannot be specified at the command line", formatResource(x))
		case IsDynamicallyReserved(x):
			return nil, errorf("'%s': dynamic reservations cannot be specified at the command line", formatResource(x))
		}
		if t, ok := types[x.GetName()]; ok && t != x.GetType() {
			return nil, errorf("resources with the same name ('%s') but different types (%s, %s) are not allowed",
				x.GetName(), t, x.GetType())
		}
		types[x.GetName()] = x.GetType()
	}

	out := make(Resources, 0, len(list))
	for _, x := range list {
		switch len(x.Reservations) {
		case 0:
			x.Role = proto.String("*")
		case 1:
			x.Role = proto.String(x.Reservations[0].GetRole())
		}
		out = addInto(out, x)
	}
	return out, nil
}

// MustParse is Parse for literals known to be valid; it panics on error.
func MustParse(text string) Resources {
	r, err := Parse(text, "*")
	if err != nil {
		panic(err)
	}
	return r
}

func parseText(text, defaultRole string) ([]*mesos.Resource, error) {
	var out []*mesos.Resource
	for _, raw := range strings.Split(text, ";") {
		token := strings.TrimSpace(raw)
		if token == "" {
			continue
		}
		x, err := parseToken(token, defaultRole)
		if err != nil {
			return nil, errorf("bad resource %q: %v", token, err)
		}
		out = append(out, x)
	}
	return out, nil
}

type tokenError string

func (e tokenError) Error() string { return string(e) }

func parseToken(token, defaultRole string) (*mesos.Resource, error) {
	parts := strings.Split(token, ":")
	if len(parts) != 2 {
		return nil, tokenError("expected exactly one ':' between name and value")
	}
	head, value := strings.TrimSpace(parts[0]), stripSpace(parts[1])
	if value == "" {
		return nil, tokenError("missing value after ':'")
	}

	name, role := head, defaultRole
	if open := strings.IndexByte(head, '('); open >= 0 {
		closing := strings.IndexByte(head, ')')
		if closing < open {
			return nil, tokenError("mismatched parentheses around the role")
		}
		if rest := strings.TrimSpace(head[closing+1:]); rest != "" {
			return nil, tokenError("unexpected " + strconv.Quote(rest) + " after the role")
		}
		name = strings.TrimSpace(head[:open])
		role = strings.TrimSpace(head[open+1 : closing])
		if err := ValidateRole(role); err != nil {
			return nil, err
		}
	} else if strings.IndexByte(head, ')') >= 0 {
		return nil, tokenError("mismatched parentheses around the role")
	}
	if name == "" {
		return nil, tokenError("empty resource name")
	}
	if i := strings.IndexFunc(name, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("()[]{},", r)
	}); i >= 0 {
		return nil, tokenError("invalid character " + strconv.QuoteRune(rune(name[i])) + " in resource name " + strconv.Quote(name))
	}

	x := &mesos.Resource{Name: proto.String(name)}
	switch value[0] {
	case '[':
		s, err := parseRanges(value)
		if err != nil {
			return nil, err
		}
		x.Type = mesos.Value_RANGES.Enum()
		x.Ranges = &mesos.Value_Ranges{}
		newRanges(x.Ranges, coalesce(s))
	case '{':
		items, err := parseSet(value)
		if err != nil {
			return nil, err
		}
		x.Type = mesos.Value_SET.Enum()
		x.Set = &mesos.Value_Set{Item: items}
	default:
		v, err := parseScalar(value)
		if err != nil {
			return nil, err
		}
		x.Type = mesos.Value_SCALAR.Enum()
		x.Scalar = &mesos.Value_Scalar{Value: proto.Float64(v)}
	}
	if role != "*" {
		x.Reservations = []*mesos.Resource_ReservationInfo{{
			Type: mesos.Resource_ReservationInfo_STATIC.Enum(),
			Role: proto.String(role),
		}}
	}
	if err := ValidateResource(x); err != nil {
		return nil, err
	}
	return x, nil
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func parseScalar(v string) (float64, error) {
	if strings.IndexFunc(v, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r == '.' || r == 'e' || r == 'E' || r == '+' || r == '-')
	}) >= 0 {
		return 0, tokenError("value " + strconv.Quote(v) + " is not a number, a range list [b-e,...] or a set {a,...}")
	}
	f, err := strconv.ParseFloat(v, 64)
	switch {
	case err != nil && math.IsInf(f, 0):
		return 0, tokenError("value " + strconv.Quote(v) + " is out of range")
	case err != nil:
		return 0, tokenError("value " + strconv.Quote(v) + " is not a number")
	case f < 0:
		return 0, tokenError("value " + strconv.Quote(v) + " is negative")
	case f != 0 && f < 0x1p-1022:
		return 0, tokenError("value " + strconv.Quote(v) + " is subnormal")
	}
	return f, nil
}

func parseRanges(v string) ([]span, error) {
	if v[len(v)-1] != ']' {
		return nil, tokenError("ranges " + strconv.Quote(v) + " must end with ']'")
	}
	inner := v[1 : len(v)-1]
	if strings.ContainsAny(inner, "[]{}()") {
		return nil, tokenError("mismatched brackets in ranges " + strconv.Quote(v))
	}
	if inner == "" {
		return nil, nil
	}
	var out []span
	for _, el := range strings.Split(inner, ",") {
		be := strings.Split(el, "-")
		if len(be) != 2 || be[0] == "" || be[1] == "" {
			return nil, tokenError("range " + strconv.Quote(el) + " is not of the form begin-end")
		}
		b, err1 := strconv.ParseUint(be[0], 10, 64)
		e, err2 := strconv.ParseUint(be[1], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, tokenError("range " + strconv.Quote(el) + " needs non-negative integer bounds")
		}
		if b > e {
			return nil, tokenError("range " + strconv.Quote(el) + " has begin > end")
		}
		out = append(out, span{b, e})
	}
	return out, nil
}

func parseSet(v string) ([]string, error) {
	if v[len(v)-1] != '}' {
		return nil, tokenError("set " + strconv.Quote(v) + " must end with '}'")
	}
	inner := v[1 : len(v)-1]
	if strings.ContainsAny(inner, "[]{}()") {
		return nil, tokenError("mismatched brackets in set " + strconv.Quote(v))
	}
	if inner == "" {
		return nil, nil
	}
	items := strings.Split(inner, ",")
	for _, it := range items {
		if it == "" {
			return nil, tokenError("empty item in set " + strconv.Quote(v))
		}
	}
	return items, nil
}

func parseJSON(text, defaultRole string) ([]*mesos.Resource, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal([]byte(text), &raws); err != nil {
		return nil, errorf("invalid JSON resources: %v", err)
	}
	opts := protojson.UnmarshalOptions{DiscardUnknown: true}
	out := make([]*mesos.Resource, 0, len(raws))
	for i, raw := range raws {
		x := &mesos.Resource{}
		if err := opts.Unmarshal(raw, x); err != nil {
			return nil, errorf("JSON resource #%d %s: %v", i, compactJSON(raw), err)
		}
		if x.Role == nil && len(x.Reservations) == 0 {
			x.Role = proto.String(defaultRole)
		}
		if err := upgradeInPlace(x); err != nil {
			return nil, errorf("JSON resource #%d %s: %v", i, compactJSON(raw), err)
		}
		if err := ValidateResource(x); err != nil {
			return nil, errorf("JSON resource #%d %s: %v", i, compactJSON(raw), err)
		}
		out = append(out, x)
	}
	return out, nil
}

// upgradeInPlace converts x to the post-reservation-refinement format.
func upgradeInPlace(x *mesos.Resource) error {
	if len(x.Reservations) > 0 {
		x.Role, x.Reservation = nil, nil
		return nil
	}
	if x.GetRole() == "*" {
		if x.Reservation != nil {
			return tokenError("role \"*\" cannot be dynamically reserved")
		}
		x.Role = nil
		return nil
	}
	x.Reservations = upgradedStack(x)
	x.Role, x.Reservation = nil, nil
	return nil
}

func compactJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	s := buf.String()
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
