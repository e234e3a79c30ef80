package driverlife

import "github.com/gomesos/gomesos/actors/effect"

// Pending is what a driver run inline (on the host's goroutine, as the
// simulator runs it) holds between a core's effects and the host: the
// callbacks still to call, and the effects still to hand back.
type Pending struct {
	callbacks []effect.Effect // callbacks[next:] are still to call
	next      int
	out       []effect.Effect
}

// Sort walks a batch of a core's effects in order, the one way both the
// driver shells and the inline hosts take them. A callback (a value of C)
// goes to callback. The error callback (a value of E) means the core
// aborted itself: abort is called, and if it reports that the driver was
// running the error goes to callback too; otherwise the driver no longer
// ran, and neither the error nor the rest of the batch is due. Everything
// else goes to host.
func Sort[E, C any](effects []effect.Effect, abort func() bool, callback, host func(effect.Effect)) {
	for _, e := range effects {
		if _, ok := e.(E); ok {
			if !abort() {
				return
			}
			callback(e)
			continue
		}
		if _, ok := e.(C); ok {
			callback(e)
			continue
		}
		host(e)
	}
}

// Take sorts a batch of a core's effects (see Sort) into p: callbacks
// are queued, the rest kept for the host; m is aborted on the error
// callback. It reports whether p kept the batch (to hand to the host as
// it is): then the caller must not use it again; otherwise its effects
// were copied and the batch is the caller's again.
func Take[E, C any](p *Pending, m *Machine, effects []effect.Effect) bool {
	if len(p.out) == 0 && hostOnly[E, C](effects) {
		// The common batch (a send): kept without a copy.
		p.out = effects
		return true
	}
	Sort[E, C](effects,
		func() bool { return m.Abort() == nil },
		func(e effect.Effect) { p.callbacks = append(p.callbacks, e) },
		func(e effect.Effect) { p.out = append(p.out, e) })
	return false
}

// hostOnly reports whether a batch holds no callback (nor error).
func hostOnly[E, C any](effects []effect.Effect) bool {
	for _, e := range effects {
		if _, ok := e.(E); ok {
			return false
		}
		if _, ok := e.(C); ok {
			return false
		}
	}
	return true
}

// Next pops the oldest queued callback. The queue's storage is kept for
// the next event once it is empty.
func (p *Pending) Next() (effect.Effect, bool) {
	if p.next == len(p.callbacks) {
		p.callbacks, p.next = p.callbacks[:0], 0
		return nil, false
	}
	cb := p.callbacks[p.next]
	p.callbacks[p.next] = nil // not kept alive by the queue
	p.next++
	return cb, true
}

// Out returns the effects for the host and forgets them.
func (p *Pending) Out() []effect.Effect {
	out := p.out
	p.out = nil
	return out
}
