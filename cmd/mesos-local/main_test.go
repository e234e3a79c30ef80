package main

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/gomesos/gomesos/cmd/internal/daemon"
)

// busyPort holds a port, so that run fails at once if it gets as far as
// listening: an error about the flags then proves they were checked first.
func busyPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func TestFlagsCheckedBeforeStarting(t *testing.T) {
	port := busyPort(t)
	dir := t.TempDir()
	var ue *daemon.UsageError
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--resources=cpus:lots"}, "--resources"},
		{[]string{"--attributes=rack"}, "--attributes"},
		{[]string{"--isolation=nope"}, "--isolation"},
		{[]string{"--num_slaves=0"}, "--num_slaves"},
		{[]string{"--allocation_interval=0secs"}, "allocation_interval"},
		{[]string{"--ip=nowhere"}, "--ip"},
		{[]string{"--logging_level=LOUD"}, "--logging_level"},
		{[]string{"--bogus"}, "bogus"},
	} {
		args := append([]string{"--ip=127.0.0.1", "--port=" + port, "--work_dir=" + dir}, tc.args...)
		err := run(args)
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (%T), want a UsageError about %s", tc.args, err, err, tc.want)
		}
	}

	// Good flags get as far as listening; a busy port is not a flag error.
	err := run([]string{"--ip=127.0.0.1", "--port=" + port, "--work_dir=" + dir, "--resources=cpus:1;mem:64"})
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "cannot listen") {
		t.Errorf("busy port: %v (%T), want a plain listen error", err, err)
	}
}
