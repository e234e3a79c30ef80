package tests

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/slave/containerizer"
	"github.com/gomesos/gomesos/tests/harness"
)

// BenchmarkAgentsReregister measures how long GOMESOS_BENCH_AGENTS agents
// (default 1,000) in this one process, on one actor node, take to
// reregister with a standalone master (bin/mesos-master) killed with -9
// and restarted on the same port. Each agent has its own work dir, the
// in-memory containerizer (no executors) and the HTTP detector on the
// master's address. The clock starts when the restarted master serves
// HTTP and stops when its master/slaves_active reaches the count. Mesos'
// agent waits a random part of --registration_backoff_factor (1 s) before
// it reregisters; the HTTP detector polls every second.
//
//	GOMESOS_BIN_DIR=$PWD/bin go test -run '^$' -bench AgentsReregister -benchtime 1x -timeout 20m ./tests/
func BenchmarkAgentsReregister(b *testing.B) {
	n := 1000
	if v := os.Getenv("GOMESOS_BENCH_AGENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("GOMESOS_BENCH_AGENTS=%q", v)
		}
	}
	port := freePort(b)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	startMaster := func() *harness.Proc {
		m := harness.StartProc(b, "mesos-master", "--ip=127.0.0.1", "--port="+strconv.Itoa(port))
		m.WaitOutput(b, harness.HTTPAddr, 60*time.Second)
		return m
	}
	master := startMaster()

	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	node, err := actors.NewNode(actors.Config{Host: "127.0.0.1", Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(node.Shutdown)
	det, err := detector.NewWithLogger(addr, nil)
	if err != nil {
		b.Fatal(err)
	}
	work := harness.TempDir(b)
	for i := 1; i <= n; i++ {
		cfg := slave.DefaultConfig()
		cfg.ID = fmt.Sprintf("slave(%d)", i)
		cfg.Detector = det
		cfg.IP, cfg.Port, cfg.Hostname = "127.0.0.1", 20000+i, "localhost"
		cfg.WorkDir = filepath.Join(work, strconv.Itoa(i))
		cfg.Resources = "cpus:1;mem:1024;disk:1024;ports:[31000-31100]"
		cfg.Containerizer = containerizer.NewInMem()
		a, err := slave.New(node, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(a.Stop)
	}
	t0 := time.Now()
	waitActive(b, addr, n, 5*time.Minute)
	b.Logf("%d agents registered in %v", n, time.Since(t0).Round(time.Millisecond))

	b.ResetTimer()
	var total, worst time.Duration
	for i := 0; i < b.N; i++ {
		master.Kill()
		master = startMaster()
		t1 := time.Now()
		waitActive(b, addr, n, 5*time.Minute)
		d := time.Since(t1)
		total += d
		worst = max(worst, d)
		b.Logf("%d agents reregistered %v after the restarted master served HTTP", n, d.Round(time.Millisecond))
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "reregister-s")
	b.ReportMetric(worst.Seconds(), "worst-s")
}

// waitActive polls the master's master/slaves_active until it is n.
func waitActive(b *testing.B, addr string, n int, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	last := -1.0
	for time.Now().Before(deadline) {
		m, err := harness.GetJSON("http://" + addr + "/metrics/snapshot")
		if err == nil {
			if v, _ := m["master/slaves_active"].(float64); v == float64(n) {
				return
			} else {
				last = v
			}
		}
		time.Sleep(20 * time.Millisecond) // polling an outside process
	}
	b.Fatalf("%v agents active after %v, want %d", last, timeout, n)
}

func freePort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
