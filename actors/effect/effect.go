// Package effect is the vocabulary between a pure core and the actor shell
// that runs it. A core (the master's, the agent's, a driver's) takes one
// event at a time with the current time and returns what should happen as
// data: messages to send, peers to link, timers to start or cancel by key,
// and effects of its own kind (allocator calls, container operations, disk
// writes). The shell applies them on a real node; transcript tests and the
// simulator apply the same effects on a manual clock and a virtual network.
package effect

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
)

// Effect is one thing a core asks for. The kinds below are common to every
// core; a core may return kinds of its own, which its shell applies.
type Effect any

// Send delivers Msg to To, from the core's own PID.
type Send struct {
	To  actors.PID
	Msg proto.Message
}

// Link watches PID: the core later gets Exited for it.
type Link struct{ PID actors.PID }

// Unlink stops watching PID.
type Unlink struct{ PID actors.PID }

// StartTimer (re)arms the timer Key to fire After from now; a timer of the
// same key that is pending is cancelled first.
type StartTimer struct {
	Key   string
	After time.Duration
}

// CancelTimer cancels the timer Key if it is pending; a fire already on its
// way is not delivered.
type CancelTimer struct{ Key string }

func (e Send) String() string        { return fmt.Sprintf("send %s to %s", proto.MessageName(e.Msg), e.To) }
func (e Link) String() string        { return "link " + e.PID.String() }
func (e Unlink) String() string      { return "unlink " + e.PID.String() }
func (e StartTimer) String() string  { return fmt.Sprintf("start timer %s after %v", e.Key, e.After) }
func (e CancelTimer) String() string { return "cancel timer " + e.Key }

// Outbox collects the effects of one event. A core embeds one and returns
// Take() at the end of each event method.
type Outbox struct{ list []Effect }

// firstCap is the room an event's list starts with: most events have a
// few effects, which then cost one allocation instead of one per doubling.
const firstCap = 2

func (o *Outbox) add(e Effect) {
	if o.list == nil {
		o.list = make([]Effect, 0, firstCap)
	}
	o.list = append(o.list, e)
}

// Send queues a message.
func (o *Outbox) Send(to actors.PID, msg proto.Message) { o.add(Send{to, msg}) }

// Link queues a link.
func (o *Outbox) Link(pid actors.PID) { o.add(Link{pid}) }

// Unlink queues an unlink.
func (o *Outbox) Unlink(pid actors.PID) { o.add(Unlink{pid}) }

// StartTimer queues the (re)arming of timer key.
func (o *Outbox) StartTimer(key string, after time.Duration) { o.add(StartTimer{key, after}) }

// CancelTimer queues the cancelling of timer key.
func (o *Outbox) CancelTimer(key string) { o.add(CancelTimer{key}) }

// Add queues an effect of the core's own kind.
func (o *Outbox) Add(e Effect) { o.add(e) }

// Take returns the queued effects (nil for none) and empties the outbox.
func (o *Outbox) Take() []Effect {
	l := o.list
	if len(l) == 0 {
		return nil // room handed to Reuse stays for the next event
	}
	o.list = nil
	return l
}

// Reuse hands the outbox a list that Take returned and that its taker is
// done with: the outbox fills it again in the next event instead of
// making a new one. The caller must not use l, nor a slice of it, again.
func (o *Outbox) Reuse(l []Effect) {
	if cap(l) == 0 || cap(l) < cap(o.list) {
		return
	}
	clear(l[:cap(l)]) // what it held is not kept alive
	o.list = append(l[:0], o.list...)
}

// Reuser is a core whose host may hand back each list of effects its
// event methods returned once it applied them, not using it again: the
// core fills it again (see Outbox.Reuse). A core opts in by defining
// ReuseEffects; embedding an Outbox does not.
type Reuser interface {
	ReuseEffects(l []Effect)
}

// Core is the part of every core that the shells and the simulator drive
// the same way: a message from a PID, a timer that fired by its key, and a
// linked peer that went away.
type Core interface {
	Receive(now time.Time, from actors.PID, msg proto.Message) []Effect
	Timer(now time.Time, key string) []Effect
	Exited(now time.Time, pid actors.PID) []Effect
}
