package containerizer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A second containerizer (a restarted agent) adopts a running executor by
// the pid the first one checkpointed, and sees it end.
func TestRecoverAdoptsExecutorByCheckpointedPID(t *testing.T) {
	first := newForTest(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "meta", "pids", "forked.pid")
	release := filepath.Join(dir, "release")
	cfg := LaunchConfig{
		ExecutorInfo: shellExecutor("while [ ! -e " + release + " ]; do sleep 0.05; done"),
		Directory:    filepath.Join(dir, "sandbox"),
		PIDFile:      pidFile,
	}
	if err := first.Launch(ctxT(t), "c1", cfg); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		t.Fatalf("forked.pid = %q", b)
	}

	second := newForTest(t)
	if err := second.Recover(ctxT(t), []Recovered{{ID: "c1", PID: pid}, {ID: "c2"}}); err != nil {
		t.Fatal(err)
	}
	if got := second.Containers(); len(got) != 1 || got[0] != "c1" {
		t.Fatalf("containers after recovery = %v", got)
	}
	// No pid: it ends at once.
	if term, err := second.Wait(ctxT(t), "c2"); err != nil || term.Status != nil {
		t.Fatalf("c2: %v %v", term, err)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	term, err := second.Wait(ctxT(t), "c1")
	if err != nil {
		t.Fatal(err)
	}
	if term.Status != nil {
		t.Fatalf("a foreign process' status cannot be known: %v", *term.Status)
	}
}
