package tracing

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gomesos/gomesos/actors"
)

const signalChildEnv = "GOMESOS_TRACING_SIGNAL_CHILD" // the trace file path

// runSignalChild traces 10 events with a long flush interval (so nothing
// is written by the timer), says READY and waits to be signalled.
func runSignalChild(path string) error {
	rec, err := New(Options{Process: "127.0.0.1:1", Program: "signal-child", File: path,
		FlushInterval: time.Hour, Log: quietLogger()})
	if err != nil {
		return err
	}
	CloseOnSignal(rec)
	for i := 0; i < 10; i++ {
		rec.Trace(&actors.Event{Kind: actors.Sent, Time: time.Now(), Type: "google.protobuf.StringValue",
			From: actors.PID{ID: "a", Address: "127.0.0.1:1"}, To: actors.PID{ID: "b", Address: "127.0.0.1:1"},
			MsgID: "m", TraceID: "t", Msg: wrapperspb.String("x")})
	}
	os.Stdout.WriteString("READY\n")
	select {} // until the signal ends the process
}

// SIGTERM writes out the buffered events before the process dies of it.
func TestCloseOnSignal(t *testing.T) {
	path := t.TempDir() + "/trace.jsonl"
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), signalChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "READY" {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("child did not start")
	}
	b, _ := os.ReadFile(path)
	if n := strings.Count(string(b), `"sent"`); n != 0 {
		t.Fatalf("events written before the signal (%d): the test would prove nothing", n)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("child did not die of SIGTERM: %v", err)
	}
	b, _ = os.ReadFile(path)
	if n := strings.Count(string(b), `"sent"`); n != 10 {
		t.Fatalf("%d of 10 events in the file after SIGTERM:\n%s", n, b)
	}
}
