package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var launch = []string{
	"../../tracing/testdata/launch/local.jsonl",
	"../../tracing/testdata/launch/execute.jsonl",
	"../../tracing/testdata/launch/executor.jsonl",
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func golden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../tracing/testdata/golden", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		golden string
	}{
		{"merge", append([]string{"merge"}, launch...), "merge.jsonl"},
		{"filter", append([]string{"filter", "--task=t1", "--flow"}, launch...), "filter-task-t1-flow.jsonl"},
		{"filter, flags after files, lists", append(append([]string{"filter"}, launch...), "--type=ACCEPT", "--type", "RunTaskMessage"), "filter-type-accept-runtask.jsonl"},
		{"filter, relative times", append([]string{"filter", "--since=1s", "--until=+1.1s", "--type=StatusUpdateMessage"}, launch...), "filter-since-until.jsonl"},
		{"diagram mermaid", append([]string{"diagram", "--task=t1"}, launch...), "diagram-task-t1.mmd"},
		{"diagram html", append([]string{"diagram", "--task", "t1", "--format=html"}, launch...), "diagram-task-t1.html"},
		{"diagram offer", append([]string{"diagram", "--offer=o-2", "--"}, launch...), "diagram-offer-o-2.mmd"},
		{"stats", append([]string{"stats"}, launch...), "stats.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(tc.args...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if want := golden(t, tc.golden); out != want {
				t.Errorf("output differs from %s:\n%s", tc.golden, out)
			}
		})
	}
	code, out, _ := runCLI(append([]string{"stats", "--json"}, launch...)...)
	if code != 0 || !strings.Contains(out, `"stage": "executor registered"`) {
		t.Errorf("stats --json: %d %s", code, out)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, _ := os.ReadFile(launch[2])
	lines := strings.SplitAfter(string(good), "\n")
	notTrace := write("daemon.log", "I0301 12:00:00.000 master.cpp:1] Master started\n")
	notTraceJSON := write("other.json", `{"level":"info","msg":"hello","time":"2025-01-01T00:00:00Z"}`+"\n")
	corrupt := write("corrupt.jsonl", lines[0]+lines[1]+"{\"seq\":3,\"time\":\"2025-03-01T12:00:00Z\",\"kind\":\"sent\n"+lines[2])
	cutOff := write("live.jsonl", lines[0]+lines[1]+lines[2][:len(lines[2])/2])
	badFormat := write("future.jsonl", `{"seq":0,"time":"2025-03-01T12:00:00Z","kind":"start","format":"gomesos-trace/9"}`+"\n")
	empty := write("empty.jsonl", "")

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no command", nil, 2, "Usage: mesos-trace COMMAND"},
		{"unknown command", []string{"draw", launch[0]}, 2, `unknown command "draw"`},
		{"no file", []string{"merge"}, 2, "no trace file given"},
		{"bad flag", []string{"filter", "--color=red", launch[0]}, 2, "flag provided but not defined: -color"},
		{"missing file", []string{"stats", filepath.Join(dir, "nope.jsonl")}, 1, "nope.jsonl: no such file"},
		{"not a trace", []string{"merge", launch[0], notTrace}, 1, "daemon.log:1: not a gomesos trace file"},
		{"JSON but not a trace", []string{"merge", notTraceJSON}, 1, `other.json:1: not a gomesos trace file (no "kind" field)`},
		{"corrupt middle line", []string{"merge", corrupt}, 1, "corrupt.jsonl:3: corrupt trace line"},
		{"unsupported format", []string{"merge", badFormat}, 1, `future.jsonl:1: not a gomesos trace file (format "gomesos-trace/9" is not supported`},
		{"empty file", []string{"merge", empty}, 1, "empty.jsonl: not a gomesos trace file (no records)"},
		{"diagram without a flow", append([]string{"diagram"}, launch...), 2, "name a flow with --task"},
		{"diagram bad format", append([]string{"diagram", "--task=t1", "--format=png"}, launch...), 2, "--format=png: want mermaid or html"},
		{"diagram empty flow", append([]string{"diagram", "--task=t9"}, launch...), 1, "no message of task t9 in"},
		{"bad since", append([]string{"filter", "--since=yesterday"}, launch...), 2, `--since: "yesterday" is neither`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.stderr) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", code, errs, tc.code, tc.stderr)
			}
		})
	}

	// A live file's cut-off last line is skipped quietly.
	code, out, errs := runCLI("merge", cutOff)
	if code != 0 || errs != "" || strings.Count(out, "\n") != 2 { // merge line + one event
		t.Fatalf("cut-off file: exit %d, stderr %q, out:\n%s", code, errs, out)
	}
	// Help is not an error.
	if code, out, _ := runCLI("help"); code != 0 || !strings.Contains(out, "diagram") {
		t.Fatalf("help: %d", code)
	}
	if code, _, errs := runCLI("diagram", "--help"); code != 0 || !strings.Contains(errs, "-format") {
		t.Fatalf("diagram --help: %d %s", code, errs)
	}
}
