package slave

import (
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/slave/checkpoint"
)

// executorMeta == Paths.Executor and its files, for random ids made of
// path pieces, under absolute and relative work dirs.
func TestExecutorMetaMatchesPaths(t *testing.T) {
	pieces := []string{"a", ".", "..", "runs", "/", "b", "latest", "x.y", ""}
	rng := rand.New(rand.NewPCG(1, 2))
	id := func() string {
		s := ""
		for range 1 + rng.IntN(4) {
			s += pieces[rng.IntN(len(pieces))]
		}
		return s
	}
	for _, wd := range []string{"/var/agent", "w", ".", "/", "", "../w", "w/"} {
		r := newCoreRun(t)
		r.register()
		r.c.ckpt = checkpoint.NewPaths(wd)
		for range 3000 {
			fid, eid, cid := id(), id(), id()
			f := newFramework(&mesos.FrameworkInfo{Id: &mesos.FrameworkID{Value: proto.String(fid)}}, actors.PID{})
			e := newExecutor(f, &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String(eid)}}, false, cid, r.c.ID())
			p := r.c.ckpt
			want := p.Executor(r.c.ID(), fid, eid)
			got := r.c.executorMeta(f, e)
			if got != want {
				t.Fatalf("wd %q ids %q %q %q: executorMeta %q, Paths.Executor %q", wd, fid, eid, cid, got, want)
			}
			if a, b := checkpoint.JoinClean(got, checkpoint.ExecutorInfoFile), p.ExecutorInfo(r.c.ID(), fid, eid); a != b {
				t.Fatalf("wd %q ids %q %q %q: info %q want %q", wd, fid, eid, cid, a, b)
			}
			if a, b := checkpoint.JoinClean(got, "runs", checkpoint.Latest), p.LatestRun(r.c.ID(), fid, eid); a != b {
				t.Fatalf("wd %q ids %q %q %q: latest %q want %q", wd, fid, eid, cid, a, b)
			}
			if a, b := r.c.sandbox(e), p.Sandbox(r.c.ID(), fid, eid, cid); a != b {
				t.Fatalf("wd %q ids %q %q %q: sandbox %q want %q", wd, fid, eid, cid, a, b)
			}
		}
	}
}
