//go:build race

package registry

// Under the race detector, registries are a fifth of their size (still
// several chunks): it checks the concurrency, not the scale.
const agentScale = 5
