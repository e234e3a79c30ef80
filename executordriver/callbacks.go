package executordriver

import "github.com/gomesos/gomesos/internal/callbacks"

// Callbacks run one at a time, in order, on a goroutine of their own.
type callback = callbacks.Item
