package tracing

import (
	"encoding/json"
	"time"
)

// Format names the trace format; it is written in every "start" line.
const Format = "gomesos-trace/1"

// Kind says what a trace line records.
type Kind string

// Kinds of message events, as actors reports them.
const (
	Sent       Kind = "sent"        // on the sending process, before the message leaves
	Received   Kind = "received"    // on the receiving process, before the handler runs
	Dropped    Kind = "dropped"     // on the receiving process: a test filter dropped it
	DeadLetter Kind = "dead_letter" // no such process where the message arrived
)

// Kinds of the other lines.
const (
	Start  Kind = "start" // first line a sink writes when it opens a file
	Lost   Kind = "lost"  // the sink fell behind and dropped events
	Merged Kind = "merge" // first line of mesos-trace merge's output
)

// IsMessage reports whether k is a message event (not a start, lost or
// merge line).
func (k Kind) IsMessage() bool {
	switch k {
	case Sent, Received, Dropped, DeadLetter:
		return true
	}
	return false
}

// IDs are the Mesos identifiers a message concerns, each list without
// duplicates, in the order met in the message.
type IDs struct {
	Framework []string `json:"framework,omitempty"`
	Agent     []string `json:"agent,omitempty"`
	Executor  []string `json:"executor,omitempty"`
	Task      []string `json:"task,omitempty"`
	Offer     []string `json:"offer,omitempty"`
}

// Empty reports whether no identifier was found.
func (ids *IDs) Empty() bool {
	return len(ids.Framework)+len(ids.Agent)+len(ids.Executor)+len(ids.Task)+len(ids.Offer) == 0
}

// ProcessInfo describes one traced OS process in a merge line.
type ProcessInfo struct {
	Process string `json:"process"`
	Program string `json:"program,omitempty"`
	OSPid   int    `json:"os_pid,omitempty"`
	SkewNs  int64  `json:"skew_ns"`
	Events  int    `json:"events"`
}

// Record is one line of a trace file. See the package documentation for
// the meaning of each field.
type Record struct {
	Seq     uint64          `json:"seq"`
	Time    time.Time       `json:"time"`
	Process string          `json:"process,omitempty"`
	Kind    Kind            `json:"kind"`
	From    string          `json:"from,omitempty"`
	To      string          `json:"to,omitempty"`
	Type    string          `json:"type,omitempty"`
	Size    int             `json:"size"`
	MsgID   string          `json:"msg_id,omitempty"`
	TraceID string          `json:"trace_id,omitempty"`
	IDs     IDs             `json:"ids"`
	Subtype string          `json:"subtype,omitempty"`
	States  []string        `json:"states,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`

	// Lost lines.
	Lost uint64 `json:"lost,omitempty"`

	// Start lines (and Program in merge output's process list).
	Format   string `json:"format,omitempty"`
	Program  string `json:"program,omitempty"`
	OSPid    int    `json:"os_pid,omitempty"`
	Payloads bool   `json:"payloads,omitempty"`

	// Merge lines.
	Processes []ProcessInfo `json:"processes,omitempty"`

	// Added by merge: the clock correction applied to Time (Time+SkewNs is
	// on the reference clock), and for a received message the time since
	// its send on corrected clocks (never negative).
	SkewNs int64  `json:"skew_ns,omitempty"`
	HopNs  *int64 `json:"hop_ns,omitempty"`

	// Where the record was read (not serialised).
	file    string
	line    int
	session int  // index of the start or merge line it follows, per file
	merged  bool // it follows a merge line: already in causal order
	fileIdx int
}

// At returns the record's time on the reference clock (Time corrected
// by SkewNs).
func (r *Record) At() time.Time { return r.Time.Add(time.Duration(r.SkewNs)) }

// Source returns "file:line" where the record was read ("" if not read).
func (r *Record) Source() string {
	if r.file == "" {
		return ""
	}
	return r.file + ":" + itoa(r.line)
}

// Label is the short name of the message: the type's last component, its
// subtype and its task states, e.g. "Call ACCEPT" or
// "StatusUpdateMessage TASK_RUNNING".
func (r *Record) Label() string {
	s := ShortType(r.Type)
	if r.Subtype != "" {
		s += " " + r.Subtype
	}
	for _, st := range r.States {
		s += " " + st
	}
	return s
}

// ShortType is the last component of a full protobuf name.
func ShortType(full string) string {
	for i := len(full) - 1; i >= 0; i-- {
		if full[i] == '.' {
			return full[i+1:]
		}
	}
	return full
}
