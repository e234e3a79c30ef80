package tracing

import (
	"os"
	"os/signal"
	"syscall"
)

// CloseOnSignal makes SIGINT and SIGTERM write out r's buffered events
// before the process dies of the signal, for programs (drivers, executors,
// CLIs) with no shutdown path of their own. The signal is re-raised with
// its default action once the file is closed, so the exit status stays the
// signal's. The returned stop undoes it (call it when closing r normally).
func CloseOnSignal(r *Recorder) (stop func()) {
	ch := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		select {
		case sig := <-ch:
			_ = r.Close()
			signal.Reset(sig)
			if s, ok := sig.(syscall.Signal); ok {
				_ = syscall.Kill(os.Getpid(), s)
			}
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
