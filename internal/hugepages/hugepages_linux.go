package hugepages

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

const modeFile = "/sys/kernel/mm/transparent_hugepage/enabled"

// userTop bounds the advised range: the top of a 47-bit user address space.
const userTop = 1<<47 - 4096

func start(every time.Duration) (func(), Mode, error) {
	mode := readMode(modeFile)
	if mode != Advised {
		return func() {}, mode, nil
	}
	if every <= 0 {
		return func() {}, mode, fmt.Errorf("hugepages: interval %v: want above zero", every)
	}
	lo, err := heapStart()
	if err != nil {
		return func() {}, mode, err
	}
	if err := advise(lo); err != nil {
		return func() {}, mode, err
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if advise(lo) != nil {
					return
				}
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }, mode, nil
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

// sink keeps the probe below on the heap.
var sink *[64]byte

// heapStart is the start of the mapping that holds a fresh heap object.
func heapStart() (uintptr, error) {
	sink = new([64]byte)
	addr := uintptr(unsafe.Pointer(sink))
	sink = nil
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("hugepages: %w", err)
	}
	defer f.Close()
	return mappingStart(f, addr)
}

// mappingStart finds the line of a /proc/<pid>/maps listing whose range
// holds addr and returns its start.
func mappingStart(f interface{ Read([]byte) (int, error) }, addr uintptr) (uintptr, error) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		dash := bytes.IndexByte(line, '-')
		sp := bytes.IndexByte(line, ' ')
		if dash < 0 || sp < dash {
			continue
		}
		lo, err1 := strconv.ParseUint(string(line[:dash]), 16, 64)
		hi, err2 := strconv.ParseUint(string(line[dash+1:sp]), 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		if uint64(addr) >= lo && uint64(addr) < hi {
			return uintptr(lo), nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("hugepages: reading the mappings: %w", err)
	}
	return 0, fmt.Errorf("hugepages: no mapping holds the heap address %#x", addr)
}

// advise marks every mapping in [lo, lo+span) for huge pages. The range
// has holes, for which madvise says ENOMEM after advising the rest.
func advise(lo uintptr) error {
	n := uintptr(span)
	if lo < userTop && userTop-lo < n {
		n = userTop - lo
	}
	_, _, e := syscall.Syscall(syscall.SYS_MADVISE, lo, n, syscall.MADV_HUGEPAGE)
	if e != 0 && !errors.Is(e, syscall.ENOMEM) {
		return fmt.Errorf("hugepages: madvise: %w", e)
	}
	return nil
}
