package tests

import (
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosutil"
	"github.com/gomesos/gomesos/resources"
	sched "github.com/gomesos/gomesos/schedulerdriver"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/tests/harness"
)

// burstScheduler launches all its tasks from the first offer that holds
// them, then records every status update of every task.
type burstScheduler struct {
	total     int
	cpus, mem float64

	mu       sync.Mutex
	offers   int // offers seen before the burst went out
	launched bool
	updates  map[string][]mesos.TaskState
	ended    int
	failed   int
	done     chan struct{}
	errc     chan string
}

func newBurst(total int, cpus, mem float64) *burstScheduler {
	return &burstScheduler{total: total, cpus: cpus, mem: mem,
		updates: map[string][]mesos.TaskState{}, done: make(chan struct{}), errc: make(chan string, 1)}
}

func (s *burstScheduler) Registered(sched.SchedulerDriver, *mesos.FrameworkID, *mesos.MasterInfo) {}
func (s *burstScheduler) Reregistered(sched.SchedulerDriver, *mesos.MasterInfo)                   {}
func (s *burstScheduler) Disconnected(sched.SchedulerDriver)                                      {}
func (s *burstScheduler) OfferRescinded(sched.SchedulerDriver, *mesos.OfferID)                    {}
func (s *burstScheduler) FrameworkMessage(sched.SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, string) {
}
func (s *burstScheduler) SlaveLost(sched.SchedulerDriver, *mesos.SlaveID) {}
func (s *burstScheduler) ExecutorLost(sched.SchedulerDriver, *mesos.ExecutorID, *mesos.SlaveID, int) {
}
func (s *burstScheduler) Error(_ sched.SchedulerDriver, msg string) {
	select {
	case s.errc <- msg:
	default:
	}
}

func (s *burstScheduler) ResourceOffers(d sched.SchedulerDriver, offers []*mesos.Offer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range offers {
		need := resources.New(mesosutil.NewScalarResource("cpus", s.cpus), mesosutil.NewScalarResource("mem", s.mem))
		all := resources.New()
		for i := 0; i < s.total; i++ {
			all = all.Add(need)
		}
		if s.launched || !resources.New(o.GetResources()...).Contains(all) {
			s.offers++
			d.DeclineOffer(o.GetId(), &mesos.Filters{RefuseSeconds: proto.Float64(0)})
			continue
		}
		s.launched = true
		tasks := make([]*mesos.TaskInfo, s.total)
		for i := range tasks {
			id := fmt.Sprintf("burst-%d", i+1)
			tasks[i] = &mesos.TaskInfo{
				Name:      proto.String(id),
				TaskId:    mesosutil.NewTaskID(id),
				SlaveId:   o.GetSlaveId(),
				Command:   mesosutil.NewCommandInfo("true"),
				Resources: need,
			}
		}
		d.LaunchTasks([]*mesos.OfferID{o.GetId()}, tasks, &mesos.Filters{RefuseSeconds: proto.Float64(0)})
	}
}

func (s *burstScheduler) StatusUpdate(_ sched.SchedulerDriver, st *mesos.TaskStatus) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := st.GetTaskId().GetValue()
	s.updates[id] = append(s.updates[id], st.GetState())
	if st.GetState() != mesos.TaskState_TASK_FINISHED && terminal(st.GetState()) {
		s.failed++
		if s.failed <= 20 { // the first reasons, for the failure message
			fmt.Fprintf(os.Stderr, "burst: %s %s %s: %s\n", id, st.GetState(), st.GetReason(), st.GetMessage())
		}
	}
	if terminal(st.GetState()) {
		s.ended++
		if s.ended == s.total {
			close(s.done)
		}
	}
}

func terminal(st mesos.TaskState) bool {
	switch st {
	case mesos.TaskState_TASK_STAGING, mesos.TaskState_TASK_STARTING, mesos.TaskState_TASK_RUNNING, mesos.TaskState_TASK_KILLING:
		return false
	}
	return true
}

