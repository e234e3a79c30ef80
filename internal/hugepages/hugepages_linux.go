package hugepages

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"unsafe"
)

const modeFile = "/sys/kernel/mm/transparent_hugepage/enabled"

// hugePage is the size a range is worth advising from.
const hugePage = 2 << 20

func reserve(n uint64) (Mode, uint64, error) {
	mode := readMode(modeFile)
	if mode != Advised {
		return mode, 0, nil
	}
	if strictCommit("/proc/sys/vm/overcommit_memory") {
		// The mapping would count against the commit limit whole, and
		// the runtime cannot survive a refusal.
		return mode, 0, nil
	}
	if total, err := memTotal("/proc/meminfo"); err == nil {
		n = min(n, total/4*3)
	}
	if n < hugePage {
		return mode, 0, nil
	}
	// A large object takes fresh pages that the runtime knows are zero,
	// so it does not touch them: they are mapped, not yet resident.
	b := make([]byte, n)
	_, _, e := syscall.Syscall(syscall.SYS_MADVISE, uintptr(unsafe.Pointer(&b[0])), uintptr(n), syscall.MADV_HUGEPAGE)
	b = nil
	runtime.GC() // free the range now, not at a collection sized by it
	if e != 0 {
		return mode, 0, fmt.Errorf("hugepages: madvise: %w", e)
	}
	return mode, n, nil
}

// readMode reads the bracketed choice of the system's THP setting.
func readMode(path string) Mode {
	b, err := os.ReadFile(path)
	if err != nil {
		return Unsupported
	}
	i, j := bytes.IndexByte(b, '['), bytes.IndexByte(b, ']')
	if i < 0 || j < i {
		return Unsupported
	}
	switch m := Mode(b[i+1 : j]); m {
	case Always, Advised, Never:
		return m
	}
	return Unsupported
}

// strictCommit reports whether the kernel refuses mappings beyond its
// commit limit (vm.overcommit_memory 2).
func strictCommit(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && string(bytes.TrimSpace(b)) == "2"
}

// memTotal reads MemTotal, in bytes, from a /proc/meminfo listing.
func memTotal(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := bytes.Fields(sc.Bytes())
		if len(fields) == 3 && string(fields[0]) == "MemTotal:" && string(fields[2]) == "kB" {
			kb, err := strconv.ParseUint(string(fields[1]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: MemTotal: %w", path, err)
			}
			return kb << 10, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no MemTotal line", path)
}
