// Command mesos-master runs a gomesos master: it pools the agents' resources
// and offers them to frameworks. Flags are Mesos'; see --help.
package main

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"time"

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
	var ha daemon.HA
	daemon.HAFlags(fs, &ha)
	if err := daemon.Parse(fs, args); err != nil {
		return err
	}
	if err := daemon.CheckCommon(&c); err != nil {
		return err
	}
	zkURL, registryKind, err := ha.Resolve()
	if err != nil {
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
	cfg.RegistryFetchTimeout, cfg.RegistryStoreTimeout = ha.RegistryFetchTimeout, ha.RegistryStoreTimeout
	cfg.RegistryMaxAgentAge, cfg.RegistryMaxAgentCount = ha.RegistryMaxAgentAge, ha.RegistryMaxAgentCount
	cfg.RegistryGCInterval = ha.RegistryGCInterval
	opts, closeHA, err := daemon.Election(zkURL, ha.ZKSessionTimeout, registryKind, log)
	if err != nil {
		return undo.Fail(err)
	}
	undo.Add(closeHA)
	sup, err := master.NewSupervisor(node, cfg, opts)
	if err != nil {
		return undo.Fail(err)
	}
	if _, err := sup.Start(); err != nil {
		return undo.Fail(err)
	}
	undo.Add(sup.Stop)
	if zkURL == "" {
		// Standalone: the master leads at once; serve once it does.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := sup.Await(ctx, master.Leading)
		cancel()
		if err != nil {
			return undo.Fail(err)
		}
		log.Infof("Master started at %s@%s (standalone); HTTP on http://%s", master.ProcessID, node.Address(), l.Addr())
	} else {
		log.WithField("registry", registryKind).Infof("Master contending for leadership in %s at %s@%s; HTTP on http://%s",
			daemon.RedactZK(zkURL), master.ProcessID, node.Address(), l.Addr())
	}
	mux := http.NewServeMux()
	daemon.MountTrace(mux, rec)
	// The web UI at "/" (its files under /static/), the master's endpoints
	// everywhere else (a standby's redirect to the leader).
	sh := sup.Handler()
	mux.Handle("/", webui.Handler(sh))
	onShutdown := []func(){daemon.StopStreams(rec)}
	if c, ok := sh.(interface{ CloseStreams() }); ok {
		onShutdown = append(onShutdown, c.CloseStreams) // /master/stream
	}
	return daemon.Serve(l, mux, log, undo.Run, onShutdown...)
}
