package allocator

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/resources"
)

// The benchmark grid of the issue (Mesos' parameter grid): N agents of
// cpus:16;mem:65536;disk:1048576;ports:[31000-32000], M frameworks each
// in a role of its own. Run with
//
//	go test ./master/allocator -run '^$' -bench . -benchtime 5x
var (
	benchAgents     = []int{1000, 10000, 50000}
	benchFrameworks = []int{1, 100, 1000}
)

const benchAgentResources = "cpus:16;mem:65536;disk:1048576;ports:[31000-32000]"

func benchOptions() Options {
	return Options{
		AllocationInterval: time.Second,
		MinAllocatable:     []Quantities{{"cpus": 0.01}, {"mem": 32}},
		FilterGPUResources: true,
		Seed:               42,
	}
}

func benchFramework(i int) (string, *mesos.FrameworkInfo) {
	return fmt.Sprintf("framework-%04d", i), &mesos.FrameworkInfo{
		User: proto.String("u"), Name: proto.String("f"), Role: proto.String(fmt.Sprintf("role-%04d", i)),
	}
}

func benchAgent(i int) (string, *mesos.SlaveInfo) {
	id := fmt.Sprintf("agent-%05d", i)
	return id, &mesos.SlaveInfo{Hostname: proto.String(id)}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// benchCore builds a core with m frameworks and n agents and reports the
// heap each framework and each agent costs (reported metrics must come
// after ResetTimer, so they are returned as a func).
func benchCore(b *testing.B, n, m int) (*Core, func()) {
	b.Helper()
	before := heapInUse()
	c := NewCore(benchOptions())
	for i := 0; i < m; i++ {
		id, info := benchFramework(i)
		c.AddFramework(id, info, nil, true, FrameworkOptions{})
	}
	afterFrameworks := heapInUse()
	total := resources.MustParse(benchAgentResources).Upgrade()
	for i := 0; i < n; i++ {
		id, info := benchAgent(i)
		// Each agent has resources of its own, as registered agents do.
		c.AddSlave(id, info, nil, total.Clone(), nil)
	}
	afterAgents := heapInUse()
	return c, func() {
		if m > 0 {
			b.ReportMetric(float64(afterFrameworks-before)/float64(m), "B/framework")
		}
		if n > 0 {
			b.ReportMetric(float64(afterAgents-afterFrameworks)/float64(n), "B/agent")
		}
	}
}

// recoverAll returns every offer, with filters if given.
func recoverAll(c *Core, now time.Time, out map[string]Offers, filters *mesos.Filters) int {
	offers := 0
	for fid, byRole := range out {
		for _, byAgent := range byRole {
			for aid, r := range byAgent {
				c.RecoverResources(now, fid, aid, r, filters)
				offers++
			}
		}
	}
	return offers
}

func countOffers(out map[string]Offers) int {
	n := 0
	for _, byRole := range out {
		for _, byAgent := range byRole {
			n += len(byAgent)
		}
	}
	return n
}

// One op is one full allocation cycle that starts with every agent free
// and makes one offer per agent. Returning the offers is not timed.
func BenchmarkAllocate(b *testing.B) {
	for _, n := range benchAgents {
		for _, m := range benchFrameworks {
			b.Run(fmt.Sprintf("agents=%d/frameworks=%d", n, m), func(b *testing.B) {
				c, report := benchCore(b, n, m)
				now := t0
				offers := 0
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					out := c.Allocate(now, nil)
					b.StopTimer()
					got := recoverAll(c, now, out, nil)
					if got != n {
						b.Fatalf("cycle made %d offers, want %d", got, n)
					}
					offers += got
					b.StartTimer()
				}
				b.ReportMetric(float64(offers)/float64(b.N), "offers/op")
				report()
			})
		}
	}
}

