//go:build !linux

package hugepages

func reserve(uint64) (Mode, uint64, error) { return Unsupported, 0, nil }
