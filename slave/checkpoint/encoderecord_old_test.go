package checkpoint

import (
	"bytes"
	"encoding/binary"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// marshalRecord is a record as proto.Marshal encodes it, after its length.
func marshalRecord(rec *mesosinternal.StatusUpdateRecord) []byte {
	b, err := Marshal(rec)
	if err != nil {
		panic(err)
	}
	out := make([]byte, 4, 4+len(b))
	binary.LittleEndian.PutUint32(out, uint32(len(b)))
	return append(out, b...)
}

// Records with updates (the sized-once path), with a record reused as the
// status update manager reuses its own, and one with a nil type.
func TestEncodeRecordMatchesMarshal(t *testing.T) {
	var rec mesosinternal.StatusUpdateRecord
	for i, u := range []*mesosinternal.StatusUpdate{
		{},
		{FrameworkId: &mesos.FrameworkID{Value: proto.String("f")}, Uuid: []byte("0123456789abcdef"),
			Status: &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String("t")}, State: mesos.TaskState_TASK_RUNNING.Enum(), Data: make([]byte, 70000),
				Labels: &mesos.Labels{Labels: []*mesos.Label{{Key: proto.String("k"), Value: proto.String("v")}}}}},
		{Timestamp: proto.Float64(1.5), Status: &mesos.TaskStatus{}},
	} {
		for _, typ := range []*mesosinternal.StatusUpdateRecord_Type{mesosinternal.StatusUpdateRecord_UPDATE.Enum(), nil} {
			rec.Type, rec.Update, rec.Uuid = typ, u, nil
			got, err := EncodeRecord(&rec)
			if err != nil {
				t.Fatal(err)
			}
			if want := marshalRecord(&rec); !bytes.Equal(got, want) {
				t.Errorf("case %d type %v: differs (%d vs %d bytes)", i, typ, len(got), len(want))
			}
		}
	}
	// nil type, no update (not the hand path)
	rec = mesosinternal.StatusUpdateRecord{Uuid: []byte("u")}
	got, _ := EncodeRecord(&rec)
	if want := marshalRecord(&rec); !bytes.Equal(got, want) {
		t.Errorf("nil type: %x vs %x", got, want)
	}
	// unknown fields on an ACK
	rec = mesosinternal.StatusUpdateRecord{Type: mesosinternal.StatusUpdateRecord_ACK.Enum(), Uuid: []byte("u")}
	rec.ProtoReflect().SetUnknown([]byte{0xf8, 0xff, 0x03, 0x01})
	got, _ = EncodeRecord(&rec)
	if want := marshalRecord(&rec); !bytes.Equal(got, want) {
		t.Errorf("unknown: %x vs %x", got, want)
	}
}
