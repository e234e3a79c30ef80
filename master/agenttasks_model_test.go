package master

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
)

// Random adds, replacements, removals (by id and by record, current and
// stale) against a map model, across the index threshold both ways.
func TestAgentTasksAgainstAMap(t *testing.T) {
	indexed := 0
	defer func() {
		if indexed == 0 {
			t.Errorf("the list was never indexed: the model did not reach indexFrom")
		}
	}()
	for seed := uint64(0); seed < 40; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		a := newAgent("a1", &mesos.SlaveInfo{}, actors.PID{})
		model := map[taskKey]*mesos.Task{}
		var stale []*mesos.Task
		mk := func() *mesos.Task {
			fid := fmt.Sprintf("f%d", rng.IntN(3))
			tid := fmt.Sprintf("t%d", rng.IntN(150))
			return &mesos.Task{FrameworkId: frameworkID(fid), TaskId: &mesos.TaskID{Value: proto.String(tid)}}
		}
		for step := 0; step < 4000; step++ {
			// phases: grow, then shrink, alternating
			grow := (step/500)%2 == 0
			switch r := rng.IntN(10); {
			case r < 5 && grow || r < 2:
				x := mk()
				if old := model[keyOf(x)]; old != nil {
					stale = append(stale, old)
				}
				a.addTask(x)
				model[keyOf(x)] = x
			case r < 8:
				x := mk()
				a.removeTask(x)
				if old := model[keyOf(x)]; old != nil {
					stale = append(stale, old)
				}
				delete(model, keyOf(x))
			default:
				if len(stale) > 0 && rng.IntN(2) == 0 {
					a.removeTaskIf(stale[rng.IntN(len(stale))], true)
				} else {
					for k, x := range model {
						a.removeTaskIf(x, true)
						delete(model, k)
						stale = append(stale, x)
						break
					}
				}
			}
			if len(a.tasks.list) != len(model) {
				t.Fatalf("seed %d step %d: %d listed, model %d", seed, step, len(a.tasks.list), len(model))
			}
			if a.tasks.index != nil {
				indexed++
				if len(a.tasks.index) != len(a.tasks.list) {
					t.Fatalf("seed %d step %d: index %d, list %d", seed, step, len(a.tasks.index), len(a.tasks.list))
				}
				for i, e := range a.tasks.list {
					if a.tasks.index[keyOf(e.t)] != i {
						t.Fatalf("seed %d step %d: index of %v is %d, at %d", seed, step, keyOf(e.t), a.tasks.index[keyOf(e.t)], i)
					}
				}
			}
			for k, x := range model {
				if a.task(k.fid, k.tid) != x {
					t.Fatalf("seed %d step %d: %v not found", seed, step, k)
				}
			}
			if step%97 == 0 {
				var got, want []string
				for _, fid := range a.tasks.frameworks() {
					for _, x := range a.tasks.of(fid) {
						got = append(got, fid+"/"+x.GetTaskId().GetValue())
					}
				}
				for k := range model {
					want = append(want, k.fid+"/"+k.tid)
				}
				slices.SortFunc(want, func(x, y string) int {
					// fid then tid, as sortedKeys did
					var xf, xt, yf, yt string
					fmt.Sscanf(x, "%2s/%s", &xf, &xt)
					fmt.Sscanf(y, "%2s/%s", &yf, &yt)
					if xf != yf {
						if xf < yf {
							return -1
						}
						return 1
					}
					if xt < yt {
						return -1
					} else if xt > yt {
						return 1
					}
					return 0
				})
				if !slices.Equal(got, want) {
					t.Fatalf("seed %d step %d: listing %v, want %v", seed, step, got, want)
				}
				var all []string
				for _, x := range a.tasks.sorted() {
					all = append(all, x.GetFrameworkId().GetValue()+"/"+x.GetTaskId().GetValue())
				}
				if !slices.Equal(all, want) {
					t.Fatalf("seed %d step %d: sorted %v, want %v", seed, step, all, want)
				}
			}
		}
	}
}
