package slave

import (
	"sort"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// allocTotal is an executor's allocated resources, kept as tasks are
// launched and end so that an executor with many tasks does not re-sum
// them all on every change. It equals the re-sum (sumAllocated) entry for
// entry, in the same order: the re-sum lists each kind where its first
// holder brings it in, so the holder of each entry is kept.
type allocTotal struct {
	r resources.Resources
	// of[i] is what the total knows of r[i].
	of []allocEntry
	// terms is the number of tasks added: none leaves the executor's own
	// resources as given, not in normal form.
	terms int
	// buf is room for of in the usual total (cpus and mem).
	buf [2]allocEntry
}

// allocEntry is what an allocTotal knows of one of its entries.
type allocEntry struct {
	// by is the launched task whose resources first hold the entry (nil:
	// the executor's own or a queued task's), at index at in them.
	by *mesos.Task
	at int32
	// inexact: some term of the entry is not an ExactScalar; taking a
	// term out then needs the re-sum.
	inexact bool
}

// newAllocTotal is a total of r, whose entries no task holds, with room
// for n entries; of is zeroed.
func newAllocTotal(r resources.Resources, n int) *allocTotal {
	t := &allocTotal{r: r}
	if n <= len(t.buf) {
		t.of = t.buf[:len(r)]
	} else {
		t.of = make([]allocEntry, len(r), n)
	}
	return t
}

// allocated is the executor's own resources plus its queued and launched
// tasks' resources (what the container is given). Read only.
func (e *executor) allocated() resources.Resources {
	t := e.total
	if t == nil {
		t = e.sumAllocated()
		if e.fw != nil { // a completed executor keeps none
			e.total = t
		}
	}
	r := t.r
	return r[:len(r):len(r)]
}

// sumAllocated adds up the executor's resources and its tasks'.
func (e *executor) sumAllocated() *allocTotal {
	// Add returns a new slice and never changes entries; a result without
	// tasks is the executor's own resources, read only, and clipped so
	// that an append cannot write into them.
	own := resources.Resources(e.info.GetResources())
	t := newAllocTotal(own[:len(own):len(own)], len(own))
	for i, x := range t.r {
		t.of[i].inexact = !resources.ExactScalar(x)
	}
	for _, q := range e.queued {
		t.add(resources.Resources(q.GetResources()), nil)
	}
	for _, x := range e.tasks {
		if x.kind == taskLaunched {
			t.add(resources.Resources(x.task.GetResources()), x.task)
		}
	}
	return t
}

// add adds o, the resources of holder (nil: not a launched task), after
// every term already in t.
func (t *allocTotal) add(o resources.Resources, holder *mesos.Task) {
	if t.terms == 0 && !resources.Normal(t.r) {
		// The first Add puts the executor's own resources in normal
		// form; entries it merges are not worth following.
		t.r = t.r.Add(nil)
		t.of = t.of[:0]
		for range t.r {
			t.of = append(t.of, allocEntry{inexact: true})
		}
	}
	t.terms++
	of := t.of
	t.r = t.r.AddEach(o, func(i, j int) {
		if i == len(of) { // brought in by o[j]
			of = append(of, allocEntry{by: holder, at: int32(j)})
		}
		if !resources.ExactScalar(o[j]) {
			of[i].inexact = true
		}
	})
	t.of = of
}

// totalLaunched adds the resources of task, launched after every other.
func (e *executor) totalLaunched(task *mesos.Task) {
	if e.total != nil {
		e.total = e.total.clone()
		e.total.add(resources.Resources(task.GetResources()), task)
	}
}

func (t *allocTotal) clone() *allocTotal {
	n := newAllocTotal(append(resources.Resources(nil), t.r...), len(t.of))
	copy(n.of, t.of)
	n.terms = t.terms
	return n
}

// totalEnded takes out the resources of launched task e.tasks[k], which
// is ending, or drops the total for a re-sum when that cannot be done
// exactly.
func (e *executor) totalEnded(k int) {
	if e.total == nil {
		return
	}
	task := e.tasks[k].task
	if e.total.terms <= 1 {
		e.total = nil // the re-sum is the executor's own resources
		return
	}
	t := e.total.clone() // the old r may be held by effects
	t.terms--
	e.total = nil
	var reheld []int
	for _, x := range task.GetResources() {
		if !resources.Counts(x) {
			continue
		}
		if !resources.ExactScalar(x) {
			return
		}
		i := resources.MergeIndex(t.r, x)
		if i < 0 || t.of[i].inexact || !resources.ExactScalar(t.r[i]) {
			return
		}
		if z := resources.ScalarMinus(t.r[i], x); z != nil {
			t.r[i] = z
			if t.of[i].by == task && !containsInt(reheld, i) {
				reheld = append(reheld, i)
			}
			continue
		}
		t.r = append(t.r[:i], t.r[i+1:]...)
		t.of = append(t.of[:i], t.of[i+1:]...)
		kept := reheld[:0]
		for _, h := range reheld {
			switch {
			case h > i:
				kept = append(kept, h-1)
			case h < i:
				kept = append(kept, h)
			}
		}
		reheld = kept
	}
	for _, i := range reheld {
		if !e.rehold(t, i, k) {
			return
		}
	}
	if len(reheld) > 0 {
		t.sortByHolder(e)
	}
	e.total = t
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// rehold gives r[i], whose first holder e.tasks[k] is ending, to the next
// launched task holding its kind, as the re-sum would: that task's entry
// supplies the metadata. False if none does (the total is not what it
// should be).
func (e *executor) rehold(t *allocTotal, i, k int) bool {
	y := t.r[i]
	for _, x := range e.tasks[k+1:] {
		if x.kind != taskLaunched {
			continue
		}
		for j, z := range x.task.GetResources() {
			if resources.Counts(z) && resources.MergeIndex(resources.Resources{y}, z) == 0 {
				t.r[i] = resources.ScalarLike(z, y.GetScalar().GetValue())
				t.of[i].by, t.of[i].at = x.task, int32(j)
				return true
			}
		}
	}
	return false
}

// sortByHolder puts the entries back in the re-sum's order: those of the
// executor and queued tasks first, as they are, then by holder in launch
// order and by index in the holder's resources.
func (t *allocTotal) sortByHolder(e *executor) {
	pos := make([]int, len(t.r))
	for i, x := range t.of {
		pos[i] = -1
		if x.by != nil {
			pos[i] = e.taskIndex(x.by.GetTaskId().GetValue())
		}
	}
	idx := make([]int, len(t.r))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		a, b = idx[a], idx[b]
		if pos[a] != pos[b] {
			return pos[a] < pos[b]
		}
		return pos[a] >= 0 && t.of[a].at < t.of[b].at
	})
	r, of := make(resources.Resources, len(idx)), make([]allocEntry, len(idx))
	for to, from := range idx {
		r[to], of[to] = t.r[from], t.of[from]
	}
	t.r, t.of = r, of
}
