package mesosutil

import (
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// NewValueRange returns the inclusive range [begin, end].
func NewValueRange(begin, end uint64) *mesos.Value_Range {
	return &mesos.Value_Range{Begin: proto.Uint64(begin), End: proto.Uint64(end)}
}

// FilterResources returns the resources for which filter returns true.
func FilterResources(resources []*mesos.Resource, filter func(*mesos.Resource) bool) (result []*mesos.Resource) {
	for _, r := range resources {
		if filter(r) {
			result = append(result, r)
		}
	}
	return result
}

// AddResourceRevocable marks resource as revocable and returns it.
func AddResourceRevocable(resource *mesos.Resource) *mesos.Resource {
	resource.Revocable = &mesos.Resource_RevocableInfo{}
	return resource
}

// NewScalarResourceWithRevocable returns a revocable scalar resource.
func NewScalarResourceWithRevocable(name string, value float64) *mesos.Resource {
	return AddResourceRevocable(NewScalarResource(name, value))
}

// AddResourceReservation dynamically reserves resource to role for
// principal, in the legacy (pre-refinement) format, and returns it.
func AddResourceReservation(resource *mesos.Resource, principal string, role string) *mesos.Resource {
	resource.Reservation = &mesos.Resource_ReservationInfo{Principal: proto.String(principal)}
	resource.Role = proto.String(role)
	return resource
}

// NewScalarResourceWithReservation returns a dynamically reserved scalar
// resource.
func NewScalarResourceWithReservation(name string, value float64, principal string, role string) *mesos.Resource {
	return AddResourceReservation(NewScalarResource(name, value), principal, role)
}

// NewRangesResourceWithReservation returns a dynamically reserved ranges
// resource.
func NewRangesResourceWithReservation(name string, ranges []*mesos.Value_Range, principal string, role string) *mesos.Resource {
	return AddResourceReservation(NewRangesResource(name, ranges), principal, role)
}

// NewSetResourceWithReservation returns a dynamically reserved set
// resource.
func NewSetResourceWithReservation(name string, items []string, principal string, role string) *mesos.Resource {
	return AddResourceReservation(NewSetResource(name, items), principal, role)
}

// NewVolumeResourceWithReservation returns a dynamically reserved
// persistent volume.
func NewVolumeResourceWithReservation(val float64, containerPath string, persistenceId string, mode *mesos.Volume_Mode, principal string, role string) *mesos.Resource {
	return AddResourceReservation(NewVolumeResource(val, containerPath, persistenceId, mode), principal, role)
}

// NewScalarResource returns an unreserved scalar resource.
func NewScalarResource(name string, val float64) *mesos.Resource {
	return &mesos.Resource{
		Name:   proto.String(name),
		Type:   mesos.Value_SCALAR.Enum(),
		Scalar: &mesos.Value_Scalar{Value: proto.Float64(val)},
	}
}

// NewRangesResource returns an unreserved ranges resource.
func NewRangesResource(name string, ranges []*mesos.Value_Range) *mesos.Resource {
	return &mesos.Resource{
		Name:   proto.String(name),
		Type:   mesos.Value_RANGES.Enum(),
		Ranges: &mesos.Value_Ranges{Range: ranges},
	}
}

// NewSetResource returns an unreserved set resource.
func NewSetResource(name string, items []string) *mesos.Resource {
	return &mesos.Resource{
		Name: proto.String(name),
		Type: mesos.Value_SET.Enum(),
		Set:  &mesos.Value_Set{Item: items},
	}
}

// NewVolumeResource returns a persistent volume of val MB of disk, with id
// persistenceId, mounted at containerPath in mode.
func NewVolumeResource(val float64, containerPath string, persistenceId string, mode *mesos.Volume_Mode) *mesos.Resource {
	r := NewScalarResource("disk", val)
	r.Disk = &mesos.Resource_DiskInfo{
		Persistence: &mesos.Resource_DiskInfo_Persistence{Id: proto.String(persistenceId)},
		Volume:      &mesos.Volume{ContainerPath: proto.String(containerPath), Mode: mode},
	}
	return r
}

// NewFrameworkID returns a FrameworkID.
func NewFrameworkID(id string) *mesos.FrameworkID {
	return newID(id, func(m *mesos.FrameworkID, v *string) { m.Value = v })
}

// NewFrameworkInfo returns a FrameworkInfo with user, name and id set.
func NewFrameworkInfo(user, name string, frameworkId *mesos.FrameworkID) *mesos.FrameworkInfo {
	return &mesos.FrameworkInfo{
		User: proto.String(user),
		Name: proto.String(name),
		Id:   frameworkId,
	}
}

// NewMasterInfo returns a MasterInfo with id, ip (network byte order, as
// Mesos stores it) and port set.
func NewMasterInfo(id string, ip, port uint32) *mesos.MasterInfo {
	return &mesos.MasterInfo{
		Id:   proto.String(id),
		Ip:   proto.Uint32(ip),
		Port: proto.Uint32(port),
	}
}

// NewOfferID returns an OfferID.
func NewOfferID(id string) *mesos.OfferID {
	return newID(id, func(m *mesos.OfferID, v *string) { m.Value = v })
}

// NewOffer returns an Offer without resources.
func NewOffer(offerId *mesos.OfferID, frameworkId *mesos.FrameworkID, slaveId *mesos.SlaveID, hostname string) *mesos.Offer {
	return &mesos.Offer{
		Id:          offerId,
		FrameworkId: frameworkId,
		SlaveId:     slaveId,
		Hostname:    proto.String(hostname),
	}
}

// FilterOffersResources returns the resources of all offers for which
// filter returns true. (mesos-go's version kept only the last offer's
// matches; this one collects them from every offer.)
func FilterOffersResources(offers []*mesos.Offer, filter func(*mesos.Resource) bool) (result []*mesos.Resource) {
	for _, offer := range offers {
		result = append(result, FilterResources(offer.GetResources(), filter)...)
	}
	return result
}

// NewSlaveID returns a SlaveID.
func NewSlaveID(id string) *mesos.SlaveID {
	return newID(id, func(m *mesos.SlaveID, v *string) { m.Value = v })
}

// NewTaskID returns a TaskID.
func NewTaskID(id string) *mesos.TaskID {
	return newID(id, func(m *mesos.TaskID, v *string) { m.Value = v })
}

// NewTaskInfo returns a TaskInfo with name, ids and resources set; the
// caller adds a command or an executor.
func NewTaskInfo(
	name string,
	taskId *mesos.TaskID,
	slaveId *mesos.SlaveID,
	resources []*mesos.Resource,
) *mesos.TaskInfo {
	return &mesos.TaskInfo{
		Name:      proto.String(name),
		TaskId:    taskId,
		SlaveId:   slaveId,
		Resources: resources,
	}
}

// NewTaskStatus returns a TaskStatus for taskId in state.
func NewTaskStatus(taskId *mesos.TaskID, state mesos.TaskState) *mesos.TaskStatus {
	return &mesos.TaskStatus{
		TaskId: taskId,
		State:  state.Enum(),
	}
}

// NewStatusUpdate returns the internal StatusUpdate carrying taskStatus.
// timestamp is in seconds since the epoch; uuid is the 16-byte id of the
// update.
func NewStatusUpdate(frameworkId *mesos.FrameworkID, taskStatus *mesos.TaskStatus, timestamp float64, uuid []byte) *mesosinternal.StatusUpdate {
	return &mesosinternal.StatusUpdate{
		FrameworkId: frameworkId,
		Status:      taskStatus,
		Timestamp:   proto.Float64(timestamp),
		Uuid:        uuid,
	}
}

// NewCommandInfo returns a shell CommandInfo running command.
func NewCommandInfo(command string) *mesos.CommandInfo {
	return &mesos.CommandInfo{Value: proto.String(command)}
}

// NewExecutorID returns an ExecutorID.
func NewExecutorID(id string) *mesos.ExecutorID {
	return newID(id, func(m *mesos.ExecutorID, v *string) { m.Value = v })
}

// idBox holds an id message and its value, so that both take one allocation.
type idBox[M any] struct {
	m M
	v string
}

// newID returns an id message of type M whose value (set by setValue) is id.
func newID[M any](id string, setValue func(m *M, v *string)) *M {
	b := &idBox[M]{v: id}
	setValue(&b.m, &b.v)
	return &b.m
}

// NewExecutorInfo returns an ExecutorInfo with id and command set.
func NewExecutorInfo(execId *mesos.ExecutorID, command *mesos.CommandInfo) *mesos.ExecutorInfo {
	return &mesos.ExecutorInfo{
		ExecutorId: execId,
		Command:    command,
	}
}

// NewCreateOperation returns a CREATE operation for persistent volumes.
func NewCreateOperation(volumes []*mesos.Resource) *mesos.Offer_Operation {
	return &mesos.Offer_Operation{
		Type:   mesos.Offer_Operation_CREATE.Enum(),
		Create: &mesos.Offer_Operation_Create{Volumes: volumes},
	}
}

// NewDestroyOperation returns a DESTROY operation for persistent volumes.
func NewDestroyOperation(volumes []*mesos.Resource) *mesos.Offer_Operation {
	return &mesos.Offer_Operation{
		Type:    mesos.Offer_Operation_DESTROY.Enum(),
		Destroy: &mesos.Offer_Operation_Destroy{Volumes: volumes},
	}
}

// NewReserveOperation returns a RESERVE operation.
func NewReserveOperation(resources []*mesos.Resource) *mesos.Offer_Operation {
	return &mesos.Offer_Operation{
		Type:    mesos.Offer_Operation_RESERVE.Enum(),
		Reserve: &mesos.Offer_Operation_Reserve{Resources: resources},
	}
}

// NewUnreserveOperation returns an UNRESERVE operation.
func NewUnreserveOperation(resources []*mesos.Resource) *mesos.Offer_Operation {
	return &mesos.Offer_Operation{
		Type:      mesos.Offer_Operation_UNRESERVE.Enum(),
		Unreserve: &mesos.Offer_Operation_Unreserve{Resources: resources},
	}
}

// NewLaunchOperation returns a LAUNCH operation for tasks.
func NewLaunchOperation(tasks []*mesos.TaskInfo) *mesos.Offer_Operation {
	return &mesos.Offer_Operation{
		Type:   mesos.Offer_Operation_LAUNCH.Enum(),
		Launch: &mesos.Offer_Operation_Launch{TaskInfos: tasks},
	}
}
