// Command test-executor is the custom executor the integration tests launch,
// as Mesos' tests use theirs: it answers a launch with TASK_RUNNING (then
// TASK_FINISHED at once if the task's data is "finish"), a kill with
// TASK_KILLED, and echoes framework messages back prefixed with "echo:".
package main

import (
	"fmt"
	"os"

	"github.com/gomesos/gomesos/executordriver"
	"github.com/gomesos/gomesos/messages/mesos"
)

type testExecutor struct{}

func status(id *mesos.TaskID, s mesos.TaskState) *mesos.TaskStatus {
	return &mesos.TaskStatus{TaskId: id, State: s.Enum()}
}

func (testExecutor) Registered(executordriver.ExecutorDriver, *mesos.ExecutorInfo, *mesos.FrameworkInfo, *mesos.SlaveInfo) {
}
func (testExecutor) Reregistered(executordriver.ExecutorDriver, *mesos.SlaveInfo) {}
func (testExecutor) Disconnected(executordriver.ExecutorDriver)                   {}

func (testExecutor) LaunchTask(d executordriver.ExecutorDriver, t *mesos.TaskInfo) {
	d.SendStatusUpdate(status(t.GetTaskId(), mesos.TaskState_TASK_RUNNING))
	if string(t.GetData()) == "finish" {
		d.SendStatusUpdate(status(t.GetTaskId(), mesos.TaskState_TASK_FINISHED))
	}
}

func (testExecutor) KillTask(d executordriver.ExecutorDriver, id *mesos.TaskID) {
	d.SendStatusUpdate(status(id, mesos.TaskState_TASK_KILLED))
}

func (testExecutor) FrameworkMessage(d executordriver.ExecutorDriver, msg string) {
	d.SendFrameworkMessage("echo:" + msg)
}

func (testExecutor) Shutdown(d executordriver.ExecutorDriver) { d.Stop() }

func (testExecutor) Error(_ executordriver.ExecutorDriver, msg string) {
	fmt.Fprintln(os.Stderr, "test-executor error:", msg)
}

func main() {
	d, err := executordriver.NewMesosExecutorDriver(executordriver.DriverConfig{Executor: testExecutor{}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "test-executor:", err)
		os.Exit(1)
	}
	if st, err := d.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "test-executor:", st, err)
		os.Exit(1)
	}
}
