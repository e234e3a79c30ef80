// Package statusupdate is the agent's task status update manager as a pure
// core: no actors, timers or I/O.
//
// Every (framework, task) pair has a stream: the uuids it has received and
// the ones the framework acknowledged, and a FIFO of pending updates. Only
// the head of the queue is ever sent; the next one follows when the head is
// acknowledged. A forwarded update carries latest_state, the newest state the
// stream has received, so the master learns a terminal state early. An
// acknowledgement must name the head's uuid; others are rejected (and the
// agent ignores them). Acknowledging a terminal update ends the stream; a
// later update for the same task starts a new one.
//
// The owner (the agent core) sends what the manager returns and arms a
// retry timer for each Forward: when it fires it calls Timeout with the
// Forward's sequence number (or Retry, if its timers are keyed by stream)
// and resends what comes back. Retries start at
// MinRetry (10 s) and double up to MaxRetry (10 min). While paused
// (disconnected from the master) nothing is forwarded; Resume returns the
// head of every stream.
//
// A Journal, if set, is written before each change (Mesos' task.updates
// file of UPDATE and ACK records) and Replay rebuilds a stream from such
// records. The agent core's Journal turns each record into a disk effect
// for checkpointing frameworks and replays the journals at recovery.
package statusupdate

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"github.com/gomesos/gomesos/messages/protocol"
	"google.golang.org/protobuf/proto"
)

// Retry intervals of Mesos' status update manager.
const (
	MinRetry = 10 * time.Second
	MaxRetry = 10 * time.Minute
)

// StreamID names a stream.
type StreamID struct {
	FrameworkID string
	TaskID      string
}

func (id StreamID) String() string {
	return fmt.Sprintf("task %s of framework %s", id.TaskID, id.FrameworkID)
}

// Journal persists stream records before the manager acts on them.
// Append must not keep rec (the manager reuses it) or change it; tag is
// the stream's (UpdateTagged).
type Journal interface {
	Append(id StreamID, tag any, rec *mesosinternal.StatusUpdateRecord) error
}

// Forward is an update to send to the master now, with the retry to arm.
type Forward struct {
	Stream StreamID
	// Update is a StatusUpdate of its own, with latest_state and
	// status.uuid set; its parts are those of the update the manager
	// keeps, which nobody changes (read them, replace them, never write
	// into them).
	Update     *mesosinternal.StatusUpdate
	Seq        uint64 // pass to Timeout when the retry fires
	RetryAfter time.Duration
}

// Errors returned by Acknowledge and Update. The agent logs and ignores them.
var (
	ErrUnknownStream = errors.New("cannot find the task status update stream")
	ErrUnexpectedAck = errors.New("unexpected task status update acknowledgement")
	ErrDuplicateAck  = errors.New("duplicate task status update acknowledgement")
	ErrInvalidUpdate = errors.New("invalid task status update")
)

type stream struct {
	// acked1 and ackedMore are the uuids of the acknowledged updates, in
	// order: the first (nil before it; uuids are never empty) and those
	// after it (nil until a second); those of the pending ones are the
	// updates' own. pending are the updates taken in and not yet
	// acknowledged, head first. A stream holds a few.
	acked1    []byte
	ackedMore *[][]byte
	pending   []*mesosinternal.StatusUpdate
	// Room for the usual stream (RUNNING then a terminal state, whose
	// acknowledgement ends it) without growing the slice.
	pendingBuf [2]*mesosinternal.StatusUpdate

	backoff time.Duration // interval of the outstanding forward
	// tag is what the owner last gave with an update (UpdateTagged).
	tag any

	// seq is the outstanding forward's number, 0 if none: 32 bits keep
	// the stream in a smaller size class, and numbers wrap (skipping 0)
	// long after any retry of an old one could still fire.
	seq        uint32
	terminated bool
	failed     bool // the journal failed: the stream is unusable (Manager.errs)
}

// Manager holds every stream. Not safe for concurrent use: one owner.
type Manager struct {
	streams streamIndex
	errs    map[StreamID]error // of the failed streams
	paused  bool
	seq     uint32
	rec     mesosinternal.StatusUpdateRecord // reused for each journal record
	// Journal, if set, records updates and acks before they take effect.
	Journal Journal
	// MinRetry and MaxRetry bound the retry interval (defaults above).
	MinRetry, MaxRetry time.Duration
}

