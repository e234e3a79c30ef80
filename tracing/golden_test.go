package tracing

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// go test ./tracing/ -run Golden -update rewrites testdata/ from the
// current code; review the diff before committing it.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update and review the diff):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

var launchFiles = []string{"testdata/launch/local.jsonl", "testdata/launch/execute.jsonl", "testdata/launch/executor.jsonl"}

// The inputs are what Recorder writes for the simulated cluster.
func TestGoldenLaunchInputs(t *testing.T) {
	dir := t.TempDir()
	if *update {
		dir = filepath.Join("testdata", "launch")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	paths := launchScenario().write(t, dir)
	if *update {
		return
	}
	for i, p := range paths {
		got, _ := os.ReadFile(p)
		want, err := os.ReadFile(launchFiles[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what Recorder writes now (run with -update):\n%s", launchFiles[i], got)
		}
	}
}

func readLaunch(t *testing.T) []Record {
	t.Helper()
	recs, err := ReadFiles(launchFiles)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func encodeAll(recs []Record) []byte {
	var b []byte
	for i := range recs {
		b = AppendJSON(b, &recs[i])
		b = append(b, '\n')
	}
	return b
}

func TestGoldenMerge(t *testing.T) {
	in := readLaunch(t)
	// The clocks disagree: some message arrives before it left.
	sendAt := map[string]time.Time{}
	for _, r := range in {
		if r.Kind == Sent {
			sendAt[r.MsgID] = r.Time
		}
	}
	inverted := 0
	for _, r := range in {
		if r.Kind == Received && r.Time.Before(sendAt[r.MsgID]) {
			inverted++
		}
	}
	if inverted == 0 {
		t.Fatal("the scenario's skew inverts no message; it tests nothing")
	}

	out := Merge(in)
	golden(t, "merge.jsonl", encodeAll(out))

	// Causal: every receive after its send, every process in seq order.
	pos := map[string]int{}
	lastSeq := map[string]uint64{}
	for i, r := range out {
		if !r.Kind.IsMessage() {
			continue
		}
		if r.Seq <= lastSeq[r.Process] {
			t.Errorf("%s: seq %d after %d", r.Process, r.Seq, lastSeq[r.Process])
		}
		lastSeq[r.Process] = r.Seq
		switch r.Kind {
		case Sent:
			pos[r.MsgID] = i
		default:
			if s, ok := pos[r.MsgID]; !ok && sendAt[r.MsgID] != (time.Time{}) {
				t.Errorf("line %d: %s %s before its send", i, r.Kind, r.MsgID)
			} else if ok && (r.HopNs == nil || *r.HopNs < 0 || r.At().Before(out[s].At())) {
				t.Errorf("line %d: hop %v", i, r.HopNs)
			}
		}
	}
	// The skews are recovered (to within the hop asymmetry, 0.1 ms).
	want := map[string]time.Duration{"127.0.0.1:40001": 0, "127.0.0.1:40002": -250 * time.Millisecond, "127.0.0.1:40003": 400 * time.Millisecond}
	if out[0].Kind != Merged || len(out[0].Processes) != 3 {
		t.Fatalf("merge line %+v", out[0])
	}
	for _, p := range out[0].Processes {
		if d := time.Duration(p.SkewNs) - want[p.Process]; d < -100*time.Microsecond || d > 100*time.Microsecond {
			t.Errorf("%s: correction %v, want %v", p.Process, time.Duration(p.SkewNs), want[p.Process])
		}
		if p.Program == "" || p.OSPid == 0 {
			t.Errorf("process info %+v", p)
		}
	}
	// Merging the merge changes nothing; neither does the order of files.
	if again := Merge(out); !bytes.Equal(encodeAll(again), encodeAll(out)) {
		t.Error("Merge is not idempotent")
	}
	rev, err := ReadFiles([]string{launchFiles[2], launchFiles[0], launchFiles[1]})
	if err != nil {
		t.Fatal(err)
	}
	if got := Merge(rev); !bytes.Equal(encodeAll(got), encodeAll(out)) {
		t.Error("the order of the files changes the merge")
	}
}

func TestGoldenFilter(t *testing.T) {
	merged := Merge(readLaunch(t))
	first := FirstTime(merged)
	since, _ := ParseTimeBound("1s", first)
	until, _ := ParseTimeBound("+1.1s", first)
	for _, tc := range []struct {
		name string
		f    Filter
	}{
		{"task-t1", Filter{Task: []string{"t1"}}},
		{"task-t1-flow", Filter{Task: []string{"t1"}, Flow: true}},
		{"type-accept-runtask", Filter{Type: []string{"ACCEPT", "RunTaskMessage"}}},
		{"process-executor", Filter{Process: []string{"mesos-executor"}}},
		{"process-pid-offer", Filter{Process: []string{"slave(1)"}, Offer: []string{"o-3"}}},
		{"framework-agent", Filter{Framework: []string{"fw-1"}, Agent: []string{"agent-1"}, Type: []string{"mesos.internal.StatusUpdateMessage"}}},
		{"since-until", Filter{Since: since, Until: until, Type: []string{"StatusUpdateMessage"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, "filter-"+tc.name+".jsonl", encodeAll(tc.f.Apply(merged)))
		})
	}
}

func TestGoldenDiagram(t *testing.T) {
	merged := Merge(readLaunch(t))
	for _, tc := range []struct {
		name string
		sel  Selector
	}{
		{"task-t1", Selector{Task: "t1"}},
		{"task-t2", Selector{Task: "t2"}},
		{"offer-o-2", Selector{Offer: "o-2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDiagram(tc.sel.String(), Messages(SelectFlow(merged, tc.sel)))
			golden(t, "diagram-"+tc.name+".mmd", []byte(d.Mermaid()))
			if tc.name == "task-t1" {
				golden(t, "diagram-"+tc.name+".html", []byte(d.HTML()))
			}
		})
	}
	// The flow of t1 is the issue's: offer, accept, run task (to the agent,
	// then the executor), registration, update, acknowledgements; not the
	// declined offer, the pings or the other task.
	d := NewDiagram("", Messages(SelectFlow(merged, Selector{Task: "t1"})))
	var labels []string
	for _, a := range d.Arrows {
		labels = append(labels, a.Label)
	}
	want := "ResourceOffersMessage|Call ACCEPT|RunTaskMessage|RegisterExecutorMessage|ExecutorRegisteredMessage|RunTaskMessage|" +
		"StatusUpdateMessage TASK_RUNNING|StatusUpdateMessage TASK_RUNNING|StatusUpdateMessage TASK_RUNNING|Call ACKNOWLEDGE|" +
		"StatusUpdateAcknowledgementMessage|StatusUpdateAcknowledgementMessage"
	if got := strings.Join(labels, "|"); got != want {
		t.Errorf("flow of t1:\n got %s\nwant %s", got, want)
	}
}

func TestGoldenStats(t *testing.T) {
	rep := NewReport(Merge(readLaunch(t)))
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden(t, "stats.txt", b.Bytes())
	if rep.Tasks != 2 {
		t.Fatalf("%d tasks", rep.Tasks)
	}
	// t1's stages, from the scenario's true times (ms): offer 10 → 10.4,
	// accept → 12.25, run task → 13.02, registered → 61.3, running at the
	// scheduler 71.3, ack at the agent 72.52.
	want := map[string]time.Duration{
		"offer":               400 * time.Microsecond,
		"accept":              1850 * time.Microsecond,
		"run task":            770 * time.Microsecond,
		"executor registered": 48280 * time.Microsecond,
		"TASK_RUNNING":        10 * time.Millisecond,
		"acknowledgement":     1220 * time.Microsecond,
	}
	for _, s := range rep.Stages {
		if s.Time.N != 2 {
			t.Errorf("%s: n=%d, want both tasks", s.Stage, s.Time.N)
		}
	}
	var t1 *taskLife
	for _, tl := range taskLives(Messages(Merge(readLaunch(t)))) {
		if tl.task == "t1" {
			t1 = tl
		}
	}
	if t1 == nil {
		t.Fatal("no life of t1")
	}
	for i, d := range t1.stages()[:6] {
		w := want[stageSpans[i].name]
		if d == nil {
			t.Errorf("%s: missing", stageSpans[i].name)
		} else if diff := *d - w; diff < -200*time.Microsecond || diff > 200*time.Microsecond {
			t.Errorf("%s: %v, want %v", stageSpans[i].name, *d, w)
		}
	}
}

// A trace with no message yet (a daemon that just started) merges into a
// trace that reads back.
func TestMergeEmpty(t *testing.T) {
	in, err := Read(strings.NewReader(`{"seq":0,"time":"2025-03-01T12:00:00Z","process":"p","kind":"start","format":"gomesos-trace/1"}`+"\n"), "new.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	out := Merge(in)
	back, err := Read(bytes.NewReader(encodeAll(out)), "merged")
	if err != nil || len(back) != 1 || back[0].Kind != Merged || !back[0].Time.Equal(in[0].Time) {
		t.Fatalf("%v %+v", err, back)
	}
	if got := Merge(nil); len(got) != 1 || got[0].Time.IsZero() {
		t.Fatalf("Merge(nil) = %+v", got)
	}
}

// Task IDs are unique per framework only: two frameworks' "t1" are two
// tasks.
func TestStatsTasksPerFramework(t *testing.T) {
	var recs []Record
	for i, fw := range []string{"fw-1", "fw-2"} {
		for _, f := range launchFiles {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.ReplaceAll(string(b), `"fw-1"`, `"`+fw+`"`)
			text = strings.ReplaceAll(text, `"msg_id":"m`, `"msg_id":"`+fw+`-m`)
			// The second framework runs a minute later.
			rs, err := Read(strings.NewReader(text), f)
			if err != nil {
				t.Fatal(err)
			}
			for k := range rs {
				rs[k].Time = rs[k].Time.Add(time.Duration(i) * time.Minute)
			}
			recs = append(recs, rs...)
		}
	}
	rep := NewReport(Merge(recs))
	if rep.Tasks != 4 {
		t.Fatalf("%d tasks, want 4", rep.Tasks)
	}
	for _, s := range rep.Stages {
		if s.Time.N != 4 {
			t.Errorf("%s: n=%d", s.Stage, s.Time.N)
		}
	}
}

// A message whose receive was not traced has no hop: its stage is left out
// rather than reported as zero.
func TestStatsLeaveOutUntracedHop(t *testing.T) {
	var recs []Record
	for _, r := range readLaunch(t) {
		if r.Kind == Received && r.Type == "mesos.internal.ResourceOffersMessage" {
			continue // as if the scheduler's process were not traced
		}
		recs = append(recs, r)
	}
	rep := NewReport(Merge(recs))
	for _, s := range rep.Stages {
		if s.Stage == "offer" && s.Time.N != 0 {
			t.Fatalf("offer stage measured %d times without the receive", s.Time.N)
		}
	}
}
