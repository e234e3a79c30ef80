// Command mesos-executor is Mesos' command executor: the executor an agent
// starts for a task that carries a CommandInfo and no ExecutorInfo. It runs
// the task's command in its own process group, reports TASK_STARTING,
// TASK_RUNNING and the terminal state, kills the command (SIGTERM, then
// SIGKILL after the kill policy's grace period) when asked, waits for the
// agent to acknowledge the terminal update, and exits.
//
// It is started by the agent with the MESOS_* environment the executor
// driver reads (see package executordriver); the flags below exist for
// compatibility with Mesos' own and are optional.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gomesos/gomesos/executordriver"
	"github.com/gomesos/gomesos/executordriver/command"
	"github.com/gomesos/gomesos/internal/flagutil"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/sirupsen/logrus"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command executor's flags.
type options struct {
	launcherDir      string
	sandboxDirectory string
}

// run parses the flags, runs the executor until it is done and returns the
// exit code: 0 when the driver stopped, 1 on failures, 2 for bad flags.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mesos-executor", flag.ContinueOnError)
	var opts options
	fs.StringVar(&opts.launcherDir, "launcher_dir", "", "Directory of the Mesos helper binaries (accepted for compatibility; unused).")
	fs.StringVar(&opts.sandboxDirectory, "sandbox_directory", "",
		"Working directory of the task (default: $MESOS_SANDBOX, else $MESOS_DIRECTORY).")
	if err := flagutil.Parse(fs, args, func(string) string { return "" }, stdout); err != nil {
		if errors.Is(err, flagutil.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "mesos-executor: %v\n", err)
		fmt.Fprintln(stderr, "Run 'mesos-executor --help' for the flags.")
		return 2
	}

	log := logrus.New()
	log.SetOutput(stderr)
	log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})

	ce := command.New(command.Config{Log: log.WithField("component", "command-executor"), Sandbox: opts.sandboxDirectory})
	driver, err := executordriver.NewMesosExecutorDriver(executordriver.DriverConfig{Executor: ce})
	if err != nil {
		fmt.Fprintf(stderr, "mesos-executor: %v\n", err)
		return 1
	}
	return runDriver(ce, driver, log.WithField("component", "command-executor"))
}

// runDriver runs driver until it stops and makes sure the task does not
// outlive the executor.
func runDriver(ce *command.Executor, driver *executordriver.MesosExecutorDriver, log *logrus.Entry) int {
	ce.SetDriver(driver)
	ce.SetShutdownGracePeriod(driver.ShutdownGracePeriod())
	st, err := driver.Run()
	ce.Cleanup()
	if st != mesos.Status_DRIVER_STOPPED {
		if err != nil {
			log.WithError(err).Error("executor driver ended")
		}
		log.WithField("status", st.String()).Error("executor driver did not stop cleanly")
		return 1
	}
	return 0
}
