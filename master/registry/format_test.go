package registry

import (
	"bytes"
	"errors"
	"testing"
)

func TestHeadRoundTripsAndRejectsGarbage(t *testing.T) {
	small := fakeRegistry(t, 10, 2)
	h, err := decodeHead(encodeHead(small, nil))
	if err != nil || h.legacy || len(h.chunks) != 0 {
		t.Fatalf("inline head: %+v, %v", h, err)
	}
	data, err := inflate(h.data, h.size)
	if err != nil || h.checkSum(data) != nil || !bytes.Equal(data, small) {
		t.Fatalf("inline registry read back: %v", err)
	}

	big := fakeRegistry(t, 10000, 0)
	refs, _ := cut(big)
	if len(refs) < 2 {
		t.Fatalf("%d bytes cut into %d chunks", len(big), len(refs))
	}
	h, err = decodeHead(encodeHead(big, refs))
	if err != nil || len(h.chunks) != len(refs) || h.size != len(big) {
		t.Fatalf("chunked head: %d chunks, size %d, %v", len(h.chunks), h.size, err)
	}

	// An older registry (plain protobuf) reads as it is.
	if h, err := decodeHead(small); err != nil || !h.legacy || !bytes.Equal(h.data, small) {
		t.Fatalf("legacy head: %v", err)
	}
	if h, err := decodeHead(nil); err != nil || !h.legacy {
		t.Fatalf("empty head: %v", err)
	}
	// Every truncation of a head, and damaged bytes, are errors, never a
	// registry.
	full := encodeHead(big, refs)
	for n := len(magic); n < len(full); n++ {
		if _, err := decodeHead(full[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("head cut at %d of %d bytes: %v", n, len(full), err)
		}
	}
	for _, b := range [][]byte{{0}, {0, 'x'}, append(append([]byte{}, magic...), 9)} {
		if _, err := decodeHead(b); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("decodeHead(%q) = %v", b, err)
		}
	}
	inline := encodeHead(small, nil)
	inline[len(inline)-3] ^= 0xff
	if h, err := decodeHead(inline); err == nil {
		if data, err := inflate(h.data, h.size); err == nil && h.checkSum(data) == nil {
			t.Fatal("a damaged inline registry read as valid")
		}
	}
}
