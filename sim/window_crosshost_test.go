package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/gomesos/gomesos/actors"
	"github.com/gomesos/gomesos/actors/effect"
	"github.com/gomesos/gomesos/messages/mesosutil"
)

// A lane logs into its goroutine's buffer only while it runs, so a node
// that adds a node on another host inside a window is refused, whether
// that host's lane runs before or after it (either would lose the add or
// write into another lane's log), and the run goes on intact.
func TestWindowRefusesAddOnAnotherHost(t *testing.T) {
	for _, otherFirst := range []bool{false, true} {
		s := New(Options{Seed: 1, Latency: time.Millisecond, Workers: 1})
		var lines []string
		s.Trace = func(s *Sim, d Delivery) { lines = append(lines, s.Line(d)) }
		var a, b *Node
		if otherFirst {
			b, _ = s.Add("b", actors.PID{ID: "b", Address: "127.0.0.2:1"}, &echo{}, nil)
			a, _ = s.Add("a", actors.PID{ID: "a", Address: "127.0.0.1:1"}, &echo{}, nil)
			s.Start(b, func(time.Time) []effect.Effect { return nil })
		} else {
			a, _ = s.Add("a", actors.PID{ID: "a", Address: "127.0.0.1:1"}, &echo{}, nil)
			b, _ = s.Add("b", actors.PID{ID: "b", Address: "127.0.0.2:1"}, &echo{}, nil)
		}
		cpid := actors.PID{ID: "c", Address: "127.0.0.2:1"}
		var addErr error
		s.Start(a, func(time.Time) []effect.Effect {
			_, addErr = s.Add("c", cpid, &echo{}, nil)
			return []effect.Effect{effect.Send{To: b.PID, Msg: mesosutil.NewTaskID("x")}}
		})
		if !otherFirst {
			s.Start(b, func(time.Time) []effect.Effect { return nil })
		}
		if err := s.RunFor(5 * time.Millisecond); err != nil {
			t.Fatalf("other host first=%v: %v", otherFirst, err)
		}
		if addErr == nil || !strings.Contains(addErr.Error(), "not running") {
			t.Errorf("other host first=%v: add on another host inside a window: err %v, want a refusal", otherFirst, addErr)
		}
		if s.Node(cpid) != nil {
			t.Errorf("other host first=%v: the refused node was registered", otherFirst)
		}
		if len(lines) == 0 || lines[0] != "a -> b: TaskID" {
			t.Errorf("other host first=%v: trace %q, want a's message to b first (echoed back and forth)", otherFirst, lines)
		}
	}
}
