package protocol

import (
	"testing"
	"time"

	"github.com/gomesos/gomesos/messages/mesos"
)

func TestFormatDurationRoundTrips(t *testing.T) {
	cases := map[time.Duration]string{
		0:                           "0ns",
		15 * time.Second:            "15secs",
		90 * time.Minute:            "1.5hrs",
		100 * time.Second:           "100secs",
		time.Second:                 "1secs",
		100 * time.Millisecond:      "100ms",
		2 * 7 * 24 * time.Hour:      "2weeks",
		1500 * time.Microsecond:     "1.5ms",
		-5 * time.Second:            "-5secs",
		1234567*time.Nanosecond + 1: "1234.568us",
	}
	for d, want := range cases {
		got := FormatDuration(d)
		if got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
		if d >= 0 {
			back, err := ParseDuration(got)
			if err != nil || back != d {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", got, back, err, d)
			}
		}
	}
}

func TestParseDurationRefusesBadText(t *testing.T) {
	for _, s := range []string{"", "secs", "-1secs", "xsecs", "NaNsecs", "1e300weeks", "ten", "-3s", "5 parsecs", "x"} {
		if d, err := ParseDuration(s); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", s, d)
		}
	}
	for in, want := range map[string]time.Duration{
		" 2mins ": 2 * time.Minute, "5secs": 5 * time.Second, "1days": 24 * time.Hour, "1weeks": 7 * 24 * time.Hour, "3s": 3 * time.Second,
	} {
		if d, err := ParseDuration(in); err != nil || d != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, d, err, want)
		}
	}
}

func TestVisibleState(t *testing.T) {
	if got := VisibleState(false, mesos.TaskState_TASK_UNREACHABLE); got != mesos.TaskState_TASK_LOST {
		t.Errorf("non partition-aware UNREACHABLE = %v, want LOST", got)
	}
	if got := VisibleState(true, mesos.TaskState_TASK_UNREACHABLE); got != mesos.TaskState_TASK_UNREACHABLE {
		t.Errorf("partition-aware UNREACHABLE = %v", got)
	}
	if got := VisibleState(false, mesos.TaskState_TASK_FINISHED); got != mesos.TaskState_TASK_FINISHED {
		t.Errorf("FINISHED = %v", got)
	}
}

func TestValidateRole(t *testing.T) {
	for _, ok := range []string{"*", "a", "a/b", "dev-ops", "a.b"} {
		if err := ValidateRole(ok); err != nil {
			t.Errorf("ValidateRole(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "/a", "a/", "a//b", ".", "a/..", "a/*", "-a", "a b", "a\x7f"} {
		if err := ValidateRole(bad); err == nil {
			t.Errorf("ValidateRole(%q) accepted", bad)
		}
	}
}

func TestSequentialUUIDsAreDistinctAndVersion4(t *testing.T) {
	a, b := SequentialUUIDs(7), SequentialUUIDs(7)
	seen := map[UUID]bool{}
	for i := 0; i < 100; i++ {
		u := a.NewUUID()
		if u != b.NewUUID() {
			t.Fatal("same seed gave different UUIDs")
		}
		if seen[u] {
			t.Fatalf("duplicate UUID %v", u)
		}
		seen[u] = true
		if u[6]>>4 != 4 || u[8]>>6 != 2 {
			t.Fatalf("%v is not a version 4 UUID", u)
		}
	}
	if r := RandomUUIDs().NewUUID(); r[6]>>4 != 4 {
		t.Fatalf("%v is not a version 4 UUID", r)
	}
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	b := Backoff{Initial: time.Second, Max: time.Minute, Min: 10 * time.Millisecond}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	for n, w := range want {
		if got := b.Bound(n); got != w {
			t.Errorf("Bound(%d) = %v, want %v", n, got, w)
		}
	}
	if got := b.Delay(3, 0.5); got != 4*time.Second {
		t.Errorf("Delay(3, .5) = %v", got)
	}
	if got := b.Delay(0, 0); got != 10*time.Millisecond {
		t.Errorf("Delay(0, 0) = %v, want the minimum", got)
	}
	if got := b.Bound(1000); got != time.Minute {
		t.Errorf("Bound(1000) = %v", got)
	}
}
