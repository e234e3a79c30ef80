package slave

import (
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/checkpoint"
	"github.com/gomesos/gomesos/slave/containerizer"
)

// memDisk applies the core's disk effects to an in-memory meta tree, as
// checkpoint.ReadFiles would read it back.
type memDisk struct {
	t     *testing.T
	files checkpoint.Files
}

func newMemDisk(t *testing.T) *memDisk { return &memDisk{t: t, files: checkpoint.Files{}} }

func (d *memDisk) rel(p string) string {
	r, err := filepath.Rel("/var/agent", p)
	if err != nil {
		d.t.Fatal(err)
	}
	return r
}

// apply writes the disk effects of effs and returns the others.
func (d *memDisk) apply(effs []effect.Effect) []effect.Effect {
	var rest []effect.Effect
	for _, e := range effs {
		switch e := e.(type) {
		case Checkpoint:
			d.files[d.rel(e.Path)] = checkpoint.File{Data: append([]byte(nil), e.Data...)}
		case CheckpointAppend:
			f := d.files[d.rel(e.Path)]
			d.files[d.rel(e.Path)] = checkpoint.File{Data: append(f.Data, e.Data...)}
		case CheckpointLink:
			d.files[d.rel(e.Path)] = checkpoint.File{Link: e.Target, IsLink: true}
		case CheckpointRemove:
			prefix := d.rel(e.Path) + "/"
			for k := range d.files {
				if strings.HasPrefix(k, prefix) {
					delete(d.files, k)
				}
			}
		default:
			rest = append(rest, e)
		}
	}
	return rest
}

func (d *memDisk) state() *checkpoint.State {
	d.t.Helper()
	st, warns, err := checkpoint.Parse(d.files, true)
	if err != nil || len(warns) != 0 {
		d.t.Fatalf("parse: %v %v", err, warns)
	}
	return st
}

var checkpointingFramework = func() *mesos.FrameworkInfo {
	f := proto.Clone(frameworkInfo).(*mesos.FrameworkInfo)
	f.Checkpoint = proto.Bool(true)
	return f
}()

const meta = "/var/agent/meta/slaves/S1/frameworks/fw-1"

// runCheckpointed runs t1 on e1 for a checkpointing framework up to an
// acknowledged TASK_RUNNING, writing to disk; it returns the disk.
func runCheckpointed(t *testing.T, r *coreRun) *memDisk {
	t.Helper()
	d := newMemDisk(t)
	r.c.deps.BootID = "boot-1"
	r.c.Recover(r.now, nil)
	d.apply(r.c.ContainersRecovered(r.now, nil))
	r.c.Detected(r.now, masterInfo())
	r.c.Timer(r.now, "register")
	d.apply(r.c.Receive(r.now, coreMaster, &mesosinternal.SlaveRegisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(coreAgentID)}}))

	msg := runTaskMsg("t1", "e1")
	msg.Framework = checkpointingFramework
	effs := r.c.Receive(r.now, coreMaster, msg)
	effs = r.expect("sandbox prepared", r.c.SandboxPrepared(r.now, effs[0].(PrepareSandbox), nil),
		"checkpoint "+meta+"/framework.info",
		"checkpoint "+meta+"/framework.pid",
		"checkpoint "+meta+"/executors/e1/executor.info",
		"checkpoint link "+meta+"/executors/e1/runs/latest -> c1",
		"launch container c1",
		"start timer executor-registration/c1 after 1m0s",
		"checkpoint "+meta+"/executors/e1/runs/c1/tasks/t1/task.info")
	l := effs[4].(LaunchContainer)
	if l.Config.PIDFile != meta+"/executors/e1/runs/c1/pids/forked.pid" {
		t.Fatalf("PIDFile = %q", l.Config.PIDFile)
	}
	if env := l.Complete().Env; !l.Config.Checkpoint || env["MESOS_CHECKPOINT"] != "1" || env["MESOS_RECOVERY_TIMEOUT"] != "15mins" {
		t.Fatalf("checkpoint %v, env %v", l.Config.Checkpoint, env)
	}
	d.apply(effs)
	// The containerizer writes the pid.
	d.files["meta/slaves/S1/frameworks/fw-1/executors/e1/runs/c1/pids/forked.pid"] = checkpoint.File{Data: []byte("4242")}
	r.c.ContainerLaunched(r.now, "c1", nil)
	effs = r.expect("executor registers", r.executorRegisters("e1"),
		"link "+coreExec.String(),
		"checkpoint "+meta+"/executors/e1/runs/c1/pids/libprocess.pid",
		send(&mesosinternal.ExecutorRegisteredMessage{}, coreExec),
		"update container c1 tasks [t1]")
	d.apply(effs)
	r.c.ContainerUpdated(r.now, effs[3].(UpdateContainer), nil)

	// The update is journaled before it is forwarded and before the
	// executor is acknowledged; the ack is journaled too.
	d.apply(r.expect("running", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_RUNNING, "uuid-running-01")),
		"checkpoint append "+meta+"/executors/e1/runs/c1/tasks/t1/task.updates",
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		send(&mesosinternal.StatusUpdateAcknowledgementMessage{}, coreExec)))
	d.apply(r.expect("acknowledged", r.c.Receive(r.now, coreMaster, &mesosinternal.StatusUpdateAcknowledgementMessage{
		FrameworkId: frameworkInfo.Id, TaskId: &mesos.TaskID{Value: proto.String("t1")}, Uuid: []byte("uuid-running-01"),
	}), "checkpoint append "+meta+"/executors/e1/runs/c1/tasks/t1/task.updates"))
	return d
}

