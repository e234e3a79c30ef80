package tracing

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gomesos/gomesos/actors"
)

// Defaults of Options.
const (
	DefaultQueueSize     = 1 << 16
	DefaultFlushInterval = 100 * time.Millisecond
	DefaultRingSize      = 4096
)

// Options configure a Recorder.
type Options struct {
	// Process labels every event: the node's address (host:port), which
	// the PIDs of its actors end with. Required.
	Process string
	// Program is written in the start line ("mesos-master", ...).
	Program string
	// File, if set, is appended to (created 0644 if missing) as JSON Lines.
	File string
	// RingSize is the number of recent events kept in memory for the HTTP
	// endpoints (0: no ring).
	RingSize int
	// Payloads adds every message, as protobuf JSON, to its events.
	Payloads bool
	// QueueSize bounds the events waiting for the file writer; beyond it
	// events are dropped and counted. Default DefaultQueueSize.
	QueueSize int
	// FlushInterval is how long an event may wait in the writer's buffer
	// before it is written out. Default DefaultFlushInterval.
	FlushInterval time.Duration
	// Log receives the sink's warnings (default: logrus' standard logger).
	Log *logrus.Logger
	// Now is the clock of event times (default time.Now). Events take the
	// wall clock, not the node's (which tests may pause).
	Now func() time.Time

	// writerGate, in tests, holds the file writer until it is closed.
	writerGate chan struct{}
	// osPid, in tests, replaces the process id in the start line.
	osPid int
}

// Recorder is an actors.Tracer that turns every event into a Record and
// hands it to a file sink and an in-memory ring. Trace never blocks and
// never does I/O: it extracts the identifiers, stamps a sequence number
// and the time, and queues the entry; a goroutine encodes and writes.
type Recorder struct {
	process  string
	program  string
	payloads bool
	now      func() time.Time
	osPid    int
	seq      atomic.Uint64
	events   atomic.Uint64
	closed   atomic.Bool
	file     *fileSink
	ring     *Ring
}

var _ actors.Tracer = (*Recorder)(nil)

