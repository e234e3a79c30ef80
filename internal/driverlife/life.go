// Package driverlife is the lifecycle that the scheduler and executor
// drivers share: the status transitions of mesos-go's v0 drivers
// (DRIVER_NOT_STARTED → DRIVER_RUNNING → DRIVER_STOPPED or DRIVER_ABORTED,
// and ABORTED → STOPPED), the errors a method called in the wrong status
// returns, Join's wait, and the driver's callback queue. What a transition
// does to the driver's actor is passed in by the driver.
package driverlife

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gomesos/gomesos/internal/callbacks"
	"github.com/gomesos/gomesos/messages/mesos"
)

// Life is one driver's status. It is safe for concurrent use; the
// functions passed to its methods run with its lock held, so they must
// not call back into Life.
type Life struct {
	// Callbacks runs the user's callbacks; ordinary ones only while the
	// driver runs.
	Callbacks *callbacks.Queue

	onError func(message string)

	mu         sync.Mutex
	m          Machine
	done       chan struct{} // closed when the driver stops or aborts
	doneClosed bool
	running    atomic.Bool
}

// New returns a driver that has not started. onError calls the user's
// Error callback (queued when Start fails); abortedError, if not nil,
// wraps the error a method returns once the driver is aborted.
func New(onError func(message string), abortedError func(message string) error) *Life {
	l := &Life{
		onError: onError,
		m:       Machine{AbortedError: abortedError},
		done:    make(chan struct{}),
	}
	l.Callbacks = callbacks.New(l.running.Load)
	return l
}

// Status is the driver's status.
func (l *Life) Status() mesos.Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.Status()
}

// Running reports whether the status is DRIVER_RUNNING, without waiting
// for the lock (it turns false the moment Stop or Abort is called).
func (l *Life) Running() bool { return l.running.Load() }

// settledLocked publishes the machine's status after a transition.
func (l *Life) settledLocked() {
	l.running.Store(l.m.Running())
	if st := l.m.Status(); (st == mesos.Status_DRIVER_STOPPED || st == mesos.Status_DRIVER_ABORTED) && !l.doneClosed {
		l.doneClosed = true
		close(l.done)
	}
}

// Start moves a driver that has not started to DRIVER_RUNNING and runs
// start. If start fails, the driver is aborted, the Error callback is
// queued with the error's text, and Start returns DRIVER_ABORTED and the
// error.
func (l *Life) Start(start func() error) (mesos.Status, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.m.Start(); err != nil {
		return l.m.Status(), err
	}
	l.settledLocked()
	l.Callbacks.Start()
	if err := start(); err != nil {
		_ = l.m.Abort()
		l.settledLocked()
		msg := err.Error()
		l.Callbacks.Push(callbacks.Item{Always: true, Run: func() { l.onError(msg) }})
		l.Callbacks.Close()
		return l.m.Status(), err
	}
	return l.m.Status(), nil
}

// Stop moves a running or aborted driver to DRIVER_STOPPED and runs stop.
// It returns DRIVER_ABORTED for a driver that had been aborted, as
// mesos-go does.
func (l *Life) Stop(stop func()) (mesos.Status, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	st, err := l.m.Stop()
	if err != nil {
		return st, err
	}
	l.settledLocked()
	stop()
	return st, nil
}

// Abort moves a running driver to DRIVER_ABORTED and runs abort.
func (l *Life) Abort(abort func()) (mesos.Status, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.m.Abort(); err != nil {
		return l.m.Status(), err
	}
	l.settledLocked()
	abort()
	return l.m.Status(), nil
}

// AbortedByDriver is the driver's own abort (an error from its peer): it
// reports whether the driver was running, i.e. whether the Error callback
// is due.
func (l *Life) AbortedByDriver() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m.Abort() != nil {
		return false
	}
	l.settledLocked()
	return true
}

// Join waits until the driver is stopped or aborted; after a stop it also
// runs finished, which waits (boundedly) for the driver's actor to end.
func (l *Life) Join(finished func()) (mesos.Status, error) {
	l.mu.Lock()
	if err := l.m.CanJoin(); err != nil {
		st := l.m.Status()
		l.mu.Unlock()
		return st, err
	}
	done := l.done
	l.mu.Unlock()
	<-done
	st := l.Status()
	if st == mesos.Status_DRIVER_STOPPED && finished != nil {
		finished()
	}
	return st, nil
}

// Call runs f if the driver is running; f reports false when the
// driver's actor is gone.
func (l *Life) Call(name string, f func() bool) (mesos.Status, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.m.Request(name); err != nil {
		return l.m.Status(), err
	}
	if !f() {
		return l.m.Status(), fmt.Errorf("Unable to %s: the driver's actor is gone", name)
	}
	return l.m.Status(), nil
}

// Run is Start followed by Join, as the drivers' Run methods are.
func Run(start, join func() (mesos.Status, error)) (mesos.Status, error) {
	st, err := start()
	if st != mesos.Status_DRIVER_RUNNING {
		return st, err
	}
	return join()
}

// WaitAtMost waits for ch to close, or for d.
func WaitAtMost(ch <-chan struct{}, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
	}
}
