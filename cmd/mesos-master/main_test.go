package main

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/gomesos/gomesos/cmd/internal/daemon"
)

func TestFlagsCheckedBeforeStarting(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	var ue *daemon.UsageError
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--zk=127.0.0.1:2181/mesos"}, "--zk"},
		{[]string{"--zk=zk://127.0.0.1:2181"}, "--zk"},
		{[]string{"--zk=file:///nonexistent/zk"}, "--zk"},
		{[]string{"--registry=zk"}, "needs --zk"},
		{[]string{"--registry=replicated_log", "--zk=zk://127.0.0.1:2181/mesos"}, "replicated_log"},
		{[]string{"--registry=disk"}, "--registry"},
		{[]string{"--zk=zk://127.0.0.1:2181/mesos", "--zk_session_timeout=0secs"}, "zk_session_timeout"},
		{[]string{"--registry_store_timeout=-1secs"}, "registry_store_timeout"},
		{[]string{"--registry_max_agent_count=0"}, "registry_max_agent_count"},
		{[]string{"--quorum=-1"}, "quorum"},
		{[]string{"--allocation_interval=0secs"}, "allocation_interval"},
		{[]string{"--weights=a=x"}, "weights"},
		{[]string{"--agent_removal_rate_limit=fast"}, "agent_removal_rate_limit"},
		{[]string{"--agent_removal_rate_limit=0/10mins"}, "agent_removal_rate_limit"},
		{[]string{"--advertise_ip=nowhere"}, "--advertise_ip"},
		{[]string{"--bogus"}, "bogus"},
	} {
		err := run(append([]string{"--ip=127.0.0.1", "--port=" + port}, tc.args...))
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (%T), want a UsageError about %s", tc.args, err, err, tc.want)
		}
	}

	// A port in use is not a flag error: no --help hint.
	err = run([]string{"--ip=127.0.0.1", "--port=" + port})
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "cannot listen") {
		t.Errorf("busy port: %v (%T), want a plain listen error", err, err)
	}
}
