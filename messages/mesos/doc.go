// Package mesos holds Mesos' public protobuf vocabulary (FrameworkInfo, Offer, TaskInfo, ...) plus the mesos.quota messages, wire compatible with Mesos 1.11.
package mesos
