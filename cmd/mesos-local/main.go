// Command mesos-local runs a whole cluster in one process: a master and
// --num_slaves agents sharing one actor endpoint and one HTTP port (the
// master's endpoints at /, agent N's at /slave(N)/).
package main

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomesos/gomesos/cmd/internal/daemon"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/webui"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		daemon.Exit("mesos-local", err)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("mesos-local", flag.ContinueOnError)
	fs.SetOutput(os.Stdout)
	mcfg := master.DefaultConfig()
	acfg := slave.DefaultConfig()
	var c daemon.Common
	daemon.MasterFlags(fs, &mcfg, &c)
	if f := fs.Lookup("trace_file"); f != nil {
		f.Usage = strings.Replace(f.Usage, " gomesos only.", daemon.ExecutorTraceNote+" gomesos only.", 1)
	}
	// The agent flags apply to every agent; --work_dir is the cluster's.
	agentFlags := flag.NewFlagSet("agent", flag.ContinueOnError)
	var ignored daemon.Common
	daemon.AgentFlags(agentFlags, &acfg, &ignored, false)
	agentFlags.VisitAll(func(f *flag.Flag) {
		if fs.Lookup(f.Name) == nil {
			fs.Var(f.Value, f.Name, f.Usage)
		}
	})
	numSlaves := fs.Int("num_slaves", 1, "Number of agents to run.")
	if err := daemon.Parse(fs, args); err != nil {
		return err
	}
	if *numSlaves < 1 || *numSlaves > 256 {
		return daemon.Usagef("--num_slaves=%d: want 1 to 256", *numSlaves)
	}
	if err := daemon.CheckCommon(&c); err != nil {
		return err
	}
	if c.WorkDir == "" {
		c.WorkDir = filepath.Join(os.TempDir(), "mesos", "local")
	}
	log, err := daemon.Logger(&c, "mesos-local")
	if err != nil {
		return err
	}
	mcfg.LogFile = c.LogFile("mesos-local")
	mcfg.IP = c.AdvertisedIP()
	mcfg.Hostname = c.Hostname
	// Check the master's and the agents' flags before anything starts. The
	// agents follow the master through det, appointed once it runs.
	if err := mcfg.Validate(); err != nil {
		return daemon.Usage(err)
	}
	det := detector.NewStandalone(nil)
	daemon.TraceExecutors(&c, &acfg)
	acfg.LogFile = c.LogFile("mesos-local") // every agent serves the process' log
	agentCfgs := make([]slave.Config, *numSlaves)
	for i := range agentCfgs {
		cfg := acfg
		cfg.ID = fmt.Sprintf("slave(%d)", i+1)
		cfg.Detector = det
		cfg.IP = mcfg.IP
		cfg.Port = mcfg.Port
		cfg.Hostname = mcfg.Hostname
		cfg.WorkDir = filepath.Join(c.WorkDir, fmt.Sprintf("agent%d", i+1))
		if err := cfg.Validate(); err != nil {
			return daemon.Usage(err)
		}
		agentCfgs[i] = cfg
	}

	l, err := daemon.Listen(c.IP, mcfg.Port)
	if err != nil {
		return err
	}
	var undo daemon.Undo
	undo.Add(func() { l.Close() })
	mcfg.Port = daemon.PortOf(l) // --port=0 picks one
	mcfg.Flags = daemon.Values(fs)
	node, err := daemon.Node(&c, log)
	if err != nil {
		return undo.Fail(err)
	}
	undo.Add(node.Shutdown)
	rec, err := daemon.StartTracing(&c, "mesos-local", node, log)
	if err != nil {
		return undo.Fail(err)
	}
	undo.Add(func() { daemon.CloseTrace(rec, log) })
	m, err := master.New(node, mcfg)
	if err != nil {
		return undo.Fail(err)
	}
	if _, err := m.Start(); err != nil {
		return undo.Fail(err)
	}
	undo.Add(m.Stop)
	det.Appoint(m.Info())
	mux := http.NewServeMux()
	for _, cfg := range agentCfgs {
		cfg.Port = mcfg.Port
		cfg.Flags = daemon.Values(fs)
		a, err := slave.New(node, cfg)
		if err != nil {
			return undo.Fail(err)
		}
		pid, err := a.Start()
		if err != nil {
			return undo.Fail(err)
		}
		undo.Add(a.Stop)
		mux.Handle("/"+pid.ID+"/", http.StripPrefix("/"+pid.ID, a.Handler()))
	}
	daemon.MountTrace(mux, rec)
	// The web UI at "/" (its files under /static/), the master's endpoints
	// everywhere else.
	mh := m.Handler()
	mux.Handle("/", webui.Handler(mh))
	log.Infof("mesos-local: master %s and %d agents; HTTP on http://%s", m.PID(), *numSlaves, l.Addr())
	onShutdown := []func(){daemon.StopStreams(rec)}
	if c, ok := mh.(interface{ CloseStreams() }); ok {
		onShutdown = append(onShutdown, c.CloseStreams) // /master/stream
	}
	return daemon.Serve(l, mux, log, undo.Run, onShutdown...)
}
