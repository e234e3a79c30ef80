package slave

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gomesos/gomesos/messages/mesos"
)

// copyExecutorInfo carries every field: one added to ExecutorInfo and
// not to the copy fails here.
func TestCopyExecutorInfoCarriesEveryField(t *testing.T) {
	e := &mesos.ExecutorInfo{}
	m := e.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := m.Mutable(fd).List()
			l.Append(l.NewElement())
		case fd.IsList() || fd.IsMap():
			t.Fatalf("field %s: kind not handled by the test", fd.FullName())
		case fd.Message() != nil:
			m.Set(fd, protoreflect.ValueOfMessage(m.NewField(fd).Message()))
		case fd.Kind() == protoreflect.EnumKind:
			vals := fd.Enum().Values()
			m.Set(fd, protoreflect.ValueOfEnum(vals.Get(vals.Len()-1).Number()))
		case fd.Kind() == protoreflect.StringKind:
			m.Set(fd, protoreflect.ValueOfString("s"))
		case fd.Kind() == protoreflect.BytesKind:
			m.Set(fd, protoreflect.ValueOfBytes([]byte("b")))
		default:
			t.Fatalf("field %s of kind %v not handled by the test", fd.FullName(), fd.Kind())
		}
	}
	m.SetUnknown(protoreflect.RawFields{0xf8, 0xff, 0x03, 0x01})
	if c := copyExecutorInfo(e); c == e || !proto.Equal(c, e) {
		t.Errorf("copyExecutorInfo lost a field:\n got %v\nwant %v", c, e)
	}
}
