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
	setEveryField(t, e.ProtoReflect())
	if c := copyExecutorInfo(e); c == e || !proto.Equal(c, e) {
		t.Errorf("copyExecutorInfo lost a field:\n got %v\nwant %v", c, e)
	}
}

// copySlaveInfo carries every field, likewise.
func TestCopySlaveInfoCarriesEveryField(t *testing.T) {
	s := &mesos.SlaveInfo{}
	setEveryField(t, s.ProtoReflect())
	if c := copySlaveInfo(s); c == s || !proto.Equal(c, s) {
		t.Errorf("copySlaveInfo lost a field:\n got %v\nwant %v", c, s)
	}
}

// setEveryField gives each field of m a value, and m unknown fields.
func setEveryField(t *testing.T, m protoreflect.Message) {
	t.Helper()
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
		case fd.Kind() == protoreflect.BoolKind:
			m.Set(fd, protoreflect.ValueOfBool(true))
		case fd.Kind() == protoreflect.Int32Kind:
			m.Set(fd, protoreflect.ValueOfInt32(7))
		default:
			t.Fatalf("field %s of kind %v not handled by the test", fd.FullName(), fd.Kind())
		}
	}
	m.SetUnknown(protoreflect.RawFields{0xf8, 0xff, 0x03, 0x01})
}