func TestCoreCheckpointsOnlyForCheckpointingFrameworks(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.launch("t1", "e1") // frameworkInfo does not checkpoint
	effs := r.expect("executor registers", r.executorRegisters("e1"),
		"link "+coreExec.String(),
		send(&mesosinternal.ExecutorRegisteredMessage{}, coreExec),
		"update container c1 tasks [t1]")
	r.c.ContainerUpdated(r.now, effs[2].(UpdateContainer), nil)
	r.expect("running", r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_RUNNING, "uuid-running-01")),
		send(&mesosinternal.StatusUpdateMessage{}, coreMaster),
		"start timer update/fw-1/t1 after 10s",
		send(&mesosinternal.StatusUpdateAcknowledgementMessage{}, coreExec))
}

// restart is a new core over the same disk, recovering from it.
func restart(t *testing.T, d *memDisk) *coreRun {
	r := newCoreRun(t)
	r.c.deps.BootID = "boot-1"
	return r
}

func TestCoreRecoversAndReconnectsLiveExecutor(t *testing.T) {
	d := runCheckpointed(t, newCoreRun(t))
	r := restart(t, d)
	effs := r.expect("recover", r.c.Recover(r.now, d.state()), "recover 1 containers")
	if rc := effs[0].(RecoverContainers); rc.Containers[0].ID != "c1" || rc.Containers[0].PID != 4242 ||
		rc.Containers[0].Directory != sandbox+"/executors/e1/runs/c1" {
		t.Fatalf("RecoverContainers = %+v", rc)
	}
	if r.c.ID() != coreAgentID || !r.c.Recovering() {
		t.Fatalf("id %q recovering %v", r.c.ID(), r.c.Recovering())
	}
	r.expect("containers recovered", r.c.ContainersRecovered(r.now, nil),
		"wait container c1",
		send(&mesosinternal.ReconnectExecutorMessage{}, coreExec),
		"start timer executor-reregistration after 2s")

	// The executor comes back from a new address with an update the old
	// agent never acknowledged.
	exec2 := actors.PID{ID: "executor", Address: "127.0.0.1:4001"}
	finished := execUpdate("t1", mesos.TaskState_TASK_FINISHED, "uuid-finish-0001").GetUpdate()
	effs = d.apply(r.expect("reregister", r.c.Receive(r.now, exec2, &mesosinternal.ReregisterExecutorMessage{
		FrameworkId: frameworkInfo.Id, ExecutorId: &mesos.ExecutorID{Value: proto.String("e1")},
		Updates: []*mesosinternal.StatusUpdate{finished},
	}),
		"link "+exec2.String(),
		"checkpoint "+meta+"/executors/e1/runs/c1/pids/libprocess.pid",
		send(&mesosinternal.ExecutorReregisteredMessage{}, exec2),
		"update container c1 tasks []",
		"checkpoint append "+meta+"/executors/e1/runs/c1/tasks/t1/task.updates",
		send(&mesosinternal.StatusUpdateAcknowledgementMessage{}, exec2),
		"update container c1 tasks []"))
	r.expect("reregistration wait over", r.c.Timer(r.now, ExecutorReregistrationTimer),
		"checkpoint /var/agent/meta/boot_id", "redetect")

	// It reregisters with its id and its task, and sends the update.
	r.c.Detected(r.now, masterInfo())
	effs = r.c.Timer(r.now, "register")
	rereg := sentMsg[*mesosinternal.ReregisterSlaveMessage](t, effs)
	if rereg.GetSlave().GetId().GetValue() != coreAgentID || len(rereg.GetTasks()) != 1 ||
		rereg.GetTasks()[0].GetState() != mesos.TaskState_TASK_FINISHED || !rereg.GetFrameworks()[0].GetCheckpoint() ||
		len(rereg.GetExecutorInfos()) != 1 {
		t.Fatalf("ReregisterSlaveMessage = %v", rereg)
	}
	effs = r.c.Receive(r.now, coreMaster, &mesosinternal.SlaveReregisteredMessage{SlaveId: &mesos.SlaveID{Value: proto.String(coreAgentID)}})
	fwd := sentMsg[*mesosinternal.StatusUpdateMessage](t, effs)
	if st := fwd.GetUpdate().GetStatus(); st.GetState() != mesos.TaskState_TASK_FINISHED || string(st.GetUuid()) != "uuid-finish-0001" {
		t.Fatalf("forwarded %v", fwd)
	}
}

