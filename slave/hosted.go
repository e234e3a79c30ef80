package slave

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/executordriver"
	"github.com/gomesos/gomesos/executordriver/command"
	"github.com/gomesos/gomesos/messages/mesos"
	"github.com/gomesos/gomesos/slave/containerizer"
)

// hostedExecutors runs the command executors the agent hosts
// (--command_executor=agent): for each, the executor driver's actor on
// the agent's own node and package command's executor, whose task is the
// container's process. It lives in the shell, beside the core: the core
// only asks for the container (LaunchContainer with Hosted) and sees the
// executor register, send updates and exit like any other.
type hostedExecutors struct {
	node   *actors.Node
	cont   Containerizer
	pidDir string // see transientPIDDir
	log    *logrus.Entry

	mu     sync.Mutex
	all    map[string]*hostedExecutor // by container id
	closed bool
}

// hostedExecutor is one hosted command executor.
type hostedExecutor struct {
	drv *executordriver.MesosExecutorDriver
	ce  *command.Executor
	// ended is closed once the container has ended; gone once the driver
	// has returned.
	ended chan struct{}
	term  *containerizer.Termination
	gone  chan struct{}
	// abandon is closed when the executor is to stop without waiting for
	// its task (the agent destroys the container, or stops).
	abandon     chan struct{}
	abandonOnce sync.Once
	cancel      context.CancelFunc
}

func newHostedExecutors(node *actors.Node, cont Containerizer, workDir string, log *logrus.Entry) *hostedExecutors {
	return &hostedExecutors{node: node, cont: cont, pidDir: transientPIDDir(workDir), log: log, all: map[string]*hostedExecutor{}}
}

// launch starts a hosted command task's container and then its executor
// (off the agent's mailbox).
func (h *hostedExecutors) launch(ctx context.Context, l LaunchContainer) error {
	cfg := l.Config
	// The pid is needed to signal the task, checkpointed or not; a task
	// nothing checkpoints is found by the next agent through a file of
	// its own and killed (see killHostedLeftovers).
	transient := cfg.PIDFile == ""
	pidFile := h.transientPIDFile(l.ContainerID)
	pid := 0
	cfg.Forked = func(p int) error {
		pid = p
		if !transient {
			return nil // the containerizer checkpointed it
		}
		return writeTransientPID(pidFile, p)
	}
	if err := h.cont.Launch(ctx, l.ContainerID, cfg); err != nil {
		if transient {
			_ = os.Remove(pidFile)
		}
		return err
	}
	if pid <= 0 {
		if transient {
			_ = os.Remove(pidFile)
		}
		return errors.New("the containerizer did not say the task's pid")
	}
	return h.start(l.ContainerID, pid, cfg.Env, l.Hosted, false)
}

// writeTransientPID records a hosted task's pid and start time for the
// next agent on this work dir, with no fsync and no rename: the file is
// on tmpfs where there is one, it matters only to an agent restarted in
// the same boot (after a reboot the task is gone anyway), and a reader
// acts only on a pid whose start time matches, so a torn or lost file
// kills nothing.
func writeTransientPID(path string, pid int) error {
	data := []byte(strconv.Itoa(pid))
	if start := processStart(pid); start != "" {
		data = append(append(data, ' '), start...)
	}
	err := os.WriteFile(path, data, 0o644)
	if errors.Is(err, os.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			err = os.WriteFile(path, data, 0o644)
		}
	}
	if err != nil {
		return fmt.Errorf("failed to record the task's pid: %w", err)
	}
	return nil
}

func (h *hostedExecutors) transientPIDFile(cid string) string {
	return filepath.Join(h.pidDir, cid+".pid")
}