// One op adds N agents to an allocator with M frameworks and runs the
// event-triggered (batched) allocation over them.
func BenchmarkAddAgents(b *testing.B) {
	total := resources.MustParse(benchAgentResources).Upgrade()
	for _, n := range benchAgents {
		for _, m := range benchFrameworks {
			b.Run(fmt.Sprintf("agents=%d/frameworks=%d", n, m), func(b *testing.B) {
				ids := make([]string, n)
				infos := make([]*mesos.SlaveInfo, n)
				totals := make([]resources.Resources, n)
				for i := range ids {
					ids[i], infos[i] = benchAgent(i)
					totals[i] = total.Clone()
				}
				offers := 0
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					c, _ := benchCore(b, 0, m)
					b.StartTimer()
					for j, id := range ids {
						c.AddSlave(id, infos[j], nil, totals[j], nil)
					}
					offers += countOffers(c.Allocate(t0, ids))
				}
				b.ReportMetric(float64(offers)/float64(b.N), "offers/op")
			})
		}
	}
}

// Every offer is declined with a long filter; one op is the next cycle.
func BenchmarkDeclineCycle(b *testing.B) {
	refuse := &mesos.Filters{RefuseSeconds: proto.Float64(365 * 24 * 3600)}
	for _, n := range benchAgents {
		for _, m := range benchFrameworks {
			b.Run(fmt.Sprintf("agents=%d/frameworks=%d", n, m), func(b *testing.B) {
				c, _ := benchCore(b, n, m)
				now := t0
				out := c.Allocate(now, nil)
				offers := 0
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					recoverAll(c, now, out, refuse)
					now = now.Add(time.Second)
					b.StartTimer()
					out = c.Allocate(now, nil)
					offers += countOffers(out)
				}
				b.ReportMetric(float64(offers)/float64(b.N), "offers/op")
			})
		}
	}
}

// Mesos' LargeAndSmallQuota/2: 2,500 roles with a small quota (half an
// agent) and 500 with a large one (two agents), one framework each,
// 3,000 agents of cpus:2;mem:2048;disk:2048; guarantees equal limits.
// One op is the first cycle, which satisfies every quota; the following
// cycle, which finds nothing left, is reported as followup-ns.
func BenchmarkQuota(b *testing.B) {
	b.Run("roles=3000", func(b *testing.B) {
		const small, large = 2500, 500
		agents := small/5 + large*5
		total := resources.MustParse("cpus:2;mem:2048;disk:2048").Upgrade()
		smallQ := Quantities{"cpus": 1, "mem": 1024, "disk": 1024}
		largeQ := Quantities{"cpus": 4, "mem": 4096, "disk": 4096}
		var followup time.Duration
		offers := 0
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			c := NewCore(benchOptions())
			for r := 0; r < small+large; r++ {
				role, q := fmt.Sprintf("smallQuotaRole%d", r), smallQ
				if r >= small {
					role, q = fmt.Sprintf("largeQuotaRole%d", r-small), largeQ
				}
				fid := "framework-" + role
				c.AddFramework(fid, &mesos.FrameworkInfo{User: proto.String("u"), Name: proto.String("f"), Role: proto.String(role)}, nil, true, FrameworkOptions{})
				c.UpdateQuota(role, Quota{Guarantees: q, Limits: q})
			}
			for a := 0; a < agents; a++ {
				id, info := benchAgent(a)
				c.AddSlave(id, info, nil, total, nil)
			}
			b.StartTimer()
			offers += countOffers(c.Allocate(t0, nil))
			b.StopTimer()
			start := time.Now()
			if n := countOffers(c.Allocate(t0.Add(time.Second), nil)); n != 0 {
				b.Fatalf("follow-up cycle made %d offers", n)
			}
			followup += time.Since(start)
			b.StartTimer()
		}
		b.ReportMetric(float64(offers)/float64(b.N), "offers/op")
		b.ReportMetric(float64(followup.Nanoseconds())/float64(b.N), "followup-ns")
	})
}

