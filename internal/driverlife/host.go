package driverlife

import (
	"time"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
)

// Host is what both drivers' Inline hosts (a driver run on its host's
// goroutine) share: the status machine, the time of the event being
// handled, and what is pending between the core and the host. E is the
// driver's error callback type, C its callback interface. The zero Host
// has not started.
type Host[E, C any] struct {
	m       Machine
	now     time.Time
	pending Pending
	// Spent, if set, gets each batch of the core's effects the host no
	// longer holds once sorted (for the core's effect.Outbox.Reuse).
	Spent func([]effect.Effect)
}

// Machine is the host's status machine (to set AbortedError).
func (h *Host[E, C]) Machine() *Machine { return &h.m }

// Now is the time of the event being handled.
func (h *Host[E, C]) Now() time.Time { return h.now }

// Status is the driver's status.
func (h *Host[E, C]) Status() mesos.Status { return h.m.Status() }

// Running reports whether the driver runs.
func (h *Host[E, C]) Running() bool { return h.m.Running() }

// Event handles one event at now as a driver's shell does: the effects of
// f (the core's handler; nil for none) are taken while the driver runs,
// then the pending callbacks go to call in order (the error callback
// always, the others while the driver runs); what call asks of the
// driver joins the event. It returns the effects for the host.
func (h *Host[E, C]) Event(now time.Time, f func() []effect.Effect, call func(cb effect.Effect)) []effect.Effect {
	h.now = now
	if f != nil && h.m.Running() {
		h.Take(f())
	}
	for {
		cb, ok := h.pending.Next()
		if !ok {
			break
		}
		if _, isErr := cb.(E); isErr || h.m.Running() {
			call(cb)
		}
	}
	return h.pending.Out()
}

// Take applies a batch of the core's effects as the shell does (see Take).
func (h *Host[E, C]) Take(effects []effect.Effect) {
	if !Take[E, C](&h.pending, &h.m, effects) && h.Spent != nil && effects != nil {
		h.Spent(effects)
	}
}

// Request runs a driver call named name if the driver runs; the effects
// of f join the current event.
func (h *Host[E, C]) Request(name string, f func(now time.Time) []effect.Effect) (mesos.Status, error) {
	if err := h.m.Request(name); err != nil {
		return h.m.Status(), err
	}
	h.Take(f(h.now))
	return h.m.Status(), nil
}

// Start moves the driver to DRIVER_RUNNING and takes the effects of f
// (nil for none).
func (h *Host[E, C]) Start(f func(now time.Time) []effect.Effect) (mesos.Status, error) {
	if err := h.m.Start(); err != nil {
		return h.m.Status(), err
	}
	if f != nil {
		h.Take(f(h.now))
	}
	return h.m.Status(), nil
}

// Stop stops the driver and takes the effects of f.
func (h *Host[E, C]) Stop(f func(now time.Time) []effect.Effect) (mesos.Status, error) {
	st, err := h.m.Stop()
	if err != nil {
		return st, err
	}
	h.Take(f(h.now))
	return st, nil
}

// Abort aborts the driver and takes the effects of f.
func (h *Host[E, C]) Abort(f func(now time.Time) []effect.Effect) (mesos.Status, error) {
	if err := h.m.Abort(); err != nil {
		return h.m.Status(), err
	}
	h.Take(f(h.now))
	return h.m.Status(), nil
}

// Join returns the status; an inline driver cannot wait on its host's
// goroutine, so it answers with an error while the driver runs.
func (h *Host[E, C]) Join() (mesos.Status, error) { return h.m.JoinNow() }
