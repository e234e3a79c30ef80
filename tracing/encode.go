package tracing

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends r as one JSON object (no newline), in the field order
// of the package documentation, leaving out empty optional fields. It is
// what sinks write and what encoding/json reads back into a Record.
func AppendJSON(b []byte, r *Record) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"time":"`...)
	b = r.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if r.Process != "" {
		b = appendField(b, "process", r.Process)
	}
	b = appendField(b, "kind", string(r.Kind))
	switch r.Kind {
	case Start:
		b = appendField(b, "format", r.Format)
		if r.Program != "" {
			b = appendField(b, "program", r.Program)
		}
		if r.OSPid != 0 {
			b = append(b, `,"os_pid":`...)
			b = strconv.AppendInt(b, int64(r.OSPid), 10)
		}
		if r.Payloads {
			b = append(b, `,"payloads":true`...)
		}
	case Lost:
		b = append(b, `,"lost":`...)
		b = strconv.AppendUint(b, r.Lost, 10)
	case Merged:
		b = appendField(b, "format", r.Format)
		b = append(b, `,"processes":[`...)
		for i, p := range r.Processes {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"process":`...)
			b = appendString(b, p.Process)
			if p.Program != "" {
				b = appendField(b, "program", p.Program)
			}
			if p.OSPid != 0 {
				b = append(b, `,"os_pid":`...)
				b = strconv.AppendInt(b, int64(p.OSPid), 10)
			}
			b = append(b, `,"skew_ns":`...)
			b = strconv.AppendInt(b, p.SkewNs, 10)
			b = append(b, `,"events":`...)
			b = strconv.AppendInt(b, int64(p.Events), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	default:
		if r.From != "" {
			b = appendField(b, "from", r.From)
		}
		if r.To != "" {
			b = appendField(b, "to", r.To)
		}
		b = appendField(b, "type", r.Type)
		b = append(b, `,"size":`...)
		b = strconv.AppendInt(b, int64(r.Size), 10)
		if r.MsgID != "" {
			b = appendField(b, "msg_id", r.MsgID)
		}
		if r.TraceID != "" {
			b = appendField(b, "trace_id", r.TraceID)
		}
		if !r.IDs.Empty() {
			b = append(b, `,"ids":{`...)
			first := true
			for _, l := range []struct {
				name string
				vals []string
			}{{"framework", r.IDs.Framework}, {"agent", r.IDs.Agent}, {"executor", r.IDs.Executor}, {"task", r.IDs.Task}, {"offer", r.IDs.Offer}} {
				if len(l.vals) == 0 {
					continue
				}
				if !first {
					b = append(b, ',')
				}
				first = false
				b = appendString(b, l.name)
				b = append(b, ':')
				b = appendStrings(b, l.vals)
			}
			b = append(b, '}')
		}
		if r.Subtype != "" {
			b = appendField(b, "subtype", r.Subtype)
		}
		if len(r.States) > 0 {
			b = append(b, `,"states":`...)
			b = appendStrings(b, r.States)
		}
		if r.SkewNs != 0 {
			b = append(b, `,"skew_ns":`...)
			b = strconv.AppendInt(b, r.SkewNs, 10)
		}
		if r.HopNs != nil {
			b = append(b, `,"hop_ns":`...)
			b = strconv.AppendInt(b, *r.HopNs, 10)
		}
		if len(r.Payload) > 0 {
			b = append(b, `,"payload":`...)
			b = append(b, r.Payload...)
		}
	}
	return append(b, '}')
}

func appendField(b []byte, name, val string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, val)
}

func appendStrings(b []byte, vals []string) []byte {
	b = append(b, '[')
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, v)
	}
	return append(b, ']')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendStringBody(b, s)
	return append(b, '"')
}

// appendStringBody appends s escaped, without the quotes.
func appendStringBody(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(b, s[start:]...)
}

// appendJSON appends e as AppendJSON would append e.fill's record, without
// building the record: the file writer's fast path.
func (e *entry) appendJSON(b []byte, process string) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, e.seq, 10)
	b = append(b, `,"time":"`...)
	b = e.t.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if process != "" {
		b = appendField(b, "process", process)
	}
	b = appendField(b, "kind", string(e.kind))
	if !e.from.IsZero() {
		b = append(b, `,"from":`...)
		b = appendPID(b, e.from.ID, e.from.Address)
	}
	if !e.to.IsZero() {
		b = append(b, `,"to":`...)
		b = appendPID(b, e.to.ID, e.to.Address)
	}
	b = appendField(b, "type", string(e.typ))
	b = append(b, `,"size":`...)
	b = strconv.AppendInt(b, int64(e.size), 10)
	if e.mid != "" {
		b = appendField(b, "msg_id", e.mid)
	}
	if e.tid != "" {
		b = appendField(b, "trace_id", e.tid)
	}
	if len(e.ids) > 0 {
		b = append(b, `,"ids":{`...)
		first := true
		for k := frameworkID; k <= offerID; k++ {
			n := 0
			for _, r := range e.ids {
				if r.kind != k {
					continue
				}
				if n == 0 {
					if !first {
						b = append(b, ',')
					}
					first = false
					b = append(b, '"')
					b = append(b, idKindNames[k]...)
					b = append(b, `":[`...)
				} else {
					b = append(b, ',')
				}
				n++
				b = appendString(b, r.v)
			}
			if n > 0 {
				b = append(b, ']')
			}
		}
		b = append(b, '}')
	}
	if e.subtype != "" {
		b = appendField(b, "subtype", e.subtype)
	}
	if len(e.states) > 0 {
		b = append(b, `,"states":`...)
		b = appendStrings(b, e.states)
	}
	if e.payload != nil {
		b = append(b, `,"payload":`...)
		b = append(b, payloadJSON(e.payload, e.mtype)...)
	}
	return append(b, '}')
}

var idKindNames = [...]string{frameworkID: "framework", agentID: "agent", executorID: "executor", taskID: "task", offerID: "offer"}

// appendPID appends "id@address" as a JSON string.
func appendPID(b []byte, id, addr string) []byte {
	b = append(b, '"')
	b = appendStringBody(b, id)
	b = append(b, '@')
	b = appendStringBody(b, addr)
	return append(b, '"')
}

func itoa(n int) string { return strconv.Itoa(n) }
