package master

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/internal/zktest"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// BenchmarkRegistrarAdmission admits 1000 agents one event at a time as
// the master's shell does: each admission is applied to the registry and
// the core told it is stored; "encoded" also builds and encodes the
// registry each time with the shell's encoder (what a store sends, one
// store per admission: the worst case, with no batching), "private" does
// not (Config.Registry nil). It reports
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
				var enc registryEncoder
				for j := 0; j < n; j++ {
					pid := actors.PID{ID: "slave(1)", Address: fmt.Sprintf("10.0.%d.%d:5051", j/250, j%250)}
					info.Hostname = proto.String(fmt.Sprintf("agent-%d.example.com", j))
					for _, e := range c.Receive(t0, pid, &mesosinternal.RegisterSlaveMessage{Slave: info, Version: proto.String("1.11.0")}) {
						if r, ok := e.(RegistryApply); ok {
							if encode {
								next, data, err := enc.next(reg, []RegistryApply{r})
								if err != nil {
									b.Fatal(err)
								}
								reg, size = next, len(data)
							} else {
								r.Op.Apply(reg)
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

// BenchmarkRegistrarBatchedAdmission admits 10,000 agents as the shell
// does when registrations arrive faster than stores finish: the core's
// ops are stored batch by batch (100 or 1000 admissions in one store), the
// registry built and encoded by the shell's encoder ("cached") or by a
// clone and a full proto.Marshal each time ("marshal"), into a registry.Memory or a real ZooKeeper (one local
// server; skipped without one). It reports the cost per admission and
// the registry's final size.
func BenchmarkRegistrarBatchedAdmission(b *testing.B) {
	const n = 10000
	for _, store := range []string{"memory", "zookeeper"} {
		for _, batch := range []int{100, 1000} {
			for _, how := range []string{"marshal", "cached"} {
				b.Run(fmt.Sprintf("store=%s/batch=%d/%s", store, batch, how), func(b *testing.B) {
					var zkConn *zk.Conn
					var fence string
					if store == "zookeeper" {
						zkConn, fence = benchZooKeeper(b)
					}
					info := agentInfo("cpus:8;mem:32768;disk:100000;ports:[31000-32000]")
					var size int
					for i := 0; i < b.N; i++ {
						var st registry.Store = registry.NewMemory()
						if store == "zookeeper" {
							benchPath++
							st = registry.NewZooKeeper(zkConn, fmt.Sprintf("/bench%d", benchPath), fence, nil)
						}
						cfg := DefaultConfig()
						cfg.Hostname, cfg.IP = "localhost", "127.0.0.1"
						c, err := NewCore(cfg, testInfo(), Deps{})
						if err != nil {
							b.Fatal(err)
						}
						c.Start(t0)
						var enc registryEncoder
						reg, version := &mesosinternal.Registry{}, registry.Absent
						var queued []RegistryApply
						flush := func() {
							var next *mesosinternal.Registry
							var data []byte
							if how == "cached" {
								next, data, err = enc.next(reg, queued)
							} else {
								next = clone(reg)
								applyBatch(next, queued)
								data, err = proto.Marshal(next)
							}
							if err != nil {
								b.Fatal(err)
							}
							if version, err = st.Store(context.Background(), data, version); err != nil {
								b.Fatal(err)
							}
							reg, size = next, len(data)
							c.RegistryApplied(t0, queued[len(queued)-1].Seq, nil)
							queued = nil
						}
						for j := 0; j < n; j++ {
							pid := actors.PID{ID: "slave(1)", Address: fmt.Sprintf("10.%d.%d.%d:5051", j/62500, j/250%250, j%250)}
							info.Hostname = proto.String(fmt.Sprintf("agent-%d.example.com", j))
							for _, e := range c.Receive(t0, pid, &mesosinternal.RegisterSlaveMessage{Slave: info, Version: proto.String("1.11.0")}) {
								if r, ok := e.(RegistryApply); ok {
									queued = append(queued, r)
								}
							}
							if len(queued) == batch {
								flush()
							}
						}
						if len(c.agents) != n {
							b.Fatalf("%d agents admitted", len(c.agents))
						}
					}
					b.ReportMetric(float64(size), "registry-bytes")
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "µs/admission")
				})
			}
		}
	}
}

var benchPath int

// benchZooKeeper starts a ZooKeeper server and returns a connection and
// an election znode of its session.
func benchZooKeeper(b *testing.B) (*zk.Conn, string) {
	srv := zktest.Start(b)
	conn, _, err := zk.Connect([]string{srv.Addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(conn.Close)
	fence, err := conn.Create("/leader", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	if err != nil {
		b.Fatal(err)
	}
	return conn, fence
}

// BenchmarkRegistryEncode encodes a registry of 1,000, 10,000 and 50,000
// agents after one more agent was admitted: "marshal" clones the registry
// and encodes it whole, "cached" is the shell's encoder.
func BenchmarkRegistryEncode(b *testing.B) {
	for _, n := range []int{1000, 10000, 50000} {
		base := &mesosinternal.Registry{}
		for j := 0; j < n; j++ {
			info := agentInfo("cpus:8;mem:32768;disk:100000;ports:[31000-32000]")
			info.Id = slaveID(fmt.Sprintf("4f5c2a9e-8d1b-4c7e-9a3f-2b6d8e0c1f47-S%d", j))
			info.Hostname = proto.String(fmt.Sprintf("agent-%d.example.com", j))
			appendAdmitted(base, info)
		}
		admit := func(reg *mesosinternal.Registry, i int) []RegistryApply {
			info := clone(reg.Slaves.Slaves[0].Info)
			info.Id = slaveID(fmt.Sprintf("4f5c2a9e-8d1b-4c7e-9a3f-2b6d8e0c1f47-S%d", n+i))
			return []RegistryApply{{Seq: uint64(i), Op: AdmitSlave{Info: info}}}
		}
		b.Run(fmt.Sprintf("agents=%d/marshal", n), func(b *testing.B) {
			reg := clone(base)
			for i := 0; i < b.N; i++ {
				next := clone(reg)
				applyBatch(next, admit(reg, i))
				if _, err := proto.Marshal(next); err != nil {
					b.Fatal(err)
				}
				reg = next
			}
		})
		b.Run(fmt.Sprintf("agents=%d/cached", n), func(b *testing.B) {
			var enc registryEncoder
			reg, _, err := enc.next(base, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if reg, _, err = enc.next(reg, admit(reg, i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
