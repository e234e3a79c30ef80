package tracing

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/mesosutil"
)

var (
	pidMaster = actors.PID{ID: "master", Address: "127.0.0.1:5050"}
	pidAgent  = actors.PID{ID: "slave(1)", Address: "127.0.0.1:5051"}
)

func statusUpdate(task string, state mesos.TaskState) *mesosinternal.StatusUpdateMessage {
	return &mesosinternal.StatusUpdateMessage{Update: &mesosinternal.StatusUpdate{
		FrameworkId: mesosutil.NewFrameworkID("fw1"),
		SlaveId:     mesosutil.NewSlaveID("a1"),
		ExecutorId:  mesosutil.NewExecutorID(task),
		Status:      mesosutil.NewTaskStatus(mesosutil.NewTaskID(task), state),
		Timestamp:   proto.Float64(1),
	}}
}

func event(kind actors.EventKind, mid string, msg proto.Message) *actors.Event {
	return &actors.Event{
		Kind: kind, From: pidAgent, To: pidMaster,
		Type: msg.ProtoReflect().Descriptor().FullName(), Size: proto.Size(msg),
		MsgID: mid, TraceID: "tr1", Msg: msg,
	}
}

func quietLog() (*logrus.Logger, *logtest.Hook) {
	l, hook := logtest.NewNullLogger()
	return l, hook
}

func TestRecorderFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	log, _ := quietLog()
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	rec, err := New(Options{Process: "127.0.0.1:5051", Program: "mesos-agent", File: path, RingSize: 8, Payloads: true, Log: log,
		Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	rec.Trace(event(actors.Sent, "m1", statusUpdate("t1", mesos.TaskState_TASK_RUNNING)))
	rec.Trace(&actors.Event{Kind: actors.DeadLetter, From: pidAgent, To: pidMaster, Type: "mesos.internal.PongSlaveMessage", Msg: &mesosinternal.PongSlaveMessage{}})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	rec.Trace(event(actors.Sent, "m2", statusUpdate("t1", mesos.TaskState_TASK_RUNNING))) // after Close: ignored
	recs, err := ReadFiles([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records: %+v", len(recs), recs)
	}
	start, sent, dead := recs[0], recs[1], recs[2]
	if start.Kind != Start || start.Format != Format || start.Program != "mesos-agent" || start.OSPid != os.Getpid() || !start.Payloads {
		t.Fatalf("start line %+v", start)
	}
	if sent.Kind != Sent || sent.Seq != 1 || !sent.Time.Equal(t0) || sent.Process != "127.0.0.1:5051" ||
		sent.From != pidAgent.String() || sent.To != pidMaster.String() || sent.Type != "mesos.internal.StatusUpdateMessage" ||
		sent.MsgID != "m1" || sent.TraceID != "tr1" || sent.Size == 0 ||
		strings.Join(sent.IDs.Task, ",") != "t1" || strings.Join(sent.States, ",") != "TASK_RUNNING" {
		t.Fatalf("sent line %+v", sent)
	}
	var payload struct {
		Update struct {
			Status struct {
				State string `json:"state"`
			} `json:"status"`
		} `json:"update"`
	}
	if err := json.Unmarshal(sent.Payload, &payload); err != nil || payload.Update.Status.State != "TASK_RUNNING" {
		t.Fatalf("payload %s: %v", sent.Payload, err)
	}
	if dead.Kind != DeadLetter || dead.MsgID != "" || dead.Seq != 2 || !dead.IDs.Empty() {
		t.Fatalf("dead letter line %+v", dead)
	}
	st := rec.Stats()
	if st.Events != 2 || st.Written != 2 || st.Dropped != 0 || st.Bytes == 0 {
		t.Fatalf("stats %+v", st)
	}
	// The ring kept both events.
	if rs := rec.Ring().Records(); len(rs) != 2 || rs[0].MsgID != "m1" {
		t.Fatalf("ring %+v", rs)
	}
}

// A sink that falls behind drops events without blocking, counts them,
// writes a lost line and warns once.
func TestFileSinkDropsAndFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	log, hook := quietLog()
	gate := make(chan struct{})
	rec, err := New(Options{Process: "p", File: path, QueueSize: 4, FlushInterval: time.Hour, Log: log, writerGate: gate})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	msg := statusUpdate("t1", mesos.TaskState_TASK_RUNNING)
	for i := 0; i < 10; i++ {
		rec.Trace(event(actors.Received, "m", msg)) // the writer is held: 4 queued, 6 dropped
	}
	if st := rec.Stats(); st.Events != 10 || st.Dropped != 6 || st.Written != 0 {
		t.Fatalf("stats while held: %+v", st)
	}
	close(gate)
	rec.Flush()
	recs, err := ReadFiles([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	var events int
	var lost uint64
	for _, r := range recs {
		switch r.Kind {
		case Received:
			events++
		case Lost:
			lost += r.Lost
		}
	}
	if events != 4 || lost != 6 {
		t.Fatalf("file has %d events and %d lost, want 4 and 6", events, lost)
	}
	if st := rec.Stats(); st.Written != 4 || st.Dropped != 6 {
		t.Fatalf("stats %+v", st)
	}
	warned := 0
	for _, e := range hook.AllEntries() {
		if e.Level == logrus.WarnLevel && strings.Contains(e.Message, "fell behind") {
			warned++
			if e.Data["dropped"] != uint64(6) {
				t.Errorf("warning fields %v", e.Data)
			}
		}
	}
	if warned != 1 {
		t.Fatalf("%d warnings: %v", warned, hook.AllEntries())
	}
	// Flush with nothing new writes nothing more.
	before, _ := os.ReadFile(path)
	rec.Flush()
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("an idle flush wrote")
	}
}

// Without Flush or Close, an event reaches the file within the flush
// interval (100 ms; 200 ms is promised).
func TestFileSinkFlushesByItself(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	log, _ := quietLog()
	rec, err := New(Options{Process: "p", File: path, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	start := time.Now()
	rec.Trace(event(actors.Sent, "m1", statusUpdate("t1", mesos.TaskState_TASK_RUNNING)))
	for {
		data, _ := os.ReadFile(path)
		if bytes.Contains(data, []byte(`"msg_id":"m1"`)) {
			break
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("the event never reached the file")
		}
		time.Sleep(5 * time.Millisecond) // polling the file, not synchronising
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the event took %v to reach the file", d)
	}
}

// Concurrent tracers, a ring stream and Close: every event is written or
// counted as dropped.
func TestRecorderConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	log, _ := quietLog()
	rec, err := New(Options{Process: "p", File: path, RingSize: 64, QueueSize: 128, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	sub, _, _ := rec.Ring().subscribe()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := statusUpdate("t1", mesos.TaskState_TASK_RUNNING)
			for i := 0; i < 500; i++ {
				rec.Trace(event(actors.Sent, "m", msg))
			}
		}()
	}
	wg.Wait()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	st := rec.Stats()
	if st.Events != 4000 || st.Written+st.Dropped != 4000 {
		t.Fatalf("stats %+v", st)
	}
	recs, err := ReadFiles([]string{path})
	if err != nil {
		t.Fatal(err)
	}
	var events, lost uint64
	seqs := map[uint64]bool{}
	for _, r := range recs {
		switch r.Kind {
		case Sent:
			events++
			if seqs[r.Seq] {
				t.Fatalf("seq %d twice", r.Seq)
			}
			seqs[r.Seq] = true
		case Lost:
			lost += r.Lost
		}
	}
	if events != st.Written || lost != st.Dropped {
		t.Fatalf("file: %d events, %d lost; stats %+v", events, lost, st)
	}
	if got := len(sub.ch) + int(rec.Ring().takeDropped(sub)); got != 4000 {
		t.Fatalf("subscriber saw %d events", got)
	}
	if len(rec.Ring().Records()) != 64 {
		t.Fatal("ring not full")
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("no process accepted")
	}
	if _, err := New(Options{Process: "p", File: filepath.Join(t.TempDir(), "no", "such", "dir", "f")}); err == nil {
		t.Error("unopenable file accepted")
	}
	// Nothing to record into: Trace is a no-op.
	rec, err := New(Options{Process: "p"})
	if err != nil {
		t.Fatal(err)
	}
	rec.Trace(event(actors.Sent, "m", statusUpdate("t", mesos.TaskState_TASK_RUNNING)))
	if rec.Stats().Events != 0 || rec.Ring() != nil {
		t.Fatal("recorded without sinks")
	}
	rec.Flush()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
}

// The file writer's direct encoding is AppendJSON's of the same record.
func TestEntryEncodingMatchesRecord(t *testing.T) {
	msg := statusUpdate("t\"1\n", mesos.TaskState_TASK_RUNNING)
	for _, e := range []*entry{
		{seq: 1, t: time.Unix(1, 5), kind: Sent, from: actors.PID{ID: "a\\b", Address: "h:1"}, to: pidMaster, typ: "x.Y", size: 3,
			mid: "m", tid: "t", ids: []idRef{{taskID, "t1"}, {frameworkID, "f"}, {taskID, "t2"}, {offerID, "o\xff"}},
			states: []string{"TASK_RUNNING"}, subtype: "ACCEPT"},
		{seq: 2, t: time.Unix(2, 0).In(time.FixedZone("x", 3600)), kind: DeadLetter, to: pidAgent, typ: "x.Z"},
		{seq: 3, t: time.Unix(3, 0), kind: Received, from: pidAgent, to: pidMaster, typ: "mesos.internal.StatusUpdateMessage",
			payload: mustMarshal(t, msg), mtype: msg.ProtoReflect().Type()},
	} {
		var r Record
		e.fill(&r, "proc")
		if got, want := string(e.appendJSON(nil, "proc")), string(AppendJSON(nil, &r)); got != want {
			t.Errorf("entry encoding\n got %s\nwant %s", got, want)
		}
		var back Record
		if err := json.Unmarshal(e.appendJSON(nil, "proc"), &back); err != nil {
			t.Errorf("not JSON: %v", err)
		}
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
