package files

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

const logPath = "/slave/log"

// sandboxFixture makes a sandbox with a file, a subdirectory, symlinks in
// and out, and a secret file beside it.
func sandboxFixture(t *testing.T) (sandbox, secret string) {
	t.Helper()
	root := t.TempDir()
	sandbox = filepath.Join(root, "sandbox")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(sandbox, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(sandbox, "stdout"), []byte("hello sandbox\n"), 0o644))
	must(os.WriteFile(filepath.Join(sandbox, "sub", "inner"), []byte("inner"), 0o644))
	secret = filepath.Join(root, "secret")
	must(os.WriteFile(secret, []byte("top secret"), 0o600))
	must(os.Symlink(secret, filepath.Join(sandbox, "escape")))
	must(os.Symlink("../secret", filepath.Join(sandbox, "escape-relative")))
	must(os.Symlink("/etc", filepath.Join(sandbox, "etc")))
	must(os.Symlink("stdout", filepath.Join(sandbox, "link-in")))
	return sandbox, secret
}

func TestResolveHostilePaths(t *testing.T) {
	sandbox, secret := sandboxFixture(t)
	virtual := "/frameworks/fw/executors/ex/runs/latest"
	attached := map[string]string{virtual: sandbox, sandbox: sandbox, logPath: secret + "-log"}
	if err := os.WriteFile(secret+"-log", []byte("log"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		code int    // 0: allowed
		want string // the real file when allowed
	}{
		{virtual + "/stdout", 0, filepath.Join(sandbox, "stdout")},
		{virtual, 0, sandbox},
		{virtual + "/", 0, sandbox},
		{virtual + "//sub/./inner", 0, filepath.Join(sandbox, "sub", "inner")},
		{sandbox + "/stdout", 0, filepath.Join(sandbox, "stdout")},
		{virtual + "/link-in", 0, filepath.Join(sandbox, "stdout")},
		{logPath, 0, secret + "-log"},
		{"", http.StatusBadRequest, ""},
		{"/etc/passwd", http.StatusNotFound, ""},
		{"/", http.StatusNotFound, ""},
		{secret, http.StatusNotFound, ""},
		{virtual + "/../../../../../../etc/passwd", http.StatusForbidden, ""},
		{virtual + "/..", http.StatusForbidden, ""},
		{sandbox + "/../secret", http.StatusForbidden, ""},
		{"../" + secret, http.StatusForbidden, ""},
		{virtual + "/escape", http.StatusForbidden, ""},
		{virtual + "/escape-relative", http.StatusForbidden, ""},
		{virtual + "/etc/passwd", http.StatusForbidden, ""},
		{virtual + "/etc", http.StatusForbidden, ""},
		{virtual + "/missing", http.StatusNotFound, ""},
		{virtual + "x/stdout", http.StatusNotFound, ""}, // a prefix of a name is not a parent
		{logPath + "/x", http.StatusNotFound, ""},
		{virtual + "/stdout\x00", http.StatusBadRequest, ""},
		{"/frameworks/fw/executors/other/runs/latest" + "/stdout", http.StatusNotFound, ""},
	} {
		got, err := Resolve(attached, tc.path)
		if tc.code == 0 {
			if err != nil || got != tc.want {
				t.Errorf("resolve(%q) = %q, %v; want %q", tc.path, got, err, tc.want)
			}
			continue
		}
		if err == nil || Code(err) != tc.code || err.Error() == "" {
			t.Errorf("resolve(%q) = %q, %v; want %d with a message", tc.path, got, err, tc.code)
		}
	}
}

// A file swapped for a symlink after the path was checked is still not
// opened outside the sandbox.
func TestOpenBeneathSandboxAfterSwap(t *testing.T) {
	sandbox, secret := sandboxFixture(t)
	tg, err := resolveTarget(map[string]string{"/sb": sandbox}, "/sb/stdout")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(sandbox, "stdout")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(sandbox, "stdout")); err != nil {
		t.Fatal(err)
	}
	if f, err := tg.open(); err == nil {
		b, _ := io.ReadAll(f)
		f.Close()
		t.Fatalf("opened the swapped symlink: %q", b)
	}
}
