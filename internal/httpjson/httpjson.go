// Package httpjson writes the JSON answers of the master's and the agent's
// HTTP endpoints, so that both treat ?jsonp=, content types, HEAD and 405s
// the same way.
//
// Like libprocess' OK(json, jsonp), a request with ?jsonp=callback gets
// "callback(<json>);" as text/javascript. Unlike libprocess, the callback is
// checked first: it must be a dotted JavaScript identifier path ("cb",
// "angular.callbacks._0", "$jq_1"); anything else ("<script>", "alert(1)",
// "a b", "1abc", "a[0]") is answered 400 "Invalid 'jsonp' callback name"
// instead of being echoed as script.
package httpjson

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// MaxCallbackLen bounds the length of a ?jsonp= callback name.
const MaxCallbackLen = 256

// InvalidCallback is the text of the 400 answer to a bad ?jsonp= callback.
const InvalidCallback = "Invalid 'jsonp' callback name"

var callbackName = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$`)

// ValidCallback reports whether name may be used as a JSONP callback: one
// or more ASCII JavaScript identifiers joined by dots, at most
// MaxCallbackLen bytes.
func ValidCallback(name string) bool {
	return len(name) <= MaxCallbackLen && callbackName.MatchString(name)
}

// Callback returns the ?jsonp= callback of r ("" when there is none). When
// the name is not valid it answers 400 and returns ok false; the caller
// then returns. Endpoints that do work before writing call it first so a
// bad request costs nothing; Write and WriteBytes check again.
func Callback(w http.ResponseWriter, r *http.Request) (callback string, ok bool) {
	callback = r.URL.Query().Get("jsonp")
	if callback != "" && !ValidCallback(callback) {
		http.Error(w, InvalidCallback, http.StatusBadRequest)
		return "", false
	}
	return callback, true
}

// Write answers 200 with v as JSON (encoding/json), or as JSONP when r has
// a valid ?jsonp= callback; a bad callback gets 400 and v is not rendered.
func Write(w http.ResponseWriter, r *http.Request, v any) {
	callback, ok := Callback(w, r)
	if !ok {
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "Failed to render JSON: "+err.Error(), http.StatusInternalServerError)
		return
	}
	write(w, r, callback, body)
}

// WriteBytes is Write for a document already encoded as JSON.
func WriteBytes(w http.ResponseWriter, r *http.Request, body []byte) {
	callback, ok := Callback(w, r)
	if !ok {
		return
	}
	write(w, r, callback, body)
}

func write(w http.ResponseWriter, r *http.Request, callback string, body []byte) {
	if callback != "" {
		w.Header().Set("Content-Type", "text/javascript")
		b := make([]byte, 0, len(callback)+len(body)+3)
		b = append(b, callback...)
		b = append(b, '(')
		b = append(b, body...)
		body = append(b, ");"...)
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// ReadOnly lets GET and HEAD through; any other method gets 405 with
// "Allow: GET, HEAD" and ReadOnly returns false.
func ReadOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	MethodNotAllowed(w, r, http.MethodGet, http.MethodHead)
	return false
}

// MethodNotAllowed answers 405 as libprocess does: an Allow header listing
// allowed, and "405 Method Not Allowed. Expecting one of { 'GET', 'HEAD' },
// but received 'POST'.".
func MethodNotAllowed(w http.ResponseWriter, r *http.Request, allowed ...string) {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	http.Error(w, fmt.Sprintf("405 Method Not Allowed. Expecting one of { '%s' }, but received '%s'.",
		strings.Join(allowed, "', '"), r.Method), http.StatusMethodNotAllowed)
}