// transientPIDDir is where the pids of hosted tasks of frameworks that do
// not checkpoint are kept while they run: on tmpfs (/dev/shm) when there
// is one, so that the containerizer's synced write of the pid costs no
// disk flush on the launch path (and the pids, meaningless after a
// reboot, go with it), else <work_dir>/hosted. One folder per work dir,
// made by the first such launch and removed, once empty, when the agent
// stops.
func transientPIDDir(workDir string) string {
	if st, err := os.Stat(shmDir); err == nil && st.IsDir() && syscall.Access(shmDir, 2) == nil {
		sum := sha256.Sum256([]byte(workDir))
		return filepath.Join(shmDir, "gomesos-hosted-"+hex.EncodeToString(sum[:8]))
	}
	return filepath.Join(workDir, hostedPIDDir)
}

// shmDir is the tmpfs transientPIDDir prefers.
var shmDir = "/dev/shm"

// hostedEndBound bounds the life of a hosted executor after its
// container ended.
const hostedEndBound = 2 * time.Minute

// hostedPIDDir is transientPIDDir's fallback under the work dir.
const hostedPIDDir = "hosted"

// killHostedLeftovers kills the hosted tasks of frameworks that do not
// checkpoint that a previous agent on workDir left running (it was
// killed): nothing recovers them, as no executor process outlives the
// agent to end them. A pid counts only if the process still is the one
// started (its start time, else: it leads its own session, as every
// task does).
func killHostedLeftovers(workDir string, log *logrus.Entry) {
	files, _ := filepath.Glob(filepath.Join(transientPIDDir(workDir), "*.pid"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil {
			fields := strings.Fields(string(b))
			pid := 0
			if len(fields) > 0 {
				pid, _ = strconv.Atoi(fields[0])
			}
			// Without its start time a pid may have been reused by any
			// process, a service leading its own session among them:
			// nothing is killed then (the core destroys the container).
			same := pid > 0 && len(fields) > 1 && processStart(pid) == fields[1]
			if same {
				log.WithFields(logrus.Fields{"pid": pid, "container_id": strings.TrimSuffix(filepath.Base(f), ".pid")}).
					Info("killing a hosted task the previous agent left: its framework does not checkpoint")
				_ = syscall.Kill(-pid, syscall.SIGKILL)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		_ = os.Remove(f)
	}
}

// statFields are the fields of /proc/<pid>/stat after the command.
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
		return nil
	}
	return f
}

// processStart is the process' start time (field 22 of its stat), "" if
// it is gone.
func processStart(pid int) string {
	if f := statFields(pid); len(f) > 19 {
		return f[19]
	}
	return ""
}

// restart hosts a recovered container's executor again.
func (h *hostedExecutors) restart(s StartHostedExecutor) {
	h.mu.Lock()
	_, dup := h.all[s.ContainerID]
	h.mu.Unlock()
	if dup {
		return
	}
	if err := h.start(s.ContainerID, s.PID, s.Env, &s.HostedExecutor, true); err != nil {
		h.log.WithFields(logrus.Fields{"container_id": s.ContainerID, "executor_id": s.ExecutorID}).WithError(err).
			Error("cannot host the recovered command executor; its task is killed")
		go func() { _ = h.cont.Destroy(context.Background(), s.ContainerID) }()
	}
}

func (h *hostedExecutors) start(cid string, pid int, env map[string]string, info *HostedExecutor, recovered bool) error {
	if info == nil || info.Task == nil {
		return errors.New("no task to host")
	}
	log := h.log.WithFields(logrus.Fields{"container_id": cid, "executor_id": env["MESOS_EXECUTOR_ID"], "framework_id": env["MESOS_FRAMEWORK_ID"]})
	ctx, cancel := context.WithCancel(context.Background())
	x := &hostedExecutor{ended: make(chan struct{}), gone: make(chan struct{}), abandon: make(chan struct{}), cancel: cancel}
	proc := &hostedTask{pid: pid, x: x, recovered: recovered}
	getenv := func(k string) string { return env[k] }
	x.ce = command.New(command.Config{
		Log:           log.WithField("component", "command-executor"),
		Getenv:        getenv,
		Start:         func(*mesos.TaskInfo) (command.Process, error) { return proc, nil },
		KeepTaskOnEnd: true,
	})
	drv, err := executordriver.NewMesosExecutorDriver(executordriver.DriverConfig{
		Executor: x.ce, Node: h.node, Getenv: getenv,
		Reregister: recovered, Tasks: []*mesos.TaskInfo{info.Task},
	})
	if err != nil {
		cancel()
		return err
	}
	x.drv = drv
	x.ce.SetDriver(drv)
	x.ce.SetShutdownGracePeriod(drv.ShutdownGracePeriod())
	if info.Framework != nil {
		x.ce.SetFramework(info.Framework)
	}
	if recovered {
		x.ce.Adopt(info.Task, proc)
	}

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		cancel()
		return errors.New("the agent is stopping")
	}
	h.all[cid] = x
	h.mu.Unlock()

	go func() {
		t, err := h.cont.Wait(ctx, cid)
		if err != nil {
			t = &containerizer.Termination{Message: err.Error()}
		} else {
			_ = os.Remove(h.transientPIDFile(cid))
		}
		x.term = t
		close(x.ended)
	}()
	go func() {
		defer close(x.gone)
		if _, err := drv.Run(); err != nil {
			log.WithError(err).Warn("hosted executor driver ended")
		}
	}()
	go func() {
		// The driver stops once the task's end is acknowledged, or when
		// the executor is abandoned after its container ended, or, as a
		// last resort, a while after the container ended (the command
		// executor waits for its acknowledgement at most a minute).
		select {
		case <-x.gone:
		case <-x.ended:
			select {
			case <-x.gone:
			case <-x.abandon:
				_, _ = drv.Stop()
			case <-time.After(hostedEndBound):
				log.Warn("hosted executor still running well after its container ended; stopping it")
				_, _ = drv.Stop()
			}
		}
		<-x.gone
		cancel()
		h.mu.Lock()
		if h.all[cid] == x {
			delete(h.all, cid)
		}
		h.mu.Unlock()
	}()
	return nil
}

