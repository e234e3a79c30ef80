//go:build !linux || !cgo

package launcher

import (
	"os"
	"runtime"
	"strings"
	"testing"
)

// The main goroutine keeps the main thread (as libcontainer_init.go has
// it in cgo builds), where TestMain serves mainThread.
func init() { runtime.LockOSThread() }

func TestMain(m *testing.M) {
	os.Exit(serveMainThread(m.Run))
}

// A binary built without cgo has no linux launcher, and says why.
func TestLinuxNeedsCgo(t *testing.T) {
	_, err := NewLinux(nil)
	if err == nil || !strings.Contains(err.Error(), "without cgo") {
		t.Fatalf("NewLinux without cgo = %v; want an error saying the binary was built without cgo", err)
	}
}
