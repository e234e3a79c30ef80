package slave

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/internal/jsonwrite"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"google.golang.org/protobuf/proto"
)

// /state is written without encoding/json; its bytes are the same as
// encoding/json's for a snapshot with queued, running and finished tasks.
func TestStateRendersAsEncodingJSONWould(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.launch("t1", "e1")
	r.c.ContainerUpdated(r.now, r.executorRegisters("e1")[2].(UpdateContainer), nil)
	r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_RUNNING, "uuid-running-01"))
	r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_FINISHED, "uuid-finish-0001"))
	r.launch("t2", "e2") // queued until its executor registers
	snap := r.c.Snapshot()
	want, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	got, err := jsonwrite.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("jsonwrite:\n%s\nencoding/json:\n%s", got, want)
	}
	if !bytes.Contains(got, []byte(`"queued_tasks":[{`)) || !bytes.Contains(got, []byte(`"TASK_FINISHED"`)) {
		t.Fatalf("the snapshot lacks the queued or the finished task:\n%s", got)
	}

	// The agent's own writer makes the same bytes, flags included.
	flags := map[string]string{"work_dir": "/var/agent", "odd": "<&>\"\n"}
	snap["flags"] = flags
	want, err = json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	cache := newResourcesCache()
	for i := 0; i < 2; i++ { // the second time with the resources cached
		direct, err := r.c.appendState(nil, flags, cache)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(direct, want) {
			t.Fatalf("appendState (%d):\n%s\nencoding/json:\n%s", i, direct, want)
		}
	}
	// A task that arrives later renders right alongside cached ones.
	r.launch("t3", "e3")
	snap = r.c.Snapshot()
	snap["flags"] = flags
	want, _ = json.Marshal(snap)
	if direct, _ := r.c.appendState(nil, flags, cache); !bytes.Equal(direct, want) {
		t.Fatalf("appendState after a new task:\n%s\nencoding/json:\n%s", direct, want)
	}
}

// The same holds for tasks and statuses with the fields the writer
// leaves to jsonmodel, executors with labels and a type, and a framework
// with roles.
func TestStateWriterMatchesSnapshotWithRareFields(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.launch("t1", "e1")
	r.c.ContainerUpdated(r.now, r.executorRegisters("e1")[2].(UpdateContainer), nil)
	r.c.Receive(r.now, coreExec, execUpdate("t1", mesos.TaskState_TASK_RUNNING, "uuid-running-01"))
	labels := &mesos.Labels{Labels: []*mesos.Label{{Key: proto.String("k"), Value: proto.String("v")}}}
	for _, f := range r.c.frameworks {
		f.info.Roles = []string{"a", "b"}
		f.info.Capabilities = append(f.info.Capabilities, &mesos.FrameworkInfo_Capability{Type: mesos.FrameworkInfo_Capability_MULTI_ROLE.Enum()})
		f.info.Principal = proto.String("p")
		for _, e := range f.executors {
			e.info.Labels = labels
			e.info.Type = mesos.ExecutorInfo_CUSTOM.Enum()
			for _, task := range e.launchedTasks() {
				task.Labels = labels
				task.User = proto.String("u")
				task.Statuses = append(task.Statuses, &mesos.TaskStatus{State: mesos.TaskState_TASK_RUNNING.Enum(), Healthy: proto.Bool(true), Timestamp: proto.Float64(1.5e-7)})
			}
		}
	}
	snap := r.c.Snapshot()
	snap["flags"] = map[string]string{}
	want, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.c.appendState(nil, map[string]string{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendState:\n%s\nencoding/json:\n%s", got, want)
	}
	for _, part := range []string{`"roles":["a","b"]`, `"principal":"p"`, `"type":"CUSTOM"`, `"healthy":true`, `"user":"u"`} {
		if !bytes.Contains(got, []byte(part)) {
			t.Errorf("no %s in\n%s", part, got)
		}
	}
}

func TestCommandJSONIsProtoJSON(t *testing.T) {
	for _, c := range []*mesos.CommandInfo{
		{},
		{Value: proto.String("true")},
		{Value: proto.String("echo <&>"), Shell: proto.Bool(false), User: proto.String("u"), Arguments: []string{"echo", "a b"}},
		{Shell: proto.Bool(true), Arguments: []string{}},
		{Value: proto.String("x"), Uris: []*mesos.CommandInfo_URI{{Value: proto.String("http://127.0.0.1/f")}}},
		{Value: proto.String("x"), Environment: &mesos.Environment{}},
	} {
		want, _ := json.Marshal(protoJSON(c))
		got, _ := json.Marshal(commandJSON(c))
		if !bytes.Equal(got, want) {
			t.Errorf("commandJSON(%v) = %s, protoJSON %s", c, got, want)
		}
	}
}

// GOMESOS_MEASURE_STATE=1 go test -run TestMeasureStateRender -v ./slave/
// times /state for 1,000 executors (half with a running task, half with
// a queued one) through the maps and encoding/json, the maps and
// jsonwrite, and the agent's own writer.
func TestMeasureStateRender(t *testing.T) {
	if os.Getenv("GOMESOS_MEASURE_STATE") == "" {
		t.Skip("set GOMESOS_MEASURE_STATE=1 to measure")
	}
	r := newCoreRun(t)
	r.register()
	for i := 0; i < 1000; i++ {
		tid, eid := fmt.Sprintf("t%d", i), fmt.Sprintf("e%d", i)
		r.launch(tid, eid)
		if i%2 == 0 {
			effs := r.c.Receive(r.now, coreExec, &mesosinternal.RegisterExecutorMessage{
				FrameworkId: frameworkInfo.Id, ExecutorId: &mesos.ExecutorID{Value: proto.String(eid)},
			})
			for _, e := range effs {
				if u, ok := e.(UpdateContainer); ok {
					r.c.ContainerUpdated(r.now, u, nil)
				}
			}
		}
	}
	flags := map[string]string{"work_dir": "/var/agent"}
	measure := func(name string, f func() []byte) {
		n := len(f())
		const rounds = 30
		cpu := func() time.Duration {
			var ru syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
			return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
		runtime.GC()
		c0 := cpu()
		allocs := testing.AllocsPerRun(rounds, func() { f() })
		t.Logf("%-28s %6.2f ms CPU (GC included), %6.0f allocs per render; %d bytes", name,
			float64(cpu()-c0)/1e6/(rounds+1), allocs, n)
	}
	measure("maps + encoding/json", func() []byte {
		s := r.c.Snapshot()
		s["flags"] = flags
		b, _ := json.Marshal(s)
		return b
	})
	measure("maps + jsonwrite", func() []byte {
		s := r.c.Snapshot()
		s["flags"] = flags
		b, _ := jsonwrite.Marshal(s)
		return b
	})
	measure("maps only (on the actor)", func() []byte { r.c.Snapshot(); return nil })
	measure("appendState (on the actor)", func() []byte { b, _ := r.c.appendState(nil, flags, nil); return b })
	cache := newResourcesCache()
	measure("appendState with the cache", func() []byte { b, _ := r.c.appendState(make([]byte, 0, 500<<10), flags, cache); return b })
}
