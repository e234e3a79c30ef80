//go:build !race

package registry

const agentScale = 1
