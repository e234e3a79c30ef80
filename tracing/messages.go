package tracing

import (
	"fmt"
	"time"
)

// Message is one message of a trace: its send and its receive (either may
// be missing, when only one side was traced).
type Message struct {
	Type    string
	Subtype string
	States  []string
	IDs     IDs
	From    string
	To      string
	MsgID   string
	Size    int
	Send    *Record // nil: the sender was not traced
	Recv    *Record // the receive, drop or dead letter; nil: none traced
}

// Outcome is Received, Dropped or DeadLetter as the receiver recorded it,
// or Sent when no receive is in the trace.
func (m *Message) Outcome() Kind {
	if m.Recv == nil {
		return Sent
	}
	return m.Recv.Kind
}

// Label is the message's short name (see Record.Label).
func (m *Message) Label() string {
	r := Record{Type: m.Type, Subtype: m.Subtype, States: m.States}
	return r.Label()
}

// SentAt is when the message left (when it arrived, if its send was not
// traced), on corrected clocks.
func (m *Message) SentAt() time.Time {
	if m.Send != nil {
		return m.Send.At()
	}
	return m.Recv.At()
}

// ReceivedAt is when the message arrived (when it left, if its receive was
// not traced), on corrected clocks.
func (m *Message) ReceivedAt() time.Time {
	if m.Recv != nil {
		return m.Recv.At()
	}
	return m.Send.At()
}

// Hop is the transit time, when both ends were traced.
func (m *Message) Hop() (time.Duration, bool) {
	if m.Send == nil || m.Recv == nil {
		return 0, false
	}
	if m.Recv.HopNs != nil {
		return time.Duration(*m.Recv.HopNs), true
	}
	return max(0, m.Recv.At().Sub(m.Send.At())), true
}

// Messages groups the message events of a merged trace into messages, in
// the order of their first event. Events without a message id (dead
// letters from other nodes) are messages of their own.
func Messages(recs []Record) []Message {
	var out []Message
	byID := map[string]int{}
	for i := range recs {
		r := &recs[i]
		if !r.Kind.IsMessage() {
			continue
		}
		k, ok := -1, false
		if r.MsgID != "" {
			k, ok = byID[r.MsgID]
		}
		if !ok {
			k = len(out)
			out = append(out, Message{
				Type: r.Type, Subtype: r.Subtype, States: r.States, IDs: r.IDs,
				From: r.From, To: r.To, MsgID: r.MsgID, Size: r.Size,
			})
			if r.MsgID != "" {
				byID[r.MsgID] = k
			}
		}
		m := &out[k]
		switch r.Kind {
		case Sent:
			if m.Send == nil {
				m.Send = r
			}
		default:
			if m.Recv == nil {
				m.Recv = r
			}
		}
	}
	return out
}

// FormatDuration renders d compactly: 850ns, 12.3µs, 4.567ms, 1.234s.
func FormatDuration(d time.Duration) string {
	neg := ""
	if d < 0 {
		neg, d = "-", -d
	}
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%s%dns", neg, d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%s%.1fµs", neg, float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%s%.3fms", neg, float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%s%.3fs", neg, d.Seconds())
	}
}