func TestCoreRecoveryReportsExecutorsThatDidNotComeBack(t *testing.T) {
	d := runCheckpointed(t, newCoreRun(t))
	r := restart(t, d)
	r.c.Recover(r.now, d.state())
	r.c.ContainersRecovered(r.now, nil)
	r.expect("reregistration timeout", r.c.Timer(r.now, ExecutorReregistrationTimer),
		"destroy container c1", "checkpoint /var/agent/meta/boot_id", "redetect")
	effs := r.c.ContainerExited(r.now, "c1", &containerizer.Termination{}, nil)
	var u *mesosinternal.StatusUpdate
	for _, e := range effs {
		if a, ok := e.(CheckpointAppend); ok {
			rec, _, err := checkpoint.DecodeRecords(a.Data)
			if err != nil || len(rec) != 1 {
				t.Fatalf("record: %v", err)
			}
			u = rec[0].GetUpdate()
		}
	}
	if st := u.GetStatus(); st.GetState() != mesos.TaskState_TASK_LOST ||
		st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_REREGISTRATION_TIMEOUT || st.GetSource() != mesos.TaskStatus_SOURCE_SLAVE {
		t.Fatalf("journaled update = %v (effects %q)", u, render(effs))
	}
}

// After a reboot with the same configuration the agent keeps its id (as
// Mesos since 1.4), asks no executor to reconnect (the checkpointed pids
// are stale; forked.pid is removed), and reports the tasks of the dead
// executors.
func TestCoreRecoveryAfterRebootKeepsIDAndReportsDeadExecutors(t *testing.T) {
	d := runCheckpointed(t, newCoreRun(t))
	r := restart(t, d)
	r.c.deps.BootID = "boot-2"
	effs := r.expect("recover", r.c.Recover(r.now, d.state()),
		"checkpoint remove "+meta+"/executors/e1/runs/c1/pids/forked.pid",
		"recover 1 containers")
	if rc := effs[1].(RecoverContainers); rc.Containers[0].PID != 0 {
		t.Fatalf("adopting pid %d after a reboot", rc.Containers[0].PID)
	}
	if r.c.ID() != coreAgentID {
		t.Fatalf("id %q after a reboot, want %q", r.c.ID(), coreAgentID)
	}
	r.expect("containers recovered", r.c.ContainersRecovered(r.now, nil),
		"wait container c1", "start timer executor-reregistration after 2s")
	effs = r.c.ContainerExited(r.now, "c1", &containerizer.Termination{Message: "The executor's pid was not checkpointed"}, nil)
	var u *mesosinternal.StatusUpdate
	for _, e := range effs {
		if a, ok := e.(CheckpointAppend); ok {
			rec, _, err := checkpoint.DecodeRecords(a.Data)
			if err != nil || len(rec) != 1 {
				t.Fatalf("record: %v", err)
			}
			u = rec[0].GetUpdate()
		}
	}
	if st := u.GetStatus(); st.GetState() != mesos.TaskState_TASK_LOST ||
		st.GetReason() != mesos.TaskStatus_REASON_EXECUTOR_REREGISTRATION_TIMEOUT {
		t.Fatalf("journaled update = %v (effects %q)", u, render(effs))
	}
}

