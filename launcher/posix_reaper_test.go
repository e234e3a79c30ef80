package launcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// mainThread takes functions to run on the test binary's main thread,
// where the kernel puts a subreaper's orphans (TestMain serves it).
var mainThread = make(chan func())

// serveMainThread runs the tests and meanwhile serves mainThread from the
// main goroutine (kept on the main thread by libcontainer_init.go in cgo
// builds).
func serveMainThread(run func() int) int {
	done := make(chan int, 1)
	go func() { done <- run() }()
	for {
		select {
		case f := <-mainThread:
			f()
		case code := <-done:
			return code
		}
	}
}

// onMainThread runs fn on the main thread; false if it cannot.
func onMainThread(fn func()) bool {
	ok := make(chan bool)
	mainThread <- func() {
		if unix.Gettid() != unix.Getpid() {
			ok <- false
			return
		}
		fn()
		ok <- true
	}
	return <-ok
}

// waitCondition polls cond (it reads /proc) until it holds, failing the
// test with what() after a deadline.
func waitCondition(t *testing.T, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what())
		}
		time.Sleep(5 * time.Millisecond) // polling /proc for a child's state
	}
}

// A task's daemon (it called setsid and outlived its parents) is adopted
// by this subreaper; when it ends later, without any Destroy, it is
// reaped rather than left a zombie of ours.
func TestPosixReapsAnAdoptedDaemonWhenItEnds(t *testing.T) {
	if !subreaper() {
		t.Skip("cannot become a child subreaper")
	}
	if _, err := os.Stat("/usr/bin/setsid"); err != nil {
		t.Skip("no setsid")
	}
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ln := NewPosix()
	forkForTest(t, ln, "daemon", Spec{
		Path: "/bin/sh",
		Args: []string{"sh", "-c", `/usr/bin/setsid /bin/sh -c 'echo $$ > daemon; read x < fifo' &`},
		Env:  []string{"PATH=/usr/bin:/bin"},
		Dir:  dir,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if st, err := ln.Wait(ctx, "daemon"); err != nil || st.ExitCode() != 0 {
		t.Fatalf("first process: %v, %v", st, err)
	}
	pid, _ := strconv.Atoi(waitFile(t, filepath.Join(dir, "daemon")))
	st, ok := readStat(pid)
	if !ok || st.ppid != os.Getpid() || st.session != pid {
		t.Fatalf("the daemon %d is not an adopted session leader: %+v", pid, st)
	}

	// Let it end: it reads a line from the fifo.
	var w *os.File
	waitCondition(t, func() bool {
		var err error
		w, err = os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		return err == nil
	}, func() string { return "the daemon never opened the fifo" })
	if _, err := w.WriteString("go\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	waitCondition(t, func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(pid))
		return errors.Is(err, os.ErrNotExist)
	}, func() string {
		st, _ := readStat(pid)
		return fmt.Sprintf("the daemon %d was not reaped after it ended: %+v", pid, st)
	})
}

// Many short containers whose orphans end at once: the sweeps that reap
// the orphans never take the launcher's own children, whose Wait gets
// the real exit status, by every fork path (plain, held by ptrace at the
// exec, held at the shell gate, and that one from the main thread, where
// the launcher's children are listed among the adopted orphans).
func TestPosixSweepsNeverReapTheLaunchersOwnChildren(t *testing.T) {
	if !subreaper() {
		t.Skip("cannot become a child subreaper")
	}
	if _, err := os.Stat("/usr/bin/setsid"); err != nil {
		t.Skip("no setsid")
	}
	isolate := func(int) error { return nil }
	for _, path := range []struct {
		name    string
		isolate func(int) error
		ptrace  bool
		main    bool
	}{{"plain", nil, true, false}, {"ptrace", isolate, true, false}, {"gate", isolate, false, false}, {"gate-main-thread", isolate, false, true}} {
		t.Run(path.name, func(t *testing.T) {
			if !path.ptrace {
				ptraceGate = false
				t.Cleanup(func() { ptraceGate = true })
			}
			ln := NewPosix()
			const n, workers = 150, 8
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < n; i += workers {
						id := "c" + strconv.Itoa(i)
						code := i%250 + 1
						script := fmt.Sprintf(`/usr/bin/setsid /bin/sh -c 'exit 0' & /bin/sh -c 'exit 0' & exit %d`, code)
						spec := Spec{
							Path:    "/bin/sh",
							Args:    []string{"sh", "-c", script},
							Env:     []string{"PATH=/usr/bin:/bin"},
							Dir:     t.TempDir(),
							Isolate: path.isolate,
						}
						var err error
						fork := func() { _, err = ln.Fork(ctx, id, spec) }
						if !path.main {
							fork()
						} else if !onMainThread(fork) {
							errs <- errors.New("the main goroutine is not on the main thread")
							return
						}
						if err != nil {
							errs <- fmt.Errorf("fork %s: %w", id, err)
							continue
						}
						st, err := ln.Wait(ctx, id)
						switch {
						case err != nil:
							errs <- fmt.Errorf("wait %s: %w", id, err)
						case !st.Known || st.ExitCode() != code:
							errs <- fmt.Errorf("%s ended %+v, want exit code %d", id, st, code)
						}
						if err := ln.Destroy(ctx, id); err != nil {
							errs <- err
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			// And every orphan that ended has been reaped.
			var zombies []int
			waitCondition(t, func() bool {
				zombies = zombies[:0]
				kids, _ := adoptedChildren()
				for _, k := range kids {
					if st, ok := readStat(k); ok && st.state == 'Z' && st.session != ownSession() {
						zombies = append(zombies, k)
					}
				}
				return len(zombies) == 0
			}, func() string { return fmt.Sprintf("zombies left: %v", zombies) })
		})
	}
}

// BenchmarkReapEnded is the cost of the sweep each SIGCHLD sets off when
// no adopted orphan has ended (the launchers' own children ending: the
// burst's case), with no adopted orphan alive and with 200 (daemons
// that left their tasks: each waited for through its pidfd, not looked
// at again by a sweep).
func BenchmarkReapEnded(b *testing.B) {
	if _, ok := adoptedChildren(); !ok || !subreaper() {
		b.Skip("no children files, or not a subreaper")
	}
	b.Run("adopted=0", func(b *testing.B) {
		for b.Loop() {
			reapEnded()
		}
	})
	b.Run("adopted=200", func(b *testing.B) {
		const n = 200
		dir := b.TempDir()
		ln := NewPosix()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		script := `for i in $(seq ` + strconv.Itoa(n) + `); do /usr/bin/setsid /bin/sh -c 'echo $$ >> pids; exec sleep 1000' & done`
		if _, err := ln.Fork(ctx, "daemons", Spec{Path: "/bin/sh", Args: []string{"sh", "-c", script}, Env: []string{"PATH=/usr/bin:/bin"}, Dir: dir}); err != nil {
			b.Fatal(err)
		}
		if _, err := ln.Wait(ctx, "daemons"); err != nil {
			b.Fatal(err)
		}
		var pids []int
		deadline := time.Now().Add(time.Minute)
		for len(pids) < n {
			if time.Now().After(deadline) {
				b.Fatalf("%d daemons of %d started", len(pids), n)
			}
			time.Sleep(5 * time.Millisecond) // polling the file the daemons write
			text, _ := os.ReadFile(filepath.Join(dir, "pids"))
			pids = pids[:0]
			for _, f := range strings.Fields(string(text)) {
				if pid, err := strconv.Atoi(f); err == nil {
					pids = append(pids, pid)
				}
			}
		}
		defer func() {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}()
		reapEnded() // the first sweep that sees them watches them
		b.ResetTimer()
		for b.Loop() {
			reapEnded()
		}
	})
}
