// Command mesos-trace reads the message traces that gomesos daemons write
// with --trace_file (and executors into their sandboxes), and writes to
// stdout:
//
//	mesos-trace merge FILE...      one causally consistent, clock-corrected order
//	mesos-trace filter [flags] FILE...
//	                               the events that match (--task, --framework,
//	                               --agent, --offer, --type, --process, --since,
//	                               --until, --flow)
//	mesos-trace diagram --task=ID [--format=mermaid|html] FILE...
//	                               a sequence diagram of a flow (also --framework,
//	                               --agent, --offer)
//	mesos-trace stats [--json] FILE...
//	                               counts and sizes per type and actor pair, hop
//	                               times, and the latency of each stage of the
//	                               tasks' launches
//
// Every subcommand merges its files first. Exit codes: 0 done, 1 a file
// could not be read (or a flow is empty), 2 bad usage. See docs/tracing.md.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gomesos/gomesos/tracing"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `Usage: mesos-trace COMMAND [flags] FILE...

Commands (each reads one or more trace files and writes to stdout):
  merge     merge the files into one causally consistent order, with clock
            skew between processes corrected
  filter    print the events that match the flags (all must match; a flag
            takes comma-separated alternatives)
  diagram   draw the sequence diagram of a task's (or framework's, agent's,
            offer's) flow, as Mermaid text or a self-contained HTML page
  stats     message counts and sizes per type and per actor pair, hop times,
            and the latency of each stage of the tasks' launches

Run 'mesos-trace COMMAND --help' for a command's flags.
`

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	out := bufio.NewWriterSize(stdout, 64<<10)
	switch cmd {
	case "merge":
		err = merge(rest, out, stderr)
	case "filter":
		err = filter(rest, out, stderr)
	case "diagram":
		err = diagram(rest, out, stderr)
	case "stats":
		err = stats(rest, out, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "mesos-trace: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "mesos-trace %s: %v\nRun 'mesos-trace %s --help' for its flags.\n", cmd, err, cmd)
		return 2
	default:
		fmt.Fprintf(stderr, "mesos-trace %s: %v\n", cmd, err)
		return 1
	}
}

// parse parses flags anywhere among the file names ("--" ends flags).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			files = append(files, rest...)
			break
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
	if len(files) == 0 {
		return nil, usagef("no trace file given")
	}
	return files, nil
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mesos-trace "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mesos-trace %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// load reads and merges files.
func load(files []string) ([]tracing.Record, error) {
	recs, err := tracing.ReadFiles(files)
	if err != nil {
		return nil, err
	}
	return tracing.Merge(recs), nil
}

func writeRecords(w io.Writer, recs []tracing.Record) error {
	var b []byte
	for i := range recs {
		b = append(tracing.AppendJSON(b[:0], &recs[i]), '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func merge(args []string, out io.Writer, stderr io.Writer) error {
	fs := newFlagSet("merge", "merge FILE...", stderr)
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	recs, err := load(files)
	if err != nil {
		return err
	}
	return writeRecords(out, recs)
}

// listFlag is a comma-separated, repeatable flag.
type listFlag struct{ l *[]string }

func (f listFlag) String() string {
	if f.l == nil {
		return ""
	}
	return strings.Join(*f.l, ",")
}

func (f listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*f.l = append(*f.l, v)
		}
	}
	return nil
}

func filter(args []string, out io.Writer, stderr io.Writer) error {
	fs := newFlagSet("filter", "filter [flags] FILE...", stderr)
	var (
		f            tracing.Filter
		since, until string
	)
	fs.Var(listFlag{&f.Task}, "task", "Task ID(s): messages that name one of them.")
	fs.Var(listFlag{&f.Framework}, "framework", "Framework ID(s).")
	fs.Var(listFlag{&f.Agent}, "agent", "Agent ID(s).")
	fs.Var(listFlag{&f.Offer}, "offer", "Offer ID(s).")
	fs.Var(listFlag{&f.Type}, "type", "Message type(s): full (mesos.internal.RunTaskMessage), short (RunTaskMessage) or subtype (ACCEPT).")
	fs.Var(listFlag{&f.Process}, "process", "Process(es): a PID (slave(1)@host:port), its id (slave(1)) or address, a recording process' label (host:port) or program (mesos-agent).")
	fs.StringVar(&since, "since", "", "Only events at or after this time: RFC 3339, or a duration after the first event (1.5s).")
	fs.StringVar(&until, "until", "", "Only events at or before this time (same forms as --since).")
	fs.BoolVar(&f.Flow, "flow", false, "With --task: the task's whole flow (its offer, executor registration, updates and acknowledgements), as diagram draws it.")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	recs, err := load(files)
	if err != nil {
		return err
	}
	first := tracing.FirstTime(recs)
	if f.Since, err = tracing.ParseTimeBound(since, first); err != nil {
		return usagef("--since: %v", err)
	}
	if f.Until, err = tracing.ParseTimeBound(until, first); err != nil {
		return usagef("--until: %v", err)
	}
	return writeRecords(out, f.Apply(recs))
}

func diagram(args []string, out io.Writer, stderr io.Writer) error {
	fs := newFlagSet("diagram", "diagram (--task=ID | --framework=ID | --agent=ID | --offer=ID) [--format=mermaid|html] FILE...", stderr)
	var (
		sel    tracing.Selector
		format string
	)
	fs.StringVar(&sel.Task, "task", "", "Task ID: the task's flow (the offer it was launched from, the accept, the run-task message, its executor's registration, its status updates and their acknowledgements).")
	fs.StringVar(&sel.Framework, "framework", "", "Framework ID: every message naming it.")
	fs.StringVar(&sel.Agent, "agent", "", "Agent ID: every message naming it.")
	fs.StringVar(&sel.Offer, "offer", "", "Offer ID: every message naming it.")
	fs.StringVar(&format, "format", "mermaid", "Output: mermaid (text for mermaid.js or mermaid.live) or html (a self-contained page with an SVG).")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if sel.IsZero() {
		return usagef("name a flow with --task, --framework, --agent or --offer")
	}
	if format != "mermaid" && format != "html" {
		return usagef("--format=%s: want mermaid or html", format)
	}
	recs, err := load(files)
	if err != nil {
		return err
	}
	msgs := tracing.Messages(tracing.SelectFlow(recs, sel))
	if len(msgs) == 0 {
		return fmt.Errorf("no message of %s in %s", sel, strings.Join(files, ", "))
	}
	d := tracing.NewDiagram(sel.String(), msgs)
	if format == "html" {
		_, err = io.WriteString(out, d.HTML())
	} else {
		_, err = io.WriteString(out, d.Mermaid())
	}
	return err
}

func stats(args []string, out io.Writer, stderr io.Writer) error {
	fs := newFlagSet("stats", "stats [--json] FILE...", stderr)
	asJSON := fs.Bool("json", false, "Write the report as JSON (durations in nanoseconds).")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	recs, err := load(files)
	if err != nil {
		return err
	}
	rep := tracing.NewReport(recs)
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(out)
}
