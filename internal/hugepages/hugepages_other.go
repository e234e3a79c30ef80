//go:build !linux

package hugepages

import "time"

func start(time.Duration) (func(), Mode, error) { return func() {}, Unsupported, nil }
