package tests

import (
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/gomesos/gomesos/sim"
)

// TestTranscripts runs the protocol transcripts in testdata/transcripts:
// each file drives a cluster on a manual clock command by command, and the
// expected output of a command is every message that flowed while it ran.
// `go test ./tests -run TestTranscripts -rewrite` regenerates the outputs.
// The commands are documented in sim.Script.
func TestTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata/transcripts", func(t *testing.T, path string) {
		sc, err := sim.NewScript(false)
		if err != nil {
			t.Fatal(err)
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			args := make([]sim.Arg, len(d.CmdArgs))
			for i, a := range d.CmdArgs {
				args[i] = sim.Arg{Key: a.Key, Vals: a.Vals}
			}
			exec := sc.Exec
			if d.Cmd == "registry" { // the master's registry (sim.Script.Registry)
				exec = func(_ string, args []sim.Arg) (string, error) { return sc.Registry(args) }
			}
			out, err := exec(d.Cmd, args)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return out
		})
	})
}
