package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/detector/zkgroup"
	"github.com/gomesos/gomesos/internal/zktest"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/tests/harness"
)

// BenchmarkFailover measures a failover of highly available masters: three
// mesos-master processes on a real ZooKeeper and N agents following zk://
// (all in this process, on one actor node, sharing one detector). Each
// iteration kills the leader with -9 and reports the seconds until a
// standby leads (s-to-leader) and until it has every agent back
// (s-to-agents), then starts a master to replace the killed one.
//
//	FAILOVER_AGENTS=100,1000 go test -run '^$' -bench Failover -benchtime 3x ./tests/
//
// Agents default to 100; session timeouts are 2secs and 10secs.
func BenchmarkFailover(b *testing.B) {
	counts := []int{100}
	if s := os.Getenv("FAILOVER_AGENTS"); s != "" {
		counts = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				b.Fatalf("FAILOVER_AGENTS=%s: want a list of agent counts", s)
			}
			counts = append(counts, n)
		}
	}
	for _, n := range counts {
		for _, session := range []string{"2secs", "10secs"} {
			b.Run(fmt.Sprintf("agents=%d/session=%s", n, session), func(b *testing.B) { benchFailover(b, n, session) })
		}
	}
}

func benchFailover(b *testing.B, agents int, session string) {
	zk := zktest.Start(b)
	zkURL := "zk://" + zk.Addr + "/mesos"
	var ms []*haMaster
	start := func() {
		p := harness.StartProc(b, "mesos-master", "--ip=127.0.0.1", "--hostname=127.0.0.1", "--port=0",
			"--zk="+zkURL, "--zk_session_timeout="+session)
		ms = append(ms, &haMaster{proc: p, addr: p.WaitOutput(b, harness.HTTPAddr, wait)})
	}
	for range 3 {
		start()
	}
	startAgents(b, agents, zkURL)
	b.StopTimer()
	var toLeader, toAgents time.Duration
	for i := 0; i < b.N; i++ {
		leader := waitLeaderWith(b, ms, agents, 2*time.Minute)
		b.StartTimer()
		leader.proc.Kill()
		killed := time.Now()
		var rest []*haMaster
		for _, m := range ms {
			if m != leader {
				rest = append(rest, m)
			}
		}
		next := waitLeaderWith(b, rest, 0, time.Minute)
		elected := time.Since(killed)
		waitLeaderWith(b, []*haMaster{next}, agents, 2*time.Minute)
		back := time.Since(killed)
		b.StopTimer()
		toLeader += elected
		toAgents += back
		b.Logf("agents=%d session=%s: new leader after %v, every agent back after %v", agents, session,
			elected.Round(time.Millisecond), back.Round(time.Millisecond))
		ms = rest
		start()
	}
	b.ReportMetric(toLeader.Seconds()/float64(b.N), "s-to-leader")
	b.ReportMetric(toAgents.Seconds()/float64(b.N), "s-to-agents")
}

// waitLeaderWith waits until one of ms says (in /metrics/snapshot) that it
// leads with at least agents active agents, and returns it.
func waitLeaderWith(b *testing.B, ms []*haMaster, agents int, within time.Duration) *haMaster {
	b.Helper()
	var leader *haMaster
	harness.Eventually(b, within, func() bool {
		for _, m := range ms {
			snap, err := harness.GetJSON("http://" + m.addr + "/metrics/snapshot")
			if err == nil && snap["master/elected"] == float64(1) && snap["master/slaves_active"].(float64) >= float64(agents) {
				leader = m
				return true
			}
		}
		return false
	}, fmt.Sprintf("a leader with %d agents", agents))
	return leader
}

// startAgents runs n agents in this process, following zkURL.
func startAgents(b *testing.B, n int, zkURL string) {
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	node, err := actors.NewNode(actors.Config{Host: "127.0.0.1", Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	u, err := zkgroup.ParseURL(zkURL)
	if err != nil {
		b.Fatal(err)
	}
	det := detector.NewZooKeeper(u, 0, log)
	work := b.TempDir()
	var agents []*slave.Slave
	b.Cleanup(func() {
		for _, a := range agents {
			a.Stop()
		}
		det.Close()
		node.Shutdown()
	})
	bins := harness.Binaries(b)
	for i := 1; i <= n; i++ {
		cfg := slave.DefaultConfig()
		cfg.ID = fmt.Sprintf("slave(%d)", i)
		cfg.Detector = det
		cfg.IP, cfg.Port, cfg.Hostname = "127.0.0.1", 1, "127.0.0.1"
		cfg.WorkDir = filepath.Join(work, strconv.Itoa(i))
		cfg.Resources = "cpus:1;mem:512"
		cfg.LauncherDir = bins
		a, err := slave.New(node, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Start(); err != nil {
			b.Fatal(err)
		}
		agents = append(agents, a)
	}
}
