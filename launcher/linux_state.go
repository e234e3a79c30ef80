package launcher

import (
	"net/url"
	"path/filepath"
	"strings"
)

// StateBase is where the linux launcher keeps libcontainer's state, one
// directory per cgroups root (as Mesos keeps its runtime state under
// /var/run/mesos): it outlives an agent restart, not a reboot, and neither
// do the containers it describes.
const StateBase = "/run/gomesos/linux-launcher"

// LinuxStateDir is where the linux launcher of the cgroups root root (as
// --cgroups_root gives it) keeps libcontainer's state.
func LinuxStateDir(root string) string {
	return filepath.Join(StateBase, url.PathEscape(strings.TrimPrefix(root, "/")))
}
