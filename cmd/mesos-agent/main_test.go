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
		{[]string{"--work_dir=" + dir}, "--master is required"},
		{[]string{"--master=127.0.0.1:5050"}, "--work_dir is required"},
		{[]string{"--master=127.0.0.1:5050", "--work_dir=" + dir, "--resources=cpus:lots"}, "--resources"},
		{[]string{"--master=zk://127.0.0.1:2181", "--work_dir=" + dir}, "znode path"},
		{[]string{"--master=http://127.0.0.1:5050/master", "--work_dir=" + dir}, "path"},
		{[]string{"--master=127.0.0.1:5050", "--work_dir=" + dir, "--ip=nowhere"}, "--ip"},
		{[]string{"--master=127.0.0.1:5050", "--work_dir=" + dir, "--bogus"}, "bogus"},
		{[]string{"--master=127.0.0.1:5050", "--work_dir=" + dir, "--reconfiguration_policy=bigger"}, `--reconfiguration_policy="bigger": must be "equal" or "additive"`},
		{[]string{"--master=127.0.0.1:5050", "--work_dir=" + dir, "--executor_reregistration_retry_interval=soon"}, "executor_reregistration_retry_interval"},
	} {
		args := append([]string{"--ip=127.0.0.1", "--port=" + port}, tc.args...)
		err := run(args)
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (%T), want a UsageError about %s", tc.args, err, err, tc.want)
		}
	}

	err := run([]string{"--ip=127.0.0.1", "--port=" + port, "--master=127.0.0.1:5050", "--work_dir=" + dir})
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "cannot listen") {
		t.Errorf("busy port: %v (%T), want a plain listen error", err, err)
	}
}
