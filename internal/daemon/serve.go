package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gomesos/gomesos/actors"
)

// Logger returns a logrus logger at the given Mesos logging level.
func Logger(level string) (*logrus.Logger, error) {
	name, err := Level(level)
	if err != nil {
		return nil, err
	}
	lvl, _ := logrus.ParseLevel(name)
	log := logrus.New()
	log.SetLevel(lvl)
	log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true})
	return log, nil
}

// Node starts the process' actor node from the common flags.
func Node(c *Common, log *logrus.Logger) (*actors.Node, error) {
	adv := c.AdvertiseIP
	if adv == "" {
		adv = c.IP
	}
	if net.ParseIP(c.IP) == nil {
		return nil, fmt.Errorf("--ip=%s is not an IP address", c.IP)
	}
	if net.ParseIP(adv) == nil {
		return nil, fmt.Errorf("--advertise_ip=%s is not an IP address", adv)
	}
	if c.RemotingPort < 0 || c.RemotingPort > 65535 {
		return nil, fmt.Errorf("--remoting_port=%d is out of range", c.RemotingPort)
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
		return nil, fmt.Errorf("--port=%d is out of range", port)
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
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	stop()
	return err
}

// Exit prints a flag or start-up error the way every binary does and exits.
func Exit(prog string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
	fmt.Fprintf(os.Stderr, "Run '%s --help' for the list of flags.\n", prog)
	os.Exit(2)
}

// PortOf returns the TCP port l listens on.
func PortOf(l net.Listener) int {
	if a, ok := l.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}
