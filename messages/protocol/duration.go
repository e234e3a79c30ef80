package protocol

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

var durationUnits = []struct {
	name string
	size time.Duration
}{
	{"weeks", 7 * 24 * time.Hour},
	{"days", 24 * time.Hour},
	{"hrs", time.Hour},
	{"mins", time.Minute},
	{"secs", time.Second},
	{"ms", time.Millisecond},
	{"us", time.Microsecond},
	{"ns", time.Nanosecond},
}

// ParseDuration parses Mesos' duration text ("10ms", "5secs", "1.5hrs",
// "2weeks") and Go's ("1.5s", "2m"). Negative values are refused.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty duration")
	}
	for _, u := range durationUnits {
		num, ok := strings.CutSuffix(t, u.name)
		if !ok || num == "" {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("invalid duration %q: %q is not a number", s, num)
		}
		if v < 0 {
			return 0, fmt.Errorf("invalid duration %q: negative", s)
		}
		if v*float64(u.size) > math.MaxInt64 {
			return 0, fmt.Errorf("invalid duration %q: too long", s)
		}
		return time.Duration(math.Round(v * float64(u.size))), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (use e.g. 15secs, 10mins, 500ms)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("invalid duration %q: negative", s)
	}
	return d, nil
}

// FormatDuration renders d as Mesos' stout does, in the largest unit in
// which it is at least one ("15secs", "1.5hrs", "100ms"), with at most
// three decimals: a value that needs more is written in the next unit down
// ("100secs", not "1.66666666666667mins"), so the text parses back exactly.
func FormatDuration(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	for _, u := range durationUnits {
		if d < u.size && u.size != time.Nanosecond {
			continue
		}
		if step := u.size / 1000; step == 0 || d%step == 0 {
			return sign + strconv.FormatFloat(float64(d)/float64(u.size), 'f', -1, 64) + u.name
		}
	}
	return sign + "0ns"
}
