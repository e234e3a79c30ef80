package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gomesos/gomesos/actors"
)

// Logger returns the logrus logger of the daemon prog as the common flags
// ask: at --logging_level, in --log_format (text or json), on stderr and,
// with --log_dir, appended to <log_dir>/<prog>.log as well (the file stays
// open for the life of the process). Serve quietens its protoactor lines
// once the process shuts down (see remotingFilter).
func Logger(c *Common, prog string) (*logrus.Logger, error) {
	name, err := Level(c.LoggingLevel)
	if err != nil {
		return nil, err
	}
	format, err := LogFormatter(c.LogFormat)
	if err != nil {
		return nil, err
	}
	lvl, _ := logrus.ParseLevel(name)
	log := logrus.New()
	log.SetLevel(lvl)
	log.SetFormatter(&remotingFilter{Formatter: format})
	if path := c.LogFile(prog); path != "" {
		if err := os.MkdirAll(c.LogDir, 0o755); err != nil {
			return nil, fmt.Errorf("--log_dir: %v", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("--log_dir: %v", err)
		}
		log.SetOutput(io.MultiWriter(os.Stderr, f))
	}
	return log, nil
}

// LogFile is the file the daemon prog logs to under --log_dir ("" when
// --log_dir is not set).
func (c *Common) LogFile(prog string) string {
	if c.LogDir == "" {
		return ""
	}
	abs, err := filepath.Abs(filepath.Join(c.LogDir, prog+".log"))
	if err != nil {
		return filepath.Join(c.LogDir, prog+".log")
	}
	return abs
}

// LogFormatter maps --log_format to a logrus formatter: "text" (the
// default) or "json", in any case.
func LogFormatter(name string) (logrus.Formatter, error) {
	switch strings.ToLower(name) {
	case "", "text":
		return &logrus.TextFormatter{FullTimestamp: true}, nil
	case "json":
		return &logrus.JSONFormatter{}, nil
	}
	return nil, Usagef("--log_format=%s: want text or json", name)
}

// remotingFilter drops protoactor's warnings (entries with
// component=protoactor below Error: connection failures, lost connections)
// once quiet is set, unless the logger is at DEBUG or more verbose. Serve
// sets it when the process starts shutting down: every peer the node then
// fails to reach (schedulers and executors long gone, peers closing too)
// went away on purpose or no longer matters.
type remotingFilter struct {
	logrus.Formatter
	quiet atomic.Bool
}

func (f *remotingFilter) Format(e *logrus.Entry) ([]byte, error) {
	if f.quiet.Load() && e.Level > logrus.ErrorLevel && e.Data["component"] == "protoactor" &&
		!e.Logger.IsLevelEnabled(logrus.DebugLevel) {
		return nil, nil
	}
	return f.Formatter.Format(e)
}

// quietRemoting sets the remotingFilter of log, if it has one.
func quietRemoting(log *logrus.Logger) {
	if f, ok := log.Formatter.(*remotingFilter); ok {
		f.quiet.Store(true)
	}
}

// Node starts the process' actor node from the common flags.
func Node(c *Common, log *logrus.Logger) (*actors.Node, error) {
	adv := c.AdvertisedIP()
	if err := CheckCommon(c); err != nil {
		return nil, err
	}
	return actors.NewNode(actors.Config{
		Host:          c.IP,
		Port:          c.RemotingPort,
		AdvertiseHost: adv,
		Logger:        log,
	})
}

// Listen opens the HTTP listener, with an error that names the address.
func Listen(ip string, port int) (net.Listener, error) {
	if port < 0 || port > 65535 {
		return nil, Usagef("--port=%d is out of range", port)
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %v", addr, err)
	}
	return l, nil
}

// Serve serves h on l until SIGINT or SIGTERM, then calls stop and returns.
// onShutdown functions run when the server starts shutting down, before it
// waits for open requests: they end long-lived responses (event streams).
func Serve(l net.Listener, h http.Handler, log *logrus.Logger, stop func(), onShutdown ...func()) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	for _, f := range onShutdown {
		srv.RegisterOnShutdown(f)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)
	var err error
	select {
	case s := <-sig:
		log.Infof("Received %v; shutting down", s)
	case err = <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	quietRemoting(log)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	stop()
	return err
}

// Exit prints a flag or start-up error the way every binary does and
// exits: 2 with a "--help" hint for a UsageError, 1 for any other error.
func Exit(prog string, err error) {
	os.Exit(report(os.Stderr, prog, err))
}

// report prints err for Exit and returns the exit code.
func report(w io.Writer, prog string, err error) int {
	fmt.Fprintf(w, "%s: %v\n", prog, err)
	var ue *UsageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "Run '%s --help' for the list of flags.\n", prog)
		return 2
	}
	return 1
}

// PortOf returns the TCP port l listens on.
func PortOf(l net.Listener) int {
	if a, ok := l.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Undo collects what a daemon's start-up has built (listener, node, trace
// file, processes), so that a failure at any later step tears down exactly
// what exists, newest first.
type Undo []func()

// Add registers f to run if start-up fails from here on.
func (u *Undo) Add(f func()) { *u = append(*u, f) }

// Run runs every registered step, newest first, once. It is also the
// daemon's orderly shutdown once start-up has succeeded.
func (u *Undo) Run() {
	for i := len(*u) - 1; i >= 0; i-- {
		(*u)[i]()
	}
	*u = nil
}

// Fail runs the steps and returns err.
func (u *Undo) Fail(err error) error {
	u.Run()
	return err
}

// AdvertisedIP is the IP peers reach this process on: --advertise_ip, or
// --ip when that is not given.
func (c *Common) AdvertisedIP() string {
	if c.AdvertiseIP != "" {
		return c.AdvertiseIP
	}
	return c.IP
}
