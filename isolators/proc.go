package isolators

import (
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat. It is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// ProcStat is the part of /proc/<pid>/stat the isolators read.
type ProcStat struct {
	Pid, PPid, Pgrp, Session int
	State                    byte
	UTime, STime             uint64 // clock ticks
	NumThreads               int
	RSSPages                 int64
}

// ReadProcStat parses /proc/<pid>/stat.
func ReadProcStat(pid int) (ProcStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ProcStat{}, false
	}
	return ParseProcStat(string(b))
}

// ParseProcStat parses the text of a /proc/<pid>/stat file. The command
// name may hold spaces and parentheses, so fields are counted from the last
// ')'.
func ParseProcStat(s string) (ProcStat, bool) {
	open := strings.IndexByte(s, '(')
	end := strings.LastIndexByte(s, ')')
	if open < 0 || end < open || end+2 > len(s) {
		return ProcStat{}, false
	}
	f := strings.Fields(s[end+1:])
	// f[0]=state f[1]=ppid f[2]=pgrp f[3]=session ... f[11]=utime
	// f[12]=stime ... f[17]=num_threads ... f[21]=rss
	if len(f) < 22 {
		return ProcStat{}, false
	}
	var st ProcStat
	var err error
	if st.Pid, err = strconv.Atoi(strings.TrimSpace(s[:open])); err != nil {
		return ProcStat{}, false
	}
	st.State = f[0][0]
	ints := []*int{&st.PPid, &st.Pgrp, &st.Session}
	for i, p := range ints {
		if *p, err = strconv.Atoi(f[1+i]); err != nil {
			return ProcStat{}, false
		}
	}
	if st.UTime, err = strconv.ParseUint(f[11], 10, 64); err != nil {
		return ProcStat{}, false
	}
	if st.STime, err = strconv.ParseUint(f[12], 10, 64); err != nil {
		return ProcStat{}, false
	}
	if st.NumThreads, err = strconv.Atoi(f[17]); err != nil {
		return ProcStat{}, false
	}
	if st.RSSPages, err = strconv.ParseInt(f[21], 10, 64); err != nil {
		return ProcStat{}, false
	}
	return st, true
}

// ProcessTree returns the stats of root, its descendants and every process
// of root's session (the posix launcher makes root a session leader).
func ProcessTree(root int) []ProcStat {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	byPid := map[int]ProcStat{}
	children := map[int][]int{}
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if st, ok := ReadProcStat(pid); ok {
			byPid[pid] = st
			children[st.PPid] = append(children[st.PPid], pid)
		}
	}
	in := map[int]bool{}
	var queue []int
	if _, ok := byPid[root]; ok {
		queue = append(queue, root)
	}
	for pid, st := range byPid {
		if st.Session == root {
			queue = append(queue, pid)
		}
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if in[p] {
			continue
		}
		in[p] = true
		queue = append(queue, children[p]...)
	}
	out := make([]ProcStat, 0, len(in))
	for p := range in {
		out = append(out, byPid[p])
	}
	return out
}
