package containerizer

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
)

func launchIn(m *InMem, id string) chan error {
	ch := make(chan error, 1)
	go func() {
		ch <- m.Launch(context.Background(), id, LaunchConfig{ExecutorInfo: &mesos.ExecutorInfo{}})
	}()
	return ch
}

func TestInMemExitIsWhatWaitReports(t *testing.T) {
	m := NewInMem()
	if err := <-launchIn(m, "c1"); err != nil {
		t.Fatal(err)
	}
	if got := m.Containers(); len(got) != 1 || got[0] != "c1" {
		t.Fatalf("containers = %v", got)
	}
	if err := m.Update(context.Background(), "c1", nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Exit("c1", 3); err != nil {
		t.Fatal(err)
	}
	term, err := m.Wait(context.Background(), "c1")
	if err != nil || term.Status == nil || *term.Status != 3 {
		t.Fatalf("wait = %v, %v", term, err)
	}
	if err := m.Update(context.Background(), "c1", nil); !errors.Is(err, ErrUnknownContainer) {
		t.Fatalf("update of an ended container = %v", err)
	}
	if _, err := m.Wait(context.Background(), "nope"); !errors.Is(err, ErrUnknownContainer) {
		t.Fatalf("wait of an unknown container = %v", err)
	}
	if len(m.Containers()) != 0 {
		t.Fatalf("containers after exit = %v", m.Containers())
	}
}

func TestInMemHeldLaunch(t *testing.T) {
	m := NewInMem()
	m.Hold = true
	done := launchIn(m, "c1")
	if id := <-m.Launches(); id != "c1" {
		t.Fatalf("launched %q", id)
	}
	if err := m.Start("c1"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("launch = %v", err)
	}

	failed := launchIn(m, "c2")
	<-m.Launches()
	if err := m.FailLaunch("c2", errors.New("no image")); err != nil {
		t.Fatal(err)
	}
	if err := <-failed; err == nil || err.Error() != "no image" {
		t.Fatalf("launch = %v", err)
	}
	term, _ := m.Wait(context.Background(), "c2")
	if term.Message != "Failed to launch container: no image" {
		t.Fatalf("termination = %+v", term)
	}

	destroyed := launchIn(m, "c3")
	<-m.Launches()
	if err := m.Destroy(context.Background(), "c3"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-destroyed:
		if err == nil {
			t.Fatal("a launch destroyed while held succeeded")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("held launch did not end on destroy")
	}
	term, _ = m.Wait(context.Background(), "c3")
	if term.Status == nil || *term.Status != KilledStatus {
		t.Fatalf("termination = %+v", term)
	}
}
