package master

// The registrar, shell side: the master actor stores the registry ops its
// core emits, in order. Ops that queue while a store is in flight go out
// together in the next one, on top of the registry as last stored (no
// fetch between stores: the version compare-and-set catches anyone else
// writing). Without a store (Config.Registry nil) the registry lives in
// the actor's memory only: ops are applied to it at once, never encoded.
// A registry.Memory is stored on the actor at once; any other store runs
// off the mailbox and its result comes back through Dispatch.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/master/registry"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// registryWriter is the master actor's registrar state; only the actor
// goroutine touches it.
type registryWriter struct {
	store   registry.Store // nil: private
	private bool           // no store: the registry is only w.reg
	instant bool           // stored on the actor: registry.Memory
	fetchTO time.Duration
	storeTO time.Duration

	reg      *mesosinternal.Registry // as last stored
	version  registry.Version
	queued   []RegistryApply
	busy     bool   // a store is in flight
	inflight int    // ops in the store in flight
	stored   uint64 // seq of the last op stored

	// For /metrics (registrar/...): the size of the registry last
	// stored or fetched, and how long the fetch and the last store took.
	size          int
	fetchTime     time.Duration
	lastStoreTime time.Duration
	nearFull      bool // over 80% of registry.MaxSize (warned once)

	failed  error
	waiters []registryWaiter

	ctx    context.Context // cancelled when the actor finalizes
	cancel context.CancelFunc
}

type registryWaiter struct {
	seq  uint64
	done chan error
}

func newRegistryWriter(cfg Config) *registryWriter {
	cfg = cfg.withRegistryDefaults()
	store := cfg.Registry
	_, instant := store.(*registry.Memory)
	ctx, cancel := context.WithCancel(context.Background())
	return &registryWriter{
		store: store, private: store == nil, instant: instant, fetchTO: cfg.RegistryFetchTimeout, storeTO: cfg.RegistryStoreTimeout,
		reg: &mesosinternal.Registry{}, version: registry.Absent, ctx: ctx, cancel: cancel,
	}
}

// fetch reads the registry (bounded by the fetch timeout); a registry
// never stored is an empty one.
func (w *registryWriter) fetch() error {
	if w.private {
		return nil
	}
	ctx, cancel := context.WithTimeout(w.ctx, w.fetchTO)
	defer cancel()
	start := time.Now()
	data, v, err := w.store.Fetch(ctx)
	w.fetchTime = time.Since(start)
	if err != nil {
		return fmt.Errorf("master: failed to fetch the registry: %w", err)
	}
	reg := &mesosinternal.Registry{}
	if err := proto.Unmarshal(data, reg); err != nil {
		return fmt.Errorf("master: the registry (version %d, %d bytes) cannot be read: %w", v, len(data), err)
	}
	w.reg, w.version, w.size = reg, v, len(data)
	return nil
}

// storeTimeout is how long a registry store may take.
func (p *process) storeTimeout() time.Duration { return p.registry.storeTO }

// flushRegistry starts a store of the queued ops unless one is in flight.
func (p *process) flushRegistry() {
	w := p.registry
	if w.busy || len(w.queued) == 0 || w.failed != nil {
		return
	}
	batch := w.queued
	w.queued = nil
	last := batch[len(batch)-1].Seq
	if w.private {
		for _, e := range batch {
			e.Op.Apply(w.reg)
		}
		p.registryStored(last, w.reg, registry.Absent, nil)
		return
	}
	next := clone(w.reg)
	for _, e := range batch {
		e.Op.Apply(next)
	}
	data, err := proto.Marshal(next)
	if err != nil {
		p.registryStored(last, next, registry.Absent, fmt.Errorf("master: cannot encode the registry: %w", err))
		return
	}
	if big := len(data) > registry.MaxSize*8/10; big != w.nearFull {
		w.nearFull = big
		if big {
			p.log.WithField("bytes", len(data)).Warnf("the registry is close to its size limit (%d bytes): stores will fail past it", registry.MaxSize)
		}
	}
	w.busy, w.inflight = true, len(batch)
	version, size := w.version, len(data)
	store := func() (registry.Version, time.Duration, error) {
		ctx, cancel := context.WithTimeout(w.ctx, w.storeTO)
		defer cancel()
		start := time.Now()
		v, err := w.store.Store(ctx, data, version)
		return v, time.Since(start), err
	}
	if w.instant {
		v, took, err := store()
		w.lastStoreTime, w.size = took, size
		p.registryStored(last, next, v, err)
		return
	}
	go func() {
		v, took, err := store()
		p.ctx.Dispatch(func() {
			w.lastStoreTime, w.size = took, size
			p.registryStored(last, next, v, err)
		})
	}()
}

