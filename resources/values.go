package resources

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gomesos/gomesos/messages/mesos"
)

// Scalars are computed in fixed point with three decimal digits, as Mesos
// does, so that 0.1+0.2 is 0.3 and repeated add/subtract cycles never
// drift. maxFixedInput bounds the magnitudes that fit in an int64 once
// scaled; anything larger is left as plain float arithmetic.
const maxFixedInput = 9.2e15

func toFixed(x float64) int64 { return int64(math.Round(x * 1000)) }

// fromFixed divides by 1000 through an integer quotient and a remainder
// in [0, 999], which keeps the result the nearest double to the decimal.
func fromFixed(f int64) float64 {
	return float64(f/1000) + float64(f%1000)/1000
}

func fixedOK(x float64) bool { return math.Abs(x) < maxFixedInput }

// Round returns x rounded to Mesos' scalar resolution of three decimal
// places (half away from zero). Non-finite and very large values are
// returned unchanged.
func Round(x float64) float64 {
	if !fixedOK(x) { // also false for NaN and ±Inf
		return x
	}
	return fromFixed(toFixed(x))
}

func addScalar(a, b float64) float64 {
	if fixedOK(a) && fixedOK(b) {
		return fromFixed(toFixed(a) + toFixed(b))
	}
	return a + b
}

func subScalar(a, b float64) float64 {
	if fixedOK(a) && fixedOK(b) {
		return fromFixed(toFixed(a) - toFixed(b))
	}
	return a - b
}

// cmpScalar compares two scalars at fixed-point resolution.
func cmpScalar(a, b float64) int {
	if fixedOK(a) && fixedOK(b) {
		fa, fb := toFixed(a), toFixed(b)
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// scalarIsZero reports whether v rounds to 0 at fixed-point resolution:
// fixedOK(v) && toFixed(v) == 0, without the rounding.
func scalarIsZero(v float64) bool { return math.Abs(v*1000) < 0.5 }

func formatScalar(v float64) string {
	return strconv.FormatFloat(Round(v), 'g', 15, 64)
}

// span is an inclusive interval of a ranges value.
type span struct{ b, e uint64 }

// spansOf appends the intervals of rs to dst.
func spansOf(dst []span, rs *mesos.Value_Ranges) []span {
	for _, r := range rs.GetRange() {
		dst = append(dst, span{r.GetBegin(), r.GetEnd()})
	}
	return dst
}

// coalesce sorts s and merges overlapping and adjacent intervals in place.
func coalesce(s []span) []span {
	if len(s) < 2 {
		return s
	}
	if !slices.IsSortedFunc(s, cmpSpan) {
		slices.SortFunc(s, cmpSpan)
	}
	out := s[:1]
	for _, x := range s[1:] {
		last := &out[len(out)-1]
		if last.e == math.MaxUint64 || x.b <= last.e+1 {
			if x.e > last.e {
				last.e = x.e
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

func cmpSpan(x, y span) int {
	switch {
	case x.b < y.b:
		return -1
	case x.b > y.b:
		return 1
	case x.e < y.e:
		return -1
	case x.e > y.e:
		return 1
	}
	return 0
}

// rangesCoalesced reports whether rs is sorted with no two intervals
// overlapping or touching, the shape every normalised entry has.
func rangesCoalesced(rs *mesos.Value_Ranges) bool {
	var prevEnd uint64
	for i, r := range rs.GetRange() {
		if r == nil || r.GetBegin() > r.GetEnd() {
			return false
		}
		if i > 0 && (prevEnd == math.MaxUint64 || r.GetBegin() <= prevEnd+1) {
			return false
		}
		prevEnd = r.GetEnd()
	}
	return true
}

// subtractSpans returns left minus right; both must be coalesced. The
// result is appended to dst.
func subtractSpans(dst, left, right []span) []span {
	j := 0
	for _, l := range left {
		cur := l
		alive := true
		for j < len(right) && right[j].e < cur.b {
			j++
		}
		for k := j; k < len(right) && right[k].b <= cur.e; k++ {
			r := right[k]
			if r.b > cur.b {
				dst = append(dst, span{cur.b, r.b - 1})
			}
			if r.e >= cur.e {
				alive = false
				break
			}
			cur.b = r.e + 1
		}
		if alive {
			dst = append(dst, cur)
		}
	}
	return dst
}

// spansContain reports whether every interval of sub lies inside one of
// the intervals of sup, which must be coalesced.
func spansContain(sup *mesos.Value_Ranges, sub *mesos.Value_Ranges) bool {
	have := sup.GetRange()
	for _, r := range sub.GetRange() {
		b, e := r.GetBegin(), r.GetEnd()
		i, _ := slices.BinarySearchFunc(have, b, func(x *mesos.Value_Range, t uint64) int {
			switch {
			case x.GetEnd() < t:
				return -1
			case x.GetBegin() > t:
				return 1
			}
			return 0
		})
		if i >= len(have) || have[i].GetBegin() > b || have[i].GetEnd() < e {
			return false
		}
	}
	return true
}

// rangeBox keeps a Range and its two fields in one allocation.
type rangeBox struct {
	r    mesos.Value_Range
	b, e uint64
}

// newRanges builds a Ranges message from s using three allocations.
func newRanges(dst *mesos.Value_Ranges, s []span) {
	if len(s) == 0 {
		dst.Range = nil
		return
	}
	boxes := make([]rangeBox, len(s))
	ptrs := make([]*mesos.Value_Range, len(s))
	for i, x := range s {
		bx := &boxes[i]
		bx.b, bx.e = x.b, x.e
		bx.r.Begin, bx.r.End = &bx.b, &bx.e
		ptrs[i] = &bx.r
	}
	dst.Range = ptrs
}

func formatRanges(rs []*mesos.Value_Range) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, r := range rs {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.FormatUint(r.GetBegin(), 10))
		sb.WriteByte('-')
		sb.WriteString(strconv.FormatUint(r.GetEnd(), 10))
	}
	sb.WriteByte(']')
	return sb.String()
}

func formatSet(items []string) string {
	return "{" + strings.Join(items, ", ") + "}"
}

// setUnion returns a's items followed by those of b not already present.
func setUnion(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	for _, x := range a {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// setDifference returns the items of a that are not in b.
func setDifference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func setContains(sup, sub []string) bool {
	for _, x := range sub {
		if !slices.Contains(sup, x) {
			return false
		}
	}
	return true
}

func setEqual(a, b []string) bool {
	return setContains(a, b) && setContains(b, a)
}
