// Package jsonwrite appends JSON for trees of plain values (maps with
// string keys, slices, strings, numbers, booleans) without reflection.
// Its output is byte for byte what encoding/json writes for the same
// value: map keys sorted, <, > and & escaped, floats formatted alike.
// Values of other types go through encoding/json.
package jsonwrite

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Marshal is json.Marshal for v.
func Marshal(v any) ([]byte, error) {
	return Append(make([]byte, 0, 1024), v)
}

// Append appends v's JSON to b (give b the capacity the document is
// expected to need, and it is not copied as it grows).
func Append(b []byte, v any) ([]byte, error) {
	w := writer{b: b}
	w.value(v)
	return w.b, w.err
}

type writer struct {
	b   []byte
	err error
}

func (w *writer) marshal(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		return
	}
	w.b = append(w.b, b...)
}

func (w *writer) value(v any) {
	switch x := v.(type) {
	case nil:
		w.b = append(w.b, "null"...)
	case string:
		w.str(x)
	case bool:
		w.b = strconv.AppendBool(w.b, x)
	case int:
		w.b = strconv.AppendInt(w.b, int64(x), 10)
	case int32:
		w.b = strconv.AppendInt(w.b, int64(x), 10)
	case int64:
		w.b = strconv.AppendInt(w.b, x, 10)
	case uint32:
		w.b = strconv.AppendUint(w.b, uint64(x), 10)
	case uint64:
		w.b = strconv.AppendUint(w.b, x, 10)
	case float64:
		w.float(x)
	case map[string]any:
		if x == nil {
			w.b = append(w.b, "null"...)
			return
		}
		object(w, x, w.value)
	case map[string]string:
		if x == nil {
			w.b = append(w.b, "null"...)
			return
		}
		object(w, x, w.str)
	case []any:
		list(w, x, w.value)
	case []string:
		list(w, x, w.str)
	case []map[string]any:
		list(w, x, func(m map[string]any) { w.value(m) })
	default:
		w.marshal(v)
	}
}

// object writes m with its keys sorted, each value through put.
func object[V any](w *writer, m map[string]V, put func(V)) {
	var buf [32]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.b = append(w.b, '{')
	for i, k := range keys {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(k)
		w.b = append(w.b, ':')
		put(m[k])
	}
	w.b = append(w.b, '}')
}

// list writes xs as an array (null when nil), each element through put.
func list[T any](w *writer, xs []T, put func(T)) {
	if xs == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, x := range xs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		put(x)
	}
	w.b = append(w.b, ']')
}

// str writes s quoted; a string that needs escapes goes through
// encoding/json.
func (w *writer) str(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			w.marshal(s)
			return
		}
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, s...)
	w.b = append(w.b, '"')
}

// float writes f as encoding/json does: 'f' format but for very small
// or large magnitudes, and e-09 shortened to e-9.
func (w *writer) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		if w.err == nil {
			w.err = fmt.Errorf("json: unsupported value: %s", strconv.FormatFloat(f, 'g', -1, 64))
		}
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	w.b = strconv.AppendFloat(w.b, f, format, -1, 64)
	if format == 'e' {
		if n := len(w.b); n >= 4 && w.b[n-4] == 'e' && w.b[n-3] == '-' && w.b[n-2] == '0' {
			w.b[n-2] = w.b[n-1]
			w.b = w.b[:n-1]
		}
	}
}

// AppendString appends s as a JSON string, as encoding/json writes it.
func AppendString(b []byte, s string) []byte {
	w := writer{b: b}
	w.str(s)
	return w.b
}

// AppendFloat appends f as encoding/json writes it; NaN and infinities,
// which JSON cannot hold, are an error.
func AppendFloat(b []byte, f float64) ([]byte, error) {
	w := writer{b: b}
	w.float(f)
	return w.b, w.err
}
