package sim

import (
	"fmt"
	"syscall"
	"time"

	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
)

// FailoverPlan is a master-failover measurement: the cluster runs until
// CrashAt, the master crashes, and a new master core (recovering from the
// registry, which outlives the old one) starts Election later, standing
// for the ZooKeeper session timeout after which a standby is elected.
type FailoverPlan struct {
	CrashAt  time.Duration // virtual time of the crash (default 60s)
	Election time.Duration // crash to the new master's start (default 10s)
	Limit    time.Duration // give up this long after the crash (default 15m)
}

// FailoverResult is what MeasureFailover saw. Times are virtual and
// counted from the crash; Wall and CPU are what simulating that span cost.
type FailoverResult struct {
	Config    Config
	Plan      FailoverPlan
	Admitted  int           // agents in the registry at the crash
	Running   int           // tasks running for their frameworks at the crash
	Acting    time.Duration // the new master has recovered its registry and acts
	FirstBack time.Duration // the new master accepted the first reregistration
	AllBack   time.Duration // ... and the last admitted agent's
	Back      int           // admitted agents reregistered by the end
	Wall, CPU time.Duration
	Steps     uint64
	Err       error
}

// Summary is the one line the binary prints for a measurement.
func (r FailoverResult) Summary() string {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }
	status := "ok"
	if r.Err != nil {
		status = "failed: " + r.Err.Error()
	}
	return fmt.Sprintf("sim-failover: seed=%d agents=%d frameworks=%d running=%d election=%s acting=%s first-back=%s all-back=%s back=%d/%d (after acting: %s) wall=%s cpu=%s steps=%d %s",
		r.Config.Seed, r.Config.Agents, r.Config.Frameworks, r.Running, ms(r.Plan.Election), ms(r.Acting), ms(r.FirstBack), ms(r.AllBack),
		r.Back, r.Admitted, ms(r.AllBack-r.Acting), ms(r.Wall), ms(r.CPU), r.Steps, status)
}

// MeasureFailover runs cfg's cluster (no faults) up to p.CrashAt, crashes
// the master, starts a new one p.Election later and runs until the new
// master has accepted the reregistration of every agent its registry
// admitted, or p.Limit after the crash. Agents learn of the new master
// as a ZooKeeper detector tells them: no master while it is down, the
// new one as it starts. The invariant checks are off.
// A cluster that cannot be built is the error; a measurement that did not
// end well has its Err set.
func MeasureFailover(cfg Config, p FailoverPlan) (FailoverResult, error) {
	if p.CrashAt <= 0 {
		p.CrashAt = time.Minute
	}
	if p.Election <= 0 {
		p.Election = 10 * time.Second
	}
	if p.Limit <= 0 {
		p.Limit = 15 * time.Minute
	}
	cfg.Faults = Faults{}
	cfg.StandInMaster = false
	res := FailoverResult{Config: cfg, Plan: p}
	c, err := NewCluster(cfg)
	if err != nil {
		return res, err
	}
	s := c.Sim
	s.Check = nil // the invariants cost agents x frameworks a step; the seed runs check them
	c.noLeaderWhileDown = true
	if err := s.RunUntil(Epoch.Add(p.CrashAt)); err != nil {
		res.Err = err
		return res, nil
	}
	for _, st := range c.fwst {
		for _, t := range st.tasks {
			if t.launched && t.last == mesos.TaskState_TASK_RUNNING {
				res.Running++
			}
		}
	}
	old := c.master.Core.(*realMaster)
	waiting := map[string]bool{}
	for _, a := range old.registry.GetSlaves().GetSlaves() {
		waiting[a.GetInfo().GetId().GetValue()] = true
	}
	res.Admitted = len(waiting)

	wall, cpu := time.Now(), cpuTime()
	crash := s.Now()
	var acting *realMaster
	c.Sim.Crash(c.master)
	s.At(crash.Add(p.Election), func() {
		c.restartMaster()
		// A ZooKeeper detector's watch fires: each agent hears of the
		// new leader at once.
		for _, h := range c.hosts {
			h.post(0, func(now time.Time) []effect.Effect { return h.core.Detected(now, h.master()) })
		}
		acting = c.master.Core.(*realMaster)
		acting.watch = func(now time.Time, effs []effect.Effect) {
			for _, e := range effs {
				send, ok := e.(effect.Send)
				if !ok {
					continue
				}
				m, ok := send.Msg.(*mesosinternal.SlaveReregisteredMessage)
				if !ok || !waiting[m.GetSlaveId().GetValue()] {
					continue
				}
				delete(waiting, m.GetSlaveId().GetValue())
				res.Back++
				if res.Back == 1 {
					res.FirstBack = now.Sub(crash)
				}
				if len(waiting) == 0 {
					res.AllBack = now.Sub(crash)
				}
			}
		}
	})
	limit := crash.Add(p.Limit)
	steps := s.Steps()
	for len(waiting) > 0 && s.Err() == nil {
		if t, ok := s.Next(); !ok || t.After(limit) {
			res.Err = fmt.Errorf("%d of %d agents not back within %v of the crash", len(waiting), res.Admitted, p.Limit)
			break
		}
		s.Step()
		if acting != nil && res.Acting == 0 && acting.core.Recovered() {
			res.Acting = s.Now().Sub(crash)
		}
	}
	if res.Err == nil {
		res.Err = s.Err()
	}
	res.Wall, res.CPU, res.Steps = time.Since(wall), cpuTime()-cpu, s.Steps()-steps
	return res, nil
}

// cpuTime is the user and system CPU this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
