// Package hugepages asks Linux to back the Go heap with transparent huge
// pages where the system leaves that choice to each program (the THP mode
// "madvise"). Go's runtime does not ask for them itself, so on such a
// system every 4 KiB page of a growing heap faults on its own. A batch job
// with a heap of many gigabytes (the simulator's million-task run) spends
// a sixth of its CPU on those faults and on TLB misses; with huge pages it
// spends far less, at the price of a few percent more resident memory.
package hugepages

import "time"

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

// span is how much address space above the heap's first mapping each
// advice covers: the runtime grows the heap upward from there.
const span = 1 << 40

// Start advises the heap's mappings for huge pages every interval, so
// that each new arena gets them soon after the runtime maps it, until the
// returned stop is called. It returns the system's mode; it advises only
// in mode Advised, and returns an error, with a no-op stop, if the first
// advice fails.
func Start(every time.Duration) (stop func(), mode Mode, err error) {
	return start(every)
}
