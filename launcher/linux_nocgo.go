//go:build !linux || !cgo

package launcher

import (
	"context"
	"errors"

	"github.com/gomesos/gomesos/isolators/cgroups"
)

// Cgo reports whether this binary was built with cgo, which the linux
// launcher (libcontainer's nsenter) needs.
const Cgo = false

// errNoCgo is what the linux launcher says in a binary built without cgo.
var errNoCgo = errors.New("the linux launcher needs libcontainer, and this binary was built without cgo (CGO_ENABLED=0); rebuild it with cgo (make build) or use --launcher=posix")

// Linux is the linux launcher; a binary built without cgo has none.
type Linux struct{}

// NewLinux fails: this binary was built without cgo.
func NewLinux(*cgroups.Layout) (*Linux, error) { return nil, errNoCgo }

// Dir is empty without the linux launcher.
func (*Linux) Dir(string) string { return "" }

// Fork implements Launcher.
func (*Linux) Fork(context.Context, string, Spec) (int, error) { return 0, errNoCgo }

// Wait implements Launcher.
func (*Linux) Wait(context.Context, string) (ExitStatus, error) {
	return ExitStatus{Status: -1}, errNoCgo
}

// Destroy implements Launcher.
func (*Linux) Destroy(context.Context, string) error { return errNoCgo }

// Recover implements Launcher.
func (*Linux) Recover(context.Context, map[string]int) ([]string, error) { return nil, errNoCgo }
