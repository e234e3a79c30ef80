package executordriver

import (
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/internal/driverlife"
	"github.com/gomesos/gomesos/messages/mesos"
)

// Inline runs an Executor over a Core on the caller's goroutine, for hosts
// without actors (the simulator). It is an effect.Core for the host and
// the ExecutorDriver the executor's callbacks get. It treats each event as
// the actor shell does: the core's effects are applied first (returned to
// the host: sends, links, timers, SelfKill, Terminate), then the callback
// effects are called in place, in order; what the executor asks for inside
// them goes to the Core at once, its effects joining the event's.
//
// Join and Run cannot wait on one goroutine: they return the status, with
// an error while the driver runs. Not safe for concurrent use.
type Inline struct {
	core *Core
	exec Executor
	h    driverlife.Host[OnError, Callback]
}

var (
	_ effect.Core    = (*Inline)(nil)
	_ ExecutorDriver = (*Inline)(nil)
)

// NewInline returns a driver that has not started over core.
func NewInline(core *Core, e Executor) *Inline {
	return &Inline{core: core, exec: e}
}

// Core is the driver's core (for queries such as Unacknowledged).
func (h *Inline) Core() *Core { return h.core }

// Receive hands a message to the core while the driver runs.
func (h *Inline) Receive(now time.Time, from actors.PID, msg proto.Message) []effect.Effect {
	return h.event(now, func() []effect.Effect { return h.core.Receive(now, from, msg) })
}

// Timer hands a timer to the core.
func (h *Inline) Timer(now time.Time, key string) []effect.Effect {
	return h.event(now, func() []effect.Effect { return h.core.Timer(now, key) })
}

// Exited hands a broken link to the core.
func (h *Inline) Exited(now time.Time, pid actors.PID) []effect.Effect {
	return h.event(now, func() []effect.Effect { return h.core.Exited(now, pid) })
}

// Take runs the callbacks and returns the effects of driver calls made
// outside any event (Start's registration, calls made by the host on the
// executor's behalf) at time now.
func (h *Inline) Take(now time.Time) []effect.Effect { return h.event(now, nil) }

func (h *Inline) event(now time.Time, f func() []effect.Effect) []effect.Effect {
	return h.h.Event(now, f, func(cb effect.Effect) {
		if cb, ok := cb.(Callback); ok {
			cb.Call(h.exec, h)
		}
	})
}

// Start moves the driver to DRIVER_RUNNING; its registration comes with
// the next event or Take.
func (h *Inline) Start() (mesos.Status, error) { return h.h.Start(h.core.Start) }

// Stop stops the driver (Terminate).
func (h *Inline) Stop() (mesos.Status, error) { return h.h.Stop(h.core.Stop) }

// Abort stops callbacks; sends still go out until Stop.
func (h *Inline) Abort() (mesos.Status, error) { return h.h.Abort(h.core.Abort) }

// Join returns the status; it cannot wait on the host's goroutine.
func (h *Inline) Join() (mesos.Status, error) { return h.h.Join() }

// Run is Start followed by Join.
func (h *Inline) Run() (mesos.Status, error) { return driverlife.Run(h.Start, h.Join) }

// Status returns the driver's status.
func (h *Inline) Status() mesos.Status { return h.h.Status() }

// SendStatusUpdate: see ExecutorDriver.
func (h *Inline) SendStatusUpdate(status *mesos.TaskStatus) (mesos.Status, error) {
	if err := checkStatus(status); err != nil {
		return h.h.Status(), err
	}
	return h.h.Request("SendStatusUpdate", func(now time.Time) []effect.Effect { return h.core.SendStatusUpdate(now, status) })
}

// SendFrameworkMessage: see ExecutorDriver.
func (h *Inline) SendFrameworkMessage(data string) (mesos.Status, error) {
	return h.h.Request("SendFrameworkMessage", func(now time.Time) []effect.Effect { return h.core.SendFrameworkMessage(now, data) })
}
