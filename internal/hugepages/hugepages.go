// Package hugepages lets a program's Go heap use transparent huge pages on
// Linux systems that leave them to each program (the THP mode "madvise").
// Go's runtime does not ask for them, so on such a system every 4 KiB page
// of a growing heap faults on its own, and a heap of many gigabytes costs
// millions of faults and TLB misses.
//
// The runtime maps its heap in 4 MiB steps and touches each step at once,
// so advising mappings after the fact is too late. Reserve instead has the
// runtime map a large range up front, advises it before anything touches
// it, and hands it back free: the program's later allocations fill it, on
// huge pages, without raising the resident memory until they do.
package hugepages

// Mode is what the system does with transparent huge pages.
type Mode string

const (
	// Always: every anonymous mapping may get huge pages; nothing to ask.
	Always Mode = "always"
	// Advised: only mappings a program advises get them (THP "madvise").
	Advised Mode = "madvise"
	// Never: the system gives none.
	Never Mode = "never"
	// Unsupported: no transparent huge pages here (not Linux, or a kernel
	// without them).
	Unsupported Mode = "unsupported"
)

// Reserve has the heap map n bytes now, advised for huge pages, and leaves
// them free for the program's allocations. It does so only in mode
// Advised, never for more than three quarters of the machine's memory,
// and not at all under strict overcommit (the runtime cannot survive a
// refused mapping). It returns the mode and the bytes it advised. Call it
// early, from one goroutine: it runs a collection to free the range.
func Reserve(n uint64) (Mode, uint64, error) { return reserve(n) }