// New returns a manager that starts paused, as the agent starts
// disconnected.
func New() *Manager {
	return &Manager{paused: true, MinRetry: MinRetry, MaxRetry: MaxRetry}
}

// Paused reports whether forwarding is paused.
func (m *Manager) Paused() bool { return m.paused }

// UpdateResult is the outcome of Update.
type UpdateResult struct {
	// Duplicate is true if the uuid was seen before; nothing changed, and
	// the agent still acknowledges the executor.
	Duplicate bool
	// Forward is set if the update became the head of an unpaused stream.
	Forward *Forward
}

// Update takes an update into its stream. The manager keeps u itself: the
// caller must not change it afterwards.
func (m *Manager) Update(u *mesosinternal.StatusUpdate) (UpdateResult, error) {
	return m.UpdateTagged(u, nil)
}

// UpdateTagged is Update that also gives the stream tag (unless nil): the
// owner's record of the task, say, which the stream's journal records and
// acknowledgement results carry so that the owner need not look it up
// again. The manager only hands it back; the owner checks it
// still holds.
func (m *Manager) UpdateTagged(u *mesosinternal.StatusUpdate, tag any) (UpdateResult, error) {
	if len(u.GetUuid()) == 0 {
		return UpdateResult{}, fmt.Errorf("%w: missing 'uuid'", ErrInvalidUpdate)
	}
	id, err := idOf(u)
	if err != nil {
		return UpdateResult{}, err
	}
	s := m.streams.get(id)
	if s == nil {
		s = newStream()
		m.streams.add(id, s)
	}
	if s.failed {
		return UpdateResult{}, m.errs[id]
	}
	if tag != nil {
		s.tag = tag
	}
	if s.received(u.GetUuid()) {
		return UpdateResult{Duplicate: true}, nil
	}
	if err := m.journal(id, s, recordUpdate, u, nil); err != nil {
		return UpdateResult{}, err
	}
	s.pending = append(s.pending, u)
	res := UpdateResult{}
	if !m.paused && len(s.pending) == 1 {
		res.Forward = m.forward(id, s, m.MinRetry)
	}
	return res, nil
}

// AckResult is the outcome of Acknowledge.
type AckResult struct {
	// Acked is the update that was acknowledged.
	Acked *mesosinternal.StatusUpdate
	// Tag is the stream's (UpdateTagged).
	Tag any
	// StreamEnded is true when a terminal update was acknowledged: the
	// stream is gone and the task's updates are all acknowledged.
	StreamEnded bool
	// Forward is the next pending update to send, if any.
	Forward *Forward
}

// Acknowledge applies the framework's acknowledgement of uuid.
func (m *Manager) Acknowledge(frameworkID, taskID string, uuid []byte) (AckResult, error) {
	id := StreamID{FrameworkID: frameworkID, TaskID: taskID}
	s := m.streams.get(id)
	if s == nil {
		return AckResult{}, fmt.Errorf("%w for %s", ErrUnknownStream, id)
	}
	if s.failed {
		return AckResult{}, m.errs[id]
	}
	if len(s.pending) == 0 {
		return AckResult{}, fmt.Errorf("%w (uuid %x) for %s: nothing pending", ErrUnexpectedAck, uuid, id)
	}
	if s.wasAcked(uuid) {
		return AckResult{}, fmt.Errorf("%w (uuid %x) for %s", ErrDuplicateAck, uuid, id)
	}
	head := s.pending[0]
	if !bytes.Equal(head.GetUuid(), uuid) {
		return AckResult{}, fmt.Errorf("%w (received %x, expecting %x) for %s", ErrUnexpectedAck, uuid, head.GetUuid(), id)
	}
	if err := m.journal(id, s, recordAck, nil, uuid); err != nil {
		return AckResult{}, err
	}
	res := AckResult{Acked: head, Tag: s.tag}
	if s.terminated || protocol.IsTerminal(head.GetStatus().GetState()) {
		// The stream ends; anything still pending after a terminal update
		// is dropped.
		m.streams.del(id)
		res.StreamEnded = true
		return res, nil
	}
	s.ack()
	s.seq, s.backoff = 0, 0
	if !m.paused && len(s.pending) > 0 {
		res.Forward = m.forward(id, s, m.MinRetry)
	}
	return res, nil
}

