package containerizer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gomesos/gomesos/isolators"
	"github.com/gomesos/gomesos/launcher"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
	"github.com/gomesos/gomesos/slave/checkpoint"
	"github.com/gomesos/gomesos/slave/fetcher"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
)

// DefaultPath is the PATH an executor gets when neither the agent nor the
// command sets one (Mesos' host default path).
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// keepTerminated is how many finished containers' terminations are kept
// for late Wait calls.
const keepTerminated = 1024

// Options configure NewMesos.
type Options struct {
	Launcher  launcher.Launcher    // default posix
	Isolators []isolators.Isolator // default none
	Fetcher   *fetcher.Fetcher     // default a zero Fetcher
	Now       func() time.Time     // stamps usage; default time.Now
	Log       *logrus.Entry        // default the standard logger
}

// Mesos is the default containerizer.
type Mesos struct {
	launcher  launcher.Launcher
	isolators []isolators.Isolator
	fetcher   *fetcher.Fetcher
	now       func() time.Time
	log       *logrus.Entry

	mu         sync.Mutex
	containers map[string]*container
	finished   map[string]*Termination
	order      []string // of finished, oldest first
}

type phase int

const (
	launching phase = iota
	running
	destroying
)

type container struct {
	id        string
	phase     phase
	forked    bool
	resources []*mesos.Resource
	cancel    context.CancelFunc // aborts the launch and the watches
	done      chan struct{}      // closed when termination is set
	term      *Termination
	limit     *isolators.Limitation
	prepared  []isolators.Isolator
	killMu    sync.Mutex // one launcher.Destroy at a time (Destroy and the reaper both kill)
	// launched is closed when Launch is done with the isolators: the
	// reaper cleans them up only then (a command may end at once).
	launched chan struct{}
}

