package main

import (
	"strings"
	"testing"
)

func TestRatios(t *testing.T) {
	in := `goos: linux
BenchmarkSend/actors-2   	 100	 300.0 ns/op	 200.0 cpu-ns/msg	 3000000 msgs/s	 0 B/op	 0 allocs/op
BenchmarkSend/actors-2   	 100	 300.0 ns/op	 300.0 cpu-ns/msg	 1000000 msgs/s	 0 B/op	 0 allocs/op
BenchmarkSend/actors-2   	 100	 300.0 ns/op	 100.0 cpu-ns/msg	 2000000 msgs/s	 0 B/op	 0 allocs/op
BenchmarkSend/raw-2      	 100	 300.0 ns/op	 100.0 cpu-ns/msg	 4000000 msgs/s	 0 B/op	 0 allocs/op
BenchmarkBatchSize/batch=50-2	 100	 1 ns/op	 1 msgs/s
PASS
`
	var out strings.Builder
	if err := run(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want a header and one pair:\n%s", out.String())
	}
	// median actors 2e6 / raw 4e6; best 3e6 / 4e6; cpu raw 100 / actors median 200
	if f := strings.Fields(lines[1]); f[0] != "Send" || f[3] != "0.50" || f[4] != "0.75" || f[5] != "0.50" {
		t.Fatalf("got %q", lines[1])
	}
}
