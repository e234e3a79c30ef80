package launcher

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// procStat is the part of /proc/<pid>/stat the launcher needs.
type procStat struct {
	pid, ppid, pgrp, session int
	state                    byte
}

// readStat parses /proc/<pid>/stat. The command name may contain spaces and
// parentheses, so parsing starts after the last ')'.
func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	return parseStat(string(b))
}

func parseStat(s string) (procStat, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return procStat{}, false
	}
	pidText := strings.TrimSpace(s[:strings.IndexByte(s, '(')])
	fields := strings.Fields(s[i+2:])
	if len(fields) < 4 {
		return procStat{}, false
	}
	var st procStat
	var err error
	if st.pid, err = strconv.Atoi(pidText); err != nil {
		return procStat{}, false
	}
	st.state = fields[0][0]
	if st.ppid, err = strconv.Atoi(fields[1]); err != nil {
		return procStat{}, false
	}
	if st.pgrp, err = strconv.Atoi(fields[2]); err != nil {
		return procStat{}, false
	}
	if st.session, err = strconv.Atoi(fields[3]); err != nil {
		return procStat{}, false
	}
	return st, true
}

// allStats reads every process in /proc.
func allStats() []procStat {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	out := make([]procStat, 0, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok {
			out = append(out, st)
		}
	}
	return out
}

// procScans shares /proc scans between concurrent callers: destroying n
// containers at once would otherwise read all of /proc n times over.
var procScans scans

// scans hands each caller a scan of /proc that started after it asked,
// so that a process forked before the call is in it (as with a fresh
// scan); callers that ask while a scan runs share the next one.
type scans struct {
	mu      sync.Mutex
	cond    *sync.Cond
	running bool
	started uint64 // scans started so far
	done    uint64 // scans finished so far
	last    []procStat
}

func (s *scans) get() []procStat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cond == nil {
		s.cond = sync.NewCond(&s.mu)
	}
	want := s.started + 1 // the next scan to start is the first that counts
	for {
		if s.done >= want {
			return s.last
		}
		if !s.running {
			s.running = true
			s.started++
			n := s.started
			s.mu.Unlock()
			stats := allStats()
			s.mu.Lock()
			s.running = false
			s.done, s.last = n, stats
			s.cond.Broadcast()
			return stats
		}
		s.cond.Wait()
	}
}

// Tree returns the processes in root's session or process group (root leads
// both after setsid) and, if withDescendants, root itself and every live
// descendant of it. Only pass withDescendants while root is known not to
// have been reaped, because a reaped pid may be reused. The calling process,
// pid 0 and pid 1 are never included.
func Tree(root int, withDescendants bool) []int {
	stats := procScans.get()
	children := map[int][]int{}
	set := map[int]bool{}
	for _, st := range stats {
		children[st.ppid] = append(children[st.ppid], st.pid)
		if st.session == root || st.pgrp == root {
			set[st.pid] = true
		}
	}
	if withDescendants {
		visited := map[int]bool{}
		queue := []int{root}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if visited[p] {
				continue
			}
			visited[p] = true
			set[p] = true
			queue = append(queue, children[p]...)
		}
	}
	delete(set, os.Getpid())
	delete(set, 0)
	delete(set, 1)
	out := make([]int, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	return out
}

// KillTree sends SIGKILL to root's session and process group and, if
// withDescendants, to its process tree (os::killtree with groups and
// sessions, as Mesos' posix launcher does).
func KillTree(root int, withDescendants bool) {
	if root <= 1 {
		return
	}
	_ = syscall.Kill(-root, syscall.SIGKILL)
	for _, p := range Tree(root, withDescendants) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
}

// children lists pid's children from /proc/<pid>/task/<tid>/children,
// every thread's (a child belongs to the thread that forked it); ok is
// false when the kernel offers no such files.
func children(pid int) (kids []int, ok bool) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tids, err := os.ReadDir(dir)
	if err != nil {
		// Gone (no children left to find), or no /proc.
		_, serr := os.Stat("/proc/self/task")
		return nil, serr == nil
	}
	for _, t := range tids {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/children")
		if errors.Is(err, os.ErrNotExist) {
			if _, serr := os.Stat(dir + "/" + t.Name()); serr == nil {
				return nil, false // the thread is there, its file is not
			}
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				kids = append(kids, c)
			}
		}
	}
	return kids, true
}

// killDescendants sends SIGKILL to root's process group, to root and to
// every live descendant of root, found through the children files rather
// than a scan of all of /proc. The whole tree is listed before anything
// is killed (a killed parent's children move away). Only call it while
// root is known not to have been reaped. ok is false when the kernel
// offers no children files (then use KillTree).
func killDescendants(root int) bool {
	if root <= 1 {
		return true
	}
	self := os.Getpid()
	tree := []int{root}
	seen := map[int]bool{root: true}
	for i := 0; i < len(tree); i++ {
		kids, ok := children(tree[i])
		if !ok {
			return false
		}
		for _, k := range kids {
			if !seen[k] && k > 1 && k != self {
				seen[k] = true
				tree = append(tree, k)
			}
		}
	}
	_ = syscall.Kill(-root, syscall.SIGKILL)
	for _, p := range tree {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	return true
}
