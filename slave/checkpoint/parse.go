package checkpoint

import (
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// State is what an agent recovers from its meta folder.
type State struct {
	// BootID is the boot id the agent wrote when it last recovered
	// (empty if none).
	BootID string
	// Slave is the latest agent's state, nil if there is none.
	Slave *SlaveState
}

// SlaveState is one agent id's checkpoint.
type SlaveState struct {
	ID         string
	Info       *mesos.SlaveInfo
	Frameworks []*FrameworkState // by id
}

// FrameworkState is a checkpointing framework on the agent.
type FrameworkState struct {
	ID        string
	Info      *mesos.FrameworkInfo
	PID       string
	Executors []*ExecutorState // by id
}

// ExecutorState is an executor and its runs.
type ExecutorState struct {
	ID     string
	Info   *mesos.ExecutorInfo
	Latest string      // container id of the latest run ("" if unknown)
	Runs   []*RunState // by container id
}

// RunState is one run (container) of an executor.
type RunState struct {
	ContainerID   string
	ForkedPID     int    // 0 if not checkpointed
	LibprocessPID string // "" if the executor never registered
	Completed     bool   // executor.sentinel exists
	Hosted        bool   // hosted.marker exists: the agent hosts the command executor
	Tasks         []*TaskState
}

// TaskState is a task of a run and its status update journal.
type TaskState struct {
	ID      string
	Info    *mesos.Task
	Records []*mesosinternal.StatusUpdateRecord
	// TornAt is the length of the journal's complete records when a
	// record at its end was cut short (-1 if none): the caller truncates
	// the file there before appending.
	TornAt int
	// UpdatesPath is the journal's path relative to the work dir.
	UpdatesPath string
}

// LatestRun returns the run named by runs/latest (or the only run).
func (e *ExecutorState) LatestRun() *RunState {
	for _, r := range e.Runs {
		if r.ContainerID == e.Latest {
			return r
		}
	}
	if e.Latest == "" && len(e.Runs) == 1 {
		return e.Runs[0]
	}
	return nil
}

// Parse turns the meta tree read by ReadFiles into a State. Files a crash
// may leave missing (a framework without framework.info, a task without
// task.info) skip their entity with a warning. A file that is present but
// does not parse is an error when strict; otherwise its entity is skipped
// and the problem is returned among the warnings. Parse does no I/O.
func Parse(files Files, strict bool) (*State, []error, error) {
	p := &parser{files: files, strict: strict, dirs: map[string]map[string]bool{}}
	for k := range files {
		k = strings.ReplaceAll(k, "\\", "/")
		for {
			dir, name := path.Split(k)
			dir = strings.TrimSuffix(dir, "/")
			if dir == "" {
				break
			}
			if p.dirs[dir] == nil {
				p.dirs[dir] = map[string]bool{}
			}
			p.dirs[dir][name] = true
			k = dir
		}
	}
	st := &State{}
	if f, ok := files[path.Join("meta", BootIDFile)]; ok {
		st.BootID = strings.TrimSpace(string(f.Data))
	}
	latest, ok := files[path.Join("meta", "slaves", Latest)]
	if !ok {
		return st, p.warnings, nil
	}
	if !latest.IsLink {
		if err := p.bad("meta/slaves/latest is not a symlink"); err != nil {
			return nil, p.warnings, err
		}
		return st, p.warnings, nil
	}
	sid := path.Base(latest.Link)
	s, err := p.slave(sid)
	if err != nil {
		return nil, p.warnings, err
	}
	st.Slave = s
	return st, p.warnings, nil
}

type parser struct {
	files    Files
	strict   bool
	warnings []error
	dirs     map[string]map[string]bool // folder -> names in it
}

// bad records a corrupt file: an error when strict, else a warning.
func (p *parser) bad(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if p.strict {
		return err
	}
	p.warnings = append(p.warnings, err)
	return nil
}

func (p *parser) missing(format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Errorf(format, args...))
}

