package sim

import (
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/slave/checkpoint"
)

// simDisk is an agent machine's disk: its meta tree, as the agent reads it
// back on a restart. The agent's shell writes and fsyncs each checkpoint
// before it applies the effects that follow, so a write the simulator
// applies has landed. A disk-loss fault arms crashAtWrite: the agent then
// dies during its next write, which is lost (a whole file or a symlink:
// they are replaced through a rename, so the old one stays) or torn (an
// append: a drawn prefix of the record lands), and nothing after it is
// applied.
//
// The disk is a tree of folders that hold their own names only, not
// whole paths (a simulation keeps a dozen entries a task): a write walks
// the path's parts from the work dir, looking through each folder's few
// entries. files() lists them flat, as the agent's shell reads them back.
type simDisk struct {
	root folder // the work dir
	// The path the last lookup walked and the folders along it (the work
	// dir first): the agent writes a task's files one after another, so
	// a lookup starts where its path leaves the last one.
	lastPath     string
	lastWalk     []*folder
	crashAtWrite bool
	// onCrash crashes the agent whose write was interrupted.
	onCrash func(n *Node)
	// countOnly: the writes are counted and not kept, in a run in which
	// no agent reads its disk back (Config.CountDiskWrites).
	countOnly bool
	writes    uint64 // writes applied (kept or counted)
}

// folder is a folder of the disk: its files and its sub-folders. A file
// and a folder may share a name.
type folder struct {
	name  string
	files []dentry
	subs  []*folder
}

type dentry struct {
	name string
	file checkpoint.File
}

func newSimDisk() *simDisk { return &simDisk{} }

// writeFile is a whole-file write the containerizer makes itself, at an
// absolute path of h's (made relative only if the disk keeps files).
func (d *simDisk) writeFile(h *agentHost, path string, data []byte) {
	d.writes++
	if !d.countOnly {
		d.put(h.rel(path), checkpoint.File{Data: data})
	}
}

// write applies one of the agent core's disk effects.
func (d *simDisk) write(h *agentHost, e effect.Effect) {
	d.writes++
	if d.countOnly {
		return
	}
	switch e := e.(type) {
	case slave.Checkpoint:
		// The disk keeps the effect's bytes: the core made them for it.
		d.put(h.rel(e.Path), checkpoint.File{Data: e.Data})
	case slave.CheckpointAppend:
		f := d.entry(h.rel(e.Path))
		f.file = checkpoint.File{Data: append(f.file.Data, e.Data...)}
	case slave.CheckpointLink:
		d.put(h.rel(e.Path), checkpoint.File{Link: e.Target, IsLink: true})
	case slave.CheckpointRemove:
		d.remove(h.rel(e.Path))
	}
}

// put writes file p.
func (d *simDisk) put(p string, f checkpoint.File) { d.entry(p).file = f }

// get returns file p.
func (d *simDisk) get(p string) (checkpoint.File, bool) {
	dir, name := split(p)
	if f := d.folder(dir, false); f != nil {
		if i := f.file(name); i >= 0 {
			return f.files[i].file, true
		}
	}
	return checkpoint.File{}, false
}

// entry is file p's entry, made (empty) with its folders if need be.
func (d *simDisk) entry(p string) *dentry {
	dir, name := split(p)
	f := d.folder(dir, true)
	if i := f.file(name); i >= 0 {
		return &f.files[i]
	}
	// A copy: the name must not keep the whole path it was cut from.
	f.files = append(f.files, dentry{name: strings.Clone(name)})
	return &f.files[len(f.files)-1]
}

