package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"master@127.0.0.1:5050"}, 0, "master@127.0.0.1:5050\n"},
		{[]string{"--master=master@127.0.0.1:5050"}, 0, "master@127.0.0.1:5050\n"},
		{[]string{}, 2, ""},
		{[]string{"a", "b"}, 2, ""},
		{[]string{"ftp://x"}, 2, ""},
		{[]string{"--timeout=0secs", "master@127.0.0.1:5050"}, 2, ""},
		{[]string{"--bogus"}, 2, ""},
	} {
		var out, errOut bytes.Buffer
		if code := run(tc.args, &out, &errOut); code != tc.code || out.String() != tc.out {
			t.Errorf("%v: exit %d, %q (%s), want %d, %q", tc.args, code, out.String(), strings.TrimSpace(errOut.String()), tc.code, tc.out)
		}
	}
}
