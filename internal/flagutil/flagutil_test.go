package flagutil

import (
	"bytes"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"1secs", time.Second, false},
		{"15secs", 15 * time.Second, false},
		{"10mins", 10 * time.Minute, false},
		{"500ms", 500 * time.Millisecond, false},
		{"2hrs", 2 * time.Hour, false},
		{"1weeks", 7 * 24 * time.Hour, false},
		{"0.5secs", 500 * time.Millisecond, false},
		{"1m30s", 90 * time.Second, false},
		{"", 0, true},
		{"abc", 0, true},
		{"-1secs", 0, true},
		{"xsecs", 0, true},
	}
	for _, c := range cases {
		got, err := ParseDuration(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("ParseDuration(%q) = %v, want error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	if s := FormatDuration(10 * time.Minute); s != "10mins" {
		t.Errorf("FormatDuration(10m) = %q", s)
	}
}

func TestParseFlagsEnvAndNegation(t *testing.T) {
	fs := flag.NewFlagSet("mesos-test", flag.ContinueOnError)
	var d time.Duration
	var port int
	var strict bool
	var roles []string
	fs.Var(Duration{&d}, "allocation_interval", "interval")
	fs.IntVar(&port, "port", 5050, "port")
	fs.BoolVar(&strict, "strict", true, "strict")
	fs.Var(StringList{&roles}, "roles", "roles")
	env := map[string]string{"MESOS_PORT": "6060", "MESOS_ALLOCATION_INTERVAL": "2secs"}
	err := Parse(fs, []string{"--no-strict", "--roles=a,b", "--allocation_interval=3secs"}, func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strict || port != 6060 || d != 3*time.Second || len(roles) != 2 {
		t.Fatalf("strict=%v port=%d d=%v roles=%v", strict, port, d, roles)
	}
}

func TestParseErrors(t *testing.T) {
	fs := flag.NewFlagSet("mesos-test", flag.ContinueOnError)
	var d time.Duration
	fs.Var(Duration{&d}, "offer_timeout", "t")
	if err := Parse(fs, []string{"--offer_timeout=soon"}, func(string) string { return "" }, nil); err == nil || !strings.Contains(err.Error(), "soon") {
		t.Fatalf("want error naming the value, got %v", err)
	}
	fs2 := flag.NewFlagSet("mesos-test", flag.ContinueOnError)
	if err := Parse(fs2, []string{"--bogus=1"}, func(string) string { return "" }, nil); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("want unknown flag error, got %v", err)
	}
	var out bytes.Buffer
	fs3 := flag.NewFlagSet("mesos-test", flag.ContinueOnError)
	fs3.Int("port", 1, "the port")
	if err := Parse(fs3, []string{"--help"}, nil, &out); err != ErrHelp || !strings.Contains(out.String(), "--port=1") {
		t.Fatalf("help: err=%v out=%q", err, out.String())
	}
}
