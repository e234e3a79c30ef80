package master

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors/actortest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

func TestAllocHistoryIsBoundedAndOrdered(t *testing.T) {
	h := newAllocHistory(3)
	times := func(ss []HistorySample) string {
		return fmt.Sprint(func() []float64 {
			out := []float64{}
			for _, s := range ss {
				out = append(out, s.Time)
			}
			return out
		}())
	}
	if got := times(h.since(0)); got != "[]" {
		t.Errorf("empty history: %s", got)
	}
	for _, at := range []float64{10, 20, 30, 40, 50} {
		h.add(HistorySample{Time: at})
	}
	if got := times(h.since(0)); got != "[30 40 50]" {
		t.Errorf("after five samples in a ring of three: %s, want the newest three, oldest first", got)
	}
	h.add(HistorySample{Time: 45}) // the clock went back: dropped
	h.add(HistorySample{Time: 60})
	if got := times(h.since(0)); got != "[40 50 60]" {
		t.Errorf("after a sample from the past and a new one: %s", got)
	}
	if got := times(h.since(50)); got != "[50 60]" {
		t.Errorf("since 50: %s", got)
	}
	if got := times(h.since(61)); got != "[]" {
		t.Errorf("since 61: %s", got)
	}
}

// TestAllocationHistory: the master samples the cluster on its clock, the
// first sample a second after it starts and then every HistoryInterval,
// and serves the samples; a sample's resources match what the metrics
// (which add up every task) say at the same moment.
func TestAllocationHistory(t *testing.T) {
	c := newCluster(t, nil)
	srv := httptest.NewServer(c.m.Handler())
	defer srv.Close()
	samples := func(path string) []map[string]any {
		var out []map[string]any
		for _, s := range getJSON(t, srv, path)["samples"].([]any) {
			out = append(out, s.(map[string]any))
		}
		return out
	}
	if got := samples("/master/allocation-history"); len(got) != 0 {
		t.Fatalf("a sample before the first second: %v", got)
	}
	a, agentID := c.addAgent("cpus:4;mem:1024;disk:512")
	s, fid := c.subscribe(frameworkInfo("f"))
	o := actortest.Must[*mesosinternal.ResourceOffersMessage](t, s, nil).GetOffers()[0]
	c.advance(historyFirst)
	got := samples("/master/allocation-history")
	if len(got) != 1 {
		t.Fatalf("%d samples after a second, want 1", len(got))
	}
	first := got[0]
	res := func(s map[string]any, kind, name string) float64 { return s[kind].(map[string]any)[name].(float64) }
	if res(first, "total", "cpus") != 4 || res(first, "total", "mem") != 1024 || res(first, "offered", "cpus") != 4 ||
		res(first, "used", "cpus") != 0 || first["outstanding_offers"] != 1.0 || first["activated_slaves"] != 1.0 ||
		first["active_frameworks"] != 1.0 {
		t.Errorf("first sample: %v", first)
	}

	s.SendNow(c.pid, launch(fid, ids(o), nil, commandTask("a", o, "cpus:1;mem:128")))
	actortest.Must[*mesosinternal.RunTaskMessage](t, a, nil)
	a.SendNow(c.pid, agentUpdate(a, agentID, fid, "a", mesos.TaskState_TASK_RUNNING, 1))
	actortest.Must[*mesosinternal.StatusUpdateMessage](t, s, nil)
	c.advance(HistoryInterval)
	got = samples("/master/allocation-history")
	if len(got) != 2 || got[1]["time"].(float64)-got[0]["time"].(float64) != HistoryInterval.Seconds() {
		t.Fatalf("samples after one interval more: %v", got)
	}
	second := got[1]
	var gauges map[string]float64
	c.inspect(func(core *Core) { gauges = core.gauges(c.clock.Now()) })
	for _, name := range []string{"cpus", "mem", "disk"} {
		if res(second, "used", name) != gauges["master/"+name+"_used"] || res(second, "total", name) != gauges["master/"+name+"_total"] {
			t.Errorf("%s: used %v of %v, the metrics say %v of %v", name, res(second, "used", name), res(second, "total", name),
				gauges["master/"+name+"_used"], gauges["master/"+name+"_total"])
		}
	}
	if res(second, "used", "cpus") != 1 || second["tasks"].(map[string]any)["TASK_RUNNING"] != 1.0 {
		t.Errorf("second sample: %v", second)
	}
	if got := samples("/allocation-history?since=" + strconv.FormatFloat(second["time"].(float64), 'f', -1, 64)); len(got) != 1 || got[0]["time"] != second["time"] {
		t.Errorf("since the second sample: %v", got)
	}
	body := getJSON(t, srv, "/master/allocation-history")
	if body["interval_secs"] != HistoryInterval.Seconds() || body["capacity"] != float64(HistorySamples) {
		t.Errorf("interval and capacity: %v %v", body["interval_secs"], body["capacity"])
	}

	for _, path := range []string{"/master/allocation-history?since=x", "/master/allocation-history?since=-1", "/master/allocation-history?since=NaN"} {
		if code, _, body := get(t, srv, http.MethodGet, path); code != http.StatusBadRequest || body == "" {
			t.Errorf("GET %s: %d %q, want 400 with a message", path, code, body)
		}
	}
	if code, _, _ := get(t, srv, http.MethodPost, "/master/allocation-history"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d, want 405", code)
	}
}

// What a history sample costs the master actor at 10,000 agents and
// 100,000 tasks: the first (the watch counts everything) and the next
// ones (what changed: here, 1,000 task state changes), and the memory the
// sampler's watch holds.
// go test -run '^$' -bench BenchmarkHistorySample -benchtime 20x ./master/
func BenchmarkHistorySample(b *testing.B) {
	s := buildScale(b, 10000, 10, 10)
	h := newAllocHistory(HistorySamples)
	sampler := newHistorySampler(h, HistoryInterval)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu := cpuTime()
	sampler.sample(t0, s.c)
	first := cpuTime() - cpu
	runtime.GC()
	runtime.ReadMemStats(&after)
	flip := 0
	b.ResetTimer()
	var spent time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := 0; j < 1000; j++ {
			k := (flip * 97) % len(s.tasks)
			flip++
			task := s.c.frameworks[s.tasks[k][0]].tasks[s.tasks[k][2]]
			if task.GetState() == mesos.TaskState_TASK_RUNNING {
				task.State = mesos.TaskState_TASK_KILLING.Enum()
			} else {
				task.State = mesos.TaskState_TASK_RUNNING.Enum()
			}
			s.c.journal.note(task)
		}
		b.StartTimer()
		cpu := cpuTime()
		sampler.sample(t0.Add(time.Duration(i+1)*HistoryInterval), s.c)
		spent += cpuTime() - cpu
	}
	b.ReportMetric(float64(spent.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	// (after the loop: ResetTimer drops metrics reported before it)
	b.ReportMetric(float64(first.Microseconds())/1000, "first-cpu-ms")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6, "watch-MB")
	if got := len(h.since(0)); got != min(b.N+1, HistorySamples) {
		b.Fatalf("%d samples", got)
	}
}
