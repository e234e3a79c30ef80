package statusupdate

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"google.golang.org/protobuf/proto"
)

const (
	running  = mesos.TaskState_TASK_RUNNING
	starting = mesos.TaskState_TASK_STARTING
	finished = mesos.TaskState_TASK_FINISHED
	failed   = mesos.TaskState_TASK_FAILED
)

func upd(task string, st mesos.TaskState, uuid string) *mesosinternal.StatusUpdate {
	return &mesosinternal.StatusUpdate{
		FrameworkId: &mesos.FrameworkID{Value: proto.String("fw")},
		Status: &mesos.TaskStatus{
			TaskId: &mesos.TaskID{Value: proto.String(task)},
			State:  st.Enum(),
		},
		Timestamp: proto.Float64(1),
		Uuid:      []byte(uuid),
	}
}

// step is one line of a scenario. Exactly one of the op fields is set.
type step struct {
	update *mesosinternal.StatusUpdate
	ack    string // uuid acknowledged for task "t" (or ackTask)
	ackTo  string
	pause  bool
	resume bool
	retry  bool // fire the retry timer of the last forward of task "t"
	stale  uint64

	// expectations
	fwd      string          // uuid forwarded ("" none)
	fwds     []string        // for resume
	latest   mesos.TaskState // latest_state of the forward, if fwd set
	dup      bool
	err      error
	ended    bool
	interval time.Duration
}

