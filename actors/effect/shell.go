package effect

import (
	"github.com/gomesos/gomesos/actors"
)

// Timers keeps a process' timers by key on its node's clock. Fire runs on
// the process' goroutine with the key of a timer that went off, and never
// for a timer that was cancelled or re-armed before it ran.
type Timers struct {
	ctx     *actors.Context
	fire    func(key string)
	pending map[string]actors.Timer
}

// NewTimers returns the keyed timers of the process that owns ctx.
func NewTimers(ctx *actors.Context, fire func(key string)) *Timers {
	return &Timers{ctx: ctx, fire: fire, pending: map[string]actors.Timer{}}
}

// Start (re)arms key.
func (t *Timers) Start(e StartTimer) {
	t.Cancel(e.Key)
	var timer actors.Timer
	timer = t.ctx.Delay(e.After, func() {
		if t.pending[e.Key] != timer {
			return
		}
		delete(t.pending, e.Key)
		t.fire(e.Key)
	})
	t.pending[e.Key] = timer
}

// Cancel stops key if it is pending.
func (t *Timers) Cancel(key string) {
	if old, ok := t.pending[key]; ok {
		old.Stop()
		delete(t.pending, key)
	}
}

// Pending reports whether key is armed.
func (t *Timers) Pending(key string) bool { _, ok := t.pending[key]; return ok }

// CancelAll stops every pending timer (a shell that stops or resets its core).
func (t *Timers) CancelAll() {
	for k := range t.pending {
		t.Cancel(k)
	}
}

// Apply carries out the common effects on ctx and timers and reports
// whether e was one of them; the shell applies its own kinds when not.
func Apply(ctx *actors.Context, timers *Timers, e Effect) bool {
	switch e := e.(type) {
	case Send:
		ctx.Send(e.To, e.Msg)
	case Link:
		ctx.Link(e.PID)
	case Unlink:
		ctx.Unlink(e.PID)
	case StartTimer:
		timers.Start(e)
	case CancelTimer:
		timers.Cancel(e.Key)
	default:
		return false
	}
	return true
}
