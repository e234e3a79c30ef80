package master

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
)

// What one web UI client costs the master at 10,000 agents and 100,000
// tasks, in bytes a minute, fed by the stream (this UI) or by polling
// /master/state (the old UI, and Mesos'). Run with
// GOMESOS_MEASURE_UI=1 go test -run TestMeasureUIClientCost -v ./master/
func TestMeasureUIClientCost(t *testing.T) {
	if os.Getenv("GOMESOS_MEASURE_UI") == "" {
		t.Skip("set GOMESOS_MEASURE_UI=1 to measure (builds 10,000 agents)")
	}
	const changesPerSecond = 1000
	c := newCluster(t, nil)
	s := buildScale(t, 10000, 10, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := c.node.Call(ctx, c.pid, func() any { c.m.proc.core = s.c; return nil }); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	size := func(path string) int {
		t.Helper()
		start := time.Now()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		n, _ := io.Copy(io.Discard, resp.Body)
		t.Logf("GET %s: %d bytes in %v", path, n, time.Since(start).Round(time.Millisecond))
		return int(n)
	}
	state, metrics, tasks := size("/master/state"), size("/metrics/snapshot"), size("/tasks?limit=100&order=desc")

	// The stream, one tick after each second's worth of task changes.
	hub := newStreamHub(c.m)
	hub.interval = time.Hour // ticks are driven below
	stream := httptest.NewServer(http.HandlerFunc(hub.serveStream))
	defer stream.Close()
	resp, err := http.Get(stream.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := make(chan int, 100)
	go func() {
		r := bufio.NewReaderSize(resp.Body, 1<<20)
		n := 0
		for {
			line, err := r.ReadString('\n')
			n += len(line)
			if err != nil {
				return
			}
			if line == "\n" && n > 2 {
				events <- n
				n = 0
			}
		}
	}()
	next := func() int {
		select {
		case n := <-events:
			return n
		case <-time.After(5 * time.Minute):
			t.Fatal("no event")
		}
		return 0
	}
	next() // "retry: 2000"
	snapshot := next()
	watch := newStreamWatch(streamMaxTaskChanges)
	tick := func() {
		v, err := c.node.Call(ctx, c.pid, func() any { return watch.tick(c.m.proc.core) })
		if err != nil {
			t.Fatal(err)
		}
		hub.apply(v.(streamTick))
	}
	// The hub's own loop primed it; this watch starts from the same state.
	tick()
	const seconds = 10
	deltas := 0
	for i := 0; i < seconds; i++ {
		c.node.Call(ctx, c.pid, func() any {
			for j := 0; j < changesPerSecond; j++ {
				k := (i*changesPerSecond + j) % len(s.tasks)
				task := s.c.frameworks[s.tasks[k][0]].tasks[s.tasks[k][2]]
				if task.GetState() == mesos.TaskState_TASK_RUNNING {
					task.State = mesos.TaskState_TASK_KILLING.Enum()
				} else {
					task.State = mesos.TaskState_TASK_RUNNING.Enum()
				}
				s.c.journal.note(task) // as updateTask does
			}
			return nil
		})
		tick()
		deltas += next()
	}
	perMinute := func(bytes float64) string { return fmt.Sprintf("%.2f MB/min", bytes/1e6) }
	stream60 := float64(deltas)/seconds*60 + float64(tasks)*30 + float64(metrics)*12
	t.Logf("stream: snapshot %d bytes; deltas %.0f bytes/s at %d task changes/s", snapshot, float64(deltas)/seconds, changesPerSecond)
	t.Logf("UI on the stream (deltas every second, /tasks every 2 s, metrics every 5 s): %s, plus %d bytes once", perMinute(stream60), snapshot)
	t.Logf("old UI polling /master/state every 60 s (Mesos: 120 s): %s", perMinute(float64(state+metrics)))
	t.Logf("polling /master/state every 2 s to be as fresh: %s", perMinute(float64(state+metrics)*30))
}

// The stream's tick on the master actor at 10,000 agents and 100,000
// tasks: with nothing changed, and after 1,000 task state changes spread
// over 1,000 agents (as BenchmarkStreamTick) or on 10 agents.
// go test -run '^$' -bench BenchmarkStreamWatch -benchtime 20x ./master/
func BenchmarkStreamWatch(b *testing.B) {
	s := buildScale(b, 10000, 10, 10)
	flip := func(k int) {
		task := s.c.frameworks[s.tasks[k][0]].tasks[s.tasks[k][2]]
		if task.GetState() == mesos.TaskState_TASK_RUNNING {
			task.State = mesos.TaskState_TASK_KILLING.Enum()
		} else {
			task.State = mesos.TaskState_TASK_RUNNING.Enum()
		}
		s.c.journal.note(task) // as updateTask does
	}
	for _, bc := range []struct {
		name    string
		changes func()
		want    int
		net     bool // tick as the safety net's every fullScanEvery-th tick
	}{
		{"idle", func() {}, 0, false},
		{"idle-safety-net-tick", func() {}, 0, true},
		{"1000-changes-1000-agents", func() {
			for j := 0; j < 1000; j++ {
				flip(j * (len(s.tasks) / 1000))
			}
		}, 1000, false},
		{"1000-changes-100-agents", func() {
			for j := 0; j < 1000; j++ {
				flip(j)
			}
		}, 1000, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			w := newStreamWatch(streamMaxTaskChanges)
			w.tick(s.c)
			runtime.GC()
			b.ResetTimer()
			var spent time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				bc.changes()
				if bc.net {
					w.gen = fullScanEvery*uint64(i+1) - 1
				}
				b.StartTimer()
				cpu := cpuTime()
				tk := w.tick(s.c)
				spent += cpuTime() - cpu
				if n := len(tk.tasks) + tk.tasksOmitted; n != bc.want {
					b.Fatalf("%d changes seen, want %d", n, bc.want)
				}
			}
			b.ReportMetric(float64(spent.Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// What the UI's own reads cost the master actor at 10,000 agents and
// 100,000 tasks: the newest hundred tasks (home and tasks pages), a page
// of offers (offers page).
// go test -run '^$' -bench BenchmarkUIReads -benchtime 5x ./master/
func BenchmarkUIReads(b *testing.B) {
	s := buildScale(b, 10000, 10, 10)
	for _, bc := range []struct {
		name string
		read func() any
	}{
		{"tasks-newest-100", func() any { return s.c.tasksJSON(tasksQuery{limit: 100, descending: true}) }},
		{"offers-page", func() any { return s.c.offersPage(offersQuery{limit: 100}) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			runtime.GC()
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				bc.read()
			}
			reportCPU(b, cpu)
		})
	}
}
