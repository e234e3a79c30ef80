package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/protocol"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/schedulerdriver"
	"google.golang.org/protobuf/proto"
)

// commandScheduler launches the one task and follows it to its end.
type commandScheduler struct {
	opts   *options
	stdout io.Writer
	stderr io.Writer
	done   chan int // the exit code, once

	mu       sync.Mutex
	launched bool
	finished bool
	killer   *time.Timer
}

var _ schedulerdriver.Scheduler = (*commandScheduler)(nil)

func newCommandScheduler(opts *options, stdout, stderr io.Writer) *commandScheduler {
	return &commandScheduler{opts: opts, stdout: stdout, stderr: stderr, done: make(chan int, 1)}
}

// finish reports the exit code (once) and stops the driver.
func (s *commandScheduler) finish(d schedulerdriver.SchedulerDriver, code int) {
	s.mu.Lock()
	if s.finished {
		s.mu.Unlock()
		return
	}
	s.finished = true
	if s.killer != nil {
		s.killer.Stop()
	}
	s.mu.Unlock()
	if d != nil {
		_, _ = d.Stop(false)
	}
	s.done <- code
}

func (s *commandScheduler) Registered(_ schedulerdriver.SchedulerDriver, id *mesos.FrameworkID, _ *mesos.MasterInfo) {
	fmt.Fprintf(s.stdout, "Subscribed with ID %s\n", id.GetValue())
}

func (s *commandScheduler) Reregistered(schedulerdriver.SchedulerDriver, *mesos.MasterInfo) {
	fmt.Fprintln(s.stdout, "Re-subscribed with the master")
}

func (s *commandScheduler) Disconnected(schedulerdriver.SchedulerDriver) {
	fmt.Fprintln(s.stderr, "Disconnected from the master; waiting for it")
}

// ResourceOffers launches the task on the first offer that holds its
// resources and declines every other offer.
func (s *commandScheduler) ResourceOffers(d schedulerdriver.SchedulerDriver, offers []*mesos.Offer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, offer := range offers {
		if !s.launched && !s.finished {
			if found, ok := findResources(resources.New(offer.GetResources()...), s.opts.resources, s.opts.role); ok {
				task := s.opts.taskTemplate()
				task.SlaveId = proto.Clone(offer.GetSlaveId()).(*mesos.SlaveID)
				task.Resources = found
				if _, err := d.LaunchTasks([]*mesos.OfferID{offer.GetId()}, []*mesos.TaskInfo{task}, nil); err != nil {
					fmt.Fprintf(s.stderr, "Failed to launch task '%s': %v\n", s.opts.name, err)
					continue
				}
				s.launched = true
				fmt.Fprintf(s.stdout, "Submitted task '%s' to agent '%s'\n", s.opts.name, offer.GetSlaveId().GetValue())
				continue
			}
		}
		_, _ = d.DeclineOffer(offer.GetId(), nil)
	}
}

func (s *commandScheduler) OfferRescinded(schedulerdriver.SchedulerDriver, *mesos.OfferID) {}

