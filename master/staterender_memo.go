package master

// Resources rendered once per content: a cluster's agents and tasks mostly
// repeat a few shapes of resources, so /master/state keeps their JSON by
// what they hold rather than by which message holds it, and a first
// rendering costs about what a later one does.

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// resMemo holds rendered resources by content key. One renderer worker
// owns each; it is emptied when it grows past memoMaxBytes.
type resMemo struct {
	lists  map[string]*listJSON  // a resources list → resJSON
	fulls  map[string]rawJSON    // one resource → its protobuf JSON, compact
	totals map[string]*totalJSON // an agent's total → its static keys
	sums   map[string]*sumJSON   // a set of resources lists → their sum
	bytes  int                   // of keys and values held
	key    []byte                // scratch
	parts  []sumPart             // scratch
	all    resources.Resources   // scratch
}

// listJSON is a resources list's resJSON and its content key ("" when it
// has none: it is rendered afresh each time).
type listJSON struct {
	key  string
	json rawJSON
}

// memoMaxBytes bounds what one memo holds.
const memoMaxBytes = 64 << 20

// totalJSON is what an agent's object shows of its total.
type totalJSON struct {
	resources, reserved, reservedFull, unreserved, unreservedFull rawJSON
}

// sumJSON is a sum of resources lists and its renderings.
type sumJSON struct {
	sum        resources.Resources
	json, full rawJSON
}

func newResMemo() *resMemo {
	m := &resMemo{}
	m.reset()
	return m
}

func (m *resMemo) reset() {
	m.lists = map[string]*listJSON{}
	m.fulls = map[string]rawJSON{}
	m.totals = map[string]*totalJSON{}
	m.sums = map[string]*sumJSON{}
	m.bytes = 0
}

func (m *resMemo) charge(n int) {
	m.bytes += n
	if m.bytes > memoMaxBytes {
		m.reset()
	}
}

// list is resJSON(rs), encoded, with rs's content key.
func (m *resMemo) list(rs resources.Resources) (*listJSON, error) {
	var keyed bool
	m.key, keyed = appendListKey(m.key[:0], rs)
	if l, ok := m.lists[string(m.key)]; ok && keyed {
		return l, nil
	}
	b, err := encodeRaw(resJSON(rs))
	if err != nil {
		return nil, err
	}
	if !keyed {
		return &listJSON{json: b}, nil
	}
	l := &listJSON{key: string(m.key), json: b}
	m.charge(2*len(m.key) + len(b))
	m.lists[l.key] = l
	return l, nil
}

// part is rs as a part of a sum.
func (m *resMemo) part(rs resources.Resources) sumPart {
	k, keyed := appendListKey(m.key[:0], rs)
	m.key = k
	if !keyed {
		return sumPart{rs: rs}
	}
	return sumPart{key: string(k), rs: rs}
}

// full is compactFull(rs): each resource's protobuf JSON, compacted.
func (m *resMemo) full(rs resources.Resources) rawJSON {
	out := []byte{'['}
	for i, x := range rs {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, m.one(x)...)
	}
	return append(out, ']')
}

func (m *resMemo) one(x *mesos.Resource) rawJSON {
	var keyed bool
	m.key, keyed = appendResKey(m.key[:0], x)
	if b, ok := m.fulls[string(m.key)]; ok && keyed {
		return b
	}
	b := compactFull(resources.Resources{x})
	b = b[1 : len(b)-1]
	if !keyed {
		return b
	}
	m.charge(len(m.key) + len(b))
	m.fulls[string(m.key)] = b
	return b
}

// total is what an agent's object shows of its total.
func (m *resMemo) total(total resources.Resources) (*totalJSON, error) {
	var keyed bool
	m.key, keyed = appendListKey(m.key[:0], total)
	if t, ok := m.totals[string(m.key)]; ok && keyed {
		return t, nil
	}
	key := string(m.key)
	t := &totalJSON{}
	reserved, reservedFull := object{}, object{}
	for role, r := range total.Reservations() {
		reserved[role] = resJSON(r)
		reservedFull[role] = m.full(r)
	}
	unreserved := total.Unreserved()
	var err error
	enc := func(v any) rawJSON {
		b, e := encodeRaw(v)
		if e != nil && err == nil {
			err = e
		}
		return b
	}
	t.resources = enc(resJSON(total))
	t.reserved = enc(reserved)
	t.reservedFull = enc(reservedFull)
	t.unreserved = enc(resJSON(unreserved))
	t.unreservedFull = m.full(unreserved)
	if err != nil || !keyed {
		return t, err
	}
	m.charge(len(key) + len(t.resources) + len(t.reserved) + len(t.reservedFull) + len(t.unreserved) + len(t.unreservedFull))
	m.totals[key] = t
	return t, nil
}

// compactFull is resFullJSON encoded and compacted.
func compactFull(r resources.Resources) rawJSON {
	b := []byte{'['}
	for i, x := range resFullJSON(r) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, compactJSON(x)...)
	}
	return append(b, ']')
}

