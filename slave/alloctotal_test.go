package slave

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
	"google.golang.org/protobuf/proto"
)

// resumAllocated is allocated as it was before the running total: every
// term added up again, in order.
func resumAllocated(e *executor) resources.Resources {
	r := resources.Resources(e.info.GetResources())
	r = r[:len(r):len(r)]
	for _, t := range e.queued {
		r = r.Add(resources.Resources(t.GetResources()))
	}
	for _, x := range e.tasks {
		if x.kind == taskLaunched {
			r = r.Add(resources.Resources(x.task.GetResources()))
		}
	}
	return r
}

// randomResource is one entry of a kind drawn from a small set, so that
// tasks share kinds: plain and reserved scalars (values at and off
// fixed-point resolution, zero), ports that may overlap, disks (plain,
// persistent, shared), and roles spelt alike in different ways.
func randomResource(rng *rand.Rand) *mesos.Resource {
	scalar := func(name string, v float64) *mesos.Resource {
		return &mesos.Resource{Name: proto.String(name), Type: mesos.Value_SCALAR.Enum(), Scalar: &mesos.Value_Scalar{Value: proto.Float64(v)}}
	}
	values := []float64{0.1, 0.5, 1, 2, 32, 0.001, 0, 0.0004, 0.12345, 1e-9}
	v := values[rng.Intn(len(values))]
	switch rng.Intn(10) {
	case 0, 1:
		return scalar("cpus", v)
	case 2:
		return scalar("mem", v*100)
	case 3:
		x := scalar("cpus", v)
		x.Reservations = []*mesos.Resource_ReservationInfo{{Role: proto.String("r1"), Type: mesos.Resource_ReservationInfo_STATIC.Enum()}}
		return x
	case 4:
		x := scalar("mem", v)
		x.Role = proto.String([]string{"*", "r2"}[rng.Intn(2)])
		if rng.Intn(2) == 0 {
			x.AllocationInfo = &mesos.Resource_AllocationInfo{Role: proto.String("r2")}
		}
		return x
	case 5:
		b := uint64(31000 + rng.Intn(20))
		return &mesos.Resource{Name: proto.String("ports"), Type: mesos.Value_RANGES.Enum(),
			Ranges: &mesos.Value_Ranges{Range: []*mesos.Value_Range{{Begin: proto.Uint64(b), End: proto.Uint64(b + uint64(rng.Intn(3)))}}}}
	case 6:
		return scalar("disk", v*10)
	case 7:
		x := scalar("disk", 64)
		x.Disk = &mesos.Resource_DiskInfo{Persistence: &mesos.Resource_DiskInfo_Persistence{Id: proto.String(fmt.Sprint("v", rng.Intn(3)))}}
		x.Reservations = []*mesos.Resource_ReservationInfo{{Role: proto.String("r1"), Type: mesos.Resource_ReservationInfo_DYNAMIC.Enum()}}
		if rng.Intn(2) == 0 {
			x.Shared = &mesos.Resource_SharedInfo{}
		}
		return x
	case 8:
		return &mesos.Resource{Name: proto.String("gpus"), Type: mesos.Value_SET.Enum(),
			Set: &mesos.Value_Set{Item: []string{fmt.Sprint("g", rng.Intn(4))}}}
	default:
		return scalar(fmt.Sprint("k", rng.Intn(3)), v)
	}
}

func randomResources(rng *rand.Rand, plain bool) []*mesos.Resource {
	var out []*mesos.Resource
	for n := rng.Intn(5); n > 0; n-- {
		x := randomResource(rng)
		if plain && (x.GetType() != mesos.Value_SCALAR || x.Disk != nil || !resources.ExactScalar(x)) {
			continue
		}
		out = append(out, x)
	}
	return out
}

// TestAllocatedRunningTotal checks the running total against the re-sum,
// entry for entry and in order, over random launches, queued tasks and
// ends; the total is read between changes so that it is followed, not
// rebuilt.
func TestAllocatedRunningTotal(t *testing.T) {
	followed := 0 // ends taken out of the total, not re-summed
	for seed := int64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewSource(seed))
		// Mostly exact scalars, so that the running total is used, not
		// just dropped.
		plain := seed%2 == 0
		f := newFramework(&mesos.FrameworkInfo{Id: &mesos.FrameworkID{Value: proto.String("fw")}}, coreMaster)
		info := &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("e")}}
		if rng.Intn(2) == 0 {
			info.Resources = randomResources(rng, plain)
		}
		e := newExecutor(f, info, false, "c", "")
		f.addExecutor(e)
		var live, queued []string
		next := 0
		newInfo := func() *mesos.TaskInfo {
			next++
			return &mesos.TaskInfo{TaskId: &mesos.TaskID{Value: proto.String(fmt.Sprint("t", next))},
				SlaveId: &mesos.SlaveID{Value: proto.String("s")}, Resources: randomResources(rng, plain)}
		}
		pick := func(ids *[]string) string {
			i := rng.Intn(len(*ids))
			if rng.Intn(3) == 0 {
				i = 0 // the oldest: often the first holder of a kind
			}
			id := (*ids)[i]
			*ids = append((*ids)[:i], (*ids)[i+1:]...)
			return id
		}
		for step := 0; step < 120; step++ {
			switch op := rng.Intn(10); {
			case op < 4 || len(live) == 0 && len(queued) == 0:
				ti := newInfo()
				e.addLaunched(ti)
				live = append(live, ti.GetTaskId().GetValue())
			case op == 4:
				ti := newInfo()
				e.enqueue(ti)
				queued = append(queued, ti.GetTaskId().GetValue())
			case op == 5 && len(queued) > 0:
				id := pick(&queued)
				e.addLaunched(e.dequeue(id))
				live = append(live, id)
			case len(live) > 0:
				id := pick(&live)
				st := &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String(id)}, State: mesos.TaskState_TASK_FINISHED.Enum()}
				had := e.total != nil
				if err := e.updateTaskState(st); err != nil {
					t.Fatal(err)
				}
				if had && e.total != nil {
					followed++
				}
				if rng.Intn(2) == 0 {
					e.completeTask(id)
				}
			}
			if e.total != nil && len(e.total.of) != len(e.total.r) {
				t.Fatalf("seed %d step %d: misaligned %d %d", seed, step, len(e.total.r), len(e.total.of))
			}
			got, want := e.allocated(), resumAllocated(e)
			if len(got) != len(want) {
				t.Fatalf("seed %d step %d: %d entries, the re-sum has %d:\n%v\n%v", seed, step, len(got), len(want), got, want)
			}
			for i := range want {
				gb, err1 := proto.MarshalOptions{Deterministic: true}.Marshal(got[i])
				wb, err2 := proto.MarshalOptions{Deterministic: true}.Marshal(want[i])
				if err1 != nil || err2 != nil || string(gb) != string(wb) {
					t.Fatalf("seed %d step %d: entry %d is %v, the re-sum has %v\n%v\n%v", seed, step, i, got[i], want[i], got, want)
				}
			}
		}
	}
	if followed < 1000 {
		t.Errorf("the total was followed through %d ends only", followed)
	}
}