// folder is folder p ("" is the work dir), made with its parents if make
// is set, else nil when it is not there.
func (d *simDisk) folder(p string, make bool) *folder {
	// Start from the deepest folder the last walk shares with p.
	last := d.lastPath
	if len(d.lastWalk) == 0 {
		d.lastWalk = append(d.lastWalk, &d.root)
	}
	k, i := 0, 0 // p's first k parts are the last walk's; p[i:] is the rest
	for k+1 < len(d.lastWalk) && i <= len(p) {
		e := len(p)
		if j := strings.IndexByte(p[i:], '/'); j >= 0 {
			e = i + j
		}
		if e > len(last) || p[i:e] != last[i:e] || (e < len(last) && last[e] != '/') {
			break
		}
		k, i = k+1, e+1
	}
	walk := d.lastWalk[:k+1]
	rest := ""
	if i < len(p) {
		rest = p[i:]
	}
	f := walk[len(walk)-1]
	for rest != "" {
		part := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			part, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		i := f.sub(part)
		if i < 0 {
			if !make {
				d.lastPath, d.lastWalk = "", d.lastWalk[:1] // walk holds part of a lookup that failed
				return nil
			}
			f.subs = append(f.subs, &folder{name: strings.Clone(part)})
			i = len(f.subs) - 1
		}
		f = f.subs[i]
		walk = append(walk, f)
	}
	d.lastPath, d.lastWalk = p, walk
	return f
}

// file is the index of f's file called name, or -1.
func (f *folder) file(name string) int {
	for i := range f.files {
		if f.files[i].name == name {
			return i
		}
	}
	return -1
}

// sub is the index of f's folder called name, or -1. Names that differ
// mostly differ at the end (ids with a common prefix): the last byte is
// compared first.
func (f *folder) sub(name string) int {
	if name == "" {
		return -1
	}
	last := name[len(name)-1]
	for i, s := range f.subs {
		if len(s.name) == len(name) && s.name[len(name)-1] == last && s.name == name {
			return i
		}
	}
	return -1
}

func split(p string) (dir, name string) {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i], p[i+1:]
	}
	return "", p
}

// remove deletes p, a file or a folder with everything under it.
func (d *simDisk) remove(p string) {
	dir, name := split(p)
	parent := d.folder(dir, false)
	if parent == nil {
		return
	}
	if i := parent.file(name); i >= 0 {
		parent.files = slices.Delete(parent.files, i, i+1)
	}
	if i := parent.sub(name); i >= 0 {
		parent.subs = slices.Delete(parent.subs, i, i+1)
		d.lastPath, d.lastWalk = "", d.lastWalk[:0] // it may be on the last walk
	}
}

// files lists the disk's files by path relative to the work dir.
func (d *simDisk) files() checkpoint.Files {
	out := checkpoint.Files{}
	d.root.list("", out)
	return out
}

// list adds the files under f to out, its path being prefix.
func (f *folder) list(prefix string, out checkpoint.Files) {
	for _, e := range f.files {
		out[prefix+e.name] = e.file
	}
	for _, s := range f.subs {
		s.list(prefix+s.name+"/", out)
	}
}

// tear applies the write a crash interrupted: an append lands cut short
// (possibly empty); any other write is lost.
func (d *simDisk) tear(h *agentHost, e effect.Effect, rng *rand.Rand) {
	if a, ok := e.(slave.CheckpointAppend); ok && len(a.Data) > 0 {
		p := h.rel(a.Path)
		cut := rng.IntN(len(a.Data))
		f, _ := d.get(p)
		d.put(p, checkpoint.File{Data: append(f.Data, a.Data[:cut]...)})
	}
}

// recovered reads the disk back as the agent's shell does at start-up:
// parsed strictly, and journals with a torn last record cut back to their
// complete records.
func (d *simDisk) recovered() (*checkpoint.State, error) {
	if d.countOnly && d.writes > 0 {
		return nil, fmt.Errorf("the disk kept none of its %d writes (a count-only disk is for runs without agent restarts)", d.writes)
	}
	st, _, err := checkpoint.Parse(d.files(), true)
	if err != nil {
		return nil, err
	}
	if st.Slave == nil {
		return st, nil
	}
	for _, f := range st.Slave.Frameworks {
		for _, e := range f.Executors {
			for _, r := range e.Runs {
				for _, t := range r.Tasks {
					if t.TornAt >= 0 {
						p := path.Clean(t.UpdatesPath)
						f, _ := d.get(p)
						d.put(p, checkpoint.File{Data: f.Data[:t.TornAt]})
					}
				}
			}
		}
	}
	return st, nil
}