// burstResult is what a burst ended with.
type burstResult struct {
	elapsed  time.Duration // first offer handled to the last terminal update
	finished int
	problems []string // one line per task that did not go RUNNING then FINISHED
	workDir  string   // the agents' work directories, until the test ends
}

// executorLog is the end of the stderr of the executor of a task (a command
// task's executor has the task's ID).
func (r burstResult) executorLog(taskID string) string {
	var found string
	_ = filepath.WalkDir(r.workDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "stderr" && strings.Contains(p, "/executors/"+taskID+"/") {
			found = p
			return fs.SkipAll
		}
		return nil
	})
	if found == "" {
		return "(no executor sandbox)"
	}
	b, err := os.ReadFile(found)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-8):], "\n")
}

// failure describes what went wrong: the problems grouped, and the
// executor's log of one task of each group.
func (r burstResult) failure() string {
	s := summarise(r.problems)
	seen := map[string]bool{}
	for _, p := range r.problems {
		id, seq, _ := strings.Cut(p, ":")
		if seen[seq] {
			continue
		}
		seen[seq] = true
		s += fmt.Sprintf("\nexecutor log of %s:\n%s", id, r.executorLog(id))
	}
	return s
}

// runBurst starts a one-agent cluster, launches total command tasks in one
// offer and waits for every task to end.
// started, if not nil, is called with the cluster before the framework
// starts.
func runBurst(tb testing.TB, total int, cpus, mem float64, opts harness.Options, timeout time.Duration, started func(*harness.Cluster)) burstResult {
	tb.Helper()
	opts.Agents = 1
	c := harness.Start(tb, opts)
	c.WaitAgents(1, 30*time.Second)
	if started != nil {
		started(c)
	}
	s := newBurst(total, cpus, mem)
	driver, err := sched.NewMesosSchedulerDriver(sched.DriverConfig{
		Scheduler: s,
		Framework: &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("burst")},
		Master:    c.MasterAddr(),
		Node:      c.Node,
	})
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	if st, err := driver.Start(); err != nil || st != mesos.Status_DRIVER_RUNNING {
		tb.Fatalf("start: %v %v", st, err)
	}
	defer driver.Stop(false)
	select {
	case <-s.done:
	case msg := <-s.errc:
		tb.Fatalf("framework error: %s", msg)
	case <-time.After(timeout):
	}
	elapsed := time.Since(start)

	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.launched {
		tb.Fatalf("no offer held all %d tasks (%d offers declined)", total, s.offers)
	}
	r := burstResult{elapsed: elapsed, workDir: c.WorkDir}
	for i := 1; i <= total; i++ {
		id := fmt.Sprintf("burst-%d", i)
		seq := s.updates[id]
		running, last := false, mesos.TaskState(-1)
		for _, st := range seq {
			running = running || st == mesos.TaskState_TASK_RUNNING
			last = st
		}
		switch {
		case last == mesos.TaskState_TASK_FINISHED && running:
			r.finished++
		case len(seq) == 0:
			r.problems = append(r.problems, id+": no update")
		default:
			r.problems = append(r.problems, fmt.Sprintf("%s: %v", id, seq))
		}
	}
	return r
}

// summarise groups problems by their update sequence, most common first.
func summarise(problems []string) string {
	count := map[string]int{}
	example := map[string]string{}
	for _, p := range problems {
		k := p[strings.Index(p, ":")+1:]
		count[k]++
		if example[k] == "" {
			example[k] = p[:strings.Index(p, ":")]
		}
	}
	keys := make([]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return count[keys[i]] > count[keys[j]] })
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %d tasks (e.g. %s):%s", count[k], example[k], k)
	}
	return b.String()
}

