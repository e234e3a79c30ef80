package statusupdate

import (
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// CopyUpdate returns a new StatusUpdate with u's fields: its parts (ids,
// status, uuid bytes) are u's own, not copies. It costs one allocation
// where proto.Clone costs one per part; use it where the parts are read
// only. A field added to StatusUpdate must be added here (a test checks).
func CopyUpdate(u *mesosinternal.StatusUpdate) *mesosinternal.StatusUpdate {
	if u == nil {
		return nil
	}
	c := &mesosinternal.StatusUpdate{
		FrameworkId: u.FrameworkId,
		ExecutorId:  u.ExecutorId,
		SlaveId:     u.SlaveId,
		Status:      u.Status,
		Timestamp:   u.Timestamp,
		Uuid:        u.Uuid,
		LatestState: u.LatestState,
	}
	if unknown := u.ProtoReflect().GetUnknown(); len(unknown) > 0 {
		c.ProtoReflect().SetUnknown(unknown)
	}
	return c
}

// CopyStatus is CopyUpdate for a TaskStatus.
func CopyStatus(s *mesos.TaskStatus) *mesos.TaskStatus {
	if s == nil {
		return nil
	}
	c := &mesos.TaskStatus{
		TaskId:          s.TaskId,
		State:           s.State,
		Data:            s.Data,
		Message:         s.Message,
		SlaveId:         s.SlaveId,
		Timestamp:       s.Timestamp,
		ExecutorId:      s.ExecutorId,
		Healthy:         s.Healthy,
		Source:          s.Source,
		Reason:          s.Reason,
		Uuid:            s.Uuid,
		Labels:          s.Labels,
		ContainerStatus: s.ContainerStatus,
		UnreachableTime: s.UnreachableTime,
		CheckStatus:     s.CheckStatus,
		Limitation:      s.Limitation,
	}
	if unknown := s.ProtoReflect().GetUnknown(); len(unknown) > 0 {
		c.ProtoReflect().SetUnknown(unknown)
	}
	return c
}
