package slave

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
)

// executorMeta, cut from the run's folder, is the executor's meta folder
// as Paths.Executor makes it, whatever the ids.
func TestExecutorMetaIsPathsExecutor(t *testing.T) {
	r := newCoreRun(t)
	r.register()
	for _, ids := range [][3]string{
		{"f1", "e1", "c1"}, {"f1", "a/..", "c1"}, {"f1", "e1", "x/runs/y"}, {"f1", "e1", "../runs/z"},
		{"f1", "e1", ".."}, {"f1", "e1", ""}, {"..", "..", "c1"}, {"f/../..", "e", "runs"},
	} {
		f := newFramework(&mesos.FrameworkInfo{Id: &mesos.FrameworkID{Value: proto.String(ids[0])}}, actors.PID{})
		e := newExecutor(f, &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String(ids[1])}}, false, ids[2], "")
		want := r.c.ckpt.Executor(coreAgentID, ids[0], ids[1])
		if got := r.c.executorMeta(f, e); got != want {
			t.Errorf("ids %q: executorMeta %q, Paths.Executor %q", ids, got, want)
		}
	}
}
