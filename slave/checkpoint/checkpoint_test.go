package checkpoint

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func update(tid string, state mesos.TaskState, uuid string) *mesosinternal.StatusUpdateRecord {
	return &mesosinternal.StatusUpdateRecord{
		Type: mesosinternal.StatusUpdateRecord_UPDATE.Enum(),
		Update: &mesosinternal.StatusUpdate{
			FrameworkId: &mesos.FrameworkID{Value: proto.String("f1")},
			Uuid:        []byte(uuid),
			Status:      &mesos.TaskStatus{TaskId: &mesos.TaskID{Value: proto.String(tid)}, State: state.Enum()},
		},
	}
}

// writeTree checkpoints one agent with one framework, executor, run and
// task, as the agent does.
func writeTree(t *testing.T, dir string) Paths {
	t.Helper()
	p := Paths{WorkDir: dir}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(Write(p.BootID(), []byte("boot-1\n")))
	must(Write(p.SlaveInfo("s1"), mustMarshal(t, &mesos.SlaveInfo{Hostname: proto.String("h"), Id: &mesos.SlaveID{Value: proto.String("s1")}})))
	must(Symlink(p.LatestSlave(), p.Slave("s1")))
	must(Write(p.FrameworkInfo("s1", "f1"), mustMarshal(t, &mesos.FrameworkInfo{Name: proto.String("fw"), Checkpoint: proto.Bool(true)})))
	must(Write(p.FrameworkPID("s1", "f1"), []byte("scheduler@127.0.0.1:1")))
	must(Write(p.ExecutorInfo("s1", "f1", "e1"), mustMarshal(t, &mesos.ExecutorInfo{ExecutorId: &mesos.ExecutorID{Value: proto.String("e1")}})))
	must(Symlink(p.LatestRun("s1", "f1", "e1"), "c1"))
	must(Write(p.ForkedPID("s1", "f1", "e1", "c1"), []byte("4242")))
	must(Write(p.LibprocessPID("s1", "f1", "e1", "c1"), []byte("executor(1)@127.0.0.1:2")))
	must(Write(p.TaskInfo("s1", "f1", "e1", "c1", "t1"), mustMarshal(t, &mesos.Task{Name: proto.String("t"), TaskId: &mesos.TaskID{Value: proto.String("t1")}})))
	for _, r := range []*mesosinternal.StatusUpdateRecord{
		update("t1", mesos.TaskState_TASK_RUNNING, "u1"),
		{Type: mesosinternal.StatusUpdateRecord_ACK.Enum(), Uuid: []byte("u1")},
		update("t1", mesos.TaskState_TASK_FINISHED, "u2"),
	} {
		b, err := EncodeRecord(r)
		must(err)
		must(Append(p.TaskUpdates("s1", "f1", "e1", "c1", "t1"), b))
	}
	return p
}

func read(t *testing.T, dir string, strict bool) (*State, []error, error) {
	t.Helper()
	files, err := ReadFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(files, strict)
}

func TestWrittenTreeIsRecovered(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir)
	st, warns, err := read(t, dir, true)
	if err != nil || len(warns) != 0 {
		t.Fatalf("err %v warnings %v", err, warns)
	}
	if st.BootID != "boot-1" || st.Slave == nil || st.Slave.ID != "s1" || st.Slave.Info.GetHostname() != "h" {
		t.Fatalf("state = %+v", st)
	}
	if len(st.Slave.Frameworks) != 1 {
		t.Fatalf("frameworks = %v", st.Slave.Frameworks)
	}
	f := st.Slave.Frameworks[0]
	if f.ID != "f1" || !f.Info.GetCheckpoint() || f.Info.GetId().GetValue() != "f1" || f.PID != "scheduler@127.0.0.1:1" {
		t.Fatalf("framework = %+v", f)
	}
	e := f.Executors[0]
	r := e.LatestRun()
	if e.ID != "e1" || r == nil || r.ContainerID != "c1" || r.ForkedPID != 4242 || r.LibprocessPID != "executor(1)@127.0.0.1:2" || r.Completed {
		t.Fatalf("executor = %+v run %+v", e, r)
	}
	task := r.Tasks[0]
	if task.ID != "t1" || len(task.Records) != 3 || task.TornAt != -1 || task.Records[2].GetUpdate().GetStatus().GetState() != mesos.TaskState_TASK_FINISHED {
		t.Fatalf("task = %+v", task)
	}
}

