package sim

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomesos/gomesos/slave"
)

// The disk's removal by folder entries removes what a scan of every path
// would: the path and everything under it, nothing else; and a file is
// found when it is there.
func TestDiskRemovesSubtreesAsAScanWould(t *testing.T) {
	h := &agentHost{workDir: agentWorkDir}
	d := newSimDisk()
	want := map[string]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	name := func() string {
		parts := []string{"meta"}
		for i := 0; i < 1+rng.IntN(4); i++ {
			parts = append(parts, []string{"d", "d1", "d12"}[rng.IntN(3)]) // each a prefix of the next
		}
		return strings.Join(parts, "/")
	}
	for i := 0; i < 5000; i++ {
		p := name()
		switch rng.IntN(4) {
		case 0:
			d.write(h, slave.CheckpointRemove{Path: agentWorkDir + "/" + p})
			for k := range want {
				if k == p || strings.HasPrefix(k, p+"/") {
					delete(want, k)
				}
			}
		case 1:
			d.write(h, slave.CheckpointAppend{Path: agentWorkDir + "/" + p + "/f", Data: []byte("x")})
			want[p+"/f"] = true
		default:
			d.write(h, slave.Checkpoint{Path: agentWorkDir + "/" + p, Data: []byte("y")})
			want[p] = true
		}
		q := name()
		if _, ok := d.get(q); ok != want[q] {
			t.Fatalf("step %d: get(%s) = %v, want %v", i, q, ok, want[q])
		}
		files := d.files()
		if len(files) != len(want) {
			t.Fatalf("step %d: %d files, want %d", i, len(files), len(want))
		}
		for k := range want {
			if _, ok := files[k]; !ok {
				t.Fatalf("step %d: %s missing", i, k)
			}
		}
	}
}
