// Package flagutil parses command lines the way Mesos daemons do: --name=value
// flags, Mesos duration syntax ("15secs", "10mins"), --no-<flag> for booleans,
// and MESOS_<NAME> environment variables as a fallback for unset flags.
package flagutil

import (
	"errors"
	"flag"
	"fmt"
	"github.com/gomesos/gomesos/messages/protocol"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// Duration is a flag.Value accepting Mesos durations ("1secs", "500ms",
// "10mins", "2hrs", "1days", "1weeks") and Go ones ("1s", "1m30s").
type Duration struct{ D *time.Duration }

func (d Duration) String() string {
	if d.D == nil {
		return ""
	}
	return FormatDuration(*d.D)
}

func (d Duration) Set(s string) error {
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d.D = v
	return nil
}

var units = []struct {
	suffix string
	unit   time.Duration
}{
	// Longest suffixes first so "mins" is not read as "ms"+garbage.
	{"weeks", 7 * 24 * time.Hour},
	{"days", 24 * time.Hour},
	{"hrs", time.Hour},
	{"mins", time.Minute},
	{"secs", time.Second},
	{"ms", time.Millisecond},
	{"us", time.Microsecond},
	{"ns", time.Nanosecond},
}

// ParseDuration and FormatDuration are Mesos' duration text (protocol's).
var (
	ParseDuration  = protocol.ParseDuration
	FormatDuration = protocol.FormatDuration
)

// StringList is a comma-separated list flag ("a,b,c").
type StringList struct{ L *[]string }

func (l StringList) String() string {
	if l.L == nil {
		return ""
	}
	return strings.Join(*l.L, ",")
}

func (l StringList) Set(s string) error {
	*l.L = nil
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l.L = append(*l.L, p)
		}
	}
	return nil
}

// ErrHelp is returned by Parse when --help was asked for; usage was printed.
var ErrHelp = flag.ErrHelp

// Parse parses args into fs. Flags left unset are taken from MESOS_<NAME>
// environment variables (getenv may be nil for os.Getenv). Errors name the
// flag and value; usage goes to out only for --help.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string, out io.Writer) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	fs.SetOutput(io.Discard)
	args = rewriteNegations(fs, args)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			PrintUsage(fs, out)
			return ErrHelp
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags are written --name=value)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || err != nil {
			return
		}
		env := "MESOS_" + strings.ToUpper(f.Name)
		if v := getenv(env); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("invalid value %q for %s: %v", v, env, e)
			}
		}
	})
	return err
}

// rewriteNegations turns --no-<bool flag> into --<flag>=false.
func rewriteNegations(fs *flag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if strings.HasPrefix(a, "--no-") && !strings.Contains(a, "=") {
			name := strings.TrimPrefix(a, "--no-")
			if f := fs.Lookup(name); f != nil {
				if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
					out = append(out, "--"+name+"=false")
					continue
				}
			}
		}
		out = append(out, a)
	}
	return out
}

// PrintUsage writes every flag, sorted, with its default and help text.
func PrintUsage(fs *flag.FlagSet, out io.Writer) {
	if out == nil {
		return
	}
	fmt.Fprintf(out, "Usage: %s [options]\n\n", fs.Name())
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	sort.Strings(names)
	for _, n := range names {
		f := fs.Lookup(n)
		line := "  --" + n
		if f.DefValue != "" {
			line += "=" + f.DefValue
		}
		fmt.Fprintf(out, "%s\n      %s\n", line, f.Usage)
	}
}

// Values returns every flag's current value as text, for /flags and /state.
func Values(fs *flag.FlagSet) map[string]string {
	m := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { m[f.Name] = f.Value.String() })
	return m
}
