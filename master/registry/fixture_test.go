package registry

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/resources"
)

// fakeRegistry is an encoded registry of admitted agents and unreachable
// ones, shaped as a master writes it (agent ids <master id>-S<n>).
func fakeRegistry(tb testing.TB, admitted, unreachable int) []byte {
	tb.Helper()
	data, err := proto.Marshal(fakeRegistryProto(admitted, unreachable))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func fakeRegistryProto(admitted, unreachable int) *mesosinternal.Registry {
	const master = "4f5c2a9e-8d1b-4c7e-9a3f-2b6d8e0c1f47"
	res := resources.MustParse("cpus:8;mem:32768;disk:100000;ports:[31000-32000]")
	reg := &mesosinternal.Registry{
		Master: &mesosinternal.Registry_Master{Info: &mesos.MasterInfo{
			Id: proto.String(master), Ip: proto.Uint32(0x0100007f), Port: proto.Uint32(5050),
			Pid: proto.String("master@127.0.0.1:5050"), Hostname: proto.String("localhost")}},
		Slaves:      &mesosinternal.Registry_Slaves{},
		Unreachable: &mesosinternal.Registry_UnreachableSlaves{},
	}
	for i := 0; i < admitted; i++ {
		reg.Slaves.Slaves = append(reg.Slaves.Slaves, &mesosinternal.Registry_Slave{Info: &mesos.SlaveInfo{
			Id:        &mesos.SlaveID{Value: proto.String(fmt.Sprintf("%s-S%d", master, i))},
			Hostname:  proto.String(fmt.Sprintf("agent-%d.example.com", i)),
			Port:      proto.Int32(5051),
			Resources: res,
		}})
	}
	for i := 0; i < unreachable; i++ {
		reg.Unreachable.Slaves = append(reg.Unreachable.Slaves, &mesosinternal.Registry_UnreachableSlave{
			Id:        &mesos.SlaveID{Value: proto.String(fmt.Sprintf("%s-S%d", master, admitted+i))},
			Timestamp: &mesos.TimeInfo{Nanoseconds: proto.Int64(1_700_000_000_000_000_000 + int64(i)*7_919_000_013)},
		})
	}
	return reg
}
