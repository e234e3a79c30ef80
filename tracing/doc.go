// Package tracing records every message that passes through package actors
// (sent, received, dropped by a test filter, dead-lettered) and reads the
// records back: merge several processes' traces into one causal order,
// filter them, draw a flow as a sequence diagram, and summarise them.
//
// # Recording
//
// A Recorder is an actors.Tracer. Its Trace copies what it needs from the
// event (extracting the Mesos identifiers by protobuf reflection, see
// Extract), stamps a per-process sequence number and the wall time, and
// hands the entry to a bounded queue; it never blocks and does no I/O. A
// goroutine encodes the queue as JSON Lines into the trace file, flushing
// at least every 100 ms, on Flush and on Close. When the queue is full,
// events are dropped and counted: the writer then adds a "lost" line to the
// file and warns in the log, and Stats reports the count. An optional ring
// keeps the most recent events in memory for the HTTP endpoints (Handler):
// /trace, /trace/stream (server-sent events), /trace/diagram and /trace/ui.
//
// The daemons take --trace_file=PATH, --trace_payloads and
// --trace_ring_size=N. An agent that traces gives every executor a file of
// its own in its sandbox: the environment variable GOMESOS_TRACE_FILE
// (EnvTraceFile) names it, and GOMESOS_TRACE_PAYLOADS=1 (EnvTracePayloads)
// asks for payloads; the executor driver reads them. No two processes ever
// write one file.
//
// # The trace format (gomesos-trace/1)
//
// A trace file is JSON Lines: one JSON object per line, appended to. Every
// line has
//
//	seq       per-process sequence number, increasing in the order the events
//	          happened in the process (lines may be slightly out of seq order:
//	          sort by seq within a process)
//	time      wall time, RFC 3339 with nanoseconds, UTC
//	process   the recording process: its actor node's address host:port,
//	          which every PID of its actors ends with
//	kind      what the line records (below)
//
// A message event (kind "sent", "received", "dropped" or "dead_letter")
// adds
//
//	from      sender PID, "id@host:port" (absent when sent from outside any
//	          actor)
//	to        receiver PID
//	type      full protobuf name of the message, e.g. mesos.internal.RunTaskMessage
//	size      encoded size in bytes
//	msg_id    unique message id: the send and the receive of one message carry
//	          the same (absent on dead letters from other processes)
//	trace_id  causal trace id: a message sent while handling another carries
//	          that one's trace id, across processes
//	ids       the identifiers the message names, anywhere in it (nested,
//	          repeated): {"framework": [...], "agent": [...], "executor": [...],
//	          "task": [...], "offer": [...]}; absent when none
//	subtype   the value of a top-level enum field "type" (mesos.scheduler.Call's
//	          ACCEPT, ACKNOWLEDGE, ...)
//	states    the state of every TaskStatus in the message (TASK_RUNNING, ...)
//	payload   the whole message as protobuf JSON (with --trace_payloads only)
//
// "sent" is recorded by the sender just before the message leaves; the
// others by the receiver, before the handler runs. The other lines are
//
//	start     first line written when a file is opened: "format"
//	          ("gomesos-trace/1"), "program", "os_pid", "payloads"
//	lost      the sink dropped "lost" events since the previous lost line
//	merge     first line of mesos-trace merge's output: "format" and
//	          "processes", a list of {"process", "program", "os_pid",
//	          "skew_ns", "events"}
//
// Merged output adds to each message event "skew_ns", the correction added
// to its time to put it on the reference clock, and to each received,
// dropped or dead-lettered message whose send is known "hop_ns", its
// transit time on corrected clocks.
//
// # Reading
//
// ReadFiles reads traces; a live file's last line, cut off while being
// written, is skipped quietly, while a file that is not a trace or a
// corrupt line in the middle is a *ReadError naming the file and line.
// Merge orders records causally and corrects clock skew; Filter and
// SelectFlow select events; Messages pairs sends with receives; NewDiagram
// draws Mermaid text or an HTML/SVG page; NewReport computes the stats.
// cmd/mesos-trace is the command line over these; docs/tracing.md is the
// user's guide.
package tracing

// Environment variables an agent sets for the executors it starts, when it
// traces.
const (
	// EnvTraceFile names the executor's own trace file
	// (<sandbox>/trace.jsonl).
	EnvTraceFile = "GOMESOS_TRACE_FILE"
	// EnvTracePayloads is "1" when events should carry payloads.
	EnvTracePayloads = "GOMESOS_TRACE_PAYLOADS"
	// ExecutorTraceFileName is the trace file's name in a sandbox.
	ExecutorTraceFileName = "trace.jsonl"
)
