package sim

import (
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
// Files sit in folders found by their whole path relative to the work
// dir: a write is one map lookup and a look through its folder's few
// entries, and a removal visits only the folders under it. files() lists
// them flat, as the agent's shell reads them back.
type simDisk struct {
	dirs         map[string]*folder // by path; "" is the work dir
	crashAtWrite bool
	// onCrash crashes the agent whose write was interrupted.
	onCrash func(n *Node)
}

// folder is a folder of the disk: its files and its sub-folders.
type folder struct {
	path  string
	files []dentry
	subs  []*folder
}

type dentry struct {
	name string
	file checkpoint.File
}

func newSimDisk() *simDisk { return &simDisk{dirs: map[string]*folder{}} }

// write applies one of the agent core's disk effects.
func (d *simDisk) write(h *agentHost, e effect.Effect) {
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
	if f := d.dirs[dir]; f != nil {
		for i := range f.files {
			if f.files[i].name == name {
				return f.files[i].file, true
			}
		}
	}
	return checkpoint.File{}, false
}

// entry is file p's entry, made (empty) with its folders if need be.
func (d *simDisk) entry(p string) *dentry {
	dir, name := split(p)
	f := d.folder(dir)
	for i := range f.files {
		if f.files[i].name == name {
			return &f.files[i]
		}
	}
	f.files = append(f.files, dentry{name: name})
	return &f.files[len(f.files)-1]
}

// folder is folder p, made with its parents if need be.
func (d *simDisk) folder(p string) *folder {
	if f := d.dirs[p]; f != nil {
		return f
	}
	f := &folder{path: p}
	d.dirs[p] = f
	if p != "" {
		parent, _ := split(p)
		pf := d.folder(parent)
		pf.subs = append(pf.subs, f)
	}
	return f
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
	parent := d.dirs[dir]
	if parent == nil {
		return
	}
	for i := range parent.files {
		if parent.files[i].name == name {
			parent.files = slices.Delete(parent.files, i, i+1)
			break
		}
	}
	if f := d.dirs[p]; f != nil {
		parent.subs = slices.DeleteFunc(parent.subs, func(s *folder) bool { return s == f })
		d.forget(f)
	}
}

// forget takes f and the folders under it off the disk.
func (d *simDisk) forget(f *folder) {
	delete(d.dirs, f.path)
	for _, s := range f.subs {
		d.forget(s)
	}
}

// files lists the disk's files by path relative to the work dir.
func (d *simDisk) files() checkpoint.Files {
	out := checkpoint.Files{}
	for _, f := range d.dirs {
		for _, e := range f.files {
			if f.path == "" {
				out[e.name] = e.file
			} else {
				out[f.path+"/"+e.name] = e.file
			}
		}
	}
	return out
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
