package slave

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/containerizer"
)

// BenchmarkCoreTaskLifecycle drives a registered agent core through the
// events of a command task as the simulator sees them, batch tasks of one
// framework at a time: run, sandbox, launch, executor registration,
// container update, RUNNING, its acknowledgement, FINISHED, its
// acknowledgement, the container's end and the executor's Exited. One op
// is one task; effects are taken and dropped. cpu-ns/op is the process's
// CPU time (user and system, all threads) per task: on a shared machine
// it varies less than ns/op.
//
//	go test ./slave -run '^$' -bench CoreTaskLifecycle -benchmem -count 5
func BenchmarkCoreTaskLifecycle(b *testing.B) {
	for _, ckpt := range []bool{false, true} {
		b.Run(fmt.Sprintf("checkpoint=%v", ckpt), func(b *testing.B) { benchCoreLifecycle(b, ckpt) })
	}
}

func benchCoreLifecycle(b *testing.B, ckpt bool) {
	const batch = 16 // an agent's share in the simulator's runs
	r := newCoreRun(&testing.T{})
	r.register()
	c, now := r.c, r.now
	c.log.Logger.SetLevel(logrus.PanicLevel) // as in the simulator
	fw := proto.Clone(frameworkInfo).(*mesos.FrameworkInfo)
	fw.Checkpoint = proto.Bool(ckpt)
	res := resources.MustParse("cpus:1;mem:128")
	cmd := &mesos.CommandInfo{Value: proto.String("sleep 5")}
	slaveID := &mesos.SlaveID{Value: proto.String(coreAgentID)}
	update := func(tid string, st mesos.TaskState, uuid []byte) *mesosinternal.StatusUpdateMessage {
		return &mesosinternal.StatusUpdateMessage{Update: &mesosinternal.StatusUpdate{
			FrameworkId: fw.Id,
			ExecutorId:  &mesos.ExecutorID{Value: proto.String(tid)},
			SlaveId:     slaveID,
			Status: &mesos.TaskStatus{
				TaskId: &mesos.TaskID{Value: proto.String(tid)}, State: st.Enum(), SlaveId: slaveID,
				Source: mesos.TaskStatus_SOURCE_EXECUTOR.Enum(), Uuid: uuid,
				ExecutorId: &mesos.ExecutorID{Value: proto.String(tid)},
			},
			Timestamp: proto.Float64(1),
			Uuid:      uuid,
		}}
	}
	type taskMsgs struct {
		tid               string
		pid               actors.PID
		run               *mesosinternal.RunTaskMessage
		reg               *mesosinternal.RegisterExecutorMessage
		running, finished *mesosinternal.StatusUpdateMessage
		ackRun, ackFinish *mesosinternal.StatusUpdateAcknowledgementMessage
		prep              PrepareSandbox
		cid               string
		upd               UpdateContainer
	}
	mk := func(n int) *taskMsgs {
		tid := fmt.Sprintf("task-%d", n)
		ru, fu := []byte(fmt.Sprintf("run-%012d", n)), []byte(fmt.Sprintf("fin-%012d", n))
		return &taskMsgs{
			tid: tid,
			pid: actors.PID{ID: "executor(" + tid + ")", Address: "127.0.0.1:4000"},
			run: &mesosinternal.RunTaskMessage{Framework: fw, Pid: proto.String("scheduler@127.0.0.1:7000"), Task: &mesos.TaskInfo{
				Name: proto.String(tid), TaskId: &mesos.TaskID{Value: proto.String(tid)}, SlaveId: slaveID, Resources: res, Command: cmd,
			}},
			reg:       &mesosinternal.RegisterExecutorMessage{FrameworkId: fw.Id, ExecutorId: &mesos.ExecutorID{Value: proto.String(tid)}},
			running:   update(tid, mesos.TaskState_TASK_RUNNING, ru),
			finished:  update(tid, mesos.TaskState_TASK_FINISHED, fu),
			ackRun:    &mesosinternal.StatusUpdateAcknowledgementMessage{FrameworkId: fw.Id, TaskId: &mesos.TaskID{Value: proto.String(tid)}, Uuid: ru},
			ackFinish: &mesosinternal.StatusUpdateAcknowledgementMessage{FrameworkId: fw.Id, TaskId: &mesos.TaskID{Value: proto.String(tid)}, Uuid: fu},
		}
	}
	exited := &containerizer.Termination{Status: proto.Int32(0)}
	all := make([]*taskMsgs, b.N)
	for i := range all {
		all[i] = mk(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for done := 0; done < b.N; done += batch {
		ts := all[done:min(done+batch, b.N)]
		for _, t := range ts {
			for _, e := range c.Receive(now, coreMaster, t.run) {
				if p, ok := e.(PrepareSandbox); ok {
					t.prep = p
				}
			}
		}
		for _, t := range ts {
			for _, e := range c.SandboxPrepared(now, t.prep, nil) {
				if l, ok := e.(LaunchContainer); ok {
					t.cid = l.ContainerID
				}
			}
		}
		for _, t := range ts {
			c.ContainerLaunched(now, t.cid, nil)
		}
		for _, t := range ts {
			for _, e := range c.Receive(now, t.pid, t.reg) {
				if u, ok := e.(UpdateContainer); ok {
					t.upd = u
				}
			}
		}
		for _, t := range ts {
			c.ContainerUpdated(now, t.upd, nil)
		}
		for _, t := range ts {
			c.Receive(now, t.pid, t.running)
		}
		for _, t := range ts {
			c.Receive(now, coreMaster, t.ackRun)
		}
		for _, t := range ts {
			c.Receive(now, t.pid, t.finished)
		}
		for _, t := range ts {
			c.Receive(now, coreMaster, t.ackFinish)
		}
		for _, t := range ts {
			c.ContainerExited(now, t.cid, exited, nil)
			c.Exited(now, t.pid)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	if f := c.frameworks[fw.GetId().GetValue()]; f != nil && len(f.executors) > 0 {
		b.Fatalf("%d executors left", len(f.executors))
	}
}

// processCPU is the CPU time the process has used so far, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
