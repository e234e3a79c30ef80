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
type simDisk struct {
	files        checkpoint.Files
	crashAtWrite bool
	// onCrash crashes the agent whose write was interrupted.
	onCrash func(n *Node)
}

func newSimDisk() *simDisk { return &simDisk{files: checkpoint.Files{}} }

// write applies one of the agent core's disk effects.
func (d *simDisk) write(h *agentHost, e effect.Effect) {
	switch e := e.(type) {
	case slave.Checkpoint:
		d.files[h.rel(e.Path)] = checkpoint.File{Data: append([]byte(nil), e.Data...)}
	case slave.CheckpointAppend:
		p := h.rel(e.Path)
		f := d.files[p]
		d.files[p] = checkpoint.File{Data: append(f.Data, e.Data...)}
	case slave.CheckpointLink:
		d.files[h.rel(e.Path)] = checkpoint.File{Link: e.Target, IsLink: true}
	case slave.CheckpointRemove:
		p := h.rel(e.Path)
		under := p + "/"
		for k := range d.files {
			if k == p || strings.HasPrefix(k, under) {
				delete(d.files, k)
			}
		}
	}
}

// tear applies the write a crash interrupted: an append lands cut short
// (possibly empty); any other write is lost.
func (d *simDisk) tear(h *agentHost, e effect.Effect, rng *rand.Rand) {
	if a, ok := e.(slave.CheckpointAppend); ok && len(a.Data) > 0 {
		f := d.files[h.rel(a.Path)]
		cut := rng.IntN(len(a.Data))
		d.files[h.rel(a.Path)] = checkpoint.File{Data: append(f.Data, a.Data[:cut]...)}
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
						f := d.files[p]
						d.files[p] = checkpoint.File{Data: f.Data[:t.TornAt]}
					}
				}
			}
		}
	}
	return st, nil
}
