package sim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomesos/gomesos/slave"
)

// The disk's removal by folder entries removes what a scan of every path
// would: the path and everything under it, nothing else.
func TestDiskRemovesSubtreesAsAScanWould(t *testing.T) {
	h := &agentHost{workDir: agentWorkDir}
	d := newSimDisk()
	want := map[string]bool{}
	rng := rand.New(rand.NewPCG(1, 2))
	name := func() string {
		parts := []string{"meta"}
		for i := 0; i < 1+rng.IntN(4); i++ {
			parts = append(parts, fmt.Sprintf("d%d", rng.IntN(3)))
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
