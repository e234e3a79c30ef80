package executordriver

import (
	"time"

	"github.com/gomesos/gomesos/internal/callbacks"
	"github.com/gomesos/gomesos/messages/mesos"
)

// Callback is an effect of a Core that calls the user's Executor. The
// driver queues it on its callback goroutine; a single-threaded host (the
// simulator) may call it in place.
type Callback interface {
	Call(e Executor, d ExecutorDriver)
}

// OnRegistered calls Executor.Registered.
type OnRegistered struct {
	ExecutorInfo  *mesos.ExecutorInfo
	FrameworkInfo *mesos.FrameworkInfo
	SlaveInfo     *mesos.SlaveInfo
}

// OnReregistered calls Executor.Reregistered.
type OnReregistered struct{ SlaveInfo *mesos.SlaveInfo }

// OnLaunchTask calls Executor.LaunchTask.
type OnLaunchTask struct{ Task *mesos.TaskInfo }

// OnKillTask calls Executor.KillTask.
type OnKillTask struct{ TaskID *mesos.TaskID }

// OnFrameworkMessage calls Executor.FrameworkMessage.
type OnFrameworkMessage struct{ Data string }

// OnShutdown calls Executor.Shutdown and then stops the driver, as
// mesos-go's driver does (so that Join returns and the executor exits).
type OnShutdown struct{}

// OnError calls Executor.Error. The core has aborted itself: the host
// moves the driver to DRIVER_ABORTED first and drops OnError if the driver
// was no longer running. Unlike the others it runs even though the driver
// no longer runs.
type OnError struct{ Message string }

func (c OnRegistered) Call(e Executor, d ExecutorDriver) {
	e.Registered(d, c.ExecutorInfo, c.FrameworkInfo, c.SlaveInfo)
}
func (c OnReregistered) Call(e Executor, d ExecutorDriver)     { e.Reregistered(d, c.SlaveInfo) }
func (c OnLaunchTask) Call(e Executor, d ExecutorDriver)       { e.LaunchTask(d, c.Task) }
func (c OnKillTask) Call(e Executor, d ExecutorDriver)         { e.KillTask(d, c.TaskID) }
func (c OnFrameworkMessage) Call(e Executor, d ExecutorDriver) { e.FrameworkMessage(d, c.Data) }
func (OnShutdown) Call(e Executor, d ExecutorDriver) {
	e.Shutdown(d)
	_, _ = d.Stop()
}
func (c OnError) Call(e Executor, d ExecutorDriver) { e.Error(d, c.Message) }

// SelfKill asks the shell to end the executor's process group After from
// now, whatever happens to the driver meanwhile (the shutdown grace
// period ran out).
type SelfKill struct{ After time.Duration }

// Terminate ends the driver's actor.
type Terminate struct{}

// Callbacks run one at a time, in order, on a goroutine of their own.
type callback = callbacks.Item
