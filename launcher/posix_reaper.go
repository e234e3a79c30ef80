package launcher

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The posix launcher makes this process a child subreaper
// (PR_SET_CHILD_SUBREAPER) before its first fork. A container process
// whose parent dies then becomes a child of this process rather than of
// init, and the kernel hands such orphans to the process' main thread.
// Every member of a container's session is a descendant of the
// container's first process (a session cannot be joined, only left), so
// once that process has been reaped, the members still alive are orphans
// of ours or descendants of such orphans that are members too: Destroy
// finds them in one children file instead of reading all of /proc.
//
// Adopted orphans are reaped here, and only they. The launchers record
// every child they start in another session (trackFork) until they have
// reaped it; children started in this process' own session (os/exec
// elsewhere in the agent) are left to whoever started them. Any other
// child of ours that has ended was adopted, so nobody else waits for it:
// on each SIGCHLD one goroutine reaps those (reapAdopted), session
// leaders too (a task's process that called setsid and outlived its
// parents). An orphan a sweep finds alive is waited for through a pidfd
// and reaped when it ends, so that later sweeps pass over it.

// subreaper reports whether this process is a child subreaper (it asks
// to become one on the first call, and then starts reaping adopted
// orphans as they end).
var subreaper = sync.OnceValue(func() bool {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGCHLD)
	if unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != nil {
		signal.Stop(sigs)
		return false
	}
	go reapAdopted(sigs)
	return true
})

// forks is held shared by a fork until its child is recorded in own, and
// exclusively while adopted orphans are reaped, so that a sweep never
// takes a child of ours it has not been told about for an orphan, and a
// pid is never reaped twice (the second time it could be another
// process).
var forks sync.RWMutex

// own counts, by pid, the children the launchers started and will reap
// themselves (a count: a pid reaped and reused may be recorded again
// before its first record is dropped).
var own = struct {
	sync.Mutex
	pids map[int]int
}{pids: map[int]int{}}

// trackFork runs start, which starts a child that the caller will reap
// itself and returns its pid (0 if none started), and records the child
// before any sweep can see it. Call untrack(pid) once it is reaped.
func trackFork(start func() int) int {
	forks.RLock()
	defer forks.RUnlock()
	pid := start()
	if pid > 0 {
		own.Lock()
		own.pids[pid]++
		own.Unlock()
	}
	return pid
}

// untrack drops a child recorded by trackFork, after it has been reaped.
func untrack(pid int) {
	own.Lock()
	defer own.Unlock()
	if n := own.pids[pid]; n > 1 {
		own.pids[pid] = n - 1
	} else {
		delete(own.pids, pid)
	}
}

// owned tells whether pid is a child recorded by trackFork.
func owned(pid int) bool {
	own.Lock()
	defer own.Unlock()
	return own.pids[pid] > 0
}

// ownSession is this process' session id.
var ownSession = sync.OnceValue(func() int {
	sid, err := unix.Getsid(0)
	if err != nil {
		return -1
	}
	return sid
})

// reapAdopted reaps the adopted orphans that have ended each time a child
// of ours ends (SIGCHLD; signals that come together are one sweep, which
// reads the whole list).
func reapAdopted(sigs <-chan os.Signal) {
	for range sigs {
		reapEnded()
	}
}

// watched holds the live adopted orphans that a goroutine waits for
// through a pidfd (watchOrphan), which a sweep then passes over without
// reading their stat: a sweep costs little more than the children file,
// however many daemons the agent has adopted.
var watched = struct {
	sync.Mutex
	pids map[int]bool
}{pids: map[int]bool{}}

func isWatched(pid int) bool {
	watched.Lock()
	defer watched.Unlock()
	return watched.pids[pid]
}

// reapEnded reaps every adopted orphan that has ended and has someone
// wait for each one still alive. It looks without the lock first (most
// signals are for the launchers' own children) and takes it only to
// check again and reap.
func reapEnded() {
	kids, ok := adoptedChildren()
	if !ok {
		return
	}
	var ended []int
	for _, k := range kids {
		if owned(k) || isWatched(k) {
			continue
		}
		st, ok := readStat(k)
		switch {
		case !ok || st.ppid != os.Getpid() || st.session == ownSession():
		case st.state == 'Z' || st.state == 'X':
			ended = append(ended, k)
		default:
			watchOrphan(k)
		}
	}
	if len(ended) == 0 {
		return
	}
	forks.Lock()
	defer forks.Unlock()
	for _, k := range ended {
		reapIfAdoptedEnded(k)
	}
}