func TestManagerScenarios(t *testing.T) {
	scenarios := []struct {
		name  string
		steps []step
	}{
		{"in order, one at a time", []step{
			{resume: true},
			{update: upd("t", running, "u1"), fwd: "u1", latest: running, interval: MinRetry},
			{update: upd("t", finished, "u2")}, // queued behind u1
			{ack: "u1", fwd: "u2", latest: finished, interval: MinRetry},
			{ack: "u2", ended: true},
		}},
		{"latest_state runs ahead of the delivered state", []step{
			{resume: true},
			{update: upd("t", starting, "u1"), fwd: "u1", latest: starting},
			{update: upd("t", running, "u2")},
			{update: upd("t", failed, "u3")},
			{retry: true, fwd: "u1", latest: failed, interval: 2 * MinRetry},
			{ack: "u1", fwd: "u2", latest: failed},
		}},
		{"retries double from 10 s up to 10 min", []step{
			{resume: true},
			{update: upd("t", running, "u1"), fwd: "u1", interval: MinRetry},
			{retry: true, fwd: "u1", interval: 20 * time.Second},
			{retry: true, fwd: "u1", interval: 40 * time.Second},
			{retry: true, fwd: "u1", interval: 80 * time.Second},
			{retry: true, fwd: "u1", interval: 160 * time.Second},
			{retry: true, fwd: "u1", interval: 320 * time.Second},
			{retry: true, fwd: "u1", interval: MaxRetry},
			{retry: true, fwd: "u1", interval: MaxRetry},
			{ack: "u1"},
			{retry: true}, // acknowledged: nothing to resend
		}},
		{"duplicates are accepted but not queued", []step{
			{resume: true},
			{update: upd("t", running, "u1"), fwd: "u1"},
			{update: upd("t", running, "u1"), dup: true},
			{ack: "u1"},
			{update: upd("t", running, "u1"), dup: true}, // already acknowledged
		}},
		{"unexpected ack ignored", []step{
			{resume: true},
			{update: upd("t", running, "u1"), fwd: "u1"},
			{update: upd("t", finished, "u2")},
			{ack: "u2", err: ErrUnexpectedAck},
			{ack: "bogus", err: ErrUnexpectedAck},
			{ack: "u1", fwd: "u2"},
		}},
		{"duplicate ack ignored", []step{
			{resume: true},
			{update: upd("t", running, "u1"), fwd: "u1"},
			{update: upd("t", running, "u2")},
			{ack: "u1", fwd: "u2"},
			{ack: "u1", err: ErrDuplicateAck},
		}},
		{"every acknowledged update stays known, however many", []step{
			{resume: true},
			{update: upd("t", starting, "u1"), fwd: "u1"},
			{update: upd("t", running, "u2")},
			{update: upd("t", running, "u3")},
			{update: upd("t", running, "u4")},
			{ack: "u1", fwd: "u2"},
			{ack: "u2", fwd: "u3"},
			{ack: "u3", fwd: "u4"},
			{ack: "u1", err: ErrDuplicateAck},
			{ack: "u3", err: ErrDuplicateAck},
			{update: upd("t", starting, "u1"), dup: true},
			{update: upd("t", running, "u2"), dup: true},
			{update: upd("t", running, "u3"), dup: true},
			{ack: "u4"},
			{update: upd("t", running, "u4"), dup: true},
		}},
		{"ack for unknown stream", []step{
			{ack: "u1", ackTo: "nope", err: ErrUnknownStream},
		}},
		{"terminal ack ends the stream; a later terminal update starts a new one", []step{
			{resume: true},
			{update: upd("t", finished, "u1"), fwd: "u1"},
			{ack: "u1", ended: true},
			{ack: "u1", err: ErrUnknownStream},
			{update: upd("t", failed, "u2"), fwd: "u2", latest: failed},
			{ack: "u2", ended: true},
		}},
		{"updates after a terminal one are dropped with the stream", []step{
			{resume: true},
			{update: upd("t", finished, "u1"), fwd: "u1"},
			{update: upd("t", running, "u2")},
			{ack: "u1", ended: true},
		}},
		{"paused: nothing forwarded, resume sends the head", []step{
			{update: upd("t", running, "u1")},
			{update: upd("t", finished, "u2")},
			{resume: true, fwds: []string{"u1"}},
			{pause: true},
			{retry: true}, // stale after pause
			{ack: "u1"},   // acks still apply while paused, nothing is sent
			{resume: true, fwds: []string{"u2"}},
		}},
		{"retry backoff doubles up to the maximum", []step{
			{resume: true},
			{update: upd("t", running, "u1"), fwd: "u1", interval: MinRetry},
			{retry: true, fwd: "u1", interval: 20 * time.Second},
			{retry: true, fwd: "u1", interval: 40 * time.Second},
			{retry: true, fwd: "u1", interval: 80 * time.Second},
			{retry: true, fwd: "u1", interval: 160 * time.Second},
			{retry: true, fwd: "u1", interval: 320 * time.Second},
			{retry: true, fwd: "u1", interval: MaxRetry},
			{retry: true, fwd: "u1", interval: MaxRetry},
			{ack: "u1"},
			{retry: true}, // acknowledged: the old timer is stale
		}},
		{"stale timer of a superseded forward", []step{
			{resume: true},
			{update: upd("t", running, "u1"), fwd: "u1"},
			{stale: 999},
		}},
		{"missing uuid rejected", []step{
			{update: upd("t", running, ""), err: ErrInvalidUpdate},
		}},
	}

	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			m := New()
			var last *Forward
			for i, st := range sc.steps {
				var fwds []*Forward
				var gotDup, gotEnded bool
				var err error
				switch {
				case st.update != nil:
					var r UpdateResult
					r, err = m.Update(st.update)
					gotDup = r.Duplicate
					if r.Forward != nil {
						fwds = append(fwds, r.Forward)
					}
				case st.ack != "":
					task := "t"
					if st.ackTo != "" {
						task = st.ackTo
					}
					var r AckResult
					r, err = m.Acknowledge("fw", task, []byte(st.ack))
					gotEnded = r.StreamEnded
					if r.Forward != nil {
						fwds = append(fwds, r.Forward)
					}
				case st.pause:
					m.Pause()
				case st.resume:
					fwds = m.Resume()
				case st.retry:
					var seq uint64
					if last != nil {
						seq = last.Seq
					}
					if f := m.Timeout(StreamID{"fw", "t"}, seq); f != nil {
						fwds = append(fwds, f)
					}
				case st.stale != 0:
					if f := m.Timeout(StreamID{"fw", "t"}, st.stale); f != nil {
						t.Fatalf("step %d: stale timeout forwarded %s", i, f.Update.GetUuid())
					}
				}
				if !errors.Is(err, st.err) {
					t.Fatalf("step %d: err = %v, want %v", i, err, st.err)
				}
				if gotDup != st.dup || gotEnded != st.ended {
					t.Fatalf("step %d: dup=%v ended=%v, want %v %v", i, gotDup, gotEnded, st.dup, st.ended)
				}
				want := st.fwds
				if st.fwd != "" {
					want = []string{st.fwd}
				}
				var got []string
				for _, f := range fwds {
					got = append(got, string(f.Update.GetUuid()))
					if string(f.Update.GetStatus().GetUuid()) != string(f.Update.GetUuid()) {
						t.Fatalf("step %d: status.uuid not set", i)
					}
					if f.Update.LatestState == nil {
						t.Fatalf("step %d: latest_state not set", i)
					}
					last = f
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("step %d: forwarded %v, want %v", i, got, want)
				}
				if st.fwd != "" && st.latest != 0 && fwds[0].Update.GetLatestState() != st.latest {
					t.Fatalf("step %d: latest_state = %v, want %v", i, fwds[0].Update.GetLatestState(), st.latest)
				}
				if st.interval != 0 && fwds[0].RetryAfter != st.interval {
					t.Fatalf("step %d: retry after %v, want %v", i, fwds[0].RetryAfter, st.interval)
				}
			}
		})
	}
}

func TestForwardIsACopy(t *testing.T) {
	m := New()
	m.Resume()
	u := upd("t", running, "u1")
	r, _ := m.Update(u)
	// The forwarded update is the receiver's to change; the update given
	// to Update is the manager's from then on.
	r.Forward.Update.Status.State = failed.Enum()
	if got := m.Pending(StreamID{"fw", "t"})[0].GetStatus().GetState(); got != running {
		t.Fatalf("stored update changed to %v", got)
	}
}

