package master

import (
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors/effect"
)

// stored reports the registry ops among effects stored, and returns the
// other effects followed by what the core did once they were (and so on,
// for ops that those caused).
func stored(t *testing.T, c *Core, now time.Time, effects []effect.Effect) []effect.Effect {
	t.Helper()
	var out []effect.Effect
	var last uint64
	for _, e := range effects {
		if r, ok := e.(RegistryApply); ok {
			last = r.Seq
			continue
		}
		out = append(out, e)
	}
	if last == 0 {
		return out
	}
	return append(out, stored(t, c, now, c.RegistryApplied(now, last, nil))...)
}
