package containerizer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/slave/checkpoint"
)

// KilledStatus is the wait status InMem reports for a destroyed container
// (killed by SIGKILL).
const KilledStatus = 9

// InMem is a Containerizer that runs nothing, for tests: the test decides
// when each container's executor starts and when it ends, and with what.
// OnLaunch is where a test starts its stand-in executor (an actor that
// registers with the agent); Hold makes Launch wait for Start or
// FailLaunch. Destroy ends a container as killed (KilledStatus).
type InMem struct {
	// OnLaunch, if set, is called for every launch once the container is
	// recorded, outside InMem's lock; an error fails the launch.
	OnLaunch func(id string, cfg LaunchConfig) error
	// Hold makes Launch block until Start or FailLaunch names the
	// container, or Destroy ends it.
	Hold bool

	mu         sync.Mutex
	containers map[string]*inMemContainer
	order      []string
	launches   chan string
}

type inMemContainer struct {
	cfg       LaunchConfig
	resources []*mesos.Resource
	updates   int
	started   chan struct{}
	startErr  error
	done      chan struct{}
	term      *Termination
}

var _ Containerizer = (*InMem)(nil)

// NewInMem returns an empty in-memory containerizer.
func NewInMem() *InMem {
	return &InMem{containers: map[string]*inMemContainer{}, launches: make(chan string, 1024)}
}

var _ Recoverer = (*InMem)(nil)

// Recover implements Recoverer: each container is recorded as running
// (unless InMem already has it), as if it had survived an agent restart.
// A container with pid 0 terminates at once.
func (m *InMem) Recover(ctx context.Context, cs []Recovered) error {
	for _, r := range cs {
		m.mu.Lock()
		if _, ok := m.containers[r.ID]; ok {
			m.mu.Unlock()
			continue
		}
		c := &inMemContainer{resources: r.Resources, started: make(chan struct{}), done: make(chan struct{})}
		close(c.started)
		m.containers[r.ID] = c
		m.order = append(m.order, r.ID)
		m.mu.Unlock()
		if r.PID <= 0 {
			m.end(r.ID, &Termination{Message: "The executor's pid was not checkpointed"})
		}
	}
	return nil
}

// Launches delivers the id of every container launched, in order (it
// holds up to 1024 not yet received).
func (m *InMem) Launches() <-chan string { return m.launches }

// Launch implements Containerizer.
func (m *InMem) Launch(ctx context.Context, id string, cfg LaunchConfig) error {
	if id == "" {
		return errors.New("launch: empty container id")
	}
	if cfg.ExecutorInfo == nil {
		return fmt.Errorf("launch %s: no executor", id)
	}
	c := &inMemContainer{cfg: cfg, resources: cfg.Resources, started: make(chan struct{}), done: make(chan struct{})}
	m.mu.Lock()
	if _, ok := m.containers[id]; ok {
		m.mu.Unlock()
		return fmt.Errorf("launch %s: container already exists", id)
	}
	m.containers[id] = c
	m.order = append(m.order, id)
	m.mu.Unlock()
	if cfg.PIDFile != "" {
		// Nothing runs: the test process stands in for the executor.
		if err := checkpoint.Write(cfg.PIDFile, []byte(strconv.Itoa(os.Getpid()))); err != nil {
			m.end(id, &Termination{Message: "Failed to checkpoint the pid: " + err.Error()})
			return err
		}
	}
	if cfg.Forked != nil {
		if err := cfg.Forked(os.Getpid()); err != nil {
			m.end(id, &Termination{Message: "Failed to launch container: " + err.Error()})
			return err
		}
	}
	select {
	case m.launches <- id:
	default:
	}
	if m.OnLaunch != nil {
		if err := m.OnLaunch(id, cfg); err != nil {
			m.end(id, &Termination{Message: "Failed to launch container: " + err.Error()})
			return err
		}
	}
	if !m.Hold {
		return nil
	}
	select {
	case <-c.started:
		m.mu.Lock()
		defer m.mu.Unlock()
		return c.startErr
	case <-c.done:
		return fmt.Errorf("container %s was destroyed during launch", id)
	case <-ctx.Done():
		m.end(id, &Termination{Message: "Failed to launch container: " + ctx.Err().Error()})
		return ctx.Err()
	}
}

// Start lets a held launch of id succeed.
func (m *InMem) Start(id string) error { return m.release(id, nil) }

// FailLaunch makes a held launch of id fail with err; the container ends.
func (m *InMem) FailLaunch(id string, err error) error {
	if err == nil {
		return errors.New("fail launch: nil error")
	}
	if e := m.release(id, err); e != nil {
		return e
	}
	m.end(id, &Termination{Message: "Failed to launch container: " + err.Error()})
	return nil
}

func (m *InMem) release(id string, err error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.containers[id]
	if c == nil {
		return fmt.Errorf("%w: %s", ErrUnknownContainer, id)
	}
	select {
	case <-c.started:
		return fmt.Errorf("container %s: launch already released", id)
	default:
	}
	c.startErr = err
	close(c.started)
	return nil
}

// Exit ends container id as if its executor exited with wait status.
func (m *InMem) Exit(id string, status int32) error {
	return m.Terminate(id, Termination{Status: proto.Int32(status)})
}

// Terminate ends container id as t says (for example a limitation, with
// State, Reason and LimitedResources set). Ending an ended container is an
// error.
func (m *InMem) Terminate(id string, t Termination) error {
	if !m.end(id, &t) {
		return fmt.Errorf("container %s is unknown or has ended", id)
	}
	return nil
}

// end records the termination of id if it is running.
func (m *InMem) end(id string, t *Termination) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.containers[id]
	if c == nil || c.term != nil {
		return false
	}
	c.term = t
	close(c.done)
	return true
}

// Wait implements Containerizer.
func (m *InMem) Wait(ctx context.Context, id string) (*Termination, error) {
	m.mu.Lock()
	c := m.containers[id]
	m.mu.Unlock()
	if c == nil {
		return nil, ErrUnknownContainer
	}
	select {
	case <-c.done:
		m.mu.Lock()
		defer m.mu.Unlock()
		t := *c.term
		return &t, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Destroy implements Containerizer: a running container ends as killed.
func (m *InMem) Destroy(ctx context.Context, id string) error {
	m.end(id, &Termination{Status: proto.Int32(KilledStatus)})
	return nil
}

// Update implements Containerizer; an unknown or ended container is
// ErrUnknownContainer.
func (m *InMem) Update(ctx context.Context, id string, resources []*mesos.Resource) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.containers[id]
	if c == nil || c.term != nil {
		return ErrUnknownContainer
	}
	c.resources = resources
	c.updates++
	return nil
}

// Usage implements Containerizer with empty statistics.
func (m *InMem) Usage(ctx context.Context, id string) (*mesos.ResourceStatistics, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.containers[id]; c == nil || c.term != nil {
		return nil, ErrUnknownContainer
	}
	return &mesos.ResourceStatistics{Timestamp: proto.Float64(0)}, nil
}

// Containers implements Containerizer.
func (m *InMem) Containers() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, id := range m.order {
		if m.containers[id].term == nil {
			out = append(out, id)
		}
	}
	return out
}

// Config returns what container id was launched with.
func (m *InMem) Config(id string) (LaunchConfig, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.containers[id]
	if c == nil {
		return LaunchConfig{}, false
	}
	return c.cfg, true
}

// Resources returns container id's current resources and how many
// updates it has had.
func (m *InMem) Resources(id string) ([]*mesos.Resource, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.containers[id]
	if c == nil {
		return nil, 0
	}
	return c.resources, c.updates
}