// reapIfAdoptedEnded reaps k if it is an adopted orphan that has ended.
// Call it with forks held exclusively.
func reapIfAdoptedEnded(k int) {
	if st, ok := readStat(k); ok && adoptedEnded(k, st) {
		reapOrphan(k)
	}
}

// watchOrphan reaps live adopted orphan k once it ends, woken by its
// pidfd on Go's poller (no thread meanwhile). Without a pidfd, the sweep
// after k's SIGCHLD reaps it.
func watchOrphan(k int) {
	fd, err := unix.PidfdOpen(k, 0)
	if err != nil {
		return
	}
	f := pollablePidfd(fd)
	if f == nil {
		return
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return
	}
	watched.Lock()
	watched.pids[k] = true
	watched.Unlock()
	go func() {
		defer f.Close()
		first := true
		_ = rc.Read(func(uintptr) bool {
			done := !first // readable: the process has ended
			first = false
			return done
		})
		// The pid may have been reaped (by a Destroy) and reused since:
		// whatever it names now is reaped only if it is an adopted orphan
		// that has ended, and a sweep passes over it only until here.
		forks.Lock()
		watched.Lock()
		delete(watched.pids, k)
		watched.Unlock()
		reapIfAdoptedEnded(k)
		forks.Unlock()
	}()
}

// adoptedEnded tells whether child k, whose stat is st, is an adopted
// orphan that has ended. Only certain with forks held exclusively.
func adoptedEnded(k int, st procStat) bool {
	return (st.state == 'Z' || st.state == 'X') && st.ppid == os.Getpid() &&
		st.session != ownSession() && !owned(k)
}

// adoptedChildren lists the children of this process' main thread, where
// the kernel puts the orphans it hands to a subreaper; ok is false when
// the kernel offers no children files.
func adoptedChildren() ([]int, bool) {
	pid := strconv.Itoa(os.Getpid())
	b, err := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children")
	if err != nil {
		return nil, false
	}
	var kids []int
	for _, f := range strings.Fields(string(b)) {
		if k, err := strconv.Atoi(f); err == nil {
			kids = append(kids, k)
		}
	}
	return kids, true
}

// sweepSession kills every process left in session or process group s
// after the session's leader, a child of this subreaper, was reaped,
// and reaps them (and any other adopted orphan that has ended). It
// returns once a listing is empty or two listings in a row found no
// member alive (a children file read while the list changes may skip an
// entry, but not all of them), false when the children files are
// missing (then scan /proc instead).
func sweepSession(ctx context.Context, s int) (bool, error) {
	self, own := os.Getpid(), ownSession()
	for quiet := 0; quiet < 2; {
		kids, ok := adoptedChildren()
		if !ok {
			return false, nil
		}
		if len(kids) == 0 {
			// Reliable: a read finds the list's first entry if it has one,
			// and every member alive descends from an entry.
			return true, nil
		}
		// Members killed, as pidfds opened before the kill: once the lock
		// is gone the reaper may reap one and its pid be reused.
		var killed []int
		byPid := false // killed without a pidfd (none on this kernel)
		forks.Lock()
		for _, k := range kids {
			if k == self {
				continue
			}
			st, ok := readStat(k)
			if !ok || st.session == own || owned(k) {
				continue // forked by this process
			}
			if st.state == 'Z' || st.state == 'X' {
				reapOrphan(k)
				continue
			}
			if st.session == s || st.pgrp == s {
				fd, err := unix.PidfdOpen(k, 0)
				if err != nil {
					// The next listing tells whether it has gone.
					_ = syscall.Kill(k, syscall.SIGKILL)
					byPid = true
					continue
				}
				_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
				killed = append(killed, fd)
			}
		}
		forks.Unlock()
		if len(killed) == 0 && !byPid {
			quiet++
			continue
		}
		quiet = 0
		var err error
		for _, fd := range killed {
			if err == nil {
				err = waitEnded(ctx, fd)
			}
			unix.Close(fd)
		}
		if err != nil {
			return true, err
		}
	}
	return true, nil
}

// reapOrphan reaps an adopted orphan known to have ended. Call it with
// forks held exclusively.
func reapOrphan(pid int) {
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if !errors.Is(err, syscall.EINTR) {
			return
		}
	}
}

// waitEnded returns once the process of pidfd fd has ended (it may not
// have been reaped), or with ctx's error.
func waitEnded(ctx context.Context, fd int) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		wait := 100 * time.Millisecond // only to look at ctx again
		if d, ok := ctx.Deadline(); ok {
			wait = min(wait, max(time.Until(d), time.Millisecond))
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(wait/time.Millisecond))
		if err != nil && !errors.Is(err, unix.EINTR) {
			return nil
		}
		if n > 0 {
			return nil
		}
	}
}
