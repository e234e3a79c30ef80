package master

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/detector"
	"github.com/gomesos/gomesos/master/contender"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/metrics"
)

// SupervisorProcessID is the id of the supervisor actor.
const SupervisorProcessID = "master-supervisor"

// DefaultContendTimeout bounds one attempt to contend (connecting to
// ZooKeeper and creating the candidacy's znode).
const DefaultContendTimeout = 30 * time.Second

// SupervisorOptions say how a supervised master is elected.
type SupervisorOptions struct {
	// Contender enters the master into the election; nil is
	// contender.Standalone (leader at once, as a master without --zk).
	Contender contender.Contender
	// Detector reports the leading master for /master/redirect, the
	// redirects of a standby and its /master/state; nil knows only this
	// master while it leads.
	Detector detector.Detector
	// Registry gives the registry store of a candidacy, fenced by it (a
	// write after the candidacy is lost is refused); nil: each master
	// keeps an in-memory registry of its own.
	Registry func(contender.Candidacy) registry.Store
	// ContendTimeout bounds one attempt to contend (default
	// DefaultContendTimeout); ContendRetry is the pause after a failed one
	// (default DefaultContendRetry).
	ContendTimeout time.Duration
	ContendRetry   time.Duration
}

// Supervisor runs a master under leader election, as the parent of the
// master in an actor tree: a supervisor actor contends; once elected it
// starts a fresh Master (allocator and master actor, a new master id,
// the registry store of its candidacy); when the candidacy is lost, the
// master fails (a registry write, a panic in the master actor) or the supervisor stops, it stops that master
// at once (the master actor first), drops it with all its state, gives up
// the candidacy and contends again as a standby. The process never exits
// for any of these (Mesos' master exits and relies on an outside
// supervisor).
//
// While not leading it serves HTTP as a standby (see Handler) and holds no
// master state. Its pure core is Leadership.
type Supervisor struct {
	node    *actors.Node
	cfg     Config
	opts    SupervisorOptions
	log     *logrus.Entry
	started time.Time // process start: start_time in /master/state
	self    actors.PID
	metrics *metrics.Registry

	// Owned by the supervisor actor.
	ctx      *actors.Context
	timers   *effect.Timers
	core     *Leadership
	terms    map[int]*candidacy
	master   *Master
	standby  []prometheus.Collector // master/elected 0 and uptime while not leading
	queue    []effect.Effect
	applying bool
	stopping bool
	bg       context.Context
	cancelBG context.CancelFunc

	pid     atomic.Value // actors.PID once started
	view    atomic.Pointer[supervisorView]
	mu      sync.Mutex
	changed chan struct{}
}

// candidacy is one term's candidacy and the MasterInfo it contends with.
type candidacy struct {
	info *mesos.MasterInfo
	cand contender.Candidacy
}

// supervisorView is what HTTP handlers and tests read, published by the
// supervisor actor after each event.
type supervisorView struct {
	state     LeadershipState
	term      int
	self      *mesos.MasterInfo // this master's MasterInfo of the term (nil before the first candidacy)
	leader    *mesos.MasterInfo // the leader as far as known (nil: none)
	master    *Master           // while leading
	handler   http.Handler      // master's
	electedAt time.Time
}

// NewSupervisor checks cfg as New does and prepares a supervisor on node;
// nothing runs until Start.
func NewSupervisor(node *actors.Node, cfg Config, opts SupervisorOptions) (*Supervisor, error) {
	if node == nil {
		return nil, errors.New("master: nil node")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("master: invalid configuration: %w", err)
	}
	if cfg.Hostname == "" {
		cfg.Hostname = DefaultConfig().Hostname
	}
	if cfg.Metrics == nil {
		cfg.Metrics = metrics.NewRegistry()
	}
	if opts.Contender == nil {
		opts.Contender = contender.Standalone{}
	}
	if opts.ContendTimeout <= 0 {
		opts.ContendTimeout = DefaultContendTimeout
	}
	s := &Supervisor{
		node: node, cfg: cfg, opts: opts, metrics: cfg.Metrics,
		log:     node.Log().WithField("component", "master-supervisor"),
		started: node.Clock().Now(),
		self:    actors.PID{ID: ProcessID, Address: node.Address()},
		terms:   map[int]*candidacy{},
		core:    NewLeadership(opts.ContendRetry),
		changed: make(chan struct{}),
	}
	s.view.Store(&supervisorView{})
	return s, nil
}

// Start spawns the supervisor actor, which contends at once.
func (s *Supervisor) Start() (actors.PID, error) {
	pid, err := s.node.Spawn(SupervisorProcessID, (*supervisorProcess)(s))
	if err != nil {
		return actors.PID{}, fmt.Errorf("master: spawn %q: %w", SupervisorProcessID, err)
	}
	s.pid.Store(pid)
	return pid, nil
}

// Stop stops the master if it leads (the master actor first), gives up the
// candidacy and stops the supervisor. Safe to call twice.
func (s *Supervisor) Stop() {
	if pid, ok := s.pid.Load().(actors.PID); ok {
		s.node.Stop(pid)
	}
}

