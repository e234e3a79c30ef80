package tracing

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what `mesos-trace stats` prints: message counts and sizes per
// type and per actor pair, hop times per type, and the latency of each
// stage of every task's launch.
type Report struct {
	Processes []ProcessInfo `json:"processes"`
	Events    int           `json:"events"`
	Messages  int           `json:"messages"`
	Lost      uint64        `json:"lost"`
	Types     []TypeStats   `json:"types"`
	Pairs     []PairStats   `json:"pairs"`
	Tasks     int           `json:"tasks"`
	Stages    []StageStats  `json:"stages"`
}

// TypeStats are the messages of one type (with its subtype).
type TypeStats struct {
	Type        string      `json:"type"`
	Messages    int         `json:"messages"`
	Bytes       int64       `json:"bytes"`
	Dropped     int         `json:"dropped"`
	DeadLetters int         `json:"dead_letters"`
	Hop         Percentiles `json:"hop"`
}

// PairStats are the messages from one actor to another.
type PairStats struct {
	From     string `json:"from"`
	To       string `json:"to"`
	Messages int    `json:"messages"`
	Bytes    int64  `json:"bytes"`
}

// StageStats is one stage of a task's life over all tasks.
type StageStats struct {
	Stage string      `json:"stage"`
	Span  string      `json:"span"`
	Time  Percentiles `json:"time"`
}

// Percentiles summarise durations (nearest rank).
type Percentiles struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// NewPercentiles computes percentiles of ds (which it sorts).
func NewPercentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	rank := func(p float64) time.Duration {
		k := int(p*float64(len(ds))+0.999999) - 1
		return ds[min(max(k, 0), len(ds)-1)]
	}
	return Percentiles{N: len(ds), P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: ds[len(ds)-1]}
}

// The stages of a task's life, between the milestones found in its flow.
var stageSpans = []struct{ name, span string }{
	{"offer", "offer sent by the master → received by the scheduler"},
	{"accept", "offer received → accept (or launch) received by the master"},
	{"run task", "accept received → RunTaskMessage received by the agent"},
	{"executor registered", "RunTaskMessage received → ExecutorRegisteredMessage received by the executor"},
	{"TASK_RUNNING", "executor registered → TASK_RUNNING update received by the scheduler"},
	{"acknowledgement", "TASK_RUNNING received → its acknowledgement received by the agent"},
	{"offer to TASK_RUNNING", "offer sent → TASK_RUNNING received by the scheduler"},
}

// NewReport computes the report of a merged trace.
func NewReport(recs []Record) *Report {
	rep := &Report{}
	for i := range recs {
		r := &recs[i]
		switch {
		case r.Kind == Merged:
			rep.Processes = r.Processes
		case r.Kind == Lost:
			rep.Lost += r.Lost
		case r.Kind.IsMessage():
			rep.Events++
		}
	}
	msgs := Messages(recs)
	rep.Messages = len(msgs)
	types := map[string]*TypeStats{}
	hops := map[string][]time.Duration{}
	pairs := map[[2]string]*PairStats{}
	for i := range msgs {
		m := &msgs[i]
		key := m.Type
		if m.Subtype != "" {
			key += " " + m.Subtype
		}
		ts := types[key]
		if ts == nil {
			ts = &TypeStats{Type: key}
			types[key] = ts
		}
		ts.Messages++
		ts.Bytes += int64(m.Size)
		switch m.Outcome() {
		case Dropped:
			ts.Dropped++
		case DeadLetter:
			ts.DeadLetters++
		}
		if h, ok := m.Hop(); ok {
			hops[key] = append(hops[key], h)
		}
		pk := [2]string{m.From, m.To}
		ps := pairs[pk]
		if ps == nil {
			ps = &PairStats{From: m.From, To: m.To}
			pairs[pk] = ps
		}
		ps.Messages++
		ps.Bytes += int64(m.Size)
	}
	for k, ts := range types {
		ts.Hop = NewPercentiles(hops[k])
		rep.Types = append(rep.Types, *ts)
	}
	sort.Slice(rep.Types, func(i, j int) bool {
		if rep.Types[i].Messages != rep.Types[j].Messages {
			return rep.Types[i].Messages > rep.Types[j].Messages
		}
		return rep.Types[i].Type < rep.Types[j].Type
	})
	for _, ps := range pairs {
		rep.Pairs = append(rep.Pairs, *ps)
	}
	sort.Slice(rep.Pairs, func(i, j int) bool {
		a, b := rep.Pairs[i], rep.Pairs[j]
		if a.Messages != b.Messages {
			return a.Messages > b.Messages
		}
		if a.From != b.From {
			return a.From < b.From
		}
		return a.To < b.To
	})
	stages := make([][]time.Duration, len(stageSpans))
	for _, tl := range taskLives(msgs) {
		rep.Tasks++
		for s, d := range tl.stages() {
			if d != nil {
				stages[s] = append(stages[s], *d)
			}
		}
	}
	for s, sp := range stageSpans {
		rep.Stages = append(rep.Stages, StageStats{Stage: sp.name, Span: sp.span, Time: NewPercentiles(stages[s])})
	}
	return rep
}

