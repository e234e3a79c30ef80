package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestOneSeedPrintsOneSummaryLine(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"--seed=3", "--agents=3", "--frameworks=2", "--tasks=20", "--faults=drop,dup,reorder,partition,crash"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	re := regexp.MustCompile(`^sim: seed=3 agents=3 frameworks=2 tasks=20 finished=20 virtual=\d+\.\d+s wall=\d+\.\d+s tasks/s=\d+ invariants=ok\n$`)
	if !re.MatchString(out.String()) {
		t.Fatalf("output %q", out.String())
	}
}

func TestBadFlagsExit2(t *testing.T) {
	for _, args := range [][]string{{"--faults=flood"}, {"--agents=0"}, {"--task-resources=cpus:99"}, {"extra"}, {"--measure=nothing"}, {"--measure=master-failover", "--agents=0"}, {"--workers=2", "--faults=disk-loss"}, {"--workers=-1"}, {"--memprofile-at=5"}, {"--memprofile-at=-1", "--memprofile=x"}, {"--cpuprofile-until=5"}, {"--cpuprofile-until=-1", "--cpuprofile=x"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "mesos-sim") && !strings.Contains(errOut.String(), "flag") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}

func TestUnfinishedRunExits1WithTheSeed(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"--seed=9", "--agents=1", "--frameworks=1", "--tasks=50", "--task-time=1h", "--max-virtual=1m"}, &out, &errOut)
	if code != 1 || !strings.Contains(out.String(), "invariants=violated") || !strings.Contains(errOut.String(), "seed=9") || !strings.Contains(errOut.String(), "liveness") || !strings.Contains(errOut.String(), "last messages:") {
		t.Fatalf("exit %d\nstdout %s\nstderr %.500s", code, out.String(), errOut.String())
	}
}

func TestCountRunsConsecutiveSeeds(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--seed=5", "--count=3", "--agents=2", "--frameworks=1", "--tasks=5", "--faults=all"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "sim: seed=5 ") || !strings.HasPrefix(lines[2], "sim: seed=7 ") {
		t.Fatalf("output:\n%s", out.String())
	}
}

func TestRestartFaultsAndTheirCounts(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"--seed=5", "--count=2", "--agents=3", "--frameworks=2", "--tasks=20", "--faults=agent-restart,master-restart,disk-loss,leader-loss", "--stats"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	counts := regexp.MustCompile(`(?m)^sim: agent-restarts=\d+ torn-writes=\d+ master-restarts=\d+ leader-changes=\d+$`)
	if n := len(counts.FindAllString(out.String(), -1)); n != 2 {
		t.Fatalf("%d count lines for 2 seeds:\n%s", n, out.String())
	}
}

func TestMasterFailoverMeasurementPrintsOneLine(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"--measure=master-failover", "--agents=5", "--frameworks=2", "--tasks=10", "--task-time=1h", "--crash-at=30s", "--election=2s"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	re := regexp.MustCompile(`^sim-failover: seed=1 agents=5 frameworks=2 running=10 election=2\.000s acting=2\.\d+s .* back=5/5 .* ok\n$`)
	if !re.MatchString(out.String()) {
		t.Fatalf("output %q", out.String())
	}
}

func TestHeapProfileIsWrittenWhenTheCountIsReached(t *testing.T) {
	prof := filepath.Join(t.TempDir(), "heap.pprof")
	var out, errOut bytes.Buffer
	code := run([]string{"--seed=3", "--agents=3", "--frameworks=2", "--tasks=20", "--progress=7", "--memprofile-at=10", "--memprofile=" + prof}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	text := errOut.String()
	if !strings.Contains(text, "sim: heap profile at finished=10 ") {
		t.Errorf("stderr lacks the profile at finished=10:\n%s", text)
	}
	line := regexp.MustCompile(`(?m)^sim: progress finished=(7|14) virtual=\S+ wall=\S+ cpu=\S+ tasks/s=\d+ tasks/cpu-s=\d+ heap=\d+MiB gc-runs=\d+ sys=\d+\.\ds minflt=\d+$`)
	if got := len(line.FindAllString(text, -1)); got != 2 {
		t.Errorf("%d progress lines, want 2 (at 7 and 14):\n%s", got, text)
	}
	if fi, err := os.Stat(prof); err != nil || fi.Size() == 0 {
		t.Errorf("heap profile: %v", err)
	}
}

func TestCPUProfileStopsWhenTheCountIsReached(t *testing.T) {
	dir := t.TempDir()
	cpu, heap := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.pprof")
	var out, errOut bytes.Buffer
	code := run([]string{"--seed=3", "--agents=3", "--frameworks=2", "--tasks=20", "--progress=7", "--cpuprofile-until=10", "--cpuprofile=" + cpu, "--memprofile-at=4", "--memprofile=" + heap}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	text := errOut.String()
	for _, want := range []string{"sim: heap profile at finished=4 ", "sim: cpu profile stopped at finished=10 "} {
		if strings.Count(text, want) != 1 {
			t.Errorf("stderr lacks one %q:\n%s", want, text)
		}
	}
	if got := strings.Count(text, "sim: progress finished="); got != 2 {
		t.Errorf("%d progress lines, want 2 (at 7 and 14):\n%s", got, text)
	}
	for _, f := range []string{cpu, heap} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
