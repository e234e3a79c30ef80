package registry

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/internal/zktest"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// BenchmarkZooKeeperRegistry measures a registry of 1,000, 10,000 and
// 50,000 admitted agents in a real ZooKeeper (one local server):
//
//   - store: encode (protobuf) and store a registry one agent larger than
//     the one stored (the registrar's steady state: only changed chunks
//     are written);
//   - store-fresh: encode and store it where no chunk exists yet (every
//     chunk written, as the first store of a registry that size);
//   - fetch, decode: fetch it, and decode it (what a new leader does).
//
// It reports the registry's size, and the bytes ZooKeeper holds for it.
func BenchmarkZooKeeperRegistry(b *testing.B) {
	srv := zktest.Start(b)
	c := connect(b, srv.Addr)
	fence := fenceZnode(b, c, "leader")
	ctx := context.Background()
	freshN := 0
	for _, n := range []int{1000, 10000, 50000} {
		reg := fakeRegistryProto(n, 0)
		size := proto.Size(reg)
		path := fmt.Sprintf("/mesos/r%d", n)
		s := NewZooKeeper(c, path, fence, nil)
		v, err := s.Store(ctx, mustMarshal(b, reg), Absent)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("agents=%d/store", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				grow(reg, n+i)
				data := mustMarshal(b, reg)
				if v, err = s.Store(ctx, data, v); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size), "registry-bytes")
			b.ReportMetric(float64(storedBytes(b, s)), "zk-bytes")
		})
		b.Run(fmt.Sprintf("agents=%d/store-fresh", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				fresh := NewZooKeeper(c, fmt.Sprintf("%s-fresh%d", path, freshN), fence, nil)
				freshN++
				if _, err := fresh.Store(ctx, mustMarshal(b, reg), Absent); err != nil {
					b.Fatal(err)
				}
			}
		})
		var data []byte
		b.Run(fmt.Sprintf("agents=%d/fetch", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if data, _, err = s.Fetch(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("agents=%d/decode", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := proto.Unmarshal(data, &mesosinternal.Registry{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// grow admits one more agent (id n) into reg, as the last one.
func grow(reg *mesosinternal.Registry, n int) {
	last := reg.Slaves.Slaves[len(reg.Slaves.Slaves)-1]
	next := proto.Clone(last).(*mesosinternal.Registry_Slave)
	next.Info.Id = &mesos.SlaveID{Value: proto.String(fmt.Sprintf("%s-S%d", reg.Master.Info.GetId(), n))}
	next.Info.Hostname = proto.String(fmt.Sprintf("agent-%d.example.com", n))
	reg.Slaves.Slaves = append(reg.Slaves.Slaves, next)
}

func mustMarshal(tb testing.TB, reg *mesosinternal.Registry) []byte {
	data, err := proto.Marshal(reg)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// storedBytes is what ZooKeeper holds for s: its head and its chunks.
func storedBytes(tb testing.TB, s *ZooKeeper) int {
	_, st, err := s.conn.Get(s.path)
	if err != nil {
		tb.Fatal(err)
	}
	total := int(st.DataLength)
	names, _, err := s.conn.Children(s.path)
	if err != nil {
		tb.Fatal(err)
	}
	for _, name := range names {
		_, st, err := s.conn.Get(s.path + "/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		total += int(st.DataLength)
	}
	return total
}
