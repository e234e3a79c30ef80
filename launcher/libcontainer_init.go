//go:build linux && cgo

package launcher

import (
	"os"
	"runtime"

	"github.com/opencontainers/runc/libcontainer"
	// nsenter's C constructor joins and creates the namespaces before the
	// Go runtime starts; it does nothing unless libcontainer started us.
	_ "github.com/opencontainers/runc/libcontainer/nsenter"
)

// The linux launcher's containers start as this binary re-executed with
// the argument "init" (libcontainer's two-step start): the hook below turns
// such a process into the container's init, which never returns. It is a
// package init function, so that every binary that links the launcher (the
// agent, mesos-local and the test binaries) serves as the init without a
// line in its main or TestMain.
func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" && os.Getenv("_LIBCONTAINER_INITPIPE") != "" {
		libcontainer.Init()
	}
	// libcontainer's parent side runs a goroutine that locks its thread
	// and joins the new container's mount namespace; the runtime ends
	// that thread when the goroutine returns, unless it is the main
	// thread, which it keeps, parked, in the container's namespace: then
	// /proc/self (the main thread's view) shows the container's mounts to
	// everything that reads it, cgroup mount discovery included. Keeping
	// the main goroutine on the main thread keeps every other goroutine
	// off it.
	runtime.LockOSThread()
}

// Cgo reports whether this binary was built with cgo, which the linux
// launcher (libcontainer's nsenter) needs.
const Cgo = true
