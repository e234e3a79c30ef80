package master

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// The shell's encoder writes what proto.Marshal would mean, batch after
// batch, and leaves the registry it started from as it was.
func TestRegistryEncoderMatchesProtobuf(t *testing.T) {
	info := func(id int, host string) *mesos.SlaveInfo {
		a := agentInfo("cpus:2;mem:1024")
		a.Id = slaveID(fmt.Sprintf("M-S%d", id))
		a.Hostname = proto.String(host)
		return a
	}
	at := time.Unix(1700000000, 0)
	batches := [][]RegistryOp{
		{SetMaster{Info: testInfo()}, AdmitSlave{Info: info(1, "a")}, AdmitSlave{Info: info(2, "b")}},
		{AdmitSlave{Info: info(3, "c")}, UpdateSlave{Info: info(1, "a2")}},
		{MarkSlaveUnreachable{Info: info(2, "b"), Time: at}, UpdateWeights{Weights: []*mesos.WeightInfo{{Role: proto.String("r"), Weight: proto.Float64(2)}}}},
		{UpdateWeights{Weights: []*mesos.WeightInfo{{Role: proto.String("r"), Weight: proto.Float64(3)}}}, MarkSlaveReachable{Info: info(2, "b2")}},
		{MarkSlaveGone{ID: "M-S3", Time: at}, RemoveSlave{ID: "M-S1"}, AdmitSlave{Info: info(4, "d")}},
		{Prune{Gone: []string{"M-S3"}}, UpdateQuota{Role: "r", Config: &mesos.QuotaConfig{Role: proto.String("r")}}},
		{},
	}
	var enc registryEncoder
	stored := &mesosinternal.Registry{}
	plain := &mesosinternal.Registry{}
	for i, ops := range batches {
		before := proto.Clone(stored)
		var batch []RegistryApply
		for j, op := range ops {
			batch = append(batch, RegistryApply{Seq: uint64(j), Op: op})
		}
		next, data, err := enc.next(stored, batch)
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(stored, before) {
			t.Fatalf("batch %d changed the registry it started from", i)
		}
		ApplyRegistryOps(plain, ops...)
		got := &mesosinternal.Registry{}
		if err := proto.Unmarshal(data, got); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if !proto.Equal(got, plain) || !proto.Equal(next, plain) {
			t.Fatalf("batch %d: encoded %v\nwant %v", i, got, plain)
		}
		stored = next
	}
}
