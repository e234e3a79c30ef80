package tracing

import (
	"bufio"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
)

// fileSink writes entries as JSON Lines from its own goroutine. Trace
// hands it entries through a bounded channel; when the channel is full the
// entry is dropped and counted, and the writer reports the count in a
// "lost" line and a log warning. The buffer is written out every
// FlushInterval, on Flush and on Close.
type fileSink struct {
	rec      *Recorder
	path     string
	f        *os.File
	w        *bufio.Writer
	ch       chan *entry
	flushReq chan chan struct{}
	closeReq chan chan error
	done     chan struct{}
	interval time.Duration
	log      *logrus.Logger
	gate     chan struct{}

	written, dropped, bytes, errors atomic.Uint64

	// Owned by the writer goroutine.
	reported uint64 // drops already reported in a lost line
	lastWarn time.Time
	unwarned uint64 // drops reported in lines but not yet in the log
	failed   error
	scratch  []byte
}

const warnEvery = 5 * time.Second

func openFileSink(r *Recorder, opts Options) (*fileSink, error) {
	f, err := os.OpenFile(opts.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tracing: cannot open the trace file: %w", err)
	}
	q := opts.QueueSize
	if q <= 0 {
		q = DefaultQueueSize
	}
	iv := opts.FlushInterval
	if iv <= 0 {
		iv = DefaultFlushInterval
	}
	s := &fileSink{
		rec:      r,
		path:     opts.File,
		f:        f,
		w:        bufio.NewWriterSize(f, 64<<10),
		ch:       make(chan *entry, q),
		flushReq: make(chan chan struct{}),
		closeReq: make(chan chan error),
		done:     make(chan struct{}),
		interval: iv,
		log:      opts.Log,
		gate:     opts.writerGate,
	}
	start := r.startRecord()
	s.writeRecord(&start)
	if err := s.w.Flush(); err != nil {
		f.Close()
		return nil, fmt.Errorf("tracing: cannot write the trace file %s: %w", opts.File, err)
	}
	go s.run()
	return s, nil
}

// add queues e, or counts it as dropped. It never blocks.
func (s *fileSink) add(e *entry) {
	select {
	case s.ch <- e:
	default:
		s.dropped.Add(1)
	}
}

func (s *fileSink) run() {
	defer close(s.done)
	if s.gate != nil {
		<-s.gate
	}
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		select {
		case e := <-s.ch:
			s.write(e)
		case <-tick.C:
			s.reportDrops(false)
			s.flushBuffer()
		case done := <-s.flushReq:
			s.drain()
			s.reportDrops(false)
			s.flushBuffer()
			close(done)
		case res := <-s.closeReq:
			s.drain()
			s.reportDrops(true)
			s.flushBuffer()
			err := s.f.Close()
			if s.failed != nil {
				err = s.failed
			}
			res <- err
			return
		}
	}
}

// drain writes every queued entry.
func (s *fileSink) drain() {
	for {
		select {
		case e := <-s.ch:
			s.write(e)
		default:
			return
		}
	}
}

func (s *fileSink) write(e *entry) {
	if s.failed != nil {
		s.dropped.Add(1)
		return
	}
	s.scratch = append(e.appendJSON(s.scratch[:0], s.rec.process), '\n')
	if s.writeLine(s.scratch) {
		s.written.Add(1)
	}
}

func (s *fileSink) writeRecord(r *Record) bool {
	s.scratch = append(AppendJSON(s.scratch[:0], r), '\n')
	return s.writeLine(s.scratch)
}

func (s *fileSink) writeLine(line []byte) bool {
	if s.failed != nil {
		return false
	}
	n, err := s.w.Write(line)
	s.bytes.Add(uint64(n))
	if err != nil {
		s.fail(err)
		return false
	}
	return true
}

func (s *fileSink) flushBuffer() {
	if s.failed != nil || s.w.Buffered() == 0 {
		return
	}
	if err := s.w.Flush(); err != nil {
		s.fail(err)
	}
}

func (s *fileSink) fail(err error) {
	s.failed = err
	s.errors.Add(1)
	s.log.WithError(err).WithField("file", s.path).Error("tracing: writing the trace file failed; further events are dropped")
}

// reportDrops writes a lost line for the drops not yet reported, and
// warns in the log at most every warnEvery (always when final).
func (s *fileSink) reportDrops(final bool) {
	d := s.dropped.Load()
	if d > s.reported {
		n := d - s.reported
		s.reported = d
		s.unwarned += n
		lost := Record{Seq: s.rec.seq.Add(1), Time: s.rec.now(), Process: s.rec.process, Kind: Lost, Lost: n}
		s.writeRecord(&lost)
	}
	if s.unwarned > 0 && (final || time.Since(s.lastWarn) >= warnEvery) {
		s.log.WithFields(logrus.Fields{"file": s.path, "dropped": s.unwarned, "dropped_total": d}).
			Warn("tracing: the trace file sink fell behind; events dropped (see the \"lost\" lines)")
		s.unwarned = 0
		s.lastWarn = time.Now()
	}
}

func (s *fileSink) flush() {
	done := make(chan struct{})
	select {
	case s.flushReq <- done:
		<-done
	case <-s.done:
	}
}

func (s *fileSink) close() error {
	res := make(chan error, 1)
	select {
	case s.closeReq <- res:
		return <-res
	case <-s.done:
		return nil
	}
}
