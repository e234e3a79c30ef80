package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// The binaries every multi-process test needs.
var binaryNames = []string{"mesos-master", "mesos-agent", "mesos-local", "mesos-execute", "mesos-executor", "mesos-resolve"}

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

var (
	testExecOnce sync.Once
	testExecPath string
	testExecErr  error
)

// TestExecutor returns the path of tests/cmd/test-executor, built once.
func TestExecutor(t testing.TB) string {
	t.Helper()
	testExecOnce.Do(func() {
		dir, err := cacheDir()
		if err != nil {
			testExecErr = err
			return
		}
		testExecPath = filepath.Join(dir, "test-executor")
		cmd := exec.Command(goTool(), "build", "-o", testExecPath, "github.com/gomesos/gomesos/tests/cmd/test-executor")
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			testExecErr = &buildError{err: err, out: string(out)}
		}
	})
	if testExecErr != nil {
		t.Fatalf("building test-executor: %v", testExecErr)
	}
	return testExecPath
}

// Binaries returns a folder holding every gomesos binary. GOMESOS_BIN_DIR
// (set by `make test`) names one already built; otherwise they are built
// once per test process into a cache folder of this checkout's, reused (and
// rebuilt incrementally) by later runs rather than left behind each time.
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if d := os.Getenv("GOMESOS_BIN_DIR"); d != "" && haveAll(d) {
			buildDir = d
			return
		}
		buildDir, buildErr = cacheDir()
		if buildErr != nil {
			return
		}
		args := []string{"build", "-o", buildDir + string(filepath.Separator)}
		for _, b := range binaryNames {
			args = append(args, "github.com/gomesos/gomesos/cmd/"+b)
		}
		cmd := exec.Command(goTool(), args...)
		cmd.Dir = repoRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = &buildError{err: err, out: string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("building the gomesos binaries: %v", buildErr)
	}
	return buildDir
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// cacheDir is a folder under the OS temp dir named after this checkout, so
// that repeated runs overwrite one copy of the binaries.
func cacheDir() (string, error) {
	sum := sha256.Sum256([]byte(repoRoot()))
	dir := filepath.Join(os.TempDir(), "gomesos-test-bin-"+hex.EncodeToString(sum[:6]))
	return dir, os.MkdirAll(dir, 0o755)
}

func haveAll(dir string) bool {
	for _, b := range binaryNames {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return false
		}
	}
	return true
}

func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// repoRoot is the module root, found from this source file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}