// State is where the master stands now.
func (s *Supervisor) State() LeadershipState { return s.view.Load().state }

// Master is the running master while this one leads (nil otherwise).
func (s *Supervisor) Master() *Master { return s.view.Load().master }

// Info is the MasterInfo this master contends with in its current term
// (nil before the first candidacy is made).
func (s *Supervisor) Info() *mesos.MasterInfo { return cloneInfo(s.view.Load().self) }

// Leader is the leading master as far as this one knows (nil: none).
func (s *Supervisor) Leader() *mesos.MasterInfo { return cloneInfo(s.view.Load().leader) }

// Changed is closed at the next change of State, Master, Info or Leader;
// ask again after it is.
func (s *Supervisor) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Await waits until the master stands at want (for a standalone master:
// Leading, right after Start) or ctx ends.
func (s *Supervisor) Await(ctx context.Context, want LeadershipState) error {
	for {
		changed := s.Changed()
		if s.State() == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("master: still %s, not %s: %w", s.State(), want, ctx.Err())
		case <-changed:
		}
	}
}

// Metrics is the registry /metrics renders.
func (s *Supervisor) Metrics() *metrics.Registry { return s.metrics }

func cloneInfo(i *mesos.MasterInfo) *mesos.MasterInfo {
	if i == nil {
		return nil
	}
	return proto.Clone(i).(*mesos.MasterInfo)
}

// supervisorProcess is the actors.Process face of a Supervisor.
type supervisorProcess Supervisor

// Initialize implements actors.Process: follow the detector, contend.
func (p *supervisorProcess) Initialize(ctx *actors.Context) {
	s := (*Supervisor)(p)
	s.ctx = ctx
	s.bg, s.cancelBG = context.WithCancel(context.Background())
	s.timers = effect.NewTimers(ctx, func(key string) { s.apply(s.core.Timer(s.now(), key)) })
	s.registerStandby()
	if s.opts.Detector != nil {
		go s.detect(s.bg, ctx.Self())
	}
	s.apply(s.core.Start(s.now()))
}

// Finalize implements actors.Finalizer: step down, withdraw (waiting for
// it, so that a standby can take over as soon as this process is gone).
func (p *supervisorProcess) Finalize(*actors.Context) {
	s := (*Supervisor)(p)
	s.stopping = true
	s.apply(s.core.Stop(s.now(), errors.New("the master is shutting down")))
	s.cancelBG()
	s.timers.CancelAll()
	s.unregisterStandby()
	s.publish()
}

func (s *Supervisor) now() time.Time { return s.node.Clock().Now() }

// dispatch runs f on the supervisor actor; false when it is gone.
func (s *Supervisor) dispatch(self actors.PID, f func()) bool { return s.node.Dispatch(self, f) }

// apply carries out effects in order; effects that events raise while
// applying (a master that fails to start) queue behind them.
func (s *Supervisor) apply(effects []effect.Effect) {
	s.queue = append(s.queue, effects...)
	if s.applying {
		return
	}
	s.applying = true
	for len(s.queue) > 0 {
		e := s.queue[0]
		s.queue = s.queue[1:]
		s.do(e)
	}
	s.applying = false
	s.publish()
}

func (s *Supervisor) do(e effect.Effect) {
	switch e := e.(type) {
	case Contend:
		s.contend(e.Term)
	case Lead:
		s.lead(e.Term)
	case StepDown:
		s.stepDown(e.Term, e.Reason)
	case Withdraw:
		s.withdraw(e.Term)
	default:
		if !effect.Apply(s.ctx, s.timers, e) {
			s.log.WithField("effect", e).Error("dropping an effect the supervisor does not know")
		}
	}
}

// contend makes candidacy term off the mailbox and reports back.
func (s *Supervisor) contend(term int) {
	info := NewMasterInfo(NewMasterID(), s.self, s.cfg)
	self, bg, timeout := s.ctx.Self(), s.bg, s.opts.ContendTimeout
	s.log.WithFields(logrus.Fields{"term": term, "id": info.GetId()}).Info("contending for leadership")
	go func() {
		ctx, cancel := context.WithTimeout(bg, timeout)
		cand, err := s.opts.Contender.Contend(ctx, info)
		cancel()
		if !s.dispatch(self, func() { s.contended(term, info, cand, err) }) && err == nil {
			cand.Withdraw() // the supervisor is gone
		}
	}()
}

func (s *Supervisor) contended(term int, info *mesos.MasterInfo, cand contender.Candidacy, err error) {
	log := s.log.WithFields(logrus.Fields{"term": term, "id": info.GetId()})
	if err != nil {
		log.WithError(err).Warn("could not contend for leadership; retrying")
	} else {
		s.terms[term] = &candidacy{info: info, cand: cand}
	}
	s.apply(s.core.Contended(s.now(), term, err))
	if err != nil || s.core.Term() != term || s.core.State() != Standby {
		return
	}
	log.Info("contending as a standby until elected")
	self := s.ctx.Self()
	go func() {
		select {
		case <-cand.Elected():
			s.dispatch(self, func() { s.apply(s.core.Elected(s.now(), term)) })
		case <-cand.Lost():
		}
		<-cand.Lost()
		err := cand.Err()
		s.dispatch(self, func() {
			if s.core.Term() == term && s.core.State() != Stopped {
				s.log.WithFields(logrus.Fields{"term": term}).WithError(err).Warn("lost the candidacy")
			}
			s.apply(s.core.Lost(s.now(), term, err))
		})
	}()
}

