// Command mesos-agent runs a gomesos agent: it registers with the master and
// runs the tasks it is sent in containers. Flags are Mesos'; see --help.
package main

import (
	"errors"
	"flag"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/gomesos/gomesos/cmd/internal/daemon"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/slave"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		daemon.Exit("mesos-agent", err)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("mesos-agent", flag.ContinueOnError)
	fs.SetOutput(os.Stdout)
	cfg := slave.DefaultConfig()
	var c daemon.Common
	daemon.AgentFlags(fs, &cfg, &c, true)
	if err := daemon.Parse(fs, args); err != nil {
		return err
	}
	if cfg.Master == "" {
		return daemon.Usagef("--master is required (e.g. --master=127.0.0.1:5050)")
	}
	if cfg.WorkDir == "" {
		return daemon.Usagef("--work_dir is required")
	}
	if err := daemon.CheckCommon(&c); err != nil {
		return err
	}
	log, err := daemon.Logger(&c, "mesos-agent")
	if err != nil {
		return err
	}
	// The detector reports on the agent's log while it finds no master.
	if cfg.Detector, err = detector.NewWithLogger(cfg.Master, log); err != nil {
		return daemon.Usagef("--master: %v", err)
	}
	cfg.LogFile = c.LogFile("mesos-agent")
	cfg.IP = c.AdvertisedIP()
	cfg.Hostname = c.Hostname
	// Check every flag before anything starts.
	if err := cfg.Validate(); err != nil {
		return daemon.Usage(err)
	}
	l, err := daemon.Listen(c.IP, cfg.Port)
	if err != nil {
		return err
	}
	var undo daemon.Undo
	undo.Add(func() { l.Close() })
	cfg.PortPicked = cfg.Port == 0
	cfg.Port = daemon.PortOf(l) // --port=0 picks one
	cfg.Flags = daemon.Values(fs)
	node, err := daemon.Node(&c, log)
	if err != nil {
		return undo.Fail(err)
	}
	undo.Add(node.Shutdown)
	rec, err := daemon.StartTracing(&c, "mesos-agent", node, log)
	if err != nil {
		return undo.Fail(err)
	}
	undo.Add(func() { daemon.CloseTrace(rec, log) })
	daemon.TraceExecutors(&c, &cfg)
	s, err := slave.New(node, cfg)
	if err != nil {
		return undo.Fail(err)
	}
	pid, err := s.Start()
	if err != nil {
		return undo.Fail(err)
	}
	// SIGTERM and SIGINT end the process but leave the executors running
	// for the next agent on this --work_dir to recover, as in Mesos.
	undo.Add(s.Exit)
	// SIGUSR1 unregisters from the master, shuts every executor down and
	// exits once they are gone.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			log.Info("received SIGUSR1; unregistering and shutting down")
			s.Shutdown("Received SIGUSR1 signal")
		}
	}()
	go func() {
		select {
		case <-s.CleanupDone():
			// --recover=cleanup: the old executors are gone and the
			// agent does not register.
			log.Info("recovery cleanup done; exiting")
		case <-s.Terminated():
			log.Info("agent shut down; exiting")
		}
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}()
	log.Infof("Agent started at %s; HTTP on http://%s", pid, l.Addr())
	mux := http.NewServeMux()
	h := s.Handler()
	// Mesos serves the agent's endpoints under its process id too.
	mux.Handle("/"+pid.ID+"/", http.StripPrefix("/"+pid.ID, h))
	daemon.MountTrace(mux, rec)
	mux.Handle("/", h)
	return daemon.Serve(l, mux, log, undo.Run, daemon.StopStreams(rec))
}
