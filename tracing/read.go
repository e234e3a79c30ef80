package tracing

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// ReadError is a file that is not a trace, or a corrupt line in one.
type ReadError struct {
	File string
	Line int
	Msg  string
}

func (e *ReadError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Msg
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ReadFiles reads trace files in order; see Read.
func ReadFiles(paths []string) ([]Record, error) {
	var all []Record
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		recs, err := read(f, p, i)
		f.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, recs...)
	}
	return all, nil
}

// Read reads one trace (JSON Lines) named name in errors. A last line
// without its newline that does not parse is a live file's line being
// written: it is skipped quietly. A first line that is not a trace record
// means the file is not a trace; any other bad line is corrupt. Both are
// errors naming the file and the line.
func Read(r io.Reader, name string) ([]Record, error) { return read(r, name, 0) }

func read(r io.Reader, name string, fileIdx int) ([]Record, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	var (
		out     []Record
		lineNo  int
		seen    bool // a record was read
		session int
		merged  bool
	)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			break
		}
		if err != nil && err != io.EOF {
			return nil, &ReadError{File: name, Line: lineNo + 1, Msg: err.Error()}
		}
		lineNo++
		complete := err == nil
		text := bytes.TrimSpace(line)
		if len(text) == 0 {
			if !complete {
				break
			}
			continue
		}
		var rec Record
		perr := json.Unmarshal(text, &rec)
		if perr == nil {
			perr = validate(&rec)
		}
		if perr != nil {
			if !complete {
				break // a live file's last line, cut off mid-write
			}
			if !seen {
				return nil, &ReadError{File: name, Line: lineNo, Msg: "not a gomesos trace file (" + perr.Error() + ")"}
			}
			return nil, &ReadError{File: name, Line: lineNo, Msg: "corrupt trace line: " + perr.Error()}
		}
		seen = true
		if rec.Kind == Start || rec.Kind == Merged {
			session++
			merged = rec.Kind == Merged
		}
		rec.file, rec.line, rec.session, rec.merged, rec.fileIdx = name, lineNo, session, merged, fileIdx
		out = append(out, rec)
		if !complete {
			break
		}
	}
	if !seen {
		return nil, &ReadError{File: name, Msg: "not a gomesos trace file (no records)"}
	}
	return out, nil
}

func validate(r *Record) error {
	switch {
	case r.Kind == "":
		return errors.New(`no "kind" field`)
	case r.Kind.IsMessage():
		if r.Type == "" {
			return errors.New(`a message event without "type"`)
		}
	case r.Kind == Start || r.Kind == Merged:
		if !strings.HasPrefix(r.Format, "gomesos-trace/") {
			return fmt.Errorf("format %q is not a gomesos trace format", r.Format)
		}
		if r.Format != Format {
			return fmt.Errorf("format %q is not supported (this mesos-trace reads %s)", r.Format, Format)
		}
	case r.Kind == Lost:
	default:
		return fmt.Errorf("unknown kind %q", r.Kind)
	}
	if r.Time.IsZero() {
		return errors.New(`no "time" field`)
	}
	return nil
}
