package tracing

import (
	"reflect"
	"sync"
	"unsafe"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Identifiers are found by protobuf reflection, so that a new message type
// needs no tracing code: any message named FrameworkID, SlaveID (or
// AgentID), ExecutorID, TaskID or OfferID with a string field "value" is an
// identifier, wherever it sits in a message (nested, repeated, in a map).
// The state of every TaskStatus met is collected too, and the name of a
// top-level enum field "type" (mesos.scheduler.Call's ACCEPT, ...) becomes
// the subtype.
//
// A plan per message descriptor lists the fields that can lead to an
// identifier, so a message is walked only where identifiers may be:
// resources, labels and command lines are never visited.

type idKind uint8

const (
	noID idKind = iota
	frameworkID
	agentID
	executorID
	taskID
	offerID
)

func idKindOf(md protoreflect.MessageDescriptor) (idKind, protoreflect.FieldDescriptor) {
	var k idKind
	switch md.Name() {
	case "FrameworkID":
		k = frameworkID
	case "SlaveID", "AgentID":
		k = agentID
	case "ExecutorID":
		k = executorID
	case "TaskID":
		k = taskID
	case "OfferID":
		k = offerID
	default:
		return noID, nil
	}
	fd := md.Fields().ByName("value")
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() || fd.IsMap() {
		return noID, nil
	}
	return k, fd
}

// stateField returns TaskStatus.state.
func stateField(md protoreflect.MessageDescriptor) protoreflect.FieldDescriptor {
	if md.Name() != "TaskStatus" {
		return nil
	}
	fd := md.Fields().ByName("state")
	if fd == nil || fd.Kind() != protoreflect.EnumKind || fd.IsList() {
		return nil
	}
	return fd
}

// plan says where, in messages of one type, identifiers can be.
type plan struct {
	fields []fieldPlan
	state  protoreflect.FieldDescriptor // TaskStatus.state, when the type is TaskStatus
}

type fieldPlan struct {
	fd      protoreflect.FieldDescriptor
	list    bool
	isMap   bool
	id      idKind                       // the field holds identifiers of this kind
	idValue protoreflect.FieldDescriptor // their "value" field
	sub     *plan                        // or messages that can hold some
}

// topPlan is the plan of a message type as a whole message.
type topPlan struct {
	p       *plan                        // nil: no identifier can be in it
	subtype protoreflect.FieldDescriptor // top-level enum "type", or nil

	// The fast path, for messages of Go type goType (see fast.go).
	goType  reflect.Type
	fast    *fastPlan
	fastSub bool // the subtype is a *enum at subOff
	subOff  uintptr
}

var plans struct {
	// protoreflect.MessageDescriptor -> *topPlan. Keyed by the descriptor,
	// not its name: two descriptors may share a name (dynamic messages),
	// and a plan's field descriptors belong to one of them.
	cache sync.Map
	mu    sync.Mutex
}

// planFor returns the plan of md, built (under a lock) the first time a
// message of its type is met; msg is that message, whose Go type the fast
// path is compiled for.
func planFor(md protoreflect.MessageDescriptor, msg proto.Message) *topPlan {
	if v, ok := plans.cache.Load(md); ok {
		return v.(*topPlan)
	}
	plans.mu.Lock()
	defer plans.mu.Unlock()
	if v, ok := plans.cache.Load(md); ok {
		return v.(*topPlan)
	}
	b := planBuilder{
		plans:   map[protoreflect.FullName]*plan{},
		reaches: map[protoreflect.FullName]bool{},
	}
	tp := &topPlan{p: b.build(md)}
	if fd := md.Fields().ByName("type"); fd != nil && fd.Kind() == protoreflect.EnumKind && !fd.IsList() {
		tp.subtype = fd
	}
	tp.compileFast(msg)
	plans.cache.Store(md, tp)
	return tp
}

func (tp *topPlan) compileFast(msg proto.Message) {
	t := reflect.TypeOf(msg)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return
	}
	st := t.Elem()
	fast := &fastPlan{}
	if tp.p != nil {
		if fast = compileFast(tp.p, st); fast == nil {
			return
		}
	}
	if tp.subtype != nil {
		sf, ok := structField(st, tp.subtype)
		if !ok || sf.Type.Kind() != reflect.Pointer || sf.Type.Elem().Kind() != reflect.Int32 {
			return
		}
		tp.fastSub, tp.subOff = true, sf.Offset
	}
	tp.goType, tp.fast = t, fast
}

type planBuilder struct {
	plans   map[protoreflect.FullName]*plan
	reaches map[protoreflect.FullName]bool
}

// canReach reports whether messages of md can hold an identifier or a
// TaskStatus (md itself excluded when it is an identifier).
func (b *planBuilder) canReach(md protoreflect.MessageDescriptor) bool {
	if v, ok := b.reaches[md.FullName()]; ok {
		return v
	}
	seen := map[protoreflect.FullName]bool{}
	var walk func(protoreflect.MessageDescriptor) bool
	walk = func(d protoreflect.MessageDescriptor) bool {
		if seen[d.FullName()] {
			return false
		}
		seen[d.FullName()] = true
		if stateField(d) != nil {
			return true
		}
		fields := d.Fields()
		for i := 0; i < fields.Len(); i++ {
			if sd := messageOf(fields.Get(i)); sd != nil {
				if k, _ := idKindOf(sd); k != noID {
					return true
				}
				if walk(sd) {
					return true
				}
			}
		}
		return false
	}
	v := walk(md)
	b.reaches[md.FullName()] = v
	return v
}

