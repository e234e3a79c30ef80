package launcher

import (
	"context"
	"errors"
	"os"
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
// Orphans are reaped here, and only they: a process this program forked
// itself is in its own session or leads a session of its own (setsid),
// while an orphan that ended here in a foreign session without leading
// it can only have been adopted, so nobody else waits for it. An adopted
// session leader (a container process that called setsid and outlived
// its parents) is left alone; if it ends before this process, it stays a
// zombie until this process exits.

// subreaper reports whether this process is a child subreaper (it asks
// to become one on the first call).
var subreaper = sync.OnceValue(func() bool {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == nil
})

// orphansMu lets one sweep at a time look at and reap adopted orphans,
// so that a pid is never reaped twice (the second time it could be
// another process).
var orphansMu sync.Mutex

// ownSession is this process' session id.
var ownSession = sync.OnceValue(func() int {
	sid, err := unix.Getsid(0)
	if err != nil {
		return -1
	}
	return sid
})

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
		var killed []int
		orphansMu.Lock()
		for _, k := range kids {
			if k == self {
				continue
			}
			st, ok := readStat(k)
			if !ok || st.session == own || st.session == k {
				continue // forked by this process, or a session leader
			}
			if st.state == 'Z' || st.state == 'X' {
				reapOrphan(k)
				continue
			}
			if st.session == s || st.pgrp == s {
				_ = syscall.Kill(k, syscall.SIGKILL)
				killed = append(killed, k)
			}
		}
		orphansMu.Unlock()
		if len(killed) == 0 {
			quiet++
			continue
		}
		quiet = 0
		for _, k := range killed {
			if err := waitEnded(ctx, k); err != nil {
				return true, err
			}
		}
	}
	return true, nil
}

// reapOrphan reaps an adopted orphan known to have ended. Call it with
// orphansMu held.
func reapOrphan(pid int) {
	for {
		var ws syscall.WaitStatus
		_, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		if !errors.Is(err, syscall.EINTR) {
			return
		}
	}
}

// waitEnded returns once pid has ended (it may not have been reaped), or
// with ctx's error.
func waitEnded(ctx context.Context, pid int) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil // gone already (or no pidfds: the next listing tells)
	}
	defer unix.Close(fd)
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
