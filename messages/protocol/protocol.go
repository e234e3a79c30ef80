// Package protocol holds the small rules of Mesos' protocol that the master,
// the agent, the drivers and the tools share: which task states end a task,
// what a framework without PARTITION_AWARE sees, capabilities and roles,
// UUIDs, Mesos' duration text, and the registration backoff.
package protocol

import (
	"slices"

	"github.com/gomesos/gomesos/messages/mesos"
)

// IsTerminal is Mesos' isTerminalState: FINISHED, FAILED, KILLED, LOST,
// ERROR, DROPPED, GONE and GONE_BY_OPERATOR end a task.
func IsTerminal(s mesos.TaskState) bool {
	switch s {
	case mesos.TaskState_TASK_FINISHED, mesos.TaskState_TASK_FAILED, mesos.TaskState_TASK_KILLED,
		mesos.TaskState_TASK_LOST, mesos.TaskState_TASK_ERROR, mesos.TaskState_TASK_DROPPED,
		mesos.TaskState_TASK_GONE, mesos.TaskState_TASK_GONE_BY_OPERATOR:
		return true
	}
	return false
}

// IsTerminalOrUnreachable adds TASK_UNREACHABLE to IsTerminal: the states
// in which a task no longer holds its agent's resources.
func IsTerminalOrUnreachable(s mesos.TaskState) bool {
	return IsTerminal(s) || s == mesos.TaskState_TASK_UNREACHABLE
}

// VisibleState is the state a framework sees: a framework without
// PARTITION_AWARE gets TASK_LOST for DROPPED, GONE, GONE_BY_OPERATOR,
// UNREACHABLE and UNKNOWN.
func VisibleState(partitionAware bool, s mesos.TaskState) mesos.TaskState {
	if partitionAware {
		return s
	}
	switch s {
	case mesos.TaskState_TASK_DROPPED, mesos.TaskState_TASK_GONE, mesos.TaskState_TASK_UNREACHABLE,
		mesos.TaskState_TASK_GONE_BY_OPERATOR, mesos.TaskState_TASK_UNKNOWN:
		return mesos.TaskState_TASK_LOST
	}
	return s
}

// HasCapability reports whether a framework opted into a capability.
func HasCapability(info *mesos.FrameworkInfo, t mesos.FrameworkInfo_Capability_Type) bool {
	for _, c := range info.GetCapabilities() {
		if c.GetType() == t {
			return true
		}
	}
	return false
}

// PartitionAware reports whether a framework has PARTITION_AWARE.
func PartitionAware(info *mesos.FrameworkInfo) bool {
	return HasCapability(info, mesos.FrameworkInfo_Capability_PARTITION_AWARE)
}

// FrameworkRoles returns the roles a framework subscribes with: its roles
// if it is MULTI_ROLE capable, else its single (legacy) role.
func FrameworkRoles(info *mesos.FrameworkInfo) []string {
	if HasCapability(info, mesos.FrameworkInfo_Capability_MULTI_ROLE) {
		return slices.Clone(info.GetRoles())
	}
	return []string{info.GetRole()}
}
