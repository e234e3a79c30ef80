package tracing

import (
	"fmt"
	"strings"
	"time"
)

// Filter selects message events. Within a field, values are alternatives
// (any may match); fields combine (all must match). Zero fields match
// everything.
type Filter struct {
	Task      []string // the message concerns one of these tasks
	Framework []string
	Agent     []string
	Offer     []string
	// Type: the full type (mesos.internal.RunTaskMessage), its last
	// component (RunTaskMessage) or the subtype (ACCEPT of a Call).
	Type []string
	// Process: the sender's or receiver's PID (id@host:port), its id
	// (slave(1)) or address, or the recording process' label or program
	// (mesos-agent).
	Process []string
	// Since and Until bound the corrected time (inclusive).
	Since, Until time.Time
	// Flow widens Task to the task's whole flow, as diagrams draw it
	// (see SelectFlow): the offer it came from, its executor's
	// registration, its updates and their acknowledgements.
	Flow bool
}

// Apply returns the records of a merged trace that match, after the merge
// line (kept, when there is one). Lost lines are kept when they pass the
// process and time bounds: they say that the trace has holes.
func (f *Filter) Apply(recs []Record) []Record {
	programs := programsOf(recs)
	var inFlow map[int]bool
	if f.Flow && len(f.Task) > 0 {
		inFlow = map[int]bool{}
		for _, t := range f.Task {
			for _, i := range flowIndexes(recs, Selector{Task: t}) {
				inFlow[i] = true
			}
		}
	}
	var out []Record
	for i := range recs {
		r := &recs[i]
		switch {
		case r.Kind == Merged || r.Kind == Start:
			out = append(out, *r)
			continue
		case r.Kind == Lost:
			if f.matchTime(r) && f.matchLostProcess(r, programs) {
				out = append(out, *r)
			}
			continue
		}
		if !f.matchTime(r) || !f.matchProcess(r, programs) || !matchType(f.Type, r) {
			continue
		}
		if inFlow != nil {
			if !inFlow[i] {
				continue
			}
		} else if !anyIn(f.Task, r.IDs.Task) {
			continue
		}
		if !anyIn(f.Framework, r.IDs.Framework) || !anyIn(f.Agent, r.IDs.Agent) || !anyIn(f.Offer, r.IDs.Offer) {
			continue
		}
		out = append(out, *r)
	}
	return out
}

// anyIn: want is empty, or one of want is in have.
func anyIn(want, have []string) bool {
	if len(want) == 0 {
		return true
	}
	for _, w := range want {
		for _, h := range have {
			if w == h {
				return true
			}
		}
	}
	return false
}

func matchType(want []string, r *Record) bool {
	if len(want) == 0 {
		return true
	}
	short := ShortType(r.Type)
	for _, w := range want {
		if w == r.Type || w == short || (r.Subtype != "" && w == r.Subtype) {
			return true
		}
	}
	return false
}

func (f *Filter) matchTime(r *Record) bool {
	t := r.At()
	if !f.Since.IsZero() && t.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && t.After(f.Until) {
		return false
	}
	return true
}

func (f *Filter) matchProcess(r *Record, programs map[string]string) bool {
	if len(f.Process) == 0 {
		return true
	}
	for _, w := range f.Process {
		if matchPID(w, r.From) || matchPID(w, r.To) || w == r.Process || (w != "" && programs[r.Process] == w) {
			return true
		}
	}
	return false
}

func (f *Filter) matchLostProcess(r *Record, programs map[string]string) bool {
	if len(f.Process) == 0 {
		return true
	}
	for _, w := range f.Process {
		if w == r.Process || (w != "" && programs[r.Process] == w) {
			return true
		}
	}
	return false
}

func matchPID(want, pid string) bool {
	if pid == "" || want == "" {
		return false
	}
	if want == pid {
		return true
	}
	id, addr, ok := strings.Cut(pid, "@")
	return ok && (want == id || want == addr)
}

