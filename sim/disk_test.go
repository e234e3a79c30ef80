package sim

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

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

// A run whose disks only count their writes is the same run, write for
// write, as one whose disks keep them.
func TestCountOnlyDisksRunTheSame(t *testing.T) {
	faults, err := ParseFaults("drop,dup,reorder,delay,partition,master-restart")
	if err != nil {
		t.Fatal(err)
	}
	run := func(seed uint64, count bool) (string, uint64, int) {
		var trace bytes.Buffer
		c, err := NewCluster(Config{Seed: seed, Agents: 4, Frameworks: 3, Tasks: 40, Faults: faults, Trace: &trace, CountDiskWrites: count})
		if err != nil {
			t.Fatal(err)
		}
		res := c.Run()
		if res.Err != nil {
			t.Fatalf("seed %d, count-only %v: %v", seed, count, res.Err)
		}
		kept := 0
		for _, h := range c.hosts {
			kept += len(h.disk.files())
		}
		return trace.String() + wallRE.ReplaceAllString(res.Summary(), ""), res.DiskWrites, kept
	}
	for seed := uint64(1); seed <= 3; seed++ {
		full, fullWrites, fullKept := run(seed, false)
		counted, countedWrites, countedKept := run(seed, true)
		if full != counted {
			t.Errorf("seed %d: the count-only run differs", seed)
		}
		if fullWrites == 0 || countedWrites != fullWrites {
			t.Errorf("seed %d: %d writes kept, %d counted", seed, fullWrites, countedWrites)
		}
		if fullKept == 0 || countedKept != 0 {
			t.Errorf("seed %d: %d files on the full disks, %d on the count-only ones", seed, fullKept, countedKept)
		}
	}
}

func TestCountOnlyDisksRefuseRunsThatReadThemBack(t *testing.T) {
	for _, f := range []string{"agent-restart", "crash", "disk-loss"} {
		faults, _ := ParseFaults(f)
		if _, err := NewCluster(Config{Agents: 1, Frameworks: 1, Faults: faults, CountDiskWrites: true}); err == nil {
			t.Errorf("count-only disks accepted with %s", f)
		}
	}
	// An agent restarted by hand finds nothing to recover: the run fails
	// rather than go on from an empty disk.
	c, err := NewCluster(Config{Seed: 3, Agents: 1, Frameworks: 1, Tasks: 2, FailRate: 1e-12, TaskTime: 20 * time.Second, CountDiskWrites: true})
	if err != nil {
		t.Fatal(err)
	}
	runUntilRunning(t, c)
	c.crashAgentProcess(0)
	res := c.Run()
	if res.Err == nil || !strings.Contains(res.Err.Error(), "kept none of its") {
		t.Fatalf("err = %v", res.Err)
	}
}
