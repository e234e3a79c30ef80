package executordriver

import (
	"net"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
)

// Executor is implemented by executors. Callbacks run one at a time on the
// driver's callback goroutine; see the package documentation.
type Executor interface {
	// Registered is called once the executor registered with its agent.
	Registered(ExecutorDriver, *mesos.ExecutorInfo, *mesos.FrameworkInfo, *mesos.SlaveInfo)
	// Reregistered is called when the executor re-registered with a
	// restarted agent.
	Reregistered(ExecutorDriver, *mesos.SlaveInfo)
	// Disconnected is declared for compatibility; like Mesos' own driver,
	// this driver does not call it.
	Disconnected(ExecutorDriver)
	// LaunchTask asks the executor to run a task.
	LaunchTask(ExecutorDriver, *mesos.TaskInfo)
	// KillTask asks the executor to kill a task; the executor must send
	// the terminal update (TASK_KILLED) itself.
	KillTask(ExecutorDriver, *mesos.TaskID)
	// FrameworkMessage delivers data the scheduler sent (best effort).
	FrameworkMessage(ExecutorDriver, string)
	// Shutdown asks the executor to terminate all its tasks.
	Shutdown(ExecutorDriver)
	// Error reports an unrecoverable error; the driver has been aborted
	// before it is called.
	Error(ExecutorDriver, string)
}

// ExecutorDriver is what an Executor uses to talk to its agent. Methods
// other than Start, Stop, Abort, Join and Run do nothing unless the driver
// is running, and return the driver's status.
type ExecutorDriver interface {
	// Start registers with the agent.
	Start() (mesos.Status, error)
	// Stop stops the driver.
	Stop() (mesos.Status, error)
	// Abort stops callbacks; Join then returns DRIVER_ABORTED.
	Abort() (mesos.Status, error)
	// Join blocks until the driver is stopped or aborted.
	Join() (mesos.Status, error)
	// Run is Start followed by Join.
	Run() (mesos.Status, error)
	// SendStatusUpdate sends a task status to the agent, which delivers
	// it reliably to the scheduler. TASK_STAGING is refused.
	SendStatusUpdate(*mesos.TaskStatus) (mesos.Status, error)
	// SendFrameworkMessage sends data to the scheduler (best effort).
	SendFrameworkMessage(string) (mesos.Status, error)
}

// DriverConfig configures a MesosExecutorDriver.
type DriverConfig struct {
	Executor Executor
	// HostnameOverride is the address the driver's own node advertises,
	// unless PublishedAddress is set. Ignored when Node is set.
	HostnameOverride string
	// BindingAddress and BindingPort are where the driver's own node
	// listens (default: LIBPROCESS_IP and LIBPROCESS_PORT, else 127.0.0.1
	// and a port the OS picks). Ignored when Node is set.
	BindingAddress net.IP
	BindingPort    uint16
	// PublishedAddress is the address the driver's own node advertises
	// (default LIBPROCESS_ADVERTISE_IP). Ignored when Node is set.
	PublishedAddress net.IP

	// Node is the actor node the driver lives on; default a new node of
	// its own, shut down when the driver stops.
	Node *actors.Node
	// Getenv reads the executor's environment; default os.Getenv. When
	// set, the driver runs in local mode (no self-kill).
	Getenv func(string) string

	// Reregister: the executor's tasks outlived its agent's restart, and
	// the restarted agent runs this driver for them (an agent-hosted
	// command executor): it reregisters with Tasks instead of
	// registering.
	Reregister bool
	Tasks      []*mesos.TaskInfo
}
