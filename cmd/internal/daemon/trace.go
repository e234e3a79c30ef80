package daemon

import (
	"fmt"
	"net/http"

	"github.com/sirupsen/logrus"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/tracing"
)

// StartTracing installs the message tracer the common flags ask for on
// node: a file sink (--trace_file) and an in-memory ring
// (--trace_ring_size), with payloads if --trace_payloads. It returns nil
// when both are off. Close the recorder after the node has shut down; its
// Close writes out what is queued.
func StartTracing(c *Common, program string, node *actors.Node, log *logrus.Logger) (*tracing.Recorder, error) {
	if c.TraceRingSize < 0 {
		return nil, Usagef("--trace_ring_size=%d: want 0 or more", c.TraceRingSize)
	}
	if c.TraceFile == "" && c.TraceRingSize == 0 {
		return nil, nil
	}
	rec, err := tracing.New(tracing.Options{
		Process:  node.Address(),
		Program:  program,
		File:     c.TraceFile,
		RingSize: c.TraceRingSize,
		Payloads: c.TracePayloads,
		Log:      log,
	})
	if err != nil {
		return nil, fmt.Errorf("--trace_file=%s: %w", c.TraceFile, err)
	}
	node.SetTracer(rec)
	if c.TraceFile != "" {
		log.Infof("Tracing every message to %s", c.TraceFile)
	}
	return rec, nil
}

// TraceExecutors makes an agent's executors trace into their sandboxes
// when the agent traces to a file.
func TraceExecutors(c *Common, cfg *slave.Config) {
	cfg.TraceExecutors = c.TraceFile != ""
	cfg.TraceExecutorPayloads = c.TraceFile != "" && c.TracePayloads
}

// MountTrace serves rec's /trace, /trace/stream, /trace/diagram and
// /trace/ui on mux (rec may be nil: they then say that tracing is off).
func MountTrace(mux *http.ServeMux, rec *tracing.Recorder) {
	h := tracing.Handler(rec)
	mux.Handle(tracing.PathEvents, h)
	mux.Handle(tracing.PathEvents+"/", h)
}

// CloseTrace closes rec (nil is fine), logging what it wrote and dropped.
func CloseTrace(rec *tracing.Recorder, log *logrus.Logger) {
	if rec == nil {
		return
	}
	if err := rec.Close(); err != nil {
		log.WithError(err).Error("Closing the trace file failed")
	}
	if st := rec.Stats(); st.File != "" {
		log.WithFields(logrus.Fields{"written": st.Written, "dropped": st.Dropped}).Infof("Trace file %s closed", st.File)
	}
}

// StopStreams ends rec's live /trace/stream responses, so that the HTTP
// server can shut down (give it to Serve).
func StopStreams(rec *tracing.Recorder) func() {
	return func() {
		if r := rec.Ring(); r != nil {
			r.Close()
		}
	}
}
