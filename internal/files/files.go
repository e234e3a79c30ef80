// Package files serves libprocess' /files endpoints (/files/browse,
// /files/read, /files/download, /files/debug) over "attached" paths: a
// virtual path names a real directory (a sandbox) or file (a log), and
// nothing outside the attached paths is served. A path with a ".."
// component is refused (403), a path whose symlinks lead out of its
// attachment is refused (403), and files are opened beneath their
// directory through os.Root, so that a symlink swapped in after the check
// cannot lead out either. The agent attaches its executors' run
// directories and its log; the master attaches its log.
package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/gomesos/gomesos/internal/httpjson"
)

// maxReadLength bounds one /files/read answer (Mesos reads 16 pages when
// no length is given).
const maxReadLength = 16 * 4096

// fileError is an answer with a status code.
type fileError struct {
	code int
	msg  string
}

func (e *fileError) Error() string { return e.msg }

// Code returns the HTTP status an error from Resolve answers with (500 for
// other errors).
func Code(err error) int {
	var fe *fileError
	if errors.As(err, &fe) {
		return fe.code
	}
	return http.StatusInternalServerError
}

// unavailable makes err from Attached a 503 unless it has a code.
func unavailable(err error) error {
	var fe *fileError
	if errors.As(err, &fe) {
		return err
	}
	return &fileError{http.StatusServiceUnavailable, err.Error()}
}

func forbidden(format string, args ...any) error {
	return &fileError{http.StatusForbidden, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &fileError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &fileError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// Resolve maps a requested path to a real one inside its attachment. The
// longest attached prefix wins; ".." components are refused before
// anything is looked up, and the result (symlinks followed) must stay
// inside the attachment's real path.
func Resolve(attached map[string]string, requested string) (string, error) {
	t, err := resolveTarget(attached, requested)
	return t.real, err
}

// target is a resolved path: real (symlinks followed) inside root, the
// attachment's real path.
type target struct{ root, real string }

// open opens the target beneath its root: through os.Root when the root is
// a directory, so that a symlink swapped in after resolve cannot lead the
// open outside the sandbox.
func (t target) open() (*os.File, error) {
	st, err := os.Stat(t.root)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return os.Open(t.root) // an attached file (the log) is the target itself
	}
	rel, err := filepath.Rel(t.root, t.real)
	if err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(t.root)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.Open(rel)
}

func resolveTarget(attached map[string]string, requested string) (target, error) {
	if requested == "" {
		return target{}, badRequest("Missing 'path' query parameter")
	}
	if strings.ContainsRune(requested, 0) {
		return target{}, badRequest("Invalid 'path': it contains a NUL byte")
	}
	for _, part := range strings.Split(requested, "/") {
		if part == ".." {
			return target{}, forbidden("Path '%s' is not allowed: it contains '..'", requested)
		}
	}
	clean := path.Clean("/" + strings.TrimLeft(requested, "/"))
	best := ""
	for v := range attached {
		if (clean == v || strings.HasPrefix(clean, strings.TrimRight(v, "/")+"/")) && len(v) > len(best) {
			best = v
		}
	}
	if best == "" {
		return target{}, notFound("Path '%s' is not inside a attached directory or file", requested)
	}
	root := attached[best]
	candidate := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(clean, best)))
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return target{}, notFound("Path '%s' does not exist", requested)
	}
	real, err := filepath.EvalSymlinks(candidate)
	if err != nil {
		return target{}, notFound("Path '%s' does not exist", requested)
	}
	if real != realRoot && !strings.HasPrefix(real, strings.TrimRight(realRoot, "/")+"/") {
		return target{}, forbidden("Path '%s' leads outside its sandbox", requested)
	}
	return target{root: realRoot, real: real}, nil
}

// Attached returns the attached paths (virtual → real) for a request;
// an error it returns that is not an *Error answers 503.
type Attached func(r *http.Request) (map[string]string, error)

// Routes are the /files endpoints over the paths attached returns, by
// path, for a route table (method checks are the table's).
func Routes(attached Attached) map[string]http.HandlerFunc {
	h := &handler{attached: attached}
	return map[string]http.HandlerFunc{
		"/files/browse":   h.filesBrowse,
		"/files/read":     h.filesRead,
		"/files/download": h.filesDownload,
		"/files/debug":    h.filesDebug,
	}
}

type handler struct{ attached Attached }

// lookup resolves the request's ?path= and opens it beneath its
// attachment.
func (h *handler) lookup(r *http.Request) (*os.File, error) {
	attached, err := h.attached(r)
	if err != nil {
		return nil, unavailable(err)
	}
	requested := r.URL.Query().Get("path")
	t, err := resolveTarget(attached, requested)
	if err != nil {
		return nil, err
	}
	f, err := t.open()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound("Path '%s' does not exist", requested)
		}
		return nil, forbidden("Cannot open '%s': it leads outside its sandbox or is not readable", requested)
	}
	return f, nil
}