// The pattern of a busy cluster: every agent runs one task per cpu, each
// with a sixteenth of its memory, and has only disk and ports left, which
// no framework may be offered alone (--min_allocatable_resources). One
// op gives one task's resources back on each of a few agents and runs a
// cycle over all agents; (not timed) the frameworks offered the freed
// resources launch a task there and decline the rest.
func BenchmarkFewRecovered(b *testing.B) {
	task := resources.MustParse("cpus:1;mem:4096").Upgrade()
	const perCycle = 16
	for _, n := range []int{10000, 50000} {
		m := 100
		b.Run(fmt.Sprintf("agents=%d/frameworks=%d", n, m), func(b *testing.B) {
			c, _ := benchCore(b, n, m)
			now := t0
			launch := func(out map[string]Offers) int {
				offers := 0
				for fid, byRole := range out {
					for role, byAgent := range byRole {
						for aid, r := range byAgent {
							offers++
							var kept resources.Resources
							for range int(r.Scalar("cpus")) {
								kept = kept.Add(task.Allocate(role))
							}
							if rest := r.Subtract(kept); !rest.IsEmpty() {
								c.RecoverResources(now, fid, aid, rest, nil)
							}
						}
					}
				}
				return offers
			}
			launch(c.Allocate(now, nil))
			if out := c.Allocate(now, nil); len(out) != 0 {
				b.Fatalf("leftovers offered: %d frameworks", len(out))
			}
			rng := rand.New(rand.NewPCG(1, 2))
			ids := c.Agents()
			offers := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for range perCycle {
					aid := ids[rng.IntN(len(ids))]
					for _, h := range c.agents[aid].allocated {
						if r := h.res; r.Scalar("cpus") >= 1 {
							role, _ := singleRole(r)
							c.RecoverResources(now, h.fid, aid, task.Allocate(role), nil)
							break
						}
					}
				}
				out := c.Allocate(now, nil)
				b.StopTimer()
				offers += launch(out)
				b.StartTimer()
			}
			b.ReportMetric(float64(offers)/float64(b.N), "offers/op")
		})
	}
}

// The cost of one finished task: every agent runs one task per cpu; one
// op gives one task's resources back (as the master does when a task
// ends). When every task has ended, (not timed) a cycle offers the agents
// again and the frameworks launch new tasks.
func BenchmarkRecoverTask(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		const m = 100
		b.Run(fmt.Sprintf("agents=%d/frameworks=%d", n, m), func(b *testing.B) { benchRecoverTask(b, n, m) })
	}
}

func benchRecoverTask(b *testing.B, n, m int) {
	task := resources.MustParse("cpus:1;mem:128").Upgrade()
	c, _ := benchCore(b, n, m)
	type running struct {
		fid, aid string
		res      resources.Resources
	}
	var tasks []running
	now := t0
	launch := func() {
		for fid, byRole := range c.Allocate(now, nil) {
			for role, byAgent := range byRole {
				for aid, r := range byAgent {
					var kept resources.Resources
					for range int(r.Scalar("cpus")) {
						t := task.Allocate(role)
						kept = kept.Add(t)
						tasks = append(tasks, running{fid, aid, t})
					}
					if rest := r.Subtract(kept); !rest.IsEmpty() {
						c.RecoverResources(now, fid, aid, rest, nil)
					}
				}
			}
		}
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(tasks), func(i, j int) { tasks[i], tasks[j] = tasks[j], tasks[i] })
	}
	launch()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(tasks) == 0 {
			b.StopTimer()
			launch()
			b.StartTimer()
		}
		t := tasks[len(tasks)-1]
		tasks = tasks[:len(tasks)-1]
		c.RecoverResources(now, t.fid, t.aid, t.res, nil)
	}
}

// Every framework declined every agent, with filters expiring a second
// apart in a thousand groups; one op is a cycle a second later, in which
// one group expires and its agents are offered again (declined again
// for a thousand seconds, not timed).
func BenchmarkExpireFew(b *testing.B) {
	const n, m = 10000, 10
	b.Run(fmt.Sprintf("agents=%d/frameworks=%d", n, m), func(b *testing.B) {
		c, _ := benchCore(b, n, m)
		now := t0
		declines := 0
		for {
			out := c.Allocate(now, nil)
			if len(out) == 0 {
				break
			}
			for fid, byRole := range out {
				for _, byAgent := range byRole {
					for aid, r := range byAgent {
						c.RecoverResources(now, fid, aid, r, &mesos.Filters{RefuseSeconds: proto.Float64(float64(2 + declines%1000))})
						declines++
					}
				}
			}
		}
		refuse := &mesos.Filters{RefuseSeconds: proto.Float64(1000)}
		offers := 0
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			now = now.Add(time.Second)
			out := c.Allocate(now, nil)
			b.StopTimer()
			offers += recoverAll(c, now, out, refuse)
			b.StartTimer()
		}
		b.ReportMetric(float64(offers)/float64(b.N), "offers/op")
		b.ReportMetric(float64(c.ActiveFilters(now)), "filters")
	})
}