// 300 command tasks accepted in one offer on one agent all run and finish,
// and the framework sees RUNNING and FINISHED for each, with executor
// processes and with executors the agent hosts (--command_executor).
// Failures are grouped by the updates the tasks got; the reasons are on
// stderr.
func TestBurstOfCommandTasksAllFinish(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 300 tasks")
	}
	const n = 300
	for _, mode := range []string{slave.CommandExecutorProcess, slave.CommandExecutorAgent} {
		t.Run(mode, func(t *testing.T) {
			opts := harness.Options{AgentResources: "cpus:4;mem:4096;disk:1024;ports:[31000-32000]"}
			opts.Agent = func(_ int, c *slave.Config) { c.CommandExecutor = mode }
			r := runBurst(t, n, 0.01, 8, opts, 5*time.Minute, nil)
			if r.finished != n {
				t.Fatalf("%d of %d tasks went RUNNING then FINISHED in %v; the others:%s",
					r.finished, n, r.elapsed.Round(time.Millisecond), r.failure())
			}
			t.Logf("%d tasks finished in %v", n, r.elapsed.Round(time.Millisecond))
		})
	}
}

// BenchmarkLaunchBurst1000 launches 1,000 command tasks in one offer on one
// agent and reports the time to the last TASK_FINISHED, the CPU time per
// task of this process (master, agent and framework share it) and of its
// reaped children (the executors and their tasks), the peak RSS of this
// process, the peak of the summed PSS of all executors, and the slowest
// answers of the agent's /health and /state during the burst (polled one
// after the other, every 100 ms). The CPU of the PSS sampler's and the
// poller's goroutines (each locked to a thread) is left out of this
// process' figure; the agent's work answering the polls, the HTTP client's
// connection goroutines and the garbage they make are not.
// GOMESOS_BURST_MAX_LAUNCHES, if set, is the agent's MaxLaunchesInFlight
// (negative: no cap), to compare launch pacing; MESOS_COMMAND_EXECUTOR
// (process or agent) picks who runs the command executors.
func BenchmarkLaunchBurst1000(b *testing.B) {
	const n = 1000
	opts := harness.Options{AgentResources: "cpus:20;mem:16384;disk:1024;ports:[31000-32000]"}
	max := 0
	if v := os.Getenv("GOMESOS_BURST_MAX_LAUNCHES"); v != "" {
		var err error
		if max, err = strconv.Atoi(v); err != nil {
			b.Fatalf("GOMESOS_BURST_MAX_LAUNCHES: %v", err)
		}
	}
	mode := os.Getenv("MESOS_COMMAND_EXECUTOR")
	opts.Agent = func(_ int, c *slave.Config) {
		if max != 0 {
			c.MaxLaunchesInFlight = max
		}
		c.CommandExecutor = mode
	}
	for i := 0; i < b.N; i++ {
		stop := make(chan struct{})
		peak := make(chan sampled, 1)
		if mode == slave.CommandExecutorAgent {
			// No executor processes to sample (and the sampler's scans of
			// /proc would take CPU from the burst).
			peak <- sampled{}
		} else {
			go func() { peak <- sampleExecutorsPSS(stop) }()
		}
		polled := make(chan pollResult, 1)
		poll := func(c *harness.Cluster) {
			base := "http://" + c.MasterAddr() + "/" + c.Agents[0].PID().ID
			go func() { polled <- pollAgent(base, stop) }()
		}
		self0, children0 := cpuTime(b, syscall.RUSAGE_SELF), cpuTime(b, syscall.RUSAGE_CHILDREN)
		r := runBurst(b, n, 0.01, 8, opts, 10*time.Minute, poll)
		self, children := cpuTime(b, syscall.RUSAGE_SELF)-self0, cpuTime(b, syscall.RUSAGE_CHILDREN)-children0
		close(stop)
		pr, ps := <-polled, <-peak
		self -= pr.cpu + ps.cpu
		if r.finished != n {
			b.Fatalf("%d of %d tasks finished in %v; the others:%s", r.finished, n, r.elapsed, r.failure())
		}
		if pr.err != "" {
			b.Logf("%d failed answers from the agent during the burst; the first: %s", pr.failed, pr.err)
		}
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(r.elapsed.Seconds(), "s-to-all-finished")
		b.ReportMetric(ms(self+children)/n, "cpu-ms/task")
		b.ReportMetric(ms(self)/n, "cluster-cpu-ms/task")
		b.ReportMetric(ms(children)/n, "children-cpu-ms/task")
		b.ReportMetric(float64(ps.peak)/(1<<20), "executors-peak-pss-MB")
		b.ReportMetric(float64(maxRSS(b))/(1<<10), "agent-process-peak-MB")
		b.ReportMetric(ms(pr.worst["/health"]), "health-worst-ms")
		b.ReportMetric(ms(pr.worst["/state"]), "state-worst-ms")
		b.ReportMetric(float64(pr.slow), "answers-over-1s")
		b.ReportMetric(float64(pr.failed), "failed-answers")
		b.ReportMetric(ms(pr.cpu+ps.cpu), "samplers-cpu-ms")
	}
}