// New starts a Recorder. With neither File nor RingSize it records nothing
// (and Trace costs one atomic load).
func New(opts Options) (*Recorder, error) {
	if opts.Process == "" {
		return nil, errors.New("tracing: Options.Process is required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = logrus.StandardLogger()
	}
	r := &Recorder{process: opts.Process, program: opts.Program, payloads: opts.Payloads, now: opts.Now, osPid: opts.osPid}
	if r.osPid == 0 {
		r.osPid = os.Getpid()
	}
	if opts.RingSize > 0 {
		r.ring = NewRing(opts.RingSize)
		r.ring.process = opts.Process
	}
	if opts.File != "" {
		fs, err := openFileSink(r, opts)
		if err != nil {
			return nil, err
		}
		r.file = fs
	}
	return r, nil
}

// Process returns the label of the recorder's events.
func (r *Recorder) Process() string { return r.process }

// Ring returns the in-memory ring (nil without one).
func (r *Recorder) Ring() *Ring {
	if r == nil {
		return nil
	}
	return r.ring
}

// Payloads reports whether events carry their messages.
func (r *Recorder) Payloads() bool { return r.payloads }

// entry is an event as queued: what Trace copies out of actors.Event.
// It is immutable once queued and shared by the sinks.
type entry struct {
	seq     uint64
	t       time.Time
	kind    Kind
	from    actors.PID
	to      actors.PID
	typ     protoreflect.FullName
	size    int
	mid     string
	tid     string
	ids     []idRef
	states  []string
	subtype string
	payload []byte // binary protobuf, when payloads are on
	mtype   protoreflect.MessageType
}

func kindOf(k actors.EventKind) Kind {
	switch k {
	case actors.Sent:
		return Sent
	case actors.Received:
		return Received
	case actors.Dropped:
		return Dropped
	case actors.DeadLetter:
		return DeadLetter
	}
	return Kind(k.String())
}

// Trace implements actors.Tracer.
func (r *Recorder) Trace(e *actors.Event) {
	if (r.file == nil && r.ring == nil) || r.closed.Load() {
		return
	}
	en := &entry{
		seq:  r.seq.Add(1),
		t:    r.now(),
		kind: kindOf(e.Kind),
		from: e.From,
		to:   e.To,
		typ:  e.Type,
		size: e.Size,
		mid:  e.MsgID,
		tid:  e.TraceID,
	}
	if e.Msg != nil {
		var f found
		extract(e.Msg, &f)
		en.ids, en.states, en.subtype = f.result(), f.states, f.subtype
		if r.payloads {
			if b, err := (proto.MarshalOptions{AllowPartial: true}).Marshal(e.Msg); err == nil {
				en.payload, en.mtype = b, e.Msg.ProtoReflect().Type()
			}
		}
	}
	r.events.Add(1)
	if r.ring != nil {
		r.ring.add(en)
	}
	if r.file != nil {
		r.file.add(en)
	}
}

// fill sets rec (reused by callers) from e.
func (e *entry) fill(rec *Record, process string) {
	*rec = Record{
		Seq:     e.seq,
		Time:    e.t,
		Process: process,
		Kind:    e.kind,
		From:    e.from.String(),
		To:      e.to.String(),
		Type:    string(e.typ),
		Size:    e.size,
		MsgID:   e.mid,
		TraceID: e.tid,
		IDs:     idsOf(e.ids),
		Subtype: e.subtype,
		States:  e.states,
	}
	if e.payload != nil {
		rec.Payload = payloadJSON(e.payload, e.mtype)
	}
}

// payloadJSON renders a binary message as compact protobuf JSON (null if
// it cannot be decoded).
func payloadJSON(b []byte, mt protoreflect.MessageType) json.RawMessage {
	m := mt.New().Interface()
	if err := (proto.UnmarshalOptions{AllowPartial: true, DiscardUnknown: true}).Unmarshal(b, m); err != nil {
		return json.RawMessage("null")
	}
	out, err := protojson.MarshalOptions{AllowPartial: true}.Marshal(m)
	if err != nil {
		return json.RawMessage("null")
	}
	// protojson spaces its output at random; compact it so that lines
	// are stable.
	var c bytes.Buffer
	if err := json.Compact(&c, out); err != nil {
		return json.RawMessage(out)
	}
	return json.RawMessage(c.Bytes())
}

// Stats are a recorder's counters.
type Stats struct {
	Process string `json:"process"`
	Events  uint64 `json:"events"`  // traced
	Written uint64 `json:"written"` // event lines written to the file
	Dropped uint64 `json:"dropped"` // events the file sink could not keep up with
	Bytes   uint64 `json:"bytes"`   // written to the file
	File    string `json:"file,omitempty"`
	Ring    int    `json:"ring_size"`
	// Errors counts failed writes (the sink stops writing after one).
	Errors uint64 `json:"write_errors,omitempty"`
}

// Stats returns the counters.
func (r *Recorder) Stats() Stats {
	s := Stats{Process: r.process, Events: r.events.Load()}
	if r.file != nil {
		s.Written = r.file.written.Load()
		s.Dropped = r.file.dropped.Load()
		s.Bytes = r.file.bytes.Load()
		s.File = r.file.path
		s.Errors = r.file.errors.Load()
	}
	if r.ring != nil {
		s.Ring = r.ring.Cap()
	}
	return s
}

// Flush waits until every event traced before the call is in the file
// (or counted as dropped).
func (r *Recorder) Flush() {
	if r != nil && r.file != nil {
		r.file.flush()
	}
}

// Close stops recording, writes out what is queued, closes the file and
// ends the ring's streams. Idempotent.
func (r *Recorder) Close() error {
	if r == nil || !r.closed.CompareAndSwap(false, true) {
		return nil
	}
	var err error
	if r.file != nil {
		err = r.file.close()
	}
	if r.ring != nil {
		r.ring.Close()
	}
	return err
}

// startRecord is the first line of a file.
func (r *Recorder) startRecord() Record {
	return Record{
		Seq:      0,
		Time:     r.now(),
		Process:  r.process,
		Kind:     Start,
		Format:   Format,
		Program:  r.program,
		OSPid:    r.osPid,
		Payloads: r.payloads,
	}
}
