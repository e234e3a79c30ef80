package schedulerdriver

import (
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosutil"
	"github.com/gomesos/gomesos/resources"
)

// cloneOffers returns deep copies of offers for the scheduler, as
// cloneAll does; the ids and resources, most of an offer, are copied
// field by field instead of by reflection.
func cloneOffers(offers []*mesos.Offer) []*mesos.Offer {
	if offers == nil {
		return nil
	}
	out := make([]*mesos.Offer, len(offers))
	for i, o := range offers {
		out[i] = cloneOffer(o)
	}
	return out
}

func cloneOffer(o *mesos.Offer) *mesos.Offer {
	if o == nil || len(o.ProtoReflect().GetUnknown()) > 0 {
		return cloneOne(o)
	}
	b := &struct {
		o        mesos.Offer
		hostname string
	}{}
	out := &b.o
	out.Id = cloneID(o.Id, mesosutil.NewOfferID)
	out.FrameworkId = cloneID(o.FrameworkId, mesosutil.NewFrameworkID)
	out.SlaveId = cloneID(o.SlaveId, mesosutil.NewSlaveID)
	out.ExecutorIds = cloneAll(o.ExecutorIds)
	out.Attributes = cloneAll(o.Attributes)
	out.Url = cloneURL(o.Url)
	out.Unavailability = cloneOne(o.Unavailability)
	out.AllocationInfo = cloneOne(o.AllocationInfo)
	out.Domain = cloneOne(o.Domain)
	if o.Hostname != nil {
		b.hostname, out.Hostname = *o.Hostname, &b.hostname
	}
	if o.Resources != nil {
		out.Resources = cloneResources(o.Resources)
	}
	return out
}

// idMessage is one of Mesos' id messages: a value and nothing else.
type idMessage interface {
	proto.Message
	GetValue() string
}

// cloneID copies an id message with mk, or by reflection when its value
// is empty (set or not) or it has unknown fields.
func cloneID[M idMessage](id M, mk func(string) M) M {
	var zero M
	if any(id) == any(zero) {
		return zero
	}
	if v := id.GetValue(); v != "" && len(id.ProtoReflect().GetUnknown()) == 0 {
		return mk(v)
	}
	return cloneOne(id)
}

// cloneOfferIDs copies offer ids, as cloneAll does.
func cloneOfferIDs(ids []*mesos.OfferID) []*mesos.OfferID {
	if ids == nil {
		return nil
	}
	out := make([]*mesos.OfferID, len(ids))
	for i, id := range ids {
		out[i] = cloneID(id, mesosutil.NewOfferID)
	}
	return out
}

// cloneFilters copies filters (refuse_seconds only) by hand, others by
// reflection.
func cloneFilters(f *mesos.Filters) *mesos.Filters {
	if f == nil || len(f.ProtoReflect().GetUnknown()) > 0 {
		return cloneOne(f)
	}
	out := &mesos.Filters{}
	if f.RefuseSeconds != nil {
		out.RefuseSeconds = proto.Float64(*f.RefuseSeconds)
	}
	return out
}

// cloneStatus returns a deep copy of a status, as cloneOne does, with the
// ids and plain fields copied by hand.
func cloneStatus(s *mesos.TaskStatus) *mesos.TaskStatus {
	if s == nil {
		return nil
	}
	return cloneStatusUUID(s, s.Uuid)
}

// statusCopy is a copied status with its ids and plain fields.
type statusCopy struct {
	s                mesos.TaskStatus
	tid              mesos.TaskID
	sid              mesos.SlaveID
	eid              mesos.ExecutorID
	tidv, sidv, eidv string
	message          string
	state            mesos.TaskState
	source           mesos.TaskStatus_Source
	reason           mesos.TaskStatus_Reason
	healthy          bool
	timestamp        float64
}

// cloneStatusUUID is cloneStatus of s with uuid (copied) as its uuid.
func cloneStatusUUID(s *mesos.TaskStatus, uuid []byte) *mesos.TaskStatus {
	return cloneStatusInto(&statusCopy{}, s, uuid, nil)
}

