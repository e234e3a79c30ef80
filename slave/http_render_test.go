package slave

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/gomesos/gomesos/internal/jsonwrite"
	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

// /state is written without encoding/json; its bytes are the same as
// encoding/json's for a snapshot with queued, running and finished tasks.
func TestStateRendersAsEncodingJSONWould(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	r.launch("t1", "e1")
	r.executorRegisters("e1")
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
