package tests

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosutil"
	"github.com/gomesos/gomesos/resources"
	sched "github.com/gomesos/gomesos/schedulerdriver"
	"github.com/gomesos/gomesos/tests/harness"
)

// batchScheduler launches `total` short command tasks on whatever it is
// offered and records every status update.
type batchScheduler struct {
	total int
	// maxInFlight, if set, bounds the tasks launched but not yet ended.
	maxInFlight int
	cpus        float64
	mem         float64
	command     string

	mu        sync.Mutex
	launched  int
	finished  map[string]bool
	agents    map[string]bool
	bad       []string
	done      chan struct{}
	closeOnce sync.Once
	regErr    chan string
}

func newBatch(total int) *batchScheduler {
	return &batchScheduler{total: total, cpus: 0.1, mem: 32, command: "true",
		finished: map[string]bool{}, agents: map[string]bool{}, done: make(chan struct{}), regErr: make(chan string, 1)}
}

func (s *batchScheduler) Registered(sched.SchedulerDriver, *mesos.FrameworkID, *mesos.MasterInfo) {}
func (s *batchScheduler) Reregistered(sched.SchedulerDriver, *mesos.MasterInfo)                   {}
func (s *batchScheduler) Disconnected(sched.SchedulerDriver)                                      {}

func (s *batchScheduler) ResourceOffers(d sched.SchedulerDriver, offers []*mesos.Offer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range offers {
		left := resources.New(o.GetResources()...)
		var tasks []*mesos.TaskInfo
		for s.launched < s.total && (s.maxInFlight == 0 || s.launched-len(s.finished)-len(s.bad) < s.maxInFlight) {
			need := resources.New(mesosutil.NewScalarResource("cpus", s.cpus), mesosutil.NewScalarResource("mem", s.mem))
			if !left.Contains(need) {
				break
			}
			left = left.Subtract(need)
			s.launched++
			tasks = append(tasks, &mesos.TaskInfo{
				Name:      proto.String(fmt.Sprintf("task-%d", s.launched)),
				TaskId:    mesosutil.NewTaskID(fmt.Sprintf("task-%d", s.launched)),
				SlaveId:   o.GetSlaveId(),
				Command:   mesosutil.NewCommandInfo(s.command),
				Resources: need,
			})
		}
		d.LaunchTasks([]*mesos.OfferID{o.GetId()}, tasks, &mesos.Filters{RefuseSeconds: proto.Float64(0)})
	}
}

func (s *batchScheduler) OfferRescinded(sched.SchedulerDriver, *mesos.OfferID) {}

func (s *batchScheduler) StatusUpdate(d sched.SchedulerDriver, st *mesos.TaskStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st.GetState() {
	case mesos.TaskState_TASK_FINISHED:
		s.finished[st.GetTaskId().GetValue()] = true
		s.agents[st.GetSlaveId().GetValue()] = true
		if len(s.finished) == s.total {
			s.closeOnce.Do(func() { close(s.done) })
		}
	case mesos.TaskState_TASK_STAGING, mesos.TaskState_TASK_STARTING, mesos.TaskState_TASK_RUNNING:
	default:
		s.bad = append(s.bad, fmt.Sprintf("%s %s %s: %s", st.GetTaskId().GetValue(), st.GetState(), st.GetReason(), st.GetMessage()))
		s.closeOnce.Do(func() { close(s.done) })
	}
}

func (s *batchScheduler) FrameworkMessage(sched.SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, string) {
}
func (s *batchScheduler) SlaveLost(sched.SchedulerDriver, *mesos.SlaveID) {}
func (s *batchScheduler) ExecutorLost(sched.SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, int) {
}
func (s *batchScheduler) Error(_ sched.SchedulerDriver, msg string) {
	select {
	case s.regErr <- msg:
	default:
	}
}

// A framework written against schedulerdriver runs 100 short command tasks
// across three agents and sees every one of them finish.
func TestHundredTasksAcrossThreeAgents(t *testing.T) {
	c := harness.Start(t, harness.Options{Agents: 3, AgentResources: "cpus:2;mem:2048;disk:1024;ports:[31000-32000]"})
	c.WaitAgents(3, 30*time.Second)

	s := newBatch(100)
	driver, err := sched.NewMesosSchedulerDriver(sched.DriverConfig{
		Scheduler: s,
		Framework: &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("hundred")},
		Master:    c.MasterAddr(),
		Node:      c.Node,
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := driver.Start(); err != nil || st != mesos.Status_DRIVER_RUNNING {
		t.Fatalf("start: %v %v", st, err)
	}
	defer driver.Stop(false)

	select {
	case <-s.done:
	case msg := <-s.regErr:
		t.Fatalf("framework error: %s", msg)
	case <-time.After(3 * time.Minute):
		s.mu.Lock()
		t.Fatalf("timed out: launched %d, finished %d", s.launched, len(s.finished))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bad) > 0 {
		t.Fatalf("tasks did not finish: %v", s.bad)
	}
	if len(s.finished) != 100 {
		t.Fatalf("finished %d of 100", len(s.finished))
	}
	if len(s.agents) != 3 {
		t.Errorf("tasks ran on %d agents, want all 3", len(s.agents))
	}
}

// mesos-local, as `make run` starts it, runs a task submitted by mesos-execute.
func TestMesosLocalRunsATask(t *testing.T) {
	local := harness.StartProc(t, "mesos-local", "--ip=127.0.0.1", "--port=0", "--num_slaves=2",
		"--work_dir="+harness.TempDir(t), "--resources=cpus:1;mem:512;disk:512;ports:[31000-31010]")
	addr := local.WaitOutput(t, harness.HTTPAddr, 30*time.Second)
	harness.Eventually(t, 30*time.Second, func() bool {
		st, err := harness.GetJSON("http://" + addr + "/master/state")
		return err == nil && st["activated_slaves"] == float64(2)
	}, "two agents registered")
	exec := harness.StartProc(t, "mesos-execute", "--master="+addr, "--name=hello", "--command=echo hello",
		"--resources=cpus:0.5;mem:64")
	if code, err := exec.Wait(60 * time.Second); err != nil || code != 0 {
		t.Fatalf("mesos-execute: exit %d, %v:\n%s", code, err, exec.Output())
	}
}
