package containerizer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomesos/gomesos/isolators"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
	"google.golang.org/protobuf/proto"
)

func newForTest(t *testing.T) *Mesos {
	t.Helper()
	isos, err := isolators.Create("posix/cpu,posix/mem")
	if err != nil {
		t.Fatal(err)
	}
	m := NewMesos(Options{Isolators: isos})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, id := range m.Containers() {
			if err := m.Destroy(ctx, id); err != nil {
				t.Errorf("cleanup destroy %s: %v", id, err)
			}
		}
	})
	return m
}

func shellExecutor(cmd string, uris ...*mesos.CommandInfo_URI) *mesos.ExecutorInfo {
	return &mesos.ExecutorInfo{
		ExecutorId: &mesos.ExecutorID{Value: proto.String("e")},
		Command: &mesos.CommandInfo{
			Value: proto.String(cmd),
			Uris:  uris,
			Environment: &mesos.Environment{Variables: []*mesos.Environment_Variable{
				{Name: proto.String("FROM_COMMAND"), Value: proto.String("yes")},
				{Name: proto.String("OVERRIDE"), Value: proto.String("command")},
			}},
		},
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestLaunchRunsExecutorWithEnvAndFetchedFiles(t *testing.T) {
	m := newForTest(t)
	src := filepath.Join(t.TempDir(), "data.txt")
	os.WriteFile(src, []byte("fetched"), 0o644)
	sandbox := filepath.Join(t.TempDir(), "runs", "c1")
	ctx := ctxT(t)
	err := m.Launch(ctx, "c1", LaunchConfig{
		ExecutorInfo: shellExecutor("cat data.txt; echo; echo $MESOS_SANDBOX $AGENT_VAR $FROM_COMMAND $OVERRIDE; echo err >&2; exit 7",
			&mesos.CommandInfo_URI{Value: proto.String(src)}),
		Directory: sandbox,
		Env:       map[string]string{"AGENT_VAR": "agent", "OVERRIDE": "agent"},
	})
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	term, err := m.Wait(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if term.Status == nil || !syscall.WaitStatus(*term.Status).Exited() || syscall.WaitStatus(*term.Status).ExitStatus() != 7 {
		t.Fatalf("termination = %+v", term)
	}
	if term.State != nil || term.Reason != nil {
		t.Fatalf("plain exit has state/reason: %+v", term)
	}
	out, _ := os.ReadFile(filepath.Join(sandbox, "stdout"))
	if want := "fetched\n" + sandbox + " agent yes command\n"; string(out) != want {
		t.Fatalf("stdout = %q, want %q", out, want)
	}
	errOut, _ := os.ReadFile(filepath.Join(sandbox, "stderr"))
	if !strings.Contains(string(errOut), "Fetching URI") || !strings.HasSuffix(string(errOut), "err\n") {
		t.Fatalf("stderr = %q", errOut)
	}
	if len(m.Containers()) != 0 {
		t.Fatalf("containers after exit: %v", m.Containers())
	}
	// Wait after the end still answers; a second launch of the id fails.
	if t2, err := m.Wait(ctx, "c1"); err != nil || t2 != term {
		t.Fatalf("late Wait = %v, %v", t2, err)
	}
	if err := m.Launch(ctx, "c1", LaunchConfig{ExecutorInfo: shellExecutor("true"), Directory: sandbox}); err == nil {
		t.Fatal("relaunch of a finished id succeeded")
	}
	if _, err := m.Wait(ctx, "nope"); !errors.Is(err, ErrUnknownContainer) {
		t.Fatalf("Wait unknown = %v", err)
	}
}

func TestDestroyRunningContainerAndUsage(t *testing.T) {
	m := newForTest(t)
	ctx := ctxT(t)
	sandbox := t.TempDir()
	res := resources.MustParse("cpus:0.5;mem:64")
	if err := m.Launch(ctx, "c2", LaunchConfig{ExecutorInfo: shellExecutor("sleep 1000 & sleep 1001"), Directory: sandbox, Resources: res}); err != nil {
		t.Fatal(err)
	}
	// Right after its exec a process may not have faulted in a page yet:
	// its RSS shows within moments.
	deadline := time.Now().Add(10 * time.Second)
	for {
		u, err := m.Usage(ctx, "c2")
		if err != nil {
			t.Fatal(err)
		}
		if u.GetCpusLimit() != 0.5 || u.GetMemLimitBytes() != 64<<20 || u.Timestamp == nil {
			t.Fatalf("usage = %v", u)
		}
		if u.GetMemRssBytes() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("usage never shows the container's RSS: %v", u)
		}
		time.Sleep(10 * time.Millisecond) // polling /proc
	}
	if err := m.Update(ctx, "c2", resources.MustParse("cpus:1;mem:64")); err != nil {
		t.Fatal(err)
	}
	if err := m.Destroy(ctx, "c2"); err != nil {
		t.Fatal(err)
	}
	term, err := m.Wait(ctx, "c2")
	if err != nil {
		t.Fatal(err)
	}
	if term.Status == nil || syscall.WaitStatus(*term.Status).Signal() != syscall.SIGKILL {
		t.Fatalf("termination = %+v", term)
	}
	if err := m.Destroy(ctx, "c2"); err != nil {
		t.Fatalf("second destroy: %v", err)
	}
}

func TestLaunchFailureIsReportedByWait(t *testing.T) {
	m := newForTest(t)
	ctx := ctxT(t)
	err := m.Launch(ctx, "c3", LaunchConfig{
		ExecutorInfo: shellExecutor("true", &mesos.CommandInfo_URI{Value: proto.String("/no/such/file")}),
		Directory:    t.TempDir(),
	})
	if err == nil || !strings.Contains(err.Error(), "/no/such/file") {
		t.Fatalf("Launch error = %v", err)
	}
	term, err := m.Wait(ctx, "c3")
	if err != nil || term.Status != nil || !strings.Contains(term.Message, "Failed to launch container") {
		t.Fatalf("Wait = %+v, %v", term, err)
	}
}

func TestDestroyDuringFetchFailsLaunch(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	m := newForTest(t)
	m.fetcher.Client = srv.Client()
	ctx := ctxT(t)
	errc := make(chan error, 1)
	go func() {
		errc <- m.Launch(ctx, "c4", LaunchConfig{
			ExecutorInfo: shellExecutor("true", &mesos.CommandInfo_URI{Value: proto.String(srv.URL + "/slow.bin")}),
			Directory:    t.TempDir(),
		})
	}()
	<-entered
	if err := m.Destroy(ctx, "c4"); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "destroyed during launch") {
		t.Fatalf("Launch error = %v", err)
	}
}

// A command that writes nothing still gets empty stdout and stderr files
// in its sandbox (made with the parents it lacked), and Forked hears its
// pid, which the checkpointed pid file holds too.
func TestLaunchMakesSandboxAndOutputFilesAndSaysThePid(t *testing.T) {
	m := newForTest(t)
	ctx := ctxT(t)
	sandbox := filepath.Join(t.TempDir(), "executors", "e", "runs", "c2")
	pidFile := filepath.Join(t.TempDir(), "pids", "forked.pid")
	forked := 0
	err := m.Launch(ctx, "c2", LaunchConfig{
		ExecutorInfo: shellExecutor("true"),
		Directory:    sandbox,
		PIDFile:      pidFile,
		Forked:       func(pid int) error { forked = pid; return nil },
	})
	if err != nil {
		t.Fatalf("Launch: %v", err)
	}
	if _, err := m.Wait(ctx, "c2"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"stdout", "stderr"} {
		if st, err := os.Stat(filepath.Join(sandbox, name)); err != nil || !st.Mode().IsRegular() || st.Size() != 0 {
			t.Errorf("%s: %v, %v; want an empty file", name, st, err)
		}
	}
	if b, err := os.ReadFile(pidFile); err != nil || forked <= 0 || string(b) != strconv.Itoa(forked) {
		t.Fatalf("pid file %q (%v), Forked heard %d", b, err, forked)
	}
	// A failing Forked fails the launch.
	err = m.Launch(ctx, "c3", LaunchConfig{
		ExecutorInfo: shellExecutor("sleep 1000"),
		Directory:    filepath.Join(filepath.Dir(sandbox), "c3"),
		Forked:       func(int) error { return errors.New("no room") },
	})
	if err == nil || !strings.Contains(err.Error(), "no room") {
		t.Fatalf("Launch with a failing Forked = %v", err)
	}
	if term, err := m.Wait(ctx, "c3"); err != nil || term.Status == nil || !syscall.WaitStatus(*term.Status).Signaled() {
		t.Fatalf("the executor of a failed launch: %+v, %v", term, err)
	}
}

func TestMakeSandbox(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := makeSandbox(deep); err != nil {
		t.Fatal(err)
	}
	if err := makeSandbox(deep); err != nil {
		t.Fatalf("again: %v", err)
	}
	if err := makeSandbox(filepath.Join(root, "a", "b", "d")); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(root, "f")
	os.WriteFile(file, nil, 0o644)
	if err := makeSandbox(file); err == nil {
		t.Fatal("a file passed for a sandbox")
	}
	if err := makeSandbox(filepath.Join(file, "x")); err == nil {
		t.Fatal("a sandbox under a file was made")
	}
}