// sumPart is a resources list to add up, with its content key ("": it
// has none).
type sumPart struct {
	key string
	rs  resources.Resources
}

// sum adds up parts (in an order of their own: by content) and renders
// the sum as resJSON and compactFull do.
func (m *resMemo) sum(in []sumPart) (*sumJSON, error) {
	m.parts = append(m.parts[:0], in...)
	parts := m.parts
	defer clear(parts)
	keyed := true
	for _, p := range parts {
		keyed = keyed && p.key != ""
	}
	slices.SortFunc(parts, func(a, b sumPart) int { return strings.Compare(a.key, b.key) })
	// the key: each distinct list's key with its count
	m.key = m.key[:0]
	for i := 0; keyed && i < len(parts); {
		j := i + 1
		for j < len(parts) && parts[j].key == parts[i].key {
			j++
		}
		m.key = binary.AppendUvarint(m.key, uint64(j-i))
		m.key = append(m.key, parts[i].key...)
		i = j
	}
	if s, ok := m.sums[string(m.key)]; ok && keyed {
		return s, nil
	}
	key := string(m.key)
	m.all = m.all[:0]
	for _, p := range parts {
		m.all = append(m.all, p.rs...)
	}
	s := &sumJSON{sum: resources.Resources(nil).Add(m.all)}
	clear(m.all)
	b, err := encodeRaw(resJSON(s.sum))
	if err != nil {
		return nil, err
	}
	s.json, s.full = b, m.full(s.sum)
	if !keyed {
		return s, nil
	}
	m.charge(len(key) + len(s.json) + len(s.full))
	m.sums[key] = s
	return s, nil
}

// appendListKey appends a key for the content of rs: lists with equal
// keys render alike (resJSON, resFullJSON, and their sums).
func appendListKey(b []byte, rs resources.Resources) ([]byte, bool) {
	b = binary.AppendUvarint(b, uint64(len(rs)))
	for _, x := range rs {
		var ok bool
		if b, ok = appendResKey(b, x); !ok {
			return b, false
		}
	}
	return b, true
}

// appendResKey appends a key for x's content, self-delimiting. It covers
// every field of Resource (a test checks the list against the message's
// descriptor); resources with a disk or a legacy reservation, rare, are
// keyed by their protobuf encoding; false: x has no key (it cannot be
// encoded) and is rendered afresh.
func appendResKey(b []byte, x *mesos.Resource) ([]byte, bool) {
	if x == nil {
		return append(b, 0), true
	}
	if x.Disk != nil || x.Reservation != nil || hasLabels(x.Reservations) {
		enc, err := proto.MarshalOptions{Deterministic: true, AllowPartial: true}.Marshal(x)
		if err != nil {
			return b, false
		}
		b = append(b, 2)
		b = binary.AppendUvarint(b, uint64(len(enc)))
		return append(b, enc...), true
	}
	b = append(b, 1)
	b = keyStr(b, x.Name)
	b = keyEnum(b, x.Type != nil, int32(x.GetType()))
	if x.Scalar == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = keyFloat(b, x.Scalar.Value)
	}
	if x.Ranges == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(x.Ranges.Range)))
		for _, r := range x.Ranges.Range {
			if r == nil {
				b = append(b, 0)
				continue
			}
			b = append(b, 1)
			b = keyUint(b, r.Begin)
			b = keyUint(b, r.End)
		}
	}
	if x.Set == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(x.Set.Item)))
		for _, s := range x.Set.Item {
			b = binary.AppendUvarint(b, uint64(len(s)))
			b = append(b, s...)
		}
	}
	b = keyStr(b, x.Role)
	b = keyPresent(b, x.Revocable != nil)
	b = keyPresent(b, x.Shared != nil)
	if x.AllocationInfo == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = keyStr(b, x.AllocationInfo.Role)
	}
	if x.ProviderId == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = keyStr(b, x.ProviderId.Value)
	}
	b = binary.AppendUvarint(b, uint64(len(x.Reservations)))
	for _, r := range x.Reservations {
		if r == nil {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = keyStr(b, r.Principal)
		b = keyStr(b, r.Role)
		b = keyEnum(b, r.Type != nil, int32(r.GetType()))
	}
	return b, true
}

func hasLabels(rs []*mesos.Resource_ReservationInfo) bool {
	for _, r := range rs {
		if r.GetLabels() != nil {
			return true
		}
	}
	return false
}

func keyPresent(b []byte, ok bool) []byte {
	if ok {
		return append(b, 1)
	}
	return append(b, 0)
}

func keyStr(b []byte, s *string) []byte {
	if s == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendUvarint(b, uint64(len(*s)))
	return append(b, *s...)
}

func keyEnum(b []byte, set bool, v int32) []byte {
	if !set {
		return append(b, 0)
	}
	b = append(b, 1)
	return binary.AppendVarint(b, int64(v))
}

func keyFloat(b []byte, v *float64) []byte {
	if v == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(*v))
}

func keyUint(b []byte, v *uint64) []byte {
	if v == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	return binary.AppendUvarint(b, *v)
}
