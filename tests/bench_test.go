package tests

import (
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	sched "github.com/gomesos/gomesos/schedulerdriver"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/tests/harness"
)

// timedScheduler is batchScheduler plus the time each task's offer arrived
// and the time it reached TASK_RUNNING.
type timedScheduler struct {
	*batchScheduler
	offered map[string]time.Time
	running map[string]time.Duration
}

func (s *timedScheduler) ResourceOffers(d sched.SchedulerDriver, offers []*mesos.Offer) {
	now := time.Now()
	s.mu.Lock()
	before := s.launched
	s.mu.Unlock()
	s.batchScheduler.ResourceOffers(d, offers)
	s.mu.Lock()
	for i := before + 1; i <= s.launched; i++ {
		s.offered[taskName(i)] = now
	}
	s.mu.Unlock()
}

func (s *timedScheduler) StatusUpdate(d sched.SchedulerDriver, st *mesos.TaskStatus) {
	if st.GetState() == mesos.TaskState_TASK_RUNNING {
		s.mu.Lock()
		id := st.GetTaskId().GetValue()
		if t0, ok := s.offered[id]; ok {
			s.running[id] = time.Since(t0)
		}
		s.mu.Unlock()
	}
	s.batchScheduler.StatusUpdate(d, st)
}

func taskName(i int) string { return fmt.Sprintf("task-%d", i) }

// BenchmarkLaunch runs b.N command tasks (real mesos-executor processes,
// posix launcher) on a three-agent in-process cluster, launching as fast as
// offers allow, and reports tasks per second and the offer → TASK_RUNNING
// latency percentiles under that load.
func BenchmarkLaunch(b *testing.B) { benchLaunch(b, 0) }

// BenchmarkLaunchLatency launches one task at a time: the offer →
// TASK_RUNNING latency of an idle cluster.
//
// MESOS_COMMAND_EXECUTOR (process or agent) picks who runs the command
// executors, as the agent's flag does.
func BenchmarkLaunchLatency(b *testing.B) { benchLaunch(b, 1) }

func benchLaunch(b *testing.B, maxInFlight int) {
	mode := os.Getenv("MESOS_COMMAND_EXECUTOR")
	c := harness.Start(b, harness.Options{Agents: 3, AgentResources: "cpus:2;mem:4096;disk:1024;ports:[31000-32000]",
		Agent: func(_ int, c *slave.Config) { c.CommandExecutor = mode }})
	c.WaitAgents(3, 30*time.Second)
	batch := newBatch(b.N)
	batch.maxInFlight = maxInFlight
	s := &timedScheduler{batchScheduler: batch, offered: map[string]time.Time{}, running: map[string]time.Duration{}}
	driver, err := sched.NewMesosSchedulerDriver(sched.DriverConfig{
		Scheduler: s,
		Framework: &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("bench")},
		Master:    c.MasterAddr(),
		Node:      c.Node,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	driver.Start()
	select {
	case <-s.done:
	case <-time.After(10 * time.Minute):
		b.Fatal("timed out")
	}
	elapsed := time.Since(start)
	b.StopTimer()
	driver.Stop(false)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bad) > 0 {
		b.Fatalf("tasks failed: %v", s.bad[:min(len(s.bad), 5)])
	}
	var lat []time.Duration
	for _, d := range s.running {
		lat = append(lat, d)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-offer-to-running-ms")
		b.ReportMetric(float64(lat[(len(lat)*99)/100].Microseconds())/1000, "p99-offer-to-running-ms")
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tasks/s")
}
