package master

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gomesos/gomesos/messages/mesos"
)

// launchMemo holds the resources lists tasks were launched with
// (launchResources' results), by what they were made from: the tasks of
// a cluster mostly ask for a few shapes, and tasks launched alike share
// one list instead of a copy each. No one changes a task's resources once
// recorded (the renderer and the stream already rely on it). Only plain
// scalar lists are kept, at most launchMemoMax of them.
type launchMemo struct {
	lists map[string][]*mesos.Resource
	key   []byte // scratch

	// The last keyed call: a scheduler mostly launches several tasks
	// with one list, found again without building its key. A list is
	// known by its array, which holds while no list is changed in place
	// once sent (messages arrive decoded; the driver copies what a
	// scheduler gives it).
	lastIn, lastOut []*mesos.Resource
	lastInfo        *mesos.Resource_AllocationInfo
}

const launchMemoMax = 1024

// resources is launchResources(rs, info), shared with earlier tasks that
// asked for the same.
func (m *launchMemo) resources(rs []*mesos.Resource, info *mesos.Resource_AllocationInfo) []*mesos.Resource {
	if len(rs) > 0 && len(rs) == len(m.lastIn) && &rs[0] == &m.lastIn[0] && info == m.lastInfo {
		return m.lastOut // the same list (unchanged once sent) for the same info
	}
	key, ok := appendLaunchKey(m.key[:0], rs, info)
	m.key = key
	if !ok {
		return launchResources(rs, info)
	}
	out, ok := m.lists[string(key)]
	if !ok {
		out = launchResources(rs, info)
		if m.lists == nil || len(m.lists) >= launchMemoMax {
			m.lists = map[string][]*mesos.Resource{}
		}
		m.lists[string(key)] = out
	}
	m.lastIn, m.lastOut, m.lastInfo = rs, out, info
	return out
}

// appendLaunchKey appends a key for rs and info's role: what
// launchResources' result depends on. False: rs is not a plain list of
// scalars (ranges, sets, reservations, disks and the like, or unknown
// fields, are not keyed: they are launched as they are).
func appendLaunchKey(b []byte, rs []*mesos.Resource, info *mesos.Resource_AllocationInfo) ([]byte, bool) {
	if len(rs) == 0 || hasUnknown(info) {
		return b, false
	}
	b = keyStr(b, info.Role)
	for _, x := range rs {
		if x == nil || x.Scalar == nil || x.Ranges != nil || x.Set != nil || x.Disk != nil || x.Reservation != nil ||
			len(x.Reservations) > 0 || x.Revocable != nil || x.Shared != nil || x.ProviderId != nil ||
			hasUnknown(x) || hasUnknown(x.Scalar) || hasUnknown(x.AllocationInfo) {
			return b, false
		}
	}
	return appendListKey(b, rs)
}

// hasUnknown reports whether m has unknown fields; a nil m has none. The
// type parameter keeps m's nil check off the interface (a typed nil
// would cost a ProtoReflect call).
func hasUnknown[P interface {
	comparable
	protoreflect.ProtoMessage
}](m P) bool {
	var none P
	return m != none && len(m.ProtoReflect().GetUnknown()) > 0
}