// children lists the names directly under dir (relative, slash form)
// that have files below them.
func (p *parser) children(dir string) []string {
	out := make([]string, 0, len(p.dirs[dir]))
	for n := range p.dirs[dir] {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (p *parser) unmarshal(file string, m proto.Message) (found bool, err error) {
	f, ok := p.files[file]
	if !ok || f.IsLink {
		return false, nil
	}
	if len(f.Data) == 0 {
		return true, fmt.Errorf("%s is empty", file)
	}
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(f.Data, m); err != nil {
		return true, fmt.Errorf("%s does not parse: %w", file, err)
	}
	return true, nil
}

func (p *parser) slave(sid string) (*SlaveState, error) {
	dir := path.Join("meta", "slaves", sid)
	info := &mesos.SlaveInfo{}
	found, err := p.unmarshal(path.Join(dir, SlaveInfoFile), info)
	if !found {
		p.missing("%s/%s is missing; starting as a new agent", dir, SlaveInfoFile)
		return nil, nil
	}
	if err != nil {
		return nil, p.bad("%w", err)
	}
	if info.GetId().GetValue() != sid {
		return nil, p.bad("%s/%s names agent %q", dir, SlaveInfoFile, info.GetId().GetValue())
	}
	s := &SlaveState{ID: sid, Info: info}
	for _, fid := range p.children(path.Join(dir, "frameworks")) {
		f, err := p.framework(path.Join(dir, "frameworks", fid), fid)
		if err != nil {
			return nil, err
		}
		if f != nil {
			s.Frameworks = append(s.Frameworks, f)
		}
	}
	return s, nil
}

func (p *parser) framework(dir, fid string) (*FrameworkState, error) {
	info := &mesos.FrameworkInfo{}
	found, err := p.unmarshal(path.Join(dir, FrameworkInfoFile), info)
	if !found {
		p.missing("%s/%s is missing; skipping framework %s", dir, FrameworkInfoFile, fid)
		return nil, nil
	}
	if err != nil {
		return nil, p.bad("%w", err)
	}
	if info.Id == nil {
		info.Id = &mesos.FrameworkID{Value: proto.String(fid)}
	}
	f := &FrameworkState{ID: fid, Info: info}
	if pid, ok := p.files[path.Join(dir, FrameworkPIDFile)]; ok {
		f.PID = strings.TrimSpace(string(pid.Data))
	}
	for _, eid := range p.children(path.Join(dir, "executors")) {
		e, err := p.executor(path.Join(dir, "executors", eid), eid)
		if err != nil {
			return nil, err
		}
		if e != nil {
			f.Executors = append(f.Executors, e)
		}
	}
	return f, nil
}

func (p *parser) executor(dir, eid string) (*ExecutorState, error) {
	info := &mesos.ExecutorInfo{}
	found, err := p.unmarshal(path.Join(dir, ExecutorInfoFile), info)
	if !found {
		p.missing("%s/%s is missing; skipping executor %s", dir, ExecutorInfoFile, eid)
		return nil, nil
	}
	if err != nil {
		return nil, p.bad("%w", err)
	}
	e := &ExecutorState{ID: eid, Info: info}
	if l, ok := p.files[path.Join(dir, "runs", Latest)]; ok && l.IsLink {
		e.Latest = path.Base(l.Link)
	}
	for _, cid := range p.children(path.Join(dir, "runs")) {
		if cid == Latest {
			continue
		}
		r, err := p.run(path.Join(dir, "runs", cid), cid)
		if err != nil {
			return nil, err
		}
		if r != nil {
			e.Runs = append(e.Runs, r)
		}
	}
	return e, nil
}

func (p *parser) run(dir, cid string) (*RunState, error) {
	r := &RunState{ContainerID: cid}
	if f, ok := p.files[path.Join(dir, "pids", ForkedPIDFile)]; ok {
		pid, err := strconv.Atoi(strings.TrimSpace(string(f.Data)))
		if err != nil || pid <= 0 {
			if err := p.bad("%s/pids/%s: %q is not a pid", dir, ForkedPIDFile, f.Data); err != nil {
				return nil, err
			}
			return nil, nil
		}
		r.ForkedPID = pid
	}
	if f, ok := p.files[path.Join(dir, "pids", LibprocessPIDFile)]; ok {
		r.LibprocessPID = strings.TrimSpace(string(f.Data))
	}
	_, r.Completed = p.files[path.Join(dir, SentinelFile)]
	_, r.Hosted = p.files[path.Join(dir, HostedMarkerFile)]
	for _, tid := range p.children(path.Join(dir, "tasks")) {
		t, err := p.task(path.Join(dir, "tasks", tid), tid)
		if err != nil {
			return nil, err
		}
		if t != nil {
			r.Tasks = append(r.Tasks, t)
		}
	}
	return r, nil
}

func (p *parser) task(dir, tid string) (*TaskState, error) {
	info := &mesos.Task{}
	found, err := p.unmarshal(path.Join(dir, TaskInfoFile), info)
	if !found {
		p.missing("%s/%s is missing; skipping task %s", dir, TaskInfoFile, tid)
		return nil, nil
	}
	if err != nil {
		return nil, p.bad("%w", err)
	}
	t := &TaskState{ID: tid, Info: info, TornAt: -1, UpdatesPath: path.Join(dir, TaskUpdatesFile)}
	if f, ok := p.files[t.UpdatesPath]; ok {
		recs, valid, err := DecodeRecords(f.Data)
		if err != nil {
			return nil, p.bad("%s: %w", t.UpdatesPath, err)
		}
		t.Records = recs
		if valid < len(f.Data) {
			t.TornAt = valid
			p.missing("%s: a record at offset %d is cut short; it is dropped", t.UpdatesPath, valid)
		}
	}
	return t, nil
}
