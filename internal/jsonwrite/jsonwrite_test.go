package jsonwrite

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

type other struct {
	A int `json:"a"`
}

func TestMarshalWritesWhatEncodingJSONWrites(t *testing.T) {
	values := []any{
		nil, "", "plain", "quote\" back\\ <b>&amp; tab\t nl\n \u2028 é \xff", true, false,
		0, -7, int32(3), int64(-1 << 40), uint32(9), uint64(1 << 63),
		0.0, 1.0, 0.1, -2.5, 1e-7, 1.5e-9, 1e20, 1e21, 123456789.125, math.SmallestNonzeroFloat64, math.MaxFloat64,
		map[string]any{}, map[string]any(nil), []any{}, []any(nil), []string(nil), []string{"a", "<"},
		map[string]string{"b": "2", "a": "1"}, map[string]string(nil),
		[]map[string]any{{"z": 1.0}, nil},
		map[string]any{
			"z": []any{1.0, "x", nil, map[string]any{"k": []string{}}},
			"a": map[string]any{"nested": other{A: 4}, "é": "ü", "<": ">"},
			"m": json.RawMessage(`{ "spaced" : 1 }`),
		},
		other{A: 1},
	}
	for _, v := range values {
		want, werr := json.Marshal(v)
		got, gerr := Marshal(v)
		if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) {
			t.Errorf("Marshal(%#v) = %s, %v; encoding/json: %s, %v", v, got, gerr, want, werr)
		}
	}
	if _, err := Marshal(map[string]any{"x": math.NaN()}); err == nil {
		t.Error("NaN was written")
	}
}