// registryGauges are the registrar's metrics, under Mesos' names.
func (p *process) registryGauges() map[string]float64 {
	w := p.registry
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	size := w.size
	if w.private {
		size = proto.Size(w.reg)
	}
	return map[string]float64{
		"registrar/queued_operations":   float64(len(w.queued) + w.inflight),
		"registrar/registry_size_bytes": float64(size),
		"registrar/state_fetch_ms":      ms(w.fetchTime),
		"registrar/state_store_ms":      ms(w.lastStoreTime),
	}
}

// registryStored hands the outcome of a store to the core, wakes those
// waiting for it and starts the next store.
func (p *process) registryStored(last uint64, reg *mesosinternal.Registry, v registry.Version, err error) {
	w := p.registry
	w.busy, w.inflight = false, 0
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, registry.ErrUnknownOutcome) {
			err = fmt.Errorf("%w: no answer within --registry_store_timeout (%s): %w", registry.ErrUnknownOutcome, w.storeTO, err)
		}
		p.log.WithError(err).WithField("version", w.version).Error("registry store failed")
	} else {
		w.reg, w.version, w.stored = reg, v, last
	}
	p.apply(p.core.RegistryApplied(p.now(), last, err))
	if err != nil && w.failed == nil {
		w.failed = err
	}
	p.wake()
	p.flushRegistry()
}

// wake answers the waiters whose ops are stored, or all of them once the
// registrar failed.
func (p *process) wake() {
	w := p.registry
	kept := w.waiters[:0]
	for _, wt := range w.waiters {
		switch {
		case w.failed != nil:
			wt.done <- w.failed
		case wt.seq <= w.stored:
			wt.done <- nil
		default:
			kept = append(kept, wt)
		}
	}
	w.waiters = kept
}

// applyWait applies effects and returns a channel that yields nil once the
// registry ops among them are stored, or the store's error.
func (p *process) applyWait(effects []effect.Effect) <-chan error {
	var last uint64
	for _, e := range effects {
		if r, ok := e.(RegistryApply); ok {
			last = r.Seq
		}
	}
	done := make(chan error, 1)
	p.registry.waiters = append(p.registry.waiters, registryWaiter{seq: last, done: done})
	p.apply(effects)
	p.wake()
	return done
}

// leadershipLost stops the shell acting: timers stop, and the owner is
// told (Start's error while recovering; Config.OnLeadershipLost after).
func (p *process) leadershipLost(err error) {
	if p.registry.failed == nil {
		p.registry.failed = err
	}
	p.timers.CancelAll()
	if !p.recovered {
		p.signalReady(err)
		return
	}
	if p.onLost != nil {
		go p.onLost(err)
	}
}

// signalReady tells Start how recovery ended (once).
func (p *process) signalReady(err error) {
	if p.readySent {
		return
	}
	p.readySent = true
	p.ready <- err
}

// recoverCore runs the core's recovery from the fetched registry.
func (p *process) recoverCore() {
	effects, err := p.core.Recover(p.now(), clone(p.registry.reg))
	if err != nil {
		p.signalReady(err)
		return
	}
	p.apply(effects)
	p.checkRecovered()
}

// checkRecovered signals Start once the core recovered.
func (p *process) checkRecovered() {
	if !p.recovered && p.core.Recovered() {
		p.recovered = true
		p.signalReady(nil)
	}
}

// awaitRecovery waits until the actor recovered the registry (or failed
// to).
func (p *process) awaitRecovery() error {
	select {
	case err := <-p.ready:
		return err
	case <-time.After(p.registry.storeTO + time.Minute):
		return fmt.Errorf("master: registry recovery did not finish within %s", p.registry.storeTO+time.Minute)
	}
}
