// Command mesos-resolve prints the leading master of a master address
// (host:port, master@host:port, file:///path or zk://host:port,.../path),
// as Mesos' mesos-resolve does: its PID (master@ip:port) on stdout, or with
// --http the host:port of its HTTP endpoints. It exits 1 when no leader is
// found within --timeout, 2 on bad usage.
//
//	mesos-resolve zk://127.0.0.1:2181/mesos
//	curl http://$(mesos-resolve --http zk://127.0.0.1:2181/mesos)/master/state
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/internal/flagutil"
	"github.com/gomesos/gomesos/master"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mesos-resolve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("master", "", "The master address (or give it as the argument): host:port, master@host:port, file:///path or zk://[user:pass@]host:port,.../path.")
	timeout := 5 * time.Second
	fs.Var(flagutil.Duration{D: &timeout}, "timeout", "How long to wait for a leader.")
	httpAddr := fs.Bool("http", false, "Print the leader's HTTP host:port instead of its PID.")
	// The address may be given as an argument, as Mesos' mesos-resolve
	// takes it; flags are written --name=value.
	var flags, positional []string
	for _, a := range args {
		if len(a) > 0 && a[0] == '-' {
			flags = append(flags, a)
		} else {
			positional = append(positional, a)
		}
	}
	if err := flagutil.Parse(fs, flags, nil, stdout); err != nil {
		if errors.Is(err, flagutil.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "mesos-resolve: %v\n", err)
		return 2
	}
	switch {
	case len(positional) == 1 && *addr == "":
		*addr = positional[0]
	case len(positional) > 0 || *addr == "":
		fmt.Fprintln(stderr, "usage: mesos-resolve [--http] [--timeout=5secs] <master address>")
		return 2
	}
	if timeout <= 0 {
		fmt.Fprintf(stderr, "mesos-resolve: --timeout=%s: want a positive duration\n", flagutil.FormatDuration(timeout))
		return 2
	}
	d, err := detector.NewWithLogger(*addr, nil)
	if err != nil {
		fmt.Fprintf(stderr, "mesos-resolve: %v\n", err)
		return 2
	}
	if c, ok := d.(interface{ Close() }); ok {
		defer c.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	info, err := d.Detect(ctx, nil)
	if err != nil || info == nil {
		fmt.Fprintf(stderr, "mesos-resolve: no leading master found at %s within %s\n", *addr, flagutil.FormatDuration(timeout))
		return 1
	}
	if *httpAddr {
		if info.GetPort() == 0 {
			fmt.Fprintf(stderr, "mesos-resolve: the leader %s does not say where its HTTP endpoints are\n", info.GetPid())
			return 1
		}
		fmt.Fprintln(stdout, master.LeaderHostPort(info))
		return 0
	}
	fmt.Fprintln(stdout, info.GetPid())
	return 0
}
