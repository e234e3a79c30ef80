package cgroups_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/isolators/cgroups"
	"github.com/gomesos/gomesos/isolators/cgroups/cgroupstest"
)

func TestMain(m *testing.M) { os.Exit(cgroupstest.Main(m)) }

func TestNewLayout(t *testing.T) {
	cases := []struct {
		hierarchy, root string
		wantRoot, err   string
	}{
		{"", "", "/mesos", ""},
		{"/sys/fs/cgroup", "mesos", "/mesos", ""},
		{"/sys/fs/cgroup", "/a/b/", "/a/b", ""},
		{"/sys/fs/cgroup", "a//b", "/a/b", ""},
		{"/sys/fs/cgroup", "/", "", "hierarchy's own root"},
		{"/sys/fs/cgroup", "a/../..", "", "'..'"},
		{"sys/fs/cgroup", "mesos", "", "not an absolute path"},
	}
	for _, c := range cases {
		l, err := cgroups.NewLayout(c.hierarchy, c.root)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("NewLayout(%q, %q) = %v, want error %q", c.hierarchy, c.root, err, c.err)
			}
			continue
		}
		if err != nil || l.Root != c.wantRoot {
			t.Errorf("NewLayout(%q, %q) = %+v, %v", c.hierarchy, c.root, l, err)
		}
	}
	l, _ := cgroups.NewLayout("/sys/fs/cgroup", "mesos")
	if l.Version == cgroups.V1 {
		if got := l.Dir("memory", "c1"); got != "/sys/fs/cgroup/memory/mesos/c1" {
			t.Errorf("Dir = %s", got)
		}
	}
	if got := l.Path("c1"); got != "/mesos/c1" {
		t.Errorf("Path = %s", got)
	}
	none, err := cgroups.NewLayout(t.TempDir(), "mesos")
	if err != nil || none.Version != cgroups.None {
		t.Fatalf("a plain directory = %+v, %v", none, err)
	}
	if err := none.Require("cgroups/mem", "memory"); err == nil || !strings.Contains(err.Error(), "needs cgroups") {
		t.Errorf("Require without cgroups = %v", err)
	}
}

func TestCheckID(t *testing.T) {
	for _, id := range []string{"", ".", "..", "a/b", "../x", " x", "a\x00"} {
		if cgroups.CheckID(id) == nil {
			t.Errorf("CheckID(%q) accepted", id)
		}
	}
	for _, id := range []string{"c1", "0f1e2d3c-aaaa-bbbb", "a.b"} {
		if err := cgroups.CheckID(id); err != nil {
			t.Errorf("CheckID(%q) = %v", id, err)
		}
	}
	l, _ := cgroups.NewLayout("/sys/fs/cgroup", "mesos")
	if err := l.Destroy(context.Background(), "..", "memory"); err == nil {
		t.Error("Destroy of \"..\" was not refused")
	}
}

func TestReadKV(t *testing.T) {
	f := filepath.Join(t.TempDir(), "memory.events")
	if err := os.WriteFile(f, []byte("low 0\nhigh 3\noom_kill 2\nbogus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	kv, err := cgroups.ReadKV(f)
	if err != nil || kv["high"] != 3 || kv["oom_kill"] != 2 || len(kv) != 3 {
		t.Fatalf("ReadKV = %v, %v", kv, err)
	}
}

// Destroy kills processes that fork all the time and removes nested
// cgroups, deepest first.
func TestDestroyFreezesKillsAndRemoves(t *testing.T) {
	l := cgroupstest.Layout(t)
	const id = "c"
	for _, c := range []string{"freezer", "memory"} {
		if err := os.MkdirAll(filepath.Join(l.Dir(c, id), "nested"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(l.Dir("memory", id), "memory.limit_in_bytes"), []byte("67108864"), 0); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", "read x; while :; do sleep 1000 & done")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	gate, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); <-done })
	for _, c := range []string{"freezer", "memory"} {
		if err := os.WriteFile(filepath.Join(l.Dir(c, id), "nested", "cgroup.procs"), []byte(strconv.Itoa(cmd.Process.Pid)), 0); err != nil {
			t.Fatal(err)
		}
	}
	gate.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids, _ := cgroups.Procs(l.Dir("freezer", id))
		if len(pids) > 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the loop started only %d processes", len(pids))
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := l.Destroy(ctx, id, "memory", "freezer"); err != nil {
		t.Fatal(err)
	}
	<-done
	for _, c := range []string{"freezer", "memory"} {
		if l.Exists(c, id) {
			t.Errorf("the %s cgroup survived", c)
		}
	}
}