// programsOf maps process labels to program names from start and merge
// lines.
func programsOf(recs []Record) map[string]string {
	p := map[string]string{}
	for i := range recs {
		r := &recs[i]
		switch r.Kind {
		case Start:
			if r.Program != "" {
				p[r.Process] = r.Program
			}
		case Merged:
			for _, pi := range r.Processes {
				if pi.Program != "" {
					p[pi.Process] = pi.Program
				}
			}
		}
	}
	return p
}

// ParseTimeBound reads a --since or --until value: an RFC 3339 time, or
// a duration after the first event ("2s", "+1m30s", "1500ms").
func ParseTimeBound(s string, first time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(strings.TrimPrefix(s, "+"))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2006-01-02T15:04:05.999Z) nor a duration after the first event (1.5s)", s)
	}
	if d < 0 {
		return time.Time{}, fmt.Errorf("%q: negative duration", s)
	}
	return first.Add(d), nil
}

// FirstTime is the earliest corrected time of the message events.
func FirstTime(recs []Record) time.Time {
	var t time.Time
	for i := range recs {
		if !recs[i].Kind.IsMessage() {
			continue
		}
		if at := recs[i].At(); t.IsZero() || at.Before(t) {
			t = at
		}
	}
	return t
}

// Selector names a flow: a task's, a framework's, an agent's or an
// offer's. Set fields combine (all must hold).
type Selector struct {
	Task, Framework, Agent, Offer string
}

// IsZero reports whether nothing is selected.
func (s Selector) IsZero() bool { return s == Selector{} }

func (s Selector) String() string {
	var parts []string
	for _, kv := range [][2]string{{"task", s.Task}, {"framework", s.Framework}, {"agent", s.Agent}, {"offer", s.Offer}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	return strings.Join(parts, ", ")
}

// SelectFlow returns the message events of a flow, in their order.
//
// A task's flow is every message that names the task; the messages naming
// an offer that a message of the task names (the accept or launch lists the
// offers the task was launched from, so the offer message is in); and
// the messages of the task's executor (the executors the task's messages
// name, and an executor with the task's ID, as a command task's has) that
// name no other task: its registration, shutdown and exit. A framework's,
// agent's or offer's flow is every message that names it.
func SelectFlow(recs []Record, sel Selector) []Record {
	idx := flowIndexes(recs, sel)
	out := make([]Record, len(idx))
	for k, i := range idx {
		out[k] = recs[i]
	}
	return out
}

func flowIndexes(recs []Record, sel Selector) []int {
	var offers, executors, frameworks map[string]bool
	if sel.Task != "" {
		offers, executors, frameworks = map[string]bool{}, map[string]bool{sel.Task: true}, map[string]bool{}
		for i := range recs {
			r := &recs[i]
			if !r.Kind.IsMessage() || !contains(r.IDs.Task, sel.Task) {
				continue
			}
			for _, o := range r.IDs.Offer {
				offers[o] = true
			}
			for _, e := range r.IDs.Executor {
				executors[e] = true
			}
			for _, f := range r.IDs.Framework {
				frameworks[f] = true
			}
		}
	}
	var out []int
	for i := range recs {
		r := &recs[i]
		if !r.Kind.IsMessage() {
			continue
		}
		if sel.Framework != "" && !contains(r.IDs.Framework, sel.Framework) {
			continue
		}
		if sel.Agent != "" && !contains(r.IDs.Agent, sel.Agent) {
			continue
		}
		if sel.Offer != "" && !contains(r.IDs.Offer, sel.Offer) {
			continue
		}
		if sel.Task != "" && !inTaskFlow(r, sel.Task, offers, executors, frameworks) {
			continue
		}
		out = append(out, i)
	}
	return out
}

func inTaskFlow(r *Record, task string, offers, executors, frameworks map[string]bool) bool {
	if contains(r.IDs.Task, task) {
		return true
	}
	for _, o := range r.IDs.Offer {
		if offers[o] {
			return true
		}
	}
	if len(r.IDs.Task) > 0 {
		return false // another task's message
	}
	sameFramework := len(frameworks) == 0 || len(r.IDs.Framework) == 0
	for _, f := range r.IDs.Framework {
		if frameworks[f] {
			sameFramework = true
		}
	}
	if !sameFramework {
		return false
	}
	for _, e := range r.IDs.Executor {
		if executors[e] {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