// cloneStatusInto is cloneStatusUUID building the copy in b (unused when
// s has unknown fields), and its uuid in room when it fits.
func cloneStatusInto(b *statusCopy, s *mesos.TaskStatus, uuid, room []byte) *mesos.TaskStatus {
	if len(s.ProtoReflect().GetUnknown()) > 0 {
		out := cloneOne(s)
		out.Uuid = nil
		if uuid != nil {
			out.Uuid = append([]byte{}, uuid...)
		}
		return out
	}
	out := &b.s
	out.Labels = cloneOne(s.Labels)
	out.ContainerStatus = cloneOne(s.ContainerStatus)
	out.UnreachableTime = cloneOne(s.UnreachableTime)
	out.CheckStatus = cloneOne(s.CheckStatus)
	out.Limitation = cloneOne(s.Limitation)
	if v := s.GetTaskId().GetValue(); v != "" && len(s.TaskId.ProtoReflect().GetUnknown()) == 0 {
		b.tidv, b.tid.Value, out.TaskId = v, &b.tidv, &b.tid
	} else {
		out.TaskId = cloneOne(s.TaskId)
	}
	if v := s.GetSlaveId().GetValue(); v != "" && len(s.SlaveId.ProtoReflect().GetUnknown()) == 0 {
		b.sidv, b.sid.Value, out.SlaveId = v, &b.sidv, &b.sid
	} else {
		out.SlaveId = cloneOne(s.SlaveId)
	}
	if v := s.GetExecutorId().GetValue(); v != "" && len(s.ExecutorId.ProtoReflect().GetUnknown()) == 0 {
		b.eidv, b.eid.Value, out.ExecutorId = v, &b.eidv, &b.eid
	} else {
		out.ExecutorId = cloneOne(s.ExecutorId)
	}
	if s.State != nil {
		b.state, out.State = *s.State, &b.state
	}
	if s.Message != nil {
		b.message, out.Message = *s.Message, &b.message
	}
	if s.Timestamp != nil {
		b.timestamp, out.Timestamp = *s.Timestamp, &b.timestamp
	}
	if s.Healthy != nil {
		b.healthy, out.Healthy = *s.Healthy, &b.healthy
	}
	if s.Source != nil {
		b.source, out.Source = *s.Source, &b.source
	}
	if s.Reason != nil {
		b.reason, out.Reason = *s.Reason, &b.reason
	}
	if s.Data != nil {
		out.Data = append([]byte{}, s.Data...)
	}
	switch {
	case uuid == nil:
	case room != nil && len(uuid) <= cap(room):
		out.Uuid = room[:len(uuid):len(uuid)]
		copy(out.Uuid, uuid)
	default:
		out.Uuid = append([]byte{}, uuid...) // apart: schedulers keep uuids
	}
	return out
}

// cloneURL copies an offer's url (scheme, address, path, fragment) by
// hand; one with query parameters or unknown fields by reflection.
func cloneURL(u *mesos.URL) *mesos.URL {
	if u == nil || len(u.Query) > 0 || len(u.ProtoReflect().GetUnknown()) > 0 ||
		(u.Address != nil && len(u.Address.ProtoReflect().GetUnknown()) > 0) {
		return cloneOne(u)
	}
	b := &urlCopy{}
	out := &b.u
	out.Scheme = b.str(0, u.Scheme)
	out.Path = b.str(1, u.Path)
	out.Fragment = b.str(2, u.Fragment)
	if a := u.Address; a != nil {
		out.Address = &b.a
		b.a.Hostname = b.str(3, a.Hostname)
		b.a.Ip = b.str(4, a.Ip)
		if a.Port != nil {
			b.port, b.a.Port = *a.Port, &b.port
		}
	}
	return out
}

// urlCopy is a copied url with its address and fields.
type urlCopy struct {
	u    mesos.URL
	a    mesos.Address
	strs [5]string
	port int32
}

// str copies s into the i-th string of the copy.
func (b *urlCopy) str(i int, s *string) *string {
	if s == nil {
		return nil
	}
	b.strs[i] = *s
	return &b.strs[i]
}

func copyString(s *string) *string {
	if s == nil {
		return nil
	}
	return proto.String(*s)
}