// messageOf is the message type a field holds (a map's value type), or nil.
func messageOf(fd protoreflect.FieldDescriptor) protoreflect.MessageDescriptor {
	if fd.IsMap() {
		fd = fd.MapValue()
	}
	if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
		return fd.Message()
	}
	return nil
}

func (b *planBuilder) build(md protoreflect.MessageDescriptor) *plan {
	if p, ok := b.plans[md.FullName()]; ok {
		return p
	}
	if !b.canReach(md) {
		b.plans[md.FullName()] = nil
		return nil
	}
	p := &plan{state: stateField(md)}
	b.plans[md.FullName()] = p // before the fields: recursive types refer to it
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		sd := messageOf(fd)
		if sd == nil {
			continue
		}
		fp := fieldPlan{fd: fd, list: fd.IsList(), isMap: fd.IsMap()}
		if k, vfd := idKindOf(sd); k != noID {
			fp.id, fp.idValue = k, vfd
		} else if fp.sub = b.build(sd); fp.sub == nil {
			continue
		}
		p.fields = append(p.fields, fp)
	}
	return p
}

// idRef is one identifier found.
type idRef struct {
	kind idKind
	v    string
}

// idsOf sorts identifiers by kind, keeping their order within a kind.
func idsOf(refs []idRef) IDs {
	var ids IDs
	for _, r := range refs {
		switch r.kind {
		case frameworkID:
			ids.Framework = append(ids.Framework, r.v)
		case agentID:
			ids.Agent = append(ids.Agent, r.v)
		case executorID:
			ids.Executor = append(ids.Executor, r.v)
		case taskID:
			ids.Task = append(ids.Task, r.v)
		case offerID:
			ids.Offer = append(ids.Offer, r.v)
		}
	}
	return ids
}

// found collects identifiers while a message is walked. Short lists are
// deduplicated by scanning them; long ones (offers by the hundred) through
// a set.
type found struct {
	refs    []idRef
	states  []string
	subtype string
	set     map[idRef]struct{}
}

const linearDedup = 16

func (f *found) add(k idKind, v string) {
	if v == "" {
		return
	}
	r := idRef{k, v}
	if f.set == nil {
		for _, x := range f.refs {
			if x == r {
				return
			}
		}
		if f.refs == nil {
			f.refs = make([]idRef, 0, 4)
		}
		f.refs = append(f.refs, r)
		if len(f.refs) > linearDedup {
			f.set = make(map[idRef]struct{}, 4*len(f.refs))
			for _, x := range f.refs {
				f.set[x] = struct{}{}
			}
		}
		return
	}
	if _, ok := f.set[r]; ok {
		return
	}
	f.set[r] = struct{}{}
	f.refs = append(f.refs, r)
}

// result returns the identifiers found.
func (f *found) result() []idRef { return f.refs }

func (f *found) addState(s string) {
	for _, x := range f.states {
		if x == s {
			return
		}
	}
	f.states = append(f.states, s)
}

func (p *plan) walk(m protoreflect.Message, f *found) {
	if p.state != nil && m.Has(p.state) {
		f.addState(enumName(p.state, m.Get(p.state).Enum()))
	}
	for i := range p.fields {
		fp := &p.fields[i]
		switch {
		case fp.list:
			l := m.Get(fp.fd).List()
			for j, n := 0, l.Len(); j < n; j++ {
				fp.visit(l.Get(j).Message(), f)
			}
		case fp.isMap:
			m.Get(fp.fd).Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
				fp.visit(v.Message(), f)
				return true
			})
		default:
			// Unset message fields read as invalid messages: one call
			// instead of Has and Get.
			if sm := m.Get(fp.fd).Message(); sm.IsValid() {
				fp.visit(sm, f)
			}
		}
	}
}

func (fp *fieldPlan) visit(m protoreflect.Message, f *found) {
	if fp.id != noID {
		f.add(fp.id, m.Get(fp.idValue).String())
		return
	}
	fp.sub.walk(m, f)
}

func enumName(fd protoreflect.FieldDescriptor, n protoreflect.EnumNumber) string {
	if v := fd.Enum().Values().ByNumber(n); v != nil {
		return string(v.Name())
	}
	return itoa(int(n))
}

// Extract returns the identifiers, task states and subtype of msg.
func Extract(msg proto.Message) (ids IDs, states []string, subtype string) {
	var f found
	extract(msg, &f)
	return idsOf(f.refs), f.states, f.subtype
}

func extract(msg proto.Message, f *found) {
	if msg == nil {
		return
	}
	m := msg.ProtoReflect()
	if !m.IsValid() {
		return
	}
	tp := planFor(m.Descriptor(), msg)
	if tp.fast != nil && reflect.TypeOf(msg) == tp.goType {
		base := reflect.ValueOf(msg).UnsafePointer()
		if tp.fastSub {
			if p := *(*unsafe.Pointer)(unsafe.Add(base, tp.subOff)); p != nil {
				f.subtype = enumName(tp.subtype, protoreflect.EnumNumber(*(*int32)(p)))
			}
		}
		tp.fast.walk(base, f)
		return
	}
	tp.extractSlow(m, f)
}

// extractSlow walks m by reflection.
func (tp *topPlan) extractSlow(m protoreflect.Message, f *found) {
	if tp.subtype != nil && m.Has(tp.subtype) {
		f.subtype = enumName(tp.subtype, m.Get(tp.subtype).Enum())
	}
	if tp.p != nil {
		tp.p.walk(m, f)
	}
}
