package sim

import (
	"math/rand/v2"
	"path"
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
// Files sit in a tree of folders by path relative to the work dir, so
// that removing a folder is one map delete; folders are also found by
// their whole path (dirs), so that a write looks up two maps, not one a
// folder level; files() lists the files flat, as the agent's shell reads
// them back.
type simDisk struct {
	root         dnode
	dirs         map[string]*dnode // the folders below root by path
	crashAtWrite bool
	// onCrash crashes the agent whose write was interrupted.
	onCrash func(n *Node)
}

// dnode is a path of the disk: a file, a folder, or (in tests) both.
type dnode struct {
	path   string
	file   checkpoint.File
	isFile bool
	kids   map[string]*dnode
}

func newSimDisk() *simDisk { return &simDisk{dirs: map[string]*dnode{}} }

// write applies one of the agent core's disk effects.
func (d *simDisk) write(h *agentHost, e effect.Effect) {
	switch e := e.(type) {
	case slave.Checkpoint:
		// The disk keeps the effect's bytes: the core made them for it.
		d.put(h.rel(e.Path), checkpoint.File{Data: e.Data})
	case slave.CheckpointAppend:
		n := d.node(h.rel(e.Path), true)
		n.file, n.isFile = checkpoint.File{Data: append(n.file.Data, e.Data...)}, true
	case slave.CheckpointLink:
		d.put(h.rel(e.Path), checkpoint.File{Link: e.Target, IsLink: true})
	case slave.CheckpointRemove:
		d.remove(h.rel(e.Path))
	}
}

// put writes file p.
func (d *simDisk) put(p string, f checkpoint.File) {
	n := d.node(p, true)
	n.file, n.isFile = f, true
}

// get returns file p.
func (d *simDisk) get(p string) (checkpoint.File, bool) {
	if n := d.node(p, false); n != nil && n.isFile {
		return n.file, true
	}
	return checkpoint.File{}, false
}

// node finds the node of p, making it and its folders if make is set
// (else nil if there is none).
func (d *simDisk) node(p string, make bool) *dnode {
	dir, name := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, name = p[:i], p[i+1:]
	}
	parent := &d.root
	if dir != "" {
		parent = d.dirs[dir]
	}
	if parent == nil {
		parent = &d.root
		for at := 0; at < len(dir) && parent != nil; {
			end := len(dir)
			if i := strings.IndexByte(dir[at:], '/'); i >= 0 {
				end = at + i
			}
			parent = parent.kid(dir[:end], dir[at:end], make)
			if parent != nil {
				d.dirs[parent.path] = parent
			}
			at = end + 1
		}
		if parent == nil {
			return nil
		}
	}
	return parent.kid(p, name, make)
}

// kid is the node name below n, whose path is p; made if make is set.
func (n *dnode) kid(p, name string, make bool) *dnode {
	k := n.kids[name]
	if k == nil && make {
		if n.kids == nil {
			n.kids = map[string]*dnode{}
		}
		k = &dnode{path: p}
		n.kids[name] = k
	}
	return k
}

// remove deletes p, a file or a folder with everything under it.
func (d *simDisk) remove(p string) {
	dir, name := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, name = p[:i], p[i+1:]
	}
	parent := &d.root
	if dir != "" {
		parent = d.node(dir, false)
	}
	if parent == nil || parent.kids[name] == nil {
		return
	}
	d.forget(parent.kids[name])
	delete(parent.kids, name)
}

// forget takes n and the folders under it out of dirs.
func (d *simDisk) forget(n *dnode) {
	delete(d.dirs, n.path)
	for _, k := range n.kids {
		d.forget(k)
	}
}

// files lists the disk's files by path relative to the work dir.
func (d *simDisk) files() checkpoint.Files {
	out := checkpoint.Files{}
	var walk func(p string, n *dnode)
	walk = func(p string, n *dnode) {
		if n.isFile {
			out[p] = n.file
		}
		for name, k := range n.kids {
			if p == "" {
				walk(name, k)
			} else {
				walk(p+"/"+name, k)
			}
		}
	}
	walk("", &d.root)
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
