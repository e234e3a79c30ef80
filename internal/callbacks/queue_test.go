package callbacks

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestOrderAlwaysAndClose(t *testing.T) {
	var running atomic.Bool
	running.Store(true)
	q := New(running.Load)
	var got []int
	block, started := make(chan struct{}), make(chan struct{})
	q.Push(Item{Run: func() { close(started); <-block; got = append(got, 1) }})
	q.Push(Item{Run: func() { got = append(got, 2) }})
	q.Start()
	// Push never waits for a running callback.
	pushed := make(chan struct{})
	go func() {
		q.Push(Item{Run: func() { got = append(got, 3) }})
		q.Push(Item{Always: true, Run: func() { got = append(got, 4) }})
		close(pushed)
	}()
	select {
	case <-pushed:
	case <-time.After(5 * time.Second):
		t.Fatal("Push blocked behind a running callback")
	}
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the first callback never ran")
	}
	running.Store(false) // 2 and 3 are skipped from now on; 4 always runs
	close(block)
	q.Close()
	select {
	case <-q.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("queue did not finish after Close")
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 4 {
		t.Fatalf("ran %v, want [1 4]", got)
	}
	if q.Push(Item{Run: func() {}}) {
		t.Fatal("Push after Close accepted")
	}
}

func TestCloseBeforeStart(t *testing.T) {
	q := New(func() bool { return true })
	q.Close()
	select {
	case <-q.Done():
	default:
		t.Fatal("Done not closed for a queue never started")
	}
}