// StatusUpdate prints the update, schedules --kill_after and ends the
// program on a terminal state.
func (s *commandScheduler) StatusUpdate(d schedulerdriver.SchedulerDriver, status *mesos.TaskStatus) {
	fmt.Fprintf(s.stdout, "Received status update %s for task '%s'\n", status.GetState(), status.GetTaskId().GetValue())
	if status.Message != nil {
		fmt.Fprintf(s.stdout, "  message: '%s'\n", status.GetMessage())
	}
	if status.Source != nil {
		fmt.Fprintf(s.stdout, "  source: %s\n", status.GetSource())
	}
	if status.Reason != nil {
		fmt.Fprintf(s.stdout, "  reason: %s\n", status.GetReason())
	}
	if status.Healthy != nil {
		fmt.Fprintf(s.stdout, "  healthy?: %t\n", status.GetHealthy())
	}
	if status.GetTaskId().GetValue() != s.opts.name {
		return
	}

	if status.GetState() == mesos.TaskState_TASK_RUNNING && s.opts.killAfter > 0 {
		s.mu.Lock()
		if s.killer == nil && !s.finished {
			id := proto.Clone(status.GetTaskId()).(*mesos.TaskID)
			s.killer = time.AfterFunc(s.opts.killAfter, func() {
				fmt.Fprintf(s.stdout, "Asked to kill task '%s'\n", id.GetValue())
				_, _ = d.KillTask(id)
			})
		}
		s.mu.Unlock()
	}

	if !protocol.IsTerminal(status.GetState()) {
		return
	}
	if status.GetState() == mesos.TaskState_TASK_FINISHED {
		s.finish(d, 0)
		return
	}
	reason := "no reason given"
	if status.Reason != nil {
		reason = "reason: " + status.GetReason().String()
	}
	if status.Message != nil {
		reason += ", message: '" + status.GetMessage() + "'"
	}
	fmt.Fprintf(s.stderr, "Task '%s' ended in %s (%s)\n", s.opts.name, status.GetState(), reason)
	s.finish(d, 1)
}

func (s *commandScheduler) FrameworkMessage(schedulerdriver.SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, string) {
}

func (s *commandScheduler) SlaveLost(_ schedulerdriver.SchedulerDriver, id *mesos.SlaveID) {
	fmt.Fprintf(s.stderr, "Agent '%s' lost\n", id.GetValue())
}

func (s *commandScheduler) ExecutorLost(schedulerdriver.SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, int) {
}

// Error ends the program: the driver has aborted.
func (s *commandScheduler) Error(_ schedulerdriver.SchedulerDriver, message string) {
	fmt.Fprintf(s.stderr, "Received an error from the master: %s\n", message)
	s.finish(nil, 1)
}

// findResources carves required out of an offer: each requested resource is
// taken from entries reserved to role first, then from unreserved ones, as
// copies of the offered entries (so reservation and allocation details match
// the offer). It reports false if the offer is too small.
func findResources(offered, required resources.Resources, role string) ([]*mesos.Resource, bool) {
	avail := offered.Clone()
	var out []*mesos.Resource
	for _, req := range required.ToUnreserved() {
		var candidates []*mesos.Resource
		for _, pass := range []func(*mesos.Resource) bool{
			func(r *mesos.Resource) bool { return role != "*" && resources.ReservationRole(r) == role },
			func(r *mesos.Resource) bool { return resources.IsUnreserved(r) },
		} {
			for _, r := range avail.Get(req.GetName()) {
				if r.GetType() == req.GetType() && !resources.IsRevocable(r) && !resources.IsShared(r) &&
					!resources.IsPersistentVolume(r) && pass(r) {
					candidates = append(candidates, r)
				}
			}
		}
		switch req.GetType() {
		case mesos.Value_SCALAR:
			need := req.GetScalar().GetValue()
			for _, c := range candidates {
				if need <= 0 {
					break
				}
				take := min(need, c.GetScalar().GetValue())
				if take <= 0 {
					continue
				}
				piece := proto.Clone(c).(*mesos.Resource)
				piece.Scalar = &mesos.Value_Scalar{Value: proto.Float64(resources.Round(take))}
				out = append(out, piece)
				avail = avail.Subtract(resources.New(piece))
				need = resources.Round(need - take)
			}
			if need > 0 {
				return nil, false
			}
		default:
			found := false
			for _, c := range candidates {
				piece := proto.Clone(c).(*mesos.Resource)
				piece.Ranges, piece.Set = req.Ranges, req.Set
				if resources.New(c).Contains(resources.New(piece)) {
					out = append(out, piece)
					avail = avail.Subtract(resources.New(piece))
					found = true
					break
				}
			}
			if !found {
				return nil, false
			}
		}
	}
	return out, true
}
