// Command mesos-master runs a gomesos master: it pools the agents' resources
// and offers them to frameworks. Flags are Mesos'; see --help.
package main

import (
	"errors"
	"flag"
	"net/http"
	"os"

	"github.com/gomesos/gomesos/cmd/internal/daemon"
	"github.com/gomesos/gomesos/master"
	"github.com/gomesos/gomesos/webui"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		daemon.Exit("mesos-master", err)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("mesos-master", flag.ContinueOnError)
	fs.SetOutput(os.Stdout)
	cfg := master.DefaultConfig()
	var c daemon.Common
	daemon.MasterFlags(fs, &cfg, &c)
	var zk string
	fs.StringVar(&zk, "zk", "", "ZooKeeper URL for leader election (not supported yet).")
	if err := daemon.Parse(fs, args); err != nil {
		return err
	}
	if zk != "" {
		return daemon.Usagef("--zk=%s: ZooKeeper leader election is not supported yet; run a standalone master", zk)
	}
	if err := daemon.CheckCommon(&c); err != nil {
		return err
	}
	log, err := daemon.Logger(&c, "mesos-master")
	if err != nil {
		return err
	}
	cfg.LogFile = c.LogFile("mesos-master")
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
	cfg.Port = daemon.PortOf(l) // --port=0 picks one
	cfg.Flags = daemon.Values(fs)
	node, err := daemon.Node(&c, log)
	if err != nil {
		return undo.Fail(err)
	}
	undo.Add(node.Shutdown)
	rec, err := daemon.StartTracing(&c, "mesos-master", node, log)
	if err != nil {
		return undo.Fail(err)
	}
	undo.Add(func() { daemon.CloseTrace(rec, log) })
	m, err := master.New(node, cfg)
	if err != nil {
		return undo.Fail(err)
	}
	pid, err := m.Start()
	if err != nil {
		return undo.Fail(err)
	}
	undo.Add(m.Stop)
	log.Infof("Master %s started at %s; HTTP on http://%s", m.Info().GetId(), pid, l.Addr())
	mux := http.NewServeMux()
	daemon.MountTrace(mux, rec)
	// The web UI at "/" (its files under /static/), the master's endpoints
	// everywhere else.
	mux.Handle("/", webui.Handler(m.Handler()))
	return daemon.Serve(l, mux, log, undo.Run, daemon.StopStreams(rec))
}
