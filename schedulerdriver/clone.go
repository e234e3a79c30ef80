package schedulerdriver

import (
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
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
	out := &mesos.Offer{
		Id:             cloneID(o.Id, func(v *string) *mesos.OfferID { return &mesos.OfferID{Value: v} }),
		FrameworkId:    cloneID(o.FrameworkId, func(v *string) *mesos.FrameworkID { return &mesos.FrameworkID{Value: v} }),
		SlaveId:        cloneID(o.SlaveId, func(v *string) *mesos.SlaveID { return &mesos.SlaveID{Value: v} }),
		ExecutorIds:    cloneAll(o.ExecutorIds),
		Attributes:     cloneAll(o.Attributes),
		Url:            cloneURL(o.Url),
		Unavailability: cloneOne(o.Unavailability),
		AllocationInfo: cloneOne(o.AllocationInfo),
		Domain:         cloneOne(o.Domain),
	}
	if o.Hostname != nil {
		out.Hostname = proto.String(*o.Hostname)
	}
	if o.Resources != nil {
		out.Resources = resources.Resources(o.Resources).Clone()
	}
	return out
}

// idMessage is one of Mesos' id messages: a value and nothing else.
type idMessage interface {
	proto.Message
	GetValue() string
}

// cloneID copies an id message with make, or by reflection when it has
// no value or unknown fields.
func cloneID[M idMessage](id M, make func(*string) M) M {
	var zero M
	if any(id) == any(zero) {
		return zero
	}
	r := id.ProtoReflect()
	if len(r.GetUnknown()) > 0 || !r.Has(r.Descriptor().Fields().ByNumber(1)) {
		return cloneOne(id)
	}
	return make(proto.String(id.GetValue()))
}

// cloneStatus returns a deep copy of a status, as cloneOne does, with the
// ids and plain fields copied by hand.
func cloneStatus(s *mesos.TaskStatus) *mesos.TaskStatus {
	if s == nil || len(s.ProtoReflect().GetUnknown()) > 0 {
		return cloneOne(s)
	}
	out := &mesos.TaskStatus{
		TaskId:          cloneID(s.TaskId, func(v *string) *mesos.TaskID { return &mesos.TaskID{Value: v} }),
		SlaveId:         cloneID(s.SlaveId, func(v *string) *mesos.SlaveID { return &mesos.SlaveID{Value: v} }),
		ExecutorId:      cloneID(s.ExecutorId, func(v *string) *mesos.ExecutorID { return &mesos.ExecutorID{Value: v} }),
		Labels:          cloneOne(s.Labels),
		ContainerStatus: cloneOne(s.ContainerStatus),
		UnreachableTime: cloneOne(s.UnreachableTime),
		CheckStatus:     cloneOne(s.CheckStatus),
		Limitation:      cloneOne(s.Limitation),
	}
	if s.State != nil {
		out.State = s.State.Enum()
	}
	if s.Message != nil {
		out.Message = proto.String(*s.Message)
	}
	if s.Timestamp != nil {
		out.Timestamp = proto.Float64(*s.Timestamp)
	}
	if s.Healthy != nil {
		out.Healthy = proto.Bool(*s.Healthy)
	}
	if s.Source != nil {
		out.Source = s.Source.Enum()
	}
	if s.Reason != nil {
		out.Reason = s.Reason.Enum()
	}
	if s.Data != nil {
		out.Data = append([]byte{}, s.Data...)
	}
	if s.Uuid != nil {
		out.Uuid = append([]byte{}, s.Uuid...)
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
	out := &mesos.URL{Scheme: copyString(u.Scheme), Path: copyString(u.Path), Fragment: copyString(u.Fragment)}
	if a := u.Address; a != nil {
		out.Address = &mesos.Address{Hostname: copyString(a.Hostname), Ip: copyString(a.Ip)}
		if a.Port != nil {
			out.Address.Port = proto.Int32(*a.Port)
		}
	}
	return out
}

func copyString(s *string) *string {
	if s == nil {
		return nil
	}
	return proto.String(*s)
}

// cloneOperations returns deep copies of offer operations, as cloneAll
// does; a plain LAUNCH (a type and tasks, nothing else) is copied with
// cloneTask.
func cloneOperations(ops []*mesos.Offer_Operation) []*mesos.Offer_Operation {
	if ops == nil {
		return nil
	}
	out := make([]*mesos.Offer_Operation, len(ops))
	for i, op := range ops {
		if !plainLaunch(op) {
			out[i] = cloneOne(op)
			continue
		}
		tasks := make([]*mesos.TaskInfo, len(op.Launch.TaskInfos))
		for j, t := range op.Launch.TaskInfos {
			tasks[j] = cloneTask(t)
		}
		if op.Launch.TaskInfos == nil {
			tasks = nil
		}
		out[i] = &mesos.Offer_Operation{Type: op.Type.Enum(), Launch: &mesos.Offer_Operation_Launch{TaskInfos: tasks}}
	}
	return out
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
// resources by hand, the other parts by reflection.
func cloneTask(t *mesos.TaskInfo) *mesos.TaskInfo {
	if t == nil || len(t.ProtoReflect().GetUnknown()) > 0 {
		return cloneOne(t)
	}
	out := &mesos.TaskInfo{
		Name:              copyString(t.Name),
		TaskId:            cloneID(t.TaskId, func(v *string) *mesos.TaskID { return &mesos.TaskID{Value: v} }),
		SlaveId:           cloneID(t.SlaveId, func(v *string) *mesos.SlaveID { return &mesos.SlaveID{Value: v} }),
		Executor:          cloneOne(t.Executor),
		Command:           cloneOne(t.Command),
		HealthCheck:       cloneOne(t.HealthCheck),
		Container:         cloneOne(t.Container),
		Labels:            cloneOne(t.Labels),
		Discovery:         cloneOne(t.Discovery),
		KillPolicy:        cloneOne(t.KillPolicy),
		Check:             cloneOne(t.Check),
		MaxCompletionTime: cloneOne(t.MaxCompletionTime),
	}
	if t.Resources != nil {
		out.Resources = resources.Resources(t.Resources).Clone()
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