func TestNoMetaIsAFreshStart(t *testing.T) {
	st, warns, err := read(t, t.TempDir(), true)
	if err != nil || len(warns) != 0 || st.Slave != nil || st.BootID != "" {
		t.Fatalf("state %+v warnings %v err %v", st, warns, err)
	}
}

func TestTornJournalTailIsDroppedNotAnError(t *testing.T) {
	dir := t.TempDir()
	p := writeTree(t, dir)
	path := p.TaskUpdates("s1", "f1", "e1", "c1", "t1")
	whole, _ := os.ReadFile(path)
	b, _ := EncodeRecord(update("t1", mesos.TaskState_TASK_FAILED, "u3"))
	if err := Append(path, b[:len(b)-3]); err != nil {
		t.Fatal(err)
	}
	st, warns, err := read(t, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	task := st.Slave.Frameworks[0].Executors[0].Runs[0].Tasks[0]
	if len(task.Records) != 3 || task.TornAt != len(whole) || len(warns) != 1 {
		t.Fatalf("records %d torn at %d (want %d) warnings %v", len(task.Records), task.TornAt, len(whole), warns)
	}
}

func TestCorruptFileIsAnErrorWhenStrictAndSkippedOtherwise(t *testing.T) {
	dir := t.TempDir()
	p := writeTree(t, dir)
	if err := os.WriteFile(p.ExecutorInfo("s1", "f1", "e1"), []byte{0xff, 0xff, 0xff}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := read(t, dir, true); err == nil || !strings.Contains(err.Error(), "executor.info") {
		t.Fatalf("strict: err = %v", err)
	}
	st, warns, err := read(t, dir, false)
	if err != nil || len(warns) != 1 {
		t.Fatalf("non-strict: err %v warnings %v", err, warns)
	}
	if f := st.Slave.Frameworks[0]; len(f.Executors) != 0 {
		t.Fatalf("the corrupt executor was kept: %+v", f.Executors)
	}
}

func TestMissingSlaveInfoStartsFresh(t *testing.T) {
	dir := t.TempDir()
	p := writeTree(t, dir)
	if err := os.Remove(p.SlaveInfo("s1")); err != nil {
		t.Fatal(err)
	}
	st, warns, err := read(t, dir, true)
	if err != nil || st.Slave != nil || len(warns) != 1 {
		t.Fatalf("state %+v warnings %v err %v", st, warns, err)
	}
}

func TestWriteLeavesNoTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b.info")
	for _, s := range []string{"one", "two"} {
		if err := Write(path, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if b, _ := os.ReadFile(path); string(b) != "two" || len(ents) != 1 {
		t.Fatalf("content %q entries %v", b, ents)
	}
}

// The layout's names are filepath.Join's, whether ids are plain or not
// and whether the Paths came from NewPaths or a literal.
func TestPathsAreJoins(t *testing.T) {
	ids := [][4]string{
		{"S1", "F1", "E1", "C1"},
		{"a/b", "..", ".", ""},
		{"S", "F", "e/../x", "c//d"},
	}
	for _, wd := range []string{"/var/agent", "/var/agent/", "rel/dir", "/", "", ".", "./x", "a/../b"} {
		for _, ps := range []Paths{{WorkDir: wd}, NewPaths(wd)} {
			for _, id := range ids {
				sid, fid, eid, cid := id[0], id[1], id[2], id[3]
				meta := filepath.Join(wd, "meta")
				run := filepath.Join(meta, "slaves", sid, "frameworks", fid, "executors", eid, "runs", cid)
				want := map[string]string{
					"meta":          meta,
					"boot":          filepath.Join(meta, BootIDFile),
					"latest":        filepath.Join(meta, "slaves", Latest),
					"slave":         filepath.Join(meta, "slaves", sid),
					"slave.info":    filepath.Join(meta, "slaves", sid, SlaveInfoFile),
					"framework":     filepath.Join(meta, "slaves", sid, "frameworks", fid),
					"framework.pid": filepath.Join(meta, "slaves", sid, "frameworks", fid, FrameworkPIDFile),
					"executor.info": filepath.Join(meta, "slaves", sid, "frameworks", fid, "executors", eid, ExecutorInfoFile),
					"latest run":    filepath.Join(meta, "slaves", sid, "frameworks", fid, "executors", eid, "runs", Latest),
					"run":           run,
					"forked":        filepath.Join(run, "pids", ForkedPIDFile),
					"sentinel":      filepath.Join(run, SentinelFile),
					"task.info":     filepath.Join(run, "tasks", "T/1", TaskInfoFile),
					"task.updates":  filepath.Join(run, "tasks", "T1", TaskUpdatesFile),
					"sandbox":       filepath.Join(wd, "slaves", sid, "frameworks", fid, "executors", eid, "runs", cid),
					"fw sandbox":    filepath.Join(wd, "slaves", sid, "frameworks", fid),
				}
				got := map[string]string{
					"meta":          ps.Meta(),
					"boot":          ps.BootID(),
					"latest":        ps.LatestSlave(),
					"slave":         ps.Slave(sid),
					"slave.info":    ps.SlaveInfo(sid),
					"framework":     ps.Framework(sid, fid),
					"framework.pid": ps.FrameworkPID(sid, fid),
					"executor.info": ps.ExecutorInfo(sid, fid, eid),
					"latest run":    ps.LatestRun(sid, fid, eid),
					"run":           ps.Run(sid, fid, eid, cid),
					"forked":        ps.ForkedPID(sid, fid, eid, cid),
					"sentinel":      ps.Sentinel(sid, fid, eid, cid),
					"task.info":     ps.TaskInfo(sid, fid, eid, cid, "T/1"),
					"task.updates":  RunTaskUpdates(ps.Run(sid, fid, eid, cid), "T1"),
					"sandbox":       ps.Sandbox(sid, fid, eid, cid),
					"fw sandbox":    ps.FrameworkSandbox(sid, fid),
				}
				for k, w := range want {
					if got[k] != w {
						t.Errorf("work dir %q ids %v: %s = %q, want %q", wd, id, k, got[k], w)
					}
				}
			}
		}
	}
}

// A record without an update (an ACK) is encoded by hand: byte for byte
// what the protobuf encoder makes, and it decodes back.
func TestEncodeRecordOfAnAckIsTheEncoders(t *testing.T) {
	for _, typ := range []mesosinternal.StatusUpdateRecord_Type{mesosinternal.StatusUpdateRecord_ACK, mesosinternal.StatusUpdateRecord_UPDATE, 7, -1} {
		for _, uuid := range [][]byte{nil, {}, []byte("0123456789abcdef"), make([]byte, 300)} {
			rec := &mesosinternal.StatusUpdateRecord{Type: typ.Enum(), Uuid: uuid}
			got, err := EncodeRecord(rec)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			want := binary.LittleEndian.AppendUint32(nil, uint32(len(b)))
			if want = append(want, b...); !bytes.Equal(got, want) {
				t.Errorf("type %v uuid %q: %x, the encoder makes %x", typ, uuid, got, want)
			}
			if recs, valid, err := DecodeRecords(got); err != nil || valid != len(got) || len(recs) != 1 || !proto.Equal(recs[0], rec) {
				t.Errorf("type %v uuid %q: decodes to %v (%d of %d bytes, %v)", typ, uuid, recs, valid, len(got), err)
			}
		}
	}
}
