package checkpoint

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// Write replaces path with data atomically: a temporary file in the same
// folder is written and synced, then renamed over path, and the folder is
// synced. Missing parents are created.
func Write(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// Append adds data to the end of path (created if missing) and syncs it.
func Append(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		return syncDir(dir)
	}
	return nil
}

// Symlink points path at target atomically (a temporary link renamed over
// path).
func Symlink(path, target string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp-link")
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// Remove deletes path and everything under it; a missing path is fine.
func Remove(path string) error { return os.RemoveAll(path) }

// Truncate cuts path to size bytes (a torn record at the end of a journal).
func Truncate(path string, size int64) error { return os.Truncate(path, size) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// File is one entry of the meta tree: a regular file's bytes or a
// symlink's target.
type File struct {
	Data   []byte
	Link   string
	IsLink bool
}

// Files maps paths relative to the work dir ("meta/boot_id", ...) to
// their contents.
type Files map[string]File

// ReadFiles loads the whole meta tree of workDir into memory. A missing
// meta folder gives no files and no error. Temporary files of
// interrupted writes are skipped.
func ReadFiles(workDir string) (Files, error) {
	out := Files{}
	root := Paths{WorkDir: workDir}.Meta()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() || strings.Contains(d.Name(), ".tmp-") {
			return nil
		}
		rel, err := filepath.Rel(workDir, path)
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			out[rel] = File{Link: target, IsLink: true}
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out[rel] = File{Data: data}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading checkpoint under %s: %w", root, err)
	}
	return out, nil
}

// EncodeRecord is one task.updates record: its length (4 bytes, little
// endian) and the StatusUpdateRecord.
func EncodeRecord(rec *mesosinternal.StatusUpdateRecord) ([]byte, error) {
	if rec.Update == nil && rec.Type != nil && len(rec.ProtoReflect().GetUnknown()) == 0 {
		return encodeAck(rec), nil
	}
	// Sized first, then encoded after the length in one allocation (the
	// encoding reuses the sizes just computed).
	o := proto.MarshalOptions{AllowPartial: true, Deterministic: true}
	out := make([]byte, 4, 4+o.Size(rec))
	o.UseCachedSize = true
	out, err := o.MarshalAppend(out, rec)
	if err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint32(out, uint32(len(out)-4))
	return out, nil
}

// encodeAck is EncodeRecord of a record with a type, no update and no
// unknown fields (an ACK), laid out by hand as the encoder does: the
// type (field 1), then the uuid (field 3) if set.
func encodeAck(rec *mesosinternal.StatusUpdateRecord) []byte {
	typ := uint64(int64(*rec.Type))
	n := 1 + protowire.SizeVarint(typ)
	if rec.Uuid != nil {
		n += 1 + protowire.SizeBytes(len(rec.Uuid))
	}
	out := make([]byte, 4, 4+n)
	binary.LittleEndian.PutUint32(out, uint32(n))
	out = protowire.AppendTag(out, 1, protowire.VarintType)
	out = protowire.AppendVarint(out, typ)
	if rec.Uuid != nil {
		out = protowire.AppendTag(out, 3, protowire.BytesType)
		out = protowire.AppendBytes(out, rec.Uuid)
	}
	return out
}

// Marshal is the binary form of a checkpointed message (required fields
// are not enforced: the agent writes what it was given).
func Marshal(m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{AllowPartial: true, Deterministic: true}.Marshal(m)
}

// maxRecord bounds one record (a status update with its data).
const maxRecord = 64 << 20

// DecodeRecords reads a task.updates journal. A record cut short at the
// end (a write interrupted by a crash) is not an error: valid is the
// length of the complete records before it, and the caller truncates the
// file there. A record that does not parse is an error.
func DecodeRecords(b []byte) (recs []*mesosinternal.StatusUpdateRecord, valid int, err error) {
	off := 0
	for off < len(b) {
		if len(b)-off < 4 {
			return recs, off, nil
		}
		n := int(binary.LittleEndian.Uint32(b[off:]))
		if n > maxRecord {
			return recs, off, fmt.Errorf("record at offset %d claims %d bytes", off, n)
		}
		if len(b)-off-4 < n {
			return recs, off, nil
		}
		rec := &mesosinternal.StatusUpdateRecord{}
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(b[off+4:off+4+n], rec); err != nil {
			return recs, off, fmt.Errorf("record at offset %d: %w", off, err)
		}
		recs = append(recs, rec)
		off += 4 + n
	}
	return recs, off, nil
}
