package master

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// A RegistryWriter leaves the registry as ApplyRegistryOps does, whatever
// runs of admissions and other operations it is given.
func TestRegistryWriterAppliesOpsAsApplyRegistryOps(t *testing.T) {
	info := func(id, host string) *mesos.SlaveInfo {
		return &mesos.SlaveInfo{Id: &mesos.SlaveID{Value: proto.String(id)}, Hostname: proto.String(host)}
	}
	ops := []RegistryOp{
		AdmitSlave{Info: info("a1", "h1")},
		AdmitSlave{Info: info("a2", "h2")},
		AdmitSlave{Info: info("a1", "h1-again")}, // replaces, not a second a1
		RemoveSlave{ID: "a2"},
		AdmitSlave{Info: info("a2", "h2-back")},
		AdmitSlave{Info: info("a3", "h3")},
	}
	want, got := &mesosinternal.Registry{}, &mesosinternal.Registry{}
	var w RegistryWriter
	for i, op := range ops {
		ApplyRegistryOps(want, op)
		w.Apply(got, op)
		if !proto.Equal(want, got) {
			t.Fatalf("after op %d (%s): got %v, want %v", i, op, got, want)
		}
	}
	// A registry changed behind the writer's back is looked at again.
	ApplyRegistryOps(got, RemoveSlave{ID: "a3"})
	ApplyRegistryOps(want, RemoveSlave{ID: "a3"})
	w.Apply(got, AdmitSlave{Info: info("a1", "h1-third")})
	ApplyRegistryOps(want, AdmitSlave{Info: info("a1", "h1-third")})
	if !proto.Equal(want, got) {
		t.Fatalf("after an outside change: got %v, want %v", got, want)
	}
}