// lead starts a fresh master for term.
func (s *Supervisor) lead(term int) {
	t := s.terms[term]
	if t == nil {
		s.apply(s.core.Failed(s.now(), term, errors.New("elected without a candidacy")))
		return
	}
	log := s.log.WithFields(logrus.Fields{"term": term, "id": t.info.GetId()})
	self := s.ctx.Self()
	cfg := s.cfg
	if s.opts.Registry != nil {
		cfg.Registry = s.opts.Registry(t.cand)
	}
	cfg.OnLeadershipLost = func(err error) {
		s.dispatch(self, func() {
			s.apply(s.core.Failed(s.now(), term, fmt.Errorf("a registry write failed: %w", err)))
		})
	}
	m, err := newMaster(s.node, cfg, t.info.GetId())
	if err == nil {
		m.startTime = s.started
		m.onPanic = func(what string, value any) {
			s.dispatch(self, func() {
				s.apply(s.core.Failed(s.now(), term, fmt.Errorf("the master actor panicked in %s: %v", what, value)))
			})
		}
		s.unregisterStandby()
		_, err = m.Start()
	}
	if err != nil {
		log.WithError(err).Error("elected but the master did not start; stepping down")
		s.registerStandby()
		s.apply(s.core.Failed(s.now(), term, err))
		return
	}
	s.master = m
	log.Info("elected the leading master; master started")
}

// stepDown stops the master of term: the master actor first, then the
// allocator; its state goes with it.
func (s *Supervisor) stepDown(term int, why error) {
	m := s.master
	if m == nil {
		return
	}
	s.master = nil
	var streams http.Handler
	if v := s.view.Load(); v != nil && v.master == m {
		streams = v.handler
	}
	// Published before stopping: HTTP stops reaching this master.
	s.publish()
	m.Stop()
	closeStreams(streams) // its clients reconnect, to the leader
	s.registerStandby()
	e := s.log.WithFields(logrus.Fields{"term": term, "id": m.Info().GetId()})
	if s.stopping {
		e.Info("master stopped")
		return
	}
	e.WithError(why).Error("stepped down: master stopped, its state dropped; contending again as a standby")
}

// withdraw gives up candidacy term, off the mailbox (closing a ZooKeeper
// session can take a second), or at once when the supervisor stops.
func (s *Supervisor) withdraw(term int) {
	t := s.terms[term]
	if t == nil {
		return
	}
	delete(s.terms, term)
	if s.stopping {
		t.cand.Withdraw()
		return
	}
	go t.cand.Withdraw()
}

// detect follows the detector and hands each leader to the core.
func (s *Supervisor) detect(ctx context.Context, self actors.PID) {
	var prev *mesos.MasterInfo
	for {
		info, err := s.opts.Detector.Detect(ctx, prev)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.WithError(err).Warn("master detector failed; retrying")
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		prev = info
		if !s.dispatch(self, func() { s.apply(s.core.Detected(s.now(), info)) }) {
			return
		}
	}
}

// publish stores what HTTP and tests see and wakes Changed waiters.
func (s *Supervisor) publish() {
	v := &supervisorView{state: s.core.State(), term: s.core.Term(), master: s.master, electedAt: s.core.ElectedAt()}
	if t := s.terms[v.term]; t != nil {
		v.self = t.info
	} else if old := s.view.Load(); old != nil {
		v.self = old.self
	}
	if s.master != nil {
		v.handler = s.master.Handler()
		if old := s.view.Load(); old != nil && old.master == s.master {
			v.handler = old.handler
		}
		v.leader = s.master.info
	} else if l := s.core.Leader(); l != nil && l.GetPid() != s.self.String() {
		// A leader with this process' PID is a term of its own that ended
		// (or one not yet reported elected): never redirect to itself.
		v.leader = l
	}
	old := s.view.Swap(v)
	if old != nil && old.state == v.state && old.term == v.term && old.master == v.master &&
		proto.Equal(old.leader, v.leader) && proto.Equal(old.self, v.self) {
		return
	}
	s.mu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// registerStandby publishes master/elected (0) and master/uptime_secs
// while no master runs (a running master publishes its own).
func (s *Supervisor) registerStandby() {
	if s.standby != nil {
		return
	}
	started := s.started
	s.standby = []prometheus.Collector{
		s.metrics.GaugeFunc("master/elected", masterMetrics["master/elected"], func() float64 { return 0 }),
		s.metrics.GaugeFunc("master/uptime_secs", masterMetrics["master/uptime_secs"], func() float64 {
			return s.node.Clock().Now().Sub(started).Seconds()
		}),
	}
}

func (s *Supervisor) unregisterStandby() {
	for _, c := range s.standby {
		s.metrics.Unregister(c)
	}
	s.standby = nil
}
