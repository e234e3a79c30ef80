package driverlife

import "github.com/gomesos/gomesos/actors/effect"

// Pending is what a driver run inline (on the host's goroutine, as the
// simulator runs it) holds between a core's effects and the host: the
// callbacks still to call, and the effects still to hand back.
type Pending struct {
	callbacks []effect.Effect
	out       []effect.Effect
}

// Take sorts a batch of a core's effects as the driver shells do.
// Callbacks (values of C) are queued. The error callback (a value of E)
// means the core aborted itself: the machine is aborted and the callback
// queued, unless the driver no longer ran, in which case neither it nor
// the rest of the batch is due. Everything else is for the host.
func Take[E, C any](p *Pending, m *Machine, effects []effect.Effect) {
	for _, e := range effects {
		if _, ok := e.(E); ok {
			if !m.Running() {
				return
			}
			_ = m.Abort()
			p.callbacks = append(p.callbacks, e)
			continue
		}
		if _, ok := e.(C); ok {
			p.callbacks = append(p.callbacks, e)
			continue
		}
		p.out = append(p.out, e)
	}
}

// Next pops the oldest queued callback.
func (p *Pending) Next() (effect.Effect, bool) {
	if len(p.callbacks) == 0 {
		return nil, false
	}
	cb := p.callbacks[0]
	p.callbacks = p.callbacks[1:]
	return cb, true
}

// Out returns the effects for the host and forgets them.
func (p *Pending) Out() []effect.Effect {
	out := p.out
	p.out = nil
	return out
}
