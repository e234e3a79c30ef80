package master

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// BenchmarkRegistrarAdmission admits 1000 agents one event at a time as
// the master's shell does: each admission is applied to the registry and
// the core told it is stored; "encoded" also encodes the whole registry
// each time (what a store sends, one store per admission: the worst case,
// with no batching), "private" does not (Config.Registry nil). It reports
// the registry's size and the cost per admission.
func BenchmarkRegistrarAdmission(b *testing.B) {
	const n = 1000
	for _, encode := range []bool{false, true} {
		name := "private"
		if encode {
			name = "encoded"
		}
		b.Run(name, func(b *testing.B) {
			info := agentInfo("cpus:8;mem:32768;disk:100000;ports:[31000-32000]")
			var size int
			for i := 0; i < b.N; i++ {
				cfg := DefaultConfig()
				cfg.Hostname, cfg.IP = "localhost", "127.0.0.1"
				c, err := NewCore(cfg, testInfo(), Deps{})
				if err != nil {
					b.Fatal(err)
				}
				c.Start(t0)
				reg := &mesosinternal.Registry{}
				for j := 0; j < n; j++ {
					pid := actors.PID{ID: "slave(1)", Address: fmt.Sprintf("10.0.%d.%d:5051", j/250, j%250)}
					info.Hostname = proto.String(fmt.Sprintf("agent-%d.example.com", j))
					for _, e := range c.Receive(t0, pid, &mesosinternal.RegisterSlaveMessage{Slave: info, Version: proto.String("1.11.0")}) {
						if r, ok := e.(RegistryApply); ok {
							r.Op.Apply(reg)
							if encode {
								data, err := proto.Marshal(reg)
								if err != nil {
									b.Fatal(err)
								}
								size = len(data)
							}
							c.RegistryApplied(t0, r.Seq, nil)
						}
					}
				}
				if len(c.agents) != n {
					b.Fatalf("%d agents admitted", len(c.agents))
				}
				size = proto.Size(reg)
			}
			b.ReportMetric(float64(size), "registry-bytes")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/admission")
		})
	}
}