// NewMesos returns a containerizer over a launcher and isolators.
func NewMesos(o Options) *Mesos {
	if o.Launcher == nil {
		o.Launcher = launcher.NewPosix()
	}
	if o.Fetcher == nil {
		o.Fetcher = &fetcher.Fetcher{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	return &Mesos{
		launcher:   o.Launcher,
		isolators:  o.Isolators,
		fetcher:    o.Fetcher,
		now:        o.Now,
		log:        o.Log,
		containers: map[string]*container{},
		finished:   map[string]*Termination{},
	}
}

// Launch implements Containerizer.
func (m *Mesos) Launch(ctx context.Context, id string, cfg LaunchConfig) error {
	if id == "" {
		return errors.New("launch: empty container id")
	}
	if cfg.ExecutorInfo == nil || cfg.ExecutorInfo.GetCommand() == nil {
		return fmt.Errorf("launch %s: the executor has no command", id)
	}
	if cfg.Directory == "" {
		return fmt.Errorf("launch %s: no sandbox directory", id)
	}
	lctx, cancel := context.WithCancel(context.Background())
	c := &container{id: id, cancel: cancel, done: make(chan struct{}), resources: cfg.Resources, launched: make(chan struct{})}
	m.mu.Lock()
	if _, ok := m.containers[id]; ok {
		m.mu.Unlock()
		cancel()
		return fmt.Errorf("launch %s: container already exists", id)
	}
	if _, ok := m.finished[id]; ok {
		m.mu.Unlock()
		cancel()
		return fmt.Errorf("launch %s: container already ran", id)
	}
	m.containers[id] = c
	m.mu.Unlock()

	// The caller's ctx bounds the launch too.
	stop := context.AfterFunc(ctx, cancel)
	defer stop()

	err := m.launch(lctx, c, cfg)
	close(c.launched)
	if err != nil {
		m.mu.Lock()
		destroyed := c.phase == destroying
		m.mu.Unlock()
		if destroyed {
			err = fmt.Errorf("container %s was destroyed during launch: %w", id, err)
		}
		m.mu.Lock()
		forked := c.forked
		m.mu.Unlock()
		if forked {
			// The reaper records the termination once the executor is gone.
			<-c.done
		} else {
			m.finish(c, &Termination{Message: "Failed to launch container: " + err.Error()})
		}
		return err
	}
	return nil
}

func (m *Mesos) launch(ctx context.Context, c *container, cfg LaunchConfig) error {
	log := m.log.WithField("container_id", c.id)
	if err := makeSandbox(cfg.Directory); err != nil {
		return fmt.Errorf("failed to create sandbox: %w", err)
	}
	// The launcher creates stdout and stderr as it forks (opened once,
	// in the table the child copies).
	stdout := filepath.Join(cfg.Directory, "stdout")
	stderr := filepath.Join(cfg.Directory, "stderr")

	cmd := cfg.ExecutorInfo.GetCommand()
	if uris := cmd.GetUris(); len(uris) > 0 {
		logf, err := os.OpenFile(stderr, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("failed to create 'stderr': %w", err)
		}
		err = m.fetcher.Fetch(ctx, uris, cfg.Directory, logf)
		logf.Close()
		if err != nil {
			return fmt.Errorf("failed to fetch all URIs for container '%s': %w", c.id, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	env := map[string]string{}
	for k, v := range cfg.Env {
		env[k] = v
	}
	namespaces := false
	cgroup := ""
	for _, iso := range m.isolators {
		info, err := iso.Prepare(ctx, c.id, isolators.ContainerConfig{
			ExecutorInfo: cfg.ExecutorInfo, Resources: cfg.Resources, Directory: cfg.Directory, User: cfg.User,
		})
		if err != nil {
			return fmt.Errorf("isolator %s failed to prepare: %w", iso.Name(), err)
		}
		m.mu.Lock()
		c.prepared = append(c.prepared, iso)
		m.mu.Unlock()
		if info != nil {
			for k, v := range info.Env {
				env[k] = v
			}
			namespaces = namespaces || info.Namespaces
			if cgroup == "" {
				cgroup = info.Cgroup
			}
		}
	}
	env["MESOS_SANDBOX"] = cfg.Directory
	if _, ok := env["PATH"]; !ok {
		env["PATH"] = DefaultPath
	}
	for _, v := range cmd.GetEnvironment().GetVariables() {
		if v.GetType() == mesos.Environment_Variable_SECRET {
			return fmt.Errorf("environment variable %q is a secret, which is not supported", v.GetName())
		}
		env[v.GetName()] = v.GetValue()
	}

	spec := launcher.Spec{
		Env:        envList(env),
		Dir:        cfg.Directory,
		Stdout:     stdout,
		Stderr:     stderr,
		Namespaces: namespaces,
		Cgroup:     cgroup,
	}
	gated := m.needsGate()
	if gated {
		// The child waits at the launcher's gate until every isolator has
		// isolated it, so nothing it forks escapes its cgroups.
		spec.Isolate = func(pid int) error {
			for _, iso := range m.isolators {
				if err := iso.Isolate(ctx, c.id, pid); err != nil {
					return fmt.Errorf("isolator %s failed to isolate: %w", iso.Name(), err)
				}
			}
			return nil
		}
	}
	if cmd.Shell == nil || cmd.GetShell() {
		if cmd.GetValue() == "" {
			return errors.New("the executor's command has no value")
		}
		spec.Path = "/bin/sh"
		spec.Args = []string{"sh", "-c", cmd.GetValue()}
	} else {
		if cmd.GetValue() == "" {
			return errors.New("the executor's command has no executable")
		}
		spec.Path = cmd.GetValue()
		spec.Args = append([]string(nil), cmd.GetArguments()...)
		if len(spec.Args) == 0 {
			spec.Args = []string{cmd.GetValue()}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	pid, err := m.launcher.Fork(ctx, c.id, spec)
	if err != nil {
		return fmt.Errorf("failed to fork executor: %w", err)
	}
	log.WithFields(logrus.Fields{"pid": pid, "command": strings.Join(spec.Args, " ")}).Info("forked executor")
	m.mu.Lock()
	c.forked = true
	m.mu.Unlock()
	go m.reap(c)
	if cfg.PIDFile != "" {
		// Synced: a restarted agent recovers the executor through it.
		if err := checkpoint.Write(cfg.PIDFile, []byte(strconv.Itoa(pid))); err != nil {
			m.kill(c)
			return fmt.Errorf("failed to checkpoint the executor's pid: %w", err)
		}
	}
	if cfg.Forked != nil {
		if err := cfg.Forked(pid); err != nil {
			m.kill(c)
			return err
		}
	}

	if !gated {
		// Measuring isolators only: nothing can escape them.
		for _, iso := range m.isolators {
			if err := iso.Isolate(ctx, c.id, pid); err != nil {
				m.kill(c)
				return fmt.Errorf("isolator %s failed to isolate: %w", iso.Name(), err)
			}
		}
	}
	for _, iso := range m.isolators {
		go m.watch(ctx, c, iso)
	}

	m.mu.Lock()
	if c.phase == destroying || ctx.Err() != nil {
		m.mu.Unlock()
		m.kill(c)
		return errors.New("destroyed")
	}
	c.phase = running
	m.mu.Unlock()
	return nil
}

// makeSandbox makes dir and the parents it lacks, trying dir itself
// first: a run directory whose executor's directory exists costs one
// mkdir, a new executor's three, and no stat (os.MkdirAll stats every
// level on the way up before it makes any).
func makeSandbox(dir string) error {
	err := os.Mkdir(dir, 0o755)
	if err == nil {
		return nil
	}
	if parent := filepath.Dir(dir); errors.Is(err, fs.ErrNotExist) && parent != dir && makeSandbox(parent) == nil {
		if os.Mkdir(dir, 0o755) == nil {
			return nil
		}
	}
	// There already, or a real error: os.MkdirAll tells which.
	return os.MkdirAll(dir, 0o755)
}

// needsGate says whether an isolator enforces something a child could
// escape by forking before Isolate (everything but posix/*, which only
// measures): then the launch goes through the launcher's gate, which
// costs a re-execution of this binary as the launch helper.
func (m *Mesos) needsGate() bool {
	for _, iso := range m.isolators {
		if !strings.HasPrefix(iso.Name(), "posix/") {
			return true
		}
	}
	return false
}

func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// watch destroys the container if an isolator reports a limitation.
func (m *Mesos) watch(ctx context.Context, c *container, iso isolators.Isolator) {
	lim, err := iso.Watch(ctx, c.id)
	if err != nil || lim == nil {
		return
	}
	m.mu.Lock()
	if c.limit == nil {
		c.limit = lim
	}
	m.mu.Unlock()
	m.log.WithFields(logrus.Fields{"container_id": c.id, "isolator": iso.Name(), "limitation": lim.Message}).Warn("container reached a limitation")
	_ = m.Destroy(context.Background(), c.id)
}

// reap waits for the forked executor and records the termination.
func (m *Mesos) reap(c *container) {
	st, err := m.launcher.Wait(context.Background(), c.id)
	if c.launched != nil {
		<-c.launched
	}
	// Make sure nothing of the container survives its executor.
	m.kill(c)
	t := &Termination{}
	if err == nil && st.Known {
		t.Status = proto.Int32(int32(st.Status))
	}
	m.mu.Lock()
	lim := c.limit
	m.mu.Unlock()
	if lim == nil {
		// A limit may have ended the container before its watch said so.
		lim = m.limited(context.Background(), c)
	}
	limitationTermination(t, lim)
	m.finish(c, t)
}

// limitationTermination sets t's state, reason, message and resources
// from lim, if any.
func limitationTermination(t *Termination, lim *isolators.Limitation) {
	if lim == nil {
		return
	}
	t.State = mesos.TaskState_TASK_FAILED.Enum()
	t.Reason = lim.Reason.Enum()
	t.Message = lim.Message
	t.LimitedResources = lim.Resources
}

// Limitation implements Limiter: the limitation a watch has reported, or
// else one an isolator finds now. An ended container reports its
// termination's.
func (m *Mesos) Limitation(ctx context.Context, id string) *Termination {
	m.mu.Lock()
	c, ok := m.containers[id]
	t := m.finished[id]
	var lim *isolators.Limitation
	if ok {
		t, lim = c.term, c.limit
	}
	m.mu.Unlock()
	if t != nil {
		if t.State == nil {
			return nil
		}
		return t
	}
	if !ok {
		return nil
	}
	if lim == nil {
		if lim = m.limited(ctx, c); lim == nil {
			return nil
		}
		// Kept, so that the container's end reports the limitation the
		// agent has already reported.
		m.mu.Lock()
		if c.limit == nil {
			c.limit = lim
		}
		lim = c.limit
		m.mu.Unlock()
	}
	t = &Termination{}
	limitationTermination(t, lim)
	return t
}

var _ Limiter = (*Mesos)(nil)

// limited asks the isolators that can tell whether c ended on a limit,
// for at most 10 s and no longer than ctx allows.
func (m *Mesos) limited(ctx context.Context, c *container) *isolators.Limitation {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	m.mu.Lock()
	prepared := c.prepared
	m.mu.Unlock()
	for _, iso := range prepared {
		if l, ok := iso.(isolators.Limiter); ok {
			if lim := l.Limited(ctx, c.id); lim != nil {
				m.log.WithFields(logrus.Fields{"container_id": c.id, "isolator": iso.Name(), "limitation": lim.Message}).Warn("container reached a limitation")
				return lim
			}
		}
	}
	return nil
}

func (m *Mesos) kill(c *container) {
	c.killMu.Lock()
	defer c.killMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := m.launcher.Destroy(ctx, c.id); err != nil {
		m.log.WithField("container_id", c.id).WithError(err).Error("failed to destroy the container's processes")
	}
}

// finish cleans the isolators up and publishes the termination (once).
func (m *Mesos) finish(c *container, t *Termination) {
	m.mu.Lock()
	if c.term != nil {
		m.mu.Unlock()
		return
	}
	prepared := c.prepared
	c.term = t
	m.mu.Unlock()

	c.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := len(prepared) - 1; i >= 0; i-- {
		if err := prepared[i].Cleanup(ctx, c.id); err != nil {
			m.log.WithFields(logrus.Fields{"container_id": c.id, "isolator": prepared[i].Name()}).WithError(err).Error("isolator failed to clean up")
		}
	}

	m.mu.Lock()
	delete(m.containers, c.id)
	m.finished[c.id] = t
	m.order = append(m.order, c.id)
	if len(m.order) > keepTerminated {
		delete(m.finished, m.order[0])
		m.order = m.order[1:]
	}
	m.mu.Unlock()
	close(c.done)
}

var _ Recoverer = (*Mesos)(nil)

// Recover implements Recoverer: the launcher adopts each executor by its
// pid, the isolators re-attach to it (and watch it again), orphans the
// launcher reports are destroyed, and each container is reaped when it
// ends. The posix launcher cannot wait for a process that is not its
// child, so a recovered container's termination has no status: the agent
// relies on the updates the executor sent before it ended.
func (m *Mesos) Recover(ctx context.Context, cs []Recovered) error {
	known := map[string]int{}
	var states []isolators.RecoverState
	for _, r := range cs {
		if r.PID > 0 {
			known[r.ID] = r.PID
			states = append(states, isolators.RecoverState{ContainerID: r.ID, Pid: r.PID, Directory: r.Directory})
		}
	}
	orphans, err := m.launcher.Recover(ctx, known)
	if err != nil {
		return fmt.Errorf("launcher recovery: %w", err)
	}
	if destroyed, err := m.recoverIsolation(ctx, states, orphans); err != nil {
		if destroyed == nil {
			return err
		}
		m.log.WithError(err).Error("some orphaned containers could not be destroyed")
	}
	for _, r := range cs {
		wctx, cancel := context.WithCancel(context.Background())
		c := &container{id: r.ID, phase: running, forked: r.PID > 0, resources: r.Resources, cancel: cancel, done: make(chan struct{})}
		if r.PID > 0 {
			c.prepared = append([]isolators.Isolator(nil), m.isolators...)
		}
		m.mu.Lock()
		if _, ok := m.containers[r.ID]; ok {
			m.mu.Unlock()
			cancel()
			continue
		}
		m.containers[r.ID] = c
		m.mu.Unlock()
		if r.PID <= 0 {
			m.finish(c, &Termination{Message: "The executor's pid was not checkpointed"})
			continue
		}
		m.log.WithFields(logrus.Fields{"container_id": r.ID, "pid": r.PID}).Info("recovered container")
		for _, iso := range m.isolators {
			go m.watch(wctx, c, iso)
		}
		go m.reap(c)
	}
	return nil
}

// Wait implements Containerizer.
func (m *Mesos) Wait(ctx context.Context, id string) (*Termination, error) {
	m.mu.Lock()
	c, ok := m.containers[id]
	t, done := m.finished[id]
	m.mu.Unlock()
	if done {
		return t, nil
	}
	if !ok {
		return nil, fmt.Errorf("wait %s: %w", id, ErrUnknownContainer)
	}
	select {
	case <-c.done:
		return c.term, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Destroy implements Containerizer.
func (m *Mesos) Destroy(ctx context.Context, id string) error {
	m.mu.Lock()
	c, ok := m.containers[id]
	if !ok {
		m.mu.Unlock()
		return nil
	}
	first := c.phase != destroying
	c.phase = destroying
	forked := c.forked
	m.mu.Unlock()

	if first {
		m.log.WithField("container_id", id).Info("destroying container")
		c.cancel() // aborts a launch in progress and the watches
		if forked {
			go m.kill(c)
		}
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Update implements Containerizer.
func (m *Mesos) Update(ctx context.Context, id string, res []*mesos.Resource) error {
	m.mu.Lock()
	c, ok := m.containers[id]
	if ok {
		c.resources = res
	}
	m.mu.Unlock()
	if !ok {
		return fmt.Errorf("update %s: %w", id, ErrUnknownContainer)
	}
	for _, iso := range m.isolators {
		if err := iso.Update(ctx, id, res); err != nil {
			return fmt.Errorf("isolator %s failed to update: %w", iso.Name(), err)
		}
	}
	return nil
}

// Usage implements Containerizer: what the isolators measure, with the
// container's cpu and memory allocation as limits where they set none.
func (m *Mesos) Usage(ctx context.Context, id string) (*mesos.ResourceStatistics, error) {
	m.mu.Lock()
	c, ok := m.containers[id]
	var res []*mesos.Resource
	if ok {
		res = c.resources
	}
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("usage %s: %w", id, ErrUnknownContainer)
	}
	out := &mesos.ResourceStatistics{}
	for _, iso := range m.isolators {
		st, err := iso.Usage(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("isolator %s: %w", iso.Name(), err)
		}
		if st != nil {
			proto.Merge(out, st)
		}
	}
	// The allocation stands in for a limit only where no isolator measured
	// the real one (the cgroups hard memory limit only rises).
	r := resources.Resources(res)
	if cpus := r.Scalar("cpus"); cpus > 0 && out.CpusLimit == nil {
		out.CpusLimit = proto.Float64(cpus)
	}
	if mem := r.Scalar("mem"); mem > 0 && out.MemLimitBytes == nil {
		out.MemLimitBytes = proto.Uint64(uint64(mem * 1024 * 1024))
	}
	out.Timestamp = proto.Float64(float64(m.now().UnixNano()) / 1e9)
	return out, nil
}

// Containers implements Containerizer.
func (m *Mesos) Containers() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.containers))
	for id := range m.containers {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