func fileFail(w http.ResponseWriter, err error) {
	var fe *fileError
	if errors.As(err, &fe) {
		http.Error(w, fe.msg, fe.code)
		return
	}
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

// filesDebug is /files/debug: the attached paths, virtual → real.
func (h *handler) filesDebug(w http.ResponseWriter, r *http.Request) {
	if _, ok := httpjson.Callback(w, r); !ok {
		return
	}
	attached, err := h.attached(r)
	if err != nil {
		fileFail(w, unavailable(err))
		return
	}
	httpjson.Write(w, r, attached)
}

// filesBrowse is /files/browse: a directory's entries (or a file's own),
// each with Mesos' fields; "path" is the entry under the requested path.
func (h *handler) filesBrowse(w http.ResponseWriter, r *http.Request) {
	if _, ok := httpjson.Callback(w, r); !ok {
		return
	}
	dir, err := h.lookup(r)
	if err != nil {
		fileFail(w, err)
		return
	}
	defer dir.Close()
	requested := path.Clean("/" + strings.TrimLeft(r.URL.Query().Get("path"), "/"))
	st, err := dir.Stat()
	if err != nil {
		fileFail(w, notFound("Path '%s' does not exist", requested))
		return
	}
	out := []any{}
	if !st.IsDir() {
		httpjson.Write(w, r, append(out, fileJSON(requested, st)))
		return
	}
	entries, err := dir.ReadDir(-1)
	if err != nil {
		fileFail(w, forbidden("Cannot list '%s': %v", requested, errors.Unwrap(err)))
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			continue // removed while listing
		}
		out = append(out, fileJSON(path.Join(requested, e.Name()), info))
	}
	httpjson.Write(w, r, out)
}

// fileJSON is one entry as Mesos' browse renders it.
func fileJSON(p string, st fs.FileInfo) map[string]any {
	out := map[string]any{
		"path":  p,
		"size":  st.Size(),
		"mtime": st.ModTime().Unix(),
		"mode":  st.Mode().String(),
		"nlink": 1,
		"uid":   "",
		"gid":   "",
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		out["nlink"] = sys.Nlink
		out["uid"] = userName(sys.Uid)
		out["gid"] = groupName(sys.Gid)
	}
	return out
}

func userName(uid uint32) string {
	id := strconv.FormatUint(uint64(uid), 10)
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return id
}

func groupName(gid uint32) string {
	id := strconv.FormatUint(uint64(gid), 10)
	if g, err := user.LookupGroupId(id); err == nil {
		return g.Name
	}
	return id
}

// filesRead is /files/read: {"data": ..., "offset": ...}. offset=-1 (or
// none given with no length) answers the file's size with no data, as
// Mesos does, so that a pager can start at the end; length defaults to,
// and is capped at, 64 KiB.
func (h *handler) filesRead(w http.ResponseWriter, r *http.Request) {
	if _, ok := httpjson.Callback(w, r); !ok {
		return
	}
	q := r.URL.Query()
	offset, length := int64(-1), int64(-1)
	if v := q.Get("offset"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < -1 {
			fileFail(w, badRequest("Failed to parse offset: '%s' is not -1 or a non-negative integer", v))
			return
		}
		offset = n
	}
	if v := q.Get("length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < -1 {
			fileFail(w, badRequest("Failed to parse length: '%s' is not -1 or a non-negative integer", v))
			return
		}
		length = n
	}
	f, err := h.lookup(r)
	if err != nil {
		fileFail(w, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fileFail(w, err)
		return
	}
	if st.IsDir() {
		fileFail(w, badRequest("Cannot read a directory"))
		return
	}
	size := st.Size()
	if offset == -1 {
		httpjson.Write(w, r, map[string]any{"data": "", "offset": size})
		return
	}
	if length == -1 || length > maxReadLength {
		length = maxReadLength
	}
	if offset > size {
		offset = size
	}
	buf := make([]byte, min(length, size-offset))
	n, err := f.ReadAt(buf, offset)
	if err != nil && !errors.Is(err, io.EOF) {
		fileFail(w, fmt.Errorf("reading '%s': %v", q.Get("path"), err))
		return
	}
	httpjson.Write(w, r, map[string]any{"data": string(buf[:n]), "offset": offset})
}

// filesDownload is /files/download: the file as an attachment.
func (h *handler) filesDownload(w http.ResponseWriter, r *http.Request) {
	f, err := h.lookup(r)
	if err != nil {
		fileFail(w, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fileFail(w, err)
		return
	}
	if st.IsDir() {
		fileFail(w, badRequest("Cannot download a directory"))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", filepath.Base(f.Name())))
	http.ServeContent(w, r, "", st.ModTime(), f)
}