type memJournal struct {
	recs []*mesosinternal.StatusUpdateRecord
	tags []any
	fail bool
}

func (j *memJournal) Append(id StreamID, tag any, r *mesosinternal.StatusUpdateRecord) error {
	if j.fail {
		return errors.New("disk full")
	}
	j.recs = append(j.recs, proto.Clone(r).(*mesosinternal.StatusUpdateRecord))
	j.tags = append(j.tags, tag)
	return nil
}

// A stream's tag comes back with its journal records and
// acknowledgements; an update without one keeps it.
func TestStreamTag(t *testing.T) {
	j := &memJournal{}
	m := New()
	m.Journal = j
	m.Resume()
	a, b := new(int), new(int)
	r1, _ := m.UpdateTagged(upd("t", running, "u1"), a)
	m.Update(upd("t", finished, "u2"))
	ack1, err := m.Acknowledge("fw", "t", []byte("u1"))
	if err != nil {
		t.Fatal(err)
	}
	if r1.Forward == nil || ack1.Tag != a || ack1.Forward == nil {
		t.Fatalf("ack tag %v, want %p; forwards %v, %v", ack1.Tag, a, r1.Forward, ack1.Forward)
	}
	m.UpdateTagged(upd("t", finished, "u2"), b) // a duplicate still retags
	ack2, err := m.Acknowledge("fw", "t", []byte("u2"))
	if err != nil || ack2.Tag != b || !ack2.StreamEnded {
		t.Fatalf("last ack = %+v, %v", ack2, err)
	}
	want := []any{a, a, a, b} // u1, u2, ack of u1, ack of u2
	if len(j.tags) != len(want) {
		t.Fatalf("journal tags %v, want %v", j.tags, want)
	}
	for i := range want {
		if j.tags[i] != want[i] {
			t.Fatalf("journal tag %d = %v, want %v", i, j.tags[i], want[i])
		}
	}
	// A new stream of the task starts without one.
	m.Update(upd("t", running, "u3"))
	if ack, _ := m.Acknowledge("fw", "t", []byte("u3")); ack.Tag != nil {
		t.Fatalf("new stream's tag = %v", ack.Tag)
	}
}

func TestJournalAndReplay(t *testing.T) {
	j := &memJournal{}
	m := New()
	m.Journal = j
	m.Resume()
	m.Update(upd("t", running, "u1"))
	m.Update(upd("t", finished, "u2"))
	if _, err := m.Acknowledge("fw", "t", []byte("u1")); err != nil {
		t.Fatal(err)
	}
	if len(j.recs) != 3 {
		t.Fatalf("journal has %d records", len(j.recs))
	}

	// A restarted agent rebuilds the stream from the journal.
	m2 := New()
	id := StreamID{"fw", "t"}
	if err := m2.Replay(id, j.recs); err != nil {
		t.Fatal(err)
	}
	fw := m2.Resume()
	if len(fw) != 1 || string(fw[0].Update.GetUuid()) != "u2" {
		t.Fatalf("resume after replay = %v", fw)
	}
	if r, _ := m2.Update(upd("t", running, "u1")); !r.Duplicate {
		t.Fatal("replayed stream forgot an acknowledged uuid")
	}

	// A failing journal makes the update fail, and the stream stays failed.
	jf := &memJournal{fail: true}
	m3 := New()
	m3.Journal = jf
	if _, err := m3.Update(upd("t", running, "u1")); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("update with failing journal: %v", err)
	}
	jf.fail = false
	if _, err := m3.Update(upd("t", running, "u2")); err == nil {
		t.Fatal("failed stream accepted an update")
	}
}

func TestCleanupAndResendFramework(t *testing.T) {
	m := New()
	m.Resume()
	m.Update(upd("a", running, "1"))
	m.Update(upd("b", running, "2"))
	other := upd("c", running, "3")
	other.FrameworkId.Value = proto.String("other")
	m.Update(other)
	if got := len(m.ResendFramework("fw")); got != 2 {
		t.Fatalf("resent %d", got)
	}
	m.Cleanup("fw")
	if ids := m.Streams(); len(ids) != 1 || ids[0].FrameworkID != "other" {
		t.Fatalf("streams after cleanup = %v", ids)
	}
}

// Forward numbers wrap past zero, which means none: the retry of a
// forward made at the wrap still resends.
func TestForwardNumbersWrapPastZero(t *testing.T) {
	m := New()
	m.Resume()
	m.seq = 1<<32 - 2
	r, _ := m.Update(upd("a", running, "1"))
	if r.Forward.Seq != 1<<32-1 {
		t.Fatalf("seq = %d", r.Forward.Seq)
	}
	r, _ = m.Update(upd("b", running, "2"))
	if r.Forward.Seq != 1 {
		t.Fatalf("seq after the wrap = %d, want 1", r.Forward.Seq)
	}
	if f := m.Timeout(StreamID{"fw", "b"}, r.Forward.Seq); f == nil {
		t.Fatal("the retry of the forward after the wrap sent nothing")
	}
}
