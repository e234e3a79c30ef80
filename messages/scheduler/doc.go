// Package scheduler holds the Mesos scheduler API messages (mesos.scheduler.Call and Event), wire compatible with Mesos 1.11.
package scheduler
