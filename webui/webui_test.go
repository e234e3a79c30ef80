package webui

import (
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

// next stands in for the master's endpoints.
var next = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Next", "1")
	http.NotFound(w, r)
})

func get(t *testing.T, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	Handler(next).ServeHTTP(w, r)
	return w
}

func TestServesThePageAndItsFiles(t *testing.T) {
	cases := []struct {
		target, ctype, contains string
	}{
		{"/", "text/html", `<script type="module" src="static/js/app.js">`},
		{"/static/js/app.js", "text/javascript", "function poll"},
		{"/static/css/app.css", "text/css", "table.grid"},
		{"/static/favicon.svg", "image/svg+xml", "<svg"},
		{"/favicon.ico", "image/svg+xml", "<svg"},
	}
	for _, c := range cases {
		w := get(t, "GET", c.target, nil)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), c.ctype) {
			t.Errorf("GET %s: %d %q, want 200 %s", c.target, w.Code, w.Header().Get("Content-Type"), c.ctype)
		}
		if !strings.Contains(w.Body.String(), c.contains) {
			t.Errorf("GET %s: body lacks %q", c.target, c.contains)
		}
		if w.Header().Get("ETag") == "" || w.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: ETag %q, Cache-Control %q", c.target, w.Header().Get("ETag"), w.Header().Get("Cache-Control"))
		}
	}
}

func TestRevalidationIsCheap(t *testing.T) {
	etag := get(t, "GET", "/static/js/app.js", nil).Header().Get("ETag")
	w := get(t, "GET", "/static/js/app.js", map[string]string{"If-None-Match": etag})
	if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Fatalf("revalidation: %d with %d bytes, want 304 and no body", w.Code, w.Body.Len())
	}
}

func TestEverythingElseIsTheMasters(t *testing.T) {
	for _, target := range []string{"/master/state", "/metrics/snapshot", "/index.html", "/slave(1)/state", "/static", "/trace/ui"} {
		if w := get(t, "GET", target, nil); w.Header().Get("X-Next") != "1" {
			t.Errorf("GET %s was not passed on to the master's handler", target)
		}
	}
}

func TestBadRequests(t *testing.T) {
	if w := get(t, "POST", "/", nil); w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d Allow %q, want 405 with GET, HEAD", w.Code, w.Header().Get("Allow"))
	}
	for _, target := range []string{"/static/", "/static/nope.js", "/static/js", "/static/../webui.go", "/static/js/../../webui.go"} {
		w := get(t, "GET", target, nil)
		if w.Code != http.StatusNotFound || w.Header().Get("X-Next") != "" {
			t.Errorf("GET %s: %d, want the UI's own 404", target, w.Code)
		}
	}
	if w := get(t, "HEAD", "/", nil); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD /: %d with %d bytes", w.Code, w.Body.Len())
	}
}

// Every relative module import and every static/ reference in the page
// names an embedded file, so that no page load can fail on a missing one.
func TestReferencesResolve(t *testing.T) {
	imports := regexp.MustCompile(`(?m)^\s*import\s[^"]*"(\.[^"]+)"|^\s*export\s[^"]*from\s+"(\.[^"]+)"`)
	for name, a := range assets {
		if !strings.HasSuffix(name, ".js") {
			continue
		}
		for _, m := range imports.FindAllStringSubmatch(string(a.body), -1) {
			ref := m[1] + m[2]
			target := path.Clean(path.Join(path.Dir(name), ref))
			if _, ok := assets[target]; !ok {
				t.Errorf("%s imports %s: no file %s", name, ref, target)
			}
		}
	}
	refs := regexp.MustCompile(`(?:src|href)="static/([^"]+)"`)
	page := string(assets["index.html"].body)
	found := refs.FindAllStringSubmatch(page, -1)
	if len(found) < 3 {
		t.Fatalf("index.html references %d static files, want the script, the style sheet and the icon", len(found))
	}
	for _, m := range found {
		if _, ok := assets[m[1]]; !ok {
			t.Errorf("index.html references static/%s, which is not embedded", m[1])
		}
	}
}