// taskLife holds the milestones of one task (nil: not in the trace).
type taskLife struct {
	task                                             string
	offer, accept, runTask, registered, running, ack *Message
}

func (tl *taskLife) stages() []*time.Duration {
	span := func(a, b *Message, aSent, bSent bool) *time.Duration {
		if a == nil || b == nil {
			return nil
		}
		if a == b && (a.Send == nil || a.Recv == nil || a.Recv.Kind != Received) {
			// One message's own hop needs both of its ends: measuring it
			// from the same side twice would report a made-up zero.
			return nil
		}
		ta, tb := a.ReceivedAt(), b.ReceivedAt()
		if aSent {
			ta = a.SentAt()
		}
		if bSent {
			tb = b.SentAt()
		}
		d := max(0, tb.Sub(ta))
		return &d
	}
	return []*time.Duration{
		span(tl.offer, tl.offer, true, false),
		span(tl.offer, tl.accept, false, false),
		span(tl.accept, tl.runTask, false, false),
		span(tl.runTask, tl.registered, false, false),
		span(tl.registered, tl.running, false, false),
		span(tl.running, tl.ack, false, false),
		span(tl.offer, tl.running, true, false),
	}
}

// taskKey names a task: task IDs are unique within a framework only.
type taskKey struct{ framework, task string }

// frameworkOf is the framework a message is about ("" if it names none or
// several).
func frameworkOf(m *Message) string {
	if len(m.IDs.Framework) == 1 {
		return m.IDs.Framework[0]
	}
	return ""
}

