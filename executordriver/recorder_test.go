package executordriver

import (
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
)

type event struct {
	name       string
	executorID string
	framework  string
	host       string
	taskID     string
	data       string
	message    string
}

type recorder struct {
	events   chan event
	onLaunch func(ExecutorDriver, *mesos.TaskInfo)
}

func newRecorder() *recorder { return &recorder{events: make(chan event, 100)} }

func (r *recorder) expect(t *testing.T, name string) event {
	t.Helper()
	select {
	case ev := <-r.events:
		if ev.name != name {
			t.Fatalf("callback %+v, want %s", ev, name)
		}
		return ev
	case <-time.After(actortest.DefaultTimeout):
		t.Fatalf("timed out waiting for %s", name)
		return event{}
	}
}

func (r *recorder) none(t *testing.T) {
	t.Helper()
	select {
	case ev := <-r.events:
		t.Fatalf("unexpected callback %+v", ev)
	default:
	}
}

func (r *recorder) Registered(_ ExecutorDriver, ei *mesos.ExecutorInfo, fi *mesos.FrameworkInfo, si *mesos.SlaveInfo) {
	r.events <- event{name: "registered", executorID: ei.GetExecutorId().GetValue(), framework: fi.GetName(), host: si.GetHostname()}
}
func (r *recorder) Reregistered(_ ExecutorDriver, si *mesos.SlaveInfo) {
	r.events <- event{name: "reregistered", host: si.GetHostname()}
}
func (r *recorder) Disconnected(ExecutorDriver) { r.events <- event{name: "disconnected"} }
func (r *recorder) LaunchTask(d ExecutorDriver, t *mesos.TaskInfo) {
	if r.onLaunch != nil {
		r.onLaunch(d, t)
	}
	r.events <- event{name: "launch", taskID: t.GetTaskId().GetValue()}
}
func (r *recorder) KillTask(_ ExecutorDriver, id *mesos.TaskID) {
	r.events <- event{name: "kill", taskID: id.GetValue()}
}
func (r *recorder) FrameworkMessage(_ ExecutorDriver, data string) {
	r.events <- event{name: "message", data: data}
}
func (r *recorder) Shutdown(ExecutorDriver) { r.events <- event{name: "shutdown"} }
func (r *recorder) Error(_ ExecutorDriver, msg string) {
	r.events <- event{name: "error", message: msg}
}
