package executordriver

import (
	"fmt"
	"strings"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/protocol"
)

const (
	// DefaultShutdownGracePeriod applies when
	// MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD is unset.
	DefaultShutdownGracePeriod = 5 * time.Second
	// DefaultRecoveryTimeout applies when MESOS_RECOVERY_TIMEOUT is unset.
	DefaultRecoveryTimeout = 15 * time.Minute
)

// environment is what the agent told the executor.
type environment struct {
	slavePID        actors.PID
	slaveID         string
	frameworkID     string
	executorID      string
	directory       string
	checkpoint      bool
	local           bool
	shutdownGrace   time.Duration
	recoveryTimeout time.Duration
}

func readEnvironment(getenv func(string) string) (environment, error) {
	env := environment{
		slaveID:         getenv("MESOS_SLAVE_ID"),
		frameworkID:     getenv("MESOS_FRAMEWORK_ID"),
		executorID:      getenv("MESOS_EXECUTOR_ID"),
		directory:       getenv("MESOS_DIRECTORY"),
		checkpoint:      getenv("MESOS_CHECKPOINT") == "1",
		local:           getenv("MESOS_LOCAL") != "",
		shutdownGrace:   DefaultShutdownGracePeriod,
		recoveryTimeout: DefaultRecoveryTimeout,
	}
	pid := strings.TrimSpace(getenv("MESOS_SLAVE_PID"))
	if pid == "" {
		return env, fmt.Errorf("executor driver: MESOS_SLAVE_PID is not set in the environment " +
			"(an executor must be started by a Mesos agent)")
	}
	var err error
	if env.slavePID, err = actors.ParsePID(pid); err != nil {
		return env, fmt.Errorf("executor driver: cannot parse MESOS_SLAVE_PID %q: %v", pid, err)
	}
	if v := getenv("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD"); v != "" {
		if env.shutdownGrace, err = protocol.ParseDuration(v); err != nil {
			return env, fmt.Errorf("executor driver: MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: %v", err)
		}
	}
	if v := getenv("MESOS_RECOVERY_TIMEOUT"); v != "" && env.checkpoint {
		if env.recoveryTimeout, err = protocol.ParseDuration(v); err != nil {
			return env, fmt.Errorf("executor driver: MESOS_RECOVERY_TIMEOUT: %v", err)
		}
	}
	return env, nil
}
