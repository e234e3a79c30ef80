// Command mesos-execute runs one command as a Mesos task, like Mesos' own
// mesos-execute: it registers a framework with the master, launches the
// command (as a command task, so that the agent supplies the command
// executor) on the first offer holding the requested resources, prints
// every status update, and exits once the task has ended: 0 if it finished,
// 1 otherwise, 2 for bad flags.
//
//	mesos-execute --master=127.0.0.1:5050 --name=hello --command='echo hello'
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/internal/flagutil"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/schedulerdriver"
	"github.com/gomesos/gomesos/tracing"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

const defaultFrameworkName = "mesos-execute instance"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv, nil))
}

// options are the parsed and validated flags.
type options struct {
	master        string
	name          string
	command       string
	shell         bool
	env           map[string]string
	resources     resources.Resources
	role          string
	checkpoint    bool
	failover      time.Duration // FrameworkInfo.failover_timeout
	killAfter     time.Duration
	frameworkName string
	verbose       bool
	traceFile     string
	tracePayloads bool
}

// usageError is a bad flag or flag value (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// parseFlags reads and checks the command line.
func parseFlags(args []string, stdout io.Writer, getenv func(string) string) (*options, error) {
	fs := flag.NewFlagSet("mesos-execute", flag.ContinueOnError)
	var (
		o         options
		envText   string
		resText   string
		killAfter time.Duration
		failover  time.Duration
	)
	fs.StringVar(&o.master, "master", "", "Mesos master (e.g., IP:PORT, master@IP:PORT, zk://host:port,.../path or file:///path). Required.")
	fs.StringVar(&o.name, "name", "", "Name for the command; also the task ID. Required.")
	fs.StringVar(&o.command, "command", "", "Command to launch. Required.")
	fs.BoolVar(&o.shell, "shell", true, "Run the command with /bin/sh -c. With --shell=false the command is split on white space into an executable and its arguments.")
	fs.StringVar(&envText, "env", "", `Environment variables of the command, as a JSON object ({"name1": "value1"}) or file:///path holding one.`)
	fs.StringVar(&resText, "resources", "cpus:1;mem:128", "Resources for the command.")
	fs.StringVar(&o.role, "role", "*", "Role to use when registering.")
	fs.BoolVar(&o.checkpoint, "checkpoint", false, "Enable checkpointing for the framework.")
	fs.Var(flagutil.Duration{D: &failover}, "failover_timeout", "How long the master keeps the framework and its tasks after the scheduler disconnects (e.g., 10mins). Default: 0, removed at once. gomesos only.")
	fs.Var(flagutil.Duration{D: &killAfter}, "kill_after", "Kill the task this long after it is running (e.g., 10secs, 2mins). Default: never.")
	fs.StringVar(&o.frameworkName, "framework_name", defaultFrameworkName, "Name of the framework.")
	fs.BoolVar(&o.verbose, "verbose", false, "Log what the scheduler driver does (on stderr); otherwise only warnings and errors.")
	fs.StringVar(&o.traceFile, "trace_file", "", "Append a JSON Lines trace of every message the scheduler sends and receives to this file (read it with mesos-trace). gomesos only.")
	fs.BoolVar(&o.tracePayloads, "trace_payloads", false, "Add every traced message, as protobuf JSON, to its event. gomesos only.")
	if err := flagutil.Parse(fs, args, getenv, stdout); err != nil {
		if errors.Is(err, flagutil.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	o.killAfter = killAfter
	o.failover = failover

	switch {
	case o.master == "":
		return nil, usagef("Missing required option --master")
	case o.failover < 0:
		return nil, usagef("--failover_timeout must not be negative, got %s", o.failover)
	case o.name == "":
		return nil, usagef("Missing required option --name")
	case o.command == "":
		return nil, usagef("Missing required option --command")
	case o.frameworkName == "":
		return nil, usagef("--framework_name must not be empty")
	}
	if strings.ContainsAny(o.name, "/\x00") || strings.TrimSpace(o.name) != o.name {
		return nil, usagef("Invalid --name %q: it is the task ID, which must not contain '/' or surrounding white space", o.name)
	}
	// run makes the detector that is used, logging to the node's logger.
	if _, err := detector.NewWithLogger(o.master, nil); err != nil {
		return nil, usagef("Invalid --master: %v", err)
	}
	var err error
	if err := resources.ValidateRole(o.role); err != nil {
		return nil, usagef("Invalid --role %q: %v", o.role, err)
	}
	if o.resources, err = resources.Parse(resText, "*"); err != nil {
		return nil, usagef("Failed to parse --resources %q: %v", resText, err)
	}
	if o.resources.IsEmpty() {
		return nil, usagef("--resources %q asks for nothing; a task needs resources", resText)
	}
	if o.env, err = parseEnv(envText); err != nil {
		return nil, usagef("Invalid --env: %v", err)
	}
	if !o.shell && len(strings.Fields(o.command)) == 0 {
		return nil, usagef("--command is blank")
	}
	return &o, nil
}

// parseEnv reads {"name": "value", ...}, inline or from file:///path.
func parseEnv(text string) (map[string]string, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	if path, ok := strings.CutPrefix(strings.TrimSpace(text), "file://"); ok {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		text = string(data)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, fmt.Errorf("expected a JSON object of strings: %v", err)
	}
	env := make(map[string]string, len(raw))
	for k, v := range raw {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("the value of %q is not a string", k)
		}
		if k == "" || strings.Contains(k, "=") {
			return nil, fmt.Errorf("bad variable name %q", k)
		}
		env[k] = s
	}
	return env, nil
}

// taskTemplate is the task to launch, still without agent and resources.
func (o *options) taskTemplate() *mesos.TaskInfo {
	ci := &mesos.CommandInfo{Shell: proto.Bool(o.shell)}
	if o.shell {
		ci.Value = proto.String(o.command)
	} else {
		fields := strings.Fields(o.command)
		ci.Value = proto.String(fields[0])
		ci.Arguments = fields
	}
	if len(o.env) > 0 {
		names := make([]string, 0, len(o.env))
		for k := range o.env {
			names = append(names, k)
		}
		sort.Strings(names)
		ci.Environment = &mesos.Environment{}
		for _, k := range names {
			ci.Environment.Variables = append(ci.Environment.Variables, &mesos.Environment_Variable{
				Name:  proto.String(k),
				Type:  mesos.Environment_Variable_VALUE.Enum(),
				Value: proto.String(o.env[k]),
			})
		}
	}
	return &mesos.TaskInfo{
		Name:    proto.String(o.name),
		TaskId:  &mesos.TaskID{Value: proto.String(o.name)},
		SlaveId: &mesos.SlaveID{Value: proto.String("")},
		Command: ci,
	}
}

func (o *options) frameworkInfo() *mesos.FrameworkInfo {
	fw := &mesos.FrameworkInfo{
		User:       proto.String(""), // the driver fills in the current user
		Name:       proto.String(o.frameworkName),
		Role:       proto.String(o.role),
		Checkpoint: proto.Bool(o.checkpoint),
	}
	if o.failover > 0 {
		fw.FailoverTimeout = proto.Float64(o.failover.Seconds())
	}
	return fw
}

// run is the whole program; node may be nil (the process-wide node).
func run(args []string, stdout, stderr io.Writer, getenv func(string) string, node *actors.Node) int {
	opts, err := parseFlags(args, stdout, getenv)
	if err != nil {
		if errors.Is(err, flagutil.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "mesos-execute: %v\n", err)
		fmt.Fprintln(stderr, "Run 'mesos-execute --help' for the list of flags.")
		return 2
	}

	if node == nil {
		if node, err = actors.Shared(); err != nil {
			fmt.Fprintf(stderr, "mesos-execute: %v\n", err)
			return 1
		}
		if !opts.verbose {
			// The driver's warnings (and the detector's, about the master)
			// are for the user; protoactor's are not.
			log := node.Log()
			log.SetLevel(logrus.WarnLevel)
			log.SetFormatter(&quietRemoting{Formatter: log.Formatter})
		}
	}
	det, err := detector.NewWithLogger(opts.master, node.Log())
	if err != nil { // parseFlags checked it
		fmt.Fprintf(stderr, "mesos-execute: --master: %v\n", err)
		return 1
	}
	if opts.traceFile != "" {
		rec, err := tracing.New(tracing.Options{
			Process:  node.Address(),
			Program:  "mesos-execute",
			File:     opts.traceFile,
			Payloads: opts.tracePayloads,
			Log:      node.Log(),
		})
		if err != nil {
			fmt.Fprintf(stderr, "mesos-execute: --trace_file=%s: %v\n", opts.traceFile, err)
			return 1
		}
		node.SetTracer(rec)
		stopSignals := tracing.CloseOnSignal(rec) // Ctrl-C keeps what was traced
		defer func() {
			stopSignals()
			node.SetTracer(nil)
			if err := rec.Close(); err != nil {
				fmt.Fprintf(stderr, "mesos-execute: closing the trace file: %v\n", err)
			}
		}()
	}
	sched := newCommandScheduler(opts, stdout, stderr)
	driver, err := schedulerdriver.NewMesosSchedulerDriver(schedulerdriver.DriverConfig{
		Scheduler: sched,
		Framework: opts.frameworkInfo(),
		Master:    opts.master,
		Detector:  det,
		Node:      node,
	})
	if err != nil {
		fmt.Fprintf(stderr, "mesos-execute: %v\n", err)
		return 1
	}
	if st, err := driver.Start(); st != mesos.Status_DRIVER_RUNNING {
		fmt.Fprintf(stderr, "mesos-execute: cannot start the scheduler driver: %v\n", err)
		return 1
	}
	code := <-sched.done
	// The scheduler stopped the driver (or it aborted); Join lets the
	// driver send its last message before the process exits.
	_, _ = driver.Stop(false)
	_, _ = driver.Join()
	return code
}

// quietRemoting drops the remoting node's own log lines below Error
// (protoactor's, tagged component=protoactor: connection churn such as
// "EndpointWriter lost connection" when the master goes away), so that
// without --verbose the user sees the driver's and the detector's warnings
// only.
type quietRemoting struct{ logrus.Formatter }

func (f *quietRemoting) Format(e *logrus.Entry) ([]byte, error) {
	if e.Level > logrus.ErrorLevel && e.Data["component"] == "protoactor" {
		return nil, nil
	}
	return f.Formatter.Format(e)
}