// has reports whether the container's executor is hosted here and runs.
func (h *hostedExecutors) get(cid string) *hostedExecutor {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.all[cid]
}

// waitGone blocks until the container's hosted executor (if any) has
// stopped, or ctx ends: the core learns of the container's end after the
// executor's last update, as it would from an executor process.
func (h *hostedExecutors) waitGone(ctx context.Context, cid string) {
	x := h.get(cid)
	if x == nil {
		return
	}
	select {
	case <-x.gone:
	case <-ctx.Done():
	}
}

// destroying: the agent destroys the container; an executor whose task
// never started stops once the container has ended.
func (h *hostedExecutors) destroying(cid string) {
	if x := h.get(cid); x != nil {
		x.abandonOnce.Do(func() { close(x.abandon) })
	}
}

// close stops every hosted executor's driver, leaving the tasks alone
// (the agent destroys their containers or leaves them to recover).
func (h *hostedExecutors) close() {
	h.mu.Lock()
	h.closed = true
	all := make([]*hostedExecutor, 0, len(h.all))
	for _, x := range h.all {
		all = append(all, x)
	}
	h.mu.Unlock()
	for _, x := range all {
		_, _ = x.drv.Stop()
		x.cancel()
		<-x.gone
	}
	_ = os.Remove(h.pidDir) // only if empty
}

// hostedTask is a hosted executor's task: the container's process.
type hostedTask struct {
	pid       int
	x         *hostedExecutor
	recovered bool
}

func (p *hostedTask) Pid() int { return p.pid }

func (p *hostedTask) Wait() command.Exit {
	select {
	case <-p.x.ended:
	case <-p.x.gone:
		return command.Exit{Err: errors.New("the executor stopped")}
	}
	t := p.x.term
	if t.State != nil {
		return command.Exit{State: t.State, Reason: t.Reason, Message: t.Message}
	}
	if t.Status != nil {
		return command.Exit{Status: syscall.WaitStatus(*t.Status), Known: true}
	}
	if p.recovered {
		return command.Exit{Err: errors.New("the agent restarted while the task ran, so its exit status is unknown")}
	}
	msg := t.Message
	if msg == "" {
		msg = "unknown"
	}
	return command.Exit{Err: errors.New(msg)}
}
