package isolators

import (
	"context"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in      string
		want    string
		wantErr string
	}{
		{"", "posix/cpu,posix/mem", ""},
		{"posix/mem", "posix/mem", ""},
		{" posix/cpu , posix/cpu,posix/mem ", "posix/cpu,posix/mem", ""},
		{"cgroups/cpu,posix/mem", "cgroups/cpu,posix/mem", ""},
		{"cgroups/all,cgroups/mem", "cgroups/cpu,cgroups/mem,cgroups/pids", ""},
		{"cgroups/devices", "", "not supported yet"},
		{"namespaces/pid,cgroups/mem", "namespaces/pid,cgroups/mem", ""},
		{"bogus", "", "unknown isolator \"bogus\""},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("Parse(%q) error = %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != c.want {
			t.Errorf("Parse(%q) = %v, %v, want %s", c.in, got, err, c.want)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	line := "123 (my (odd) prog) R 1 123 123 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 3 0 100 1000000 77 18446744073709551615"
	st, ok := ParseProcStat(line)
	if !ok {
		t.Fatal("not parsed")
	}
	if st.Pid != 123 || st.PPid != 1 || st.Session != 123 || st.UTime != 250 || st.STime != 50 || st.NumThreads != 3 || st.RSSPages != 77 {
		t.Fatalf("got %+v", st)
	}
	if _, ok := ParseProcStat("1 (x) R 1"); ok {
		t.Fatal("short line parsed")
	}
}

func TestPosixUsageMeasuresProcessTree(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "sleep 100 & sleep 100 & wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})

	ctx := context.Background()
	isos, err := Create("posix/cpu,posix/mem")
	if err != nil {
		t.Fatal(err)
	}
	for _, iso := range isos {
		if _, err := iso.Prepare(ctx, "c", ContainerConfig{}); err != nil {
			t.Fatal(err)
		}
		if _, err := iso.Prepare(ctx, "c", ContainerConfig{}); err == nil {
			t.Fatalf("%s: second Prepare succeeded", iso.Name())
		}
		if err := iso.Isolate(ctx, "c", pid); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until sh has started both sleeps.
	deadline := time.Now().Add(10 * time.Second)
	for len(ProcessTree(pid)) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("process tree = %v", ProcessTree(pid))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cpu, err := isos[0].Usage(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if cpu.GetProcesses() != 3 || cpu.GetCpusUserTimeSecs() < 0 || cpu.GetCpusSystemTimeSecs() < 0 || cpu.Timestamp == nil {
		t.Fatalf("cpu usage = %v", cpu)
	}
	mem, err := isos[1].Usage(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if mem.GetMemRssBytes() == 0 {
		t.Fatalf("mem usage = %v", mem)
	}

	wctx, cancel := context.WithCancel(ctx)
	cancel()
	if l, err := isos[0].Watch(wctx, "c"); l != nil || err == nil {
		t.Fatalf("Watch = %v, %v", l, err)
	}
	for _, iso := range isos {
		if err := iso.Cleanup(ctx, "c"); err != nil {
			t.Fatal(err)
		}
		if _, err := iso.Usage(ctx, "c"); err == nil {
			t.Fatalf("%s: usage after cleanup succeeded", iso.Name())
		}
	}
}
