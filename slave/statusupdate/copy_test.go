package statusupdate

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// fill sets every field of m to a value that is not its default (one
// level deep: message fields get an empty message), and unknown bytes.
func fill(t *testing.T, m protoreflect.Message) {
	t.Helper()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		switch {
		case fd.IsList() || fd.IsMap():
			v := m.Mutable(fd)
			if fd.IsList() && fd.Message() != nil {
				v.List().Append(v.List().NewElement())
			} else if fd.IsList() {
				t.Fatalf("fill: scalar list %s not handled", fd.FullName())
			}
		case fd.Message() != nil:
			m.Set(fd, protoreflect.ValueOfMessage(m.NewField(fd).Message()))
		case fd.Kind() == protoreflect.EnumKind:
			vals := fd.Enum().Values()
			m.Set(fd, protoreflect.ValueOfEnum(vals.Get(vals.Len()-1).Number()))
		case fd.Kind() == protoreflect.BoolKind:
			m.Set(fd, protoreflect.ValueOfBool(true))
		case fd.Kind() == protoreflect.StringKind:
			m.Set(fd, protoreflect.ValueOfString("s"))
		case fd.Kind() == protoreflect.BytesKind:
			m.Set(fd, protoreflect.ValueOfBytes([]byte("b")))
		case fd.Kind() == protoreflect.DoubleKind:
			m.Set(fd, protoreflect.ValueOfFloat64(1.5))
		default:
			t.Fatalf("fill: field %s of kind %v not handled", fd.FullName(), fd.Kind())
		}
	}
	m.SetUnknown(protoreflect.RawFields{0xf8, 0xff, 0x03, 0x01}) // field 8191, varint 1
}

// The hand-written copies carry every field: a field added to the
// messages and not to the copies fails here.
func TestCopiesCarryEveryField(t *testing.T) {
	u := &mesosinternal.StatusUpdate{}
	fill(t, u.ProtoReflect())
	if c := CopyUpdate(u); !proto.Equal(c, u) || c == u {
		t.Errorf("CopyUpdate lost a field:\n got %v\nwant %v", c, u)
	}
	s := &mesos.TaskStatus{}
	fill(t, s.ProtoReflect())
	if c := CopyStatus(s); !proto.Equal(c, s) || c == s {
		t.Errorf("CopyStatus lost a field:\n got %v\nwant %v", c, s)
	}
	if CopyUpdate(nil) != nil || CopyStatus(nil) != nil {
		t.Error("a copy of nil is not nil")
	}
}
