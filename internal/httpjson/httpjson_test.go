package httpjson

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// badCallbacks are ?jsonp= values that must never be echoed as script.
var badCallbacks = []string{
	"<script>", "alert(1)", "a b", "1abc", "a[0]", "a;b", "a.", ".a", "a..b",
	"a-b", "a/b", "a\"b", "a'b", "a\nb", "a\u00e9", "a=b", "</script><script>x",
	strings.Repeat("a", MaxCallbackLen+1),
}

var goodCallbacks = []string{
	"cb", "_", "$", "jQuery123_456", "angular.callbacks._0", "a.b.c", "$jq.cb$1",
	strings.Repeat("a", MaxCallbackLen),
}

func TestValidCallback(t *testing.T) {
	for _, s := range goodCallbacks {
		if !ValidCallback(s) {
			t.Errorf("ValidCallback(%q) = false", s)
		}
	}
	for _, s := range append(badCallbacks, "") {
		if ValidCallback(s) {
			t.Errorf("ValidCallback(%q) = true", s)
		}
	}
}

func serve(h http.HandlerFunc, method, query string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/x?"+query, nil)
	rec := httptest.NewRecorder()
	h(rec, req)
	return rec
}

func TestWrite(t *testing.T) {
	v := map[string]any{"a": 1}
	write := func(w http.ResponseWriter, r *http.Request) { Write(w, r, v) }
	writeBytes := func(w http.ResponseWriter, r *http.Request) { WriteBytes(w, r, []byte(`{"a":1}`)) }
	for name, h := range map[string]http.HandlerFunc{"Write": write, "WriteBytes": writeBytes} {
		rec := serve(h, http.MethodGet, "")
		if rec.Code != 200 || rec.Body.String() != `{"a":1}` || rec.Header().Get("Content-Type") != "application/json" ||
			rec.Header().Get("Content-Length") != "7" {
			t.Errorf("%s plain: %d %q %v", name, rec.Code, rec.Body, rec.Header())
		}
		// An empty ?jsonp= is no callback.
		if rec := serve(h, http.MethodGet, "jsonp="); rec.Code != 200 || rec.Body.String() != `{"a":1}` {
			t.Errorf("%s empty jsonp: %d %q", name, rec.Code, rec.Body)
		}
		for _, cb := range goodCallbacks {
			rec := serve(h, http.MethodGet, "jsonp="+url.QueryEscape(cb))
			want := cb + `({"a":1});`
			if rec.Code != 200 || rec.Body.String() != want || rec.Header().Get("Content-Type") != "text/javascript" {
				t.Errorf("%s jsonp=%q: %d %q %q", name, cb, rec.Code, rec.Body, rec.Header().Get("Content-Type"))
			}
		}
		for _, cb := range badCallbacks {
			rec := serve(h, http.MethodGet, "jsonp="+url.QueryEscape(cb))
			if rec.Code != http.StatusBadRequest || strings.TrimSpace(rec.Body.String()) != InvalidCallback ||
				strings.Contains(rec.Body.String(), `"a"`) || rec.Header().Get("Content-Type") == "text/javascript" {
				t.Errorf("%s jsonp=%q: %d %q %q", name, cb, rec.Code, rec.Body, rec.Header().Get("Content-Type"))
			}
		}
		rec = serve(h, http.MethodHead, "jsonp=cb")
		if rec.Code != 200 || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "12" {
			t.Errorf("%s HEAD: %d %q %v", name, rec.Code, rec.Body, rec.Header())
		}
	}
	// A value encoding/json cannot render is a 500, not a partial body.
	rec := serve(func(w http.ResponseWriter, r *http.Request) { Write(w, r, func() {}) }, http.MethodGet, "")
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("unencodable: %d %q", rec.Code, rec.Body)
	}
}

func TestCallback(t *testing.T) {
	var got string
	var ok bool
	h := func(w http.ResponseWriter, r *http.Request) { got, ok = Callback(w, r) }
	if rec := serve(h, http.MethodGet, "jsonp=cb"); !ok || got != "cb" || rec.Body.Len() != 0 {
		t.Errorf("good: %q %v %q", got, ok, rec.Body)
	}
	if rec := serve(h, http.MethodGet, "jsonp=alert(1)"); ok || got != "" || rec.Code != http.StatusBadRequest {
		t.Errorf("bad: %q %v %d", got, ok, rec.Code)
	}
	if serve(h, http.MethodGet, "other=1"); !ok || got != "" {
		t.Errorf("none: %q %v", got, ok)
	}
}

func TestMethods(t *testing.T) {
	var passed bool
	h := func(w http.ResponseWriter, r *http.Request) { passed = ReadOnly(w, r) }
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		if rec := serve(h, m, ""); !passed || rec.Body.Len() != 0 {
			t.Errorf("%s refused: %d", m, rec.Code)
		}
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		rec := serve(h, m, "")
		want := "405 Method Not Allowed. Expecting one of { 'GET', 'HEAD' }, but received '" + m + "'."
		if passed || rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" ||
			strings.TrimSpace(rec.Body.String()) != want {
			t.Errorf("%s: %v %d %q %q", m, passed, rec.Code, rec.Header().Get("Allow"), rec.Body)
		}
	}
	rec := serve(func(w http.ResponseWriter, r *http.Request) { MethodNotAllowed(w, r, "GET", "PUT") }, http.MethodPost, "")
	if rec.Code != 405 || rec.Header().Get("Allow") != "GET, PUT" ||
		strings.TrimSpace(rec.Body.String()) != "405 Method Not Allowed. Expecting one of { 'GET', 'PUT' }, but received 'POST'." {
		t.Errorf("MethodNotAllowed: %d %q %q", rec.Code, rec.Header().Get("Allow"), rec.Body)
	}
}