// taskLives finds the milestones of every task launched in the trace (a
// task named by a message that also names offers: an accept or launch).
func taskLives(msgs []Message) []*taskLife {
	byTask := map[taskKey][]int{} // message indexes naming the task
	var order []taskKey
	for i := range msgs {
		fw := frameworkOf(&msgs[i])
		for _, t := range msgs[i].IDs.Task {
			k := taskKey{fw, t}
			if _, ok := byTask[k]; !ok {
				order = append(order, k)
			}
			byTask[k] = append(byTask[k], i)
		}
	}
	registrations := map[string][]int{} // executor id -> ExecutorRegisteredMessage indexes
	for i := range msgs {
		if isType(&msgs[i], "ExecutorRegisteredMessage") {
			for _, e := range msgs[i].IDs.Executor {
				registrations[e] = append(registrations[e], i)
			}
		}
	}
	var out []*taskLife
	for _, key := range order {
		idx, task := byTask[key], key.task
		tl := &taskLife{task: task}
		acceptAt := -1
		for _, i := range idx {
			if len(msgs[i].IDs.Offer) > 0 {
				tl.accept, acceptAt = &msgs[i], i
				break
			}
		}
		if tl.accept == nil {
			continue
		}
		out = append(out, tl)
		scheduler, master := tl.accept.From, tl.accept.To
		// The offer: the last message to the scheduler before the accept
		// naming one of the accepted offers.
		for i := acceptAt - 1; i >= 0; i-- {
			if msgs[i].To == scheduler && anyIn(tl.accept.IDs.Offer, msgs[i].IDs.Offer) {
				tl.offer = &msgs[i]
				break
			}
		}
		agent, runTaskAt := "", -1
		for _, i := range idx {
			m := &msgs[i]
			if i <= acceptAt {
				continue
			}
			switch {
			case tl.runTask == nil && m.From == master && isType(m, "RunTaskMessage", "RunTaskGroupMessage"):
				tl.runTask, agent, runTaskAt = m, m.To, i
			case tl.running == nil && m.To == scheduler && contains(m.States, "TASK_RUNNING"):
				tl.running = m
			case tl.running != nil && tl.ack == nil && agent != "" && m.To == agent && isType(m, "StatusUpdateAcknowledgementMessage"):
				tl.ack = m
			}
		}
		if tl.runTask != nil {
			// The executor's registration: the task's executors (a command
			// task's executor has the task's ID).
			best := -1
			for _, e := range append([]string{task}, tl.runTask.IDs.Executor...) {
				for _, i := range registrations[e] {
					if i > runTaskAt && msgs[i].From == agent && frameworkOf(&msgs[i]) == key.framework {
						if best < 0 || i < best {
							best = i
						}
						break
					}
				}
			}
			if best >= 0 {
				tl.registered = &msgs[best]
			}
		}
	}
	return out
}

func isType(m *Message, short ...string) bool {
	st := ShortType(m.Type)
	for _, s := range short {
		if st == s {
			return true
		}
	}
	return false
}

// WriteText prints the report as aligned tables.
func (rep *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%d processes, %d events, %d messages, %d events lost by sinks\n", len(rep.Processes), rep.Events, rep.Messages, rep.Lost)
	if len(rep.Processes) > 0 {
		fmt.Fprintln(tw, "\nPROCESS\tPROGRAM\tOS PID\tEVENTS\tCLOCK CORRECTION")
		for _, p := range rep.Processes {
			pid := ""
			if p.OSPid != 0 {
				pid = fmt.Sprint(p.OSPid)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", p.Process, dash(p.Program), dash(pid), p.Events, FormatDuration(time.Duration(p.SkewNs)))
		}
	}
	fmt.Fprintln(tw, "\nTYPE\tMESSAGES\tBYTES\tMEAN BYTES\tDROPPED\tDEAD LETTERS\tHOP P50\tHOP P99\tHOP MAX")
	for _, t := range rep.Types {
		mean := int64(0)
		if t.Messages > 0 {
			mean = t.Bytes / int64(t.Messages)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", t.Type, t.Messages, t.Bytes, mean, t.Dropped, t.DeadLetters,
			pct(t.Hop, t.Hop.P50), pct(t.Hop, t.Hop.P99), pct(t.Hop, t.Hop.Max))
	}
	fmt.Fprintln(tw, "\nFROM\tTO\tMESSAGES\tBYTES")
	for _, p := range rep.Pairs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", dash(p.From), dash(p.To), p.Messages, p.Bytes)
	}
	fmt.Fprintf(tw, "\nTASK STAGE (%d tasks)\tN\tP50\tP90\tP99\tMAX\tSPAN\n", rep.Tasks)
	for _, s := range rep.Stages {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", s.Stage, s.Time.N, pct(s.Time, s.Time.P50), pct(s.Time, s.Time.P90),
			pct(s.Time, s.Time.P99), pct(s.Time, s.Time.Max), s.Span)
	}
	return tw.Flush()
}

func pct(p Percentiles, d time.Duration) string {
	if p.N == 0 {
		return "-"
	}
	return FormatDuration(d)
}

func dash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
