package containerizer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