// Timeout is called when the retry timer of forward seq fires. It returns
// the head to resend, with a doubled interval, or nil if that forward was
// acknowledged or superseded, or the manager is paused.
func (m *Manager) Timeout(id StreamID, seq uint64) *Forward {
	s := m.streams.get(id)
	if m.paused || s == nil || s.seq == 0 || uint64(s.seq) != seq || len(s.pending) == 0 {
		return nil
	}
	next := s.backoff * 2
	if next > m.MaxRetry {
		next = m.MaxRetry
	}
	return m.forward(id, s, next)
}

// Retry is Timeout for the stream's outstanding forward, for an owner
// whose retry timers are keyed by stream (a re-armed timer never fires).
func (m *Manager) Retry(id StreamID) *Forward {
	s := m.streams.get(id)
	if s == nil {
		return nil
	}
	return m.Timeout(id, uint64(s.seq))
}

// Pause stops forwarding (the agent lost its master). Outstanding retries
// become stale.
func (m *Manager) Pause() {
	m.paused = true
	m.streams.each(func(_ StreamID, s *stream) {
		s.seq, s.backoff = 0, 0
	})
}

// Resume restarts forwarding and returns the head of every stream, ordered
// by stream id.
func (m *Manager) Resume() []*Forward {
	m.paused = false
	ids := m.ids()
	var out []*Forward
	for _, id := range ids {
		s := m.streams.get(id)
		if len(s.pending) > 0 && !s.failed {
			out = append(out, m.forward(id, s, m.MinRetry))
		}
	}
	return out
}

// ResendFramework returns the head of every stream of one framework (the
// scheduler moved: UpdateFrameworkMessage), restarting their retries.
func (m *Manager) ResendFramework(frameworkID string) []*Forward {
	if m.paused {
		return nil
	}
	var out []*Forward
	for _, id := range m.ids() {
		s := m.streams.get(id)
		if id.FrameworkID == frameworkID && len(s.pending) > 0 && !s.failed {
			out = append(out, m.forward(id, s, m.MinRetry))
		}
	}
	return out
}

// Cleanup drops every stream of a framework (it was shut down).
func (m *Manager) Cleanup(frameworkID string) {
	m.streams.delIf(func(id StreamID) bool {
		if id.FrameworkID == frameworkID {
			delete(m.errs, id)
			return true
		}
		return false
	})
}

// Pending returns copies of the pending updates of a stream, head first.
func (m *Manager) Pending(id StreamID) []*mesosinternal.StatusUpdate {
	s := m.streams.get(id)
	if s == nil {
		return nil
	}
	out := make([]*mesosinternal.StatusUpdate, len(s.pending))
	for i, u := range s.pending {
		out[i] = proto.Clone(u).(*mesosinternal.StatusUpdate)
	}
	return out
}

// Has reports whether a stream exists (the task has unacknowledged updates
// or has not yet ended).
func (m *Manager) Has(id StreamID) bool { return m.streams.get(id) != nil }

// Streams returns the ids of all streams, sorted.
func (m *Manager) Streams() []StreamID { return m.ids() }

// Replay rebuilds a stream from journal records (agent recovery). It does
// not forward anything; call Resume afterwards.
func (m *Manager) Replay(id StreamID, records []*mesosinternal.StatusUpdateRecord) error {
	s := newStream()
	for i, r := range records {
		switch r.GetType() {
		case mesosinternal.StatusUpdateRecord_UPDATE:
			u := r.GetUpdate()
			if u == nil || len(u.GetUuid()) == 0 {
				return fmt.Errorf("record %d of %s: UPDATE without an update or uuid", i, id)
			}
			u = proto.Clone(u).(*mesosinternal.StatusUpdate)
			s.pending = append(s.pending, u)
		case mesosinternal.StatusUpdateRecord_ACK:
			if len(s.pending) == 0 || !bytes.Equal(s.pending[0].GetUuid(), r.GetUuid()) {
				return fmt.Errorf("record %d of %s: ACK does not match the pending update", i, id)
			}
			if protocol.IsTerminal(s.pending[0].GetStatus().GetState()) {
				s.terminated = true
			}
			s.ack()
		default:
			return fmt.Errorf("record %d of %s: unknown type %v", i, id, r.GetType())
		}
	}
	delete(m.errs, id)
	if s.terminated && len(s.pending) == 0 {
		m.streams.del(id)
		return nil
	}
	m.streams.set(id, s)
	return nil
}

