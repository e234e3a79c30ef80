package protocol

import "time"

// Backoff is the retry policy of Mesos' reliable registration: attempt n
// (from 0) waits a uniformly drawn part of Initial*2^n, the bound capped at
// Max. It holds no state; the caller counts attempts and draws r.
type Backoff struct {
	Initial time.Duration // the first bound (--registration_backoff_factor)
	Max     time.Duration // the largest bound (one minute in Mesos)
	Min     time.Duration // the shortest delay returned, so retries never spin
}

// Bound is the upper bound of attempt n's delay.
func (b Backoff) Bound(attempt int) time.Duration {
	bound := b.Initial
	for i := 0; i < attempt && (b.Max <= 0 || bound < b.Max); i++ {
		bound *= 2
	}
	if b.Max > 0 && bound > b.Max {
		bound = b.Max
	}
	return bound
}

// Delay is attempt n's delay for a draw r in [0, 1).
func (b Backoff) Delay(attempt int, r float64) time.Duration {
	d := time.Duration(r * float64(b.Bound(attempt)))
	return max(d, b.Min)
}
