package cgroups

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// OOMWatch tells when the kernel's OOM killer acts inside a memory cgroup:
// through an eventfd registered on memory.oom_control (v1) or an inotify
// watch on memory.events (v2). Both are read through Go's poller, so Close
// ends a Wait in progress.
type OOMWatch struct {
	dir   string
	v2    bool
	f     *os.File
	base  uint64 // oom_kill count when the watch was opened
	fresh bool   // watched since before any process joined
}

// WatchOOM starts watching the memory cgroup dir.
func WatchOOM(dir string, v Version) (*OOMWatch, error) {
	w := &OOMWatch{dir: dir, v2: v == V2}
	w.base, _ = OOMKills(dir, v)
	return w, w.open()
}

// WatchNewOOM is WatchOOM for a cgroup that no process has joined yet
// (one just created): nothing can have run out of memory in it, so the
// watch reads no counters until the kernel signals.
func WatchNewOOM(dir string, v Version) (*OOMWatch, error) {
	w := &OOMWatch{dir: dir, v2: v == V2, fresh: true}
	return w, w.open()
}

func (w *OOMWatch) open() error {
	var err error
	if w.v2 {
		err = w.openInotify()
	} else {
		err = w.openEventfd()
	}
	if err != nil {
		return fmt.Errorf("watch OOM events of %s: %w", w.dir, err)
	}
	return nil
}

func (w *OOMWatch) openEventfd() error {
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return err
	}
	ctl, err := os.Open(filepath.Join(w.dir, "memory.oom_control"))
	if err != nil {
		unix.Close(efd)
		return err
	}
	defer ctl.Close() // the registration keeps its own reference
	reg := fmt.Sprintf("%d %d", efd, ctl.Fd())
	if err := os.WriteFile(filepath.Join(w.dir, "cgroup.event_control"), []byte(reg), 0); err != nil {
		unix.Close(efd)
		return err
	}
	w.f = os.NewFile(uintptr(efd), "oom-eventfd")
	return nil
}

func (w *OOMWatch) openInotify() error {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return err
	}
	if _, err := unix.InotifyAddWatch(fd, filepath.Join(w.dir, "memory.events"), unix.IN_MODIFY); err != nil {
		unix.Close(fd)
		return err
	}
	w.f = os.NewFile(uintptr(fd), "oom-inotify")
	return nil
}

// ErrWatchClosed is returned by Wait after Close.
var ErrWatchClosed = errors.New("oom watch closed")

// Wait blocks until the cgroup runs out of memory (v1: the OOM event; v2: a
// process was OOM-killed) after the watch was opened, the cgroup is removed,
// or Close is called.
func (w *OOMWatch) Wait() error {
	buf := make([]byte, 4096)
	// A fresh cgroup's watch was registered before anything could run
	// out of memory in it, so the kernel signals every OOM: the counter
	// needs no first look.
	check := !w.fresh
	for {
		if check {
			n, err := OOMKills(w.dir, w.version())
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("memory cgroup %s was removed", w.dir)
				}
				return err
			}
			if n > w.base {
				return nil
			}
		}
		check = true
		if _, err := w.f.Read(buf); err != nil {
			if errors.Is(err, os.ErrClosed) {
				return ErrWatchClosed
			}
			return err
		}
		if !w.v2 {
			// v1 signals when the cgroup goes under OOM, before the
			// victim is killed, and when the cgroup is removed.
			if _, err := os.Stat(w.dir); err != nil {
				return fmt.Errorf("memory cgroup %s was removed", w.dir)
			}
			return nil
		}
	}
}

// Fired reports, without blocking, whether the OOM killer has acted in
// the cgroup since the watch was opened.
func (w *OOMWatch) Fired() bool {
	n, err := OOMKills(w.dir, w.version())
	return err == nil && n > w.base
}

// Close ends the watch.
func (w *OOMWatch) Close() error { return w.f.Close() }

func (w *OOMWatch) version() Version {
	if w.v2 {
		return V2
	}
	return V1
}

// OOMKills is the number of processes the OOM killer has killed in the
// memory cgroup dir ("oom_kill" of memory.oom_control on v1, of
// memory.events on v2).
func OOMKills(dir string, v Version) (uint64, error) {
	file := "memory.oom_control"
	if v == V2 {
		file = "memory.events"
	}
	kv, err := ReadKV(filepath.Join(dir, file))
	if err != nil {
		return 0, err
	}
	return kv["oom_kill"], nil
}

// ReadKV reads a cgroup file of "key value" lines.
func ReadKV(file string) (map[string]uint64, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		if v, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			out[f[0]] = v
		}
	}
	return out, nil
}
