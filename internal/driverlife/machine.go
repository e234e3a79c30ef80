package driverlife

import (
	"errors"
	"fmt"

	"github.com/gomesos/gomesos/messages/mesos"
)

// Machine is the status machine of a driver without locking or waiting:
// Life runs it under its lock, and an inline driver (one goroutine, the
// simulator's) runs it directly. The zero Machine has not started.
type Machine struct {
	status mesos.Status
	// AbortedError, if set, wraps the error a request gets once the driver
	// is aborted.
	AbortedError func(message string) error
}

// Status is the driver's status.
func (m *Machine) Status() mesos.Status {
	if m.status == 0 {
		return mesos.Status_DRIVER_NOT_STARTED
	}
	return m.status
}

// Running reports whether the status is DRIVER_RUNNING.
func (m *Machine) Running() bool { return m.status == mesos.Status_DRIVER_RUNNING }

func wrongStatus(op string, want, got mesos.Status) error {
	return fmt.Errorf("Unable to %s: expected driver status %s, but is %s", op, want, got)
}

// Start moves a driver that has not started to DRIVER_RUNNING.
func (m *Machine) Start() error {
	if st := m.Status(); st != mesos.Status_DRIVER_NOT_STARTED {
		return wrongStatus("Start", mesos.Status_DRIVER_NOT_STARTED, st)
	}
	m.status = mesos.Status_DRIVER_RUNNING
	return nil
}

// Stop moves a running or aborted driver to DRIVER_STOPPED. It returns
// the status Stop reports: DRIVER_ABORTED for a driver that had been
// aborted, as mesos-go does.
func (m *Machine) Stop() (mesos.Status, error) {
	st := m.Status()
	if st != mesos.Status_DRIVER_RUNNING && st != mesos.Status_DRIVER_ABORTED {
		return st, wrongStatus("Stop", mesos.Status_DRIVER_RUNNING, st)
	}
	m.status = mesos.Status_DRIVER_STOPPED
	if st == mesos.Status_DRIVER_ABORTED {
		return st, nil
	}
	return m.status, nil
}

// Abort moves a running driver to DRIVER_ABORTED.
func (m *Machine) Abort() error {
	if st := m.Status(); st != mesos.Status_DRIVER_RUNNING {
		return wrongStatus("Abort", mesos.Status_DRIVER_RUNNING, st)
	}
	m.status = mesos.Status_DRIVER_ABORTED
	return nil
}

// Request checks that a request (name) may go to the driver: it must run.
func (m *Machine) Request(name string) error {
	st := m.Status()
	if st == mesos.Status_DRIVER_RUNNING {
		return nil
	}
	err := wrongStatus(name, mesos.Status_DRIVER_RUNNING, st)
	if st == mesos.Status_DRIVER_ABORTED && m.AbortedError != nil {
		err = m.AbortedError(err.Error())
	}
	return err
}

// CanJoin checks that Join may wait: the driver has started.
func (m *Machine) CanJoin() error {
	if st := m.Status(); st == mesos.Status_DRIVER_NOT_STARTED {
		return wrongStatus("Join", mesos.Status_DRIVER_RUNNING, st)
	}
	return nil
}

// errWouldBlock is an inline driver's Join while the driver runs.
var errWouldBlock = errors.New("Unable to Join: an inline driver cannot wait while it runs")

// JoinNow is Join for an inline driver, which cannot wait: the status, with
// an error unless the driver is stopped or aborted.
func (m *Machine) JoinNow() (mesos.Status, error) {
	if err := m.CanJoin(); err != nil {
		return m.Status(), err
	}
	if m.Running() {
		return m.Status(), errWouldBlock
	}
	return m.Status(), nil
}
