package tests

import (
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/gomesos/gomesos/sim"
)

// transcriptHarness runs the commands of one transcript file.
type transcriptHarness interface {
	Exec(cmd string, args []sim.Arg) (string, error)
}

// TestTranscripts runs the protocol transcripts in testdata/transcripts:
// each file drives a cluster on a manual clock command by command, and the
// expected output of a command is every message that flowed while it ran.
// `go test ./tests -run TestTranscripts -rewrite` regenerates the outputs.
// A file that starts with the `cluster` command runs on txCluster (master
// restarts, agents that recover from their checkpoints, executors that
// outlive their agent, driver frameworks; its commands are listed at
// txCluster.Exec); any other runs on sim.Script (documented there).
func TestTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata/transcripts", func(t *testing.T, path string) {
		var h transcriptHarness
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			args := make([]sim.Arg, len(d.CmdArgs))
			for i, a := range d.CmdArgs {
				args[i] = sim.Arg{Key: a.Key, Vals: a.Vals}
			}
			if h == nil {
				var err error
				if d.Cmd == "cluster" {
					h, err = newTxCluster(args)
					if err != nil {
						t.Fatal(err)
					}
					return ""
				}
				if h, err = sim.NewScript(false); err != nil {
					t.Fatal(err)
				}
			}
			exec := h.Exec
			if sc, ok := h.(*sim.Script); ok && d.Cmd == "registry" { // the master's registry (sim.Script.Registry)
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
