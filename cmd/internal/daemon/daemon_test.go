package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

func TestParseErrorsAreUsageErrors(t *testing.T) {
	newFS := func() *flag.FlagSet {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		fs.Int("port", 1, "")
		return fs
	}
	var ue *UsageError
	for _, args := range [][]string{{"--bogus"}, {"--port=x"}, {"extra"}} {
		if err := Parse(newFS(), args); !errors.As(err, &ue) {
			t.Errorf("Parse(%v) = %v (%T), want a UsageError", args, err, err)
		}
	}
	if err := Parse(newFS(), []string{"--help"}); !errors.Is(err, flag.ErrHelp) || errors.As(err, &ue) {
		t.Errorf("Parse(--help) = %v, want ErrHelp", err)
	}
	if err := Parse(newFS(), []string{"--port=2"}); err != nil {
		t.Errorf("Parse(--port=2) = %v", err)
	}
}

func TestReport(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		hint bool
	}{
		{Usagef("--bogus"), 2, true},
		{fmt.Errorf("starting: %w", Usagef("--ip=x is not an IP address")), 2, true},
		{Usage(Usage(errors.New("twice"))), 2, true},
		{errors.New("cannot listen on 127.0.0.1:5050: address already in use"), 1, false},
	} {
		var out bytes.Buffer
		code := report(&out, "mesos-master", tc.err)
		hint := strings.Contains(out.String(), "Run 'mesos-master --help' for the list of flags.")
		if code != tc.code || hint != tc.hint || !strings.HasPrefix(out.String(), "mesos-master: "+tc.err.Error()+"\n") {
			t.Errorf("report(%v): code %d, output %q; want code %d, hint %v", tc.err, code, out.String(), tc.code, tc.hint)
		}
	}
	if Usage(nil) != nil {
		t.Error("Usage(nil) != nil")
	}
}

