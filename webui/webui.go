// Package webui is the master's web UI: hand-written HTML, CSS and
// JavaScript modules embedded in the binary, served at "/" with its assets
// under /static/. The pages are hash routes (#/frameworks, #/agents/ID, ...)
// that read the master's JSON endpoints from the browser; nothing here
// touches the master's state.
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gomesos/gomesos/internal/httpjson"
)

//go:embed static
var files embed.FS

// AssetPrefix is where the UI's files are served.
const AssetPrefix = "/static/"

// asset is one embedded file with what its answer needs.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

var assets = load()

// load reads every embedded file once, with a content hash as its ETag so
// that a browser revalidates cheaply.
func load() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = http.DetectContentType(body)
		}
		out[strings.TrimPrefix(p, "static/")] = asset{body: body, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic("webui: reading the embedded files: " + err.Error()) // only a broken build gets here
	}
	return out
}

// Handler serves the UI's page at exactly "/", its files under /static/
// and its icon as /favicon.ico, and passes every other request to next
// (the master's endpoints). They allow GET and HEAD; an unknown file
// under /static/ is 404.
func Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/":
			serve(w, r, "index.html")
		case r.URL.Path == "/favicon.ico":
			// What browsers ask for on any page of the origin, JSON included.
			serve(w, r, "favicon.svg")
		case strings.HasPrefix(r.URL.Path, AssetPrefix):
			serve(w, r, strings.TrimPrefix(r.URL.Path, AssetPrefix))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func serve(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := assets[name]
	if !ok || name == "" {
		http.Error(w, "no such file in the web UI: "+name, http.StatusNotFound)
		return
	}
	if !httpjson.ReadOnly(w, r) {
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	// Revalidate every time: an upgraded master serves new files at once.
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
}
