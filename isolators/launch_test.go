package isolators

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/isolators/cgroups/cgroupstest"
	"github.com/gomesos/gomesos/launcher"
	"github.com/gomesos/gomesos/messages/mesos"
)

// The containerizer's sequence in miniature: Prepare every isolator, Fork
// with Isolate as the gate, Watch, and on a limitation Destroy and Cleanup.
func TestLinuxLauncherWithCgroupsIsolators(t *testing.T) {
	l := cgroupstest.Layout(t)
	opts := Options{CgroupsHierarchy: l.Hierarchy, CgroupsRoot: l.Root, CgroupsEnableCFS: true, PidsMax: 64}
	isos, err := New("cgroups/cpu,cgroups/mem,cgroups/pids,namespaces/pid", opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := launcher.NewWithOptions("linux", launcher.Options{CgroupsHierarchy: l.Hierarchy, CgroupsRoot: l.Root})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const id = "exec-1"
	r := res(t, "cpus:0.5;mem:32")
	namespaces := false
	for _, iso := range isos {
		info, err := iso.Prepare(ctx, id, ContainerConfig{Resources: r})
		if err != nil {
			t.Fatal(err)
		}
		if info != nil && info.Namespaces {
			namespaces = true
		}
	}
	if !namespaces {
		t.Fatal("namespaces/pid did not ask for namespaces")
	}
	t.Cleanup(func() {
		_ = ln.Destroy(context.Background(), id)
		for _, iso := range isos {
			_ = iso.Cleanup(context.Background(), id)
		}
	})
	sandbox := t.TempDir()
	pid, err := ln.Fork(ctx, id, launcher.Spec{
		Path: os.Args[0], Args: []string{"hog"}, Dir: sandbox,
		Env:        []string{"GOMESOS_TEST_HOG=mem", "GOMAXPROCS=1"},
		Namespaces: namespaces,
		Stdout:     filepath.Join(sandbox, "stdout"), Stderr: filepath.Join(sandbox, "stderr"),
		Isolate: func(pid int) error {
			for _, iso := range isos {
				if err := iso.Isolate(ctx, id, pid); err != nil {
					return err
				}
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if pid <= 0 {
		t.Fatalf("pid %d", pid)
	}
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(sandbox, "stderr"))
			t.Logf("the executor's stderr: %s", b)
		}
	}()
	lim, err := isos[1].Watch(ctx, id)
	if err != nil || lim.Reason != mesos.TaskStatus_REASON_CONTAINER_LIMITATION_MEMORY {
		t.Fatalf("Watch = %v, %v", lim, err)
	}
	if err := ln.Destroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	st, err := ln.Wait(ctx, id)
	if err != nil || st.Signal() != syscall.SIGKILL {
		t.Errorf("the executor %v (%v), want killed by SIGKILL", st, err)
	}
	for i := len(isos) - 1; i >= 0; i-- {
		if err := isos[i].Cleanup(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []string{"cpu", "cpuacct", "memory", "pids", "freezer"} {
		if l.Exists(c, id) {
			t.Errorf("the %s cgroup survived", c)
		}
	}
}
