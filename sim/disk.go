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
type simDisk struct {
	files checkpoint.Files
	// entries names each folder's entries (files and folders), so that a
	// removal visits only its subtree. Every write notes its path here;
	// an entry whose file is already gone from files is harmless.
	entries      map[string][]string
	crashAtWrite bool
	// onCrash crashes the agent whose write was interrupted.
	onCrash func(n *Node)
}

func newSimDisk() *simDisk {
	return &simDisk{files: checkpoint.Files{}, entries: map[string][]string{}}
}

// write applies one of the agent core's disk effects.
func (d *simDisk) write(h *agentHost, e effect.Effect) {
	switch e := e.(type) {
	case slave.Checkpoint:
		// The disk keeps the effect's bytes: the core made them for it.
		d.put(h.rel(e.Path), checkpoint.File{Data: e.Data})
	case slave.CheckpointAppend:
		p := h.rel(e.Path)
		f := d.files[p]
		d.put(p, checkpoint.File{Data: append(f.Data, e.Data...)})
	case slave.CheckpointLink:
		d.put(h.rel(e.Path), checkpoint.File{Link: e.Target, IsLink: true})
	case slave.CheckpointRemove:
		d.remove(h.rel(e.Path))
	}
}

// put writes file p.
func (d *simDisk) put(p string, f checkpoint.File) {
	if _, ok := d.files[p]; !ok {
		d.note(p)
	}
	d.files[p] = f
}

// note records p in its folder's entries, and each new folder on the way
// up in its own folder's.
func (d *simDisk) note(p string) {
	for p != "" {
		dir, name := "", p
		if i := strings.LastIndexByte(p, '/'); i >= 0 {
			dir, name = p[:i], p[i+1:]
		}
		list, known := d.entries[dir]
		if !slices.Contains(list, name) {
			d.entries[dir] = append(list, name)
		}
		if known {
			return
		}
		p = dir
	}
}

// remove deletes p, a file or a folder with everything under it.
func (d *simDisk) remove(p string) {
	d.removeTree(p)
	dir, name := "", p
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		dir, name = p[:i], p[i+1:]
	}
	if list := d.entries[dir]; list != nil {
		if j := slices.Index(list, name); j >= 0 {
			d.entries[dir] = slices.Delete(list, j, j+1)
		}
	}
}

func (d *simDisk) removeTree(p string) {
	delete(d.files, p)
	for _, name := range d.entries[p] {
		d.removeTree(p + "/" + name)
	}
	delete(d.entries, p)
}

// tear applies the write a crash interrupted: an append lands cut short
// (possibly empty); any other write is lost.
func (d *simDisk) tear(h *agentHost, e effect.Effect, rng *rand.Rand) {
	if a, ok := e.(slave.CheckpointAppend); ok && len(a.Data) > 0 {
		p := h.rel(a.Path)
		cut := rng.IntN(len(a.Data))
		d.put(p, checkpoint.File{Data: append(d.files[p].Data, a.Data[:cut]...)})
	}
}

// recovered reads the disk back as the agent's shell does at start-up:
// parsed strictly, and journals with a torn last record cut back to their
// complete records.
func (d *simDisk) recovered() (*checkpoint.State, error) {
	st, _, err := checkpoint.Parse(d.files, true)
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
						d.put(p, checkpoint.File{Data: d.files[p].Data[:t.TornAt]})
					}
				}
			}
		}
	}
	return st, nil
}