// The record types, shared by every record (read only).
var (
	recordUpdate = mesosinternal.StatusUpdateRecord_UPDATE.Enum()
	recordAck    = mesosinternal.StatusUpdateRecord_ACK.Enum()
)

func (m *Manager) journal(id StreamID, s *stream, typ *mesosinternal.StatusUpdateRecord_Type, u *mesosinternal.StatusUpdate, uuid []byte) error {
	if m.Journal == nil {
		return nil
	}
	rec := &m.rec
	rec.Type, rec.Update, rec.Uuid = typ, u, uuid
	err := m.Journal.Append(id, s.tag, rec)
	rec.Update, rec.Uuid = nil, nil
	if err != nil {
		err = fmt.Errorf("failed to write %v record for %s: %w", rec.GetType(), id, err)
		if m.errs == nil {
			m.errs = map[StreamID]error{}
		}
		s.failed, m.errs[id] = true, err
		return err
	}
	return nil
}

func (m *Manager) forward(id StreamID, s *stream, interval time.Duration) *Forward {
	m.seq++
	if m.seq == 0 {
		m.seq = 1
	}
	s.seq = m.seq
	s.backoff = interval
	head := s.pending[0]
	u := CopyUpdate(head)
	if u.Status == nil {
		u.Status = &mesos.TaskStatus{}
	}
	if !bytes.Equal(u.Status.GetUuid(), head.GetUuid()) || u.Status.Uuid == nil {
		u.Status = CopyStatus(u.Status)
		u.Status.Uuid = head.GetUuid()
	}
	// The newest state this stream has received.
	latest := s.pending[len(s.pending)-1].GetStatus().GetState()
	u.LatestState = latest.Enum()
	return &Forward{Stream: id, Update: u, Seq: uint64(s.seq), RetryAfter: interval}
}

func newStream() *stream {
	s := &stream{}
	s.pending = s.pendingBuf[:0]
	return s
}

// received reports whether an update with uuid was taken in.
func (s *stream) received(uuid []byte) bool {
	if s.wasAcked(uuid) {
		return true
	}
	for _, u := range s.pending {
		if bytes.Equal(u.GetUuid(), uuid) {
			return true
		}
	}
	return false
}

// wasAcked reports whether the update with uuid was acknowledged.
func (s *stream) wasAcked(uuid []byte) bool {
	if s.acked1 == nil {
		return false
	}
	if bytes.Equal(s.acked1, uuid) {
		return true
	}
	if s.ackedMore != nil {
		for _, r := range *s.ackedMore {
			if bytes.Equal(r, uuid) {
				return true
			}
		}
	}
	return false
}

// ack takes the head off the pending queue: it is acknowledged.
func (s *stream) ack() {
	switch uuid := s.pending[0].GetUuid(); {
	case s.acked1 == nil:
		s.acked1 = uuid
	case s.ackedMore == nil:
		s.ackedMore = &[][]byte{uuid}
	default:
		*s.ackedMore = append(*s.ackedMore, uuid)
	}
	s.pending[0] = nil
	s.pending = s.pending[1:]
	if len(s.pending) == 0 {
		s.pending = s.pendingBuf[:0] // its room again
	}
}

func (m *Manager) ids() []StreamID {
	ids := make([]StreamID, 0, m.streams.len())
	m.streams.each(func(id StreamID, _ *stream) {
		ids = append(ids, id)
	})
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].FrameworkID != ids[j].FrameworkID {
			return ids[i].FrameworkID < ids[j].FrameworkID
		}
		return ids[i].TaskID < ids[j].TaskID
	})
	return ids
}

func idOf(u *mesosinternal.StatusUpdate) (StreamID, error) {
	fid := u.GetFrameworkId().GetValue()
	tid := u.GetStatus().GetTaskId().GetValue()
	if fid == "" || tid == "" {
		return StreamID{}, fmt.Errorf("%w: missing framework or task id", ErrInvalidUpdate)
	}
	return StreamID{FrameworkID: fid, TaskID: tid}, nil
}
