package fetcher

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomesos/gomesos/messages/mesos"
	"google.golang.org/protobuf/proto"
)

func uri(value string, mod ...func(*mesos.CommandInfo_URI)) *mesos.CommandInfo_URI {
	u := &mesos.CommandInfo_URI{Value: proto.String(value)}
	for _, m := range mod {
		m(u)
	}
	return u
}

func executable(u *mesos.CommandInfo_URI) { u.Executable = proto.Bool(true) }
func noExtract(u *mesos.CommandInfo_URI)  { u.Extract = proto.Bool(false) }
func output(name string) func(*mesos.CommandInfo_URI) {
	return func(u *mesos.CommandInfo_URI) { u.OutputFile = proto.String(name) }
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return string(b)
}

func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

func TestFetchHTTPLocalExecutableAndArchives(t *testing.T) {
	src := t.TempDir()
	local := filepath.Join(src, "local.txt")
	os.WriteFile(local, []byte("local"), 0o644)
	script := filepath.Join(src, "run.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o644)
	gzPlain := filepath.Join(src, "notes.txt.gz")
	{
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte("unzipped"))
		zw.Close()
		os.WriteFile(gzPlain, b.Bytes(), 0o644)
	}

	tgz := tarGz(t, map[string]string{"pkg/bin/tool": "tool", "pkg/README": "readme"})
	zipped := zipOf(t, map[string]string{"z/one.txt": "one"})
	mux := http.NewServeMux()
	mux.HandleFunc("/files/hello.txt", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hello")) })
	mux.HandleFunc("/files/pkg.tar.gz", func(w http.ResponseWriter, r *http.Request) { w.Write(tgz) })
	mux.HandleFunc("/files/z.zip", func(w http.ResponseWriter, r *http.Request) { w.Write(zipped) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	sandbox := t.TempDir()
	var log bytes.Buffer
	f := &Fetcher{Client: srv.Client()}
	err := f.Fetch(context.Background(), []*mesos.CommandInfo_URI{
		uri(srv.URL + "/files/hello.txt"),
		uri(srv.URL+"/files/hello.txt", output("sub/dir/renamed.txt")),
		uri(srv.URL + "/files/pkg.tar.gz"),
		uri(srv.URL + "/files/z.zip"),
		uri(srv.URL+"/files/pkg.tar.gz", noExtract, output("kept.tar.gz")),
		uri(local),
		uri("file://"+script, executable),
		uri(gzPlain),
	}, sandbox, &log)
	if err != nil {
		t.Fatalf("Fetch: %v\nlog:\n%s", err, log.String())
	}

	checks := map[string]string{
		"hello.txt":           "hello",
		"sub/dir/renamed.txt": "hello",
		"pkg/bin/tool":        "tool",
		"pkg/README":          "readme",
		"z/one.txt":           "one",
		"local.txt":           "local",
		"run.sh":              "#!/bin/sh\necho hi\n",
		"notes.txt":           "unzipped",
		"pkg.tar.gz":          string(tgz),
		"kept.tar.gz":         string(tgz),
	}
	for name, want := range checks {
		if got := readFile(t, filepath.Join(sandbox, name)); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	st, _ := os.Stat(filepath.Join(sandbox, "run.sh"))
	if st.Mode().Perm() != 0o755 {
		t.Errorf("run.sh mode = %v, want 0755", st.Mode().Perm())
	}
	st, _ = os.Stat(filepath.Join(sandbox, "pkg/bin/tool"))
	if st.Mode().Perm() != 0o755 {
		t.Errorf("extracted tool mode = %v, want 0755", st.Mode().Perm())
	}
	if !strings.Contains(log.String(), "Successfully fetched all URIs into") {
		t.Errorf("log lacks the success line:\n%s", log.String())
	}
}

func TestFetchErrorsNameTheURI(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	cases := []struct {
		uri  *mesos.CommandInfo_URI
		want string
	}{
		{uri(srv.URL + "/missing.tgz"), "received HTTP return code 404"},
		{uri("/does/not/exist.txt"), "no such file or directory"},
		{uri("relative/path.txt"), "framework home was not specified"},
		{uri("file://otherhost/x"), "only local files"},
		{uri("ftp://example.invalid/x"), "unsupported URI scheme \"ftp\""},
		{uri("hdfs://nameonly"), "missing path"},
		{uri("/etc/it's"), "illegal characters"},
		{uri("/tmp/x", output("../escape")), "inside the sandbox"},
	}
	for _, c := range cases {
		var log bytes.Buffer
		err := (&Fetcher{Client: srv.Client()}).Fetch(context.Background(), []*mesos.CommandInfo_URI{c.uri}, t.TempDir(), &log)
		if err == nil {
			t.Errorf("%s: no error", c.uri.GetValue())
			continue
		}
		if !strings.Contains(err.Error(), "failed to fetch '"+c.uri.GetValue()+"'") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q, want it to name the URI and say %q", c.uri.GetValue(), err, c.want)
		}
		if !strings.Contains(log.String(), "Failed to fetch") {
			t.Errorf("%s: log lacks the failure: %s", c.uri.GetValue(), log.String())
		}
	}
}

func TestExtractRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../evil", "a/../../evil"} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
		tw.Write([]byte("x"))
		tw.Close()
		dir := t.TempDir()
		p := filepath.Join(dir, "bad.tar")
		os.WriteFile(p, buf.Bytes(), 0o644)
		sandbox := filepath.Join(dir, "sandbox")
		os.Mkdir(sandbox, 0o755)
		if _, err := Extract(context.Background(), p, sandbox); err == nil {
			t.Errorf("%s: extracted", name)
		}
		if _, err := os.Stat(filepath.Join(dir, "evil")); err == nil {
			t.Errorf("%s: file written outside the sandbox", name)
		}
	}
	// A symlink followed by a member written through it.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	outside := t.TempDir()
	tw.WriteHeader(&tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: outside})
	tw.WriteHeader(&tar.Header{Name: "link/owned", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	dir := t.TempDir()
	p := filepath.Join(dir, "sym.tar")
	os.WriteFile(p, buf.Bytes(), 0o644)
	if _, err := Extract(context.Background(), p, dir); err == nil {
		t.Error("wrote through a symlink")
	}
	if _, err := os.Stat(filepath.Join(outside, "owned")); err == nil {
		t.Error("file written outside the sandbox through a symlink")
	}
}

func TestBasename(t *testing.T) {
	cases := map[string]string{
		"http://host/a/b.tgz":     "b.tgz",
		"https://host/a/b?x=1":    "b?x=1",
		"/abs/path/file":          "file",
		"file:///abs/file.tar.gz": "file.tar.gz",
	}
	for in, want := range cases {
		if got, err := Basename(in); err != nil || got != want {
			t.Errorf("Basename(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
