package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/messages/mesosinternal"
	"google.golang.org/protobuf/proto"
)

// BenchmarkStartToRegistration starts the built bin/mesos-executor as an
// agent does (its MESOS_* environment) against a process of this test
// playing the agent, and measures each executor from its start to the
// agent's receipt of its RegisterExecutorMessage (wall, p50 and p99), and
// the CPU the executor used over its whole life (start, registration, then
// shutdown on ShutdownExecutorMessage; user+sys from its rusage):
//
//	make build
//	GOMESOS_BIN_DIR=$PWD/bin go test -run '^$' -bench StartToRegistration -benchtime 40x ./cmd/mesos-executor/
func BenchmarkStartToRegistration(b *testing.B) {
	dir := os.Getenv("GOMESOS_BIN_DIR")
	if dir == "" {
		b.Skip("GOMESOS_BIN_DIR is not set (make build, then GOMESOS_BIN_DIR=$PWD/bin)")
	}
	bin := filepath.Join(dir, "mesos-executor")
	if _, err := os.Stat(bin); err != nil {
		b.Skip(err)
	}
	node, err := actors.Shared()
	if err != nil {
		b.Fatal(err)
	}
	type reg struct {
		from actors.PID
		at   time.Time
	}
	regs := make(chan reg, 1)
	agent, err := node.Spawn("slave(bench)", agentProc(func(c *actors.Context) {
		actors.Install(c, func(from actors.PID, _ *mesosinternal.RegisterExecutorMessage) {
			regs <- reg{from, time.Now()}
		})
	}))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { node.Stop(agent) })
	sandbox := b.TempDir()
	env := append(os.Environ(),
		"MESOS_SLAVE_PID="+agent.String(),
		"MESOS_SLAVE_ID=agent-1",
		"MESOS_FRAMEWORK_ID=fw-1",
		"MESOS_DIRECTORY="+sandbox,
		"MESOS_SANDBOX="+sandbox,
		"LIBPROCESS_IP=127.0.0.1",
	)
	var walls []time.Duration
	var cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(bin)
		cmd.Env = append(env, "MESOS_EXECUTOR_ID=exec-"+time.Now().Format("150405.000000000"))
		cmd.Dir = sandbox
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		var r reg
		select {
		case r = <-regs:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			b.Fatal("no RegisterExecutorMessage within 30 s")
		}
		walls = append(walls, r.at.Sub(start))
		node.Send(agent, r.from, &mesosinternal.ShutdownExecutorMessage{
			FrameworkId: &mesos.FrameworkID{Value: proto.String("fw-1")},
		})
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			b.Fatal("the executor did not exit within 30 s of its shutdown")
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.StopTimer()
	slices.Sort(walls)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(walls[len(walls)/2]), "start-to-register-p50-ms")
	b.ReportMetric(ms(walls[len(walls)*99/100]), "start-to-register-p99-ms")
	b.ReportMetric(ms(cpu)/float64(b.N), "cpu-ms/executor")
}

// agentProc is a process that installs handlers and nothing else.
type agentProc func(c *actors.Context)

func (f agentProc) Initialize(c *actors.Context) { f(c) }
