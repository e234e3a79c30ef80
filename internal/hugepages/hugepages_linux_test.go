package hugepages

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func TestReadMode(t *testing.T) {
	dir := t.TempDir()
	for text, want := range map[string]Mode{
		"always [madvise] never\n": Advised,
		"[always] madvise never\n": Always,
		"always madvise [never]\n": Never,
		"always madvise never\n":   Unsupported,
		"[sometimes]\n":            Unsupported,
	} {
		p := filepath.Join(dir, "enabled")
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := readMode(p); got != want {
			t.Errorf("readMode(%q) = %q, want %q", text, got, want)
		}
	}
	if got := readMode(filepath.Join(dir, "absent")); got != Unsupported {
		t.Errorf("readMode of a missing file = %q, want %q", got, Unsupported)
	}
}

func TestMappingStart(t *testing.T) {
	maps := "00400000-00402000 r--p 00000000 fd:00 1 /bin/x\n" +
		"c000000000-c004000000 rw-p 00000000 00:00 0 \n" +
		"7f00000000-7f00001000 rw-p 00000000 00:00 0 \n"
	got, err := mappingStart(strings.NewReader(maps), 0xc000123456)
	if err != nil || got != 0xc000000000 {
		t.Fatalf("mappingStart = %#x, %v; want 0xc000000000", got, err)
	}
	if _, err := mappingStart(strings.NewReader(maps), 0x1000); err == nil {
		t.Fatal("an address outside every mapping: want an error")
	}
}

// hugeFlag reports whether the mapping of /proc/self/smaps holding addr
// carries the huge-page advice ("hg" among its VmFlags).
func hugeFlag(t *testing.T, addr uintptr) bool {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		// A mapping's header starts with its range: lo-hi.
		if rng, _, ok := strings.Cut(line, " "); ok {
			if los, his, ok := strings.Cut(rng, "-"); ok {
				lo, err1 := strconv.ParseUint(los, 16, 64)
				hi, err2 := strconv.ParseUint(his, 16, 64)
				if err1 == nil && err2 == nil {
					in = uint64(addr) >= lo && uint64(addr) < hi
					continue
				}
			}
		}
		if in && strings.HasPrefix(line, "VmFlags:") {
			for _, fl := range strings.Fields(line[len("VmFlags:"):]) {
				if fl == "hg" {
					return true
				}
			}
			return false
		}
	}
	return false
}

var keep [][]byte

func TestStartAdvisesHeapGrowth(t *testing.T) {
	if m := readMode(modeFile); m != Advised {
		t.Skipf("transparent huge pages are %q on this machine, not %q: nothing to advise", m, Advised)
	}
	stop, mode, err := Start(time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if mode != Advised {
		t.Fatalf("mode = %q", mode)
	}
	// Grow the heap by new arenas after the start; their mappings must
	// get the advice.
	for i := 0; i < 16; i++ {
		keep = append(keep, make([]byte, 16<<20))
	}
	last := keep[len(keep)-1]
	addr := uintptr(unsafe.Pointer(&last[0]))
	deadline := time.Now().Add(10 * time.Second)
	for !hugeFlag(t, addr) {
		if time.Now().After(deadline) {
			t.Fatalf("the mapping holding %#x got no huge-page advice", addr)
		}
		time.Sleep(time.Millisecond)
	}
	keep = nil
	stop()
	stop() // a second stop is harmless
}