// After a reboot with a configuration its policy refuses, the agent
// starts as a new one.
func TestCoreRecoveryAfterRebootWithOtherResourcesStartsFresh(t *testing.T) {
	d := runCheckpointed(t, newCoreRun(t))
	r := restart(t, d)
	r.c.deps.BootID = "boot-2"
	r.c.info.Resources = resources.MustParse("cpus:8;mem:1024")
	r.expect("recover", r.c.Recover(r.now, d.state()), "recover 0 containers")
	r.expect("containers recovered", r.c.ContainersRecovered(r.now, nil), "checkpoint /var/agent/meta/boot_id", "redetect")
	if r.c.ID() != "" {
		t.Fatalf("kept id %q after a reboot with other resources", r.c.ID())
	}
}

func TestCoreRecoverCleanupKillsExecutorsAndDoesNotRegister(t *testing.T) {
	d := runCheckpointed(t, newCoreRun(t))
	r := restart(t, d)
	r.c.cfg.Recover = RecoverCleanup
	r.c.Recover(r.now, d.state())
	r.expect("containers recovered", r.c.ContainersRecovered(r.now, nil), "wait container c1", "destroy container c1")
	effs := r.c.ContainerExited(r.now, "c1", &containerizer.Termination{}, nil)
	if got := render(effs); got[len(got)-1] != "recovery cleanup done" {
		t.Fatalf("effects %q", got)
	}
}

func TestCoreRecoveryWithoutCheckpointStartsFresh(t *testing.T) {
	r := newCoreRun(t)
	r.c.deps.BootID = "boot-1"
	r.expect("recover", r.c.Recover(r.now, &checkpoint.State{}), "recover 0 containers")
	r.expect("containers recovered", r.c.ContainersRecovered(r.now, nil), "checkpoint /var/agent/meta/boot_id", "redetect")
}

// A recovered executor whose info names another executor than its folder
// keeps the sandbox its folder names.
func TestCoreRecoveredSandboxIsTheFolders(t *testing.T) {
	d := runCheckpointed(t, newCoreRun(t))
	name := "meta/slaves/S1/frameworks/fw-1/executors/e1/executor.info"
	info := &mesos.ExecutorInfo{}
	if err := proto.Unmarshal(d.files[name].Data, info); err != nil {
		t.Fatal(err)
	}
	info.ExecutorId = &mesos.ExecutorID{Value: proto.String("other")}
	b, _ := checkpoint.Marshal(info)
	d.files[name] = checkpoint.File{Data: b}
	r := restart(t, d)
	effs := r.expect("recover", r.c.Recover(r.now, d.state()), "recover 1 containers")
	want := sandbox + "/executors/e1/runs/c1"
	if rc := effs[0].(RecoverContainers); rc.Containers[0].Directory != want {
		t.Fatalf("RecoverContainers = %+v", rc)
	}
	if got := r.c.attachments()[want]; got != want {
		t.Fatalf("attachments %v, want %s", r.c.attachments(), want)
	}
}