// rusageThread is Linux' RUSAGE_THREAD: the calling thread's usage.
const rusageThread = 1

// threadCPU is the CPU time of the calling OS thread so far.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pollResult is what pollAgent saw.
type pollResult struct {
	cpu    time.Duration            // the poller's own CPU
	worst  map[string]time.Duration // slowest answer per endpoint
	slow   int                      // answers that took over a second
	failed int                      // answers that were errors or not 200
	err    string                   // the first failure, if any
}

// pollAgent asks the agent at base for /health then /state every 100 ms
// until stop closes, timing each answer in full (body read).
func pollAgent(base string, stop <-chan struct{}) pollResult {
	runtime.LockOSThread() // so that threadCPU is this goroutine's
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	r := pollResult{worst: map[string]time.Duration{}}
	client := &http.Client{Timeout: 30 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			r.cpu = threadCPU() - cpu0
			return r
		case <-tick.C:
		}
		for _, path := range []string{"/health", "/state"} {
			t0 := time.Now()
			resp, err := client.Get(base + path)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			d := time.Since(t0)
			if err != nil {
				r.failed++
				if r.err == "" {
					r.err = path + ": " + err.Error()
				}
			}
			r.worst[path] = max(r.worst[path], d)
			if d > time.Second {
				r.slow++
			}
		}
	}
}

// cpuTime is the user and system time of this process (RUSAGE_SELF) or of
// its reaped children (RUSAGE_CHILDREN).
func cpuTime(tb testing.TB, who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// maxRSS is this process' peak resident set in KB.
func maxRSS(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Maxrss
}

// sampled is what sampleExecutorsPSS found.
type sampled struct {
	peak int64         // bytes
	cpu  time.Duration // the sampler's own CPU
}

// sampleExecutorsPSS sums the proportional set size (shared pages split
// between the processes that map them) of this process' mesos-executor
// children every 50 ms until stop closes, and returns the largest sum.
func sampleExecutorsPSS(stop <-chan struct{}) sampled {
	runtime.LockOSThread() // so that threadCPU is this goroutine's
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	self := strconv.Itoa(os.Getpid())
	var peak int64
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return sampled{peak: peak, cpu: threadCPU() - cpu0}
		case <-tick.C:
		}
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		var sum int64
		for _, p := range stats {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...; comm may hold spaces.
			s := string(b)
			end := strings.LastIndexByte(s, ')')
			if end < 0 || !strings.Contains(s[:end], "(mesos-executor") {
				continue
			}
			if f := strings.Fields(s[end+1:]); len(f) < 2 || f[1] != self {
				continue
			}
			sum += pssKB(filepath.Join(filepath.Dir(p), "smaps_rollup")) << 10
		}
		peak = max(peak, sum)
	}
}

// pssKB reads the Pss line of a smaps_rollup file (0 if it cannot).
func pssKB(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Pss:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