func TestCheckCommonAndListen(t *testing.T) {
	ok := Common{IP: "127.0.0.1", LoggingLevel: "INFO"}
	if err := CheckCommon(&ok); err != nil {
		t.Fatal(err)
	}
	var ue *UsageError
	for _, c := range []Common{
		{IP: "nowhere", LoggingLevel: "INFO"},
		{IP: "127.0.0.1", AdvertiseIP: "nowhere", LoggingLevel: "INFO"},
		{IP: "127.0.0.1", RemotingPort: 70000, LoggingLevel: "INFO"},
		{IP: "127.0.0.1", LoggingLevel: "LOUD"},
		{IP: "127.0.0.1", LoggingLevel: "INFO", TraceRingSize: -1},
	} {
		if err := CheckCommon(&c); !errors.As(err, &ue) {
			t.Errorf("CheckCommon(%+v) = %v, want a UsageError", c, err)
		}
	}

	if _, err := Listen("127.0.0.1", 70000); !errors.As(err, &ue) {
		t.Errorf("Listen(70000) = %v, want a UsageError", err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if l, err := Listen("127.0.0.1", PortOf(busy)); err == nil {
		l.Close()
		t.Fatal("Listen on a busy port worked")
	} else if errors.As(err, &ue) || !strings.Contains(err.Error(), "cannot listen on") {
		t.Errorf("Listen on a busy port = %v (%T), want a plain error", err, err)
	}
}

// Once Serve shuts down, protoactor's warnings are dropped unless the
// logger is at DEBUG; everything else still shows.
func TestRemotingFilter(t *testing.T) {
	for _, tc := range []struct {
		level      string
		quietShows bool
	}{{"INFO", false}, {"WARNING", false}, {"VERBOSE", true}} {
		log, err := Logger(&Common{LoggingLevel: tc.level}, "test")
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		log.SetOutput(&out)
		proto := log.WithField("component", "protoactor")

		proto.Warn("before")
		quietRemoting(log)
		proto.Warn("churn")
		proto.Error("broken")
		log.Warn("ours")
		log.WithField("component", "master").Warn("master's")

		got := out.String()
		for _, want := range []string{"before", "broken", "ours", "master's"} {
			if !strings.Contains(got, want) {
				t.Errorf("%s: %q missing from\n%s", tc.level, want, got)
			}
		}
		if strings.Contains(got, "churn") != tc.quietShows {
			t.Errorf("%s: protoactor warning after shutdown shown=%v, want %v:\n%s", tc.level, !tc.quietShows, tc.quietShows, got)
		}
	}
	quietRemoting(logrus.New()) // a logger not from Logger: nothing to do
}

func TestUndoRunsNewestFirstOnce(t *testing.T) {
	var got []int
	var u Undo
	u.Add(func() { got = append(got, 1) })
	u.Add(func() { got = append(got, 2) })
	if err := u.Fail(errTest); err != errTest {
		t.Fatalf("Fail returned %v", err)
	}
	u.Run()
	if len(got) != 2 || got[0] != 2 || got[1] != 1 {
		t.Fatalf("ran %v, want [2 1] once", got)
	}
	if ip := (&Common{IP: "127.0.0.1"}).AdvertisedIP(); ip != "127.0.0.1" {
		t.Fatalf("AdvertisedIP = %s", ip)
	}
	if ip := (&Common{IP: "0.0.0.0", AdvertiseIP: "10.1.2.3"}).AdvertisedIP(); ip != "10.1.2.3" {
		t.Fatalf("AdvertisedIP = %s", ip)
	}
}

var errTest = errors.New("test")

// --log_dir writes the log to <log_dir>/<prog>.log as well; --log_format
// picks text or JSON; levels are Mesos' names in any case.
func TestLoggingFlags(t *testing.T) {
	dir := t.TempDir() + "/logs"
	c := &Common{LoggingLevel: "warning", LogDir: dir, LogFormat: "JSON"}
	log, err := Logger(c, "mesos-master")
	if err != nil {
		t.Fatal(err)
	}
	log.WithField("agent_id", "a1").Warn("agent gone")
	log.Info("not at warning")
	b, err := os.ReadFile(c.LogFile("mesos-master"))
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(b), &line); err != nil {
		t.Fatalf("log file is not one JSON line: %v\n%s", err, b)
	}
	if line["msg"] != "agent gone" || line["agent_id"] != "a1" || line["level"] != "warning" {
		t.Errorf("log line %v", line)
	}
	if !strings.HasSuffix(c.LogFile("mesos-master"), "/logs/mesos-master.log") || (&Common{}).LogFile("x") != "" {
		t.Errorf("LogFile = %q", c.LogFile("mesos-master"))
	}

	for _, tc := range []struct {
		c  Common
		ok bool
	}{
		{Common{LoggingLevel: "info"}, true},
		{Common{LoggingLevel: "ERROR", LogFormat: "text"}, true},
		{Common{LoggingLevel: "loud"}, false},
		{Common{LoggingLevel: "INFO", LogFormat: "xml"}, false},
	} {
		tc.c.IP = "127.0.0.1"
		err := CheckCommon(&tc.c)
		var ue *UsageError
		if (err == nil) != tc.ok || err != nil && !errors.As(err, &ue) {
			t.Errorf("CheckCommon(%+v) = %v", tc.c, err)
		}
	}
}

func TestHAFlags(t *testing.T) {
	parse := func(args ...string) (HA, error) {
		fs := flag.NewFlagSet("mesos-master", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var h HA
		HAFlags(fs, &h)
		return h, Parse(fs, args)
	}
	h, err := parse()
	if err != nil {
		t.Fatal(err)
	}
	if zk, reg, err := h.Resolve(); err != nil || zk != "" || reg != RegistryInMemory || h.ZKSessionTimeout != 10*time.Second {
		t.Fatalf("defaults: %q %q %v, session %v", zk, reg, err, h.ZKSessionTimeout)
	}

	// file:// holds the URL; --registry defaults to zk with --zk.
	file := filepath.Join(t.TempDir(), "zk")
	if err := os.WriteFile(file, []byte("zk://127.0.0.1:2181,127.0.0.1:2182/mesos\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err = parse("--zk=file://"+file, "--zk_session_timeout=2secs", "--quorum=2")
	if err != nil {
		t.Fatal(err)
	}
	zk, reg, err := h.Resolve()
	if err != nil || zk != "zk://127.0.0.1:2181,127.0.0.1:2182/mesos" || reg != RegistryZK || h.ZKSessionTimeout != 2*time.Second {
		t.Fatalf("file://: %q %q %v", zk, reg, err)
	}

	// MESOS_<FLAG> works as for every flag.
	t.Setenv("MESOS_ZK", "zk://127.0.0.1:2181/env")
	t.Setenv("MESOS_REGISTRY", "in_memory")
	h, err = parse()
	if err != nil {
		t.Fatal(err)
	}
	if zk, reg, err := h.Resolve(); err != nil || zk != "zk://127.0.0.1:2181/env" || reg != RegistryInMemory {
		t.Fatalf("from the environment: %q %q %v", zk, reg, err)
	}

	// A bad URL is a usage error that does not show the password.
	h, _ = parse("--zk=zk://jo:secret@127.0.0.1:2181")
	_, _, err = h.Resolve()
	var ue *UsageError
	if !errors.As(err, &ue) || strings.Contains(err.Error(), "secret") {
		t.Fatalf("bad --zk: %v", err)
	}
}
