package registry

// How the ZooKeeper store lays a registry out in znodes. ZooKeeper refuses
// any request over jute.maxbuffer (about 1 MiB, a Multi included), so a
// large registry cannot be one znode, nor written in one request. The
// registry znode (the head) holds a header:
//
//	0x00 'g' 'm' 'r' 1      magic and format version; 0x00 is never the
//	                        first byte of a protobuf message, so a head
//	                        without it is an older uncompressed registry
//	kind                    1 inline, 2 chunked
//	uvarint size            length of the registry
//	[32]byte sha256         of the whole registry
//	inline:  the registry, DEFLATE-compressed
//	chunked: uvarint n, then n times: uvarint length, [32]byte sha256
//
// A chunked registry is cut into slices of at most sliceSize bytes; slice i
// is the child znode c-<hex of the first 16 bytes of its sha256> of the
// head, holding the slice DEFLATE-compressed. Chunk znodes are never
// changed: a store creates the ones it needs, then switches the head to
// name them. A chunk that is missing or does not hash to its name is never
// read as part of a registry.

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
)

const (
	kindInline  = 1
	kindChunked = 2
	// sliceSize bounds a chunk before compression; DEFLATE adds a few
	// bytes at worst, so a chunk's znode stays well under jute.maxbuffer.
	sliceSize = 512 << 10
	// requestBudget bounds the chunk bytes sent in one Multi.
	requestBudget = 900 << 10
	// compression trades ratio for speed: the registry is rewritten on
	// every batch of changes.
	compression = flate.BestSpeed
)

var magic = []byte{0, 'g', 'm', 'r', 1}

// chunkRef names one slice of a chunked registry.
type chunkRef struct {
	size int
	sum  [32]byte
}

// name is the chunk's znode name (a child of the head).
func (c chunkRef) name() string { return "c-" + hex.EncodeToString(c.sum[:16]) }

// head is a decoded registry head.
type head struct {
	legacy bool // an uncompressed registry: data is it
	size   int
	sum    [32]byte
	data   []byte     // inline: the compressed registry
	chunks []chunkRef // chunked
}

// cut cuts data into chunks of at most sliceSize bytes.
func cut(data []byte) ([]chunkRef, [][]byte) {
	var refs []chunkRef
	var parts [][]byte
	for off := 0; off < len(data); off += sliceSize {
		end := min(off+sliceSize, len(data))
		refs = append(refs, chunkRef{size: end - off, sum: sha256.Sum256(data[off:end])})
		parts = append(parts, data[off:end])
	}
	return refs, parts
}

// encodeHead returns the head of data: inline when data fits one slice,
// otherwise naming chunks (whose contents the caller stores).
func encodeHead(data []byte, chunks []chunkRef) []byte {
	sum := sha256.Sum256(data)
	b := append([]byte{}, magic...)
	if len(chunks) == 0 {
		b = append(b, kindInline)
	} else {
		b = append(b, kindChunked)
	}
	b = binary.AppendUvarint(b, uint64(len(data)))
	b = append(b, sum[:]...)
	if len(chunks) == 0 {
		return append(b, compress(data)...)
	}
	b = binary.AppendUvarint(b, uint64(len(chunks)))
	for _, c := range chunks {
		b = binary.AppendUvarint(b, uint64(c.size))
		b = append(b, c.sum[:]...)
	}
	return b
}

// decodeHead parses a head; bytes without the magic are a legacy
// (uncompressed) registry.
func decodeHead(b []byte) (head, error) {
	if !bytes.HasPrefix(b, magic) {
		if len(b) > 0 && b[0] == 0 {
			return head{}, fmt.Errorf("%w: unknown format %q", ErrCorrupt, b[:min(len(b), len(magic))])
		}
		return head{legacy: true, data: b}, nil
	}
	r := bytes.NewReader(b[len(magic):])
	kind, err := r.ReadByte()
	if err != nil {
		return head{}, fmt.Errorf("%w: truncated head", ErrCorrupt)
	}
	size, err := binary.ReadUvarint(r)
	if err != nil || size > MaxSize {
		return head{}, fmt.Errorf("%w: bad size in head", ErrCorrupt)
	}
	h := head{size: int(size)}
	if _, err := io.ReadFull(r, h.sum[:]); err != nil {
		return head{}, fmt.Errorf("%w: truncated head", ErrCorrupt)
	}
	switch kind {
	case kindInline:
		h.data = b[len(b)-r.Len():]
		return h, nil
	case kindChunked:
		n, err := binary.ReadUvarint(r)
		if err != nil || n > MaxSize/sliceSize+1 {
			return head{}, fmt.Errorf("%w: bad chunk count in head", ErrCorrupt)
		}
		total := 0
		for i := uint64(0); i < n; i++ {
			var c chunkRef
			sz, err := binary.ReadUvarint(r)
			if err != nil || sz > sliceSize {
				return head{}, fmt.Errorf("%w: bad chunk %d in head", ErrCorrupt, i)
			}
			c.size = int(sz)
			if _, err := io.ReadFull(r, c.sum[:]); err != nil {
				return head{}, fmt.Errorf("%w: truncated head", ErrCorrupt)
			}
			total += c.size
			h.chunks = append(h.chunks, c)
		}
		if total != h.size || r.Len() != 0 {
			return head{}, fmt.Errorf("%w: head's chunks do not add up", ErrCorrupt)
		}
		return h, nil
	default:
		return head{}, fmt.Errorf("%w: unknown kind %d", ErrCorrupt, kind)
	}
}

// names returns the znode names of h's chunks.
func (h head) names() map[string]bool {
	m := make(map[string]bool, len(h.chunks))
	for _, c := range h.chunks {
		m[c.name()] = true
	}
	return m
}

func compress(data []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, compression) // the level is valid
	w.Write(data)                              // a bytes.Buffer does not fail
	w.Close()
	return buf.Bytes()
}

// inflate decompresses z, which must expand to exactly size bytes.
func inflate(z []byte, size int) ([]byte, error) {
	out := make([]byte, 0, size)
	buf := bytes.NewBuffer(out)
	n, err := io.Copy(buf, io.LimitReader(flate.NewReader(bytes.NewReader(z)), int64(size)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if int(n) != size {
		return nil, fmt.Errorf("%w: expands to %d bytes, want %d", ErrCorrupt, n, size)
	}
	return buf.Bytes(), nil
}

// checkSum verifies the whole registry read back.
func (h head) checkSum(data []byte) error {
	if len(data) != h.size || sha256.Sum256(data) != h.sum {
		return fmt.Errorf("%w: the registry does not match its head's checksum", ErrCorrupt)
	}
	return nil
}
