package contender

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gomesos/gomesos/internal/zktest"
)

// TestZooKeeperFailoverTimes measures, for BENCHMARKS.md, how long after
// the leader's session is cut off a standby is elected and a detector
// follows it, at session timeouts of 2 s and 10 s. It runs only with
// ZK_MEASURE=1 (it takes about a minute):
//
//	ZK_MEASURE=1 go test -run FailoverTimes -v ./master/contender/
func TestZooKeeperFailoverTimes(t *testing.T) {
	if os.Getenv("ZK_MEASURE") != "1" {
		t.Skip("set ZK_MEASURE=1 to measure failover times")
	}
	for _, timeout := range []time.Duration{2 * time.Second, 10 * time.Second} {
		for _, fault := range []string{"partition", "connection closed"} {
			t.Run(fmt.Sprintf("%v/%s", timeout, fault), func(t *testing.T) {
				srv := zktest.Start(t, zktest.Options{TickTime: 500 * time.Millisecond})
				proxy := zktest.NewProxy(t, srv.Addr)
				d := zkDetector(t, srv.Addr, "/mesos", timeout)
				a := contendZK(t, proxy.Addr, "/mesos", timeout, "a")
				await(t, a.Elected(), "a elected")
				b := contendZK(t, srv.Addr, "/mesos", timeout, "b")
				leader := detect(t, d, nil)
				start := time.Now()
				if fault == "partition" {
					proxy.Freeze()
				} else {
					proxy.Close()
				}
				lostAt, electedAt := when(a.Lost(), start), when(b.Elected(), start)
				next := detect(t, d, leader)
				detected := time.Since(start)
				lost, elected := <-lostAt, <-electedAt
				if next.GetId() != "b" {
					t.Fatalf("detected %v", next)
				}
				t.Logf("MEASURE timeout=%v fault=%q tick=500ms: old leader stepped down %v, new leader elected %v, detector followed %v",
					timeout, fault, lost.Round(time.Millisecond), elected.Round(time.Millisecond), detected.Round(time.Millisecond))
			})
		}
	}
}