// cloneOperations returns deep copies of offer operations, as cloneAll
// does; a plain LAUNCH (a type and tasks, nothing else) is copied with
// cloneTask. Tasks of the call that share a command or a resources list
// share its copy, as the master gets them together and no one changes a
// message once sent.
func cloneOperations(ops []*mesos.Offer_Operation) []*mesos.Offer_Operation {
	if ops == nil {
		return nil
	}
	var shared sharedParts
	out := make([]*mesos.Offer_Operation, len(ops))
	for i, op := range ops {
		if !plainLaunch(op) {
			out[i] = cloneOne(op)
			continue
		}
		tasks := make([]*mesos.TaskInfo, len(op.Launch.TaskInfos))
		for j, t := range op.Launch.TaskInfos {
			tasks[j] = cloneTask(t, &shared)
		}
		if op.Launch.TaskInfos == nil {
			tasks = nil
		}
		out[i] = &mesos.Offer_Operation{Type: op.Type.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: tasks}}
	}
	return out
}

// sharedParts is the last command and resources list cloneTask copied in
// one call, with their copies.
type sharedParts struct {
	cmd, cmdCopy *mesos.CommandInfo
	res, resCopy []*mesos.Resource
}

// plainLaunch reports whether op is a LAUNCH with nothing but its type
// and tasks.
func plainLaunch(op *mesos.Offer_Operation) bool {
	return op != nil && op.Type != nil && op.Launch != nil && op.Reserve == nil && op.Unreserve == nil &&
		op.Create == nil && op.Destroy == nil && op.LaunchGroup == nil && op.Id == nil &&
		op.GrowVolume == nil && op.ShrinkVolume == nil && op.CreateDisk == nil && op.DestroyDisk == nil &&
		len(op.ProtoReflect().GetUnknown()) == 0 && len(op.Launch.ProtoReflect().GetUnknown()) == 0
}

// cloneTask returns a deep copy of a TaskInfo: the ids, name and
// resources by hand, the other parts by reflection. The command and the
// resources are those of shared when the task has the same ones.
func cloneTask(t *mesos.TaskInfo, shared *sharedParts) *mesos.TaskInfo {
	if t == nil || len(t.ProtoReflect().GetUnknown()) > 0 {
		return cloneOne(t)
	}
	// Each part is an allocation of its own: the master's task record
	// keeps some (the name, ids and resource values), not the TaskInfo.
	out := &mesos.TaskInfo{Name: copyString(t.Name)}
	out.TaskId = cloneID(t.TaskId, mesosutil.NewTaskID)
	out.SlaveId = cloneID(t.SlaveId, mesosutil.NewSlaveID)
	out.Executor = cloneOne(t.Executor)
	if t.Command != nil && t.Command == shared.cmd {
		out.Command = shared.cmdCopy
	} else {
		out.Command = cloneCommand(t.Command)
		shared.cmd, shared.cmdCopy = t.Command, out.Command
	}
	out.HealthCheck = cloneOne(t.HealthCheck)
	out.Container = cloneOne(t.Container)
	out.Labels = cloneOne(t.Labels)
	out.Discovery = cloneOne(t.Discovery)
	out.KillPolicy = cloneOne(t.KillPolicy)
	out.Check = cloneOne(t.Check)
	out.MaxCompletionTime = cloneOne(t.MaxCompletionTime)
	switch rs := t.Resources; {
	case len(rs) > 0 && len(rs) == len(shared.res) && &rs[0] == &shared.res[0]:
		out.Resources = shared.resCopy
	case rs != nil:
		out.Resources = resources.Resources(rs).Clone()
		shared.res, shared.resCopy = rs, out.Resources
	}
	if t.Data != nil {
		out.Data = append([]byte{}, t.Data...)
	}
	if t.Limits != nil {
		out.Limits = make(map[string]*mesos.Value_Scalar, len(t.Limits))
		for k, v := range t.Limits {
			out.Limits[k] = cloneOne(v)
		}
	}
	return out
}

// cloneCommand copies a command without uris or environment (a value,
// user, shell flag and arguments) by hand; others by reflection.
func cloneCommand(c *mesos.CommandInfo) *mesos.CommandInfo {
	if c == nil || c.Uris != nil || c.Environment != nil || len(c.ProtoReflect().GetUnknown()) > 0 {
		return cloneOne(c)
	}
	out := &mesos.CommandInfo{Value: copyString(c.Value), User: copyString(c.User)}
	if c.Shell != nil {
		out.Shell = proto.Bool(*c.Shell)
	}
	if c.Arguments != nil {
		out.Arguments = append([]string{}, c.Arguments...)
	}
	return out
}

