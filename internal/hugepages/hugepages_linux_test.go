package hugepages

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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

func TestStrictCommit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "overcommit_memory")
	for text, want := range map[string]bool{"0\n": false, "1\n": false, "2\n": true} {
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := strictCommit(p); got != want {
			t.Errorf("strictCommit(%q) = %v, want %v", text, got, want)
		}
	}
	if strictCommit(filepath.Join(t.TempDir(), "absent")) {
		t.Error("a missing file: want not strict")
	}
}

func TestMemTotal(t *testing.T) {
	p := filepath.Join(t.TempDir(), "meminfo")
	if err := os.WriteFile(p, []byte("MemFree:  10 kB\nMemTotal:       24576000 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := memTotal(p); err != nil || got != 24576000<<10 {
		t.Fatalf("memTotal = %d, %v", got, err)
	}
	if err := os.WriteFile(p, []byte("MemFree: 10 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := memTotal(p); err == nil {
		t.Fatal("no MemTotal line: want an error")
	}
}

// mapping reads the /proc/self/smaps entry holding addr: whether it
// carries the huge-page advice ("hg" among its VmFlags) and how much of it
// is on huge pages.
func mapping(t *testing.T, addr uintptr) (advised bool, hugeKB uint64) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := sc.Text()
		// A mapping's entry starts with its range: lo-hi.
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
		if !in {
			continue
		}
		if v, ok := strings.CutPrefix(line, "AnonHugePages:"); ok {
			hugeKB, _ = strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "VmFlags:"); ok {
			for _, fl := range strings.Fields(v) {
				advised = advised || fl == "hg"
			}
			return advised, hugeKB
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return false, 0
}

var keep []*[4096]byte

func TestReserveBacksLaterAllocationsWithHugePages(t *testing.T) {
	if m := readMode(modeFile); m != Advised {
		t.Skipf("transparent huge pages are %q on this machine, not %q: nothing to reserve", m, Advised)
	}
	const n = 256 << 20
	mode, got, err := Reserve(n)
	if err != nil || mode != Advised || got != n {
		t.Fatalf("Reserve = %q, %d, %v; want %q, %d", mode, got, err, Advised, n)
	}
	// Small objects allocated after the reserve land in its range.
	for i := 0; i < 16<<10; i++ {
		keep = append(keep, new([4096]byte))
	}
	last := keep[len(keep)-1]
	advised, hugeKB := mapping(t, uintptr(unsafe.Pointer(last)))
	if !advised {
		t.Fatalf("the mapping holding a new object has no huge-page advice")
	}
	if hugeKB == 0 {
		t.Errorf("64 MiB of new objects, none on huge pages (the kernel had none free?)")
	}
	keep = nil
}

func TestReserveSmallIsNothing(t *testing.T) {
	if m := readMode(modeFile); m != Advised {
		t.Skipf("transparent huge pages are %q on this machine, not %q", m, Advised)
	}
	if _, got, err := Reserve(4096); err != nil || got != 0 {
		t.Fatalf("Reserve(4096) = %d, %v; want 0, nil", got, err)
	}
}
