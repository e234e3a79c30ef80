// Package mesosinternal holds the internal libprocess messages of Mesos (package mesos.internal), wire compatible with Mesos 1.11.
package mesosinternal