// cloneResources returns a deep copy of rs, as resources.Resources.Clone
// does; the entries with a name, type, legacy role, scalar or ranges
// value and allocation info, nothing else, are copied in two allocations
// (one for the scalars, one for the ranges entries with the bounds of a
// single range). For offers: an entry kept keeps the others of its kind.
func cloneResources(rs []*mesos.Resource) []*mesos.Resource {
	var buf [8]bool
	plain := buf[:0] // plainEntry of each entry
	nScalar, nRanges := 0, 0
	for _, r := range rs {
		p := plainEntry(r)
		plain = append(plain, p)
		switch {
		case !p:
		case r.Scalar != nil:
			nScalar++
		case r.Ranges != nil:
			nRanges++
		}
	}
	scalars := make([]scalarEntryCopy, nScalar)
	ranges := make([]rangesEntryCopy, nRanges)
	out := make([]*mesos.Resource, len(rs))
	for i, r := range rs {
		switch {
		case !plain[i]:
			out[i] = resources.CloneResource(r)
		case r.Scalar != nil:
			b := &scalars[0]
			scalars = scalars[1:]
			b.r.Scalar = &b.sc
			if r.Scalar.Value != nil {
				b.v, b.sc.Value = *r.Scalar.Value, &b.v
			}
			out[i] = b.fill(r)
		case r.Ranges != nil:
			b := &ranges[0]
			ranges = ranges[1:]
			b.r.Ranges = &b.rgs
			if rg := r.Ranges.Range; len(rg) == 1 && rg[0] != nil {
				b.one.set(rg[0])
				b.list[0] = &b.one.r
				b.rgs.Range = b.list[:]
			} else {
				resources.CopyRanges(&b.rgs, r.Ranges)
			}
			out[i] = b.fill(r)
		default:
			out[i] = (&entryCopy{}).fill(r)
		}
	}
	return out
}

// entryCopy is a copied resource entry with its name, type, role and
// allocation info.
type entryCopy struct {
	r                     mesos.Resource
	typ                   mesos.Value_Type
	name, role, allocRole string
	alloc                 mesos.Resource_AllocationInfo
}

// scalarEntryCopy is a copied scalar entry.
type scalarEntryCopy struct {
	entryCopy
	sc mesos.Value_Scalar
	v  float64
}

// rangesEntryCopy is a copied ranges entry, with room for one range.
type rangesEntryCopy struct {
	entryCopy
	rgs  mesos.Value_Ranges
	list [1]*mesos.Value_Range
	one  rangeCopy
}

// rangeCopy is a copied range with its bounds.
type rangeCopy struct {
	r          mesos.Value_Range
	begin, end uint64
}

func (b *rangeCopy) set(rg *mesos.Value_Range) {
	if rg.Begin != nil {
		b.begin, b.r.Begin = *rg.Begin, &b.begin
	}
	if rg.End != nil {
		b.end, b.r.End = *rg.End, &b.end
	}
}

// fill copies x's name, type, role and allocation info into b and
// returns b's entry (its value is the caller's to set).
func (b *entryCopy) fill(x *mesos.Resource) *mesos.Resource {
	y := &b.r
	if x.Name != nil {
		b.name, y.Name = *x.Name, &b.name
	}
	if x.Type != nil {
		b.typ, y.Type = *x.Type, &b.typ
	}
	if x.Role != nil {
		b.role, y.Role = *x.Role, &b.role
	}
	if a := x.AllocationInfo; a != nil {
		y.AllocationInfo = &b.alloc
		if a.Role != nil {
			b.allocRole, b.alloc.Role = *a.Role, &b.allocRole
		}
	}
	return y
}

// plainEntry reports whether x is an entry cloneResources copies whole:
// a scalar or ranges value (not both), no set, reservations, disk or
// other parts, and no unknown fields.
func plainEntry(x *mesos.Resource) bool {
	return x != nil && (x.Scalar == nil || x.Ranges == nil) && resources.Plain(x)
}
