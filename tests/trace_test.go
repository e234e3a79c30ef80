package tests

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosutil"
	"github.com/gomesos/gomesos/resources"
	sched "github.com/gomesos/gomesos/schedulerdriver"
	"github.com/gomesos/gomesos/slave"
	"github.com/gomesos/gomesos/tests/harness"
	"github.com/gomesos/gomesos/tracing"
)

// startTracing records the cluster's node into dir/cluster.jsonl.
func startTracing(t testing.TB, c *harness.Cluster, dir string, payloads bool) (*tracing.Recorder, string) {
	t.Helper()
	path := filepath.Join(dir, "cluster.jsonl")
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	rec, err := tracing.New(tracing.Options{Process: c.Node.Address(), Program: "harness", File: path, Payloads: payloads, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	c.Node.SetTracer(rec)
	t.Cleanup(func() { c.Node.SetTracer(nil); rec.Close() })
	return rec, path
}

// executorTraces lists the trace files the executors wrote in their
// sandboxes under root.
func executorTraces(root string) []string {
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == tracing.ExecutorTraceFileName {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// launchOne launches one command task on the first offer big enough.
func launchOne(id, command string) func(sched.SchedulerDriver, []*mesos.Offer) {
	var once sync.Once
	return func(d sched.SchedulerDriver, offers []*mesos.Offer) {
		for _, o := range offers {
			need := resources.New(mesosutil.NewScalarResource("cpus", 0.1), mesosutil.NewScalarResource("mem", 32))
			if !resources.New(o.GetResources()...).Contains(need) {
				continue
			}
			launched := false
			once.Do(func() {
				launched = true
				d.LaunchTasks([]*mesos.OfferID{o.GetId()}, []*mesos.TaskInfo{{
					Name: proto.String(id), TaskId: mesosutil.NewTaskID(id), SlaveId: o.GetSlaveId(),
					Command: mesosutil.NewCommandInfo(command), Resources: need,
				}}, nil)
			})
			if launched {
				return
			}
		}
	}
}

// A traced task launch on an in-process cluster, with a real
// mesos-executor writing its own trace (the agent hands it the file):
// merged, the task's flow has the expected messages, in the expected
// order, between the scheduler's, the master's, the agent's and the
// executor's PIDs, every one traced on both ends.
func TestTracedTaskLaunch(t *testing.T) {
	c := harness.Start(t, harness.Options{Agent: func(_ int, cfg *slave.Config) { cfg.TraceExecutors = true }})
	rec, clusterFile := startTracing(t, c, t.TempDir(), false)
	c.WaitAgents(1, 30*time.Second)

	s := harness.NewSched()
	s.OnOffers = launchOne("traced", "true")
	d := c.Driver(s.AsScheduler(), nil)
	if st, err := d.Start(); err != nil || st != mesos.Status_DRIVER_RUNNING {
		t.Fatalf("start: %v %v", st, err)
	}
	for {
		u := harness.Recv(t, s.Updates, 60*time.Second, "status update")
		if u.GetState() == mesos.TaskState_TASK_FINISHED {
			break
		}
		if u.GetState() != mesos.TaskState_TASK_STARTING && u.GetState() != mesos.TaskState_TASK_RUNNING {
			t.Fatalf("update %v: %s", u.GetState(), u.GetMessage())
		}
	}
	// The executor exits once its last update is acknowledged; its file
	// then holds the three acknowledgements.
	var execFile string
	harness.Eventually(t, 30*time.Second, func() bool {
		files := executorTraces(c.WorkDir)
		if len(files) != 1 {
			return false
		}
		execFile = files[0]
		recs, err := tracing.ReadFiles(files)
		if err != nil {
			return false
		}
		acks := 0
		for _, r := range recs {
			if r.Kind == tracing.Received && tracing.ShortType(r.Type) == "StatusUpdateAcknowledgementMessage" {
				acks++
			}
		}
		return acks == 3
	}, "the executor's trace of its three acknowledgements")
	rec.Flush()

	recs, err := tracing.ReadFiles([]string{clusterFile, execFile})
	if err != nil {
		t.Fatal(err)
	}
	flow := tracing.Messages(tracing.SelectFlow(tracing.Merge(recs), tracing.Selector{Task: "traced"}))

	master, agent, scheduler := c.Master.PID(), c.Agents[0].PID(), d.PID()
	var executor actors.PID
	for _, m := range flow {
		if tracing.ShortType(m.Type) == "RegisterExecutorMessage" {
			executor, _ = actors.ParsePID(m.From)
		}
	}
	if executor.IsZero() || executor.Address == c.Node.Address() {
		t.Fatalf("no executor of its own process in the flow:\n%s", describe(flow))
	}
	role := map[string]string{master.String(): "master", agent.String(): "agent", scheduler.String(): "scheduler", executor.String(): "executor"}
	// Chains of causes and effects: each must appear in this order in the
	// merged flow, whatever else comes between.
	type hop struct{ label, from, to string }
	main := []hop{
		{"ResourceOffersMessage", "master", "scheduler"},
		{"Call ACCEPT", "scheduler", "master"},
		{"RunTaskMessage", "master", "agent"},
		{"RegisterExecutorMessage", "executor", "agent"},
		{"ExecutorRegisteredMessage", "agent", "executor"},
		{"RunTaskMessage", "agent", "executor"},
		{"StatusUpdateMessage TASK_STARTING", "executor", "agent"},
	}
	chains := [][]hop{}
	for _, state := range []string{"TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"} {
		// The agent forwards an update once the previous one is
		// acknowledged, and acknowledges the executor's at once.
		main = append(main,
			hop{"StatusUpdateMessage " + state, "agent", "master"},
			hop{"StatusUpdateMessage " + state, "master", "scheduler"},
			hop{"Call ACKNOWLEDGE", "scheduler", "master"},
			hop{"StatusUpdateAcknowledgementMessage", "master", "agent"},
		)
		chains = append(chains,
			[]hop{{"StatusUpdateMessage " + state, "executor", "agent"}, {"StatusUpdateMessage " + state, "agent", "master"}},
			[]hop{{"StatusUpdateMessage " + state, "executor", "agent"}, {"StatusUpdateAcknowledgementMessage", "agent", "executor"}},
		)
	}
	chains = append(chains, main)
	for _, chain := range chains {
		k := 0
		for _, m := range flow {
			if k < len(chain) && m.Label() == chain[k].label && role[m.From] == chain[k].from && role[m.To] == chain[k].to {
				if m.Send == nil || m.Recv == nil || m.Recv.Kind != tracing.Received {
					t.Errorf("%s %s → %s: not traced on both ends", m.Label(), chain[k].from, chain[k].to)
				}
				k++
			}
		}
		if k < len(chain) {
			t.Fatalf("the flow lacks %s %s → %s after %s %s → %s; flow:\n%s", chain[k].label, chain[k].from, chain[k].to,
				chain[max(k-1, 0)].label, chain[max(k-1, 0)].from, chain[max(k-1, 0)].to, describe(flow))
		}
	}
	if st := rec.Stats(); st.Dropped != 0 || st.Written == 0 {
		t.Errorf("cluster trace stats %+v", st)
	}
}

func describe(flow []tracing.Message) string {
	var b strings.Builder
	for _, m := range flow {
		fmt.Fprintf(&b, "  %-45s %s → %s (%s)\n", m.Label(), m.From, m.To, m.Outcome())
	}
	return b.String()
}

// cleanupTB runs the cleanups registered through it when told to, so that
// a benchmark can start and stop clusters round after round.
type cleanupTB struct {
	testing.TB
	cleanups []func()
}

func (c *cleanupTB) Cleanup(f func()) { c.cleanups = append(c.cleanups, f) }

func (c *cleanupTB) run() {
	for i := len(c.cleanups) - 1; i >= 0; i-- {
		c.cleanups[i]()
	}
	c.cleanups = nil
}

// launchRoundTasks is the number of tasks of each round of
// BenchmarkLaunchTracing.
const launchRoundTasks = 300

// BenchmarkLaunchTracing: tasks per second on a saturated in-process
// cluster (three agents, real mesos-executor processes) with tracing off
// and with every message traced to files (the cluster's node to one file,
// every executor to its own), in alternating rounds of one run:
//
//	go test -run '^$' -bench BenchmarkLaunchTracing -benchtime 3x ./tests/
//
// Each op is one round per mode, each on a fresh cluster. Reported: tasks
// per second per mode, file/off, and the events written and dropped per
// round (cluster and executors).
func BenchmarkLaunchTracing(b *testing.B) {
	type result struct {
		tasks            int
		elapsed          time.Duration
		written, dropped uint64
		execFiles        int
	}
	var off, file result
	round := func(traced bool, r *result) {
		tb := &cleanupTB{TB: b}
		defer tb.run()
		c := harness.Start(tb, harness.Options{Agents: 3, AgentResources: "cpus:2;mem:4096;disk:1024;ports:[31000-32000]",
			Agent: func(_ int, cfg *slave.Config) { cfg.TraceExecutors = traced }})
		var rec *tracing.Recorder
		if traced {
			rec, _ = startTracing(tb, c, b.TempDir(), false)
		}
		c.WaitAgents(3, 30*time.Second)
		s := newBatch(launchRoundTasks)
		driver, err := sched.NewMesosSchedulerDriver(sched.DriverConfig{
			Scheduler: s,
			Framework: &mesos.FrameworkInfo{User: proto.String(""), Name: proto.String("bench")},
			Master:    c.MasterAddr(),
			Node:      c.Node,
		})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		driver.Start()
		select {
		case <-s.done:
		case <-time.After(10 * time.Minute):
			b.Fatal("timed out")
		}
		r.elapsed += time.Since(start)
		r.tasks += launchRoundTasks
		driver.Stop(false)
		driver.Join()
		s.mu.Lock()
		bad := s.bad
		s.mu.Unlock()
		if len(bad) > 0 {
			b.Fatalf("tasks failed: %v", bad[:min(len(bad), 5)])
		}
		if !traced {
			return
		}
		rec.Close()
		st := rec.Stats()
		r.written += st.Written
		r.dropped += st.Dropped
		// The executors' own files (complete for those that exited).
		files := executorTraces(c.WorkDir)
		r.execFiles += len(files)
		for _, f := range files {
			recs, err := tracing.ReadFiles([]string{f})
			if err != nil {
				b.Fatal(err)
			}
			for _, x := range recs {
				switch {
				case x.Kind == tracing.Lost:
					r.dropped += x.Lost
				case x.Kind.IsMessage():
					r.written++
				}
			}
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		round(false, &off)
		round(true, &file)
	}
	b.StopTimer()
	rate := func(r result) float64 { return float64(r.tasks) / r.elapsed.Seconds() }
	b.ReportMetric(rate(off), "off-tasks/s")
	b.ReportMetric(rate(file), "file-tasks/s")
	b.ReportMetric(rate(file)/rate(off), "file/off")
	b.ReportMetric(float64(file.written)/float64(b.N), "events-written/round")
	b.ReportMetric(float64(file.dropped)/float64(b.N), "events-dropped/round")
	b.ReportMetric(float64(file.execFiles)/float64(b.N), "executor-files/round")
}

// The real binaries trace to their files (the agent's executor to its
// sandbox), the master serves its recent events over HTTP, and SIGTERM
// writes out what is queued: the four processes' files merge into the
// task's whole flow, and the master's and agent's end with a clean close.
func TestTracedBinaries(t *testing.T) {
	dir := harness.TempDir(t)
	file := func(n string) string { return filepath.Join(dir, n+".jsonl") }
	master := harness.StartProc(t, "mesos-master", "--ip=127.0.0.1", "--port=0", "--trace_file="+file("master"))
	addr := master.WaitOutput(t, harness.HTTPAddr, 30*time.Second)
	agent := harness.StartProc(t, "mesos-agent", "--master="+addr, "--ip=127.0.0.1", "--port=0",
		"--work_dir="+filepath.Join(dir, "agent"), "--resources=cpus:2;mem:1024;disk:1024;ports:[31000-31100]",
		"--trace_file="+file("agent"), "--trace_payloads")
	agent.WaitOutput(t, harness.HTTPAddr, 30*time.Second)
	exec := harness.StartProc(t, "mesos-execute", "--master="+addr, "--name=traced", "--command=true", "--trace_file="+file("execute"))
	if code, err := exec.Wait(60 * time.Second); err != nil || code != 0 {
		t.Fatalf("mesos-execute exit %d, %v:\n%s", code, err, exec.Output())
	}
	// The master's ring has the task's flow as the master saw it.
	st, err := harness.GetJSON("http://" + addr + "/trace?task=traced")
	if err != nil {
		t.Fatal(err)
	}
	if evs, _ := st["events"].([]any); len(evs) < 10 {
		t.Fatalf("/trace?task=traced: %v", st)
	}
	for _, p := range []*harness.Proc{agent, master} {
		p.Signal(syscall.SIGTERM)
		if code, err := p.Wait(30 * time.Second); err != nil || code != 0 {
			t.Fatalf("%s after SIGTERM: exit %d, %v", p.Name, code, err)
		}
	}
	execFiles := executorTraces(filepath.Join(dir, "agent"))
	if len(execFiles) != 1 {
		t.Fatalf("executor traces %v", execFiles)
	}
	recs, err := tracing.ReadFiles(append([]string{file("master"), file("agent"), file("execute")}, execFiles...))
	if err != nil {
		t.Fatal(err)
	}
	merged := tracing.Merge(recs)
	if n := len(merged[0].Processes); n != 4 {
		t.Fatalf("%d processes: %+v", n, merged[0].Processes)
	}
	var labels []string
	payloads := 0
	for _, m := range tracing.Messages(tracing.SelectFlow(merged, tracing.Selector{Task: "traced"})) {
		labels = append(labels, m.Label())
		if m.Recv != nil && len(m.Recv.Payload) > 0 {
			payloads++
		}
	}
	flow := strings.Join(labels, ",")
	for _, want := range []string{"ResourceOffersMessage,Call ACCEPT,RunTaskMessage,RegisterExecutorMessage,ExecutorRegisteredMessage,RunTaskMessage",
		"StatusUpdateMessage TASK_RUNNING", "StatusUpdateMessage TASK_FINISHED", "StatusUpdateAcknowledgementMessage"} {
		if !strings.Contains(flow, want) {
			t.Errorf("flow lacks %s:\n%s", want, flow)
		}
	}
	if payloads == 0 {
		t.Error("--trace_payloads: no payload in the agent's or executor's events")
	}
	// SIGTERM closed the daemons' files: the logs say what was written.
	for _, p := range []*harness.Proc{master, agent} {
		if !strings.Contains(p.Output(), "dropped=0") || !strings.Contains(p.Output(), "closed") {
			t.Errorf("%s did not report closing its trace:\n%s", p.Name, p.Output())
		}
	}
}
