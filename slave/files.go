package slave

// The agent's /files endpoints, as libprocess' files process serves them:
// /files/browse, /files/read, /files/download and /files/debug over
// "attached" paths. Each executor's run directory is attached twice, under
// its real path and under the virtual path
// /frameworks/<framework>/executors/<executor>/runs/latest; the agent's log
// file (Config.LogFile, set by --log_dir) is attached as /slave/log.
// Nothing outside them is served: a path with a ".." component is refused
// (403), and a path whose symlinks lead out of its sandbox is refused too
// (403), never read. The attached paths are taken on the actor; the disk is
// read on the request's goroutine.

import (
	"context"
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

// LogVirtualPath is where the agent's log file is attached.
const LogVirtualPath = "/slave/log"

// maxReadLength bounds one /files/read answer (Mesos reads 16 pages when
// no length is given).
const maxReadLength = 16 * 4096

// ExecutorVirtualPath is the virtual path of an executor's latest run
// directory.
func ExecutorVirtualPath(frameworkID, executorID string) string {
	return path.Join("/frameworks", frameworkID, "executors", executorID, "runs", "latest")
}

// attachments returns the attached paths (virtual → real): every known
// executor's directory, live or completed, under both names. Call it on
// the goroutine that drives the core.
func (c *Core) attachments() map[string]string {
	out := map[string]string{}
	add := func(e *executor) {
		if e.directory == "" {
			return
		}
		out[e.directory] = e.directory
		out[ExecutorVirtualPath(e.frameworkID, e.id)] = e.directory
	}
	visit := func(f *framework) {
		for _, e := range f.completedExecutors {
			add(e)
		}
		for _, id := range f.order {
			if e := f.executors[id]; e != nil {
				add(e) // the live run wins over completed ones
			}
		}
	}
	for _, f := range c.completedFrameworks {
		visit(f)
	}
	for _, id := range c.frameworkOrder {
		if f := c.frameworks[id]; f != nil {
			visit(f)
		}
	}
	return out
}

// fileError is an answer with a status code.
type fileError struct {
	code int
	msg  string
}

func (e *fileError) Error() string { return e.msg }

func forbidden(format string, args ...any) error {
	return &fileError{http.StatusForbidden, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &fileError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return &fileError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// resolve maps a requested path to a real one inside its attachment. The
// longest attached prefix wins; ".." components are refused before
// anything is looked up, and the result (symlinks followed) must stay
// inside the attachment's real path.
func resolve(attached map[string]string, requested string) (string, error) {
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
		return target{}, notFound("Path '%s' is not inside a sandbox or the agent's log", requested)
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

// filesRoutes are the /files endpoints, for the agent's route table.
func filesRoutes(h *httpAPI) map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"/files/browse":   h.filesBrowse,
		"/files/read":     h.filesRead,
		"/files/download": h.filesDownload,
		"/files/debug":    h.filesDebug,
	}
}

// attached takes the attached paths from the actor.
func (h *httpAPI) attached(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	pid := h.s.PID()
	if !pid.IsZero() {
		ctx, cancel := context.WithTimeout(r.Context(), snapshotTimeout)
		defer cancel()
		v, err := h.s.node.Call(ctx, pid, func() any { return h.s.p.core.attachments() })
		if err != nil {
			return nil, &fileError{http.StatusServiceUnavailable, "Agent is not available: " + err.Error()}
		}
		out = v.(map[string]string)
	}
	if h.s.cfg.LogFile != "" {
		out[LogVirtualPath] = h.s.cfg.LogFile
	}
	return out, nil
}

// lookup resolves the request's ?path= and opens it beneath its
// attachment.
func (h *httpAPI) lookup(r *http.Request) (*os.File, error) {
	attached, err := h.attached(r)
	if err != nil {
		return nil, err
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
func (h *httpAPI) filesDebug(w http.ResponseWriter, r *http.Request) {
	if _, ok := httpjson.Callback(w, r); !ok {
		return
	}
	attached, err := h.attached(r)
	if err != nil {
		fileFail(w, err)
		return
	}
	httpjson.Write(w, r, attached)
}

// filesBrowse is /files/browse: a directory's entries (or a file's own),
// each with Mesos' fields; "path" is the entry under the requested path.
func (h *httpAPI) filesBrowse(w http.ResponseWriter, r *http.Request) {
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
func (h *httpAPI) filesRead(w http.ResponseWriter, r *http.Request) {
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
func (h *httpAPI) filesDownload(w http.ResponseWriter, r *http.Request) {
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
