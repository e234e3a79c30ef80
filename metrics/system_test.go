package metrics

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSystemGauges(t *testing.T) {
	r := NewRegistry()
	r.System()
	r.System() // a second caller in the same process changes nothing
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("loadavg", "0.50 1.25 2.00 3/456 789\n")
	write("meminfo", "MemTotal:       2048 kB\nMemFree:         512 kB\nMemAvailable:   1024 kB\n")
	r.system.procDir = dir
	snap, err := r.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		"system/load_1min": 0.5, "system/load_5min": 1.25, "system/load_15min": 2,
		"system/mem_total_bytes": 2048 * 1024, "system/mem_free_bytes": 1024 * 1024,
	}
	for k, v := range want {
		if snap[k] != v {
			t.Errorf("%s = %v, want %v", k, snap[k], v)
		}
	}
	if snap["system/cpus_total"] < 1 {
		t.Errorf("system/cpus_total = %v", snap["system/cpus_total"])
	}
}

func TestSystemGaugesWithoutProc(t *testing.T) {
	r := NewRegistry()
	c := &systemCollector{
		cpus: r.Desc("system/cpus_total", ""), load1: r.Desc("system/load_1min", ""), load5: r.Desc("system/load_5min", ""),
		load15: r.Desc("system/load_15min", ""), memTotal: r.Desc("system/mem_total_bytes", ""), memFree: r.Desc("system/mem_free_bytes", ""),
		procDir: filepath.Join(t.TempDir(), "missing"),
	}
	r.MustRegister(c)
	snap, err := r.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := snap["system/load_1min"]; ok {
		t.Errorf("load is published without /proc: %v", Keys(snap))
	}
	if _, ok := snap["system/cpus_total"]; !ok {
		t.Errorf("cpus_total is missing: %v", Keys(snap))
	}
}
