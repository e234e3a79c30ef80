// Command benchratio reads the output of package actors' benchmarks (each
// pair run through actors and through raw protoactor-go) and prints, per
// pair, the median msgs/s of each side and their ratio (actors / raw: 1
// is as fast as raw), and the ratio of CPU per message (raw / actors).
//
//	go test -run '^$' -bench 'Send|RoundTrip|RemoteSend|ProcessSend|ProcessRoundTrip' \
//	    -benchmem -count 5 ./actors/ | tee bench.txt | go run ./actors/internal/benchratio
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

type side struct{ rate, cpu []float64 }

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	pairs := map[string]map[string]*side{}
	var order []string
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name, kind, ok := strings.Cut(strings.TrimPrefix(f[0], "Benchmark"), "/")
		if !ok {
			continue
		}
		kind, _, _ = strings.Cut(kind, "-") // the GOMAXPROCS suffix
		if kind != "actors" && kind != "raw" {
			continue
		}
		if pairs[name] == nil {
			pairs[name] = map[string]*side{"actors": {}, "raw": {}}
			order = append(order, name)
		}
		s := pairs[name][kind]
		for i := 1; i+1 < len(f); i++ {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "msgs/s":
				s.rate = append(s.rate, v)
			case "cpu-ns/msg":
				s.cpu = append(s.cpu, v)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Fprintf(out, "%-18s %14s %14s %8s %8s %9s\n", "pair", "actors msgs/s", "raw msgs/s", "ratio", "best", "cpu ratio")
	for _, name := range order {
		a, r := pairs[name]["actors"], pairs[name]["raw"]
		if len(a.rate) == 0 || len(r.rate) == 0 {
			continue
		}
		cpu := "-"
		if len(a.cpu) > 0 && len(r.cpu) > 0 {
			cpu = fmt.Sprintf("%.2f", median(r.cpu)/median(a.cpu))
		}
		fmt.Fprintf(out, "%-18s %14.0f %14.0f %8.2f %8.2f %9s\n", name, median(a.rate), median(r.rate),
			median(a.rate)/median(r.rate), slices.Max(a.rate)/slices.Max(r.rate), cpu)
	}
	return nil
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}
