package master

// An append-style JSON writer for the large read endpoints: it writes the
// same bytes encoding/json would for the same values (map keys sorted,
// HTML characters escaped, floats formatted alike), but renders the hot
// values (tasks, strings, numbers, pre-encoded parts) without reflection.

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"

	"github.com/gomesos/gomesos/internal/jsonwrite"
)

// rawJSON is compact JSON already encoded, written as is (encoding/json
// would compact a json.RawMessage again).
type rawJSON []byte

// MarshalJSON lets encoding/json write a rawJSON too.
func (r rawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// lazyJSON writes its value into the writer when the writer reaches it,
// straight into the document's buffer.
type lazyJSON func(w *jsonWriter)

type jsonWriter struct {
	b   []byte
	err error
}

// fail records err, the first one only.
func (w *jsonWriter) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// marshal appends what encoding/json makes of v.
func (w *jsonWriter) marshal(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		if w.err == nil {
			w.err = err
		}
		return
	}
	w.b = append(w.b, b...)
}

func (w *jsonWriter) value(v any) {
	switch x := v.(type) {
	case nil:
		w.b = append(w.b, "null"...)
	case lazyJSON:
		x(w)
	case rawJSON:
		if len(x) == 0 {
			w.b = append(w.b, "null"...)
		} else {
			w.b = append(w.b, x...)
		}
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
	case object:
		w.object(x)
	case map[string]string:
		writeSorted(w, x, w.str)
	case []any:
		writeList(w, x)
	case []rawJSON:
		writeList(w, x)
	default:
		w.marshal(v)
	}
}

// object writes m with its keys sorted, as encoding/json writes maps.
func (w *jsonWriter) object(m object) {
	if m == nil {
		w.b = append(w.b, "null"...)
		return
	}
	writeSorted(w, m, w.value)
}

// writeSorted writes m as a JSON object with its keys sorted, each value
// through put.
func writeSorted[V any](w *jsonWriter, m map[string]V, put func(V)) {
	var buf [32]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
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

// writeList writes xs as a JSON array (null when nil), as encoding/json
// does.
func writeList[T any](w *jsonWriter, xs []T) {
	if xs == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, e := range xs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.value(e)
	}
	w.b = append(w.b, ']')
}

// str writes s quoted, as encoding/json does.
func (w *jsonWriter) str(s string) { w.b = jsonwrite.AppendString(w.b, s) }

// float writes f as encoding/json does (NaN and infinities are an error).
func (w *jsonWriter) float(f float64) {
	b, err := jsonwrite.AppendFloat(w.b, f)
	if err != nil {
		w.fail(err)
		return
	}
	w.b = b
}

// key writes "k": (k needs no escaping) after a comma unless first.
func (w *jsonWriter) key(k string, first bool) {
	if !first {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

// compactJSON is b compacted (protojson's output has random spaces).
func compactJSON(b []byte) rawJSON {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return rawJSON("{}")
	}
	return rawJSON(buf.Bytes())
}

// encodeRaw renders v through the writer.
func encodeRaw(v any) (rawJSON, error) {
	w := jsonWriter{}
	w.value(v)
	return rawJSON(w.b), w.err
}
