// Package cgroups is the cgroup plumbing shared by the cgroups isolators and
// the linux launcher: where a container's cgroups live (one directory per
// container under an absolute root in each hierarchy), which cgroup version
// and controllers the host offers, killing every process of a cgroup and
// removing it, listing the containers under the root, and OOM notification.
//
// Nothing here ever touches a cgroup outside the root it was given: paths are
// always absolute, container ids are single path elements, and removal is a
// non-recursive rmdir of the container's own directories, deepest first.
package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// Version is the cgroup version of a hierarchy mount.
type Version int

// Versions.
const (
	None Version = iota // no cgroups at the given hierarchy
	V1                  // one mount per controller (legacy or hybrid hosts)
	V2                  // the unified hierarchy
)

func (v Version) String() string {
	switch v {
	case V1:
		return "cgroup v1"
	case V2:
		return "cgroup v2"
	default:
		return "no cgroups"
	}
}

// Defaults of --cgroups_hierarchy and --cgroups_root.
const (
	DefaultHierarchy = "/sys/fs/cgroup"
	DefaultRoot      = "mesos"
)

// Layout says where containers' cgroups live: for controller c and
// container id, <Hierarchy>/<c>/<Root>/<id> on cgroup v1 and
// <Hierarchy>/<Root>/<id> on cgroup v2.
type Layout struct {
	Hierarchy string  // where the hierarchies are mounted, e.g. /sys/fs/cgroup
	Root      string  // absolute path inside each hierarchy, e.g. /mesos
	Version   Version // what Hierarchy holds
}

// NewLayout checks --cgroups_hierarchy and --cgroups_root and finds out which
// cgroup version the hierarchy holds. The root is always made absolute ("mesos"
// is "/mesos"); it may not be "/" or climb with "..". A hierarchy without
// cgroups is not an error here (Version is None); Require reports it.
func NewLayout(hierarchy, root string) (*Layout, error) {
	if hierarchy == "" {
		hierarchy = DefaultHierarchy
	}
	if root == "" {
		root = DefaultRoot
	}
	if !filepath.IsAbs(hierarchy) {
		return nil, fmt.Errorf("cgroups hierarchy %q is not an absolute path", hierarchy)
	}
	for _, e := range strings.Split(root, "/") {
		if e == ".." {
			return nil, fmt.Errorf("cgroups root %q may not contain '..'", root)
		}
	}
	root = filepath.Clean("/" + root)
	if root == "/" {
		return nil, errors.New("cgroups root may not be the hierarchy's own root")
	}
	l := &Layout{Hierarchy: filepath.Clean(hierarchy), Root: root}
	l.Version = detect(l.Hierarchy)
	return l, nil
}

func detect(hierarchy string) Version {
	var st unix.Statfs_t
	if err := unix.Statfs(hierarchy, &st); err != nil {
		return None
	}
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		return V2
	}
	for _, c := range []string{"cpu", "cpuacct", "memory", "pids", "freezer"} {
		if isV1Mount(filepath.Join(hierarchy, c)) {
			return V1
		}
	}
	return None
}

func isV1Mount(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP_SUPER_MAGIC
}

// Available reports whether the host offers controller c ("cpu",
// "cpuacct", "memory", "pids", "freezer") under this layout.
func (l *Layout) Available(c string) bool {
	switch l.Version {
	case V1:
		return isV1Mount(filepath.Join(l.Hierarchy, c))
	case V2:
		if c == "freezer" || c == "cpuacct" {
			// cgroup.freeze and cpu.stat are core files of every v2 cgroup.
			return true
		}
		b, err := os.ReadFile(filepath.Join(l.Hierarchy, "cgroup.controllers"))
		return err == nil && slices.Contains(strings.Fields(string(b)), c)
	}
	return false
}

// Require returns a clear error unless every controller in cs is available.
func (l *Layout) Require(who string, cs ...string) error {
	if l.Version == None {
		return fmt.Errorf("%s needs cgroups, but %s holds no cgroup hierarchy (see --cgroups_hierarchy)", who, l.Hierarchy)
	}
	for _, c := range cs {
		if !l.Available(c) {
			return fmt.Errorf("%s needs the %s cgroup controller, which %s does not offer on %s", who, c, l.Version, l.Hierarchy)
		}
	}
	return nil
}

// CheckID returns an error unless id can name a container's cgroup: one
// non-empty path element.
func CheckID(id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") || strings.TrimSpace(id) != id {
		return fmt.Errorf("container id %q cannot name a cgroup", id)
	}
	return nil
}

// Path is the container's cgroup path inside each hierarchy ("/mesos/<id>"),
// or the root's when id is empty.
func (l *Layout) Path(id string) string {
	return filepath.Join(l.Root, id)
}

// Mount is where controller c's hierarchy is mounted.
func (l *Layout) Mount(c string) string {
	if l.Version == V2 {
		return l.Hierarchy
	}
	return filepath.Join(l.Hierarchy, c)
}

// Dir is the container's cgroup directory for controller c, or the root's
// when id is empty.
func (l *Layout) Dir(c, id string) string {
	return filepath.Join(l.Mount(c), l.Root, id)
}

// Containers lists the container cgroups under the root for controller c
// (the names of its child directories). A missing root means none.
func (l *Layout) Containers(c string) ([]string, error) {
	ents, err := os.ReadDir(l.Dir(c, ""))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
